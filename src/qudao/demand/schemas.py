"""Pydantic shapes of the demand API: sell-through rows, retail events, event uplift, new-product profiles."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CODE = r"^[A-Za-z0-9][A-Za-z0-9._\-]*$"
MAX_QUANTITY = Decimal("1e12")


class SellThroughRowIn(BaseModel):
    """One day of a SKU's sales to end customers at a location, in a channel."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=60)
    location_code: str = Field(min_length=1, max_length=40)
    channel_code: str = Field(min_length=1, max_length=40)
    day: date
    quantity: Decimal = Field(ge=0, lt=MAX_QUANTITY, decimal_places=4,
                              description="Units sold to end customers that day (0 is allowed: a correction)")
    revenue: Decimal = Field(default=Decimal(0), ge=0, lt=MAX_QUANTITY, decimal_places=4)
    on_promotion: bool = False
    stockout: bool = Field(default=False, description="The location had nothing to sell for part of the day")


class SellThroughBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[SellThroughRowIn] = Field(min_length=1, max_length=50_000)


class SellThroughResult(BaseModel):
    rows: int
    created: int = Field(description="Rows written")
    replaced: int = Field(description="Existing rows of the same SKU, location, channel and day that were replaced")


class EventKind(StrEnum):
    spring_festival = "spring_festival"
    e618 = "618"
    double_11 = "double_11"
    promotion = "promotion"
    holiday = "holiday"


class RetailEventBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    kind: EventKind
    starts_on: date
    ends_on: date
    peak_on: date | None = None
    channel_code: str | None = Field(default=None, max_length=40, description="Null: every channel")
    depth_pct: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=2,
                                      description="Promotion discount depth in percent of list price")


class RetailEventCreate(RetailEventBase):
    code: str = Field(min_length=1, max_length=60, pattern=CODE)

    @model_validator(mode="after")
    def _dates(self) -> RetailEventCreate:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        if self.peak_on is not None and not self.starts_on <= self.peak_on <= self.ends_on:
            raise ValueError("peak_on lies outside starts_on..ends_on")
        return self


class RetailEventUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_zh: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    kind: EventKind | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    peak_on: date | None = None
    channel_code: str | None = Field(default=None, max_length=40)
    depth_pct: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=2)


class RetailEventOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    kind: str
    starts_on: date
    ends_on: date
    peak_on: date | None
    channel_code: str | None
    depth_pct: Decimal | None


class EventUpliftOut(BaseModel):
    kind: str
    uplift: float = Field(description="Demand on event days / local baseline (1.6 = +60%)")
    observations: int = Field(description="(event occurrence, series) pairs with a usable baseline")
    event_days: int
    event_demand: float
    baseline_demand: float
    computed_at: datetime | None = Field(default=None, description="When it was stored; null: learnt just now")


class NewProductProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["analogue", "category"]
    analogue_sku: str | None = Field(default=None, min_length=1, max_length=60,
                                     description="Required for method 'analogue'")
    category_code: str | None = Field(default=None, min_length=1, max_length=40,
                                      description="For method 'category'; default: the product's own category")
    scale: Decimal = Field(default=Decimal(1), ge=0, le=1000, decimal_places=4)
    launch_on: date | None = None
    notes: str = Field(default="", max_length=2000)


class NewProductProfileOut(BaseModel):
    sku: str
    method: str
    analogue_sku: str | None
    category_code: str | None
    scale: Decimal
    launch_on: date | None
    notes: str


class NewProductForecastPoint(BaseModel):
    ds: date
    age: int
    forecast: float


class NewProductForecastOut(BaseModel):
    sku: str
    method: str
    source: str = Field(description="The analogue SKU or the category code the curve comes from")
    points: list[NewProductForecastPoint]


class HistoryPoint(BaseModel):
    product_id: int
    location_id: int
    channel_id: int
    ds: date
    y: float
    stockout: bool
    on_promotion: bool
