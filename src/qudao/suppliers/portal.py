"""The supplier portal: a supplier's user sees the purchase orders sent to its organisation, confirms
quantities and dates per line, and sends advance shipping notices (ASN). Staff with purchasing rights use
the same functions (to record a confirmation received by mail, say) and see every supplier's.

Who may call them is decided in ``qudao.auth.permissions.authorize_supplier``; rows are scoped with
``partner_filter`` / ``ensure_own`` on the order's supplier, so another supplier's order is 'not found'.
Purchase orders stay ``qudao.purchasing``'s: confirmations and notices live in this area's tables.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize_supplier, ensure_own, partner_filter
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.db import utcnow
from qudao.errors import Conflict, NotFound, invalid
from qudao.purchasing.models import OrderStatus, PurchaseOrder
from qudao.suppliers import queries
from qudao.suppliers.models import LineConfirmation, ShippingNotice, ShippingNoticeLine
from qudao.suppliers.queries import plain
from qudao.suppliers.schemas import ConfirmIn, NoticeIn, PortalLineOut, PortalOrderOut

ZERO = Decimal(0)
HUNDRED = Decimal(100)
OPEN = (OrderStatus.confirmed, OrderStatus.partially_received)


def _allow(session: Session, actor: Actor, permission: str) -> None:
    authorize_supplier(actor, permission, lambda: queries.partner_roles(session, actor.partner_id))


def _order(session: Session, actor: Actor, code: str, *, lock: bool = False) -> PurchaseOrder:
    stmt = select(PurchaseOrder).where(PurchaseOrder.code == code)
    order = session.scalar(stmt.with_for_update(of=PurchaseOrder) if lock else stmt)
    # A draft has not been sent: the supplier does not know it yet.
    if order is None or (actor.is_partner and order.status == OrderStatus.draft):
        raise NotFound(detail=f"purchase order {code} not found")
    ensure_own(actor, order.supplier_id, entity="purchase order", key=code)
    return order


def _notified(session: Session, order_id: int) -> dict[int, Decimal]:
    rows = session.execute(select(ShippingNoticeLine.po_line_id, func.sum(ShippingNoticeLine.quantity))
                           .join(ShippingNotice).where(ShippingNotice.order_id == order_id)
                           .group_by(ShippingNoticeLine.po_line_id)).all()
    return {line_id: Decimal(qty) for line_id, qty in rows}


def _open_to_ship(line: Any, notified: Decimal) -> Decimal:
    """Ordered minus what has arrived or is already announced as on its way."""
    return max(line.quantity - max(line.received_quantity, notified), ZERO)


def _view(session: Session, order: PurchaseOrder) -> PortalOrderOut:
    notified = _notified(session, order.id)
    confirmations = {c.po_line_id: c for c in session.scalars(
        select(LineConfirmation).where(LineConfirmation.order_id == order.id))}
    lines = []
    for line in order.lines:
        c = confirmations.get(line.id)
        sent = notified.get(line.id, ZERO)
        lines.append(PortalLineOut(line_no=line.line_no, sku=line.sku, quantity=line.quantity,
                                   unit_cost=line.unit_cost, received_quantity=line.received_quantity,
                                   notified_quantity=sent, open_to_ship=_open_to_ship(line, sent),
                                   confirmed_quantity=c.confirmed_quantity if c else None,
                                   promised_date=c.promised_date if c else None,
                                   confirmed_at=c.confirmed_at if c else None))
    return PortalOrderOut(code=order.code, supplier_code=order.supplier_code, location_code=order.location_code,
                          status=order.status, currency=order.currency, expected_date=order.expected_date,
                          sent_at=order.confirmed_at, lines=lines)


PO_SORTS = {"id": PurchaseOrder.id, "code": PurchaseOrder.code, "expected_date": PurchaseOrder.expected_date}


def list_orders(session: Session, actor: Actor, params: ListParams, *,
                status: str | None = None) -> tuple[list[PortalOrderOut], int]:
    """Orders sent to the actor's own organisation (staff: to every supplier), newest first."""
    _allow(session, actor, "purchasing:read")
    filters = [PurchaseOrder.status != OrderStatus.draft, partner_filter(actor, PurchaseOrder.supplier_id)]
    if status:
        filters.append(PurchaseOrder.status == status)
    rows, total = paginate(session, select(PurchaseOrder), params, search=(PurchaseOrder.code,),
                           sortable=PO_SORTS, default_sort="-id", filters=filters)
    return [_view(session, order) for order in rows], total


def get_order(session: Session, actor: Actor, code: str) -> PortalOrderOut:
    _allow(session, actor, "purchasing:read")
    return _view(session, _order(session, actor, code))


def confirm_order(session: Session, actor: Actor, code: str, data: ConfirmIn) -> PortalOrderOut:
    """The supplier's answer per line: the quantity it will deliver (at most the ordered quantity plus the
    order's over-receipt tolerance) and the date it promises. A later answer replaces the earlier one; the
    first answer's time is kept for the responsiveness score."""
    _allow(session, actor, "purchasing:write")
    order = _order(session, actor, code, lock=True)
    if order.status not in OPEN:
        raise Conflict(detail=f"purchase order {code} is {order.status}; only an open order can be confirmed")
    by_no = {line.line_no: line for line in order.lines}
    existing = {c.po_line_id: c for c in session.scalars(
        select(LineConfirmation).where(LineConfirmation.order_id == order.id))}
    sent_day = order.confirmed_at.date() if order.confirmed_at else None
    now = utcnow()
    answers = []
    seen: set[int] = set()
    for i, item in enumerate(data.lines):
        line = by_no.get(item.line_no)
        if line is None:
            raise invalid(f"lines[{i}].line_no", f"purchase order {code} has no line {item.line_no}")
        if item.line_no in seen:
            raise invalid(f"lines[{i}].line_no", f"line {item.line_no} is given twice")
        seen.add(item.line_no)
        limit = line.quantity * (HUNDRED + order.over_receipt_tolerance_pct) / HUNDRED
        if item.quantity > limit:
            raise invalid(f"lines[{i}].quantity", f"line {item.line_no} ordered {plain(line.quantity)}; "
                          f"at most {plain(limit)} can be confirmed")
        if sent_day and item.promised_date < sent_day:
            raise invalid(f"lines[{i}].promised_date", f"cannot be before the order was sent ({sent_day})")
        row = existing.get(line.id)
        if row is None:
            row = LineConfirmation(po_line_id=line.id, order_id=order.id, first_confirmed_at=now)
            session.add(row)
        row.confirmed_quantity, row.promised_date, row.note = item.quantity, item.promised_date, item.note
        row.confirmed_at, row.confirmed_by = now, actor.username
        answers.append({"line_no": item.line_no, "quantity": str(item.quantity),
                        "promised_date": item.promised_date.isoformat()})
    session.flush()
    audit.record(session, actor, action="supplier_confirm", entity=PurchaseOrder.__tablename__, entity_id=order.id,
                 after={"code": code, "lines": answers})
    return _view(session, order)


def create_notice(session: Session, actor: Actor, code: str, data: NoticeIn) -> ShippingNotice:
    """An advance shipping notice for an open order; no line may be announced beyond its open quantity
    (ordered minus the larger of received and already announced). The order row is locked so two notices
    sent at once cannot both use the same open quantity."""
    _allow(session, actor, "purchasing:write")
    order = _order(session, actor, code, lock=True)
    if order.status not in OPEN:
        raise Conflict(detail=f"purchase order {code} is {order.status}; only an open order can be shipped")
    if data.expected_arrival < data.ship_date:
        raise invalid("expected_arrival", "cannot be before ship_date")
    notice_code = data.code or f"ASN-{uuid.uuid4().hex[:10].upper()}"
    if session.scalar(select(ShippingNotice.id).where(ShippingNotice.code == notice_code)) is not None:
        raise Conflict(detail=f"shipping notice {notice_code} already exists")
    by_no = {line.line_no: line for line in order.lines}
    notified = _notified(session, order.id)
    asked: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for i, item in enumerate(data.lines):
        line = by_no.get(item.line_no)
        if line is None:
            raise invalid(f"lines[{i}].line_no", f"purchase order {code} has no line {item.line_no}")
        asked[line.id] += item.quantity
        open_qty = _open_to_ship(line, notified.get(line.id, ZERO))
        if asked[line.id] > open_qty:
            raise invalid(f"lines[{i}].quantity", f"line {item.line_no} ({line.sku}) has {plain(open_qty)} "
                          f"open to ship; {plain(asked[line.id])} is more")
    notice = ShippingNotice(code=notice_code, order_id=order.id, supplier_id=order.supplier_id,
                            ship_date=data.ship_date, expected_arrival=data.expected_arrival, carrier=data.carrier,
                            tracking_number=data.tracking_number, note=data.note)
    notice.lines = [ShippingNoticeLine(po_line_id=line_id, quantity=qty) for line_id, qty in asked.items()]
    session.add(notice)
    session.flush()
    audit.record(session, actor, action="create", entity=ShippingNotice.__tablename__, entity_id=notice.id,
                 after={"code": notice_code, "order": code, "ship_date": data.ship_date.isoformat(),
                        "expected_arrival": data.expected_arrival.isoformat(), "carrier": data.carrier,
                        "tracking_number": data.tracking_number,
                        "lines": [{"line_no": n.line_no, "quantity": str(n.quantity)} for n in notice.lines]})
    return notice


NOTICE_SORTS = {"id": ShippingNotice.id, "code": ShippingNotice.code, "ship_date": ShippingNotice.ship_date,
                "expected_arrival": ShippingNotice.expected_arrival}


def list_notices(session: Session, actor: Actor, params: ListParams, *,
                 order_code: str | None = None) -> tuple[list[ShippingNotice], int]:
    _allow(session, actor, "purchasing:read")
    filters = [partner_filter(actor, ShippingNotice.supplier_id)]
    if order_code:
        filters.append(ShippingNotice.order_id.in_(select(PurchaseOrder.id).where(PurchaseOrder.code == order_code)))
    return paginate(session, select(ShippingNotice), params,
                    search=(ShippingNotice.code, ShippingNotice.tracking_number), sortable=NOTICE_SORTS,
                    default_sort="-id", filters=filters)


def get_notice(session: Session, actor: Actor, code: str) -> ShippingNotice:
    _allow(session, actor, "purchasing:read")
    notice = session.scalar(select(ShippingNotice).where(ShippingNotice.code == code))
    if notice is None:
        raise NotFound(detail=f"shipping notice {code} not found")
    ensure_own(actor, notice.supplier_id, entity="shipping notice", key=code)
    return notice
