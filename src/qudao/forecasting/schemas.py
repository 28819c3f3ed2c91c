"""Forecast run requests and the shapes of runs, values, forecasts and accuracy in the API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qudao.forecasting.models import Grain

Code = Field(min_length=1, max_length=40)
# Longest horizon per grain: one year ahead.
MAX_HORIZON = {Grain.day: 366, Grain.week: 53, Grain.month: 12}


class ForecastRunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grain: Grain = Grain.week
    horizon: int = Field(default=13, ge=1, le=366, description="Periods of the grain to forecast")
    skus: list[str] = Field(default_factory=list, max_length=1000, description="Only these SKUs (all if empty)")
    locations: list[str] = Field(default_factory=list, max_length=1000, description="Only these location codes")
    channels: list[str] = Field(default_factory=list, max_length=200, description="Only these channel codes")
    history_start: date | None = Field(default=None, description="First day of history used (default: by grain)")
    history_end: date | None = Field(default=None, description="Last day of history used (default: latest data)")
    profile: Literal["fast", "full"] = "fast"
    reconcile: Literal["none", "ols"] = Field(
        default="none", description="none: roll-ups sum the SKU forecasts (coherent by construction); ols: also "
        "forecast total, category and channel nodes and reconcile all of them (MinT, OLS weights)")


class ForecastRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    progress: float
    step: str
    grain: str
    horizon: int
    profile: str
    reconcile: str
    scope: dict[str, Any]
    history_start: date | None
    history_end: date | None
    requested_by: str
    created_at: datetime
    updated_at: datetime = Field(description="Last change; a running run moves it at every progress step")
    started_at: datetime | None
    finished_at: datetime | None
    error: str
    summary: dict[str, Any]


class ForecastValueOut(BaseModel):
    sku: str
    location_code: str
    channel_code: str
    ds: date
    forecast: float
    lo_80: float
    hi_80: float
    lo_95: float
    hi_95: float
    model: str


class ForecastPoint(BaseModel):
    ds: date
    forecast: float
    lo_80: float
    hi_80: float
    lo_95: float
    hi_95: float


class HistoryPoint(BaseModel):
    ds: date
    y: float


class ForecastOut(BaseModel):
    """A forecast for one series or a roll-up (sum over the matching series) from one run."""

    run_id: int
    grain: str
    series: int
    filters: dict[str, str]
    intervals: str
    points: list[ForecastPoint]
    history: list[HistoryPoint] = Field(default_factory=list)


class AccuracyOut(BaseModel):
    sku: str
    location_code: str
    channel_code: str
    demand_class: str
    model: str
    periods: int
    actual_total: float
    forecast_total: float
    wape: float | None
    mase: float | None
    bias: float | None
    naive_wape: float | None
    fva: float | None
    measured_through: date


class AccuracyTrendOut(BaseModel):
    run_id: int
    grain: str
    history_end: date | None
    group: str
    series: int
    periods: int
    wape: float | None
    mase: float | None
    bias: float | None
    naive_wape: float | None
    fva: float | None
