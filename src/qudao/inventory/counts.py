"""Cycle counts: freeze the book quantity, record what was counted, approve the variances.

open --record--> open --submit--> submitted --approve--> approved (variances posted as 'count_correction'
ledger rows) | --cancel--> cancelled. The variance of a line is counted - expected, where expected is the
book quantity on hand when the line was created (count when nothing moves, as cycle counting assumes).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, ensure_own, partner_filter
from qudao.catalog.models import Product
from qudao.common import crud
from qudao.common.actor import Actor
from qudao.db import utcnow
from qudao.engines.valuation import money, moving_average_cost
from qudao.errors import Conflict, invalid
from qudao.inventory import ledger
from qudao.inventory.models import CountLine, CountSession, MovementType, StockBalance
from qudao.inventory.schemas import CountCreate, CountEntriesIn, CountLineOut, CountOut
from qudao.locations.models import Location

ZERO = Decimal(0)


def _get(session: Session, actor: Actor, code: str) -> tuple[CountSession, Location]:
    count = crud.get_by(session, CountSession, CountSession.code, code, entity="count")
    location = session.get(Location, count.location_id)
    assert location is not None
    ensure_own(actor, location.owner_partner_id, entity="count", key=code)
    return count, location


def get_count(session: Session, actor: Actor, code: str) -> CountOut:
    authorize(actor, "inventory:read")
    count, location = _get(session, actor, code)
    rows = session.execute(
        select(CountLine, Product.sku, StockBalance.on_hand, StockBalance.value)
        .join(Product, Product.id == CountLine.product_id)
        .outerjoin(StockBalance, (StockBalance.product_id == CountLine.product_id)
                   & (StockBalance.location_id == count.location_id))
        .where(CountLine.session_id == count.id).order_by(CountLine.line_no)
    ).all()
    lines = []
    for line, sku, on_hand, value in rows:
        variance = None if line.counted is None else line.counted - line.expected
        unit = moving_average_cost(on_hand or ZERO, value or ZERO)
        lines.append(CountLineOut(sku=sku, expected=line.expected, counted=line.counted, variance=variance,
                                  variance_value=None if variance is None else money(variance * unit)))
    return CountOut(code=count.code, location_code=location.code, status=count.status, note=count.note,
                    approved_by=count.approved_by, approved_at=count.approved_at, created_at=count.created_at,
                    lines=lines)


def list_counts(session: Session, actor: Actor, *, status: str | None = None,
                location: str | None = None, limit: int = 100) -> list[CountOut]:
    """Recent counts, newest first (a partner sees counts at its own locations)."""
    authorize(actor, "inventory:read")
    stmt = (select(CountSession.code).join(Location, Location.id == CountSession.location_id)
            .where(partner_filter(actor, Location.owner_partner_id)).order_by(CountSession.id.desc()).limit(limit))
    if status:
        stmt = stmt.where(CountSession.status == status)
    if location:
        stmt = stmt.where(Location.code == location)
    return [get_count(session, actor, code) for code in session.scalars(stmt)]


def create_count(session: Session, actor: Actor, data: CountCreate) -> CountOut:
    """Open a count at a location for the given SKUs (or every SKU with stock there)."""
    authorize(actor, "inventory:write")
    location_id = crud.resolve_ref(session, Location, Location.code, data.location_code, field="location_code")
    code = data.code or f"CC-{uuid.uuid4().hex[:10].upper()}"
    if session.scalar(select(CountSession.id).where(CountSession.code == code)) is not None:
        raise Conflict(detail=f"count {code} already exists")
    if data.skus is not None:
        found = dict(session.execute(select(Product.sku, Product.id).where(Product.sku.in_(data.skus))).all())
        missing = sorted(set(data.skus) - set(found))
        if missing:
            raise invalid("skus", f"unknown sku(s): {', '.join(missing[:10])}")
        product_ids = [found[s] for s in dict.fromkeys(data.skus)]
    else:
        product_ids = list(session.scalars(select(StockBalance.product_id).where(
            StockBalance.location_id == location_id, StockBalance.on_hand > 0).order_by(StockBalance.product_id)))
    if not product_ids:
        raise invalid("skus", "nothing to count at this location")
    book = dict(session.execute(select(StockBalance.product_id, StockBalance.on_hand).where(
        StockBalance.location_id == location_id, StockBalance.product_id.in_(product_ids))).all())
    count = CountSession(code=code, location_id=location_id, status="open", note=data.note)
    session.add(count)
    session.flush()
    session.add_all([CountLine(session_id=count.id, product_id=p, expected=book.get(p, ZERO), line_no=i)
                     for i, p in enumerate(product_ids, start=1)])
    audit.record_create(session, actor, count)
    return get_count(session, actor, code)


def record_counts(session: Session, actor: Actor, code: str, data: CountEntriesIn) -> CountOut:
    authorize(actor, "inventory:write")
    count, _ = _get(session, actor, code)
    if count.status != "open":
        raise Conflict(detail=f"count {code} is {count.status}; counts can only be recorded while open")
    lines = {sku: line for line, sku in session.execute(
        select(CountLine, Product.sku).join(Product).where(CountLine.session_id == count.id))}
    for i, entry in enumerate(data.lines):
        line = lines.get(entry.sku)
        if line is None:
            raise invalid(f"lines[{i}].sku", f"{entry.sku} is not part of count {code}")
        line.counted = entry.counted
    return get_count(session, actor, code)


def submit_count(session: Session, actor: Actor, code: str) -> CountOut:
    authorize(actor, "inventory:write")
    count, _ = _get(session, actor, code)
    if count.status != "open":
        raise Conflict(detail=f"count {code} is {count.status}; only an open count can be submitted")
    missing = session.scalar(select(Product.sku).join(CountLine, CountLine.product_id == Product.id).where(
        CountLine.session_id == count.id, CountLine.counted.is_(None)).limit(1))
    if missing:
        raise invalid("lines", f"{missing} has not been counted yet")
    before = {"status": count.status}
    count.status = "submitted"
    audit.record(session, actor, action="submit", entity="count_sessions", entity_id=count.id, before=before,
                 after={"status": "submitted"})
    return get_count(session, actor, code)


def approve_count(session: Session, actor: Actor, code: str) -> CountOut:
    """Approve the variances: each non-zero one becomes a 'count_correction' ledger row."""
    authorize(actor, "inventory:write")
    count, _ = _get(session, actor, code)
    if count.status != "submitted":
        raise Conflict(detail=f"count {code} is {count.status}; only a submitted count can be approved")
    variances = []
    for line in session.scalars(select(CountLine).where(CountLine.session_id == count.id).order_by(CountLine.line_no)):
        assert line.counted is not None
        variance = line.counted - line.expected
        if variance != 0:
            ledger.adjust(session, actor, product_id=line.product_id, location_id=count.location_id,
                          quantity=variance, reference=count.code, reason=f"cycle count {count.code}",
                          movement_type=MovementType.count_correction)
            variances.append({"product_id": line.product_id, "variance": str(variance)})
    count.status = "approved"
    count.approved_by = actor.username
    count.approved_at = utcnow()
    audit.record(session, actor, action="approve", entity="count_sessions", entity_id=count.id,
                 before={"status": "submitted"}, after={"status": "approved", "variances": variances})
    return get_count(session, actor, code)


def cancel_count(session: Session, actor: Actor, code: str) -> CountOut:
    authorize(actor, "inventory:write")
    count, _ = _get(session, actor, code)
    if count.status not in {"open", "submitted"}:
        raise Conflict(detail=f"count {code} is {count.status}; it cannot be cancelled")
    before = {"status": count.status}
    count.status = "cancelled"
    audit.record(session, actor, action="cancel", entity="count_sessions", entity_id=count.id, before=before,
                 after={"status": "cancelled"})
    return get_count(session, actor, code)
