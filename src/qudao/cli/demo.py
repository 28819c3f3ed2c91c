"""``qudao demo``: load the demo channel network and its sell-through history."""

from __future__ import annotations

from datetime import date, datetime

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from qudao import migrate
from qudao.cli.context import console, err_console, fail, settings
from qudao.demo.generator import SCALES
from qudao.errors import QudaoError


def demo_command(
    scale: str = typer.Option("small", help=f"Size of the network: {', '.join(SCALES)} (large is 10x small)"),
    seed: int = typer.Option(42, help="Random seed; the same seed and end date give the same data"),
    end_date: str | None = typer.Option(None, "--end-date", help="Last day of history, YYYY-MM-DD "
                                        "(default: yesterday)"),
) -> None:
    """Load the demo data set into an EMPTY database (migrating it first).

    A database that already holds master data is refused rather than merged or wiped: merging would
    collide on codes, and wiping belongs to the operator. Point QUDAO_DATABASE_URL at a new database.
    """
    from qudao.demo.service import DEMO_LOGINS, load_demo

    if scale not in SCALES:
        raise fail(f"scale: unknown scale {scale!r}; use one of {', '.join(SCALES)}")
    end: date | None = None
    if end_date:
        try:
            end = datetime.strptime(end_date, "%Y-%m-%d").date()
        except ValueError:
            raise fail(f"end-date: {end_date!r} is not a date (YYYY-MM-DD)") from None
    url = settings().database_url
    migrate.upgrade(url)
    with Progress(TextColumn("{task.description:<22}"), BarColumn(), TimeElapsedColumn(), console=err_console,
                  transient=True) as bar:
        task = bar.add_task("generating", total=8)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        try:
            counts = load_demo(url, scale=scale, seed=seed, end=end, progress=progress)
        except QudaoError as exc:
            raise fail(str(exc)) from None
    console.print(f"loaded demo set [bold]{scale}[/] (seed {seed}): "
                  + ", ".join(f"{n:,} {name.replace('_', '-')}" for name, n in counts.items()))
    console.print("demo logins (username / password / role):")
    for username, password, role in DEMO_LOGINS:
        console.print(f"  {username:<12} {password:<16} {role}")
