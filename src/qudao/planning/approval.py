"""Planners decide on proposals in bulk: change (quantity, due date), reject, approve.

Approval creates the real documents through their areas' services, batched: one draft purchase order per
supplier x receiving location x due date (a line per product), one draft transfer per lane (from -> to) x due
date, and the work orders of production proposals through the production area (when it is installed).
Drafts, not confirmed documents: purchasing sends them and the warehouse ships transfers as usual.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize
from qudao.catalog.models import Product
from qudao.common.actor import Actor
from qudao.db import utcnow
from qudao.errors import Conflict, NotFound, invalid
from qudao.locations.models import Location
from qudao.partners.models import Partner
from qudao.planning.models import PlanningProposal, ProposalKind, ProposalStatus
from qudao.planning.schemas import ChangeIn
from qudao.purchasing import service as purchasing
from qudao.purchasing.schemas import PurchaseOrderCreate, TransferCreate


def _open_proposals(session: Session, ids: list[int]) -> list[PlanningProposal]:
    unique = sorted(set(ids))
    rows = list(session.scalars(select(PlanningProposal).where(PlanningProposal.id.in_(unique))
                                .order_by(PlanningProposal.id).with_for_update()))
    missing = sorted(set(unique) - {p.id for p in rows})
    if missing:
        raise NotFound(detail=f"planning proposals not found: {', '.join(map(str, missing[:20]))}")
    closed = [p for p in rows if p.status not in ProposalStatus.OPEN]
    if closed:
        raise Conflict(detail=f"planning proposal {closed[0].id} is already {closed[0].status}; only proposed or "
                              "changed proposals can be decided")
    return rows


def _decide(session: Session, actor: Actor, rows: list[PlanningProposal], status: str, **extra: Any) -> None:
    now = utcnow()
    for p in rows:
        before = p.status
        p.status, p.decided_by, p.decided_at = status, actor.username, now
        audit.record(session, actor, action=status,
                     entity="planning_proposals", entity_id=p.id, before={"status": before},
                     after={"status": status, **({"order": p.order_reference} if p.order_reference else {}),
                            **extra})


def change_proposals(session: Session, actor: Actor, data: ChangeIn) -> list[PlanningProposal]:
    """Edit quantity and/or due date; the proposal becomes 'changed' (its first quantity is kept)."""
    authorize(actor, "planning:write")
    rows = {p.id: p for p in _open_proposals(session, [c.id for c in data.changes])}
    for i, c in enumerate(data.changes):
        p = rows[c.id]
        if c.quantity is None and c.due_date is None:
            raise invalid(f"changes[{i}]", "give a quantity or a due_date")
        if c.quantity is not None and c.quantity <= 0:
            raise invalid(f"changes[{i}].quantity", "must be > 0 (reject the proposal instead)")
        if c.due_date is not None and c.due_date < p.release_date:
            raise invalid(f"changes[{i}].due_date", f"is before the release date {p.release_date.isoformat()}")
        before = {"quantity": str(p.quantity), "due_date": p.due_date.isoformat()}
        p.quantity = c.quantity if c.quantity is not None else p.quantity
        p.due_date = c.due_date or p.due_date
        p.status = ProposalStatus.changed
        audit.record(session, actor, action="change", entity="planning_proposals", entity_id=p.id, before=before,
                     after={"quantity": str(p.quantity), "due_date": p.due_date.isoformat()})
    session.flush()
    return list(rows.values())


def reject_proposals(session: Session, actor: Actor, ids: list[int], reason: str = "") -> list[PlanningProposal]:
    authorize(actor, "planning:write")
    rows = _open_proposals(session, ids)
    _decide(session, actor, rows, ProposalStatus.rejected, reason=reason)
    session.flush()
    return rows


def approve_proposals(session: Session, actor: Actor, ids: list[int]) -> tuple[list[PlanningProposal], list[str]]:
    """Approve and create the documents; returns (proposals, codes of the documents created)."""
    authorize(actor, "planning:write")
    rows = _open_proposals(session, ids)
    products = dict(session.execute(select(Product.id, Product.sku).where(
        Product.id.in_({p.product_id for p in rows}))).all())
    cost = dict(session.execute(select(Product.id, Product.standard_cost).where(
        Product.id.in_({p.product_id for p in rows}))).all())
    loc_ids = {p.to_location_id for p in rows} | {p.from_location_id for p in rows if p.from_location_id}
    locations = dict(session.execute(select(Location.id, Location.code).where(Location.id.in_(loc_ids))).all())
    suppliers = dict(session.execute(select(Partner.id, Partner.code).where(
        Partner.id.in_({p.supplier_id for p in rows if p.supplier_id}))).all())
    groups: dict[tuple[Any, ...], list[PlanningProposal]] = defaultdict(list)
    production: list[PlanningProposal] = []
    for p in rows:
        if p.kind == ProposalKind.purchase:
            if p.supplier_id is None:
                raise invalid("ids", f"purchase proposal {p.id} ({products[p.product_id]} to "
                                     f"{locations[p.to_location_id]}) has no supplier: add a buy sourcing rule "
                                     "with a supplier, then plan again")
            groups[("po", p.supplier_id, p.to_location_id, p.due_date)].append(p)
        elif p.kind == ProposalKind.transfer:
            groups[("tr", p.from_location_id, p.to_location_id, p.due_date)].append(p)
        else:
            production.append(p)
    codes: list[str] = []
    for key, members in groups.items():
        quantities: dict[int, Decimal] = defaultdict(Decimal)
        for p in members:
            quantities[p.product_id] += Decimal(p.quantity)
        note = f"planning run {members[0].run_id}: proposals {', '.join(str(p.id) for p in members[:20])}"[:500]
        if key[0] == "po":
            doc = purchasing.create_purchase_order(session, actor, PurchaseOrderCreate(
                supplier_code=suppliers[key[1]], location_code=locations[key[2]], expected_date=key[3], note=note,
                lines=[{"sku": products[pid], "quantity": q, "unit_cost": cost[pid]}
                       for pid, q in quantities.items()]))
        else:
            doc = purchasing.create_transfer(session, actor, TransferCreate(
                from_location_code=locations[key[1]], to_location_code=locations[key[2]], expected_date=key[3],
                note=note, lines=[{"sku": products[pid], "quantity": q} for pid, q in quantities.items()]))
        codes.append(doc.code)
        for p in members:
            p.order_reference = doc.code
    if production:
        codes += _work_orders(session, actor, production)
    _decide(session, actor, rows, ProposalStatus.approved)
    session.flush()
    return rows, codes


def _work_orders(session: Session, actor: Actor, rows: list[PlanningProposal]) -> list[str]:
    try:
        from qudao.production.work_orders import create_work_orders
    except ImportError:
        raise Conflict(detail="production proposals need the production area, which is not installed") from None
    made = create_work_orders(session, [
        {"product_id": p.product_id, "location_id": p.to_location_id, "quantity": p.quantity, "due_date": p.due_date,
         "source_proposal_id": p.id, "note": f"planning run {p.run_id}"} for p in rows], actor)
    for p, wo in zip(rows, made, strict=True):
        p.order_reference = wo.code
    return [wo.code for wo in made]
