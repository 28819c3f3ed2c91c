"""Loyalty use cases: programmes, enrolment, accrual on orders, redemption, adjustment, statements.

Every change to points is one ledger row plus one database-side update of the member's balance in the same
transaction. Debits update the balance conditionally (``WHERE balance >= :points``): when two redemptions
race, the database serialises the two updates on the member row and the second finds too little, so the
balance can never go below zero, on SQLite (one writer at a time) and PostgreSQL (row lock) alike.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, ensure_own, partner_filter, require_staff
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.errors import Conflict, NotFound, invalid
from qudao.loyalty import rules
from qudao.loyalty.models import EntryKind, LoyaltyEntry, LoyaltyMember, LoyaltyProgramme, LoyaltyTierChange
from qudao.loyalty.schemas import AdjustmentIn, MemberCreate, ProgrammeCreate, RedemptionIn
from qudao.orders import service as orders
from qudao.orders.models import OrderStatus
from qudao.partners import service as partners

MEMBER_SORTS = {"id": LoyaltyMember.id, "balance": LoyaltyMember.balance, "tier": LoyaltyMember.tier}


def today() -> date:
    return date.today()


# ---- programmes and members ------------------------------------------------------------------------------


def create_programme(session: Session, actor: Actor, data: ProgrammeCreate) -> LoyaltyProgramme:
    authorize(actor, "crm:write")
    require_staff(actor, "define loyalty programmes")
    if session.scalar(select(LoyaltyProgramme.id).where(LoyaltyProgramme.code == data.code)) is not None:
        raise Conflict(detail=f"loyalty programme {data.code} already exists")
    programme = LoyaltyProgramme(code=data.code, name=data.name, currency=data.currency,
                                 points_per_unit=data.points_per_unit, expiry_months=data.expiry_months,
                                 base_tier=data.base_tier, tiers=[t.model_dump() for t in data.tiers], active=True)
    session.add(programme)
    audit.record_create(session, actor, programme)
    return programme


def list_programmes(session: Session, actor: Actor) -> list[LoyaltyProgramme]:
    authorize(actor, "crm:read")
    return list(session.scalars(select(LoyaltyProgramme).order_by(LoyaltyProgramme.code)))


def get_programme(session: Session, actor: Actor, code: str) -> LoyaltyProgramme:
    authorize(actor, "crm:read")
    programme = session.scalar(select(LoyaltyProgramme).where(LoyaltyProgramme.code == code))
    if programme is None:
        raise NotFound(detail=f"loyalty programme {code} not found")
    return programme


def enroll_member(session: Session, actor: Actor, data: MemberCreate) -> LoyaltyMember:
    """Enrol a partner (an end customer or a B2B account) in a programme."""
    authorize(actor, "crm:write")
    require_staff(actor, "enrol loyalty members")
    programme = get_programme(session, actor, data.programme)
    partner = partners.get_partner(session, actor, data.partner)
    exists = session.scalar(select(LoyaltyMember.id).where(LoyaltyMember.programme_id == programme.id,
                                                           LoyaltyMember.partner_id == partner.id))
    if exists is not None:
        raise Conflict(detail=f"partner {partner.code} is already a member of {programme.code}")
    member = LoyaltyMember(programme_id=programme.id, partner_id=partner.id, balance=0, tier=programme.base_tier,
                           joined_on=data.joined_on or today())
    session.add(member)
    audit.record_create(session, actor, member)
    return member


def list_members(session: Session, actor: Actor, params: ListParams, *, programme: str | None = None,
                 tier: str | None = None) -> tuple[list[LoyaltyMember], int]:
    authorize(actor, "crm:read")
    filters: list[Any] = [partner_filter(actor, LoyaltyMember.partner_id)]
    if programme:
        filters.append(LoyaltyMember.programme_id == get_programme(session, actor, programme).id)
    if tier:
        filters.append(LoyaltyMember.tier == tier)
    return paginate(session, select(LoyaltyMember), params, sortable=MEMBER_SORTS, default_sort="id",
                    filters=filters)


def get_member(session: Session, actor: Actor, member_id: int) -> LoyaltyMember:
    """A member row; a partner user reaching another partner's membership gets 404."""
    authorize(actor, "crm:read")
    member = session.get(LoyaltyMember, member_id, populate_existing=True)
    if member is None:
        raise NotFound(detail=f"loyalty member {member_id} not found")
    ensure_own(actor, member.partner_id, entity="loyalty member", key=member_id)
    return member


# ---- the ledger ------------------------------------------------------------------------------------------


def _book(session: Session, actor: Actor, member: LoyaltyMember, kind: str, points: int, booked_on: date, *,
          expires_on: date | None = None, order_id: int | None = None, amount: Any = None,
          reason: str = "") -> LoyaltyEntry:
    """Append one ledger row and move the balance by ``points`` in the database (debits only if covered)."""
    table = LoyaltyMember.__table__
    stmt = update(table).where(table.c.id == member.id).values(balance=table.c.balance + points)
    if points < 0:
        stmt = stmt.where(table.c.balance >= -points)
    if session.execute(stmt).rowcount != 1:
        session.refresh(member)
        raise Conflict(detail=f"loyalty member {member.id} has {member.balance} points; cannot take {-points}")
    entry = LoyaltyEntry(member_id=member.id, kind=kind, points=points, booked_on=booked_on, expires_on=expires_on,
                         order_id=order_id, amount=amount, reason=reason[:200], created_by=actor.username)
    session.add(entry)
    session.flush()
    session.refresh(member)
    audit.record(session, actor, action=kind, entity=LoyaltyEntry.__tablename__, entity_id=entry.id,
                 after={"member_id": member.id, "points": points, "balance": member.balance})
    return entry


def accrue_for_order(session: Session, order_id: int, actor: Actor) -> LoyaltyEntry:
    """Credit the points an order earns its customer (once per order; a repeat call returns the first entry)."""
    authorize(actor, "crm:write")
    require_staff(actor, "credit loyalty points")
    order = orders.get_order(session, actor, order_id)
    if order.status == OrderStatus.cancelled:
        raise Conflict(detail=f"order {order.number} is cancelled; it earns no points")
    member = session.scalar(
        select(LoyaltyMember).join(LoyaltyProgramme, LoyaltyProgramme.id == LoyaltyMember.programme_id)
        .where(LoyaltyMember.partner_id == order.partner_id, LoyaltyProgramme.currency == order.currency,
               LoyaltyProgramme.active.is_(True)).order_by(LoyaltyMember.id).limit(1))
    if member is None:
        raise invalid("order_id", f"the customer of order {order.number} is not in a {order.currency} programme")
    existing = session.scalar(select(LoyaltyEntry).where(LoyaltyEntry.member_id == member.id,
                                                         LoyaltyEntry.order_id == order.id,
                                                         LoyaltyEntry.kind == EntryKind.accrual))
    if existing is not None:
        return existing
    programme = session.get(LoyaltyProgramme, member.programme_id)
    assert programme is not None
    points = rules.points_for_amount(order.total_amount, programme.points_per_unit)
    if points <= 0:
        raise invalid("order_id", f"order {order.number} amount {order.total_amount} earns no points")
    booked_on = order.created_at.date()
    entry = _book(session, actor, member, EntryKind.accrual, points, booked_on,
                  expires_on=rules.add_months(booked_on, programme.expiry_months), order_id=order.id,
                  amount=order.total_amount, reason=f"order {order.number}")
    refresh_tier(session, actor, member, as_of=max(booked_on, today()))
    return entry


def redeem_points(session: Session, actor: Actor, member_id: int, data: RedemptionIn) -> LoyaltyEntry:
    """Spend points; more than the balance is refused (409) and nothing is written."""
    authorize(actor, "crm:write")
    member = get_member(session, actor, member_id)
    return _book(session, actor, member, EntryKind.redemption, -data.points, today(), reason=data.reason)


def adjust_points(session: Session, actor: Actor, member_id: int, data: AdjustmentIn) -> LoyaltyEntry:
    """A staff correction: credits expire like accruals; debits never take the balance below zero."""
    authorize(actor, "crm:write")
    require_staff(actor, "adjust loyalty points")
    if data.points == 0:
        raise invalid("points", "must not be 0")
    member = get_member(session, actor, member_id)
    programme = session.get(LoyaltyProgramme, member.programme_id)
    assert programme is not None
    day = today()
    expires = rules.add_months(day, programme.expiry_months) if data.points > 0 else None
    return _book(session, actor, member, EntryKind.adjustment, data.points, day, expires_on=expires,
                 reason=data.reason)


def rolling_points(session: Session, member_id: int, as_of: date) -> int:
    """Points earned (accruals) in the 12 months ending on ``as_of``."""
    total = session.scalar(select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
        LoyaltyEntry.member_id == member_id, LoyaltyEntry.kind == EntryKind.accrual,
        LoyaltyEntry.booked_on >= rules.rolling_window_start(as_of), LoyaltyEntry.booked_on <= as_of))
    return int(total or 0)


def refresh_tier(session: Session, actor: Actor, member: LoyaltyMember, *, as_of: date) -> LoyaltyTierChange | None:
    """Put the member in the tier its rolling points reach; record the change when there is one."""
    programme = session.get(LoyaltyProgramme, member.programme_id)
    assert programme is not None
    points = rolling_points(session, member.id, as_of)
    tier = rules.tier_for(points, programme.tiers, programme.base_tier)
    if tier == member.tier:
        return None
    change = LoyaltyTierChange(member_id=member.id, from_tier=member.tier, to_tier=tier, rolling_points=points,
                               changed_on=as_of)
    member.tier = tier
    session.add(change)
    session.flush()
    audit.record(session, actor, action="tier_change", entity=LoyaltyMember.__tablename__, entity_id=member.id,
                 before={"tier": change.from_tier}, after={"tier": tier, "rolling_points": points})
    return change


def partner_labels(session: Session, actor: Actor, partner_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Code and name of the members' partners (for pages); a partner user only ever asks for its own."""
    from qudao.partners.models import Partner

    authorize(actor, "crm:read")
    rows = session.execute(select(Partner.id, Partner.code, Partner.name)
                           .where(Partner.id.in_(partner_ids), partner_filter(actor, Partner.id)))
    return {pid: (code, name) for pid, code, name in rows}
