from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from qudao.catalog.schemas import CODE
from qudao.common.enums import PartnerRole, PartnerStatus


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    title: str = Field(default="", max_length=100)
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=50)
    is_primary: bool = False


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    title: str
    email: str | None
    phone: str | None
    is_primary: bool


class PartnerFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    roles: list[PartnerRole] | None = Field(default=None, min_length=1, max_length=9)
    parent_code: str | None = Field(default=None, max_length=40)
    channel_code: str | None = Field(default=None, max_length=40)
    region: str | None = Field(default=None, max_length=100)
    territory: str | None = Field(default=None, max_length=100)
    tier: str | None = Field(default=None, pattern=r"^[A-Z]$")
    credit_limit: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4)
    payment_terms_days: int | None = Field(default=None, ge=0, le=365)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    tax_id: str | None = Field(default=None, max_length=40)
    status: PartnerStatus | None = None


class PartnerCreate(PartnerFields):
    code: str = Field(min_length=1, max_length=40, pattern=CODE)
    name: str = Field(min_length=1, max_length=200)
    roles: list[PartnerRole] = Field(min_length=1, max_length=9)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)


class PartnerUpdate(PartnerFields):
    pass


class PartnerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    name_en: str
    roles: list[PartnerRole]
    parent_id: int | None
    channel_id: int | None
    region: str
    territory: str
    tier: str
    credit_limit: Decimal
    payment_terms_days: int
    currency: str
    tax_id: str | None
    status: PartnerStatus
    contacts: list[ContactOut]
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime
