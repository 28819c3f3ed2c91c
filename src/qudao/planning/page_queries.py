"""Small read models the planner's web page needs beyond queries.py: which SKU x locations a run planned
(to pick one for the projected-inventory chart, those with exceptions first), and counts per exception kind
and proposal status (the headings of the page's sections)."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize
from qudao.catalog.models import Product
from qudao.common.actor import Actor
from qudao.locations.models import Location
from qudao.planning.models import (
    ExceptionKind,
    PlanningException,
    PlanningProjection,
    PlanningProposal,
    run_proposals,
)
from qudao.planning.schemas import ExceptionOut


def planned_pairs(session: Session, actor: Actor, run_id: int, *, limit: int = 200) -> list[tuple[str, str]]:
    """(sku, location code) pairs with a projection in the run: those with a shortage or other exception
    first (the ones a planner looks at), then by SKU and location; at most ``limit``."""
    authorize(actor, "planning:read")
    pr, ex = PlanningProjection, PlanningException
    flagged = (select(ex.product_id, ex.location_id, func.count().label("n"))
               .where(ex.run_id == run_id, ex.product_id.is_not(None), ex.location_id.is_not(None))
               .group_by(ex.product_id, ex.location_id).subquery())
    stmt = (select(Product.sku, Location.code).select_from(pr)
            .join(Product, Product.id == pr.product_id).join(Location, Location.id == pr.location_id)
            .outerjoin(flagged, (flagged.c.product_id == pr.product_id) & (flagged.c.location_id == pr.location_id))
            .where(pr.run_id == run_id)
            .order_by(func.coalesce(flagged.c.n, 0).desc(), Product.sku, Location.code).limit(limit))
    return [(sku, code) for sku, code in session.execute(stmt).all()]


def exception_counts(session: Session, actor: Actor, run_id: int) -> dict[str, int]:
    authorize(actor, "planning:read")
    e = PlanningException
    rows = session.execute(select(e.kind, func.count()).where(e.run_id == run_id).group_by(e.kind)).all()
    return {kind: int(n) for kind, n in rows}


def proposal_counts(session: Session, actor: Actor, run_id: int) -> dict[str, int]:
    authorize(actor, "planning:read")
    p = PlanningProposal
    rows = session.execute(select(p.status, func.count()).where(run_proposals(p.id, run_id))
                           .group_by(p.status)).all()
    return {status: int(n) for status, n in rows}


def filtered_exceptions(session: Session, actor: Actor, run_id: int, *, kind: str | None = None,
                        sku: str | None = None, location_code: str | None = None,
                        limit: int = 200) -> list[ExceptionOut]:
    """The run's exceptions in the planner's order (shortage, overload, late, excess; then by date and the
    biggest first), narrowed to a kind, a SKU and/or a location code."""
    authorize(actor, "planning:read")
    e = PlanningException
    rank = case({k: i for i, k in enumerate(ExceptionKind.ORDER)}, value=e.kind, else_=9)
    stmt = (select(e, Product.sku, Location.code).outerjoin(Product, Product.id == e.product_id)
            .outerjoin(Location, Location.id == e.location_id).where(e.run_id == run_id))
    if kind:
        stmt = stmt.where(e.kind == kind)
    if sku:
        stmt = stmt.where(Product.sku == sku)
    if location_code:
        stmt = stmt.where(Location.code == location_code)
    stmt = stmt.order_by(rank, e.bucket_date, e.quantity.desc(), e.id).limit(limit)
    return [ExceptionOut(kind=x.kind, sku=s, location_code=loc, resource=x.resource, bucket_date=x.bucket_date,
                         quantity=x.quantity, message=x.message) for x, s, loc in session.execute(stmt).all()]
