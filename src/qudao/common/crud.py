"""Small helpers every master-data service uses: look up by code, archive, resolve references."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.common.actor import Actor
from qudao.common.records import snapshot
from qudao.db import utcnow
from qudao.errors import Conflict, NotFound, invalid

M = TypeVar("M")


def get_by(session: Session, model: type[M], column: Any, value: Any, *, entity: str) -> M:
    obj = session.scalar(select(model).where(column == value))
    if obj is None:
        raise NotFound(detail=f"{entity} {value} not found")
    return obj


def resolve_ref(session: Session, model: type[Any], column: Any, value: Any, *, field: str) -> int | None:
    """Id of the active row whose ``column`` equals ``value`` (None passes through); a bad reference in
    input is a 422 naming the field, not a 404."""
    if value is None:
        return None
    row = session.execute(select(model.id, model.archived_at).where(column == value)).first()
    if row is None:
        raise invalid(field, f"no record with code {value!r}")
    if row.archived_at is not None:
        raise invalid(field, f"{value!r} is archived")
    return int(row.id)


def archive(session: Session, actor: Actor, obj: Any) -> Any:
    if obj.archived_at is not None:
        raise Conflict(detail=f"{obj.__tablename__} {obj.id} is already archived")
    before = snapshot(obj)
    obj.archived_at = utcnow()
    audit.record_update(session, actor, obj, before, action="archive")
    return obj


def restore(session: Session, actor: Actor, obj: Any) -> Any:
    if obj.archived_at is None:
        raise Conflict(detail=f"{obj.__tablename__} {obj.id} is not archived")
    before = snapshot(obj)
    obj.archived_at = None
    audit.record_update(session, actor, obj, before, action="restore")
    return obj
