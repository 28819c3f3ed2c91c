"""``qudao db``: migrations."""

from __future__ import annotations

import typer

from qudao import migrate
from qudao.cli.context import command_transaction, console, settings

app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Option("heads", help="Target revision (default: all heads)")) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    migrate.upgrade(settings().database_url, revision)
    console.print(f"database at revision {revision}")


@app.command("revision")
def revision(
    message: str = typer.Option(..., "-m", "--message", help="What the migration changes"),
    autogenerate: bool = typer.Option(True, help="Compare models with the database"),
) -> None:
    """Create a new migration file (developers)."""
    migrate.revision(settings().database_url, message, autogenerate)


def prepare_database() -> None:
    """Migrate, and on an empty database load the demo network so there is something to see."""
    from qudao.auth.service import count_users

    migrate.upgrade(settings().database_url)
    with command_transaction() as session:
        empty = count_users(session) == 0
    if empty:
        from qudao.demo.service import DEMO_LOGINS, load_demo

        console.print("empty database: loading the demo data set (scale small)...")
        load_demo(settings().database_url, scale="small", seed=42)
        console.print("demo logins (username / password):")
        for username, password, role in DEMO_LOGINS:
            console.print(f"  {username:<12} {password:<14} {role}")
