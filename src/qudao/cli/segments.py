"""``qudao segments run``: segment every customer (value tiers, RFM, optional CLV and churn) with a progress bar."""

from __future__ import annotations

from datetime import date, datetime

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from qudao.cli.context import command_transaction, console, fail, session_factory
from qudao.common.actor import SYSTEM

app = typer.Typer(help="Customer segmentation runs.", no_args_is_help=True)


@app.command("run")
def run(
    as_of: str | None = typer.Option(None, help="Judge customers as of YYYY-MM-DD (default today)"),
    clv: bool = typer.Option(False, "--clv/--no-clv", help="Fit BG/NBD + Gamma-Gamma for CLV and churn (slower)"),
) -> None:
    """Queue a run, execute it here with a progress bar, and print the customers per tier and segment."""
    from qudao.db import unit_of_work
    from qudao.segments import service
    from qudao.segments.schemas import SegmentationRunCreate

    day: date | None = None
    if as_of:
        try:
            day = datetime.strptime(as_of, "%Y-%m-%d").date()
        except ValueError:
            raise fail(f"--as-of: expected YYYY-MM-DD, got {as_of!r}") from None
    with command_transaction() as session:
        run_id = service.start_run(session, SYSTEM, SegmentationRunCreate(as_of=day, with_clv=clv)).id
    factory = session_factory()
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"run {run_id}", total=1.0)

        def moved(step: str, fraction: float) -> None:
            progress.update(task, completed=fraction, description=f"run {run_id}: {step}")

        status = service.execute_run(lambda: unit_of_work(factory), SYSTEM, run_id, on_progress=moved)
    with command_transaction() as session:
        done = service.get_run(session, SYSTEM, run_id)
        summary, error = dict(done.summary), done.error
    if status != "succeeded":
        raise fail(f"run {run_id} failed: {error}")
    counts = summary.get("counts", {})
    console.print(f"run {run_id}: {summary.get('customers')} customers from {summary.get('orders')} orders "
                  f"in {summary.get('seconds')} s")
    for name, values in counts.items():
        console.print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in values.items()))
