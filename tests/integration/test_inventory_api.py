"""Inventory through the API and CLI: corrections, value at a past date, moving average, counts, analytics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from qudao.audit.models import AuditRecord
from qudao.common.actor import SYSTEM
from qudao.config import get_settings
from qudao.inventory import service as inventory
from qudao.inventory.models import StockBalance
from tests import factories

D = Decimal


@pytest.fixture
def moving_average(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QUDAO_VALUATION_METHOD", "moving_average")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_receipt_adjustment_scrap_and_movements_via_api(client: TestClient, session, settings) -> None:
    h = factories.headers(settings, factories.user(session, "warehouse"))
    factories.location(session, code="WH1")
    factories.product(session, sku="BEAN", standard_cost="2")
    r = client.post("/api/v1/inventory/receipts", json={"sku": "BEAN", "location_code": "WH1", "quantity": "10",
                                                        "unit_cost": "3", "reference": "GRN-1"}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()[0]["movement_type"] == "receipt" and D(r.json()[0]["value_delta"]) == D(30)
    lost = client.post("/api/v1/inventory/adjustments", json={"sku": "BEAN", "location_code": "WH1",
                                                              "quantity": "-2", "reason": "rats"}, headers=h)
    assert lost.status_code == 201 and D(lost.json()[0]["value_delta"]) == D(-6)
    scrapped = client.post("/api/v1/inventory/scrap", json={"sku": "BEAN", "location_code": "WH1", "quantity": "1",
                                                           "reason": "wet"}, headers=h)
    assert scrapped.status_code == 201
    too_much = client.post("/api/v1/inventory/scrap", json={"sku": "BEAN", "location_code": "WH1",
                                                           "quantity": "50", "reason": "x"}, headers=h)
    assert too_much.status_code == 409
    unknown = client.post("/api/v1/inventory/adjustments", json={"sku": "NOPE", "location_code": "WH1",
                                                                 "quantity": "1", "reason": "x"}, headers=h)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "sku"
    moves = client.get("/api/v1/inventory/movements", params={"sku": "BEAN", "sort": "id"}, headers=h).json()
    assert [(m["movement_type"], D(m["on_hand_delta"])) for m in moves["items"]] == [
        ("receipt", D(10)), ("adjustment", D(-2)), ("scrap", D(-1))]
    bad_type = client.get("/api/v1/inventory/movements", params={"movement_type": "teleport"}, headers=h)
    assert bad_type.status_code == 422
    viewer = factories.headers(settings, factories.user(session, "viewer"))
    assert client.post("/api/v1/inventory/scrap", json={"sku": "BEAN", "location_code": "WH1", "quantity": "1",
                                                        "reason": "x"}, headers=viewer).status_code == 403


def test_value_by_location_and_category_at_a_past_date(client: TestClient, session, settings) -> None:
    h = factories.headers(settings, factories.user(session, "planner"))
    cat = factories.category(session, code="GRAIN")
    loc = factories.location(session, code="VAL-1")
    p = factories.product(session, sku="WHEAT", category_code=cat.code)
    now = datetime.now(UTC)
    factories.stock(session, p, loc, 10, "5", at=now - timedelta(days=10))
    inventory.issue(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(4), reference="use",
                    at=now - timedelta(days=5))
    factories.stock(session, p, loc, 2, "6")

    def value_at(days_ago: int, group_by: str) -> list[tuple[str, D, D]]:
        body = client.get("/api/v1/inventory/valuation", params={
            "as_of": (now - timedelta(days=days_ago)).isoformat(), "group_by": group_by}, headers=h).json()
        return [(r["group"], D(r["quantity"]), D(r["value"])) for r in body["rows"] if r["group"] in
                ("VAL-1", "GRAIN")]

    assert value_at(7, "location") == [("VAL-1", D(10), D(50))]
    assert value_at(3, "category") == [("GRAIN", D(6), D(30))]
    assert value_at(-1, "location") == [("VAL-1", D(8), D(42))]
    bad = client.get("/api/v1/inventory/valuation", params={"group_by": "colour"}, headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "group_by"


def test_moving_average_cost_of_goods(session, moving_average) -> None:
    p, loc = factories.product(session), factories.location(session)
    factories.stock(session, p, loc, 10, "5")
    factories.stock(session, p, loc, 10, "6")
    inventory.reserve_up_to(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(15), reference="SO")
    shipped = inventory.issue_reserved(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(15),
                                       reference="SO")
    assert shipped.cost == D("82.5")  # 15 x 5.5
    factories.stock(session, p, loc, 5, "7.5")  # 5 left worth 27.5, + 37.5 -> 10 worth 65, average 6.5
    rest = inventory.issue(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(4), reference="x")
    assert rest.cost == D(26)
    assert inventory.verify_ledger(session, SYSTEM) == []


def test_cycle_count_variances_post_only_after_approval(client: TestClient, session, settings) -> None:
    h = factories.headers(settings, factories.user(session, "warehouse"))
    loc = factories.location(session, code="CC-LOC")
    a, b = factories.product(session, sku="CC-A"), factories.product(session, sku="CC-B")
    factories.stock(session, a, loc, 10, "2")
    factories.stock(session, b, loc, 5, "4")
    created = client.post("/api/v1/inventory/counts", json={"code": "CC-1", "location_code": "CC-LOC"}, headers=h)
    assert created.status_code == 201, created.text
    assert [(line["sku"], D(line["expected"])) for line in created.json()["lines"]] == [("CC-A", D(10)),
                                                                                         ("CC-B", D(5))]
    early = client.post("/api/v1/inventory/counts/CC-1/submit", headers=h)
    assert early.status_code == 422  # nothing counted yet
    counted = client.put("/api/v1/inventory/counts/CC-1/lines",
                         json={"lines": [{"sku": "CC-A", "counted": "8"}, {"sku": "CC-B", "counted": "6"}]}, headers=h)
    lines = {line["sku"]: line for line in counted.json()["lines"]}
    assert D(lines["CC-A"]["variance"]) == D(-2) and D(lines["CC-A"]["variance_value"]) == D(-4)
    assert client.post("/api/v1/inventory/counts/CC-1/approve", headers=h).status_code == 409  # not submitted
    assert client.post("/api/v1/inventory/counts/CC-1/submit", headers=h).json()["status"] == "submitted"
    balance_a = session.query(StockBalance).filter_by(product_id=a.id, location_id=loc.id).one()
    assert balance_a.on_hand == D(10)  # nothing posted before approval
    approved = client.post("/api/v1/inventory/counts/CC-1/approve", headers=h)
    assert approved.json()["status"] == "approved" and approved.json()["approved_by"]
    moves = client.get("/api/v1/inventory/movements", params={"reference": "CC-1", "sort": "id"}, headers=h).json()
    assert [(m["sku"], m["movement_type"], D(m["on_hand_delta"])) for m in moves["items"]] == [
        ("CC-A", "count_correction", D(-2)), ("CC-B", "count_correction", D(1))]
    listed = client.get("/api/v1/inventory/counts", params={"location": "CC-LOC"}, headers=h).json()
    assert [(c["code"], c["status"]) for c in listed] == [("CC-1", "approved")]
    trail = session.query(AuditRecord).filter_by(entity="count_sessions", action="approve").all()
    assert len(trail) == 1 and D(trail[0].after["variances"][0]["variance"]) == D(-2)
    assert inventory.verify_ledger(session, SYSTEM) == []


def test_analytics_abc_dead_stock_and_reorder_alerts(client: TestClient, session, settings) -> None:
    h = factories.headers(settings, factories.user(session, "viewer"))
    loc = factories.location(session, code="AN-1")
    fast, mid, slow, dead = (factories.product(session, sku=s) for s in ("AN-FAST", "AN-MID", "AN-SLOW", "AN-DEAD"))
    for product, qty in ((fast, 100), (mid, 100), (slow, 100), (dead, 10)):
        factories.stock(session, product, loc, qty, "1")
    now = datetime.now(UTC)
    # Cost of goods over the window: 80, 15, 5 -> A, B (starts at 80 %), C (starts at 95 %).
    for product, qty in ((fast, 80), (mid, 15), (slow, 5)):
        inventory.issue(session, SYSTEM, product_id=product.id, location_id=loc.id, quantity=D(qty), reference="x",
                        at=now - timedelta(days=3))
    body = client.get("/api/v1/inventory/analytics", params={"location": "AN-1", "window_days": 28,
                                                              "lead_time_days": 14}, headers=h)
    assert body.status_code == 200, body.text
    rows = {r["sku"]: r for r in body.json()["rows"]}
    assert {s: rows[s]["abc"] for s in rows} == {"AN-FAST": "A", "AN-MID": "B", "AN-SLOW": "C", "AN-DEAD": "C"}
    assert rows["AN-DEAD"]["dead"] and not rows["AN-FAST"]["dead"]
    # AN-FAST: 80 in 28 days = 2.857/day; 14 days of lead time needs 40 > 20 available -> alert; DoS = 7.
    assert rows["AN-FAST"]["below_reorder_point"] and rows["AN-FAST"]["days_of_supply"] == 7.0
    assert rows["AN-SLOW"]["excess"]  # 95 left at 5 per 28 days = 532 days of supply
    assert rows["AN-FAST"]["xyz"] == "Z"  # all demand in one week of four
    group = body.json()["groups"][0]
    assert (group["group"], group["items"], group["a_items"], group["below_reorder_point"]) == ("AN-1", 4, 1, 1)
    assert D(group["dead_value"]) == D(10)
    by_channel = client.get("/api/v1/inventory/analytics", params={"location": "AN-1", "group_by": "channel",
                                                                    "window_days": 28}, headers=h).json()
    assert [(g["group"], g["items"]) for g in by_channel["groups"]] == [("(none)", 4)]


def test_partner_sees_only_stock_at_its_own_locations(client: TestClient, session, settings) -> None:
    factories.partner(session, code="PARTNER-X")
    mine = factories.location(session, code="PX-OWN", owner_partner_code="PARTNER-X")
    other = factories.location(session, code="PX-OTHER")
    p = factories.product(session, sku="PX-SKU")
    factories.stock(session, p, mine, 3)
    factories.stock(session, p, other, 7)
    h = factories.headers(settings, factories.user(session, "partner", partner_code="PARTNER-X"))
    items = client.get("/api/v1/inventory/balances", params={"sku": "PX-SKU"}, headers=h).json()["items"]
    assert [(i["location_code"], D(i["on_hand"])) for i in items] == [("PX-OWN", D(3))]
    moves = client.get("/api/v1/inventory/movements", params={"sku": "PX-SKU"}, headers=h).json()
    assert {m["location_code"] for m in moves["items"]} == {"PX-OWN"}
    value = client.get("/api/v1/inventory/valuation", params={"group_by": "location"}, headers=h).json()
    assert [r["group"] for r in value["rows"]] == ["PX-OWN"]
    session.execute(update(StockBalance).where(StockBalance.location_id == other.id).values(reserved=D(1)))
    assert client.get("/api/v1/inventory/verify", headers=h).json() == {"ok": True, "drift": []}
    session.execute(update(StockBalance).where(StockBalance.location_id == mine.id).values(reserved=D(1)))
    assert [d["bucket"] for d in client.get("/api/v1/inventory/verify", headers=h).json()["drift"]] == ["reserved"]
    assert client.post("/api/v1/inventory/adjustments", json={"sku": "PX-SKU", "location_code": "PX-OWN",
                                                              "quantity": "1", "reason": "x"},
                       headers=h).status_code == 403


def test_cli_verify_reports_drift(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qudao import migrate
    from qudao.cli import context
    from qudao.cli.main import app
    from qudao.db import make_engine, make_session_factory, unit_of_work

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("QUDAO_DATABASE_URL", url)
    get_settings.cache_clear()
    context.session_factory.cache_clear()
    try:
        engine = make_engine(url)
        with unit_of_work(make_session_factory(engine)) as s:
            factories.stock(s, factories.product(s, sku="CLI-1"), factories.location(s, code="CLI-L"), 5)
        runner = CliRunner()
        ok = runner.invoke(app, ["inventory", "verify"])
        assert ok.exit_code == 0 and "agree" in ok.output
        listed = runner.invoke(app, ["inventory", "balances", "--sku", "CLI-1"])
        assert listed.exit_code == 0 and "CLI-L" in listed.output
        with unit_of_work(make_session_factory(engine)) as s:
            s.execute(update(StockBalance).values(reserved=D(1)))
        bad = runner.invoke(app, ["inventory", "verify"])
        assert bad.exit_code == 1 and "reserved" in bad.output
        engine.dispose()
    finally:
        get_settings.cache_clear()
        context.session_factory.cache_clear()
