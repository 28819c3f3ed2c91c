"""Production through the API on both databases: BOM explosion on a hand-worked 3-level structure with scrap,
BOM cycles and zero capacity refused, capacity overload, the schedule with changeovers and a rush insertion,
production reports that move stock exactly (or nothing at all), and bulk work orders for plan approval."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from qudao.catalog.models import Product
from qudao.common.actor import SYSTEM
from qudao.inventory.models import StockBalance, StockMovement
from qudao.production import work_orders
from tests import factories

D = Decimal
API = "/api/v1"


def _post(client: TestClient, h: dict[str, str], path: str, body: dict, status: int = 201) -> dict:
    response = client.post(f"{API}{path}", json=body, headers=h)
    assert response.status_code == status, response.text
    return response.json()


def _bom(client: TestClient, h, lines: list[tuple]) -> None:  # type: ignore[no-untyped-def]
    for parent, component, qty, *scrap in lines:
        _post(client, h, "/boms", {"parent_sku": parent, "component_sku": component, "quantity_per": qty,
                                   "scrap_pct": scrap[0] if scrap else "0"})


def test_bom_explosion_three_levels_with_scrap_and_cycles_refused(client: TestClient, session, settings) -> None:
    h = factories.headers(settings, factories.user(session, "planner"))
    for sku in ("BIKE", "WHEEL", "FRAME", "SPOKE", "RIM", "TUBE", "STEEL"):
        factories.product(session, sku=sku)
    _bom(client, h, [("BIKE", "WHEEL", "2"), ("BIKE", "FRAME", "1", "10"), ("WHEEL", "SPOKE", "36", "5"),
                     ("WHEEL", "RIM", "1"), ("RIM", "STEEL", "0.8"), ("FRAME", "TUBE", "2.5", "4"),
                     ("FRAME", "STEEL", "1.2")])
    out = client.get(f"{API}/boms/explosion", params={"sku": "BIKE", "quantity": "10"}, headers=h).json()
    # wheels 20; spokes 20x36x1.05 = 756; rims 20; frames 10x1.1 = 11; tubes 11x2.5x1.04 = 28.6;
    # steel 20x0.8 + 11x1.2 = 16 + 13.2 = 29.2
    assert {k: D(v) for k, v in out["totals"].items()} == {
        "WHEEL": D(20), "SPOKE": D(756), "RIM": D(20), "STEEL": D("29.2"), "FRAME": D(11), "TUBE": D("28.6")}
    assert [(r["level"], r["component_sku"], D(r["required"])) for r in out["rows"]][:4] == [
        (1, "WHEEL", D(20)), (2, "SPOKE", D(756)), (2, "RIM", D(20)), (3, "STEEL", D(16))]

    cycle = client.post(f"{API}/boms", json={"parent_sku": "STEEL", "component_sku": "BIKE", "quantity_per": "1"},
                        headers=h)
    assert cycle.status_code == 422
    reason = cycle.json()["errors"][0]["reason"]
    assert cycle.json()["errors"][0]["field"] == "component_sku"
    loop = reason.split(": ")[-1].split(" -> ")
    assert loop[0] == loop[-1] and {"STEEL", "BIKE"} <= set(loop), reason
    assert {"WHEEL", "RIM"} <= set(loop) or "FRAME" in loop, reason
    own = client.post(f"{API}/boms", json={"parent_sku": "RIM", "component_sku": "RIM", "quantity_per": "1"},
                      headers=h)
    assert own.status_code == 422 and "RIM" in own.json()["detail"]
    zero = client.post(f"{API}/boms", json={"parent_sku": "RIM", "component_sku": "TUBE", "quantity_per": "0"},
                       headers=h)
    assert zero.status_code == 422 and zero.json()["errors"][0]["field"] == "quantity_per"


def test_zero_capacity_refused_and_overload_reported(client: TestClient, session, settings) -> None:
    h = factories.headers(settings, factories.user(session, "planner"))
    factories.location(session, code="PLANT", kind="plant")
    for bad in ("0", "-2"):
        r = client.post(f"{API}/resources", json={"code": "BAD", "name": "Bad", "location_code": "PLANT",
                                                  "hours_per_day": bad}, headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "hours_per_day"
    # 8 h x 90 % = 7.2 h a day, Monday-Friday: 36 h a week; Wednesday 2026-03-11 is a holiday: 28.8 h.
    _post(client, h, "/resources", {"code": "L1", "name": "Line 1", "location_code": "PLANT", "hours_per_day": "8",
                                    "efficiency": "0.9", "weekdays_off": [5, 6], "non_working_days": ["2026-03-11"]})
    factories.product(session, sku="P1")
    factories.product(session, sku="P2")
    _post(client, h, "/routings", {"sku": "P1", "resource_code": "L1", "setup_hours": "2", "run_hours_per_unit": "0.5"})
    _post(client, h, "/routings", {"sku": "P2", "resource_code": "L1", "setup_hours": "3", "run_hours_per_unit": "1.2"})
    # week 1: 2 + 40 x 0.5 = 22 h and 3 + 10 x 1.2 = 15 h -> 37 h of 36; week 2: 2 + 50 x 0.5 = 27 h of 28.8
    for sku, qty, due in (("P1", "40", "2026-03-03"), ("P2", "10", "2026-03-06"), ("P1", "50", "2026-03-12")):
        _post(client, h, "/work-orders", {"sku": sku, "location_code": "PLANT", "quantity": qty, "due_date": due})
    load = client.get(f"{API}/resources/capacity-load", params={"first_week": "2026-03-02", "weeks": 2},
                      headers=h).json()
    rows = [(r["week_start"], r["load_hours"], round(r["capacity_hours"], 6), r["overloaded"]) for r in load["rows"]]
    assert rows == [("2026-03-02", 37.0, 36.0, True), ("2026-03-09", 27.0, 28.8, False)]
    assert len(load["overloads"]) == 1 and round(load["overloads"][0]["overload_hours"], 6) == 1.0


def test_schedule_with_changeovers_then_rush_insertion(client: TestClient, session, settings) -> None:
    h = factories.headers(settings, factories.user(session, "planner"))
    factories.location(session, code="PLANT", kind="plant")
    _post(client, h, "/resources", {"code": "L2", "name": "Line 2", "location_code": "PLANT", "hours_per_day": "8",
                                    "weekdays_off": [5, 6], "default_changeover_hours": "3"})
    matrix = client.put(f"{API}/resources/L2/changeovers", headers=h, json={"changeovers": [
        {"from_family": "X", "to_family": "Y", "hours": "2"}, {"from_family": "Y", "to_family": "X", "hours": "4"}]})
    assert matrix.status_code == 200 and len(matrix.json()) == 2
    for sku, family in (("PX1", "X"), ("PX2", "X"), ("PY1", "Y"), ("PY2", "Y")):
        factories.product(session, sku=sku, standard_cost=D("2"))
        _post(client, h, "/routings", {"sku": sku, "resource_code": "L2", "family": family,
                                       "run_hours_per_unit": "1"})
    orders = [("W1", "PX1", "8", "2026-03-02"), ("W2", "PY1", "8", "2026-03-04"), ("W3", "PX2", "4", "2026-03-05"),
              ("W4", "PY1", "6", "2026-03-06"), ("W5", "PY2", "12", "2026-03-09")]
    created = work_orders.create_work_orders(session, [
        {"code": c, "sku": s, "location_code": "PLANT", "quantity": q, "due_date": d} for c, s, q, d in orders], SYSTEM)
    assert [w.status for w in created] == ["planned"] * 5 and created[0].resource_code == "L2"
    # W1 is running: 2 of 8 made (no BOM, received at standard cost), 6 h left.
    _post(client, h, "/work-orders/W1/release", {}, 200)
    _post(client, h, "/work-orders/W1/reports", {"quantity": "2"})

    plan = _post(client, h, "/resources/L2/schedule?start=2026-03-02", {}, 200)
    got = [(o["code"], o["start_day"][-2:], o["end_day"][-2:], o["changeover_hours"]) for o in plan["orders"]]
    # W3 (X) joins the running family ahead of W2; one X->Y changeover of 2 h in all.
    assert got == [("W1", "02", "02", 0.0), ("W3", "02", "03", 0.0), ("W2", "03", "04", 2.0),
                   ("W4", "04", "05", 0.0), ("W5", "05", "06", 0.0)]
    assert plan["late"] == []
    w2 = client.get(f"{API}/work-orders/W2", headers=h).json()
    assert (w2["planned_start"], w2["planned_end"], w2["sequence"]) == ("2026-03-03", "2026-03-04", 3)

    rush = _post(client, h, "/work-orders/W5/rush?start=2026-03-02", {}, 200)
    got = [(o["code"], o["start_day"][-2:], o["end_day"][-2:], o["lateness_days"]) for o in rush["schedule"]["orders"]]
    assert got == [("W1", "02", "02", 0), ("W5", "03", "04", 0), ("W2", "04", "05", 1), ("W4", "05", "06", 0),
                   ("W3", "06", "09", 4)]
    assert sorted(rush["became_late"]) == ["W2", "W3"]
    assert rush["work_order"]["rush"] is True
    w3 = client.get(f"{API}/work-orders/W3", headers=h).json()
    assert (w3["planned_end"], w3["sequence"]) == ("2026-03-09", 5)
    again = client.post(f"{API}/work-orders/W5/rush", headers=h)
    assert again.status_code == 409


def _on_hand(session, sku: str) -> D:  # type: ignore[no-untyped-def]
    value = session.scalar(select(StockBalance.on_hand).join(Product, Product.id == StockBalance.product_id)
                           .where(Product.sku == sku))
    return D(value or 0)


def test_production_report_moves_stock_exactly_or_not_at_all(client: TestClient, session, settings) -> None:
    planner = factories.headers(settings, factories.user(session, "planner"))
    warehouse = factories.headers(settings, factories.user(session, "warehouse"))
    viewer = factories.headers(settings, factories.user(session, "viewer"))
    plant = factories.location(session, code="PLANT", kind="plant")
    _post(client, planner, "/resources", {"code": "L3", "name": "Line 3", "location_code": "PLANT",
                                          "hours_per_day": "16"})
    fg, c1, c2 = (factories.product(session, sku=s) for s in ("FG", "C1", "C2"))
    _post(client, planner, "/routings", {"sku": "FG", "resource_code": "L3", "run_hours_per_unit": "0.25"})
    _bom(client, planner, [("FG", "C1", "2"), ("FG", "C2", "0.5", "10")])
    factories.stock(session, c1, plant, 100, unit_cost="3")
    factories.stock(session, c2, plant, 10, unit_cost="8")
    _post(client, planner, "/work-orders", {"code": "WO-FG", "sku": "FG", "location_code": "PLANT",
                                            "quantity": "20", "due_date": "2026-03-10"})
    early = client.post(f"{API}/work-orders/WO-FG/reports", json={"quantity": "1"}, headers=warehouse)
    assert early.status_code == 409  # not released yet
    _post(client, planner, "/work-orders/WO-FG/release", {}, 200)
    assert client.post(f"{API}/work-orders/WO-FG/reports", json={"quantity": "1"}, headers=viewer).status_code == 403

    # 8 made: C1 8 x 2 = 16 at 3 = 48; C2 8 x 0.5 x 1.1 = 4.4 at 8 = 35.2; FG received at 83.2 / 8 = 10.4
    report = _post(client, warehouse, "/work-orders/WO-FG/reports", {"quantity": "8"})
    assert D(report["component_cost"]) == D("83.2")
    assert (_on_hand(session, "C1"), _on_hand(session, "C2"), _on_hand(session, "FG")) == (D(84), D("5.6"), D(8))
    receipt = session.scalars(select(StockMovement).where(StockMovement.product_id == fg.id,
                                                          StockMovement.reference == "WO-FG")).one()
    assert D(receipt.unit_cost) == D("10.4")
    order = client.get(f"{API}/work-orders/WO-FG", headers=planner).json()
    assert (order["status"], D(order["completed_quantity"])) == ("in_progress", D(8))

    # 12 more needs C2 12 x 0.55 = 6.6 (5.6 there); 50 more needs C1 100 (84 there) too: refused, nothing moves.
    movements = session.scalar(select(StockMovement.id).order_by(StockMovement.id.desc()).limit(1))
    short = client.post(f"{API}/work-orders/WO-FG/reports", json={"quantity": "12"}, headers=warehouse)
    assert short.status_code == 409
    assert [e["field"] for e in short.json()["errors"]] == ["components.C2"]
    both = client.post(f"{API}/work-orders/WO-FG/reports", json={"quantity": "50"}, headers=warehouse)
    assert both.status_code == 409 and "C1" in both.json()["detail"] and "C2" in both.json()["detail"]
    session.expire_all()
    assert (_on_hand(session, "C1"), _on_hand(session, "C2"), _on_hand(session, "FG")) == (D(84), D("5.6"), D(8))
    assert session.scalar(select(StockMovement.id).order_by(StockMovement.id.desc()).limit(1)) == movements
    order = client.get(f"{API}/work-orders/WO-FG", headers=planner).json()
    assert (order["status"], D(order["completed_quantity"])) == ("in_progress", D(8))

    # 4 more and close: done with 12 of 20.
    factories.stock(session, c2, plant, 10, unit_cost="8")
    _post(client, warehouse, "/work-orders/WO-FG/reports", {"quantity": "4", "close": True})
    order = client.get(f"{API}/work-orders/WO-FG", headers=planner).json()
    assert (order["status"], D(order["completed_quantity"])) == ("done", D(12))
    assert len(client.get(f"{API}/work-orders/WO-FG/reports", headers=planner).json()) == 2


def test_bulk_work_orders_are_all_or_nothing(client: TestClient, session, settings) -> None:
    h = factories.headers(settings, factories.user(session, "planner"))
    factories.location(session, code="PLANT", kind="plant")
    factories.location(session, code="PLANT2", kind="plant")
    _post(client, h, "/resources", {"code": "L4", "name": "Line 4", "location_code": "PLANT", "hours_per_day": "8"})
    factories.product(session, sku="MADE")
    factories.product(session, sku="BOUGHT")
    _post(client, h, "/routings", {"sku": "MADE", "resource_code": "L4", "run_hours_per_unit": "1"})
    good = {"sku": "MADE", "location_code": "PLANT", "quantity": "5", "due_date": "2026-04-01",
            "source_proposal_id": 77}
    bad = client.post(f"{API}/work-orders/bulk", headers=h, json={"work_orders": [
        good, {**good, "sku": "NO-SUCH"}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "work_orders[1].sku"
    elsewhere = client.post(f"{API}/work-orders/bulk", headers=h, json={"work_orders": [
        good, {**good, "resource_code": "L4", "location_code": "PLANT2"}]})
    assert elsewhere.status_code == 422 and elsewhere.json()["errors"][0]["field"] == "work_orders[1].resource_code"
    assert client.get(f"{API}/work-orders", headers=h).json()["total"] == 0
    # No routing yet: the order waits without a resource (outside schedules and loads) until one is set.
    waiting = _post(client, h, "/work-orders", {**good, "sku": "BOUGHT"})
    assert waiting["resource_code"] is None
    assert client.post(f"{API}/work-orders/{waiting['code']}/rush", headers=h).status_code == 409
    made = _post(client, h, "/work-orders/bulk", {"work_orders": [good, {**good, "quantity": "7"}]})
    assert [(w["resource_code"], w["source_proposal_id"], w["status"]) for w in made] == [("L4", 77, "planned")] * 2
    code = made[0]["code"]
    changed = client.patch(f"{API}/work-orders/{code}", json={"quantity": "9", "due_date": "2026-04-03"}, headers=h)
    assert changed.status_code == 200 and (D(changed.json()["quantity"]), changed.json()["due_date"]) == (
        D(9), "2026-04-03")
    elsewhere = client.patch(f"{API}/work-orders/{code}", json={"resource_code": "NOPE"}, headers=h)
    assert elsewhere.status_code == 422 and elsewhere.json()["errors"][0]["field"] == "resource_code"
    routing = client.get(f"{API}/routings", params={"sku": "MADE"}, headers=h).json()["items"][0]["id"]
    assert client.delete(f"{API}/routings/{routing}", headers=h).status_code == 409  # open orders use it
    _post(client, h, f"/work-orders/{code}/cancel", {"reason": "not needed"}, 200)
    assert client.patch(f"{API}/work-orders/{code}", json={"quantity": "1"}, headers=h).status_code == 409


def test_frames_for_the_planning_run(session) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from qudao.production import queries, service
    from qudao.production.schemas import BomLineCreate, ResourceCreate, RoutingCreate

    factories.location(session, code="PLANT", kind="plant")
    for sku in ("KIT", "CUP", "LID"):
        factories.product(session, sku=sku)
    service.create_resource(session, SYSTEM, ResourceCreate(
        code="LQ", name="Line Q", location_code="PLANT", hours_per_day=D(10), efficiency=D("0.8"),
        weekdays_off=[5, 6], non_working_days=[date(2026, 3, 4)]))
    service.create_routing(session, SYSTEM, RoutingCreate(sku="KIT", resource_code="LQ", family="F",
                                                          setup_hours=D(1), run_hours_per_unit=D("0.1")))
    service.create_bom_line(session, SYSTEM, BomLineCreate(parent_sku="KIT", component_sku="CUP", quantity_per=D(2),
                                                           scrap_pct=D(5)))
    service.create_bom_line(session, SYSTEM, BomLineCreate(parent_sku="KIT", component_sku="LID", quantity_per=D(1),
                                                           effective_from=date(2026, 4, 1)))
    work_orders.create_work_orders(session, [{"code": "WO-Q", "sku": "KIT", "location_code": "PLANT",
                                              "quantity": "50", "due_date": "2026-03-20"}], SYSTEM)
    march = queries.bom_frame(session, SYSTEM, date(2026, 3, 2))
    assert march.height == 1 and march["quantity_per_with_scrap"][0] == pytest.approx(2.1)
    assert queries.bom_frame(session, SYSTEM, date(2026, 4, 1)).height == 2
    routing = queries.routing_frame(session, SYSTEM).row(0, named=True)
    assert (routing["resource_code"], routing["family"], routing["run_hours_per_unit"]) == ("LQ", "F", 0.1)
    # 10 h x 0.8 = 8 h a weekday; the week of 2 March loses Wednesday: 32 h, the next 40 h.
    capacity = queries.resource_capacity(session, SYSTEM, date(2026, 3, 2), 2)
    assert capacity["capacity_hours"].to_list() == pytest.approx([32.0, 40.0])
    receipts = queries.open_work_orders(session, SYSTEM).row(0, named=True)
    assert (receipts["code"], receipts["open_quantity"], str(receipts["due_date"])) == ("WO-Q", 50.0, "2026-03-20")
