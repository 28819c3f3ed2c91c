from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

CODE = r"^[A-Za-z0-9][A-Za-z0-9_.\-/]*$"
Qty = Field(gt=0, max_digits=18, decimal_places=4)
Price = Field(ge=0, max_digits=18, decimal_places=4)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ---- scorecards ------------------------------------------------------------------------------------


class WeightsIn(_In):
    otif: Decimal = Field(ge=0, le=1, decimal_places=4)
    quality: Decimal = Field(ge=0, le=1, decimal_places=4)
    price: Decimal = Field(ge=0, le=1, decimal_places=4)
    lead_time: Decimal = Field(ge=0, le=1, decimal_places=4)
    responsiveness: Decimal = Field(ge=0, le=1, decimal_places=4)


class WeightsOut(BaseModel):
    otif: float
    quality: float
    price: float
    lead_time: float
    responsiveness: float


class RefreshIn(_In):
    as_of: date | None = Field(default=None, description="Last day counted (default today)")
    months: int = Field(default=12, ge=1, le=60, description="Trailing window of the current scorecard")


class RefreshOut(BaseModel):
    as_of: date
    suppliers: int
    periods: int


class ScorecardOut(_Out):
    supplier_code: str
    supplier_name: str
    period: str
    as_of: date
    computed_at: datetime
    lines: int
    lines_assessed: int
    otif_pct: Decimal | None
    rejection_pct: Decimal | None
    price_variance_pct: Decimal | None
    lead_time_mean_days: Decimal | None
    lead_time_std_days: Decimal | None
    response_hours: Decimal | None
    otif_score: Decimal | None
    quality_score: Decimal | None
    price_score: Decimal | None
    lead_time_score: Decimal | None
    responsiveness_score: Decimal | None
    score: Decimal | None
    grade: str | None
    tier: str | None


class ScorecardDetail(ScorecardOut):
    trend: list[ScorecardOut]


class LeadTimeOut(BaseModel):
    supplier_code: str
    sku: str
    mean_days: float
    std_days: float | None
    n: int
    last_days: float


# ---- contract prices and inspections -----------------------------------------------------------------


class ContractPriceIn(_In):
    supplier_code: str = Field(min_length=1, max_length=40)
    sku: str = Field(min_length=1, max_length=40)
    price: Decimal = Price
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    valid_from: date
    valid_to: date | None = None


class ContractPriceOut(_Out):
    id: int
    supplier_code: str
    sku: str
    price: Decimal
    currency: str
    valid_from: date
    valid_to: date | None


class InspectionIn(_In):
    order_code: str = Field(min_length=1, max_length=40)
    line_no: int = Field(ge=1, le=1_000_000)
    inspected_quantity: Decimal = Qty
    rejected_quantity: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    reason: str = Field(default="", max_length=200)


class InspectionOut(_Out):
    id: int
    order_code: str
    line_no: int
    sku: str
    inspected_quantity: Decimal
    rejected_quantity: Decimal
    reason: str
    inspected_at: datetime
    inspector: str


# ---- sourcing ----------------------------------------------------------------------------------------


class SourceIn(_In):
    supplier_code: str = Field(min_length=1, max_length=40)
    priority: int = Field(default=1, ge=1, le=99)
    share_pct: Decimal = Field(ge=0, le=100, decimal_places=2)
    min_order_qty: Decimal = Field(default=Decimal(0), ge=0, max_digits=18, decimal_places=4)
    pack_size: Decimal = Field(default=Decimal(1), gt=0, max_digits=18, decimal_places=4)
    contract_price: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4)
    lead_time_days: int | None = Field(default=None, ge=0, le=730, description="Overrides the measured lead time")
    valid_from: date | None = None
    valid_to: date | None = None


class SourcingIn(_In):
    """The approved suppliers of one item; their shares must add up to 100 % on every day."""

    suppliers: list[SourceIn] = Field(min_length=1, max_length=50)


class SourcingCreate(SourcingIn):
    sku: str = Field(min_length=1, max_length=40)


class SourceOut(_Out):
    id: int
    sku: str
    supplier_code: str
    priority: int
    share_pct: Decimal
    min_order_qty: Decimal
    pack_size: Decimal
    contract_price: Decimal | None
    lead_time_days: int | None
    valid_from: date | None
    valid_to: date | None


class SourcingOut(BaseModel):
    sku: str
    single_source: bool
    suppliers: list[SourceOut]


class SingleSourceOut(BaseModel):
    sku: str
    supplier_code: str


# ---- supplier portal ------------------------------------------------------------------------------


class ConfirmLineIn(_In):
    line_no: int = Field(ge=1, le=1_000_000)
    quantity: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    promised_date: date
    note: str = Field(default="", max_length=300)


class ConfirmIn(_In):
    lines: list[ConfirmLineIn] = Field(min_length=1, max_length=1000)


class NoticeLineIn(_In):
    line_no: int = Field(ge=1, le=1_000_000)
    quantity: Decimal = Qty


class NoticeIn(_In):
    code: str | None = Field(default=None, min_length=1, max_length=40, pattern=CODE)
    ship_date: date
    expected_arrival: date
    carrier: str = Field(default="", max_length=80)
    tracking_number: str = Field(default="", max_length=80)
    note: str = Field(default="", max_length=300)
    lines: list[NoticeLineIn] = Field(min_length=1, max_length=1000)


class NoticeLineOut(_Out):
    line_no: int
    sku: str
    quantity: Decimal


class NoticeOut(_Out):
    code: str
    order_code: str
    supplier_code: str
    ship_date: date
    expected_arrival: date
    carrier: str
    tracking_number: str
    note: str
    created_at: datetime
    lines: list[NoticeLineOut]


class PortalLineOut(BaseModel):
    line_no: int
    sku: str
    quantity: Decimal
    unit_cost: Decimal
    received_quantity: Decimal
    notified_quantity: Decimal
    open_to_ship: Decimal
    confirmed_quantity: Decimal | None
    promised_date: date | None
    confirmed_at: datetime | None


class PortalOrderOut(BaseModel):
    code: str
    supplier_code: str
    location_code: str
    status: str
    currency: str
    expected_date: date | None
    sent_at: datetime | None
    lines: list[PortalLineOut]
