"""Forecast runs, the values they produced, the model each series got, and accuracy snapshots.

Forecast numbers are statistical estimates (means and interval bounds), not ledger quantities, so they are
stored as double precision: exact decimals would buy nothing and cost a conversion per value in bulk writes.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.db import Base, BigId, IdMixin, TimestampMixin


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class Grain(StrEnum):
    day = "day"
    week = "week"
    month = "month"


class ForecastRun(IdMixin, TimestampMixin, Base):
    """One forecast run: options, scope, progress while it runs, and what it produced."""

    __tablename__ = "forecast_runs"

    status: Mapped[str] = mapped_column(String(20), default=RunStatus.queued, index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    step: Mapped[str] = mapped_column(String(80), default="")
    grain: Mapped[str] = mapped_column(String(10))
    horizon: Mapped[int] = mapped_column(Integer)
    profile: Mapped[str] = mapped_column(String(10), default="fast")
    # "none": bottom-level forecasts as fitted (roll-ups sum them, so they are coherent by construction);
    # "ols": also forecast the total, category and channel nodes and reconcile (MinT with OLS weights).
    reconcile: Mapped[str] = mapped_column(String(20), default="none", server_default="none")
    # {"skus": [...], "locations": [...], "channels": [...]} as given (codes) and resolved (ids).
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    history_start: Mapped[date | None] = mapped_column(Date)
    history_end: Mapped[date | None] = mapped_column(Date)
    requested_by: Mapped[str] = mapped_column(String(120), default="")
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str] = mapped_column(String(4000), default="")
    # Series counts per demand class and per model, rows written, notes from the engine.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ForecastSeries(IdMixin, Base):
    """The demand class and the model a series got in a run (one row per run x series)."""

    __tablename__ = "forecast_series"
    __table_args__ = (UniqueConstraint("run_id", "product_id", "location_id", "channel_id",
                                       name="uq_forecast_series_run_series"),)

    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("forecast_runs.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    demand_class: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(120))
    backtest_wape: Mapped[float | None] = mapped_column(Float)
    periods: Mapped[int] = mapped_column(Integer)
    stockout_periods: Mapped[int] = mapped_column(Integer, default=0)


class ForecastValue(IdMixin, Base):
    """One forecast period of one series in one run, with its 80% and 95% prediction intervals."""

    __tablename__ = "forecast_values"
    __table_args__ = (
        UniqueConstraint("run_id", "product_id", "location_id", "channel_id", "ds",
                         name="uq_forecast_values_run_series_ds"),
        Index("ix_forecast_values_product_run", "product_id", "run_id"),
    )

    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("forecast_runs.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    ds: Mapped[date] = mapped_column(Date)
    forecast: Mapped[float] = mapped_column(Float)
    lo_80: Mapped[float] = mapped_column(Float)
    hi_80: Mapped[float] = mapped_column(Float)
    lo_95: Mapped[float] = mapped_column(Float)
    hi_95: Mapped[float] = mapped_column(Float)
    model: Mapped[str] = mapped_column(String(120))


class ForecastAccuracy(IdMixin, Base):
    """Accuracy of one run for one series over the forecast periods whose actuals have arrived.

    Sums are kept beside the ratios so WAPE and bias of any group (class, channel, all) are exact ratios of
    sums, not averages of ratios.
    """

    __tablename__ = "forecast_accuracy"
    __table_args__ = (UniqueConstraint("run_id", "product_id", "location_id", "channel_id",
                                       name="uq_forecast_accuracy_run_series"),)

    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("forecast_runs.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    demand_class: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(120))
    periods: Mapped[int] = mapped_column(Integer)
    actual_total: Mapped[float] = mapped_column(Float)
    forecast_total: Mapped[float] = mapped_column(Float)
    abs_error: Mapped[float] = mapped_column(Float)
    naive_abs_error: Mapped[float] = mapped_column(Float)
    wape: Mapped[float | None] = mapped_column(Float)
    mase: Mapped[float | None] = mapped_column(Float)
    bias: Mapped[float | None] = mapped_column(Float)
    naive_wape: Mapped[float | None] = mapped_column(Float)
    fva: Mapped[float | None] = mapped_column(Float)
    measured_through: Mapped[date] = mapped_column(Date)
    measured_at: Mapped[datetime] = mapped_column()
