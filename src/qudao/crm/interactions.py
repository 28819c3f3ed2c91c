"""The customer timeline (calls, visits, emails, chats, notes, plus the customer's orders and tickets read
through their own query functions) and the sales team's tasks and reminders.

Interactions and tasks are the sales team's working notes: partner users may not read or write them
(a partner's timeline shows only its orders and tickets).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.models import User
from qudao.auth.permissions import authorize, require_staff
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.common.records import snapshot
from qudao.crm import service as tickets
from qudao.crm.customers import contact_of, resolve_customer
from qudao.crm.models import Interaction, SalesTask
from qudao.crm.schemas import InteractionCreate, TaskCreate, TimelineEntry
from qudao.db import utcnow
from qudao.errors import Conflict, NotFound, invalid
from qudao.orders import queries as order_queries

TIMELINE_LIMIT = 200


def log_interaction(session: Session, actor: Actor, data: InteractionCreate) -> Interaction:
    authorize(actor, "crm:write")
    require_staff(actor, "log interactions")
    customer = resolve_customer(session, actor, data.customer_code)
    contact = contact_of(customer, data.contact_id)
    row = Interaction(partner_id=customer.id, contact_id=contact.id if contact else None, kind=data.kind,
                      subject=data.subject, body=data.body, occurred_at=data.occurred_at or utcnow(),
                      user_id=actor.user_id)
    session.add(row)
    audit.record_create(session, actor, row)
    return row


def timeline(session: Session, actor: Actor, customer_code: str, *, limit: int = TIMELINE_LIMIT) -> list[TimelineEntry]:
    """Newest first: the customer's interactions (staff only), orders and tickets, up to ``limit`` of each."""
    authorize(actor, "crm:read")
    customer = resolve_customer(session, actor, customer_code)
    entries: list[TimelineEntry] = []
    if not actor.is_partner:
        rows = session.scalars(select(Interaction).where(Interaction.partner_id == customer.id)
                               .order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(limit))
        entries += [TimelineEntry(at=r.occurred_at, kind=r.kind, ref_id=r.id, title=r.subject) for r in rows]
    page = ListParams(page_size=min(limit, 500), sort="-created_at")
    order_rows, _ = order_queries.list_orders(session, actor, page, customer=customer.code)
    entries += [TimelineEntry(at=o.created_at, kind="order", ref_id=o.id, title=o.number, status=o.status)
                for o in order_rows]
    ticket_rows, _ = tickets.list_tickets(session, actor, ListParams(page_size=min(limit, 500)),
                                          customer_id=customer.id)
    entries += [TimelineEntry(at=t.opened_at, kind="ticket", ref_id=t.id, title=f"{t.number} {t.subject}",
                              status=t.status) for t in ticket_rows]
    entries.sort(key=lambda e: (e.at, e.ref_id), reverse=True)
    return entries


def _user_id(session: Session, username: str) -> int:
    user_id = session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise invalid("assignee", f"no user {username}")
    return user_id


def create_task(session: Session, actor: Actor, data: TaskCreate) -> SalesTask:
    authorize(actor, "crm:write")
    require_staff(actor, "create sales tasks")
    assignee = _user_id(session, data.assignee) if data.assignee else actor.user_id
    if assignee is None:
        raise invalid("assignee", "required when the caller is not a user")
    partner_id = resolve_customer(session, actor, data.customer_code).id if data.customer_code else None
    task = SalesTask(partner_id=partner_id, title=data.title, notes=data.notes, due_date=data.due_date,
                     remind_at=data.remind_at, assignee_user_id=assignee)
    session.add(task)
    audit.record_create(session, actor, task)
    return task


def complete_task(session: Session, actor: Actor, task_id: int) -> SalesTask:
    authorize(actor, "crm:write")
    require_staff(actor, "complete sales tasks")
    task = session.get(SalesTask, task_id)
    if task is None:
        raise NotFound(detail=f"task {task_id} not found")
    if task.done_at is not None:
        raise Conflict(detail=f"task {task_id} is already done")
    before = snapshot(task)
    task.done_at = utcnow()
    audit.record_update(session, actor, task, before, action="task.done")
    return task


def list_tasks(session: Session, actor: Actor, *, assignee: str | None = None, overdue_on: date | None = None,
               open_only: bool = True, customer_id: int | None = None, limit: int = 500) -> list[SalesTask]:
    """Tasks, soonest due first; ``overdue_on`` keeps those due before that day and not done."""
    authorize(actor, "crm:read")
    require_staff(actor, "read sales tasks")
    stmt = select(SalesTask)
    if assignee:
        stmt = stmt.where(SalesTask.assignee_user_id == _user_id(session, assignee))
    if open_only or overdue_on is not None:
        stmt = stmt.where(SalesTask.done_at.is_(None))
    if overdue_on is not None:
        stmt = stmt.where(SalesTask.due_date < overdue_on)
    if customer_id is not None:
        stmt = stmt.where(SalesTask.partner_id == customer_id)
    return list(session.scalars(stmt.order_by(SalesTask.due_date, SalesTask.id).limit(limit)).all())


def due_reminders(session: Session, actor: Actor, *, now: datetime | None = None) -> list[SalesTask]:
    """Open tasks whose reminder time has come."""
    authorize(actor, "crm:read")
    require_staff(actor, "read reminders")
    at = now or utcnow()
    stmt = select(SalesTask).where(SalesTask.done_at.is_(None), SalesTask.remind_at.is_not(None),
                                   SalesTask.remind_at <= at)
    return list(session.scalars(stmt.order_by(SalesTask.remind_at)).all())
