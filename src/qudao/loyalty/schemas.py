"""Request and response bodies of the loyalty API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_POINTS = 1_000_000_000


class TierRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40)
    min_points: int = Field(ge=1, le=MAX_POINTS, description="Rolling 12-month points needed for this tier")


class ProgrammeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    points_per_unit: Decimal = Field(default=Decimal(1), gt=0, le=1000, max_digits=12, decimal_places=4,
                                     description="Points earned per currency unit of order amount")
    expiry_months: int = Field(default=24, ge=1, le=240)
    base_tier: str = Field(default="member", min_length=1, max_length=40)
    tiers: list[TierRule] = Field(default_factory=list, max_length=20)

    @field_validator("tiers")
    @classmethod
    def _ascending(cls, tiers: list[TierRule]) -> list[TierRule]:
        thresholds = [t.min_points for t in tiers]
        if thresholds != sorted(set(thresholds)):
            raise ValueError("tiers must have strictly ascending min_points")
        if len({t.code for t in tiers}) != len(tiers):
            raise ValueError("tier codes must be unique")
        return tiers


class ProgrammeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    currency: str
    points_per_unit: Decimal
    expiry_months: int
    base_tier: str
    tiers: list[TierRule]
    active: bool


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    programme: str = Field(min_length=1, max_length=40, description="Programme code")
    partner: str = Field(min_length=1, max_length=40, description="Partner code")
    joined_on: date | None = None


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    programme_id: int
    partner_id: int
    balance: int
    tier: str
    joined_on: date


class RedemptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: int = Field(ge=1, le=MAX_POINTS)
    reason: str = Field(default="", max_length=200)


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: int = Field(ge=-MAX_POINTS, le=MAX_POINTS, description="Positive credits, negative debits; not 0")
    reason: str = Field(min_length=1, max_length=200)


class AccrualIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: int = Field(ge=1, le=2**63 - 1)


class ExpiryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(default=None, description="Expire credits due on or before this day (default today)")


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    member_id: int
    kind: str
    points: int
    booked_on: date
    expires_on: date | None
    order_id: int | None
    amount: Decimal | None
    reason: str
    created_by: str
    created_at: datetime


class TierChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    member_id: int
    from_tier: str
    to_tier: str
    rolling_points: int
    changed_on: date


class StatementOut(BaseModel):
    member: MemberOut
    period_start: date
    period_end: date
    opening_balance: int
    closing_balance: int
    totals: dict[str, int]
    entries: list[EntryOut]


class ExpiryOut(BaseModel):
    as_of: date
    members_expired: int
    points_expired: int
    tier_changes: int
