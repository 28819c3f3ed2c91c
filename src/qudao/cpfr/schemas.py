"""Request and response shapes of CPFR: partner forecast rows, comparison lines, overrides."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_BATCH_ROWS = 50_000


class CpfrGrain(StrEnum):
    week = "week"
    month = "month"


class PartnerForecastRowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    location_code: str = Field(min_length=1, max_length=40)
    channel_code: str = Field(min_length=1, max_length=40)
    grain: CpfrGrain = CpfrGrain.week
    period_start: date = Field(description="A Monday for weeks, the first day for months")
    quantity: Decimal = Field(ge=0, le=Decimal("1e12"), max_digits=18, decimal_places=4)

    @field_validator("period_start")
    @classmethod
    def _sane_year(cls, value: date) -> date:
        if not 2000 <= value.year <= 2100:
            raise ValueError("use a year between 2000 and 2100")
        return value


class PartnerForecastBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[PartnerForecastRowIn] = Field(min_length=1, max_length=MAX_BATCH_ROWS)


class SubmissionOut(BaseModel):
    id: int
    partner_code: str
    version: int
    source: str
    filename: str
    rows: int
    submitted_by: str
    submitted_at: datetime


class PartnerForecastLineOut(BaseModel):
    sku: str
    location_code: str
    channel_code: str
    grain: str
    period_start: date
    quantity: Decimal


class ComparisonLine(BaseModel):
    id: int = Field(description="The consensus line id (PUT /consensus/{id} overrides it)")
    partner_code: str
    sku: str
    location_code: str
    channel_code: str
    grain: str
    period_start: date
    partner_quantity: float
    statistical: float | None = Field(description="Latest succeeded run summed to the period; null when no "
                                                  "run covers the whole period")
    run_id: int | None
    gap: float | None = Field(description="partner - statistical")
    gap_pct: float | None = Field(description="gap / statistical x 100 (null when statistical is 0 or null)")
    exception: bool
    exception_reason: str | None = Field(description="gap | no_statistical")
    consensus: float
    consensus_source: str = Field(description="override | statistical | partner")
    submission_version: int
    override_reason: str
    overridden_by: str
    overridden_at: datetime | None


class OverrideOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    old_quantity: Decimal | None
    new_quantity: Decimal | None
    reason: str
    changed_by: str
    changed_at: datetime


class ConsensusDetail(ComparisonLine):
    overrides: list[OverrideOut]


class ConsensusOverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: Decimal = Field(ge=0, le=Decimal("1e12"), max_digits=18, decimal_places=4)
    reason: str = Field(min_length=1, max_length=1000)

    @field_validator("reason")
    @classmethod
    def _said_something(cls, value: str) -> str:
        if not value.strip() or "\x00" in value:
            raise ValueError("say why the consensus changes")
        return value.strip()


class AcceptSource(StrEnum):
    partner = "partner"
    statistical = "statistical"


class ConsensusAcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(min_length=1, max_length=1000)
    source: AcceptSource
    reason: str = Field(min_length=1, max_length=1000)

    @field_validator("reason")
    @classmethod
    def _said_something(cls, value: str) -> str:
        if not value.strip() or "\x00" in value:
            raise ValueError("say why the consensus changes")
        return value.strip()


class AcceptResult(BaseModel):
    accepted: int
