"""``qudao orders``: list, show, import a CSV/Excel file, the exceptions queue, cancel, reallocate."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from qudao.cli.context import command_transaction, console, fail, settings
from qudao.common.actor import SYSTEM
from qudao.common.listing import ListParams
from qudao.orders import importing, queries, service
from qudao.orders.schemas import ReallocateIn

app = typer.Typer(help="Sales orders: intake, allocation, exceptions.", no_args_is_help=True)


@app.command("list")
def list_orders(
    status: str | None = typer.Option(None, help="Only this status (e.g. backordered, on_hold)"),
    channel: str | None = typer.Option(None, help="Only this channel code"),
    customer: str | None = typer.Option(None, help="Only this customer (partner code)"),
    limit: int = typer.Option(50, min=1, max=500, help="Rows to show"),
) -> None:
    """The most recent orders."""
    with command_transaction() as session:
        rows, total = queries.list_orders(session, SYSTEM, ListParams(page_size=limit), status=status,
                                          channel=channel, customer=customer)
        table = Table("number", "external id", "status", "rush", "promised", "amount", "created")
        for o in rows:
            table.add_row(o.number, o.external_order_id, o.status, "yes" if o.rush else "",
                          o.promised_date.isoformat() if o.promised_date else "", str(o.total_amount),
                          o.created_at.isoformat(timespec="minutes"))
    console.print(table)
    console.print(f"{total} order(s)")


@app.command("show")
def show(order_id: int) -> None:
    """One order: lines with allocated, shipped and backordered quantities, then its timeline."""
    with command_transaction() as session:
        order = service.get_order(session, SYSTEM, order_id)
        console.print(f"[bold]{order.number}[/] {order.external_order_id}  status {order.status}"
                      + (f" ({order.hold_reason})" if order.hold_reason else ""))
        table = Table("line", "product id", "quantity", "allocated", "shipped", "backorder", "cancelled", "returned")
        for line in order.lines:
            table.add_row(str(line.line_no), str(line.product_id), str(line.quantity), str(line.allocated_qty),
                          str(line.shipped_qty), str(line.backorder_qty), str(line.cancelled_qty),
                          str(line.returned_qty))
        console.print(table)
        for event in queries.timeline(session, SYSTEM, order_id):
            console.print(f"  {event.at.isoformat(timespec='seconds')}  {event.kind:<18} {event.message}",
                          highlight=False)


@app.command("import")
def import_file(path: Path = typer.Argument(..., help="A .csv or .xlsx file, one row per order line")) -> None:
    """Book the orders in a file (all or nothing; duplicates of booked orders are skipped)."""
    if not path.is_file():
        raise fail(f"{path}: no such file")
    if path.stat().st_size > settings().import_max_bytes:
        raise fail(f"{path}: larger than {settings().import_max_bytes} bytes")
    with command_transaction() as session:
        result = importing.import_orders(session, SYSTEM, path.read_bytes(), path.name)
    console.print(f"{result.created} order(s) booked, {sum(result.duplicate)} duplicate(s) skipped; "
                  f"{result.lines} line(s), {result.allocated_quantity} unit(s) allocated, "
                  f"{result.backordered_quantity} backordered, {result.on_hold} on credit hold")


@app.command("exceptions")
def exceptions(
    stuck_hours: float = typer.Option(48, help="Hours in one status before an order counts as stuck"),
) -> None:
    """Orders on hold, late against promise, short-shipped or stuck, with the action to resolve each."""
    with command_transaction() as session:
        items = queries.exceptions(session, SYSTEM, stuck_hours=stuck_hours)
    table = Table("kind", "order", "status", "detail", "action")
    for e in items:
        table.add_row(e.kind, e.number, e.status, e.detail, e.action)
    console.print(table)
    console.print(f"{len(items)} exception(s)")


@app.command("cancel")
def cancel(order_id: int, reason: str = typer.Option("", help="Why")) -> None:
    """Cancel what has not shipped; the reservations go to waiting backorders."""
    with command_transaction() as session:
        order = service.cancel_order(session, SYSTEM, order_id, reason=reason)
        console.print(f"{order.number} is now {order.status}")


@app.command("reallocate")
def reallocate(
    order_id: int,
    rule: str | None = typer.Option(None, help="nearest or priority"),
    location: str | None = typer.Option(None, help="Ship everything from this location code"),
) -> None:
    """Release an order's reservations and allocate it again."""
    if rule not in (None, "nearest", "priority"):
        raise fail("rule: use 'nearest' or 'priority'")
    with command_transaction() as session:
        order = service.reallocate_order(session, SYSTEM, order_id,
                                         ReallocateIn(ship_from_rule=rule, location_code=location))  # type: ignore[arg-type]
        console.print(f"{order.number} is now {order.status}")
