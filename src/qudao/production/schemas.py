"""Request and response bodies of the production area."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

CODE = r"^[A-Za-z0-9][A-Za-z0-9_.\-/]*$"
FAMILY = r"^[A-Za-z0-9_.\-/ ]*$"
Qty = Field(gt=0, max_digits=14, decimal_places=4)
# Dates a schedule can reason about (keeps arithmetic on dates far from the calendar's limits).
EARLIEST, LATEST = date(2000, 1, 1), date(2200, 12, 31)


def _in_range(value: date | None, name: str) -> None:
    if value is not None and not EARLIEST <= value <= LATEST:
        raise ValueError(f"{name} must be between {EARLIEST} and {LATEST}")


class ResourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=CODE)
    name: str = Field(min_length=1, max_length=200)
    location_code: str = Field(min_length=1, max_length=40, description="The plant the resource stands in")
    hours_per_day: Decimal = Field(gt=0, le=24, max_digits=8, decimal_places=4)
    efficiency: Decimal = Field(default=Decimal(1), gt=0, le=2, max_digits=6, decimal_places=4)
    default_changeover_hours: Decimal = Field(default=Decimal(0), ge=0, le=1000, max_digits=10, decimal_places=4)
    weekdays_off: list[int] = Field(default_factory=list, max_length=6, description="0 = Monday ... 6 = Sunday")
    non_working_days: list[date] = Field(default_factory=list, max_length=400)

    @model_validator(mode="after")
    def _calendar(self) -> ResourceCreate:
        if any(not 0 <= d <= 6 for d in self.weekdays_off):
            raise ValueError("weekdays_off: each day is 0 (Monday) to 6 (Sunday)")
        for d in self.non_working_days:
            _in_range(d, "non_working_days")
        return self


class ResourceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    hours_per_day: Decimal | None = Field(default=None, gt=0, le=24, max_digits=8, decimal_places=4)
    efficiency: Decimal | None = Field(default=None, gt=0, le=2, max_digits=6, decimal_places=4)
    default_changeover_hours: Decimal | None = Field(default=None, ge=0, le=1000, max_digits=10,
                                                     decimal_places=4)
    weekdays_off: list[int] | None = Field(default=None, max_length=6)
    non_working_days: list[date] | None = Field(default=None, max_length=400)

    @model_validator(mode="after")
    def _calendar(self) -> ResourceUpdate:
        if any(not 0 <= d <= 6 for d in self.weekdays_off or ()):
            raise ValueError("weekdays_off: each day is 0 (Monday) to 6 (Sunday)")
        for d in self.non_working_days or ():
            _in_range(d, "non_working_days")
        return self


class ChangeoverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_family: str = Field(max_length=40, pattern=FAMILY)
    to_family: str = Field(max_length=40, pattern=FAMILY)
    hours: Decimal = Field(ge=0, le=1000, max_digits=10, decimal_places=4)


class ChangeoverMatrixIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    changeovers: list[ChangeoverIn] = Field(max_length=2000)


class ChangeoverOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_family: str
    to_family: str
    hours: Decimal


class ResourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    location_code: str
    hours_per_day: Decimal
    efficiency: Decimal
    effective_hours_per_day: Decimal
    default_changeover_hours: Decimal
    weekdays_off: list[int]
    non_working_days: list[str]
    archived_at: datetime | None


class BomLineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parent_sku: str = Field(min_length=1, max_length=40)
    component_sku: str = Field(min_length=1, max_length=40)
    quantity_per: Decimal = Qty
    scrap_pct: Decimal = Field(default=Decimal(0), ge=0, lt=100, max_digits=8, decimal_places=4)
    effective_from: date | None = None
    effective_to: date | None = Field(default=None, description="First day the line no longer applies")

    @model_validator(mode="after")
    def _dates(self) -> BomLineCreate:
        _in_range(self.effective_from, "effective_from")
        _in_range(self.effective_to, "effective_to")
        if self.effective_from and self.effective_to and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        return self


class BomLineUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity_per: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=4)
    scrap_pct: Decimal | None = Field(default=None, ge=0, lt=100, max_digits=8, decimal_places=4)
    effective_from: date | None = None
    effective_to: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> BomLineUpdate:
        _in_range(self.effective_from, "effective_from")
        _in_range(self.effective_to, "effective_to")
        return self


class BomLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_sku: str
    component_sku: str
    quantity_per: Decimal
    scrap_pct: Decimal
    effective_from: date | None
    effective_to: date | None


class TreeRowOut(BaseModel):
    level: int
    path: list[str]
    parent_sku: str
    component_sku: str
    quantity_per: Decimal
    scrap_pct: Decimal
    required: Decimal


class ExplosionOut(BaseModel):
    sku: str
    quantity: Decimal
    as_of: date
    rows: list[TreeRowOut]
    totals: dict[str, Decimal]


class RoutingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=40)
    resource_code: str = Field(min_length=1, max_length=40)
    family: str = Field(default="", max_length=40, pattern=FAMILY)
    setup_hours: Decimal = Field(default=Decimal(0), ge=0, le=1000, max_digits=10, decimal_places=4)
    run_hours_per_unit: Decimal = Field(gt=0, le=1000, max_digits=12, decimal_places=6)
    preference: int = Field(default=1, ge=1, le=99)


class RoutingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    family: str | None = Field(default=None, max_length=40, pattern=FAMILY)
    setup_hours: Decimal | None = Field(default=None, ge=0, le=1000, max_digits=10, decimal_places=4)
    run_hours_per_unit: Decimal | None = Field(default=None, gt=0, le=1000, max_digits=12, decimal_places=6)
    preference: int | None = Field(default=None, ge=1, le=99)


class RoutingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    resource_code: str
    family: str
    setup_hours: Decimal
    run_hours_per_unit: Decimal
    preference: int


class WorkOrderCreate(BaseModel):
    """One work order. Products and places by code (API) or by id (the planning service approving
    proposals); the resource defaults to the product's preferred routing."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, min_length=1, max_length=40, pattern=CODE)
    sku: str | None = Field(default=None, min_length=1, max_length=40)
    product_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    location_code: str | None = Field(default=None, min_length=1, max_length=40)
    location_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    resource_code: str | None = Field(default=None, min_length=1, max_length=40)
    quantity: Decimal = Qty
    due_date: date
    planned_start: date | None = None
    rush: bool = False
    source_proposal_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    note: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _refs(self) -> WorkOrderCreate:
        if (self.sku is None) == (self.product_id is None):
            raise ValueError("give exactly one of sku and product_id")
        if (self.location_code is None) == (self.location_id is None):
            raise ValueError("give exactly one of location_code and location_id")
        _in_range(self.due_date, "due_date")
        _in_range(self.planned_start, "planned_start")
        return self


class WorkOrderUpdate(BaseModel):
    """Change an order not yet started: quantity, due date, resource (needs a routing there), note."""

    model_config = ConfigDict(extra="forbid")

    quantity: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=4)
    due_date: date | None = None
    resource_code: str | None = Field(default=None, min_length=1, max_length=40)
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _dates(self) -> WorkOrderUpdate:
        _in_range(self.due_date, "due_date")
        return self


class WorkOrderBulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    work_orders: list[WorkOrderCreate] = Field(min_length=1, max_length=5000)


class WorkOrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    sku: str
    location_code: str
    resource_code: str | None
    quantity: Decimal
    completed_quantity: Decimal
    open_quantity: Decimal
    status: str
    due_date: date
    planned_start: date | None
    planned_end: date | None
    sequence: int | None
    rush: bool
    source_proposal_id: int | None
    note: str
    released_at: datetime | None
    closed_at: datetime | None
    created_at: datetime


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=200)


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: Decimal = Qty
    close: bool = Field(default=False, description="Mark the order done even if less than ordered was made")
    note: str = Field(default="", max_length=500)


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    quantity: Decimal
    component_cost: Decimal
    components: list[dict[str, Any]]
    reported_by: str
    reported_at: datetime
    note: str


class ScheduledOrderOut(BaseModel):
    sequence: int
    code: str
    family: str
    rush: bool
    in_progress: bool
    changeover_hours: float
    hours: float
    start_day: date
    end_day: date
    start_position: float
    end_position: float
    due: date
    lateness_days: int
    late: bool


class ScheduleOut(BaseModel):
    resource_code: str
    start: date
    hours_per_day: float
    days: list[date]
    orders: list[ScheduledOrderOut]
    late: list[str]


class RushImpactOut(BaseModel):
    code: str
    end_day_before: date
    end_day: date
    moved_by_days: float
    late_before: bool
    late: bool
    lateness_days: int
    became_late: bool


class RushOut(BaseModel):
    work_order: WorkOrderOut
    schedule: ScheduleOut
    impact: list[RushImpactOut]
    became_late: list[str]


class LoadRowOut(BaseModel):
    resource_code: str
    week_start: date
    load_hours: float
    capacity_hours: float
    overload_hours: float
    utilisation: float | None
    overloaded: bool


class LoadOut(BaseModel):
    first_week: date
    weeks: int
    rows: list[LoadRowOut]
    overloads: list[LoadRowOut]
