"""Writing and reading the audit trail. Writes join the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.audit.models import AuditRecord
from qudao.auth.permissions import authorize
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.common.records import snapshot


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    entity: str,
    entity_id: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    row = AuditRecord(
        actor_user_id=actor.user_id,
        actor_name=actor.username,
        actor_role=str(actor.role),
        actor_partner_id=actor.partner_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=before,
        after=after,
    )
    session.add(row)
    return row


def record_create(session: Session, actor: Actor, obj: Any) -> None:
    session.flush()
    record(session, actor, action="create", entity=obj.__tablename__, entity_id=obj.id, after=snapshot(obj))


def record_update(session: Session, actor: Actor, obj: Any, before: dict[str, Any], action: str = "update") -> None:
    session.flush()
    after = snapshot(obj)
    changed = {k for k in after if before.get(k) != after[k]} - {"updated_at"}
    if not changed:
        return
    record(
        session,
        actor,
        action=action,
        entity=obj.__tablename__,
        entity_id=obj.id,
        before={k: before.get(k) for k in changed},
        after={k: after[k] for k in changed},
    )


def list_records(
    session: Session,
    actor: Actor,
    params: ListParams,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor_name: str | None = None,
) -> tuple[list[AuditRecord], int]:
    authorize(actor, "audit:read")
    filters = []
    if entity:
        filters.append(AuditRecord.entity == entity)
    if entity_id:
        filters.append(AuditRecord.entity_id == entity_id)
    if actor_name:
        filters.append(AuditRecord.actor_name == actor_name)
    return paginate(
        session,
        select(AuditRecord),
        params,
        search=(AuditRecord.entity, AuditRecord.action, AuditRecord.actor_name),
        sortable={"id": AuditRecord.id, "at": AuditRecord.at, "entity": AuditRecord.entity},
        default_sort="-id",
        filters=filters,
    )
