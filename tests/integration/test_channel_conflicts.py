"""Channel conflicts on planted cases: a line below the MAP in force (an older, lower MAP superseded), an
order shipped outside the partner's territory, one channel's weekly sales rising while another's fall; no
flag on clean data; a partner user sees only its own conflicts; MAP and territory CRUD with refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from qudao.channelperf import rules, service
from qudao.channelperf.schemas import MapPriceCreate, TerritoryCreate
from qudao.common.actor import SYSTEM
from qudao.demand.models import SellThrough
from qudao.orders.models import SalesOrder, SalesOrderLine
from tests import factories

ADMIN = SYSTEM


def place(session, net, customer, channel, ship_to, price, at: datetime, qty=2):  # type: ignore[no-untyped-def]
    order = factories.sales_order(session, channel, customer, ship_to, [(net.tea, qty)])
    session.execute(update(SalesOrderLine).where(SalesOrderLine.order_id == order.id).values(unit_price=Decimal(price)))
    session.execute(update(SalesOrder).where(SalesOrder.id == order.id).values(created_at=at))
    session.flush()
    return order


def weekly_sales(session, product, channel, location, start: date, per_week: list[float]) -> None:  # type: ignore[no-untyped-def]
    """One sell-through row on the Wednesday of each week from ``start`` (a Monday)."""
    rows = [{"day": start + timedelta(weeks=i, days=2), "product_id": product.id, "location_id": location.id,
             "channel_id": channel.id, "partner_id": None, "quantity": Decimal(str(q)), "revenue": Decimal(0)}
            for i, q in enumerate(per_week) if q]
    session.execute(insert(SellThrough), rows)


@pytest.fixture
def net(session):  # type: ignore[no-untyped-def]
    class Net:
        ecom = factories.channel(session, kind="ecommerce")
        dist = factories.channel(session)
        a = factories.partner(session)
        b = factories.partner(session)
        a_zj = factories.location(session, kind="store", owner_partner_code=a.code, province="浙江")
        a_sh = factories.location(session, kind="store", owner_partner_code=a.code, province="上海")
        b_gd = factories.location(session, kind="store", owner_partner_code=b.code, province="广东")
        dc = factories.location(session)
        tea = factories.product(session)
        cup = factories.product(session)

    for row in (MapPriceCreate(sku=Net.tea.sku, channel_code=Net.ecom.code, min_price=Decimal(40),
                               effective_from=date(2025, 1, 1)),
                MapPriceCreate(sku=Net.tea.sku, channel_code=Net.ecom.code, min_price=Decimal(50),
                               effective_from=date(2026, 1, 1)),
                MapPriceCreate(sku=Net.tea.sku, channel_code=Net.dist.code, min_price=Decimal(30),
                               effective_from=date(2025, 1, 1), effective_to=date(2026, 12, 31))):
        rules.create_map_price(session, ADMIN, row)
    for province in ("浙江", "江苏"):
        rules.create_territory(session, ADMIN, TerritoryCreate(partner_code=Net.a.code, province=province))
    return Net


MARCH = datetime(2026, 3, 10, 9, tzinfo=UTC)


def test_planted_map_and_territory_conflicts_are_flagged_with_evidence(session, net) -> None:  # type: ignore[no-untyped-def]
    below = place(session, net, net.a, net.ecom, net.a_zj, "45", MARCH)       # 45 < MAP 50
    outside = place(session, net, net.a, net.ecom, net.a_sh, "55", MARCH)     # 上海 not in 浙江/江苏
    place(session, net, net.b, net.dist, net.b_gd, "35", MARCH)               # clean: >= 30, B unrestricted
    place(session, net, net.a, net.ecom, net.a_zj, "45", datetime(2025, 6, 1, tzinfo=UTC))  # old MAP 40 in force
    place(session, net, net.a, net.ecom, net.a_zj, "50", MARCH)               # exactly the MAP: not below

    report = service.detect_conflicts(session, ADMIN, start=date(2025, 1, 1), end=date(2026, 3, 31),
                                      kinds=["map", "territory"])
    assert report.counts == {"map": 1, "territory": 1}
    (map_item,) = [i for i in report.items if i.kind == "map"]
    assert (map_item.sku, map_item.channel_code, map_item.partner_code) == (net.tea.sku, net.ecom.code, net.a.code)
    evidence = map_item.evidence[0]
    assert evidence["order_id"] == below.id and evidence["unit_price"] == 45 and evidence["min_price"] == 50
    assert evidence["shortfall"] == 5 and evidence["day"] == "2026-03-10"
    (territory,) = [i for i in report.items if i.kind == "territory"]
    assert territory.evidence[0]["order_id"] == outside.id
    assert territory.evidence[0]["province"] == "上海" and territory.evidence[0]["allowed"] == ["江苏", "浙江"]


def test_cannibalisation_flags_the_rising_and_falling_channel_pair(session, net) -> None:  # type: ignore[no-untyped-def]
    first = date(2026, 1, 5)  # 8 prior weeks from here, then 4 recent weeks ending Sunday 2026-03-29
    weekly_sales(session, net.tea, net.ecom, net.dc, first, [10] * 8 + [20] * 4)   # +100 %
    weekly_sales(session, net.tea, net.dist, net.dc, first, [10] * 8 + [5] * 4)    # -50 %
    weekly_sales(session, net.cup, net.ecom, net.dc, first, [10] * 8 + [12] * 4)   # +20 %: below the rise
    weekly_sales(session, net.cup, net.dist, net.dc, first, [10] * 12)             # flat
    report = service.detect_conflicts(session, ADMIN, start=date(2026, 3, 1), end=date(2026, 3, 29),
                                      kinds=["cannibalisation"])
    assert report.counts == {"cannibalisation": 1}
    item = report.items[0]
    assert (item.sku, item.channel_code) == (net.tea.sku, net.ecom.code)
    head = item.evidence[0]
    assert head == {"losing_channel": net.dist.code, "gain_prior": 10, "gain_recent": 20,
                    "loss_prior": 10, "loss_recent": 5}
    assert len(item.evidence) == 1 + 24  # 12 weeks x 2 channels of weekly evidence


def test_clean_data_raises_no_flag(session, net) -> None:  # type: ignore[no-untyped-def]
    place(session, net, net.a, net.ecom, net.a_zj, "60", MARCH)
    place(session, net, net.b, net.dist, net.b_gd, "30", MARCH)
    first = date(2026, 1, 5)
    weekly_sales(session, net.tea, net.ecom, net.dc, first, [10] * 12)
    weekly_sales(session, net.tea, net.dist, net.dc, first, [11, 9] * 6)
    report = service.detect_conflicts(session, ADMIN, start=date(2026, 3, 1), end=date(2026, 3, 29))
    assert report.items == [] and report.counts == {"map": 0, "territory": 0, "cannibalisation": 0}


def test_partner_sees_only_its_own_conflicts_over_http(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    place(session, net, net.a, net.ecom, net.a_zj, "45", MARCH)
    place(session, net, net.a, net.ecom, net.a_sh, "55", MARCH)
    weekly_sales(session, net.tea, net.ecom, net.dc, date(2026, 1, 5), [10] * 8 + [20] * 4)
    weekly_sales(session, net.tea, net.dist, net.dc, date(2026, 1, 5), [10] * 8 + [5] * 4)
    url = "/api/v1/channel-conflicts?start=2026-03-01&end=2026-03-29"
    staff = client.get(url, headers=factories.headers(settings, factories.user(session, "viewer")))
    assert staff.status_code == 200 and staff.json()["counts"] == {"map": 1, "territory": 1, "cannibalisation": 1}
    mine = client.get(url, headers=factories.headers(settings, factories.user(session, "partner", net.a.code)))
    assert mine.status_code == 200
    assert sorted(i["kind"] for i in mine.json()["items"]) == ["map", "territory"]  # cannibalisation: staff only
    other = client.get(url, headers=factories.headers(settings, factories.user(session, "partner", net.b.code)))
    assert other.status_code == 200 and other.json()["items"] == []
    bad = client.get("/api/v1/channel-conflicts?start=2026-03-29&end=2026-03-01",
                     headers=factories.headers(settings, factories.user(session, "viewer")))
    assert bad.status_code == 422 and "end" in bad.text


def test_map_price_and_territory_crud_and_refusals(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    planner = factories.headers(settings, factories.user(session, "planner"))
    body = {"sku": net.cup.sku, "channel_code": net.ecom.code, "min_price": "12.5", "effective_from": "2026-01-01"}
    created = client.post("/api/v1/map-prices", json=body, headers=planner)
    assert created.status_code == 201, created.text
    map_id = created.json()["id"]
    assert client.post("/api/v1/map-prices", json=body, headers=planner).status_code == 409
    assert client.post("/api/v1/map-prices", json={**body, "sku": "NOPE"}, headers=planner).status_code == 422
    backwards = client.post("/api/v1/map-prices", json={**body, "effective_to": "2025-01-01"}, headers=planner)
    assert backwards.status_code == 422
    patched = client.patch(f"/api/v1/map-prices/{map_id}", json={"min_price": "13"}, headers=planner)
    assert patched.status_code == 200 and Decimal(patched.json()["min_price"]) == 13
    listed = client.get(f"/api/v1/map-prices?sku={net.cup.sku}", headers=planner).json()
    assert [r["id"] for r in listed] == [map_id]
    assert client.delete(f"/api/v1/map-prices/{map_id}", headers=planner).status_code == 200
    assert client.get(f"/api/v1/map-prices/{map_id}", headers=planner).status_code == 404

    added = client.post("/api/v1/territories", json={"partner_code": net.b.code, "province": "广东"}, headers=planner)
    assert added.status_code == 201
    again = client.post("/api/v1/territories", json={"partner_code": net.b.code, "province": "广东"}, headers=planner)
    assert again.status_code == 409
    partner_a = factories.headers(settings, factories.user(session, "partner", net.a.code))
    seen = client.get("/api/v1/territories", headers=partner_a).json()
    assert {r["partner_code"] for r in seen} == {net.a.code}  # never B's
    assert client.post("/api/v1/territories", json={"partner_code": net.a.code, "province": "上海"},
                       headers=partner_a).status_code == 403
    assert client.delete(f"/api/v1/territories/{added.json()['id']}", headers=planner).status_code == 200
