"""Fixtures shared by the integration tests (the database fixtures live in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import cli_database


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """QUDAO_DATABASE_URL pointing at a fresh, migrated SQLite file for CLI commands."""
    yield from cli_database(tmp_path, monkeypatch)
