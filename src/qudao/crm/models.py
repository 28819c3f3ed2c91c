"""Customer relationships: service tickets with SLA timers, surveys, interactions, sales tasks, the sales
pipeline (leads, opportunities, quotes) and the CRM side of contacts (roles, tags, marketing consent).

Customers are partners (B2B roles, or ``end_customer`` for consumers) and their contacts live in
``partners``; the CRM only adds rows that point at them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qudao.db import Base, IdMixin, Quantity, TimestampMixin, utcnow


class TicketStatus:
    open = "open"
    waiting_customer = "waiting_customer"  # SLA clocks paused
    resolved = "resolved"
    closed = "closed"

    ACTIVE = ("open", "waiting_customer")
    ALL = ("open", "waiting_customer", "resolved", "closed")


class Ticket(IdMixin, TimestampMixin, Base):
    __tablename__ = "crm_tickets"
    __table_args__ = (Index("ix_crm_tickets_status_priority", "status", "priority"),)

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(30))  # complaint, delivery, quality, billing, ...
    priority: Mapped[str] = mapped_column(String(10))  # urgent, high, normal, low
    status: Mapped[str] = mapped_column(String(20), default=TicketStatus.open)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    assignee_user_id: Mapped[int | None] = mapped_column(Integer)
    # 0 = not escalated, 1 = one SLA target breached, 2 = both breached.
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column()
    csat_score: Mapped[int | None] = mapped_column(Integer)
    csat_comment: Mapped[str] = mapped_column(Text, default="")

    pauses: Mapped[list[TicketPause]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", lazy="selectin", order_by="TicketPause.id"
    )

    @property
    def number(self) -> str:
        return f"TK{self.id:08d}"


class TicketPause(IdMixin, Base):
    """A span while the ticket waited on the customer; the SLA clocks do not run inside it."""

    __tablename__ = "crm_ticket_pauses"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("crm_tickets.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()

    ticket: Mapped[Ticket] = relationship(back_populates="pauses")


class NpsResponse(IdMixin, TimestampMixin, Base):
    __tablename__ = "crm_nps_responses"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)  # 0..10
    comment: Mapped[str] = mapped_column(Text, default="")
    responded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Interaction(IdMixin, TimestampMixin, Base):
    __tablename__ = "crm_interactions"
    __table_args__ = (Index("ix_crm_interactions_partner_at", "partner_id", "occurred_at"),)

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # call, visit, email, chat, note
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer)


class SalesTask(IdMixin, TimestampMixin, Base):
    __tablename__ = "crm_tasks"

    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date] = mapped_column(Date, index=True)
    remind_at: Mapped[datetime | None] = mapped_column()
    assignee_user_id: Mapped[int] = mapped_column(Integer, index=True)
    done_at: Mapped[datetime | None] = mapped_column()


class Lead(IdMixin, TimestampMixin, Base):
    __tablename__ = "crm_leads"

    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(20), default="new")  # new, qualified, disqualified, converted
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)


class Opportunity(IdMixin, TimestampMixin, Base):
    __tablename__ = "crm_opportunities"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("crm_leads.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(20), index=True)
    probability: Mapped[Decimal] = mapped_column()  # percent, 0..100
    amount: Mapped[Decimal] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    expected_close: Mapped[date] = mapped_column(Date, index=True)
    owner_user_id: Mapped[int | None] = mapped_column(Integer)
    outcome_reason: Mapped[str] = mapped_column(String(200), default="")  # why won or lost
    closed_at: Mapped[datetime | None] = mapped_column()


class Quote(IdMixin, TimestampMixin, Base):
    __tablename__ = "crm_quotes"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("crm_opportunities.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft, ordered
    valid_until: Mapped[date | None] = mapped_column(Date)
    total_amount: Mapped[Decimal] = mapped_column(default=Decimal(0))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_orders.id"), index=True)

    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="quote", cascade="all, delete-orphan", lazy="selectin", order_by="QuoteLine.line_no"
    )

    @property
    def number(self) -> str:
        return f"QT{self.id:08d}"


class QuoteLine(IdMixin, Base):
    __tablename__ = "crm_quote_lines"

    quote_id: Mapped[int] = mapped_column(ForeignKey("crm_quotes.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column()

    quote: Mapped[Quote] = relationship(back_populates="lines")


class ContactProfile(TimestampMixin, Base):
    """The CRM's view of a partner contact: its roles, tags and current marketing consent."""

    __tablename__ = "crm_contact_profiles"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    roles: Mapped[Any] = mapped_column(JSON, default=list)  # decision_maker, buyer, finance, ...
    tags: Mapped[Any] = mapped_column(JSON, default=list)
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    consent_changed_at: Mapped[datetime | None] = mapped_column()


class ConsentEvent(IdMixin, Base):
    """Every grant and withdrawal of marketing consent, with when and where it was given (history)."""

    __tablename__ = "crm_consent_events"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    granted: Mapped[bool] = mapped_column()
    at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(40))  # web_form, phone, event, email, import, ...
    recorded_by_user_id: Mapped[int | None] = mapped_column(Integer)
