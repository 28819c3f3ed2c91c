"""One order, booked lean: the single-order intake path (REST API, partner portal, web form).

The batch path (``service.create_orders``) is set work over thousands of orders; a single order is
dominated by round trips instead, so it gets its own shape with the same rules (``intake.prepare``
validates, the engine plans, inventory reserves under row locks, the audit row and the timeline events
are written in the same transaction):

1. reference data and validation, the credit check (``intake``);
2. the order row goes in with ``ON CONFLICT (channel, external order id) DO NOTHING``: a duplicate — booked
   before, or by a concurrent twin that commits first (PostgreSQL makes the insert wait for it) — books
   nothing and the order already booked is returned. No savepoint, no separate duplicate query. The
   order row is written before any stock row is locked, the same order of locks as the batch path;
3. the balance rows of every candidate (product, ship-from site) are locked in primary-key order and the
   engine plans from those exact quantities, so the plan is what gets reserved (no separate unlocked
   availability read) and concurrent orders can never take the same unit twice;
4. the reservations (inventory), the lines with the order's final status, then the allocations with the
   audit row and the timeline events: on PostgreSQL one statement each (data-modifying ``WITH``), and
   the answer is built from what was written (nothing is read back).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize
from qudao.common.actor import Actor
from qudao.db import is_postgres, utcnow
from qudao.engines import allocation as engine
from qudao.inventory import service as inventory
from qudao.orders import stock, writes
from qudao.orders.intake import audit_after, load_reference_data, open_credit, prepare, reject
from qudao.orders.models import Allocation, OrderStatus, SalesOrder, SalesOrderLine
from qudao.orders.schemas import OrderCreate, OrderOut

ZERO = Decimal(0)
Q4 = Decimal("0.0001")  # the stored scale of quantities and money: the answer shows what a re-read would
ORDERS = SalesOrder.__table__
# Built once (the hot path only binds values).
_INSERT_ORDER = {
    name: dialect.insert(ORDERS).on_conflict_do_nothing(index_elements=["channel_id", "external_order_id"])
    .returning(ORDERS.c.id) for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}
_FIND = select(ORDERS.c.id).where(ORDERS.c.channel_id == bindparam("channel_id"),
                                  ORDERS.c.external_order_id == bindparam("external_order_id"))
LINES = SalesOrderLine.__table__
_SET_STATUS = update(ORDERS).where(ORDERS.c.id == bindparam("status_order_id")).values(status=bindparam("new_status"))


def book_order(session: Session, actor: Actor, data: OrderCreate, *, source: str = "api") -> tuple[OrderOut, bool]:
    """Book one order, or find the one already booked for its channel and external id (``duplicate``)."""
    authorize(actor, "orders:write")
    ref = load_reference_data(session, actor, [data])
    order, lines = prepare(ref, 0, data, ref.errors)
    if ref.errors:
        reject(ref.errors)
    partner_id = order["partner_id"]
    limit = ref.partner_limit.get(partner_id, ZERO)
    if limit > 0 and open_credit(session, {partner_id}, ref)[partner_id] + order["total_amount"] > limit:
        order.update(status=OrderStatus.on_hold, hold_reason="credit", credit_hold=True)
    now = utcnow()
    order.update(source=source, placed_by_user_id=actor.user_id, created_at=now, updated_at=now,
                 status_changed_at=now)
    order_id = session.execute(_INSERT_ORDER[session.get_bind().dialect.name], order).scalar()
    if order_id is None:  # booked before (or just now by a concurrent twin): nothing new is written
        from qudao.orders.service import get_order

        existing = session.execute(_FIND, {"channel_id": order["channel_id"],
                                           "external_order_id": order["external_order_id"]}).scalar_one()
        out = OrderOut.model_validate(get_order(session, actor, existing))
        out.duplicate = True
        return out, True

    picks = [] if order["credit_hold"] else _reserve(session, actor, ref, order, order_id, lines)
    allocated: dict[int, Decimal] = {}
    for p in picks:
        allocated[p.line_id] = allocated.get(p.line_id, ZERO) + p.quantity
    for n, line in enumerate(lines):
        line.update(order_id=order_id, allocated_qty=allocated.get(n, ZERO))
        line["backorder_qty"] = line["quantity"] - line["allocated_qty"]
    status = order["status"]
    if not order["credit_hold"]:
        wanted = sum((ln["quantity"] for ln in lines), ZERO)
        got = sum(allocated.values(), ZERO)
        status = stock.derive_status(wanted, ZERO, got, wanted - got)
    line_ids = _insert_lines(session, order_id, lines, status if status != order["status"] else None)
    order["status"] = status
    allocations = [dict(order_line_id=line_ids[p.line_id], order_id=order_id, product_id=p.product_id,
                        location_id=p.location_id, quantity=p.quantity, shipped_qty=ZERO, created_at=now,
                        updated_at=now) for p in picks]
    events = [(order_id, "created", f"order received via {source} ({len(lines)} line(s))",
               {"external_order_id": order["external_order_id"]})]
    if order["credit_hold"]:
        events.append((order_id, "on_hold", "on credit hold: open orders plus this one exceed the credit limit",
                       {"reason": "credit"}))
    if allocations:
        events.append(stock.allocation_event(order_id, "allocated", [
            {"line_id": a["order_line_id"], "location_id": a["location_id"], "quantity": str(a["quantity"])}
            for a in allocations]))
    writes.insert_together(session, [
        (Allocation.__table__, allocations),
        (stock.AUDIT, stock.audit_rows(actor, "create", [(order_id, None, audit_after(order, lines))])),
        (stock.EVENTS, stock.event_rows(actor, events))])
    return _answer(order_id, order, lines, line_ids, allocations), False


def _insert_lines(session: Session, order_id: int, lines: list[dict[str, Any]], new_status: str | None) -> list[int]:
    """Insert the lines (ids returned in line order); with ``new_status`` also set the order's status, in the
    same statement on PostgreSQL."""
    if not is_postgres(session):
        if new_status is not None:
            session.execute(_SET_STATUS, {"status_order_id": order_id, "new_status": new_status})
        return writes.bulk_insert(session, LINES, lines, with_ids=True)

    def build() -> Any:
        stmt = insert(LINES).values(writes.values_bound(LINES, 0, len(lines), list(lines[0]))).returning(
            LINES.c.id, LINES.c.line_no)
        return stmt.add_cte(_SET_STATUS.cte("status_set")) if new_status is not None else stmt

    params = writes.values_params(LINES, 0, lines)
    if new_status is not None:
        params.update(status_order_id=order_id, new_status=new_status, updated_at=utcnow())
    shape = ("lines", len(lines), tuple(lines[0]), new_status is not None)
    ids = {line_no: line_id for line_id, line_no in writes.execute_compiled(session, shape, build, params)}
    return [ids[line["line_no"]] for line in lines]


def _reserve(session: Session, actor: Actor, ref: Any, order: dict[str, Any], order_id: int,
             lines: list[dict[str, Any]]) -> list[engine.AllocationPick]:
    """Lock the candidate balances, plan from them and reserve the plan; picks carry the line's index.
    A line's picks at one location are merged (one allocation row per line and location)."""
    sites = ref.sites or []
    if not sites:
        return []
    default_rule, per_channel = ref.policies or stock.load_policies(session)
    keys = sorted({(line["product_id"], site.location_id) for line in lines for site in sites})
    locked = inventory.lock_available(session, actor, keys)
    available = {key: max(balance.available, ZERO) for key, balance in locked.items()}
    lat, lon = ref.location_coords.get(order["ship_to_location_id"], (None, None))
    rule = per_channel.get(order["channel_id"], default_rule)
    demand = engine.OrderDemand(order_id, [engine.LineDemand(n, order_id, line["product_id"], line["quantity"])
                                           for n, line in enumerate(lines)], lat, lon, order["allow_split"], None, rule)
    plan = engine.plan_allocation([demand], available, sites)
    merged: dict[tuple[int, int], engine.AllocationPick] = {}
    for p in plan.picks:
        prev = merged.get((p.line_id, p.location_id))
        merged[(p.line_id, p.location_id)] = p if prev is None else engine.AllocationPick(
            p.line_id, p.order_id, p.product_id, p.location_id, prev.quantity + p.quantity)
    picks = list(merged.values())
    if not picks:
        return []
    reserved = inventory.reserve_many(session, actor, [
        inventory.ReservationRequest(p.product_id, p.location_id, p.quantity, stock.reference(order_id))
        for p in picks], locked=locked)
    return [engine.AllocationPick(p.line_id, p.order_id, p.product_id, p.location_id, q)
            for p, q in zip(picks, reserved, strict=True) if q > 0]


def _answer(order_id: int, order: dict[str, Any], lines: list[dict[str, Any]], line_ids: list[int],
            allocations: list[dict[str, Any]]) -> OrderOut:
    """The booked order as ``GET /orders/{id}`` would show it, from the values just written."""
    by_line: dict[int, list[dict[str, Any]]] = {}
    for a in allocations:
        by_line.setdefault(a["order_line_id"], []).append(
            {"location_id": a["location_id"], "quantity": a["quantity"].quantize(Q4), "shipped_qty": ZERO.quantize(Q4)})
    return OrderOut.model_validate({
        **order, "id": order_id, "number": stock.reference(order_id),
        "total_amount": order["total_amount"].quantize(Q4),
        "lines": [{**line, "id": line_id, "allocations": by_line.get(line_id, []),
                   **{k: line[k].quantize(Q4) for k in ("quantity", "unit_price", "allocated_qty", "shipped_qty",
                                                         "backorder_qty", "cancelled_qty", "returned_qty")}}
                  for line, line_id in zip(lines, line_ids, strict=True)]})
