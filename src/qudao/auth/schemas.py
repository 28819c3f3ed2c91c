from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from qudao.common.actor import Role


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    role: Role
    partner_code: str | None = Field(default=None, max_length=40)
    full_name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, pattern=r"^(zh-CN|en)$")


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=200)
    role: Role | None = None
    locale: str | None = Field(default=None, pattern=r"^(zh-CN|en)$")
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    full_name: str
    email: str | None
    role: Role
    partner_id: int | None
    locale: str | None
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret; shown only once.")


class Me(BaseModel):
    username: str
    role: Role
    partner_id: int | None
