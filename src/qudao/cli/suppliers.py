"""``qudao suppliers``: refresh the supplier scorecards (e.g. nightly), list them, and print measured
lead times per supplier x item."""

from __future__ import annotations

from datetime import date

import typer
from pydantic import ValidationError
from rich.table import Table

from qudao.cli.context import command_transaction, console, fail
from qudao.common.actor import SYSTEM
from qudao.common.listing import ListParams
from qudao.suppliers import service
from qudao.suppliers.schemas import RefreshIn

app = typer.Typer(help="Supplier scorecards and lead times.", no_args_is_help=True)


def _text(value: object) -> str:
    return "—" if value is None else f"{float(value):.2f}"  # type: ignore[arg-type]


@app.command()
def refresh(
    as_of: str = typer.Option(None, "--as-of", help="Last day counted, YYYY-MM-DD (default today)"),
    months: int = typer.Option(12, help="Trailing months of purchase orders in the current scorecard"),
) -> None:
    """Recompute every supplier's scorecard and its monthly trend."""
    try:
        data = RefreshIn(as_of=date.fromisoformat(as_of) if as_of else None, months=months)
    except (ValueError, ValidationError) as exc:
        raise fail(f"--as-of/--months: {exc}".splitlines()[0]) from None
    with command_transaction() as session:
        result = service.refresh_scorecards(session, SYSTEM, data)
    console.print(f"scorecards as of {result.as_of}: {result.suppliers} supplier(s), "
                  f"{result.periods} supplier-month(s)")


@app.command("list")
def list_scorecards(limit: int = typer.Option(50, min=1, max=500, help="Rows to show")) -> None:
    """Current scorecards, best first."""
    with command_transaction() as session:
        rows, total = service.list_scorecards(session, SYSTEM, ListParams(page_size=limit))
        table = Table()
        for name in ("supplier", "score", "grade", "tier"):
            table.add_column(name, no_wrap=True)
        for name in ("OTIF%", "rej%", "price%", "LT d", "resp h"):
            table.add_column(name, justify="right")
        for c in rows:
            table.add_row(c.supplier_code, _text(c.score), c.grade or "—", c.tier or "—", _text(c.otif_pct),
                          _text(c.rejection_pct), _text(c.price_variance_pct), _text(c.lead_time_mean_days),
                          _text(c.response_hours))
    console.print(table)
    console.print(f"{total} supplier(s)")


@app.command("lead-times")
def lead_times(supplier: str = typer.Option(None, help="Supplier code"),
               sku: str = typer.Option(None, help="Item SKU")) -> None:
    """Measured lead times (days from sending the order to receiving the line in full) per supplier x item."""
    with command_transaction() as session:
        frame = service.lead_time_stats(session, SYSTEM, supplier_codes=[supplier] if supplier else None,
                                        skus=[sku] if sku else None)
    table = Table()
    for name in ("supplier", "sku"):
        table.add_column(name, no_wrap=True)
    for name in ("mean d", "std d", "n", "last d"):
        table.add_column(name, justify="right")
    for row in frame.iter_rows(named=True):
        table.add_row(row["supplier_code"], row["sku"], _text(row["mean_days"]), _text(row["std_days"]),
                      str(row["n"]), _text(row["last_days"]))
    console.print(table)
