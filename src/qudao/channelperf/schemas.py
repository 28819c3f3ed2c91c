"""Request and response shapes for MAP prices, territories, conflicts and performance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class MapPriceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=40)
    channel_code: str = Field(min_length=1, max_length=40)
    min_price: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    effective_from: date
    effective_to: date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> MapPriceCreate:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to must not be before effective_from")
        return self


class MapPriceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_price: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4)
    effective_to: date | None = None


class MapPriceOut(BaseModel):
    id: int
    sku: str
    channel_code: str
    min_price: Decimal
    effective_from: date
    effective_to: date | None


class TerritoryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner_code: str = Field(min_length=1, max_length=40)
    province: str = Field(min_length=1, max_length=100, pattern=r"\S")


class TerritoryOut(BaseModel):
    id: int
    partner_code: str
    province: str


class ConflictOut(BaseModel):
    kind: str  # map | territory | cannibalisation
    channel_code: str | None
    partner_code: str | None
    sku: str | None
    summary: str
    evidence: list[dict[str, Any]]


class ConflictReport(BaseModel):
    start: date
    end: date
    items: list[ConflictOut]
    counts: dict[str, int]


class PerformanceRow(BaseModel):
    key: str
    name: str
    revenue: float
    prior_revenue: float | None
    growth: float | None
    cost: float | None
    margin: float | None
    share: float | None
    sell_in_qty: float
    sell_through_qty: float
    sell_through_rate: float | None
    ordered_qty: float
    shipped_qty: float
    fill_rate: float | None
    components: dict[str, float]
    score: float
    trend: list[dict[str, Any]]


class PerformanceReport(BaseModel):
    by: str
    start: date
    end: date
    prior_start: date
    weights: dict[str, float]
    items: list[PerformanceRow]
