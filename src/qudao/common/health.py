"""Liveness of the database, for /api/v1/health (adapters never run SQL themselves)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def check_database(session: Session) -> str:
    """'ok' when the database answers a trivial query; errors propagate to the caller."""
    session.execute(text("SELECT 1"))
    return "ok"
