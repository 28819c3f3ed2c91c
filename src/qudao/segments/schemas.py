"""Request and response bodies of segmentation runs and customer segments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SegmentationRunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(default=None, description="Judge customers as of this day (default today)")
    with_clv: bool = Field(default=False, description="Fit BG/NBD + Gamma-Gamma for CLV and churn risk (slower)")
    high_share: float = Field(default=0.80, gt=0, lt=1, description="Cumulative value share of the high tier")
    middle_share: float = Field(default=0.95, gt=0, le=1, description="Cumulative value share up to middle")
    churn_low: float = Field(default=0.30, gt=0, lt=1, description="Churn risk below this is low")
    churn_high: float = Field(default=0.70, gt=0, lt=1, description="Churn risk from this on is high")
    horizon_days: int = Field(default=90, ge=1, le=3650, description="Days ahead for expected purchases")

    @model_validator(mode="after")
    def _ordered(self) -> SegmentationRunCreate:
        if self.high_share >= self.middle_share:
            raise ValueError("high_share must be below middle_share")
        if self.churn_low >= self.churn_high:
            raise ValueError("churn_low must be below churn_high")
        return self


class SegmentationRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    progress: float
    step: str
    as_of: date
    with_clv: bool
    options: dict[str, Any]
    requested_by: str
    started_at: datetime | None
    finished_at: datetime | None
    error: str
    summary: dict[str, Any]
    created_at: datetime


class CustomerSegmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    run_id: int
    partner_id: int
    partner_code: str
    partner_name: str
    recency_days: int
    frequency: int
    monetary: Decimal
    margin: Decimal
    r_score: int
    f_score: int
    m_score: int
    rfm_code: str
    rfm_segment: str
    revenue_tier: str
    margin_tier: str
    value_tier: str
    clv: float | None
    expected_purchases: float | None
    probability_alive: float | None
    churn_risk: float | None
    churn_bucket: str | None
