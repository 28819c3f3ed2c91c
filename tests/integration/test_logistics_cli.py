"""``qudao logistics``: tracking import, the late check and a route plan from the command line, with bad
input refused cleanly (no traceback, nothing stored)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from qudao.cli import context
from qudao.common.actor import SYSTEM
from qudao.db import unit_of_work, utcnow
from qudao.logistics import routes, service
from qudao.logistics.schemas import VehicleIn
from tests.cli import run_cli as run
from tests.integration import logistics_world as lw


def test_logistics_commands(cli_db: str, tmp_path: Path) -> None:
    with unit_of_work(context.session_factory()) as session:
        world = lw.build(session)
        late = lw.freight(session, world, world.east_customer, world.east_store, service_code="LG-STD",
                          tracking_number="ZT-CLI", promised_date=utcnow().date() - timedelta(days=2))
        lw.route_day(session, world, date(2026, 3, 10), [None, None], [10, 10])
        routes.create_vehicle(session, SYSTEM, VehicleIn(code="CLI-VAN", depot_code=world.dc.code,
                                                         capacity_weight_kg=100, capacity_volume_m3=5))
        late_id = late.id
    bad = tmp_path / "bad.csv"
    bad.write_text("tracking_number,status,occurred_at\nZT-NOPE,in_transit,2026-03-02T10:00:00+00:00\n")
    code, out = run("logistics", "import-events", str(bad), "--carrier", "LG-ZTO")
    assert code == 2 and "ZT-NOPE" in out
    good = tmp_path / "good.csv"
    good.write_text("tracking_number,status,occurred_at,event_id\nZT-CLI,picked_up,2026-03-02T10:00:00+00:00,c1\n")
    code, out = run("logistics", "import-events", str(good), "--carrier", "LG-ZTO")
    assert code == 0 and "1 event(s) received, 0 duplicate(s), 1 changed a status" in out
    assert run("logistics", "import-events", str(good), "--carrier", "LG-ZTO")[1].startswith(
        "1 event(s) received, 1 duplicate(s), 0 changed")
    # The tracking update already flagged the overdue shipment; the daily check finds nothing new.
    assert run("logistics", "late-check")[1] == "0 shipment(s) newly flagged late"
    with unit_of_work(context.session_factory()) as session:
        freight = service.get_freight(session, SYSTEM, late_id)
        assert (freight.status, freight.late_flagged) == ("picked_up", True)
    code, out = run("logistics", "plan", "--depot", world.dc.code, "--date", "2026-03-10", "--seconds", "0.5")
    assert code == 0 and "2 stop(s)" in out
    assert run("logistics", "plan", "--depot", "NOPE", "--date", "2026-03-10")[0] == 2
    assert run("logistics", "plan", "--depot", "LG-DC", "--date", "10/03/2026")[0] == 2
