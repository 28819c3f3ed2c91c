"""Read models of planning for the API, the CLI and the planner's page: runs, proposals for approval,
exceptions (shortages, overloads, late supply, excess - in that order), the projected-inventory series of
one SKU x location, and what a proposal is pegged to."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from qudao.auth.permissions import authorize
from qudao.catalog.models import Product
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.errors import NotFound, invalid
from qudao.locations.models import Location
from qudao.partners.models import Partner
from qudao.planning.inputs import BUCKET_DAYS
from qudao.planning.models import (
    ExceptionKind,
    PlanningAllocation,
    PlanningException,
    PlanningPeg,
    PlanningProjection,
    PlanningProposal,
    PlanningRun,
    ProposalKind,
    ProposalStatus,
    RunStatus,
    run_proposals,
)
from qudao.planning.pegging import peg_on_request
from qudao.planning.schemas import AllocationOut, ExceptionOut, PegOut, ProjectionOut, ProposalOut

RUN_SORTS = {"id": PlanningRun.id, "created_at": PlanningRun.created_at, "status": PlanningRun.status}


def list_runs(session: Session, actor: Actor, params: ListParams, *, status: str | None = None
              ) -> tuple[list[PlanningRun], int]:
    authorize(actor, "planning:read")
    filters = [PlanningRun.status == status] if status else []
    return paginate(session, select(PlanningRun), params, search=(PlanningRun.created_by,), sortable=RUN_SORTS,
                    default_sort="-id", filters=filters)


def latest_run_id(session: Session) -> int | None:
    return session.scalar(select(func.max(PlanningRun.id)).where(PlanningRun.status == RunStatus.succeeded))


def _run_id(session: Session, run_id: int | None) -> int:
    rid = run_id if run_id is not None else latest_run_id(session)
    if rid is None:
        raise NotFound(detail="no successful planning run yet")
    if session.get(PlanningRun, rid) is None:
        raise NotFound(detail=f"planning run {rid} not found")
    return rid


PROPOSAL_SORTS = ("id", "due_date", "release_date", "quantity", "kind", "status")


def open_proposal_ids(session: Session, actor: Actor, *, run_id: int | None = None,
                      kind: str | None = None) -> list[int]:
    """Ids of a run's proposals still waiting for a decision (default: the latest successful run), in one
    query, for bulk approval or rejection of 'all of them'."""
    authorize(actor, "planning:read")
    if kind is not None and kind not in ProposalKind.ALL:
        raise invalid("kind", f"use one of {', '.join(ProposalKind.ALL)}")
    p = PlanningProposal
    conditions: list[Any] = [run_proposals(p.id, _run_id(session, run_id)), p.status == ProposalStatus.proposed]
    if kind:
        conditions.append(p.kind == kind)
    return list(session.scalars(select(p.id).where(*conditions).order_by(p.id)))


def list_proposals(session: Session, actor: Actor, *, run_id: int | None = None, kind: str | None = None,
                   status: str | None = None, sku: str | None = None, location_code: str | None = None,
                   past_due: bool | None = None, sort: str = "release_date", page: int = 1, page_size: int = 50
                   ) -> tuple[list[ProposalOut], int]:
    """Proposals of a run (default: the latest successful one) for approval, with codes instead of ids."""
    authorize(actor, "planning:read")
    rid = _run_id(session, run_id)
    if kind is not None and kind not in ProposalKind.ALL:
        raise invalid("kind", f"use one of {', '.join(ProposalKind.ALL)}")
    if status is not None and status not in ProposalStatus.ALL:
        raise invalid("status", f"use one of {', '.join(ProposalStatus.ALL)}")
    if sort.lstrip("-") not in PROPOSAL_SORTS:
        raise invalid("sort", f"use one of {', '.join(PROPOSAL_SORTS)}")
    p = PlanningProposal
    src, dst = aliased(Location), aliased(Location)
    conditions: list[Any] = [run_proposals(p.id, rid)]
    if kind:
        conditions.append(p.kind == kind)
    if status:
        conditions.append(p.status == status)
    if past_due is not None:
        conditions.append(p.past_due.is_(past_due))
    if sku:
        conditions.append(p.product_id.in_(select(Product.id).where(Product.sku == sku)))
    if location_code:
        conditions.append(p.to_location_id.in_(select(Location.id).where(Location.code == location_code)))
    total = session.scalar(select(func.count()).select_from(p).where(*conditions)) or 0
    column = getattr(p, sort.lstrip("-"))
    stmt = (select(p, Product.sku, src.code, Partner.code, dst.code)
            .join(Product, Product.id == p.product_id).join(dst, dst.id == p.to_location_id)
            .outerjoin(src, src.id == p.from_location_id).outerjoin(Partner, Partner.id == p.supplier_id)
            .where(*conditions).order_by(column.desc() if sort.startswith("-") else column.asc(), p.id)
            .limit(page_size).offset((page - 1) * page_size))
    items = [ProposalOut(id=row.id, run_id=row.run_id, kind=row.kind, sku=s, from_location_code=f,
                         supplier_code=sup, to_location_code=t, quantity=row.quantity,
                         proposed_quantity=row.proposed_quantity, release_date=row.release_date,
                         due_date=row.due_date, past_due=row.past_due, reason=reason_text(row, t),
                         status=row.status,
                         order_reference=row.order_reference)
             for row, s, f, sup, t in session.execute(stmt).all()]
    return items, int(total)


def reason_text(p: PlanningProposal, location_code: str) -> str:
    """Why the proposal exists: its stored reason (VMI, later pre-build), else the netting's own."""
    text = p.reason or (f"projected stock at {location_code} would fall below its safety stock by "
                        f"{p.due_date.isoformat()}")
    if p.past_due:
        text += f"; PAST DUE: should have been released on {p.release_date.isoformat()}"
    return text


def list_exceptions(session: Session, actor: Actor, *, run_id: int | None = None, kind: str | None = None,
                    limit: int = 200, offset: int = 0) -> list[ExceptionOut]:
    """Exceptions first by kind (shortage, overload, late, excess), then the biggest first."""
    authorize(actor, "planning:read")
    rid = _run_id(session, run_id)
    if kind is not None and kind not in ExceptionKind.ORDER:
        raise invalid("kind", f"use one of {', '.join(ExceptionKind.ORDER)}")
    e = PlanningException
    rank = case({k: i for i, k in enumerate(ExceptionKind.ORDER)}, value=e.kind, else_=9)
    stmt = (select(e, Product.sku, Location.code).outerjoin(Product, Product.id == e.product_id)
            .outerjoin(Location, Location.id == e.location_id).where(e.run_id == rid)
            .order_by(rank, e.bucket_date, e.quantity.desc(), e.id).limit(limit).offset(offset))
    if kind:
        stmt = stmt.where(e.kind == kind)
    return [ExceptionOut(kind=x.kind, sku=sku, location_code=loc, resource=x.resource, bucket_date=x.bucket_date,
                         quantity=x.quantity, message=x.message) for x, sku, loc in session.execute(stmt).all()]


def projection(session: Session, actor: Actor, *, sku: str, location_code: str, run_id: int | None = None
               ) -> ProjectionOut:
    """Per bucket: gross requirement, scheduled and planned receipts, projected on hand (for the chart)."""
    authorize(actor, "planning:read")
    rid = _run_id(session, run_id)
    run = session.get(PlanningRun, rid)
    assert run is not None
    pr = PlanningProjection
    row = session.scalar(select(pr).where(
        pr.run_id == rid, pr.product_id == select(Product.id).where(Product.sku == sku).scalar_subquery(),
        pr.location_id == select(Location.id).where(Location.code == location_code).scalar_subquery()))
    if row is None:
        raise NotFound(detail=f"run {rid} did not plan {sku} at {location_code}")
    series = {k: [float(v) for v in json.loads(getattr(row, k))] for k in ("gross", "scheduled", "planned",
                                                                          "projected")}
    step = timedelta(days=BUCKET_DAYS[run.bucket])
    dates = [run.start_date + step * i for i in range(len(series["projected"]))]
    return ProjectionOut(run_id=rid, sku=sku, location_code=location_code, on_hand=row.on_hand,
                         safety_stock=row.safety_stock, dates=dates, **series)


def list_allocations(session: Session, actor: Actor, *, run_id: int | None = None, sku: str | None = None,
                     location_code: str | None = None, limit: int = 500, offset: int = 0) -> list[AllocationOut]:
    """Who gets how much where supply is scarce, the biggest shortfall first."""
    authorize(actor, "planning:read")
    rid = _run_id(session, run_id)
    a = PlanningAllocation
    dst = aliased(Location)
    stmt = (select(a, Product.sku, Location.code, dst.code).join(Product, Product.id == a.product_id)
            .join(Location, Location.id == a.location_id).join(dst, dst.id == a.to_location_id)
            .where(a.run_id == rid).order_by((a.demand - a.allocated).desc(), a.id).limit(limit).offset(offset))
    if sku:
        stmt = stmt.where(Product.sku == sku)
    if location_code:
        stmt = stmt.where(Location.code == location_code)
    return [AllocationOut(sku=s, location_code=loc, to_location_code=to, policy=x.policy, demand=x.demand,
                          allocated=x.allocated, shortfall=round(x.demand - x.allocated, 4))
            for x, s, loc, to in session.execute(stmt).all()]


def pegs_of(session: Session, actor: Actor, proposal_id: int) -> list[PegOut]:
    """The demands a proposal serves (sales order lines, forecast buckets, downstream proposals)."""
    authorize(actor, "planning:read")
    proposal = session.get(PlanningProposal, proposal_id)
    if proposal is None:
        raise NotFound(detail=f"planning proposal {proposal_id} not found")
    run = session.get(PlanningRun, proposal.run_id)
    if run is not None and run.summary.get("pegging") == "on request":
        return [PegOut(**r) for r in peg_on_request(session, run, proposal)]
    g = PlanningPeg
    rows = session.scalars(select(g).where(g.proposal_id == proposal_id).order_by(g.demand_date, g.id))
    return [PegOut(proposal_id=r.proposal_id, demand_kind=r.demand_kind, demand_ref=r.demand_ref,
                   demand_date=r.demand_date, quantity=r.quantity) for r in rows]
