"""REST routes for partners and their contacts."""

from __future__ import annotations

from fastapi import APIRouter, status

from qudao.api.deps import ActorDep, IdPath, ListParamsDep, SessionDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.common.enums import PartnerRole, PartnerStatus
from qudao.common.listing import Page
from qudao.partners import service
from qudao.partners.schemas import ContactIn, ContactOut, PartnerCreate, PartnerOut, PartnerUpdate

router = APIRouter(tags=["partners"], responses=PROBLEM_RESPONSES)


@router.get("/partners", response_model=Page[PartnerOut])
def list_partners(
    session: SessionDep, actor: ActorDep, params: ListParamsDep,
    role: PartnerRole | None = None, status: PartnerStatus | None = None,
    region: str | None = None, channel: str | None = None,
) -> Page[PartnerOut]:
    rows, total = service.list_partners(session, actor, params, role=role, status=status, region=region,
                                        channel=channel)
    return Page(items=[PartnerOut.model_validate(r) for r in rows], total=total,
                page=params.page, page_size=params.page_size)


@router.post("/partners", response_model=PartnerOut, status_code=status.HTTP_201_CREATED)
def create_partner(session: SessionDep, actor: ActorDep, body: PartnerCreate) -> PartnerOut:
    return PartnerOut.model_validate(service.create_partner(session, actor, body))


@router.get("/partners/{code}", response_model=PartnerOut)
def get_partner(session: SessionDep, actor: ActorDep, code: str) -> PartnerOut:
    return PartnerOut.model_validate(service.get_partner(session, actor, code))


@router.patch("/partners/{code}", response_model=PartnerOut)
def update_partner(session: SessionDep, actor: ActorDep, code: str, body: PartnerUpdate) -> PartnerOut:
    return PartnerOut.model_validate(service.update_partner(session, actor, code, body))


@router.delete("/partners/{code}", response_model=PartnerOut)
def archive_partner(session: SessionDep, actor: ActorDep, code: str) -> PartnerOut:
    return PartnerOut.model_validate(service.archive_partner(session, actor, code))


@router.post("/partners/{code}/contacts", response_model=ContactOut, status_code=status.HTTP_201_CREATED)
def add_contact(session: SessionDep, actor: ActorDep, code: str, body: ContactIn) -> ContactOut:
    return ContactOut.model_validate(service.add_contact(session, actor, code, body))


@router.delete("/partners/{code}/contacts/{contact_id}", response_model=ContactOut)
def remove_contact(session: SessionDep, actor: ActorDep, code: str, contact_id: IdPath) -> ContactOut:
    return ContactOut.model_validate(service.remove_contact(session, actor, code, contact_id))
