"""Request and response bodies of the CRM API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from qudao.partners.schemas import ContactIn

MAX_ID = 2**63 - 1
Priority = Literal["urgent", "high", "normal", "low"]
Category = Literal["complaint", "delivery", "quality", "billing", "return", "question", "other"]
InteractionKind = Literal["call", "visit", "email", "chat", "note"]
Stage = Literal["prospecting", "qualification", "proposal", "negotiation"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- tickets ----------------------------------------------------------------------------------------
class TicketCreate(Strict):
    customer_code: str | None = Field(default=None, max_length=40, description="A partner user may omit it")
    contact_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    order_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    shipment_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    category: Category
    priority: Priority = "normal"


class TicketAction(Strict):
    action: Literal["respond", "wait_customer", "resume", "resolve", "close", "reopen"]
    note: str = Field(default="", max_length=2000)


class CsatIn(Strict):
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2000)


class TimerOut(BaseModel):
    target_hours: float
    elapsed_hours: float
    remaining_hours: float
    due_at: datetime | None
    stopped: bool
    breached: bool


class TicketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    partner_id: int
    contact_id: int | None
    order_id: int | None
    shipment_id: int | None
    subject: str
    description: str
    category: str
    priority: str
    status: str
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    escalation_level: int
    escalated_at: datetime | None
    csat_score: int | None
    first_response: TimerOut | None = None
    resolution: TimerOut | None = None


class NpsIn(Strict):
    customer_code: str | None = Field(default=None, max_length=40)
    contact_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    score: int = Field(ge=0, le=10)
    comment: str = Field(default="", max_length=2000)


class SurveySummary(BaseModel):
    nps_responses: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    csat_responses: int
    csat_average: float | None
    csat_satisfied_percent: float | None


class EscalationOut(BaseModel):
    checked: int
    escalated: list[int]


# ---- interactions and tasks ------------------------------------------------------------------------
class InteractionCreate(Strict):
    customer_code: str = Field(min_length=1, max_length=40)
    contact_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    kind: InteractionKind
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=5000)
    occurred_at: datetime | None = None


class InteractionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    partner_id: int
    contact_id: int | None
    kind: str
    subject: str
    body: str
    occurred_at: datetime
    user_id: int | None


class TimelineEntry(BaseModel):
    at: datetime
    kind: str  # call, visit, email, chat, note, order, ticket
    ref_id: int
    title: str
    status: str = ""


class TaskCreate(Strict):
    title: str = Field(min_length=1, max_length=200)
    notes: str = Field(default="", max_length=2000)
    customer_code: str | None = Field(default=None, max_length=40)
    due_date: date
    remind_at: datetime | None = None
    assignee: str | None = Field(default=None, max_length=80, description="Username; defaults to the caller")


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    partner_id: int | None
    title: str
    notes: str
    due_date: date
    remind_at: datetime | None
    assignee_user_id: int
    done_at: datetime | None


# ---- pipeline ---------------------------------------------------------------------------------------
class LeadCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    company: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    source: str = Field(default="", max_length=40)


class LeadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    company: str
    email: str | None
    phone: str | None
    source: str
    status: str
    partner_id: int | None


class OpportunityCreate(Strict):
    customer_code: str = Field(min_length=1, max_length=40)
    lead_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    name: str = Field(min_length=1, max_length=200)
    stage: Stage = "prospecting"
    probability: Decimal | None = Field(default=None, ge=0, le=100, max_digits=5, decimal_places=2,
                                        description="Percent; defaults to the stage's probability")
    amount: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    expected_close: date


class OpportunityUpdate(Strict):
    stage: Stage | None = None
    probability: Decimal | None = Field(default=None, ge=0, le=100, max_digits=5, decimal_places=2)
    amount: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4)
    expected_close: date | None = None


class OpportunityClose(Strict):
    outcome: Literal["won", "lost"]
    reason: str = Field(min_length=1, max_length=200)


class OpportunityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    partner_id: int
    lead_id: int | None
    name: str
    stage: str
    probability: Decimal
    amount: Decimal
    currency: str
    expected_close: date
    outcome_reason: str
    closed_at: datetime | None


class RevenueMonth(BaseModel):
    month: str  # YYYY-MM
    opportunities: int
    pipeline_amount: Decimal
    expected_revenue: Decimal


class QuoteLineIn(Strict):
    sku: str = Field(min_length=1, max_length=40)
    quantity: Decimal = Field(gt=0, max_digits=18, decimal_places=4)
    unit_price: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4,
                                       description="Defaults to the product's list price")


class QuoteCreate(Strict):
    customer_code: str = Field(min_length=1, max_length=40)
    opportunity_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    valid_until: date | None = None
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=500)


class QuoteToOrder(Strict):
    channel_code: str = Field(min_length=1, max_length=40)
    ship_to_code: str = Field(min_length=1, max_length=40)
    promised_date: date | None = None


class QuoteLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line_no: int
    sku: str
    quantity: Decimal
    unit_price: Decimal


class QuoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    partner_id: int
    opportunity_id: int | None
    status: str
    valid_until: date | None
    total_amount: Decimal
    order_id: int | None
    lines: list[QuoteLineOut]


# ---- contacts ---------------------------------------------------------------------------------------
class CrmContactCreate(ContactIn):
    customer_code: str = Field(min_length=1, max_length=40)
    roles: list[str] = Field(default_factory=list, max_length=10)
    tags: list[str] = Field(default_factory=list, max_length=30)


class ConsentIn(Strict):
    granted: bool
    source: str = Field(min_length=1, max_length=40)
    at: datetime | None = None


class ConsentEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    granted: bool
    at: datetime
    source: str


class CrmContactOut(BaseModel):
    id: int
    partner_id: int
    name: str
    title: str
    email: str | None
    phone: str | None
    roles: list[str]
    tags: list[str]
    marketing_consent: bool
    consent_changed_at: datetime | None
    consent_history: list[ConsentEventOut] = []


class MergeIn(Strict):
    survivor_id: int = Field(ge=1, le=MAX_ID)
    duplicate_id: int = Field(ge=1, le=MAX_ID)


class MergeOut(BaseModel):
    survivor: CrmContactOut
    moved: dict[str, int]
