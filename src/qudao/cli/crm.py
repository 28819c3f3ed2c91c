"""``qudao crm``: jobs of the customer-relationship area run from cron (ticket escalation, overdue tasks)."""

from __future__ import annotations

from datetime import date

import typer

from qudao.cli.context import command_transaction, console, fail
from qudao.common.actor import SYSTEM
from qudao.crm import interactions
from qudao.crm import service as tickets

app = typer.Typer(help="Customer relationships: ticket escalation and sales task reminders.", no_args_is_help=True)


@app.command("escalate")
def escalate() -> None:
    """Escalate every open ticket whose SLA target (first response or resolution) is breached; safe to rerun."""
    with command_transaction() as session:
        checked, escalated = tickets.escalate_breached(session, SYSTEM)
    console.print(f"{checked} active ticket(s) checked, {len(escalated)} escalated"
                  + (f": {', '.join(f'TK{i:08d}' for i in escalated)}" if escalated else ""), highlight=False)


@app.command("overdue-tasks")
def overdue_tasks(on: str = typer.Option("", help="Day to compare due dates with (YYYY-MM-DD); default today")) -> None:
    """List open sales tasks due before the day."""
    try:
        day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        raise fail(f"--on {on!r}: expected a date YYYY-MM-DD") from None
    with command_transaction() as session:
        rows = interactions.list_tasks(session, SYSTEM, overdue_on=day)
        lines = [f"{t.due_date} #{t.id} {t.title} (user {t.assignee_user_id})" for t in rows]
    console.print(f"{len(lines)} overdue task(s)", highlight=False)
    for line in lines:
        console.print(line, highlight=False)
