"""Shared CLI plumbing: settings, one unit of work per command, domain errors as clean messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import typer
from rich.console import Console
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from qudao.config import Settings, get_settings
from qudao.db import make_engine, make_session_factory, unit_of_work
from qudao.errors import QudaoError

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    return get_settings()


@lru_cache
def session_factory() -> sessionmaker[Session]:
    return make_session_factory(make_engine(settings().database_url))


def fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def command_transaction() -> Iterator[Session]:
    """One transaction for the command; a domain error becomes a message and exit code 2."""
    try:
        with unit_of_work(session_factory()) as session:
            yield session
    except QudaoError as exc:
        raise fail(str(exc)) from None
    except IntegrityError as exc:
        raise fail(f"conflicts with existing records: {exc.orig}") from None
