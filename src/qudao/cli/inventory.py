"""``qudao inventory``: check the ledger, show balances, expire lots, value stock."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from qudao.cli.context import command_transaction, console, fail
from qudao.common.actor import SYSTEM
from qudao.common.listing import ListParams
from qudao.inventory import queries, service

app = typer.Typer(help="Stock ledger and balances.", no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Recompute every balance from the ledger and report drift (exit code 1 when any is found)."""
    with command_transaction() as session:
        drift = service.verify_ledger(session, SYSTEM)
    if not drift:
        console.print("[green]ledger and balances agree[/]")
        return
    table = Table("scope", "product id", "location id", "lot id", "bucket", "balance", "ledger", "difference")
    for d in drift:
        table.add_row(d.scope, str(d.product_id or ""), str(d.location_id), str(d.lot_id or ""), d.bucket,
                      str(d.balance), str(d.ledger), str(d.difference))
    console.print(table)
    console.print(f"[bold red]{len(drift)} drifted bucket(s)[/]")
    raise typer.Exit(1)


@app.command("balances")
def balances(
    sku: str | None = typer.Option(None, help="Only this SKU"),
    location: str | None = typer.Option(None, help="Only this location code"),
    limit: int = typer.Option(100, min=1, max=500, help="Rows to show"),
) -> None:
    """Show stock balances (on hand, reserved, available, in transit, on order, value)."""
    with command_transaction() as session:
        rows, total = queries.list_balances(session, SYSTEM, ListParams(page_size=limit), sku=sku,
                                            location=location)
        table = Table("sku", "location", "on hand", "reserved", "expired", "available", "in transit", "on order",
                      "value")
        for b in rows:
            table.add_row(b.sku, b.location_code, str(b.on_hand), str(b.reserved), str(b.expired), str(b.available),
                          str(b.in_transit), str(b.on_order), str(b.value))
    console.print(table)
    console.print(f"{total} balance(s)")


@app.command("expire")
def expire() -> None:
    """Move stock of lots past their expiry date out of available stock."""
    with command_transaction() as session:
        count = service.expire_lots(session, SYSTEM)
    console.print(f"expired {count} lot balance(s)")


@app.command("value")
def value(
    as_of: str | None = typer.Option(None, help="ISO date-time (UTC if no offset); default now"),
    group_by: str = typer.Option("location", help="location, category, channel or product"),
) -> None:
    """Inventory value at a date, from the ledger."""
    when = None
    if as_of:
        try:
            when = datetime.fromisoformat(as_of)
        except ValueError:
            raise fail(f"as_of: not an ISO date-time: {as_of!r}") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    with command_transaction() as session:
        result = queries.valuation(session, SYSTEM, as_of=when, group_by=group_by)
    table = Table(group_by, "quantity", "value")
    for r in result.rows:
        table.add_row(r.group, str(r.quantity), str(r.value))
    console.print(table)
    console.print(f"total {result.total_value} ({result.method}) as of {result.as_of.isoformat(timespec='seconds')}")
