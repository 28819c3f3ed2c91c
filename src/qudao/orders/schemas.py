from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qudao.catalog.schemas import CODE

Qty = Field(max_digits=18, decimal_places=4)


class OrderLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=40)
    # Sign and whole-unit checks are business rules (they name the line), done in the service.
    quantity: Decimal = Field(max_digits=18, decimal_places=4)
    unit_price: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4,
                                       description="Defaults to the channel price list, else the list price")


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel_code: str = Field(min_length=1, max_length=40)
    external_order_id: str = Field(min_length=1, max_length=80, description="The channel's own order id")
    customer_code: str | None = Field(default=None, max_length=40,
                                      description="Ordering partner; a partner user may omit it (its own)")
    ship_to_code: str = Field(min_length=1, max_length=40, description="Ship-to location code")
    promised_date: date | None = None
    rush: bool = False
    allow_split: bool = Field(default=False, description="The customer accepts shipments from several places")
    notes: str = Field(default="", max_length=2000)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=1000)


class OrderBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    orders: list[OrderCreate] = Field(min_length=1, max_length=100_000)


class AllocationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    location_id: int
    quantity: Decimal
    shipped_qty: Decimal


class OrderLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    line_no: int
    product_id: int
    quantity: Decimal
    unit_price: Decimal
    allocated_qty: Decimal
    shipped_qty: Decimal
    backorder_qty: Decimal
    cancelled_qty: Decimal
    returned_qty: Decimal
    allocations: list[AllocationOut]


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    channel_id: int
    external_order_id: str
    partner_id: int
    ship_to_location_id: int
    source: str
    status: str
    hold_reason: str | None
    credit_hold: bool
    rush: bool
    promised_date: date | None
    allow_split: bool
    currency: str
    total_amount: Decimal
    notes: str
    created_at: datetime
    status_changed_at: datetime
    lines: list[OrderLineOut]
    duplicate: bool = Field(default=False, description="True when this (channel, external id) was booked before")


class OrderSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    channel_id: int
    external_order_id: str
    partner_id: int
    ship_to_location_id: int
    status: str
    hold_reason: str | None
    rush: bool
    promised_date: date | None
    total_amount: Decimal
    created_at: datetime


class BatchResultItem(BaseModel):
    index: int
    id: int
    external_order_id: str
    status: str
    duplicate: bool


class BatchResult(BaseModel):
    orders: int
    created: int
    duplicates: int
    lines: int
    allocated_lines: int
    allocated_quantity: Decimal
    backordered_quantity: Decimal
    on_hold: int
    items: list[BatchResultItem]


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=500)


class RushIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rush: bool = True


class ReallocateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ship_from_rule: Literal["nearest", "priority"] | None = None
    location_code: str | None = Field(default=None, max_length=40,
                                      description="Ship everything from this location (planner override)")


class ShipmentLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_no: int = Field(ge=1, le=100_000)
    quantity: Decimal = Field(gt=0, max_digits=18, decimal_places=4)


class ShipmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location_code: str = Field(min_length=1, max_length=40, pattern=CODE)
    lines: list[ShipmentLineIn] | None = Field(default=None, max_length=1000,
                                               description="Default: everything allocated at the location")
    carrier: str = Field(default="", max_length=100)


class ShipmentAdvance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tracking_number: str | None = Field(default=None, max_length=100)
    carrier: str | None = Field(default=None, max_length=100)
    received_by: str | None = Field(default=None, max_length=200)


class ShipmentLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    order_line_id: int
    quantity: Decimal


class ShipmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    location_id: int
    status: str
    carrier: str
    tracking_number: str
    picked_at: datetime | None
    packed_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    received_by: str
    lines: list[ShipmentLineOut]


RETURN_REASONS = ("damaged", "defective", "wrong_item", "not_needed", "expired", "other")


class ReturnLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_no: int = Field(ge=1, le=100_000)
    quantity: Decimal = Field(gt=0, max_digits=18, decimal_places=4)


class ReturnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: int = Field(ge=1, le=2**63 - 1)
    reason: Literal["damaged", "defective", "wrong_item", "not_needed", "expired", "other"]
    notes: str = Field(default="", max_length=2000)
    location_code: str | None = Field(default=None, max_length=40,
                                      description="Where the goods come back to; default the ship-from")
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=1000)


class InspectionLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_no: int = Field(ge=1, le=100_000, description="The order line number")
    disposition: Literal["restock", "scrap"]
    condition: str = Field(default="", max_length=40)


class InspectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[InspectionLineIn] = Field(min_length=1, max_length=1000)


class ReturnLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    order_line_id: int
    quantity: Decimal
    condition: str
    disposition: str | None
    restocked_qty: Decimal
    scrapped_qty: Decimal


class ReturnOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    order_id: int
    reason: str
    notes: str
    status: str
    location_id: int
    received_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    lines: list[ReturnLineOut]


class OrderEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: str
    message: str
    actor_name: str
    data: dict[str, Any] | None


class ExceptionOut(BaseModel):
    # shipment_*: raised by logistics through qudao.orders.alerts
    kind: Literal["on_hold", "late", "short_shipped", "stuck", "shipment_late", "shipment_exception"]
    order_id: int
    number: str
    status: str
    detail: str
    action: str


class PriceListItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=40)
    price: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    min_price: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    max_price: Decimal = Field(ge=0, max_digits=18, decimal_places=4)


class PriceListIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=CODE)
    channel_code: str = Field(min_length=1, max_length=40)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    items: list[PriceListItemIn] = Field(default_factory=list, max_length=100_000)


class PriceListOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    channel_id: int
    currency: str
    active: bool


class PriorityRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["rush", "tier", "channel", "promised_date", "order_age"]
    weight: float = Field(ge=0, le=1_000_000)
    scores: dict[str, float] | None = Field(default=None, description="tier -> factor, or channel code -> factor")
    horizon_days: float = Field(default=30.0, gt=0, le=3650)
    active: bool = True


class PriorityRuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    weight: float
    scores: dict[str, Any] | None
    horizon_days: float
    active: bool
