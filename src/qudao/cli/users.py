"""``qudao users``: create, list, disable users and issue API keys."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.table import Table

from qudao.auth import service
from qudao.auth.schemas import UserCreate
from qudao.cli.context import command_transaction, console, fail
from qudao.common.actor import SYSTEM
from qudao.common.listing import ListParams

app = typer.Typer(help="Manage users and API keys.", no_args_is_help=True)


@app.command("create")
def create(
    username: str = typer.Option(..., help="Login name"),
    password: str = typer.Option(..., prompt=True, hide_input=True, help="At least 8 characters"),
    role: str = typer.Option(..., help="admin, planner, sales, warehouse, viewer or partner"),
    partner: str | None = typer.Option(None, help="Partner code (required for role 'partner')"),
    full_name: str = typer.Option("", help="Display name"),
) -> None:
    try:
        data = UserCreate(username=username, password=password, role=role, partner_code=partner,
                          full_name=full_name)
    except ValidationError as exc:
        raise fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
    with command_transaction() as session:
        user = service.create_user(session, SYSTEM, data)
        console.print(f"created user [bold]{user.username}[/] with role {user.role}")


@app.command("list")
def list_users(include_disabled: bool = typer.Option(False, help="Show disabled users too")) -> None:
    with command_transaction() as session:
        rows, total = service.list_users(
            session, SYSTEM, ListParams(page_size=500, include_archived=include_disabled)
        )
        table = Table("username", "role", "partner id", "active", "last login")
        for user in rows:
            table.add_row(user.username, user.role, str(user.partner_id or ""), "yes" if user.is_active else "no",
                          user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else "")
        console.print(table)
        console.print(f"{total} user(s)")


@app.command("disable")
def disable(username: str) -> None:
    with command_transaction() as session:
        service.disable_user(session, SYSTEM, username)
        console.print(f"disabled user [bold]{username}[/]")


@app.command("api-key")
def api_key(username: str, name: str = typer.Option("cli", help="A label for the key")) -> None:
    """Issue an API key for USERNAME; the secret is printed once."""
    with command_transaction() as session:
        key, secret = service.create_api_key(session, SYSTEM, username, name)
        console.print(f"API key {key.prefix} for {username}:")
        console.print(secret, highlight=False)
