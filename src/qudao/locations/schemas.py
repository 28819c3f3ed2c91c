from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from qudao.catalog.schemas import CODE
from qudao.common.enums import LocationKind


class LocationFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: LocationKind | None = None
    owner_partner_code: str | None = Field(default=None, max_length=40)
    channel_code: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=100)
    province: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    priority: int | None = Field(default=None, ge=0, le=10_000)


class LocationCreate(LocationFields):
    code: str = Field(min_length=1, max_length=40, pattern=CODE)
    name: str = Field(min_length=1, max_length=200)
    kind: LocationKind


class LocationUpdate(LocationFields):
    pass


class LocationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: LocationKind
    owner_partner_id: int | None
    channel_id: int | None
    address: str
    city: str
    province: str
    country: str
    latitude: float | None
    longitude: float | None
    priority: int
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime
