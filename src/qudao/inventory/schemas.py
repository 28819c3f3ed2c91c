from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

CODE = r"^[A-Za-z0-9][A-Za-z0-9_.\-/]*$"


class BalanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    location_code: str
    on_hand: Decimal
    reserved: Decimal
    expired: Decimal
    available: Decimal
    in_transit: Decimal
    on_order: Decimal
    value: Decimal
    updated_at: datetime


class MovementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    movement_type: str
    sku: str
    location_code: str
    lot_code: str | None
    quantity: Decimal
    on_hand_delta: Decimal
    reserved_delta: Decimal
    expired_delta: Decimal
    in_transit_delta: Decimal
    on_order_delta: Decimal
    value_delta: Decimal
    unit_cost: Decimal | None
    reference: str
    reason: str
    actor_name: str


class LotBalanceOut(BaseModel):
    sku: str
    location_code: str
    lot: str
    expiry: date | None
    on_hand: Decimal
    expired: Decimal


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=40)
    location_code: str = Field(min_length=1, max_length=40)
    quantity: Decimal = Field(max_digits=18, decimal_places=4, description="Signed: + found, - lost")
    reason: str = Field(min_length=1, max_length=200)
    unit_cost: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4)
    lot: str | None = Field(default=None, min_length=1, max_length=60)
    expiry: date | None = None
    reference: str = Field(default="", max_length=80)


class ReceiptIn(BaseModel):
    """A receipt or customer return outside a purchase order."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=40)
    location_code: str = Field(min_length=1, max_length=40)
    quantity: Decimal = Field(gt=0, max_digits=18, decimal_places=4)
    unit_cost: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    lot: str | None = Field(default=None, min_length=1, max_length=60)
    expiry: date | None = None
    is_return: bool = False
    reference: str = Field(default="", max_length=80)


class ScrapIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=40)
    location_code: str = Field(min_length=1, max_length=40)
    quantity: Decimal = Field(gt=0, max_digits=18, decimal_places=4)
    reason: str = Field(min_length=1, max_length=200)
    lot: str | None = Field(default=None, min_length=1, max_length=60)
    reference: str = Field(default="", max_length=80)


class DriftOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    scope: str
    product_id: int | None
    location_id: int
    lot_id: int | None
    bucket: str
    balance: Decimal
    ledger: Decimal
    difference: Decimal


class VerifyOut(BaseModel):
    ok: bool
    drift: list[DriftOut]


class ValuationRow(BaseModel):
    group: str
    quantity: Decimal
    value: Decimal


class ValuationOut(BaseModel):
    as_of: datetime
    group_by: str
    method: str
    rows: list[ValuationRow]
    total_value: Decimal


class CountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, min_length=1, max_length=40, pattern=CODE)
    location_code: str = Field(min_length=1, max_length=40)
    skus: list[str] | None = Field(default=None, max_length=5000, description="Omit to count every SKU held")
    note: str = Field(default="", max_length=300)


class CountEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=40)
    counted: Decimal = Field(ge=0, max_digits=18, decimal_places=4)


class CountEntriesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[CountEntry] = Field(min_length=1, max_length=5000)


class CountLineOut(BaseModel):
    sku: str
    expected: Decimal
    counted: Decimal | None
    variance: Decimal | None
    variance_value: Decimal | None


class CountOut(BaseModel):
    code: str
    location_code: str
    status: str
    note: str
    approved_by: str | None
    approved_at: datetime | None
    created_at: datetime
    lines: list[CountLineOut]


class HealthRow(BaseModel):
    sku: str
    location_code: str
    category: str
    channel: str
    on_hand: Decimal
    available: Decimal
    value: Decimal
    issued: Decimal
    cost_of_goods: Decimal
    average_daily_demand: float
    days_of_supply: float | None
    turnover: float | None
    age_days: float | None
    abc: str
    xyz: str
    dead: bool
    excess: bool
    below_reorder_point: bool


class HealthGroup(BaseModel):
    group: str
    items: int
    value: Decimal
    cost_of_goods: Decimal
    turnover: float | None
    a_items: int
    b_items: int
    c_items: int
    dead_value: Decimal
    excess_value: Decimal
    below_reorder_point: int


class HealthOut(BaseModel):
    as_of: datetime
    window_days: int
    group_by: str
    groups: list[HealthGroup]
    rows: list[HealthRow]
