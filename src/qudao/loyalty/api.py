"""REST routes of the loyalty programme: /api/v1/loyalty/..."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, status

from qudao.api.deps import ActorDep, IdPath, ListParamsDep, SessionDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.common.listing import Page
from qudao.loyalty import ledger, service
from qudao.loyalty.schemas import (
    AccrualIn,
    AdjustmentIn,
    EntryOut,
    ExpiryIn,
    ExpiryOut,
    MemberCreate,
    MemberOut,
    ProgrammeCreate,
    ProgrammeOut,
    RedemptionIn,
    StatementOut,
    TierChangeOut,
)

router = APIRouter(prefix="/loyalty", tags=["loyalty"], responses=PROBLEM_RESPONSES)


@router.post("/programmes", response_model=ProgrammeOut, status_code=status.HTTP_201_CREATED)
def create_programme(session: SessionDep, actor: ActorDep, body: ProgrammeCreate) -> ProgrammeOut:
    return ProgrammeOut.model_validate(service.create_programme(session, actor, body))


@router.get("/programmes", response_model=list[ProgrammeOut])
def list_programmes(session: SessionDep, actor: ActorDep) -> list[ProgrammeOut]:
    return [ProgrammeOut.model_validate(p) for p in service.list_programmes(session, actor)]


@router.post("/members", response_model=MemberOut, status_code=status.HTTP_201_CREATED)
def enroll_member(session: SessionDep, actor: ActorDep, body: MemberCreate) -> MemberOut:
    return MemberOut.model_validate(service.enroll_member(session, actor, body))


@router.get("/members", response_model=Page[MemberOut])
def list_members(session: SessionDep, actor: ActorDep, params: ListParamsDep, programme: str | None = None,
                 tier: str | None = None) -> Page[MemberOut]:
    rows, total = service.list_members(session, actor, params, programme=programme, tier=tier)
    return Page(items=[MemberOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.get("/members/{member_id}", response_model=MemberOut)
def get_member(session: SessionDep, actor: ActorDep, member_id: IdPath) -> MemberOut:
    return MemberOut.model_validate(service.get_member(session, actor, member_id))


@router.get("/members/{member_id}/entries", response_model=list[EntryOut])
def list_entries(session: SessionDep, actor: ActorDep, member_id: IdPath) -> list[EntryOut]:
    return [EntryOut.model_validate(e) for e in ledger.list_entries(session, actor, member_id)]


@router.get("/members/{member_id}/tier-changes", response_model=list[TierChangeOut])
def list_tier_changes(session: SessionDep, actor: ActorDep, member_id: IdPath) -> list[TierChangeOut]:
    return [TierChangeOut.model_validate(c) for c in ledger.list_tier_changes(session, actor, member_id)]


@router.get("/members/{member_id}/statement", response_model=StatementOut)
def get_statement(session: SessionDep, actor: ActorDep, member_id: IdPath, start: date, end: date) -> StatementOut:
    return StatementOut.model_validate(ledger.statement(session, actor, member_id, start, end))


@router.post("/members/{member_id}/redemptions", response_model=EntryOut, status_code=status.HTTP_201_CREATED)
def redeem_points(session: SessionDep, actor: ActorDep, member_id: IdPath, body: RedemptionIn) -> EntryOut:
    """Spend points; more than the balance answers 409 and changes nothing."""
    return EntryOut.model_validate(service.redeem_points(session, actor, member_id, body))


@router.post("/members/{member_id}/adjustments", response_model=EntryOut, status_code=status.HTTP_201_CREATED)
def adjust_points(session: SessionDep, actor: ActorDep, member_id: IdPath, body: AdjustmentIn) -> EntryOut:
    return EntryOut.model_validate(service.adjust_points(session, actor, member_id, body))


@router.post("/accruals", response_model=EntryOut, status_code=status.HTTP_201_CREATED)
def accrue_for_order(session: SessionDep, actor: ActorDep, body: AccrualIn) -> EntryOut:
    """Credit the points of an order to its customer's membership (repeat calls return the same entry)."""
    return EntryOut.model_validate(service.accrue_for_order(session, body.order_id, actor))


@router.post("/expiry-runs", response_model=ExpiryOut)
def expire_points(session: SessionDep, actor: ActorDep, body: ExpiryIn) -> ExpiryOut:
    """Expire credits due by ``as_of`` for every member (oldest first) and re-tier everyone."""
    result = ledger.expire_points(session, actor, body.as_of)
    return ExpiryOut(as_of=result.as_of, members_expired=result.members_expired,
                     points_expired=result.points_expired, tier_changes=result.tier_changes)
