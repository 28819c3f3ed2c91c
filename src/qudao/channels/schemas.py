from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from qudao.catalog.schemas import CODE
from qudao.common.enums import ChannelKind


class ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=CODE)
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    kind: ChannelKind
    parent_code: str | None = Field(default=None, max_length=40)


class ChannelUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_zh: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    kind: ChannelKind | None = None
    parent_code: str | None = Field(default=None, max_length=40)


class ChannelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name_zh: str
    name_en: str
    kind: ChannelKind
    parent_id: int | None
    archived_at: datetime | None
    created_at: datetime
