"""``qudao plan``: run supply planning with a progress bar, list exceptions and proposals, approve or reject
proposals in bulk."""

from __future__ import annotations

from datetime import date

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from qudao.cli.context import command_transaction, console, fail, session_factory
from qudao.common.actor import SYSTEM
from qudao.planning import approval, queries, service
from qudao.planning.schemas import RunCreate

app = typer.Typer(help="Supply planning: runs, exceptions, proposals and their approval.", no_args_is_help=True)


@app.command("run")
def run(
    bucket: str = typer.Option("week", help="day or week"),
    horizon: int = typer.Option(52, help="Buckets to plan"),
    start: str | None = typer.Option(None, help="First day of bucket 0, YYYY-MM-DD (default: today)"),
    history_days: int = typer.Option(91, help="Demand history window for the average demand"),
    service_level: float | None = typer.Option(None, help="Default cycle service level in (0, 1)"),
    peg: bool | None = typer.Option(None, help="Store pegging rows (default: when at most 250,000 proposals; "
                                    "otherwise pegs are computed when asked for)"),
) -> None:
    """Plan every SKU x location: proposals, pegging, exceptions and projected inventory."""
    try:
        options = RunCreate(bucket=bucket, horizon=horizon, start=date.fromisoformat(start) if start else None,
                            history_days=history_days, default_service_level=service_level, peg=peg)
    except ValueError as exc:
        raise fail(str(exc)) from None
    with command_transaction() as session:
        run_id = service.start_run(session, SYSTEM, options).id
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task("planning", total=1.0)
        done = service.execute_run(session_factory(), run_id, SYSTEM,
                                   progress=lambda step, part: bar.update(task, completed=part, description=step))
    if done.status != "succeeded":
        raise fail(f"planning run {run_id} failed: {done.error}")
    s = done.summary
    console.print(f"planning run [bold]{run_id}[/] planned {s.get('sku_locations', 0):,} SKU-locations x "
                  f"{done.horizon} {done.bucket}s in {s.get('seconds', 0):.1f} s: {s.get('proposals', 0):,} "
                  f"proposals {s.get('by_kind', {})}, {s.get('past_due', 0):,} past due", highlight=False)
    console.print(f"exceptions: {s.get('exceptions', {})}", highlight=False)
    steps = s.get("step_started_at_seconds", {})
    if steps:
        console.print("steps started at: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()), highlight=False)


@app.command("exceptions")
def exceptions(run_id: int | None = typer.Option(None, "--run", help="Default: the latest successful run"),
               limit: int = typer.Option(20)) -> None:
    """Shortages, overloads, late supply and excess, in that order."""
    with command_transaction() as session:
        rows = queries.list_exceptions(session, SYSTEM, run_id=run_id, limit=limit)
    table = Table("kind", "sku", "location", "date", "quantity", "message")
    for e in rows:
        table.add_row(e.kind, e.sku or "", e.location_code or e.resource or "", e.bucket_date.isoformat(),
                      f"{e.quantity:g}", e.message)
    console.print(table)


@app.command("proposals")
def proposals(run_id: int | None = typer.Option(None, "--run"), kind: str | None = typer.Option(None),
              status: str | None = typer.Option(None), limit: int = typer.Option(50)) -> None:
    """Proposals of a run, earliest release first."""
    with command_transaction() as session:
        rows, total = queries.list_proposals(session, SYSTEM, run_id=run_id, kind=kind, status=status,
                                             page_size=min(limit, 500))
    table = Table("id", "kind", "sku", "from", "to", "quantity", "release", "due", "status")
    for p in rows:
        table.add_row(str(p.id), p.kind, p.sku, p.from_location_code or p.supplier_code or "", p.to_location_code,
                      f"{p.quantity:f}".rstrip("0").rstrip("."), p.release_date.isoformat(), p.due_date.isoformat(),
                      p.status + (" (past due)" if p.past_due else ""))
    console.print(table)
    console.print(f"{len(rows)} of {total} proposals", highlight=False)


def _select(session: Session, run_id: int | None, ids: list[int], every: bool, kind: str | None) -> list[int]:
    if ids:
        return ids
    if not every:
        raise fail("give --id (repeat) or --all")
    return queries.open_proposal_ids(session, SYSTEM, run_id=run_id, kind=kind)


@app.command("approve")
def approve(ids: list[int] = typer.Option([], "--id", help="Proposal id; repeat"),
            every: bool = typer.Option(False, "--all", help="Every open proposal of the run"),
            run_id: int | None = typer.Option(None, "--run"), kind: str | None = typer.Option(None)) -> None:
    """Approve proposals: creates draft purchase orders, transfers and work orders."""
    with command_transaction() as session:
        chosen = _select(session, run_id, ids, every, kind)
        if not chosen:
            raise fail("no open proposals to approve")
        rows, codes = approval.approve_proposals(session, SYSTEM, chosen)
    console.print(f"approved {len(rows)} proposals; created {len(codes)} documents: {', '.join(codes[:10])}"
                  f"{' ...' if len(codes) > 10 else ''}", highlight=False)


@app.command("reject")
def reject(ids: list[int] = typer.Option([], "--id", help="Proposal id; repeat"),
           every: bool = typer.Option(False, "--all"), run_id: int | None = typer.Option(None, "--run"),
           kind: str | None = typer.Option(None), reason: str = typer.Option("", help="Why")) -> None:
    """Reject proposals."""
    with command_transaction() as session:
        chosen = _select(session, run_id, ids, every, kind)
        rows = approval.reject_proposals(session, SYSTEM, chosen, reason)
    console.print(f"rejected {len(rows)} proposals", highlight=False)
