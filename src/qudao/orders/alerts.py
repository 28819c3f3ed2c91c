"""Shipment alerts on orders: other areas (logistics) raise "late" or "exception" on an order through
these functions; the alerts show in the orders exceptions queue until cleared.

An alert is an order event (kind ``alert.shipment_late`` / ``alert.shipment_exception``, cleared by
``alert.cleared``) carrying the freight shipment it is about, so the order timeline keeps the history
and no table of orders changes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize
from qudao.common.actor import Actor
from qudao.orders import stock
from qudao.orders.models import OrderEvent, SalesOrder
from qudao.orders.schemas import ExceptionOut
from qudao.orders.service import visible

ALERT_KINDS = ("shipment_late", "shipment_exception")
CLEARED = "alert.cleared"
ACTIONS = {
    "shipment_late": "ask the carrier for a new delivery date, tell the customer, or reship",
    "shipment_exception": "contact the carrier about the exception (damage, refused, address), then reship "
                          "or return",
}


def _open(session: Session, order_ids: list[int] | None,
          actor: Actor | None) -> dict[tuple[int, str, Any], OrderEvent]:
    """Open alerts keyed by (order, kind, shipment): raised and not cleared since."""
    kinds = [f"alert.{k}" for k in ALERT_KINDS] + [CLEARED]
    stmt = select(OrderEvent).where(OrderEvent.kind.in_(kinds))
    if order_ids is not None:
        stmt = stmt.where(OrderEvent.order_id.in_(order_ids))
    if actor is not None:
        scope = visible(actor)
        if scope is not None:
            stmt = stmt.where(OrderEvent.order_id.in_(select(SalesOrder.id).where(scope)))
    found: dict[tuple[int, str, Any], OrderEvent] = {}
    for event in session.scalars(stmt.order_by(OrderEvent.id)):
        data = event.data or {}
        key = (event.order_id, str(data.get("alert")), data.get("shipment"))
        if event.kind == CLEARED:
            found.pop(key, None)
        else:
            found[key] = event
    return found


def raise_alert(session: Session, actor: Actor, order_id: int, kind: str, detail: str, shipment: Any) -> bool:
    """Put an alert on the order unless the same one is already open; True when a new one was raised."""
    if kind not in ALERT_KINDS:
        raise ValueError(f"unknown alert kind {kind}")
    if (order_id, kind, shipment) in _open(session, [order_id], None):
        return False
    stock.add_events(session, actor, [(order_id, f"alert.{kind}", detail, {"alert": kind, "shipment": shipment})])
    return True


def clear_alert(session: Session, actor: Actor, order_id: int, kind: str, shipment: Any, detail: str) -> bool:
    if (order_id, kind, shipment) not in _open(session, [order_id], None):
        return False
    stock.add_events(session, actor, [(order_id, CLEARED, detail, {"alert": kind, "shipment": shipment})])
    return True


def open_alerts(session: Session, actor: Actor, *, limit: int = 500) -> list[ExceptionOut]:
    """The open shipment alerts the actor may see, as rows of the exceptions queue."""
    authorize(actor, "orders:read")
    alerts = sorted(_open(session, None, actor).values(), key=lambda e: e.id)[:limit]
    statuses = dict(session.execute(select(SalesOrder.id, SalesOrder.status).where(
        SalesOrder.id.in_({e.order_id for e in alerts}))).all()) if alerts else {}
    return [ExceptionOut(kind=str((e.data or {}).get("alert")), order_id=e.order_id, number=f"SO{e.order_id:08d}",
                         status=statuses.get(e.order_id, ""), detail=e.message,
                         action=ACTIONS[str((e.data or {}).get("alert"))]) for e in alerts]
