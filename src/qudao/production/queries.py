"""Read models of production for the planning run (polars frames, one query each) and for the page.

For the planning area:

* ``bom_frame(session, actor, as_of)`` — BOM lines effective on a day: parent_id, component_id, quantity_per,
  scrap_pct, quantity_per_with_scrap (= quantity per x (1 + scrap %)).
* ``routing_frame(session, actor)`` — product_id, resource_id, resource_code, location_id, family,
  setup_hours, run_hours_per_unit, preference (lower preferred).
* ``resource_capacity(session, actor, first_day, buckets, bucket_days)`` — hours each active resource offers
  per bucket after its calendar and efficiency: resource_id, resource_code, location_id, bucket,
  bucket_start, capacity_hours (0 for a bucket with no working day).
* ``open_work_orders(session, actor)`` — scheduled receipts of finished goods: code, product_id,
  location_id, resource_id, due_date, planned_end, open_quantity, status.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize
from qudao.common.actor import Actor
from qudao.production.models import OPEN_STATUSES, BomLine, Resource, Routing, WorkOrder
from qudao.production.schedule import calendar_of

READ = "planning:read"


def bom_frame(session: Session, actor: Actor, as_of: date | None = None) -> pl.DataFrame:
    authorize(actor, READ)
    stmt = select(BomLine.parent_id, BomLine.component_id, BomLine.quantity_per, BomLine.scrap_pct)
    if as_of is not None:
        stmt = stmt.where(or_(BomLine.effective_from.is_(None), BomLine.effective_from <= as_of),
                          or_(BomLine.effective_to.is_(None), BomLine.effective_to > as_of))
    rows = session.execute(stmt.order_by(BomLine.id)).all()
    frame = pl.DataFrame([(p, c, float(q), float(s)) for p, c, q, s in rows], orient="row",
                         schema={"parent_id": pl.Int64, "component_id": pl.Int64, "quantity_per": pl.Float64,
                                 "scrap_pct": pl.Float64})
    return frame.with_columns((pl.col("quantity_per") * (1 + pl.col("scrap_pct") / 100))
                              .alias("quantity_per_with_scrap"))


def routing_frame(session: Session, actor: Actor) -> pl.DataFrame:
    authorize(actor, READ)
    rows = session.execute(
        select(Routing.product_id, Routing.resource_id, Resource.code, Resource.location_id, Routing.family,
               Routing.setup_hours, Routing.run_hours_per_unit, Routing.preference)
        .join(Resource, Resource.id == Routing.resource_id).where(Resource.archived_at.is_(None))
        .order_by(Routing.product_id, Routing.preference, Routing.id)).all()
    return pl.DataFrame(
        [(p, r, c, loc, f, float(s), float(h), pref) for p, r, c, loc, f, s, h, pref in rows], orient="row",
        schema={"product_id": pl.Int64, "resource_id": pl.Int64, "resource_code": pl.Utf8, "location_id": pl.Int64,
                "family": pl.Utf8, "setup_hours": pl.Float64, "run_hours_per_unit": pl.Float64,
                "preference": pl.Int64})


def resource_capacity(session: Session, actor: Actor, first_day: date, buckets: int,
                      bucket_days: int = 7) -> pl.DataFrame:
    """Capacity hours per active resource and bucket of ``bucket_days`` days from ``first_day``."""
    authorize(actor, READ)
    resources = list(session.scalars(select(Resource).where(Resource.archived_at.is_(None)).order_by(Resource.id)))
    rows = []
    for r in resources:
        cal = calendar_of(r)
        for b in range(buckets):
            start = first_day + timedelta(days=b * bucket_days)
            hours = sum(cal.hours_per_day for d in range(bucket_days) if cal.is_working(start + timedelta(days=d)))
            rows.append((r.id, r.code, r.location_id, b, start, hours))
    return pl.DataFrame(rows, orient="row", schema={
        "resource_id": pl.Int64, "resource_code": pl.Utf8, "location_id": pl.Int64, "bucket": pl.Int64,
        "bucket_start": pl.Date, "capacity_hours": pl.Float64})


def open_work_orders(session: Session, actor: Actor) -> pl.DataFrame:
    authorize(actor, READ)
    rows = session.execute(
        select(WorkOrder.code, WorkOrder.product_id, WorkOrder.location_id, WorkOrder.resource_id,
               WorkOrder.due_date, WorkOrder.planned_end, WorkOrder.quantity, WorkOrder.completed_quantity,
               WorkOrder.status)
        .where(WorkOrder.status.in_(OPEN_STATUSES)).order_by(WorkOrder.due_date, WorkOrder.id)).all()
    return pl.DataFrame(
        [(c, p, loc, res, due, end, float(max(q - done, 0)), st) for c, p, loc, res, due, end, q, done, st in rows],
        orient="row",
        schema={"code": pl.Utf8, "product_id": pl.Int64, "location_id": pl.Int64, "resource_id": pl.Int64,
                "due_date": pl.Date, "planned_end": pl.Date, "open_quantity": pl.Float64, "status": pl.Utf8})
