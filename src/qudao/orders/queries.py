"""Read models for orders: the list, the customer-readable timeline and the exceptions queue."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize
from qudao.catalog.models import Product
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.db import utcnow
from qudao.locations.models import Location
from qudao.orders.models import OrderEvent, OrderStatus, SalesOrder, SalesOrderLine
from qudao.orders.schemas import ExceptionOut
from qudao.orders.service import get_order, visible
from qudao.partners.models import Partner

ORDER_SORTS = {
    "id": SalesOrder.id,
    "created_at": SalesOrder.created_at,
    "promised_date": SalesOrder.promised_date,
    "status": SalesOrder.status,
    "total_amount": SalesOrder.total_amount,
    "external_order_id": SalesOrder.external_order_id,
}

ACTIONS = {
    "on_hold": "check the customer's credit, then release the hold (POST /api/v1/orders/{id}/release-hold) "
               "or cancel the order",
    "late": "expedite: reallocate from another location (POST /api/v1/orders/{id}/reallocate), "
            "ship what is allocated, or agree a new date with the customer",
    "short_shipped": "ship the rest when stock arrives, reallocate it from another location, "
                     "or cancel the remainder",
    "stuck.allocated": "start picking (POST /api/v1/orders/{id}/shipments)",
    "stuck.partially_allocated": "ship the allocated part or reallocate the rest",
    "stuck.backordered": "raise a purchase or transfer for the missing stock, or reallocate",
    "stuck.partially_shipped": "ship or reallocate the remaining quantity",
}


def list_orders(session: Session, actor: Actor, params: ListParams, *, status: str | None = None,
                channel: str | None = None, customer: str | None = None) -> tuple[list[SalesOrder], int]:
    authorize(actor, "orders:read")
    filters: list[Any] = []
    scope = visible(actor)
    if scope is not None:
        filters.append(scope)
    if status:
        filters.append(SalesOrder.status == status)
    if channel:
        filters.append(SalesOrder.channel_id.in_(select(Channel.id).where(Channel.code == channel)))
    if customer:
        filters.append(SalesOrder.partner_id.in_(select(Partner.id).where(Partner.code == customer)))
    return paginate(session, select(SalesOrder), params, search=(SalesOrder.external_order_id, SalesOrder.notes),
                    sortable=ORDER_SORTS, default_sort="-id", filters=filters)


def timeline(session: Session, actor: Actor, order_id: int) -> list[OrderEvent]:
    """What happened to the order, oldest first; partners see the public events only."""
    get_order(session, actor, order_id)
    stmt = select(OrderEvent).where(OrderEvent.order_id == order_id)
    if actor.is_partner:
        stmt = stmt.where(OrderEvent.public.is_(True))
    return list(session.scalars(stmt.order_by(OrderEvent.at, OrderEvent.id)).all())


def exceptions(session: Session, actor: Actor, *, today: date | None = None, stuck_hours: float = 48,
               limit: int = 500) -> list[ExceptionOut]:
    """Orders needing someone: on hold, late against promise, short-shipped, stuck in a status too long."""
    authorize(actor, "orders:read")
    today = today or utcnow().date()
    scope = visible(actor)
    base = select(SalesOrder.id, SalesOrder.status, SalesOrder.hold_reason, SalesOrder.promised_date,
                  SalesOrder.status_changed_at)
    if scope is not None:
        base = base.where(scope)
    found: list[ExceptionOut] = []

    def add(kind: str, row: Any, detail: str, action_key: str | None = None) -> None:
        action = ACTIONS[action_key or kind].replace("{id}", str(row.id))
        found.append(ExceptionOut(kind=kind, order_id=row.id, number=f"SO{row.id:08d}", status=row.status,
                                  detail=detail, action=action))

    for row in session.execute(base.where(SalesOrder.status == OrderStatus.on_hold).order_by(SalesOrder.id)
                               .limit(limit)):
        add("on_hold", row, f"on hold ({row.hold_reason or 'manual'})")
    not_shipped = (OrderStatus.backordered, OrderStatus.partially_allocated, OrderStatus.allocated,
                   OrderStatus.partially_shipped, OrderStatus.on_hold)
    for row in session.execute(base.where(SalesOrder.status.in_(not_shipped), SalesOrder.promised_date < today)
                               .order_by(SalesOrder.promised_date, SalesOrder.id).limit(limit)):
        days = (today - row.promised_date).days
        add("late", row, f"promised for {row.promised_date.isoformat()}, {days} day(s) late")
    short = (select(SalesOrderLine.order_id).group_by(SalesOrderLine.order_id)
             .having(func.sum(SalesOrderLine.shipped_qty) > 0, func.sum(SalesOrderLine.backorder_qty) > 0))
    for row in session.execute(base.where(SalesOrder.id.in_(short), SalesOrder.status.in_(OrderStatus.OPEN))
                               .order_by(SalesOrder.id).limit(limit)):
        add("short_shipped", row, "part of the order shipped; the rest is waiting for stock")
    cutoff = utcnow() - timedelta(hours=stuck_hours)
    stuck_statuses = (OrderStatus.allocated, OrderStatus.partially_allocated, OrderStatus.backordered,
                      OrderStatus.partially_shipped)
    for row in session.execute(base.where(SalesOrder.status.in_(stuck_statuses), SalesOrder.status_changed_at < cutoff)
                               .order_by(SalesOrder.status_changed_at, SalesOrder.id).limit(limit)):
        hours = (utcnow() - row.status_changed_at).total_seconds() / 3600
        add("stuck", row, f"{row.status} for {hours:.0f} h (threshold {stuck_hours:g} h)", f"stuck.{row.status}")
    from qudao.orders.alerts import open_alerts  # late/exception shipments raised by logistics

    found.extend(open_alerts(session, actor, limit=limit))
    return found


class ReferenceCodes:
    """Codes of the master data an order refers to, by id (for pages showing orders the actor may already
    see); each lookup goes through the session's identity map, so a page asks for each row once."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _code(self, model: Any, ident: int | None, attr: str) -> str:
        if ident is None:
            return ""
        row = self.session.get(model, ident)
        return getattr(row, attr) if row is not None else f"#{ident}"

    def sku(self, ident: int) -> str:
        return self._code(Product, ident, "sku")

    def location(self, ident: int | None) -> str:
        return self._code(Location, ident, "code")

    def partner(self, ident: int | None) -> str:
        return self._code(Partner, ident, "code")

    def channel(self, ident: int | None) -> str:
        return self._code(Channel, ident, "code")
