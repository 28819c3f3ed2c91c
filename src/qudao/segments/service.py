"""Segmentation runs: queue one, execute it (one query loads every customer's orders into polars, the engine
scores them, the results are written in bulk), and read runs back.

Execution spans short transactions on purpose, like forecast runs: mark running, load, compute with no
transaction open, write. Progress is written in its own transaction so a poller sees it move. The caller
supplies the transactions; services never commit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, require_staff
from qudao.catalog.models import Product
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.db import utcnow
from qudao.engines.segmentation import SegmentationInputError, SegmentationOptions, segment_customers
from qudao.errors import Conflict, NotFound, QudaoError, invalid
from qudao.orders.models import OrderStatus, SalesOrder, SalesOrderLine
from qudao.segments.models import CustomerSegment, RunStatus, SegmentationRun
from qudao.segments.schemas import SegmentationRunCreate

log = logging.getLogger("qudao.segments")

Transaction = Callable[[], AbstractContextManager[Session]]
ProgressListener = Callable[[str, float], None]
RUN_SORTS = {"id": SegmentationRun.id, "created_at": SegmentationRun.created_at, "status": SegmentationRun.status}
RESULT_COLUMNS = ("recency_days", "frequency", "monetary", "margin", "r_score", "f_score", "m_score", "rfm_code",
                  "rfm_segment", "revenue_tier", "margin_tier", "value_tier")
CLV_COLUMNS = ("clv", "expected_purchases", "probability_alive", "churn_risk", "churn_bucket")


def start_run(session: Session, actor: Actor, data: SegmentationRunCreate) -> SegmentationRun:
    """Validate the options and queue a run (executed afterwards by ``execute_run``)."""
    authorize(actor, "crm:write")
    require_staff(actor, "start segmentation runs")
    options = data.model_dump(exclude={"as_of", "with_clv"})
    run = SegmentationRun(status=RunStatus.queued, progress=0.0, step="queued", as_of=data.as_of or date.today(),
                          with_clv=data.with_clv, options=options, requested_by=actor.username, error="", summary={})
    session.add(run)
    audit.record_create(session, actor, run)
    return run


def list_runs(session: Session, actor: Actor, params: ListParams) -> tuple[list[SegmentationRun], int]:
    authorize(actor, "crm:read")
    require_staff(actor, "read segmentation runs")
    return paginate(session, select(SegmentationRun), params, search=(SegmentationRun.requested_by,),
                    sortable=RUN_SORTS, default_sort="-id")


def get_run(session: Session, actor: Actor, run_id: int) -> SegmentationRun:
    authorize(actor, "crm:read")
    require_staff(actor, "read segmentation runs")
    run = session.get(SegmentationRun, run_id, populate_existing=True)
    if run is None:
        raise NotFound(detail=f"segmentation run {run_id} not found")
    return run


def latest_run_id(session: Session, actor: Actor) -> int | None:
    authorize(actor, "crm:read")
    require_staff(actor, "read customer segments")
    return session.scalar(select(func.max(SegmentationRun.id)).where(SegmentationRun.status == RunStatus.succeeded))


def load_transactions(session: Session, as_of: date) -> pl.DataFrame:
    """One row per order up to ``as_of``: customer (partner), order day, revenue and margin net of
    cancelled and returned quantities (margin at the product's standard cost). One query."""
    net_qty = SalesOrderLine.quantity - SalesOrderLine.cancelled_qty - SalesOrderLine.returned_qty
    end = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC) + timedelta(days=1)
    rows = session.execute(
        select(SalesOrder.partner_id, SalesOrder.created_at, func.sum(net_qty * SalesOrderLine.unit_price),
               func.sum(net_qty * (SalesOrderLine.unit_price - Product.standard_cost)))
        .join(SalesOrderLine, SalesOrderLine.order_id == SalesOrder.id)
        .join(Product, Product.id == SalesOrderLine.product_id)
        .where(SalesOrder.status != OrderStatus.cancelled, SalesOrder.created_at < end)
        .group_by(SalesOrder.id, SalesOrder.partner_id, SalesOrder.created_at)).all()
    frame = pl.DataFrame([(p, c.date(), float(r), float(m)) for p, c, r, m in rows], orient="row",
                         schema={"customer_id": pl.Int64, "order_date": pl.Date, "revenue": pl.Float64,
                                 "margin": pl.Float64})
    return frame


def _begin(session: Session, actor: Actor, run_id: int) -> tuple[date, bool, dict[str, Any]]:
    authorize(actor, "crm:write")
    run = get_run(session, actor, run_id)
    if run.status != RunStatus.queued:
        raise Conflict(detail=f"segmentation run {run_id} is {run.status}; only a queued run can be executed")
    run.status, run.started_at, run.step, run.progress = RunStatus.running, utcnow(), "loading orders", 0.05
    return run.as_of, run.with_clv, dict(run.options)


def record_progress(session: Session, actor: Actor, run_id: int, step: str, progress: float) -> None:
    authorize(actor, "crm:write")
    run = get_run(session, actor, run_id)
    if run.status == RunStatus.running:
        run.step, run.progress = step[:80], max(run.progress, min(progress, 1.0))


def execute_run(transaction: Transaction, actor: Actor, run_id: int, *,
                on_progress: ProgressListener | None = None) -> str:
    """Run a queued segmentation and return its final status; a failure is recorded on the run, not raised."""
    with transaction() as session:
        as_of, with_clv, options = _begin(session, actor, run_id)
    started = time.perf_counter()

    def progress(step: str, fraction: float) -> None:
        if on_progress:
            on_progress(step, fraction)
        with transaction() as s:
            record_progress(s, actor, run_id, step, fraction)

    try:
        with transaction() as session:
            frame = load_transactions(session, as_of)
        if frame.is_empty():
            raise invalid("as_of", f"no orders up to {as_of.isoformat()}")
        progress("scoring customers" + (" and fitting CLV" if with_clv else ""), 0.3)
        engine_options = SegmentationOptions(
            tier_thresholds=(options["high_share"], options["middle_share"]), with_clv=with_clv,
            horizon_days=float(options["horizon_days"]), churn_thresholds=(options["churn_low"], options["churn_high"]))
        result = segment_customers(frame, as_of, engine_options)
        progress("writing results", 0.85)
        with transaction() as session:
            _finish(session, actor, run_id, result, orders=frame.height, seconds=time.perf_counter() - started)
        if on_progress:
            on_progress("succeeded", 1.0)
        return RunStatus.succeeded
    except Exception as exc:  # recorded on the run: a run must never stay "running"
        if not isinstance(exc, QudaoError | SegmentationInputError):
            log.exception("segmentation run %s failed", run_id)
        with transaction() as session:
            fail_run(session, actor, run_id, _error_text(exc))
        return RunStatus.failed


def _error_text(exc: Exception) -> str:
    if isinstance(exc, SegmentationInputError):
        return f"the segmentation engine refused the input: {exc.field}: {exc.reason}"
    if isinstance(exc, QudaoError):
        return str(exc)
    return f"unexpected error ({type(exc).__name__}): {exc}"


def fail_run(session: Session, actor: Actor, run_id: int, error: str) -> None:
    authorize(actor, "crm:write")
    run = get_run(session, actor, run_id)
    run.status, run.error, run.finished_at, run.step = RunStatus.failed, error[:4000], utcnow(), "failed"
    audit.record(session, actor, action="fail", entity=SegmentationRun.__tablename__, entity_id=run_id,
                 after={"status": RunStatus.failed, "error": error[:500]})


def _finish(session: Session, actor: Actor, run_id: int, result: Any, *, orders: int, seconds: float) -> None:
    """Write one row per customer in bulk, then the run's summary (one transaction)."""
    run = get_run(session, actor, run_id)
    customers: pl.DataFrame = result.customers
    present = [c for c in CLV_COLUMNS if c in customers.columns]
    out = customers.select(
        pl.lit(run_id).alias("run_id"), pl.col("customer_id").alias("partner_id"),
        *[pl.col(c).cast(pl.String) if customers.schema[c] in (pl.Categorical,) or isinstance(
            customers.schema[c], pl.Enum) else pl.col(c) for c in (*RESULT_COLUMNS, *present)])
    out = out.with_columns(pl.col("clv").fill_nan(None) if "clv" in present else pl.lit(None).alias("clv"))
    session.execute(delete(CustomerSegment).where(CustomerSegment.run_id == run_id))
    rows = out.to_dicts()
    for start in range(0, len(rows), 10_000):
        session.execute(insert(CustomerSegment), rows[start:start + 10_000])
    counts = {column: dict(sorted(customers.group_by(column).len().with_columns(pl.col(column).cast(pl.String))
                                  .iter_rows()))
              for column in ("value_tier", "rfm_segment", *(["churn_bucket"] if "churn_bucket" in present else []))}
    fit = result.fit
    run.summary = {"customers": len(rows), "orders": orders, "counts": counts, "seconds": round(seconds, 2),
                   "clv_fit": None if fit is None else {"bgnbd": fit.bgnbd, "gamma_gamma": fit.gamma_gamma}}
    run.status, run.progress, run.step, run.finished_at = RunStatus.succeeded, 1.0, "succeeded", utcnow()
    audit.record(session, actor, action="complete", entity=SegmentationRun.__tablename__, entity_id=run_id,
                 after={"status": RunStatus.succeeded, "customers": len(rows)})
