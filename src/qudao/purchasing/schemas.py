from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

CODE = r"^[A-Za-z0-9][A-Za-z0-9_.\-/]*$"
Qty = Field(gt=0, max_digits=18, decimal_places=4)


class PurchaseLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=40)
    quantity: Decimal = Qty
    unit_cost: Decimal = Field(ge=0, max_digits=18, decimal_places=4)


class PurchaseOrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, min_length=1, max_length=40, pattern=CODE)
    supplier_code: str = Field(min_length=1, max_length=40)
    location_code: str = Field(min_length=1, max_length=40)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    expected_date: date | None = None
    over_receipt_tolerance_pct: Decimal = Field(default=Decimal(0), ge=0, le=100, decimal_places=2)
    note: str = Field(default="", max_length=500)
    lines: list[PurchaseLineIn] = Field(min_length=1, max_length=1000)


class ReceiptLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_no: int | None = Field(default=None, ge=1, description="Line to receive against (or give the sku)")
    sku: str | None = Field(default=None, max_length=40)
    quantity: Decimal = Qty
    lot: str | None = Field(default=None, min_length=1, max_length=60)
    expiry: date | None = None


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=1000)


class PurchaseLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line_no: int
    sku: str
    quantity: Decimal
    unit_cost: Decimal
    received_quantity: Decimal
    outstanding: Decimal


class PurchaseOrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    supplier_code: str
    location_code: str
    status: str
    currency: str
    expected_date: date | None
    over_receipt_tolerance_pct: Decimal
    note: str
    confirmed_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    lines: list[PurchaseLineOut]


class TransferLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=40)
    quantity: Decimal = Qty


class TransferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, min_length=1, max_length=40, pattern=CODE)
    from_location_code: str = Field(min_length=1, max_length=40)
    to_location_code: str = Field(min_length=1, max_length=40)
    expected_date: date | None = None
    note: str = Field(default="", max_length=500)
    lines: list[TransferLineIn] = Field(min_length=1, max_length=1000)


class TransferReceiptLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_no: int | None = Field(default=None, ge=1)
    sku: str | None = Field(default=None, max_length=40)
    quantity: Decimal = Qty


class TransferReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[TransferReceiptLineIn] = Field(min_length=1, max_length=1000)


class TransferLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line_no: int
    sku: str
    quantity: Decimal
    shipped_quantity: Decimal
    received_quantity: Decimal
    in_transit: Decimal
    unit_cost: Decimal
    lots: list[dict[str, object]]


class TransferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    from_location_code: str
    to_location_code: str
    status: str
    expected_date: date | None
    note: str
    shipped_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    lines: list[TransferLineOut]


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=200)
