"""Purchase and transfer orders: create, confirm, receive (partially, within a tolerance), close, cancel.

Stock effects go through the inventory ledger (``qudao.inventory.service``): confirming a purchase order
puts its quantities on order, receipts add stock at the line's cost, confirming a transfer ships the
stock (it leaves the origin and is in transit to the destination) and receipts at the destination bring
it in at the shipped cost. Status changes are audited.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize
from qudao.catalog.models import Product
from qudao.common import crud
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.db import utcnow
from qudao.errors import Conflict, invalid
from qudao.inventory import service as inventory
from qudao.locations.models import Location
from qudao.partners.models import Partner
from qudao.purchasing.models import OrderStatus, PurchaseOrder, PurchaseOrderLine, Transfer, TransferLine
from qudao.purchasing.schemas import (
    PurchaseOrderCreate,
    ReceiptIn,
    TransferCreate,
    TransferReceiptIn,
)

ZERO = Decimal(0)
HUNDRED = Decimal(100)
OPEN_FOR_RECEIPT = {OrderStatus.confirmed, OrderStatus.partially_received}


def _new_code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


def _status_change(session: Session, actor: Actor, obj: Any, action: str, new_status: str,
                   **details: Any) -> None:
    before = {"status": obj.status}
    obj.status = new_status
    session.flush()
    audit.record(session, actor, action=action, entity=obj.__tablename__, entity_id=obj.id, before=before,
                 after={"status": new_status, **details})


def _products_by_sku(session: Session, skus: list[str], field: str) -> dict[str, int]:
    found = dict(session.execute(select(Product.sku, Product.id).where(Product.sku.in_(set(skus)),
                                                                        Product.archived_at.is_(None))).all())
    for i, sku in enumerate(skus):
        if sku not in found:
            raise invalid(f"lines[{i}].{field}", f"no active product with sku {sku!r}")
    return found


def _line_for(lines: list[Any], line_no: int | None, sku: str | None, index: int) -> Any:
    if line_no is None and sku is None:
        raise invalid(f"lines[{index}]", "give line_no or sku")
    for line in lines:
        if (line_no is None or line.line_no == line_no) and (sku is None or line.sku == sku):
            return line
    raise invalid(f"lines[{index}]", f"no order line with line_no={line_no} sku={sku}")


# ---- purchase orders ---------------------------------------------------------------------------

PO_SORTS = {"id": PurchaseOrder.id, "code": PurchaseOrder.code, "status": PurchaseOrder.status,
            "expected_date": PurchaseOrder.expected_date, "created_at": PurchaseOrder.created_at}


def list_purchase_orders(session: Session, actor: Actor, params: ListParams, *, status: str | None = None,
                         supplier: str | None = None) -> tuple[list[PurchaseOrder], int]:
    authorize(actor, "purchasing:read")
    filters: list[Any] = []
    if status:
        filters.append(PurchaseOrder.status == status)
    if supplier:
        filters.append(PurchaseOrder.supplier_id.in_(select(Partner.id).where(Partner.code == supplier)))
    return paginate(session, select(PurchaseOrder), params, search=(PurchaseOrder.code, PurchaseOrder.note),
                    sortable=PO_SORTS, default_sort="-id", filters=filters)


def get_purchase_order(session: Session, actor: Actor, code: str) -> PurchaseOrder:
    authorize(actor, "purchasing:read")
    return crud.get_by(session, PurchaseOrder, PurchaseOrder.code, code, entity="purchase order")


def create_purchase_order(session: Session, actor: Actor, data: PurchaseOrderCreate) -> PurchaseOrder:
    authorize(actor, "purchasing:write")
    code = data.code or _new_code("PO")
    if session.scalar(select(PurchaseOrder.id).where(PurchaseOrder.code == code)) is not None:
        raise Conflict(detail=f"purchase order {code} already exists")
    supplier_id = crud.resolve_ref(session, Partner, Partner.code, data.supplier_code, field="supplier_code")
    location_id = crud.resolve_ref(session, Location, Location.code, data.location_code, field="location_code")
    products = _products_by_sku(session, [line.sku for line in data.lines], "sku")
    order = PurchaseOrder(code=code, supplier_id=supplier_id, location_id=location_id, currency=data.currency,
                          expected_date=data.expected_date, note=data.note,
                          over_receipt_tolerance_pct=data.over_receipt_tolerance_pct, status=OrderStatus.draft)
    order.lines = [PurchaseOrderLine(line_no=i, product_id=products[line.sku], quantity=line.quantity,
                                     unit_cost=line.unit_cost, received_quantity=ZERO)
                   for i, line in enumerate(data.lines, start=1)]
    session.add(order)
    audit.record_create(session, actor, order)
    return order


def confirm_purchase_order(session: Session, actor: Actor, code: str) -> PurchaseOrder:
    """Send the order: its quantities go on order at the receiving location."""
    authorize(actor, "purchasing:write")
    order = get_purchase_order(session, actor, code)
    if order.status != OrderStatus.draft:
        raise Conflict(detail=f"purchase order {code} is {order.status}; only a draft can be confirmed")
    for line in order.lines:
        inventory.change_on_order(session, actor, product_id=line.product_id, location_id=order.location_id,
                                  delta=line.quantity, reference=order.code)
    order.confirmed_at = utcnow()
    _status_change(session, actor, order, "confirm", OrderStatus.confirmed)
    return order


def receive_purchase_order(session: Session, actor: Actor, code: str, data: ReceiptIn) -> PurchaseOrder:
    """Receive some or all lines. A line may be over-received up to the order's tolerance percentage."""
    authorize(actor, "purchasing:write")
    order = get_purchase_order(session, actor, code)
    if order.status not in OPEN_FOR_RECEIPT:
        raise Conflict(detail=f"purchase order {code} is {order.status}; it cannot be received")
    received: list[dict[str, str]] = []
    for i, item in enumerate(data.lines):
        line = _line_for(order.lines, item.line_no, item.sku, i)
        limit = line.quantity * (HUNDRED + order.over_receipt_tolerance_pct) / HUNDRED
        if line.received_quantity + item.quantity > limit:
            raise invalid(f"lines[{i}].quantity",
                          f"line {line.line_no} ({line.sku}) would receive {line.received_quantity + item.quantity} "
                          f"of {line.quantity} ordered; tolerance allows at most {format(limit.normalize(), 'f')}")
        inventory.receive(session, actor, product_id=line.product_id, location_id=order.location_id,
                          quantity=item.quantity, unit_cost=line.unit_cost, reference=order.code, lot=item.lot,
                          expiry=item.expiry, on_order_delta=-min(item.quantity, line.outstanding))
        line.received_quantity += item.quantity
        received.append({"line_no": str(line.line_no), "quantity": str(item.quantity)})
    done = all(line.received_quantity >= line.quantity for line in order.lines)
    _status_change(session, actor, order, "receive",
                   OrderStatus.received if done else OrderStatus.partially_received, received=received)
    return order


def close_purchase_order(session: Session, actor: Actor, code: str, reason: str = "") -> PurchaseOrder:
    """Close the order: nothing more is expected, so whatever is still outstanding leaves 'on order'."""
    authorize(actor, "purchasing:write")
    order = get_purchase_order(session, actor, code)
    if order.status not in {*OPEN_FOR_RECEIPT, OrderStatus.received}:
        raise Conflict(detail=f"purchase order {code} is {order.status}; it cannot be closed")
    _drop_on_order(session, actor, order, reason or "closed")
    order.closed_at = utcnow()
    _status_change(session, actor, order, "close", OrderStatus.closed, reason=reason)
    return order


def cancel_purchase_order(session: Session, actor: Actor, code: str, reason: str = "") -> PurchaseOrder:
    authorize(actor, "purchasing:write")
    order = get_purchase_order(session, actor, code)
    if order.status not in {OrderStatus.draft, OrderStatus.confirmed}:
        raise Conflict(detail=f"purchase order {code} is {order.status}; only an order with no receipts "
                       "can be cancelled (close it instead)")
    if order.status == OrderStatus.confirmed:
        _drop_on_order(session, actor, order, reason or "cancelled")
    order.closed_at = utcnow()
    _status_change(session, actor, order, "cancel", OrderStatus.cancelled, reason=reason)
    return order


def _drop_on_order(session: Session, actor: Actor, order: PurchaseOrder, reason: str) -> None:
    for line in order.lines:
        if line.outstanding > 0:
            inventory.change_on_order(session, actor, product_id=line.product_id, location_id=order.location_id,
                                      delta=-line.outstanding, reference=order.code, reason=reason)


# ---- transfers ---------------------------------------------------------------------------------

TRANSFER_SORTS = {"id": Transfer.id, "code": Transfer.code, "status": Transfer.status,
                  "expected_date": Transfer.expected_date, "created_at": Transfer.created_at}


def list_transfers(session: Session, actor: Actor, params: ListParams, *,
                   status: str | None = None) -> tuple[list[Transfer], int]:
    authorize(actor, "purchasing:read")
    filters = [Transfer.status == status] if status else []
    return paginate(session, select(Transfer), params, search=(Transfer.code, Transfer.note),
                    sortable=TRANSFER_SORTS, default_sort="-id", filters=filters)


def get_transfer(session: Session, actor: Actor, code: str) -> Transfer:
    authorize(actor, "purchasing:read")
    return crud.get_by(session, Transfer, Transfer.code, code, entity="transfer")


def create_transfer(session: Session, actor: Actor, data: TransferCreate) -> Transfer:
    authorize(actor, "purchasing:write")
    code = data.code or _new_code("TR")
    if session.scalar(select(Transfer.id).where(Transfer.code == code)) is not None:
        raise Conflict(detail=f"transfer {code} already exists")
    origin = crud.resolve_ref(session, Location, Location.code, data.from_location_code, field="from_location_code")
    destination = crud.resolve_ref(session, Location, Location.code, data.to_location_code,
                                   field="to_location_code")
    if origin == destination:
        raise invalid("to_location_code", "must differ from from_location_code")
    products = _products_by_sku(session, [line.sku for line in data.lines], "sku")
    transfer = Transfer(code=code, from_location_id=origin, to_location_id=destination,
                        expected_date=data.expected_date, note=data.note, status=OrderStatus.draft)
    transfer.lines = [TransferLine(line_no=i, product_id=products[line.sku], quantity=line.quantity,
                                   shipped_quantity=ZERO, received_quantity=ZERO, unit_cost=ZERO, lots=[])
                      for i, line in enumerate(data.lines, start=1)]
    session.add(transfer)
    audit.record_create(session, actor, transfer)
    return transfer


def confirm_transfer(session: Session, actor: Actor, code: str) -> Transfer:
    """Ship the transfer: stock leaves the origin (first-expiry-first-out) and is in transit."""
    authorize(actor, "purchasing:write")
    transfer = get_transfer(session, actor, code)
    if transfer.status != OrderStatus.draft:
        raise Conflict(detail=f"transfer {code} is {transfer.status}; only a draft can be confirmed")
    for line in transfer.lines:
        shipped = inventory.transfer_out(session, actor, product_id=line.product_id,
                                         from_location_id=transfer.from_location_id,
                                         to_location_id=transfer.to_location_id, quantity=line.quantity,
                                         reference=transfer.code)
        line.shipped_quantity = shipped.quantity
        line.unit_cost = (shipped.cost / shipped.quantity).quantize(Decimal("0.0001"))
        line.lots = [{"lot": pick.lot_code, "expiry": pick.expiry.isoformat() if pick.expiry else None,
                      "quantity": str(pick.quantity), "received": "0"} for pick in shipped.lots]
    transfer.shipped_at = utcnow()
    _status_change(session, actor, transfer, "confirm", OrderStatus.confirmed)
    return transfer


def receive_transfer(session: Session, actor: Actor, code: str, data: TransferReceiptIn) -> Transfer:
    authorize(actor, "purchasing:write")
    transfer = get_transfer(session, actor, code)
    if transfer.status not in OPEN_FOR_RECEIPT:
        raise Conflict(detail=f"transfer {code} is {transfer.status}; it cannot be received")
    received: list[dict[str, str]] = []
    for i, item in enumerate(data.lines):
        line = _line_for(transfer.lines, item.line_no, item.sku, i)
        if item.quantity > line.in_transit:
            raise invalid(f"lines[{i}].quantity", f"line {line.line_no} ({line.sku}) has only {line.in_transit} "
                          "in transit")
        need = item.quantity
        lots = [dict(lot) for lot in line.lots]
        for lot in lots:
            left = Decimal(lot["quantity"]) - Decimal(lot["received"])
            take = min(left, need)
            if take <= 0:
                continue
            inventory.transfer_in(session, actor, product_id=line.product_id,
                                  from_location_id=transfer.from_location_id,
                                  to_location_id=transfer.to_location_id, quantity=take, unit_cost=line.unit_cost,
                                  reference=transfer.code, lot=lot["lot"],
                                  expiry=date.fromisoformat(lot["expiry"]) if lot["expiry"] else None)
            lot["received"] = str(Decimal(lot["received"]) + take)
            need -= take
        line.lots = lots
        line.received_quantity += item.quantity
        received.append({"line_no": str(line.line_no), "quantity": str(item.quantity)})
    done = all(line.received_quantity >= line.shipped_quantity for line in transfer.lines)
    _status_change(session, actor, transfer, "receive",
                   OrderStatus.received if done else OrderStatus.partially_received, received=received)
    return transfer


def close_transfer(session: Session, actor: Actor, code: str, reason: str = "") -> Transfer:
    """Close the transfer; anything still in transit is written off as lost on the way."""
    authorize(actor, "purchasing:write")
    transfer = get_transfer(session, actor, code)
    if transfer.status not in {*OPEN_FOR_RECEIPT, OrderStatus.received}:
        raise Conflict(detail=f"transfer {code} is {transfer.status}; it cannot be closed")
    for line in transfer.lines:
        if line.in_transit > 0:
            inventory.write_off_in_transit(session, actor, product_id=line.product_id,
                                           from_location_id=transfer.from_location_id,
                                           to_location_id=transfer.to_location_id, quantity=line.in_transit,
                                           reference=transfer.code, reason=reason or "not received; closed")
    transfer.closed_at = utcnow()
    _status_change(session, actor, transfer, "close", OrderStatus.closed, reason=reason)
    return transfer


def cancel_transfer(session: Session, actor: Actor, code: str, reason: str = "") -> Transfer:
    authorize(actor, "purchasing:write")
    transfer = get_transfer(session, actor, code)
    if transfer.status != OrderStatus.draft:
        raise Conflict(detail=f"transfer {code} is {transfer.status}; only a draft can be cancelled")
    transfer.closed_at = utcnow()
    _status_change(session, actor, transfer, "cancel", OrderStatus.cancelled, reason=reason)
    return transfer
