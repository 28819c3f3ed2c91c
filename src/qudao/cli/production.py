"""``qudao production``: the work-order sequence on a resource, the weekly capacity load and a BOM
explosion, printed as tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import typer
from rich.table import Table

from qudao.cli.context import command_transaction, console, fail
from qudao.common.actor import SYSTEM
from qudao.production import schedule as production_schedule

app = typer.Typer(help="Production: schedules, capacity load and bills of materials.", no_args_is_help=True)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: expected a date like 2026-03-02, got {value!r}") from None


@app.command("schedule")
def schedule(
    resource: str = typer.Option(..., "--resource", help="Resource (work centre) code"),
    start: str | None = typer.Option(None, help="First day of the schedule (default: today)"),
    batch_window: int = typer.Option(production_schedule.DEFAULT_BATCH_WINDOW_DAYS, min=0, max=60,
                                     help="Days an order of the running family may jump ahead to save a changeover"),
    save: bool = typer.Option(False, "--save", help="Write planned start, end and sequence to the work orders"),
) -> None:
    """Print the sequence of the open work orders on a resource: changeovers, start and end days, lateness."""
    first = _day(start, "--start")
    with command_transaction() as session:
        fn = production_schedule.save_schedule if save else production_schedule.schedule_for
        plan = fn(session, SYSTEM, resource, start=first, batch_window_days=batch_window)
        table = Table(title=f"Schedule of {plan.resource.code} from {plan.start} "
                            f"({plan.hours_per_day:g} h a working day)")
        for name, justify in (("#", "right"), ("Work order", "left"), ("Family", "left"), ("Changeover h", "right"),
                              ("Hours", "right"), ("Start", "left"), ("End", "left"), ("Due", "left"),
                              ("Late days", "right")):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for r in plan.orders.iter_rows(named=True):
            flags = (" [bold red]RUSH[/]" if r["rush"] else "") + (" [cyan]running[/]" if r["in_progress"] else "")
            late = f"[red]{r['lateness_days']}[/]" if r["late"] else "0"
            table.add_row(str(r["sequence"]), r["order_id"] + flags, r["family"], f"{r['changeover_hours']:g}",
                          f"{r['hours']:g}", str(r["start_day"]), str(r["end_day"]), str(r["due"]), late)
        console.print(table)
        late = plan.late
        console.print(f"{plan.orders.height} work orders; late: {', '.join(late) if late else 'none'}"
                      + ("; saved" if save else ""))


@app.command("load")
def load(
    weeks: int = typer.Option(8, min=1, max=104, help="Weeks to show"),
    first_week: str | None = typer.Option(None, "--from", help="A day in the first week (default: this week)"),
    resource: str | None = typer.Option(None, "--resource", help="Only this resource"),
) -> None:
    """Rough-cut load of the open work orders vs capacity per resource and week; overloads in red."""
    with command_transaction() as session:
        result = production_schedule.capacity_load(session, SYSTEM, first_week=_day(first_week, "--from"),
                                                   weeks=weeks, resource_code=resource)
    table = Table(title=f"Capacity load from the week of {result.first_week}")
    for name in ("Resource", "Week", "Load h", "Capacity h", "Utilisation", "Overload h"):
        table.add_column(name, justify="left" if name in ("Resource", "Week") else "right")
    for r in result.rows.iter_rows(named=True):
        style = "bold red" if r["overloaded"] else None
        util = "-" if r["utilisation"] is None else f"{r['utilisation']:.0%}"
        table.add_row(r["resource"], str(r["week_start"]), f"{r['load_hours']:.1f}", f"{r['capacity_hours']:.1f}",
                      util, f"{r['overload_hours']:.1f}", style=style)
    console.print(table)
    console.print(f"{result.overloads.height} overloaded resource-weeks")


@app.command("explode")
def explode(sku: str, quantity: str = typer.Option("1", help="Quantity of the item to make")) -> None:
    """Multi-level requirements of a product (component scrap included), as an indented tree."""
    try:
        qty = Decimal(quantity)
    except InvalidOperation:
        raise fail(f"--quantity: not a number: {quantity!r}") from None
    if not qty.is_finite() or qty <= 0:
        raise fail("--quantity: must be greater than 0")
    with command_transaction() as session:
        result, as_of = production_schedule.explode_bom(session, SYSTEM, sku, qty)
    table = Table(title=f"{quantity} x {sku} on {as_of}")
    for name in ("Component", "Qty per", "Scrap %", "Required"):
        table.add_column(name, justify="left" if name == "Component" else "right")
    for r in result.rows:
        table.add_row("  " * (r.level - 1) + r.component, f"{r.quantity_per.normalize():f}",
                      f"{r.scrap_pct.normalize():f}", f"{r.required.normalize():f}")
    console.print(table)
