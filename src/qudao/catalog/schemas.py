from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from qudao.common.enums import Lifecycle

CODE = r"^[A-Za-z0-9][A-Za-z0-9_.\-/]*$"
NonNegative = Field(default=None, ge=0, max_digits=18, decimal_places=4)


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=CODE)
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    parent_code: str | None = Field(default=None, max_length=40)


class CategoryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_zh: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    parent_code: str | None = Field(default=None, max_length=40)


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name_zh: str
    name_en: str
    parent_id: int | None
    path: str
    archived_at: datetime | None


class ProductFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_zh: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    category_code: str | None = Field(default=None, max_length=40)
    brand: str | None = Field(default=None, max_length=100)
    barcode: str | None = Field(default=None, max_length=40)
    uom: str | None = Field(default=None, min_length=1, max_length=10)
    allows_fractional: bool | None = None
    pack_size: Decimal | None = Field(default=None, gt=0, max_digits=18, decimal_places=4)
    weight_kg: Decimal | None = NonNegative
    volume_m3: Decimal | None = NonNegative
    list_price: Decimal | None = NonNegative
    standard_cost: Decimal | None = NonNegative
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    shelf_life_days: int | None = Field(default=None, gt=0, le=36500)
    lifecycle: Lifecycle | None = None
    successor_sku: str | None = Field(default=None, max_length=40)
    substitute_skus: list[str] | None = Field(default=None, max_length=50)


class ProductCreate(ProductFields):
    sku: str = Field(min_length=1, max_length=40, pattern=CODE)
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)


class ProductUpdate(ProductFields):
    pass


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    name_zh: str
    name_en: str
    category_id: int | None
    category_code: str | None
    brand: str
    barcode: str | None
    uom: str
    allows_fractional: bool
    pack_size: Decimal
    weight_kg: Decimal | None
    volume_m3: Decimal | None
    list_price: Decimal
    standard_cost: Decimal
    currency: str
    shelf_life_days: int | None
    lifecycle: Lifecycle
    successor_sku: str | None
    substitute_skus: list[str]
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime
