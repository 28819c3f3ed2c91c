"""The sales pipeline: leads, opportunities with stages and probabilities, expected revenue by month, and
quotes that become sales orders through the orders service. Staff only (partner users are refused).

Expected revenue of an open opportunity = amount x probability, counted in the month of its expected
close date (weighted pipeline). Closing an opportunity records won or lost and the reason.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, require_staff
from qudao.catalog import service as catalog
from qudao.common.actor import Actor
from qudao.common.records import snapshot
from qudao.crm.customers import resolve_customer
from qudao.crm.models import Lead, Opportunity, Quote, QuoteLine
from qudao.crm.schemas import (
    LeadCreate,
    OpportunityClose,
    OpportunityCreate,
    OpportunityUpdate,
    QuoteCreate,
    QuoteToOrder,
    RevenueMonth,
)
from qudao.db import utcnow
from qudao.errors import Conflict, NotFound, invalid
from qudao.orders import service as orders
from qudao.orders.schemas import OrderCreate
from qudao.partners.models import Partner

# Default win probability (percent) of each open stage; a salesperson may override it per opportunity.
STAGE_PROBABILITY: dict[str, Decimal] = {
    "prospecting": Decimal(10),
    "qualification": Decimal(25),
    "proposal": Decimal(50),
    "negotiation": Decimal(75),
}
CLOSED_STAGES = ("won", "lost")
HUNDRED = Decimal(100)


def _staff(actor: Actor, permission: str, what: str) -> None:
    authorize(actor, permission)
    require_staff(actor, what)


def create_lead(session: Session, actor: Actor, data: LeadCreate) -> Lead:
    _staff(actor, "crm:write", "create leads")
    lead = Lead(**data.model_dump())
    session.add(lead)
    audit.record_create(session, actor, lead)
    return lead


def list_leads(session: Session, actor: Actor, *, status: str | None = None, limit: int = 500) -> list[Lead]:
    _staff(actor, "crm:read", "read leads")
    stmt = select(Lead)
    if status:
        stmt = stmt.where(Lead.status == status)
    return list(session.scalars(stmt.order_by(Lead.id.desc()).limit(limit)).all())


def create_opportunity(session: Session, actor: Actor, data: OpportunityCreate) -> Opportunity:
    _staff(actor, "crm:write", "create opportunities")
    customer = resolve_customer(session, actor, data.customer_code)
    if data.lead_id is not None:
        lead = session.get(Lead, data.lead_id)
        if lead is None:
            raise invalid("lead_id", f"no lead {data.lead_id}")
        lead.status, lead.partner_id = "converted", customer.id
    probability = data.probability if data.probability is not None else STAGE_PROBABILITY[data.stage]
    opp = Opportunity(partner_id=customer.id, lead_id=data.lead_id, name=data.name, stage=data.stage,
                      probability=probability, amount=data.amount, currency=customer.currency,
                      expected_close=data.expected_close, owner_user_id=actor.user_id)
    session.add(opp)
    audit.record_create(session, actor, opp)
    return opp


def get_opportunity(session: Session, actor: Actor, opportunity_id: int) -> Opportunity:
    _staff(actor, "crm:read", "read opportunities")
    opp = session.get(Opportunity, opportunity_id)
    if opp is None:
        raise NotFound(detail=f"opportunity {opportunity_id} not found")
    return opp


def update_opportunity(session: Session, actor: Actor, opportunity_id: int, data: OpportunityUpdate) -> Opportunity:
    """Move stage (probability follows the stage's default unless given), amount or expected close."""
    _staff(actor, "crm:write", "change opportunities")
    opp = get_opportunity(session, actor, opportunity_id)
    if opp.stage in CLOSED_STAGES:
        raise Conflict(detail=f"opportunity {opportunity_id} is {opp.stage}")
    changes = data.model_dump(exclude_unset=True)
    for name in ("stage", "amount", "expected_close"):
        if name in changes and changes[name] is None:
            raise invalid(name, "must not be null")
    before = snapshot(opp)
    if changes.get("stage"):
        opp.stage = changes["stage"]
        opp.probability = STAGE_PROBABILITY[opp.stage]
    if changes.get("probability") is not None:
        opp.probability = changes["probability"]
    if changes.get("amount") is not None:
        opp.amount = changes["amount"]
    if changes.get("expected_close") is not None:
        opp.expected_close = changes["expected_close"]
    audit.record_update(session, actor, opp, before)
    return opp


def close_opportunity(session: Session, actor: Actor, opportunity_id: int, data: OpportunityClose) -> Opportunity:
    _staff(actor, "crm:write", "close opportunities")
    opp = get_opportunity(session, actor, opportunity_id)
    if opp.stage in CLOSED_STAGES:
        raise Conflict(detail=f"opportunity {opportunity_id} is already {opp.stage}")
    before = snapshot(opp)
    opp.stage, opp.outcome_reason, opp.closed_at = data.outcome, data.reason, utcnow()
    opp.probability = HUNDRED if data.outcome == "won" else Decimal(0)
    audit.record_update(session, actor, opp, before, action=f"opportunity.{data.outcome}")
    return opp


def list_opportunities(session: Session, actor: Actor, *, stage: str | None = None, customer_id: int | None = None,
                       limit: int = 500) -> list[Opportunity]:
    _staff(actor, "crm:read", "read opportunities")
    stmt = select(Opportunity)
    if stage:
        stmt = stmt.where(Opportunity.stage == stage)
    if customer_id is not None:
        stmt = stmt.where(Opportunity.partner_id == customer_id)
    return list(session.scalars(stmt.order_by(Opportunity.expected_close, Opportunity.id).limit(limit)).all())


def expected_revenue_by_month(session: Session, actor: Actor, *, start: date | None = None,
                              end: date | None = None) -> list[RevenueMonth]:
    """Open opportunities grouped by expected close month: count, amount and amount x probability."""
    _staff(actor, "crm:read", "read the pipeline")
    stmt = select(Opportunity.expected_close, Opportunity.amount, Opportunity.probability).where(
        Opportunity.stage.not_in(CLOSED_STAGES))
    if start:
        stmt = stmt.where(Opportunity.expected_close >= start)
    if end:
        stmt = stmt.where(Opportunity.expected_close <= end)
    months: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for close, amount, probability in session.execute(stmt):
        bucket = months[f"{close:%Y-%m}"]
        bucket[0] += 1
        bucket[1] += amount
        bucket[2] += amount * probability / HUNDRED
    return [RevenueMonth(month=m, opportunities=c, pipeline_amount=a, expected_revenue=e.quantize(Decimal("0.01")))
            for m, (c, a, e) in sorted(months.items())]


def create_quote(session: Session, actor: Actor, data: QuoteCreate) -> Quote:
    _staff(actor, "crm:write", "create quotes")
    customer = resolve_customer(session, actor, data.customer_code)
    if data.opportunity_id is not None:
        opp = session.get(Opportunity, data.opportunity_id)
        if opp is None or opp.partner_id != customer.id:
            raise invalid("opportunity_id", f"no opportunity {data.opportunity_id} for {customer.code}")
    quote = Quote(partner_id=customer.id, opportunity_id=data.opportunity_id, valid_until=data.valid_until)
    total = Decimal(0)
    for no, line in enumerate(data.lines, start=1):
        try:
            product = catalog.get_product(session, actor, line.sku)
        except NotFound:
            raise invalid(f"lines.{no - 1}.sku", f"unknown SKU {line.sku}") from None
        price = line.unit_price if line.unit_price is not None else product.list_price
        quote.lines.append(QuoteLine(line_no=no, product_id=product.id, sku=product.sku, quantity=line.quantity,
                                     unit_price=price))
        total += line.quantity * price
    quote.total_amount = total
    session.add(quote)
    audit.record_create(session, actor, quote)
    return quote


def get_quote(session: Session, actor: Actor, quote_id: int) -> Quote:
    _staff(actor, "crm:read", "read quotes")
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFound(detail=f"quote {quote_id} not found")
    return quote


def list_quotes(session: Session, actor: Actor, *, customer_id: int | None = None, limit: int = 500) -> list[Quote]:
    _staff(actor, "crm:read", "read quotes")
    stmt = select(Quote)
    if customer_id is not None:
        stmt = stmt.where(Quote.partner_id == customer_id)
    return list(session.scalars(stmt.order_by(Quote.id.desc()).limit(limit)).all())


def order_quote(session: Session, actor: Actor, quote_id: int, data: QuoteToOrder) -> tuple[Quote, Any]:
    """Book the quote as a sales order through the orders service (quoted prices; external id = quote
    number, so the orders service's duplicate rule stops a second booking); a linked open opportunity is won."""
    _staff(actor, "crm:write", "order quotes")
    quote = get_quote(session, actor, quote_id)
    if quote.order_id is not None:
        raise Conflict(detail=f"quote {quote.number} was already ordered as order {quote.order_id}")
    customer = session.get(Partner, quote.partner_id)
    assert customer is not None  # foreign key
    order_in = OrderCreate(channel_code=data.channel_code, external_order_id=quote.number,
                           customer_code=customer.code, ship_to_code=data.ship_to_code,
                           promised_date=data.promised_date,
                           lines=[{"sku": ln.sku, "quantity": ln.quantity, "unit_price": ln.unit_price}
                                  for ln in quote.lines])
    order, _ = orders.create_order(session, actor, order_in, source="crm")
    before = snapshot(quote)
    quote.order_id, quote.status = order.id, "ordered"
    audit.record_update(session, actor, quote, before, action="quote.order")
    if quote.opportunity_id is not None:
        opp = session.get(Opportunity, quote.opportunity_id)
        if opp is not None and opp.stage not in CLOSED_STAGES:
            close_opportunity(session, actor, opp.id, OpportunityClose(outcome="won",
                                                                        reason=f"quote {quote.number} ordered"))
    return quote, order



def pipeline_by_stage(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Open opportunities per stage in funnel order: count, amount and expected (weighted) amount."""
    _staff(actor, "crm:read", "read the pipeline")
    rows = session.execute(select(Opportunity.stage, Opportunity.amount, Opportunity.probability)
                           .where(Opportunity.stage.not_in(CLOSED_STAGES))).all()
    stages = {s: {"stage": s, "count": 0, "amount": Decimal(0), "expected": Decimal(0)} for s in STAGE_PROBABILITY}
    for stage, amount, probability in rows:
        bucket = stages.setdefault(stage, {"stage": stage, "count": 0, "amount": Decimal(0), "expected": Decimal(0)})
        bucket["count"] += 1
        bucket["amount"] += amount
        bucket["expected"] += amount * probability / HUNDRED
    return list(stages.values())
