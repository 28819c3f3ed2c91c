"""Segmentation runs and the per-customer results each run stored.

Results are statistical measures (scores, expected values, probabilities), stored as double precision apart
from the money totals, which keep the exact Decimal of the orders they were summed from.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.db import Base, BigId, IdMixin, TimestampMixin


class RunStatus:
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class SegmentationRun(IdMixin, TimestampMixin, Base):
    __tablename__ = "segmentation_runs"

    status: Mapped[str] = mapped_column(String(20), default=RunStatus.queued, index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    step: Mapped[str] = mapped_column(String(80), default="")
    as_of: Mapped[date] = mapped_column(Date)
    with_clv: Mapped[bool] = mapped_column(default=False)
    # tier thresholds, churn thresholds, CLV horizon (the engine's SegmentationOptions as given)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requested_by: Mapped[str] = mapped_column(String(120), default="")
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str] = mapped_column(String(4000), default="")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CustomerSegment(IdMixin, Base):
    """One customer's measures in one run."""

    __tablename__ = "customer_segments"
    __table_args__ = (
        UniqueConstraint("run_id", "partner_id", name="uq_customer_segments_run_partner"),
        Index("ix_customer_segments_run_tier", "run_id", "value_tier"),
        Index("ix_customer_segments_run_rfm", "run_id", "rfm_code"),
    )

    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("segmentation_runs.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    recency_days: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[int] = mapped_column(Integer)
    monetary: Mapped[Decimal] = mapped_column()
    margin: Mapped[Decimal] = mapped_column()
    r_score: Mapped[int] = mapped_column(SmallInteger)
    f_score: Mapped[int] = mapped_column(SmallInteger)
    m_score: Mapped[int] = mapped_column(SmallInteger)
    rfm_code: Mapped[str] = mapped_column(String(3))
    rfm_segment: Mapped[str] = mapped_column(String(30))
    revenue_tier: Mapped[str] = mapped_column(String(10))
    margin_tier: Mapped[str] = mapped_column(String(10))
    value_tier: Mapped[str] = mapped_column(String(10))
    clv: Mapped[float | None] = mapped_column(Float)
    expected_purchases: Mapped[float | None] = mapped_column(Float)
    probability_alive: Mapped[float | None] = mapped_column(Float)
    churn_risk: Mapped[float | None] = mapped_column(Float)
    churn_bucket: Mapped[str | None] = mapped_column(String(10))
