"""The audit trail, readable by admins."""

from __future__ import annotations

from fastapi import APIRouter

from qudao.api.deps import ActorDep, ListParamsDep, SessionDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.audit import service
from qudao.audit.schemas import AuditRecordOut
from qudao.common.listing import Page

router = APIRouter(tags=["audit"], responses=PROBLEM_RESPONSES)


@router.get("/audit", response_model=Page[AuditRecordOut])
def list_audit(
    session: SessionDep,
    actor: ActorDep,
    params: ListParamsDep,
    entity: str | None = None,
    entity_id: str | None = None,
    actor_name: str | None = None,
) -> Page[AuditRecordOut]:
    rows, total = service.list_records(
        session, actor, params, entity=entity, entity_id=entity_id, actor_name=actor_name
    )
    return Page(items=[AuditRecordOut.model_validate(r) for r in rows], total=total,
                page=params.page, page_size=params.page_size)
