"""``qudao loyalty``: credit points for past orders (backfill) and expire due points (a nightly job)."""

from __future__ import annotations

from datetime import date, datetime

import typer

from qudao.cli.context import command_transaction, console, fail
from qudao.common.actor import SYSTEM

app = typer.Typer(help="Loyalty points: backfill accruals, expire due points.", no_args_is_help=True)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise fail(f"--as-of: expected YYYY-MM-DD, got {text!r}") from None


@app.command("backfill")
def backfill(as_of: str | None = typer.Option(None, help="Day the tiers are judged on (default today)")) -> None:
    """Credit every member's orders that earned no points yet (one query, bulk writes), then re-tier them."""
    from qudao.loyalty import ledger

    with command_transaction() as session:
        result = ledger.backfill_accruals(session, SYSTEM, as_of=_day(as_of))
    console.print(f"credited {result['orders']} orders to {result['members']} members: {result['points']} points, "
                  f"{result['tier_changes']} tier changes")


@app.command("expire")
def expire(as_of: str | None = typer.Option(None, help="Expire credits due by this day (default today)")) -> None:
    """Expire points due by AS_OF for every member (oldest credits first) and re-tier everyone."""
    from qudao.loyalty import ledger

    with command_transaction() as session:
        result = ledger.expire_points(session, SYSTEM, _day(as_of))
    console.print(f"expired {result.points_expired} points of {result.members_expired} members as of "
                  f"{result.as_of.isoformat()}; {result.tier_changes} tier changes")
