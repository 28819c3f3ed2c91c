"""Set work on the points ledger: expiry of due credits for every member, the accrual backfill, statements."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, require_staff
from qudao.common.actor import Actor
from qudao.errors import invalid
from qudao.loyalty import rules
from qudao.loyalty.models import EntryKind, LoyaltyEntry, LoyaltyMember, LoyaltyProgramme, LoyaltyTierChange
from qudao.loyalty.service import get_member, today
from qudao.orders.models import OrderStatus, SalesOrder


@dataclass(frozen=True)
class ExpiryResult:
    as_of: date
    members_expired: int
    points_expired: int
    tier_changes: int


def expire_points(session: Session, actor: Actor, as_of: date | None = None) -> ExpiryResult:
    """Book an expiry for every member with open points in credits due by ``as_of`` (FIFO), then re-tier all.

    The candidate members are locked first (row locks on PostgreSQL; SQLite has one writer at a time), so a
    redemption racing with the expiry waits and then sees the reduced balance.
    """
    authorize(actor, "crm:write")
    require_staff(actor, "expire loyalty points")
    as_of = as_of or today()
    due = select(LoyaltyEntry.member_id).where(LoyaltyEntry.points > 0, LoyaltyEntry.expires_on <= as_of)
    member_ids = list(session.scalars(
        select(LoyaltyMember.id).where(LoyaltyMember.id.in_(due), LoyaltyMember.balance > 0)
        .order_by(LoyaltyMember.id).with_for_update()))
    credits: dict[int, list[rules.Credit]] = defaultdict(list)
    debits: dict[int, int] = defaultdict(int)
    if member_ids:
        rows = session.execute(select(LoyaltyEntry.member_id, LoyaltyEntry.id, LoyaltyEntry.points,
                                      LoyaltyEntry.booked_on, LoyaltyEntry.expires_on)
                               .where(LoyaltyEntry.member_id.in_(member_ids)))
        for member_id, entry_id, points, booked_on, expires_on in rows:
            if points > 0:
                credits[member_id].append(rules.Credit(int(points), booked_on, expires_on or date.max, entry_id))
            else:
                debits[member_id] += -int(points)
    entries = []
    for member_id in member_ids:
        points = rules.points_to_expire(credits[member_id], debits[member_id], as_of)
        if points > 0:
            entries.append({"member_id": member_id, "kind": EntryKind.expiry, "points": -points, "booked_on": as_of,
                            "reason": f"credits due by {as_of.isoformat()}", "created_by": actor.username})
    if entries:
        session.execute(insert(LoyaltyEntry), entries)
        table = LoyaltyMember.__table__
        session.connection().execute(
            update(table).where(table.c.id == bindparam("b_id")).values(balance=table.c.balance + bindparam("b_add")),
            [{"b_id": e["member_id"], "b_add": e["points"]} for e in entries])
    changes = _refresh_all_tiers(session, actor, as_of)
    expired = -sum(e["points"] for e in entries)
    audit.record(session, actor, action="expire", entity=LoyaltyEntry.__tablename__, entity_id=as_of.isoformat(),
                 after={"members": len(entries), "points": expired, "tier_changes": changes})
    return ExpiryResult(as_of, len(entries), expired, changes)


def _refresh_all_tiers(session: Session, actor: Actor, as_of: date, member_ids: list[int] | None = None) -> int:
    """Re-tier members in one pass: rolling points of every member from one grouped query, then only the
    members whose tier moves are touched (one change row each)."""
    earned = (select(LoyaltyEntry.member_id, func.sum(LoyaltyEntry.points).label("points"))
              .where(LoyaltyEntry.kind == EntryKind.accrual,
                     LoyaltyEntry.booked_on >= rules.rolling_window_start(as_of), LoyaltyEntry.booked_on <= as_of)
              .group_by(LoyaltyEntry.member_id).subquery())
    stmt = (select(LoyaltyMember.id, LoyaltyMember.tier, func.coalesce(earned.c.points, 0), LoyaltyProgramme.tiers,
                   LoyaltyProgramme.base_tier)
            .join(LoyaltyProgramme, LoyaltyProgramme.id == LoyaltyMember.programme_id)
            .outerjoin(earned, earned.c.member_id == LoyaltyMember.id).order_by(LoyaltyMember.id))
    if member_ids is not None:
        stmt = stmt.where(LoyaltyMember.id.in_(member_ids))
    changes = []
    for member_id, tier, points, tiers, base_tier in session.execute(stmt):
        target = rules.tier_for(int(points), tiers, base_tier)
        if target != tier:
            changes.append({"member_id": member_id, "from_tier": tier, "to_tier": target,
                            "rolling_points": int(points), "changed_on": as_of})
    if changes:
        session.execute(insert(LoyaltyTierChange), changes)
        table = LoyaltyMember.__table__
        session.connection().execute(update(table).where(table.c.id == bindparam("b_id"))
                                     .values(tier=bindparam("b_tier")),
                                     [{"b_id": c["member_id"], "b_tier": c["to_tier"]} for c in changes])
        session.expire_all()  # member rows loaded earlier in this session must show the new tiers
        audit.record(session, actor, action="tier_change", entity=LoyaltyMember.__tablename__, entity_id="bulk",
                     after={"changes": len(changes), "as_of": as_of.isoformat()})
    return len(changes)


def backfill_accruals(session: Session, actor: Actor, *, as_of: date | None = None) -> dict[str, int]:
    """Credit every order not yet credited of every member (one query finds them; rows written in bulk)."""
    authorize(actor, "crm:write")
    require_staff(actor, "credit loyalty points")
    accrued = (select(LoyaltyEntry.id).where(LoyaltyEntry.member_id == LoyaltyMember.id,
                                             LoyaltyEntry.order_id == SalesOrder.id,
                                             LoyaltyEntry.kind == EntryKind.accrual).exists())
    rows = session.execute(
        select(LoyaltyMember.id, SalesOrder.id, SalesOrder.total_amount, SalesOrder.created_at,
               LoyaltyProgramme.points_per_unit, LoyaltyProgramme.expiry_months)
        .join(LoyaltyProgramme, LoyaltyProgramme.id == LoyaltyMember.programme_id)
        .join(SalesOrder, and_(SalesOrder.partner_id == LoyaltyMember.partner_id,
                               SalesOrder.currency == LoyaltyProgramme.currency))
        .where(LoyaltyProgramme.active.is_(True), SalesOrder.status != OrderStatus.cancelled, ~accrued)
        .order_by(LoyaltyMember.id, SalesOrder.id)).all()
    entries: list[dict[str, Any]] = []
    for member_id, order_id, amount, created_at, per_unit, months in rows:
        points = rules.points_for_amount(amount, per_unit)
        if points <= 0:
            continue
        booked_on = created_at.date()
        entries.append({"member_id": member_id, "kind": EntryKind.accrual, "points": points, "booked_on": booked_on,
                        "expires_on": rules.add_months(booked_on, months), "order_id": order_id, "amount": amount,
                        "reason": f"order SO{order_id:08d} (backfill)", "created_by": actor.username})
    added: dict[int, int] = defaultdict(int)
    for e in entries:
        added[e["member_id"]] += e["points"]
    if entries:
        session.execute(insert(LoyaltyEntry), entries)
        table = LoyaltyMember.__table__
        session.connection().execute(
            update(table).where(table.c.id == bindparam("b_id")).values(balance=table.c.balance + bindparam("b_add")),
            [{"b_id": k, "b_add": v} for k, v in sorted(added.items())])
    changes = _refresh_all_tiers(session, actor, as_of or today(), sorted(added)) if added else 0
    audit.record(session, actor, action="backfill", entity=LoyaltyEntry.__tablename__, entity_id="accruals",
                 after={"orders": len(entries), "members": len(added), "points": sum(added.values())})
    return {"orders": len(entries), "members": len(added), "points": sum(added.values()), "tier_changes": changes}


# ---- reading ---------------------------------------------------------------------------------------------


def list_entries(session: Session, actor: Actor, member_id: int) -> list[LoyaltyEntry]:
    get_member(session, actor, member_id)
    return list(session.scalars(select(LoyaltyEntry).where(LoyaltyEntry.member_id == member_id)
                                .order_by(LoyaltyEntry.booked_on, LoyaltyEntry.id)))


def list_tier_changes(session: Session, actor: Actor, member_id: int) -> list[LoyaltyTierChange]:
    get_member(session, actor, member_id)
    return list(session.scalars(select(LoyaltyTierChange).where(LoyaltyTierChange.member_id == member_id)
                                .order_by(LoyaltyTierChange.id)))


def statement(session: Session, actor: Actor, member_id: int, start: date, end: date) -> dict[str, Any]:
    """Opening balance, the period's rows with totals per kind, closing balance (opening + rows)."""
    if start > end:
        raise invalid("start", "must be on or before end")
    member = get_member(session, actor, member_id)
    opening = session.scalar(select(func.coalesce(func.sum(LoyaltyEntry.points), 0))
                             .where(LoyaltyEntry.member_id == member_id, LoyaltyEntry.booked_on < start)) or 0
    rows = list(session.scalars(select(LoyaltyEntry).where(LoyaltyEntry.member_id == member_id,
                                                           LoyaltyEntry.booked_on >= start,
                                                           LoyaltyEntry.booked_on <= end)
                                .order_by(LoyaltyEntry.booked_on, LoyaltyEntry.id)))
    totals = {kind: 0 for kind in EntryKind.ALL}
    for row in rows:
        totals[row.kind] += int(row.points)
    return {"member": member, "period_start": start, "period_end": end, "opening_balance": int(opening),
            "closing_balance": int(opening) + sum(totals.values()), "totals": totals, "entries": rows}


def ledger_sum(session: Session, member_id: int) -> int:
    """Sum of a member's ledger rows (equals its balance; used by checks and tests)."""
    return int(session.scalar(select(func.coalesce(func.sum(LoyaltyEntry.points), 0))
                              .where(LoyaltyEntry.member_id == member_id)) or 0)


