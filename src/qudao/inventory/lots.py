"""Lots and expiry: lots are created on receipt, expired stock is moved out of available, picks go
first-expiry-first-out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from qudao.common.actor import Actor
from qudao.db import utcnow
from qudao.errors import InsufficientStock, invalid
from qudao.inventory.models import (
    Lot,
    LotBalance,
    MovementType,
)
from qudao.inventory.posting import (
    ZERO,
    Balance,
    Key,
    dialect_insert,
    lock_balances,
    lock_balances_checking_lots,
    movement_row,
    post_movements,
)


@dataclass(frozen=True)
class LotPick:
    lot_id: int | None
    lot_code: str | None
    expiry: date | None
    quantity: Decimal
    expired: bool = False


# ---- lots and expiry ---------------------------------------------------------------------------


def lot_id_for(session: Session, product_id: int, code: str, expiry: date | None) -> int:
    found = session.execute(select(Lot.id, Lot.expiry).where(Lot.product_id == product_id, Lot.code == code)).first()
    if found is not None:
        if expiry is not None and found.expiry is not None and found.expiry != expiry:
            raise invalid("expiry", f"lot {code} already exists with expiry {found.expiry.isoformat()}")
        return int(found.id)
    stmt = dialect_insert(session, Lot.__table__).on_conflict_do_nothing(index_elements=["product_id", "code"])
    session.execute(stmt, {"product_id": product_id, "code": code, "expiry": expiry, "created_at": utcnow()})
    return int(session.scalar(select(Lot.id).where(Lot.product_id == product_id, Lot.code == code)))


def sweep_expired(session: Session, actor: Actor, keys: Iterable[Key] | None = None,
                  today: date | None = None) -> int:
    """Move stock of lots past their expiry into the ``expired`` bucket (an 'expiry' ledger row per lot),
    so it is no longer available. Runs lazily before reservations and issues for the keys involved; the
    CLI runs it for everything. Returns the number of lot balances expired. Caller holds or gets locks."""
    today = today or datetime.now(UTC).date()
    stmt = (select(LotBalance.lot_id, LotBalance.location_id, Lot.product_id, Lot.code,
                   (LotBalance.on_hand - LotBalance.expired).label("fresh"))
            .join(Lot, Lot.id == LotBalance.lot_id)
            .where(Lot.expiry < today, LotBalance.on_hand > LotBalance.expired))
    key_list = sorted(set(keys)) if keys is not None else None
    if key_list is not None:
        if not key_list:
            return 0
        stmt = stmt.where(tuple_(Lot.product_id, LotBalance.location_id).in_(key_list))
    found = session.execute(stmt).all()
    if not found:
        return 0
    if key_list is None:
        lock_balances(session, [(r.product_id, r.location_id) for r in found])
    at = utcnow()
    rows = [movement_row(actor, MovementType.expiry, r.product_id, r.location_id, r.fresh, f"lot {r.code}"[:80], at,
                 lot_id=r.lot_id, expired_delta=r.fresh, reason="lot past expiry") for r in found]
    post_movements(session, actor, rows)
    return len(rows)


def lock_fresh(session: Session, actor: Actor, keys: Iterable[Key]) -> dict[Key, Balance]:
    """Lock balances, then expire any lots past their date; re-read if that changed them."""
    keys = sorted(set(keys))
    today = datetime.now(UTC).date()
    balances, stale = lock_balances_checking_lots(session, keys, lots_past=today)
    if stale and sweep_expired(session, actor, keys, today):
        balances = lock_balances(session, keys)
    return balances


def pick_stock(session: Session, bal: Balance, quantity: Decimal, *, expired_first: bool,
          fresh_only: bool, lot_code: str | None = None) -> list[LotPick]:
    """Choose what to take for ``quantity``: lots first-expiry-first-out, then untracked stock.

    ``fresh_only`` skips expired lots (issues to customers); ``expired_first`` takes expired lots before
    anything else (scrap, count corrections). ``lot_code`` restricts the pick to one lot.
    """
    lots = session.execute(
        select(Lot.id, Lot.code, Lot.expiry, LotBalance.on_hand, LotBalance.expired)
        .join(LotBalance, LotBalance.lot_id == Lot.id)
        .where(Lot.product_id == bal.product_id, LotBalance.location_id == bal.location_id, LotBalance.on_hand > 0)
        .order_by(Lot.expiry.is_(None), Lot.expiry, Lot.id)
    ).all()
    tracked = sum((r.on_hand for r in lots), ZERO)
    sources: list[tuple[int | None, str | None, date | None, Decimal, bool]] = []
    expired_sources = [(r.id, r.code, r.expiry, r.expired, True) for r in lots if r.expired > 0]
    fresh_sources = [(r.id, r.code, r.expiry, r.on_hand - r.expired, False) for r in lots if r.on_hand > r.expired]
    untracked = bal.on_hand - tracked
    if lot_code is not None:
        sources = [s for s in expired_sources + fresh_sources if s[1] == lot_code]
        if fresh_only:
            sources = [s for s in sources if not s[4]]
        if not sources:
            raise invalid("lot", f"no stock of lot {lot_code} at this location")
    else:
        if untracked > 0:
            fresh_sources.append((None, None, None, untracked, False))
        if fresh_only:
            sources = fresh_sources
        elif expired_first:
            sources = expired_sources + fresh_sources
        else:
            sources = fresh_sources + expired_sources
    picks: list[LotPick] = []
    need = quantity
    for lot_id, code, expiry, qty, is_expired in sources:
        if need <= 0:
            break
        take = min(qty, need)
        if take > 0:
            picks.append(LotPick(lot_id, code, expiry, take, is_expired))
            need -= take
    if need > 0:
        raise InsufficientStock(detail=f"product {bal.product_id} at location {bal.location_id}: "
                                f"short by {need} (on hand {bal.on_hand}, expired {bal.expired})")
    return picks
