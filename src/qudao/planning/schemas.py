from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Qty = Field(gt=0, max_digits=18, decimal_places=4)
OptQty = Field(default=None, ge=0, max_digits=18, decimal_places=4)
Code = Field(min_length=1, max_length=40)
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]  # a BIGINT: an absurd id is a 422, not a database overflow


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bucket: Literal["day", "week"] = "week"
    horizon: int = Field(default=52, ge=1, le=400, description="Number of buckets planned")
    start: date | None = Field(default=None, ge=date(2000, 1, 1), le=date(2100, 12, 31),
                               description="First day of bucket 0 (default: today, UTC)")
    history_days: int = Field(default=91, ge=7, le=1096, description="Demand history window for the average")
    default_service_level: float | None = Field(
        default=None, gt=0, lt=1, description="Cycle service level for SKU-locations without a safety stock")
    peg: bool | None = Field(default=None, description=(
        "Store the pegging of every proposal: true always, false never (pegs are then computed when asked "
        "for), default: when the run has at most 250,000 proposals"))
    excess_buckets: int | None = Field(default=None, ge=1, le=400)
    allocation_policy: Literal["proportional", "priority", "max_margin"] = Field(
        default="proportional", description="How scarce supply is shared among the locations asking for it")
    min_service: float = Field(default=0.0, ge=0, le=1, description="max_margin: minimum share of each demand")


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    progress: float
    step: str
    bucket: str
    horizon: int
    start_date: date
    options: dict[str, Any]
    summary: dict[str, Any]
    error: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RunAccepted(BaseModel):
    id: int
    status: str
    url: str


class ProposalOut(BaseModel):
    id: int
    run_id: int
    kind: str
    sku: str
    from_location_code: str | None
    supplier_code: str | None
    to_location_code: str
    quantity: Decimal
    proposed_quantity: Decimal
    release_date: date
    due_date: date
    past_due: bool
    reason: str
    status: str
    order_reference: str | None


class PegOut(BaseModel):
    proposal_id: int
    demand_kind: str
    demand_ref: str
    demand_date: date
    quantity: Decimal


class ExceptionOut(BaseModel):
    kind: str
    sku: str | None
    location_code: str | None
    resource: str | None
    bucket_date: date
    quantity: float
    message: str


class AllocationOut(BaseModel):
    sku: str
    location_code: str
    to_location_code: str
    policy: str
    demand: float
    allocated: float
    shortfall: float


class ProjectionOut(BaseModel):
    run_id: int
    sku: str
    location_code: str
    on_hand: float
    safety_stock: float
    dates: list[date]
    gross: list[float]
    scheduled: list[float]
    planned: list[float]
    projected: list[float]


class ProposalIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[RowId] = Field(min_length=1, max_length=10_000)


class RejectIn(ProposalIds):
    reason: str = Field(default="", max_length=300)


class ProposalChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: RowId
    quantity: Decimal | None = OptQty
    due_date: date | None = None


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    changes: list[ProposalChange] = Field(min_length=1, max_length=10_000)


class DecisionOut(BaseModel):
    status: str
    proposals: int
    orders: list[str]


class ParameterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Code
    location_code: str = Code
    lot_rule: Literal["lot_for_lot", "fixed", "periods"] = "lot_for_lot"
    fixed_quantity: Decimal | None = OptQty
    periods: int = Field(default=1, ge=1, le=400)
    min_quantity: Decimal | None = OptQty
    multiple: Decimal | None = OptQty
    safety_stock: Decimal | None = OptQty
    service_level: float | None = Field(default=None, description="Cycle service level in (0, 1)")
    vmi_min: Decimal | None = OptQty
    vmi_max: Decimal | None = OptQty


class SourcingRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["transfer", "buy", "make"]
    source_location_code: str | None = Field(default=None, max_length=40)
    supplier_code: str | None = Field(default=None, max_length=40)
    share: Decimal = Field(default=Decimal(1), gt=0, le=1, max_digits=6, decimal_places=4)
    lead_time_days: int | None = Field(default=None, ge=0, le=3650)


class SourcingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str | None = Field(default=None, max_length=40, description="None: every product at the location")
    location_code: str = Code
    rules: list[SourcingRuleIn] = Field(min_length=1, max_length=20)
