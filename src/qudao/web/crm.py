"""The CRM page: the ticket queue with live SLA timers, the pipeline by stage with expected revenue by month,
and a customer 360 (contacts with consent, timeline, opportunities, tickets), plus a form to open a ticket.
Every read and write goes through the crm services (a partner user sees its own tickets and timeline)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from qudao.api.deps import SessionDep
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.crm import contacts, interactions, pipeline
from qudao.crm import service as tickets
from qudao.crm.schemas import TicketAction, TicketCreate
from qudao.errors import NotFound, QudaoError
from qudao.partners import service as partners
from qudao.web.common import PageActor, PageRoute, reject_nul, render
from qudao.web.masterdata import PostedForm

Code = Annotated[str | None, Query(max_length=40)]
TicketId = Annotated[int, Path(ge=1, le=2**63 - 1)]
TICKET_FIELDS = ("customer_code", "subject", "category", "priority", "order_id", "description")


def _queue(session: Session, actor: Actor) -> list[dict[str, Any]]:
    rows, _ = tickets.list_tickets(session, actor, ListParams(page_size=100, sort="-id"), active=True)
    queue = []
    for ticket in rows:
        first, resolution = tickets.ticket_timers(ticket)
        queue.append({"ticket": ticket, "first": tickets.timer_out(first), "resolution": tickets.timer_out(resolution)})
    return queue


def _customer_360(session: Session, actor: Actor, code: str) -> dict[str, Any]:
    customer = partners.get_partner(session, actor, code)
    staff = not actor.is_partner
    rows, _ = tickets.list_tickets(session, actor, ListParams(page_size=50), customer_id=customer.id)
    return {"customer": customer,
            "contacts": [contacts.contact_out(session, c) for c in contacts.list_contacts(session, actor, code)],
            "timeline": interactions.timeline(session, actor, code, limit=50),
            "opportunities": pipeline.list_opportunities(session, actor, customer_id=customer.id) if staff else [],
            "tickets": rows}


def _page(request: Request, session: Session, actor: Actor, customer: str | None, *, form: dict[str, str] | None = None,
          error: str | None = None, status_code: int = 200) -> HTMLResponse:
    staff = not actor.is_partner
    own_code = None
    if actor.is_partner:
        own_code = partners.list_partners(session, actor, ListParams(page_size=1))[0][0].code
    code = customer or own_code
    customers = partners.list_partners(session, actor, ListParams(page_size=200))[0] if staff else []
    actions = {name: sources for name, (sources, _, _) in tickets.TRANSITIONS.items()}
    return render(request, "crm/page.html", actor, status_code=status_code, queue=_queue(session, actor),
                  actions=actions,
                  stages=pipeline.pipeline_by_stage(session, actor) if staff else [],
                  months=pipeline.expected_revenue_by_month(session, actor) if staff else [],
                  survey=tickets.survey_summary(session, actor),
                  view=_customer_360(session, actor, code) if code else None, customers=customers,
                  code=code or "", form=form or {"priority": "normal", "category": "complaint"}, error=error)


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @pages.get("/crm", response_class=HTMLResponse)
    def crm_page(request: Request, session: SessionDep, actor: PageActor, customer: Code = None) -> HTMLResponse:
        return _page(request, session, actor, customer)

    @pages.post("/crm/tickets")
    def open_ticket(request: Request, session: SessionDep, actor: PageActor, form: PostedForm) -> Response:
        """Open a ticket from the page; a refusal shows the page again with the reason and the typed values."""
        values = {name: str(form.get(name) or "").strip() for name in TICKET_FIELDS}
        payload = {k: v for k, v in values.items() if v}
        if actor.is_partner:
            payload.pop("customer_code", None)
        try:
            ticket = tickets.open_ticket(session, actor, TicketCreate(**payload))
        except (ValidationError, QudaoError) as exc:
            if isinstance(exc, QudaoError) and exc.status in (401, 403):
                raise
            session.rollback()
            message = exc.detail if isinstance(exc, QudaoError) else "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            status = exc.status if isinstance(exc, QudaoError) else 422
            shown = None if status == 404 or actor.is_partner else values["customer_code"] or None
            return _page(request, session, actor, shown, form=values, error=message, status_code=status)
        code = values["customer_code"] if not actor.is_partner else ""
        target = f"/crm?customer={quote(code)}#ticket-{ticket.id}" if code else f"/crm#ticket-{ticket.id}"
        return RedirectResponse(target, status_code=303)

    @pages.post("/crm/tickets/{ticket_id}/{action}")
    def ticket_action(request: Request, session: SessionDep, actor: PageActor, ticket_id: TicketId, action: str,
                      form: PostedForm) -> Response:
        """Respond, ask the customer (clocks pause), resume, resolve or close from the queue."""
        if action not in tickets.TRANSITIONS:
            raise NotFound(detail=f"no ticket action {action}")
        tickets.act_on_ticket(session, actor, ticket_id, TicketAction(action=action))
        return RedirectResponse(f"/crm#ticket-{ticket_id}", status_code=303)

    return pages
