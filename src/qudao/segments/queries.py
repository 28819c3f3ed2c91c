"""Read models: one run's customer segments, filtered (tier, RFM code, segment, churn risk), paged or as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.errors import NotFound, invalid
from qudao.partners.models import Partner
from qudao.segments.models import CustomerSegment, RunStatus
from qudao.segments.service import get_run, latest_run_id

SORTS = {"monetary": CustomerSegment.monetary, "margin": CustomerSegment.margin, "clv": CustomerSegment.clv,
         "churn_risk": CustomerSegment.churn_risk, "recency_days": CustomerSegment.recency_days,
         "frequency": CustomerSegment.frequency, "rfm_code": CustomerSegment.rfm_code,
         "partner_id": CustomerSegment.partner_id}
EXPORT_COLUMNS = ("partner_code", "partner_name", "value_tier", "revenue_tier", "margin_tier", "rfm_code",
                  "rfm_segment", "recency_days", "frequency", "monetary", "margin", "clv", "probability_alive",
                  "churn_risk", "churn_bucket")


@dataclass(frozen=True)
class SegmentFilter:
    run_id: int | None = None
    tier: str | None = None
    rfm: str | None = None
    segment: str | None = None
    churn_min: float | None = None
    churn_bucket: str | None = None


def _statement(session: Session, actor: Actor, f: SegmentFilter) -> tuple[Any, int]:
    if f.run_id is None:
        run_id = latest_run_id(session, actor)
        if run_id is None:
            raise NotFound(detail="no segmentation run has succeeded yet")
    else:
        run = get_run(session, actor, f.run_id)
        if run.status != RunStatus.succeeded:
            raise invalid("run_id", f"run {run.id} is {run.status}; only a succeeded run has segments")
        run_id = run.id
    stmt = (select(CustomerSegment, Partner.code, Partner.name)
            .join(Partner, Partner.id == CustomerSegment.partner_id).where(CustomerSegment.run_id == run_id))
    if f.tier:
        stmt = stmt.where(CustomerSegment.value_tier == f.tier)
    if f.rfm:
        stmt = stmt.where(CustomerSegment.rfm_code == f.rfm)
    if f.segment:
        stmt = stmt.where(CustomerSegment.rfm_segment == f.segment)
    if f.churn_min is not None:
        stmt = stmt.where(CustomerSegment.churn_risk >= f.churn_min)
    if f.churn_bucket:
        stmt = stmt.where(CustomerSegment.churn_bucket == f.churn_bucket)
    return stmt, run_id


def _row(segment: CustomerSegment, code: str, name: str) -> dict[str, Any]:
    data = {c.key: getattr(segment, c.key) for c in CustomerSegment.__table__.columns}
    return {**data, "partner_code": code, "partner_name": name}


def list_segments(session: Session, actor: Actor, f: SegmentFilter,
                  params: ListParams) -> tuple[list[dict[str, Any]], int]:
    """One page of a run's segments (the latest succeeded run by default), largest revenue first."""
    stmt, _ = _statement(session, actor, f)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    sort = params.sort or "-monetary"
    key = sort.lstrip("-")
    if key not in SORTS:
        raise invalid("sort", f"unknown sort field {key!r}; use one of {', '.join(sorted(SORTS))}")
    column = SORTS[key].desc() if sort.startswith("-") else SORTS[key].asc()
    rows = session.execute(stmt.order_by(column, CustomerSegment.partner_id)
                           .limit(params.page_size).offset((params.page - 1) * params.page_size)).all()
    return [_row(s, code, name) for s, code, name in rows], total


def distribution(session: Session, actor: Actor, run_id: int | None = None) -> dict[str, Any]:
    """Customers per value tier, per RFM segment and per R x F score cell (for the page's charts)."""
    _, run = _statement(session, actor, SegmentFilter(run_id=run_id))
    base = select(CustomerSegment).where(CustomerSegment.run_id == run).subquery()

    def counts(*columns: str) -> list[tuple[Any, ...]]:
        cols = [base.c[c] for c in columns]
        return [tuple(r) for r in session.execute(select(*cols, func.count()).group_by(*cols).order_by(*cols))]
    return {"run_id": run, "tiers": dict(counts("value_tier")), "segments": dict(counts("rfm_segment")),
            "rf_cells": [list(r) for r in counts("r_score", "f_score")],
            "churn": dict((k or "none", v) for k, v in counts("churn_bucket"))}


def export_csv(session: Session, actor: Actor, f: SegmentFilter) -> Iterator[str]:
    """The filtered segments as CSV text chunks (header first), streamed in pages of 5 000 rows."""
    stmt, _ = _statement(session, actor, f)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    stmt = stmt.order_by(CustomerSegment.monetary.desc(), CustomerSegment.partner_id)
    for partition in session.execute(stmt.execution_options(yield_per=5000)).partitions():
        for segment, code, name in partition:
            row = _row(segment, code, name)
            writer.writerow(["" if row[c] is None else row[c] for c in EXPORT_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
