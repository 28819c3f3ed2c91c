"""Service tickets with SLA timers (see ``qudao.crm.sla``), escalation of breached tickets, CSAT after
closing and NPS surveys.

Status flow: open -> (waiting_customer <-> open) -> resolved -> closed; ``reopen`` takes a resolved or
closed ticket back to open (the resolution clock runs again from where it stopped). A ticket linked to
an order or shipment must be about an order of the ticket's own customer: anything else is 404, so a
partner user cannot learn that another customer's order exists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, ensure_own, partner_filter, require_staff
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.common.records import snapshot
from qudao.crm import sla
from qudao.crm.customers import contact_of, resolve_customer
from qudao.crm.models import NpsResponse, Ticket, TicketPause, TicketStatus
from qudao.crm.schemas import CsatIn, NpsIn, SurveySummary, TicketAction, TicketCreate, TimerOut
from qudao.db import utcnow
from qudao.errors import Conflict, NotFound, invalid
from qudao.orders import fulfilment as shipments
from qudao.orders import service as orders

TICKET_SORTS = {"id": Ticket.id, "opened_at": Ticket.opened_at, "priority": Ticket.priority,
                "status": Ticket.status, "escalation_level": Ticket.escalation_level}


def _now(now: datetime | None) -> datetime:
    return now or utcnow()


def open_ticket(session: Session, actor: Actor, data: TicketCreate, *, now: datetime | None = None) -> Ticket:
    authorize(actor, "crm:write")
    customer = resolve_customer(session, actor, data.customer_code)
    contact = contact_of(customer, data.contact_id)
    order_id = data.order_id
    if data.shipment_id is not None:
        shipment = shipments.get_shipment(session, actor, data.shipment_id)
        if order_id is not None and shipment.order_id != order_id:
            raise invalid("shipment_id", f"shipment {data.shipment_id} is not part of order {order_id}")
        order_id = shipment.order_id
    if order_id is not None:
        order = orders.get_order(session, actor, order_id)
        if order.partner_id != customer.id:
            raise NotFound(detail=f"order {order_id} not found for customer {customer.code}")
    ticket = Ticket(partner_id=customer.id, contact_id=contact.id if contact else None, order_id=order_id,
                    shipment_id=data.shipment_id, subject=data.subject, description=data.description,
                    category=data.category, priority=data.priority, status=TicketStatus.open,
                    opened_at=_now(now))
    session.add(ticket)
    audit.record_create(session, actor, ticket)
    return ticket


def get_ticket(session: Session, actor: Actor, ticket_id: int) -> Ticket:
    authorize(actor, "crm:read")
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(detail=f"ticket {ticket_id} not found")
    ensure_own(actor, ticket.partner_id, entity="ticket", key=ticket_id)
    return ticket


def list_tickets(session: Session, actor: Actor, params: ListParams, *, status: str | None = None,
                 customer_id: int | None = None, active: bool = False) -> tuple[list[Ticket], int]:
    authorize(actor, "crm:read")
    filters: list[Any] = [partner_filter(actor, Ticket.partner_id)]
    if status:
        filters.append(Ticket.status == status)
    if active:
        filters.append(Ticket.status.in_(TicketStatus.ACTIVE))
    if customer_id is not None:
        filters.append(Ticket.partner_id == customer_id)
    return paginate(session, select(Ticket), params, search=(Ticket.subject,), sortable=TICKET_SORTS,
                    default_sort="-id", filters=filters)


# Which statuses each action leaves from, where it goes, and whether partner users may take it.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "respond": (("open",), "open", False),
    "wait_customer": (("open",), "waiting_customer", False),
    "resume": (("waiting_customer",), "open", True),  # the customer answered
    "resolve": (("open", "waiting_customer"), "resolved", False),
    "close": (("resolved",), "closed", True),
    "reopen": (("resolved", "closed"), "open", True),
}


def act_on_ticket(session: Session, actor: Actor, ticket_id: int, data: TicketAction, *,
                  now: datetime | None = None) -> Ticket:
    authorize(actor, "crm:write")
    ticket = get_ticket(session, actor, ticket_id)
    sources, target, partner_may = TRANSITIONS[data.action]
    if actor.is_partner and not partner_may:
        require_staff(actor, f"{data.action.replace('_', ' ')} a ticket")
    if ticket.status not in sources:
        raise Conflict(detail=f"ticket {ticket.number} is {ticket.status}; cannot {data.action}")
    at = _now(now)
    before = snapshot(ticket)
    open_pause = next((p for p in ticket.pauses if p.ended_at is None), None)
    if open_pause is not None and target != "waiting_customer":
        open_pause.ended_at = at
    if target == "waiting_customer":
        ticket.pauses.append(TicketPause(started_at=at))
    if data.action in ("respond", "wait_customer", "resolve") and ticket.first_response_at is None:
        ticket.first_response_at = at  # a question to the customer or a resolution is a response too
    if target == "resolved":
        ticket.resolved_at = at
    elif target == "closed":
        ticket.closed_at = at
    elif data.action == "reopen":
        ticket.resolved_at = ticket.closed_at = None
        ticket.csat_score = None
    ticket.status = target
    audit.record_update(session, actor, ticket, before, action=f"ticket.{data.action}")
    return ticket


def ticket_timers(ticket: Ticket, now: datetime | None = None) -> tuple[sla.Timer, sla.Timer]:
    spans = [(p.started_at, p.ended_at) for p in ticket.pauses]
    return sla.timers(ticket.priority, ticket.opened_at, ticket.first_response_at, ticket.resolved_at, spans,
                      _now(now))


def timer_out(timer: sla.Timer) -> TimerOut:
    hours = 3600.0
    return TimerOut(target_hours=timer.target.total_seconds() / hours,
                    elapsed_hours=round(timer.elapsed.total_seconds() / hours, 4),
                    remaining_hours=round(timer.remaining.total_seconds() / hours, 4),
                    due_at=None if timer.stopped else timer.due_at, stopped=timer.stopped, breached=timer.breached)


def escalate_breached(session: Session, actor: Actor, *, now: datetime | None = None) -> tuple[int, list[int]]:
    """Raise the escalation level of every active ticket to its number of breached SLA targets (run by
    ``qudao crm escalate`` from cron; running it again escalates nothing new). Returns (checked, escalated ids).

    Set work: one query for the active tickets, one for their pauses, the timers in Python, one bulk update
    and the audit rows flushed together."""
    authorize(actor, "crm:write")
    require_staff(actor, "escalate tickets")
    at = _now(now)
    active = session.execute(
        select(Ticket.id, Ticket.priority, Ticket.opened_at, Ticket.first_response_at, Ticket.resolved_at,
               Ticket.escalation_level).where(Ticket.status.in_(TicketStatus.ACTIVE)).order_by(Ticket.id)).all()
    spans: dict[int, list[sla.Span]] = {}
    pause_rows = session.execute(
        select(TicketPause.ticket_id, TicketPause.started_at, TicketPause.ended_at)
        .join(Ticket, Ticket.id == TicketPause.ticket_id).where(Ticket.status.in_(TicketStatus.ACTIVE)))
    for ticket_id, started, ended in pause_rows:
        spans.setdefault(ticket_id, []).append((started, ended))
    changes = []
    for ticket_id, priority, opened, responded, resolved, level in active:
        breached = sla.breach_count(*sla.timers(priority, opened, responded, resolved, spans.get(ticket_id, []), at))
        if breached > level:
            changes.append({"id": ticket_id, "escalation_level": breached, "escalated_at": at, "updated_at": at})
            audit.record(session, actor, action="ticket.escalate", entity=Ticket.__tablename__, entity_id=ticket_id,
                         before={"escalation_level": level}, after={"escalation_level": breached})
    if changes:
        session.flush()  # nothing pending is lost to the expiry below
        session.execute(update(Ticket), changes)
        session.expire_all()  # loaded tickets see the new levels
    return len(active), [c["id"] for c in changes]


def rate_ticket(session: Session, actor: Actor, ticket_id: int, data: CsatIn) -> Ticket:
    """Customer satisfaction (1-5), accepted once the ticket is closed."""
    authorize(actor, "crm:write")
    ticket = get_ticket(session, actor, ticket_id)
    if ticket.status != TicketStatus.closed:
        raise Conflict(detail=f"ticket {ticket.number} is {ticket.status}; CSAT is asked after closing")
    before = snapshot(ticket)
    ticket.csat_score, ticket.csat_comment = data.score, data.comment
    audit.record_update(session, actor, ticket, before, action="ticket.csat")
    return ticket


def record_nps(session: Session, actor: Actor, data: NpsIn, *, now: datetime | None = None) -> NpsResponse:
    authorize(actor, "crm:write")
    customer = resolve_customer(session, actor, data.customer_code)
    contact = contact_of(customer, data.contact_id)
    row = NpsResponse(partner_id=customer.id, contact_id=contact.id if contact else None, score=data.score,
                      comment=data.comment, responded_at=_now(now))
    session.add(row)
    audit.record_create(session, actor, row)
    return row


def survey_summary(session: Session, actor: Actor, *, customer_id: int | None = None) -> SurveySummary:
    """NPS = % promoters (9-10) - % detractors (0-6) of all responses (Reichheld, HBR 2003); CSAT average
    of closed tickets' scores and the share of 4s and 5s."""
    authorize(actor, "crm:read")
    nps_filter = [partner_filter(actor, NpsResponse.partner_id)]
    csat_filter = [partner_filter(actor, Ticket.partner_id), Ticket.csat_score.is_not(None)]
    if customer_id is not None:
        nps_filter.append(NpsResponse.partner_id == customer_id)
        csat_filter.append(Ticket.partner_id == customer_id)
    promoters = func.sum(case((NpsResponse.score >= 9, 1), else_=0))
    detractors = func.sum(case((NpsResponse.score <= 6, 1), else_=0))
    n, p, d = session.execute(select(func.count(), promoters, detractors).where(*nps_filter)).one()
    p, d = int(p or 0), int(d or 0)
    satisfied = func.sum(case((Ticket.csat_score >= 4, 1), else_=0))
    cn, total, sat = session.execute(select(func.count(), func.sum(Ticket.csat_score), satisfied)
                                     .where(*csat_filter)).one()
    return SurveySummary(
        nps_responses=n, promoters=p, passives=n - p - d, detractors=d,
        nps=round(100.0 * (p - d) / n, 1) if n else None,
        csat_responses=cn, csat_average=round(int(total) / cn, 2) if cn else None,
        csat_satisfied_percent=round(100.0 * int(sat or 0) / cn, 1) if cn else None,
    )

