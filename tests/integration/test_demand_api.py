"""Demand over HTTP: sell-through batches and files (all or nothing, duplicates, replacement, partner
scope), the retail event calendar, event uplift on a planted promotion, new-product profiles (both DBs)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, insert, select

from qudao.audit.models import AuditRecord
from qudao.demand.models import SellThrough
from tests import factories

DAY = date(2026, 3, 2)


@pytest.fixture
def net(session):  # type: ignore[no-untyped-def]
    class Net:
        channel = factories.channel(session)
        mine = factories.partner(session)
        other = factories.partner(session)
        wh = factories.location(session, kind="partner_warehouse", owner_partner_code=mine.code)
        other_wh = factories.location(session, kind="partner_warehouse", owner_partner_code=other.code)
        category = factories.category(session)
        tea = factories.product(session, category_code=category.code)
        cup = factories.product(session, category_code=category.code)
        planner = factories.user(session, role="planner")
        partner_user = factories.user(session, role="partner", partner_code=mine.code)

    return Net


def row(net, day: date = DAY, sku: str | None = None, location: str | None = None, **extra):  # type: ignore[no-untyped-def]
    return {"sku": sku or net.tea.sku, "location_code": location or net.wh.code, "channel_code": net.channel.code,
            "day": day.isoformat(), "quantity": "5", **extra}


def stored(session, net) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [tuple(r) for r in session.execute(
        select(SellThrough.day, SellThrough.quantity, SellThrough.stockout, SellThrough.partner_id)
        .where(SellThrough.location_id.in_([net.wh.id, net.other_wh.id])).order_by(SellThrough.day))]


def test_batch_is_stored_and_a_resent_day_replaces_it(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    h = factories.headers(settings, net.planner)
    r = client.post("/api/v1/sell-through", headers=h, json={"rows": [
        row(net), row(net, DAY + timedelta(days=1), quantity="0", stockout=True)]})
    assert r.status_code == 201, r.text
    assert r.json() == {"rows": 2, "created": 2, "replaced": 0}
    r = client.post("/api/v1/sell-through", headers=h, json={"rows": [row(net, quantity="8")]})
    assert r.json() == {"rows": 1, "created": 1, "replaced": 1}
    assert stored(session, net) == [(DAY, Decimal("8.0000"), False, net.mine.id),
                                    (DAY + timedelta(days=1), Decimal("0.0000"), True, net.mine.id)]
    audits = session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.entity == "sell_through"))
    assert audits == 2
    history = client.get("/api/v1/demand/history", headers=h, params={"sku": net.tea.sku, "grain": "week"}).json()
    assert [(p["ds"], p["y"], p["stockout"]) for p in history] == [(DAY.isoformat(), 8.0, True)]


def test_bad_batch_lists_every_problem_and_writes_nothing(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    h = factories.headers(settings, net.planner)
    r = client.post("/api/v1/sell-through", headers=h, json={"rows": [
        row(net), row(net, sku="NOPE"), row(net), row(net, DAY + timedelta(days=4000)),
        row(net, location="NOWHERE")]})
    assert r.status_code == 422
    problems = {(e["field"], e.get("row")) for e in r.json()["errors"]}
    assert problems == {("rows[1].sku", 1), ("rows[2].day", 2), ("rows[3].day", 3), ("rows[4].location_code", 4)}
    assert "also on row 0" in next(e["reason"] for e in r.json()["errors"] if e["field"] == "rows[2].day")
    assert stored(session, net) == []
    negative = client.post("/api/v1/sell-through", headers=h, json={"rows": [row(net, quantity="-1")]})
    assert negative.status_code == 422 and stored(session, net) == []


def test_partner_submits_for_its_own_locations_only(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    h = factories.headers(settings, net.partner_user)
    assert client.post("/api/v1/sell-through", headers=h, json={"rows": [row(net)]}).status_code == 201
    r = client.post("/api/v1/sell-through", headers=h, json={"rows": [row(net, location=net.other_wh.code)]})
    assert r.status_code == 422
    assert r.json()["errors"][0]["reason"].endswith("among your organisation's locations")
    assert stored(session, net) == [(DAY, Decimal("5.0000"), False, net.mine.id)]
    # The partner reads its own history only.
    session.execute(insert(SellThrough), [dict(day=DAY, product_id=net.tea.id, location_id=net.other_wh.id,
                                               channel_id=net.channel.id, partner_id=net.other.id,
                                               quantity=Decimal(3), revenue=Decimal(0))])
    points = client.get("/api/v1/demand/history", headers=h, params={"sku": net.tea.sku}).json()
    assert [p["location_id"] for p in points] == [net.wh.id]


def test_csv_and_excel_files(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    planner = factories.headers(settings, net.planner)
    header = "sku,location_code,channel_code,day,quantity,stockout\n"
    bad = (header + f"{net.tea.sku},{net.wh.code},{net.channel.code},2026-03-02,4,false\n"
           f"{net.tea.sku},{net.wh.code},{net.channel.code},2026-03-02,6,false\n"
           f"{net.cup.sku},{net.wh.code},{net.channel.code},not-a-day,1,false\n")
    r = client.post("/api/v1/imports/sell_through", headers=planner, files={"file": ("pos.csv", bad.encode())})
    assert r.status_code == 422
    assert {(e["field"], e["row"]) for e in r.json()["errors"]} == {("day", 3), ("day", 4)}
    assert stored(session, net) == []
    skip = client.post("/api/v1/imports/sell_through", headers=planner, params={"skip_invalid": "true"},
                       files={"file": ("pos.csv", bad.encode())})
    assert skip.status_code == 422 and skip.json()["errors"][0]["field"] == "skip_invalid"
    good = header + f"{net.tea.sku},{net.wh.code},{net.channel.code},2026-03-02,4,true\n"
    r = client.post("/api/v1/imports/sell_through", headers=planner, files={"file": ("pos.csv", good.encode())})
    assert r.status_code == 200, r.text
    assert (r.json()["kind"], r.json()["created"], r.json()["replaced"]) == ("sell_through", 1, 0)
    # A partner uses its own upload route (the master-data imports are staff-only); Excel works the same.
    book = Workbook()
    sheet = book.active
    sheet.append(["sku", "location_code", "channel_code", "day", "quantity"])
    sheet.append([net.tea.sku, net.wh.code, net.channel.code, date(2026, 3, 2), 9])
    buffer = io.BytesIO()
    book.save(buffer)
    partner = factories.headers(settings, net.partner_user)
    assert client.post("/api/v1/imports/sell_through", headers=partner,
                       files={"file": ("pos.xlsx", buffer.getvalue())}).status_code == 403
    r = client.post("/api/v1/sell-through/file", headers=partner, files={"file": ("pos.xlsx", buffer.getvalue())})
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["replaced"]) == (1, 1)
    assert stored(session, net) == [(DAY, Decimal("9.0000"), False, net.mine.id)]
    unknown = client.post("/api/v1/sell-through/file", headers=partner,
                          files={"file": ("pos.csv", b"sku,shop\nA,B\n")})
    assert unknown.status_code == 422
    assert {e["field"] for e in unknown.json()["errors"]} >= {"shop", "location_code", "quantity"}
    nul = client.post("/api/v1/sell-through/file", headers=partner, files={"file": (
        "pos.csv", f"sku,location_code,channel_code,day,quantity\nA\x00,{net.wh.code},X,2026-03-02,1\n".encode())})
    assert (nul.status_code, nul.json()["errors"][0]["reason"]) == (422, "contains a NUL character")


def test_retail_event_calendar(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    h = factories.headers(settings, net.planner)
    body = {"code": "D11-2026-T", "name_zh": "双十一", "name_en": "Double 11", "kind": "double_11",
            "starts_on": "2026-10-20", "ends_on": "2026-11-13", "peak_on": "2026-11-11",
            "channel_code": net.channel.code}
    r = client.post("/api/v1/retail-events", headers=h, json=body)
    assert r.status_code == 201, r.text
    assert client.post("/api/v1/retail-events", headers=h, json=body).status_code == 409
    promo = {**body, "code": "PROMO-T", "kind": "promotion", "depth_pct": "20", "peak_on": None,
             "starts_on": "2026-05-01", "ends_on": "2026-05-07", "channel_code": None}
    assert Decimal(client.post("/api/v1/retail-events", headers=h, json=promo).json()["depth_pct"]) == 20
    backwards = client.post("/api/v1/retail-events", headers=h, json={**promo, "code": "BAD", "ends_on": "2026-04-01"})
    assert backwards.status_code == 422
    listed = client.get("/api/v1/retail-events", headers=h, params={"start": "2026-11-01", "end": "2026-11-30"})
    assert [e["code"] for e in listed.json()["items"]] == ["D11-2026-T"]
    r = client.patch("/api/v1/retail-events/PROMO-T", headers=h, json={"ends_on": "2026-05-10"})
    assert r.json()["ends_on"] == "2026-05-10"
    assert client.patch("/api/v1/retail-events/PROMO-T", headers=h, json={"ends_on": "2026-04-10"}).status_code == 422
    partner = factories.headers(settings, net.partner_user)
    assert client.get("/api/v1/retail-events/PROMO-T", headers=partner).status_code == 200
    assert client.delete("/api/v1/retail-events/PROMO-T", headers=partner).status_code == 403
    assert client.delete("/api/v1/retail-events/PROMO-T", headers=h).status_code == 204
    assert client.get("/api/v1/retail-events/PROMO-T", headers=h).status_code == 404


def test_event_uplift_of_a_planted_promotion(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    # 28 days at 10 a day on each side of a 7-day promotion selling 16 a day: +60%.
    start = date(2026, 1, 1)
    promo_first, promo_last = start + timedelta(days=28), start + timedelta(days=34)
    rows = []
    for i in range(63):
        day = start + timedelta(days=i)
        quantity = 16 if promo_first <= day <= promo_last else 10
        for product in (net.tea, net.cup):
            rows.append(dict(day=day, product_id=product.id, location_id=net.wh.id, channel_id=net.channel.id,
                             partner_id=net.mine.id, quantity=Decimal(quantity), revenue=Decimal(0)))
    session.execute(insert(SellThrough), rows)
    h = factories.headers(settings, net.planner)
    client.post("/api/v1/retail-events", headers=h, json={
        "code": "PLANTED", "name_zh": "促销", "name_en": "Promotion", "kind": "promotion",
        "starts_on": promo_first.isoformat(), "ends_on": promo_last.isoformat(), "channel_code": net.channel.code})
    r = client.get("/api/v1/demand/event-uplift", headers=h, params={"channel": net.channel.code})
    assert r.status_code == 200, r.text
    [uplift] = r.json()
    assert uplift["kind"] == "promotion"
    assert uplift["uplift"] == pytest.approx(1.6)
    assert (uplift["observations"], uplift["event_days"]) == (2, 14)
    assert uplift["computed_at"] is None  # learnt just now: nothing stored yet
    assert client.get("/api/v1/demand/event-uplift", headers=h, params={"channel": "NOPE"}).status_code == 422
    partner = factories.headers(settings, net.partner_user)
    assert client.post("/api/v1/demand/event-uplift/refresh", headers=partner).status_code == 403
    stored = client.post("/api/v1/demand/event-uplift/refresh", headers=h, params={"channel": net.channel.code})
    assert stored.status_code == 200, stored.text
    again = client.get("/api/v1/demand/event-uplift", headers=h, params={"channel": net.channel.code}).json()
    assert [(u["kind"], round(u["uplift"], 6), u["computed_at"] is not None) for u in again] == [
        ("promotion", 1.6, True)]


def test_new_product_profiles(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    launch = date(2026, 2, 1)
    session.execute(insert(SellThrough), [
        dict(day=launch + timedelta(days=i), product_id=net.tea.id, location_id=net.wh.id,
             channel_id=net.channel.id, partner_id=net.mine.id, quantity=Decimal(q), revenue=Decimal(0))
        for i, q in enumerate([2, 4, 6, 8])])
    new = factories.product(session, category_code=net.category.code)
    h = factories.headers(settings, net.planner)
    r = client.put(f"/api/v1/demand/new-product-profiles/{new.sku}", headers=h,
                   json={"method": "analogue", "analogue_sku": net.tea.sku, "scale": "0.5", "launch_on": "2026-12-01"})
    assert r.status_code == 200, r.text
    assert r.json()["analogue_sku"] == net.tea.sku
    forecast = client.get(f"/api/v1/demand/new-product-profiles/{new.sku}/forecast", headers=h,
                          params={"horizon": 5}).json()
    assert [p["forecast"] for p in forecast["points"]] == [1.0, 2.0, 3.0, 4.0, 2.5]  # tail: mean of 4 days x0.5
    assert forecast["points"][0]["ds"] == "2026-12-01"
    # The category's profile: tea (2, 4, 6, 8) and cup (no sales) -> tea's curve alone; scale 2.
    r = client.put(f"/api/v1/demand/new-product-profiles/{new.sku}", headers=h, json={"method": "category", "scale": 2})
    assert r.json()["category_code"] == net.category.code
    forecast = client.get(f"/api/v1/demand/new-product-profiles/{new.sku}/forecast", headers=h,
                          params={"horizon": 3, "start": "2027-01-01"}).json()
    assert (forecast["source"], [p["forecast"] for p in forecast["points"]]) == (net.category.code, [4.0, 8.0, 12.0])
    wrong = client.put(f"/api/v1/demand/new-product-profiles/{new.sku}", headers=h,
                       json={"method": "analogue", "analogue_sku": "NOPE"})
    assert (wrong.status_code, wrong.json()["errors"][0]["field"]) == (422, "analogue_sku")
    assert client.put(f"/api/v1/demand/new-product-profiles/{new.sku}", headers=h,
                      json={"method": "analogue"}).status_code == 422
    partner = factories.headers(settings, net.partner_user)
    assert client.put(f"/api/v1/demand/new-product-profiles/{new.sku}", headers=partner,
                      json={"method": "category"}).status_code == 403
    assert client.get(f"/api/v1/demand/new-product-profiles/{net.cup.sku}", headers=h).status_code == 404
    listed = client.get("/api/v1/demand/new-product-profiles", headers=h).json()
    assert [p["sku"] for p in listed["items"]] == [new.sku]


def test_known_events_are_applied_to_a_forecast(session, net) -> None:  # type: ignore[no-untyped-def]
    import polars as pl

    from qudao.common.actor import SYSTEM
    from qudao.demand import service
    from qudao.demand.schemas import EventUpliftOut, RetailEventCreate

    child = factories.channel(session, parent_code=net.channel.code)
    service.create_retail_event(session, SYSTEM, RetailEventCreate(
        code=factories.unique("PROMO"), name_zh="促销", name_en="Promo", kind="promotion",
        starts_on=date(2026, 12, 2), ends_on=date(2026, 12, 3), channel_code=net.channel.code))
    forecast = pl.DataFrame({"channel_id": [child.id] * 3, "ds": [date(2026, 12, d) for d in (1, 2, 3)],
                             "forecast": [10.0] * 3, "hi_95": [14.0] * 3})
    uplift = [EventUpliftOut(kind="promotion", uplift=1.5, observations=3, event_days=9, event_demand=1.0,
                             baseline_demand=1.0)]
    out = service.apply_known_events(session, SYSTEM, forecast, uplift)
    assert out["forecast"].to_list() == [10.0, 15.0, 15.0]  # the parent channel's promotion covers its child
    assert out["hi_95"].to_list() == [14.0, 21.0, 21.0]
