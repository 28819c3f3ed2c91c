"""Running ``qudao`` commands in tests: a fresh SQLite database per test and a runner that refuses tracebacks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qudao.cli import context
from qudao.cli.main import app
from qudao.config import get_settings


def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the CLI at a new SQLite file, migrate it, and reset the cached settings and engine after."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("QUDAO_DATABASE_URL", url)
    monkeypatch.setenv("QUDAO_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("QUDAO_SECRET_KEY", "cli-test-secret-0123456789-0123456789")
    get_settings.cache_clear()
    context.session_factory.cache_clear()
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    yield url
    context.session_factory().kw["bind"].dispose()
    get_settings.cache_clear()
    context.session_factory.cache_clear()


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"the command crashed: {result.exception!r}\n{result.output}")
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())
