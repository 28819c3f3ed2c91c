"""Stored responses for ``Idempotency-Key`` requests, so a retried POST returns the first result."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from qudao.db import Base, IdMixin, utcnow


class IdempotencyRecord(IdMixin, Base):
    __tablename__ = "idempotency_records"

    # sha256 of (credential, key, method, path): a key is private to the client that sent it.
    scope_hash: Mapped[str] = mapped_column(String(64), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def find(session: Session, scope_hash: str) -> IdempotencyRecord | None:
    return session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.scope_hash == scope_hash))


def save(session: Session, record: IdempotencyRecord) -> bool:
    """Store a response; False when a concurrent twin stored one first (the first one wins)."""
    try:
        with session.begin_nested():
            session.add(record)
        return True
    except IntegrityError:
        return False
