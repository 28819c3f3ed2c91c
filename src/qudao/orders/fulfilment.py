"""Fulfilment and returns: pick, pack, ship (partial shipments allowed), delivery; RMAs with inspection.

Shipping issues the reserved stock through ``inventory.issue_reserved``; a restocked return goes back
through ``inventory.receive(movement_type="return")``, which in turn lets waiting backorders take it.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, require_staff
from qudao.catalog.models import Product
from qudao.common.actor import Actor
from qudao.common.records import snapshot
from qudao.db import utcnow
from qudao.errors import Conflict, FieldError, Invalid, NotFound, invalid
from qudao.inventory import service as inventory
from qudao.locations.models import Location
from qudao.orders import stock
from qudao.orders.models import (
    Allocation,
    OrderStatus,
    ReturnAuthorization,
    ReturnLine,
    SalesOrder,
    Shipment,
    ShipmentLine,
)
from qudao.orders.schemas import InspectionIn, ReturnCreate, ShipmentAdvance, ShipmentCreate
from qudao.orders.service import get_order, visible

ZERO = Decimal(0)
OPEN_SHIPMENT = ("picking", "picked", "packed")
NEXT_STEP = {"picking": "picked", "picked": "packed", "packed": "shipped", "shipped": "delivered"}
STAMP = {"picked": "picked_at", "packed": "packed_at", "shipped": "shipped_at", "delivered": "delivered_at"}
ALLOCS = Allocation.__table__


# ---- shipments ----------------------------------------------------------------------------------


def create_shipment(session: Session, actor: Actor, order_id: int, data: ShipmentCreate) -> Shipment:
    """Start a pick for allocated quantities at one location (default: all of them there)."""
    authorize(actor, "orders:write")
    require_staff(actor, "create shipments")
    order = get_order(session, actor, order_id)
    if order.status not in (OrderStatus.allocated, OrderStatus.partially_allocated, OrderStatus.partially_shipped):
        raise Conflict(detail=f"order {order.number} has nothing allocated to ship (status {order.status})")
    location = session.scalar(select(Location).where(Location.code == data.location_code))
    if location is None:
        raise invalid("location_code", f"unknown location {data.location_code!r}")
    in_pick = _quantities_in_open_shipments(session, order.id)
    shippable: dict[int, Decimal] = {}
    by_no = {line.line_no: line for line in order.lines}
    for line in order.lines:
        at_location = sum((a.quantity for a in line.allocations if a.location_id == location.id), ZERO)
        shippable[line.id] = at_location - in_pick.get((line.id, location.id), ZERO)
    if data.lines is None:
        wanted = {line_id: q for line_id, q in shippable.items() if q > 0}
    else:
        wanted, errors = {}, []
        for n, item in enumerate(data.lines):
            line = by_no.get(item.line_no)
            if line is None:
                errors.append(FieldError(f"lines[{n}].line_no", f"order {order.number} has no line {item.line_no}"))
            elif item.quantity > shippable.get(line.id, ZERO):
                errors.append(FieldError(f"lines[{n}].quantity", f"only {shippable.get(line.id, ZERO)} of line "
                                         f"{item.line_no} is allocated at {location.code} and not yet being picked"))
            else:
                wanted[line.id] = wanted.get(line.id, ZERO) + item.quantity
        if errors:
            raise Invalid(detail="; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors)
    if not wanted:
        raise Conflict(detail=f"nothing of order {order.number} is allocated at {location.code} to ship")
    shipment = Shipment(order_id=order.id, location_id=location.id, carrier=data.carrier, status="picking",
                        lines=[ShipmentLine(order_line_id=k, quantity=v) for k, v in sorted(wanted.items())])
    session.add(shipment)
    audit.record_create(session, actor, shipment)
    stock.add_events(session, actor, [(order.id, "shipment_picking", f"shipment {shipment.id} is being picked at "
                                       f"{location.code}", {"shipment_id": shipment.id})])
    return shipment


def get_shipment(session: Session, actor: Actor, shipment_id: int) -> Shipment:
    authorize(actor, "orders:read")
    shipment = session.get(Shipment, shipment_id, populate_existing=True)
    if shipment is None:
        raise NotFound(detail=f"shipment {shipment_id} not found")
    get_order(session, actor, shipment.order_id)  # partner scoping
    return shipment


def list_shipments(session: Session, actor: Actor, order_id: int) -> list[Shipment]:
    get_order(session, actor, order_id)
    return list(session.scalars(select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)).all())


def advance_shipment(session: Session, actor: Actor, shipment_id: int, to_status: str,
                     data: ShipmentAdvance | None = None) -> Shipment:
    """Move a shipment one step: picked, packed, shipped (stock leaves) or delivered (confirmation)."""
    authorize(actor, "orders:write")
    require_staff(actor, "update shipments")
    shipment = get_shipment(session, actor, shipment_id)
    if NEXT_STEP.get(shipment.status) != to_status:
        raise Conflict(detail=f"shipment {shipment.id} is {shipment.status}; it cannot become {to_status}"
                       + (f" (next step: {NEXT_STEP[shipment.status]})" if shipment.status in NEXT_STEP else ""))
    data = data or ShipmentAdvance()
    before = snapshot(shipment)
    now = utcnow()
    if data.carrier is not None:
        shipment.carrier = data.carrier
    if data.tracking_number is not None:
        shipment.tracking_number = data.tracking_number
    if to_status == "shipped":
        _issue(session, actor, shipment)
    if to_status == "delivered":
        shipment.received_by = data.received_by or ""
    shipment.status = to_status
    setattr(shipment, STAMP[to_status], now)
    audit.record_update(session, actor, shipment, before, action=to_status)
    message = {"picked": "picked", "packed": "packed", "shipped": "shipped"
               + (f" with {shipment.carrier} {shipment.tracking_number}".rstrip() if shipment.carrier else ""),
               "delivered": "delivered" + (f", received by {shipment.received_by}" if shipment.received_by else "")}
    stock.add_events(session, actor, [(shipment.order_id, f"shipment_{to_status}",
                                       f"shipment {shipment.id} {message[to_status]}", {"shipment_id": shipment.id})])
    if to_status == "shipped":
        stock.refresh_statuses(session, [shipment.order_id])
    if to_status == "delivered":
        _maybe_delivered(session, shipment.order_id)
    return get_shipment(session, actor, shipment.id)


def cancel_shipment(session: Session, actor: Actor, shipment_id: int) -> Shipment:
    """Abandon a pick before it ships; the stock stays reserved for the order."""
    authorize(actor, "orders:write")
    require_staff(actor, "cancel shipments")
    shipment = get_shipment(session, actor, shipment_id)
    if shipment.status not in OPEN_SHIPMENT:
        raise Conflict(detail=f"shipment {shipment.id} is {shipment.status} and cannot be cancelled")
    before = snapshot(shipment)
    shipment.status = "cancelled"
    audit.record_update(session, actor, shipment, before, action="cancel")
    stock.add_events(session, actor, [(shipment.order_id, "shipment_cancelled",
                                       f"shipment {shipment.id} cancelled before shipping", None)])
    return shipment


def _issue(session: Session, actor: Actor, shipment: Shipment) -> None:
    order = session.get(SalesOrder, shipment.order_id)
    assert order is not None
    lines = {line.id: line for line in order.lines}
    changes = []
    for item in shipment.lines:
        line = lines[item.order_line_id]
        inventory.issue_reserved(session, actor, product_id=line.product_id, location_id=shipment.location_id,
                                 quantity=item.quantity, reference=stock.reference(order.id))
        session.execute(update(ALLOCS).where(ALLOCS.c.order_line_id == line.id,
                                             ALLOCS.c.location_id == shipment.location_id).values(
            quantity=ALLOCS.c.quantity - item.quantity, shipped_qty=ALLOCS.c.shipped_qty + item.quantity,
            updated_at=utcnow()))
        changes.append({"b_id": line.id, "b_alloc": -item.quantity, "b_ship": item.quantity})
    stock.move_line_quantities(session, changes)
    session.expire(order)


def _maybe_delivered(session: Session, order_id: int) -> None:
    order = session.get(SalesOrder, order_id, populate_existing=True)
    assert order is not None
    if order.status != OrderStatus.shipped:
        return
    pending = session.scalar(select(Shipment.id).where(Shipment.order_id == order_id,
                                                       Shipment.status.in_((*OPEN_SHIPMENT, "shipped"))).limit(1))
    if pending is None:
        order.status, order.status_changed_at = OrderStatus.delivered, utcnow()


def _quantities_in_open_shipments(session: Session, order_id: int) -> dict[tuple[int, int], Decimal]:
    totals: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    rows = session.execute(select(ShipmentLine.order_line_id, Shipment.location_id, ShipmentLine.quantity)
                           .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
                           .where(Shipment.order_id == order_id, Shipment.status.in_(OPEN_SHIPMENT)))
    for line_id, location_id, quantity in rows:
        totals[(line_id, location_id)] += quantity
    return totals


# ---- returns (RMA) --------------------------------------------------------------------------------


def create_return(session: Session, actor: Actor, data: ReturnCreate) -> ReturnAuthorization:
    """Authorise a return of shipped goods (a partner may request one for its own orders)."""
    authorize(actor, "orders:write")
    order = get_order(session, actor, data.order_id)
    by_no = {line.line_no: line for line in order.lines}
    pending: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line_id, quantity in session.execute(
            select(ReturnLine.order_line_id, ReturnLine.quantity).join(ReturnAuthorization)
            .where(ReturnAuthorization.order_id == order.id,
                   ReturnAuthorization.status.in_(("authorized", "received")))):
        pending[line_id] += quantity
    errors, lines = [], []
    for n, item in enumerate(data.lines):
        line = by_no.get(item.line_no)
        if line is None:
            errors.append(FieldError(f"lines[{n}].line_no", f"order {order.number} has no line {item.line_no}"))
            continue
        returnable = line.shipped_qty - line.returned_qty - pending[line.id]
        if item.quantity > returnable:
            errors.append(FieldError(f"lines[{n}].quantity", f"only {returnable} of line {item.line_no} "
                                     "is shipped and not already returned"))
            continue
        pending[line.id] += item.quantity
        lines.append(ReturnLine(order_line_id=line.id, quantity=item.quantity))
    if errors:
        raise Invalid(detail="; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors)
    if data.location_code is not None:
        location_id = session.scalar(select(Location.id).where(Location.code == data.location_code,
                                                               Location.archived_at.is_(None)))
        if location_id is None:
            raise invalid("location_code", f"unknown location {data.location_code!r}")
    else:
        location_id = session.scalar(select(Shipment.location_id).where(
            Shipment.order_id == order.id, Shipment.status.in_(("shipped", "delivered"))).order_by(Shipment.id))
        if location_id is None:
            raise Conflict(detail=f"order {order.number} has not shipped anything to return")
    rma = ReturnAuthorization(order_id=order.id, reason=data.reason, notes=data.notes, location_id=location_id,
                              lines=lines)
    session.add(rma)
    audit.record_create(session, actor, rma)
    stock.add_events(session, actor, [(order.id, "return_authorized", f"return {rma.number} authorised "
                                       f"({data.reason})", {"rma_id": rma.id})])
    return rma


def get_return(session: Session, actor: Actor, rma_id: int) -> ReturnAuthorization:
    authorize(actor, "orders:read")
    rma = session.get(ReturnAuthorization, rma_id, populate_existing=True)
    if rma is None:
        raise NotFound(detail=f"return {rma_id} not found")
    get_order(session, actor, rma.order_id)
    return rma


def list_returns(session: Session, actor: Actor, *, status: str | None = None,
                 limit: int = 200) -> list[ReturnAuthorization]:
    authorize(actor, "orders:read")
    stmt = select(ReturnAuthorization).join(SalesOrder, SalesOrder.id == ReturnAuthorization.order_id)
    scope = visible(actor)
    if scope is not None:
        stmt = stmt.where(scope)
    if status:
        stmt = stmt.where(ReturnAuthorization.status == status)
    return list(session.scalars(stmt.order_by(ReturnAuthorization.id.desc()).limit(limit)).all())


def receive_return(session: Session, actor: Actor, rma_id: int) -> ReturnAuthorization:
    authorize(actor, "orders:write")
    require_staff(actor, "receive returns")
    rma = get_return(session, actor, rma_id)
    if not rma.awaiting_receipt:
        raise Conflict(detail=f"return {rma.number} is {rma.status}, not awaiting receipt")
    before = snapshot(rma)
    rma.status, rma.received_at = "received", utcnow()
    audit.record_update(session, actor, rma, before, action="receive")
    stock.add_events(session, actor, [(rma.order_id, "return_received", f"return {rma.number} received", None)])
    return rma


def inspect_return(session: Session, actor: Actor, rma_id: int, data: InspectionIn) -> ReturnAuthorization:
    """Record inspection per line: restock (back into available stock) or scrap; the RMA closes."""
    authorize(actor, "orders:write")
    require_staff(actor, "inspect returns")
    rma = get_return(session, actor, rma_id)
    if not rma.awaiting_inspection:
        raise Conflict(detail=f"return {rma.number} is {rma.status}; receive it before inspecting")
    order = session.get(SalesOrder, rma.order_id)
    assert order is not None
    line_by_no = {line.line_no: line for line in order.lines}
    decisions = {}
    for n, item in enumerate(data.lines):
        line = line_by_no.get(item.line_no)
        if line is None or not any(r.order_line_id == line.id for r in rma.lines):
            raise invalid(f"lines[{n}].line_no", f"return {rma.number} has no order line {item.line_no}")
        decisions[line.id] = item
    missing = [no for no, line in line_by_no.items() if any(r.order_line_id == line.id for r in rma.lines)
               and line.id not in decisions]
    if missing:
        raise invalid("lines", f"give a disposition for every returned line (missing line(s) {missing})")
    before = snapshot(rma)
    lines_by_id = {line.id: line for line in order.lines}
    costs = dict(session.execute(select(Product.id, Product.standard_cost).where(
        Product.id.in_([lines_by_id[r.order_line_id].product_id for r in rma.lines]))).all())
    changes = []
    for rline in rma.lines:
        decision = decisions[rline.order_line_id]
        rline.disposition, rline.condition = decision.disposition, decision.condition
        product_id = lines_by_id[rline.order_line_id].product_id
        if decision.disposition == "restock":
            rline.restocked_qty = rline.quantity
            inventory.receive(session, actor, product_id=product_id, location_id=rma.location_id,
                              quantity=rline.quantity, unit_cost=Decimal(costs.get(product_id) or 0),
                              reference=rma.number, movement_type="return", reason=rma.reason)
        else:
            rline.scrapped_qty = rline.quantity
        changes.append({"b_id": rline.order_line_id, "b_return": rline.quantity})
    stock.move_line_quantities(session, changes)
    rma.status, rma.closed_at = "closed", utcnow()
    audit.record_update(session, actor, rma, before, action="inspect")
    restocked = sum((r.restocked_qty for r in rma.lines), ZERO)
    scrapped = sum((r.scrapped_qty for r in rma.lines), ZERO)
    stock.add_events(session, actor, [(rma.order_id, "return_closed", f"return {rma.number} inspected: "
                                       f"{restocked} restocked, {scrapped} scrapped", None)])
    return get_return(session, actor, rma.id)
