"""REST routes of the CRM under /api/v1/crm (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, status

from qudao.api.deps import ActorDep, IdPath, ListParamsDep, SessionDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.common.listing import Page
from qudao.crm import contacts, interactions, pipeline
from qudao.crm import service as tickets
from qudao.crm.models import Ticket
from qudao.crm.schemas import (
    ConsentIn,
    CrmContactCreate,
    CrmContactOut,
    CsatIn,
    EscalationOut,
    InteractionCreate,
    InteractionOut,
    LeadCreate,
    LeadOut,
    MergeIn,
    MergeOut,
    NpsIn,
    OpportunityClose,
    OpportunityCreate,
    OpportunityOut,
    OpportunityUpdate,
    QuoteCreate,
    QuoteOut,
    QuoteToOrder,
    RevenueMonth,
    SurveySummary,
    TaskCreate,
    TaskOut,
    TicketAction,
    TicketCreate,
    TicketOut,
    TimelineEntry,
)

router = APIRouter(prefix="/crm", tags=["crm"], responses=PROBLEM_RESPONSES)
Code = Query(max_length=40)


def ticket_out(ticket: Ticket) -> TicketOut:
    first, resolution = tickets.ticket_timers(ticket)
    out = TicketOut.model_validate(ticket)
    out.first_response, out.resolution = tickets.timer_out(first), tickets.timer_out(resolution)
    return out


# ---- tickets and surveys -------------------------------------------------------------------------------
@router.get("/tickets", response_model=Page[TicketOut])
def list_tickets(session: SessionDep, actor: ActorDep, params: ListParamsDep,
                 status: str | None = Query(default=None, max_length=20), active: bool = False) -> Page[TicketOut]:
    rows, total = tickets.list_tickets(session, actor, params, status=status, active=active)
    return Page(items=[ticket_out(t) for t in rows], total=total, page=params.page, page_size=params.page_size)


@router.post("/tickets", response_model=TicketOut, status_code=status.HTTP_201_CREATED)
def open_ticket(session: SessionDep, actor: ActorDep, body: TicketCreate) -> TicketOut:
    return ticket_out(tickets.open_ticket(session, actor, body))


@router.get("/tickets/{ticket_id}", response_model=TicketOut)
def get_ticket(session: SessionDep, actor: ActorDep, ticket_id: IdPath) -> TicketOut:
    return ticket_out(tickets.get_ticket(session, actor, ticket_id))


@router.post("/tickets/{ticket_id}/actions", response_model=TicketOut)
def act_on_ticket(session: SessionDep, actor: ActorDep, ticket_id: IdPath, body: TicketAction) -> TicketOut:
    return ticket_out(tickets.act_on_ticket(session, actor, ticket_id, body))


@router.post("/tickets/{ticket_id}/csat", response_model=TicketOut)
def rate_ticket(session: SessionDep, actor: ActorDep, ticket_id: IdPath, body: CsatIn) -> TicketOut:
    return ticket_out(tickets.rate_ticket(session, actor, ticket_id, body))


@router.post("/tickets/escalate", response_model=EscalationOut)
def escalate(session: SessionDep, actor: ActorDep) -> EscalationOut:
    checked, escalated = tickets.escalate_breached(session, actor)
    return EscalationOut(checked=checked, escalated=escalated)


@router.post("/surveys/nps", status_code=status.HTTP_201_CREATED)
def record_nps(session: SessionDep, actor: ActorDep, body: NpsIn) -> dict[str, int]:
    row = tickets.record_nps(session, actor, body)
    return {"id": row.id, "score": row.score}


@router.get("/surveys/summary", response_model=SurveySummary)
def survey_summary(session: SessionDep, actor: ActorDep) -> SurveySummary:
    return tickets.survey_summary(session, actor)


# ---- interactions, timeline, tasks ---------------------------------------------------------------------
@router.post("/interactions", response_model=InteractionOut, status_code=status.HTTP_201_CREATED)
def log_interaction(session: SessionDep, actor: ActorDep, body: InteractionCreate) -> InteractionOut:
    return InteractionOut.model_validate(interactions.log_interaction(session, actor, body))


@router.get("/customers/{code}/timeline", response_model=list[TimelineEntry])
def timeline(session: SessionDep, actor: ActorDep, code: str) -> list[TimelineEntry]:
    return interactions.timeline(session, actor, code)


@router.get("/customers/{code}/contacts", response_model=list[CrmContactOut])
def customer_contacts(session: SessionDep, actor: ActorDep, code: str) -> list[CrmContactOut]:
    return [contacts.contact_out(session, c) for c in contacts.list_contacts(session, actor, code)]


@router.get("/tasks", response_model=list[TaskOut])
def list_tasks(session: SessionDep, actor: ActorDep, assignee: str | None = Query(default=None, max_length=80),
               overdue_on: date | None = None, include_done: bool = False) -> list[TaskOut]:
    rows = interactions.list_tasks(session, actor, assignee=assignee, overdue_on=overdue_on,
                                   open_only=not include_done)
    return [TaskOut.model_validate(t) for t in rows]


@router.post("/tasks", response_model=TaskOut, status_code=status.HTTP_201_CREATED)
def create_task(session: SessionDep, actor: ActorDep, body: TaskCreate) -> TaskOut:
    return TaskOut.model_validate(interactions.create_task(session, actor, body))


@router.post("/tasks/{task_id}/done", response_model=TaskOut)
def complete_task(session: SessionDep, actor: ActorDep, task_id: IdPath) -> TaskOut:
    return TaskOut.model_validate(interactions.complete_task(session, actor, task_id))


# ---- pipeline ------------------------------------------------------------------------------------------
@router.get("/leads", response_model=list[LeadOut])
def list_leads(session: SessionDep, actor: ActorDep,
               status: str | None = Query(default=None, max_length=20)) -> list[LeadOut]:
    return [LeadOut.model_validate(r) for r in pipeline.list_leads(session, actor, status=status)]


@router.post("/leads", response_model=LeadOut, status_code=status.HTTP_201_CREATED)
def create_lead(session: SessionDep, actor: ActorDep, body: LeadCreate) -> LeadOut:
    return LeadOut.model_validate(pipeline.create_lead(session, actor, body))


@router.get("/opportunities", response_model=list[OpportunityOut])
def list_opportunities(session: SessionDep, actor: ActorDep,
                       stage: str | None = Query(default=None, max_length=20)) -> list[OpportunityOut]:
    return [OpportunityOut.model_validate(r) for r in pipeline.list_opportunities(session, actor, stage=stage)]


@router.post("/opportunities", response_model=OpportunityOut, status_code=status.HTTP_201_CREATED)
def create_opportunity(session: SessionDep, actor: ActorDep, body: OpportunityCreate) -> OpportunityOut:
    return OpportunityOut.model_validate(pipeline.create_opportunity(session, actor, body))


@router.get("/opportunities/expected-revenue", response_model=list[RevenueMonth])
def expected_revenue(session: SessionDep, actor: ActorDep, start: date | None = None,
                     end: date | None = None) -> list[RevenueMonth]:
    return pipeline.expected_revenue_by_month(session, actor, start=start, end=end)


@router.patch("/opportunities/{opportunity_id}", response_model=OpportunityOut)
def update_opportunity(session: SessionDep, actor: ActorDep, opportunity_id: IdPath,
                       body: OpportunityUpdate) -> OpportunityOut:
    return OpportunityOut.model_validate(pipeline.update_opportunity(session, actor, opportunity_id, body))


@router.post("/opportunities/{opportunity_id}/close", response_model=OpportunityOut)
def close_opportunity(session: SessionDep, actor: ActorDep, opportunity_id: IdPath,
                      body: OpportunityClose) -> OpportunityOut:
    return OpportunityOut.model_validate(pipeline.close_opportunity(session, actor, opportunity_id, body))


@router.get("/quotes", response_model=list[QuoteOut])
def list_quotes(session: SessionDep, actor: ActorDep) -> list[QuoteOut]:
    return [QuoteOut.model_validate(q) for q in pipeline.list_quotes(session, actor)]


@router.post("/quotes", response_model=QuoteOut, status_code=status.HTTP_201_CREATED)
def create_quote(session: SessionDep, actor: ActorDep, body: QuoteCreate) -> QuoteOut:
    return QuoteOut.model_validate(pipeline.create_quote(session, actor, body))


@router.get("/quotes/{quote_id}", response_model=QuoteOut)
def get_quote(session: SessionDep, actor: ActorDep, quote_id: IdPath) -> QuoteOut:
    return QuoteOut.model_validate(pipeline.get_quote(session, actor, quote_id))


@router.post("/quotes/{quote_id}/order", response_model=QuoteOut)
def order_quote(session: SessionDep, actor: ActorDep, quote_id: IdPath, body: QuoteToOrder) -> QuoteOut:
    quote, _ = pipeline.order_quote(session, actor, quote_id, body)
    return QuoteOut.model_validate(quote)


# ---- contacts ------------------------------------------------------------------------------------------
@router.post("/contacts", response_model=CrmContactOut, status_code=status.HTTP_201_CREATED)
def create_contact(session: SessionDep, actor: ActorDep, body: CrmContactCreate) -> CrmContactOut:
    return contacts.contact_out(session, contacts.create_contact(session, actor, body))


@router.get("/contacts/{contact_id}", response_model=CrmContactOut)
def get_contact(session: SessionDep, actor: ActorDep, contact_id: IdPath) -> CrmContactOut:
    return contacts.consent_history(session, actor, contact_id)


@router.post("/contacts/{contact_id}/consent", response_model=CrmContactOut)
def set_consent(session: SessionDep, actor: ActorDep, contact_id: IdPath, body: ConsentIn) -> CrmContactOut:
    return contacts.contact_out(session, contacts.set_consent(session, actor, contact_id, body), history=True)


@router.post("/contacts/merge", response_model=MergeOut)
def merge_contacts(session: SessionDep, actor: ActorDep, body: MergeIn) -> MergeOut:
    survivor, moved = contacts.merge_contacts(session, actor, body.survivor_id, body.duplicate_id)
    return MergeOut(survivor=contacts.contact_out(session, survivor, history=True), moved=moved)
