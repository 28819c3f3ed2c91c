"""``qudao production``: the schedule of a resource as a table (and saved), the weekly load, a BOM explosion,
and a clean refusal for an unknown resource."""

from __future__ import annotations

from decimal import Decimal

from qudao.cli import context
from qudao.common.actor import SYSTEM
from qudao.db import unit_of_work
from qudao.production import service, work_orders
from qudao.production.schemas import BomLineCreate, ResourceCreate, RoutingCreate
from tests import factories
from tests.cli import run_cli as run


def test_schedule_load_and_explosion_from_the_command_line(cli_db: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(context.console, "width", 200)  # the table's columns uncut
    with unit_of_work(context.session_factory()) as session:
        factories.location(session, code="PLANT", kind="plant")
        for sku in ("JAM", "JAR", "FRUIT"):
            factories.product(session, sku=sku)
        service.create_resource(session, SYSTEM, ResourceCreate(code="FILL", name="Filler", location_code="PLANT",
                                                                hours_per_day=Decimal(8)))
        service.create_routing(session, SYSTEM, RoutingCreate(sku="JAM", resource_code="FILL", family="RED",
                                                              setup_hours=Decimal(2), run_hours_per_unit=Decimal(1)))
        service.create_bom_line(session, SYSTEM, BomLineCreate(parent_sku="JAM", component_sku="JAR",
                                                               quantity_per=Decimal(1), scrap_pct=Decimal(2)))
        work_orders.create_work_orders(session, [
            {"code": "WO-A", "sku": "JAM", "location_code": "PLANT", "quantity": "10", "due_date": "2026-03-03"},
            {"code": "WO-B", "sku": "JAM", "location_code": "PLANT", "quantity": "20", "due_date": "2026-03-03"}],
            SYSTEM)
    # 8 h every day: 2 + 10 h = 12 h (Mon-Tue), then 2 + 20 h = 22 h (Tue-Fri), due Tue: WO-B 3 days late.
    code, out = run("production", "schedule", "--resource", "FILL", "--start", "2026-03-02", "--save")
    assert code == 0, out
    assert "WO-A" in out and "2026-03-06" in out and "late: WO-B; saved" in out
    with unit_of_work(context.session_factory()) as session:
        assert work_orders.get_work_order(session, SYSTEM, "WO-B").planned_end.isoformat() == "2026-03-06"
    code, out = run("production", "load", "--from", "2026-03-02", "--weeks", "1")
    assert code == 0 and "FILL" in out and "34.0" in out and "56.0" in out
    code, out = run("production", "explode", "JAM", "--quantity", "50")
    assert code == 0 and "JAR" in out and "51" in out
    code, out = run("production", "schedule", "--resource", "NOPE")
    assert code == 2 and "resource NOPE not found" in out
