"""``qudao logistics``: the daily jobs of logistics from the command line (cron-friendly): flag late freight,
import carriers' tracking files, plan a depot's delivery routes."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer
from rich.table import Table

from qudao.cli.context import command_transaction, console, fail, settings
from qudao.common.actor import SYSTEM
from qudao.logistics import routes, service, tracking
from qudao.logistics.schemas import RoutePlanIn

app = typer.Typer(help="Carriers, tracking and delivery routes.", no_args_is_help=True)


@app.command("late-check")
def late_check() -> None:
    """Flag freight past its ETA or promised date and raise "late" on its orders."""
    with command_transaction() as session:
        flagged = service.flag_late(session, SYSTEM)
    console.print(f"{flagged} shipment(s) newly flagged late")


@app.command("import-events")
def import_events(
    file: Path = typer.Argument(..., help="CSV: tracking_number, status, occurred_at (+ carrier_code, event_id, ...)"),
    carrier: str | None = typer.Option(None, help="Carrier code when the file has no carrier_code column"),
) -> None:
    """Import tracking events; nothing is stored if any row is wrong (each one is listed)."""
    if not file.is_file():
        raise fail(f"{file}: no such file")
    if file.stat().st_size > settings().import_max_bytes:
        raise fail(f"{file}: larger than {settings().import_max_bytes} bytes")
    with command_transaction() as session:
        result = tracking.import_csv(session, SYSTEM, file.read_bytes(), carrier)
    console.print(f"{result.received} event(s) received, {result.duplicates} duplicate(s), "
                  f"{result.applied} changed a status")


@app.command("plan")
def plan(
    depot: str = typer.Option(..., help="Depot location code"),
    day: str = typer.Option(..., "--date", help="Delivery day (YYYY-MM-DD)"),
    seconds: float = typer.Option(5.0, help="Search time budget"),
) -> None:
    """Plan the day's delivery routes from a depot and print the trips."""
    try:
        plan_date: date = datetime.strptime(day, "%Y-%m-%d").date()
    except ValueError:
        raise fail("--date: use YYYY-MM-DD") from None
    if not 0 < seconds <= 600:
        raise fail("--seconds: between 0 and 600")
    with command_transaction() as session:
        made = routes.plan_routes(session, SYSTEM, RoutePlanIn(depot_code=depot, plan_date=plan_date,
                                                               seconds=min(seconds, 120)))
        table = Table("trip", "vehicle", "stops", "km", "kg", title=f"plan {made.id}: {made.stops} stop(s)")
        for trip in made.trips:
            order = " > ".join(str(s.freight_shipment_id) for s in trip.stops)
            table.add_row(str(trip.id), str(trip.vehicle_id), order, str(trip.distance_km), str(trip.load_weight_kg))
        unserved = list(made.unserved)
    console.print(table)
    for u in unserved:
        console.print(f"[yellow]unserved[/] {u['freight_shipment_id']}: {u['reason']}", highlight=False)
