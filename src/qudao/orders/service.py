"""Order intake from every channel, holds, cancellation, reallocation, price lists and priority rules.

Intake is set work: one query per kind of reference data for the whole batch, validation that names
the order (``row``) and field, a credit check, bulk inserts, then one allocation pass (ranked by the
priority rules) that reserves through ``inventory.reserve_many``. A single order is a batch of one.

Duplicates: an order whose (channel, external_order_id) was booked before is not booked again; the
existing order is returned with ``duplicate = true`` (HTTP 200 instead of 201).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, can, require_staff
from qudao.common.actor import Actor
from qudao.common.records import snapshot
from qudao.db import utcnow
from qudao.engines import allocation as engine
from qudao.errors import Conflict, FieldError, NotFound, invalid
from qudao.locations.models import Location
from qudao.orders import booking, stock
from qudao.orders.intake import (
    Reference,
    audit_after,
    existing_by_external,
    load_reference_data,
    open_credit,
    prepare,
    reject,
)
from qudao.orders.models import (
    Allocation,
    OrderStatus,
    SalesOrder,
    SalesOrderLine,
)
from qudao.orders.schemas import OrderCreate, ReallocateIn

ZERO = Decimal(0)


@dataclass
class IntakeResult:
    order_ids: list[int]  # per input order, in input order
    duplicate: list[bool]
    statuses: list[str]
    lines: int = 0
    allocated_lines: int = 0
    allocated_quantity: Decimal = ZERO
    backordered_quantity: Decimal = ZERO
    on_hold: int = 0
    created: int = 0
    errors: list[FieldError] = field(default_factory=list)


# ---- reading ------------------------------------------------------------------------------------


def visible(actor: Actor) -> Any:
    """A partner user sees the orders it placed and the orders that ship to one of its locations."""
    if not actor.is_partner:
        return None
    own_locations = select(Location.id).where(Location.owner_partner_id == actor.partner_id)
    return or_(SalesOrder.partner_id == actor.partner_id, SalesOrder.ship_to_location_id.in_(own_locations))


def get_order(session: Session, actor: Actor, order_id: int) -> SalesOrder:
    authorize(actor, "orders:read")
    stmt = select(SalesOrder).where(SalesOrder.id == order_id)
    scope = visible(actor)
    if scope is not None:
        stmt = stmt.where(scope)
    # One round trip for the order, its lines and their allocations.
    stmt = stmt.options(joinedload(SalesOrder.lines).joinedload(SalesOrderLine.allocations))
    order = session.scalars(stmt.execution_options(populate_existing=True)).unique().one_or_none()
    if order is None:
        raise NotFound(detail=f"order {order_id} not found")
    return order


# ---- intake -------------------------------------------------------------------------------------


def create_order(session: Session, actor: Actor, data: OrderCreate, *, source: str = "api") -> tuple[SalesOrder, bool]:
    """Book one order (or find the one already booked for its channel and external id) and return it as
    a model (the API answers with ``booking.book_order``'s result directly, without this read back)."""
    booked, duplicate = booking.book_order(session, actor, data, source=source)
    return get_order(session, actor, booked.id), duplicate


def create_orders(session: Session, actor: Actor, orders: Sequence[OrderCreate], *,
                  source: str = "batch") -> IntakeResult:
    """Validate and book many orders in one transaction, then allocate them in priority order.

    Any invalid order rejects the whole batch with every problem listed (``row`` = order index).
    Orders over their customer's credit limit are booked on hold (reason ``credit``) without stock.
    """
    authorize(actor, "orders:write")
    ref = load_reference_data(session, actor, orders)
    errors = ref.errors
    existing = existing_by_external(session, orders, {code: v[0] for code, v in ref.channel.items()})
    now = utcnow()
    prepared: list[dict[str, Any]] = []
    line_rows: list[list[dict[str, Any]]] = []
    for index, data in enumerate(orders):
        row_errors: list[FieldError] = []
        order_row, lines = prepare(ref, index, data, row_errors)
        errors.extend(row_errors)
        prepared.append(order_row)
        line_rows.append(lines)
    if errors:
        reject(errors)

    result = IntakeResult(order_ids=[0] * len(orders), duplicate=[False] * len(orders), statuses=[""] * len(orders))
    seen: dict[tuple[int, str], int] = {}
    new_indexes: list[int] = []
    for index, row in enumerate(prepared):
        key = (row["channel_id"], row["external_order_id"])
        if key in existing:
            result.order_ids[index], result.duplicate[index] = existing[key], True
        elif key in seen:
            result.duplicate[index] = True
            seen_index = seen[key]
            result.order_ids[index] = -seen_index - 1  # resolved after insert
        else:
            seen[key] = index
            new_indexes.append(index)

    credit_open = open_credit(session, {prepared[i]["partner_id"] for i in new_indexes}, ref)
    for index in new_indexes:
        row = prepared[index]
        limit = ref.partner_limit.get(row["partner_id"], ZERO)
        if limit > 0:
            if credit_open[row["partner_id"]] + row["total_amount"] > limit:
                row.update(status=OrderStatus.on_hold, hold_reason="credit", credit_hold=True)
            else:
                credit_open[row["partner_id"]] += row["total_amount"]
        row.update(source=source, placed_by_user_id=actor.user_id, created_at=now, updated_at=now,
                   status_changed_at=now)

    if new_indexes:
        _book_and_allocate(session, actor, ref, result, new_indexes, prepared, line_rows, source, now)
    statuses: dict[int, str] = {}
    missing = sorted({oid for oid in result.order_ids if oid > 0 and oid not in ref.new_status})
    for chunk in stock._chunks(missing):  # duplicates of orders booked earlier
        statuses.update(session.execute(select(SalesOrder.id, SalesOrder.status).where(
            SalesOrder.id.in_(chunk))).all())
    statuses.update(ref.new_status)
    for index, order_id in enumerate(result.order_ids):
        if order_id < 0:
            result.order_ids[index] = result.order_ids[-order_id - 1]
    result.statuses = [statuses.get(oid, "") for oid in result.order_ids]
    return result


def _book_and_allocate(session: Session, actor: Actor, ref: Reference, result: IntakeResult,
                       new_indexes: list[int], prepared: list[dict[str, Any]], line_rows: list[list[dict[str, Any]]],
                       source: str, now: Any) -> None:
    """Insert the new orders, allocate them in priority order from what is in memory, then insert the
    lines with their final allocated/backordered quantities and the allocations, events and audit rows
    in bulk (no row-by-row updates afterwards)."""
    inserted = stock.bulk_insert(session, SalesOrder.__table__, [prepared[i] for i in new_indexes], with_ids=True)
    all_lines: list[dict[str, Any]] = []
    for index, order_id in zip(new_indexes, inserted, strict=True):
        result.order_ids[index] = order_id
        ref.new_status[order_id] = prepared[index]["status"]
        for line in line_rows[index]:
            line["order_id"] = order_id
            all_lines.append(line)
    result.lines, result.created = len(all_lines), len(new_indexes)
    held = [i for i in new_indexes if prepared[i].get("credit_hold")]
    result.on_hold = len(held)
    to_allocate = [i for i in new_indexes if not prepared[i].get("credit_hold")]
    picks: list[engine.AllocationPick] = []
    if to_allocate:
        # Lines are keyed by their position in ``all_lines`` until they have ids.
        position = {id(line): n for n, line in enumerate(all_lines)}
        rules, (default_rule, per_channel) = stock.load_config(session)
        facts = [engine.OrderFacts(result.order_ids[i], now, ref.partner_tier.get(prepared[i]["partner_id"], "B"),
                                   prepared[i]["channel_id"], prepared[i]["promised_date"], prepared[i]["rush"])
                 for i in to_allocate]
        by_order = {result.order_ids[i]: i for i in to_allocate}
        demands = []
        for order_id in engine.rank_orders(facts, rules, now):
            i = by_order[order_id]
            lat, lon = ref.location_coords.get(prepared[i]["ship_to_location_id"], (None, None))
            demands.append(engine.OrderDemand(
                order_id, [engine.LineDemand(position[id(ln)], order_id, ln["product_id"], ln["quantity"])
                           for ln in line_rows[i]],
                lat, lon, prepared[i]["allow_split"], None, per_channel.get(prepared[i]["channel_id"], default_rule)))
        picks = stock.reserve_plan(session, actor, demands, sites=ref.sites)
    allocated: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for p in picks:
        allocated[p.line_id] += p.quantity
    for n, line in enumerate(all_lines):
        line["allocated_qty"] = allocated.get(n, ZERO)
        line["backorder_qty"] = line["quantity"] - line["allocated_qty"]
    line_ids = stock.bulk_insert(session, SalesOrderLine.__table__, all_lines, with_ids=True)
    for line, line_id in zip(all_lines, line_ids, strict=True):
        line["id"] = line_id
    result.allocated_lines = len(allocated)
    result.allocated_quantity = sum(allocated.values(), ZERO)
    merged: dict[tuple[int, int], engine.AllocationPick] = {}
    for p in picks:
        key = (p.line_id, p.location_id)
        prev = merged.get(key)
        merged[key] = p if prev is None else engine.AllocationPick(
            p.line_id, p.order_id, p.product_id, p.location_id, prev.quantity + p.quantity)
    stock.bulk_insert(session, Allocation.__table__, [
        dict(order_line_id=line_ids[p.line_id], order_id=p.order_id, product_id=p.product_id,
             location_id=p.location_id, quantity=p.quantity, shipped_qty=ZERO, created_at=now, updated_at=now)
        for p in merged.values()])
    # Statuses: one UPDATE per status reached (allocated / partially allocated), not one per order.
    by_status: dict[str, list[int]] = defaultdict(list)
    for i in to_allocate:
        order_id = result.order_ids[i]
        wanted = sum((ln["quantity"] for ln in line_rows[i]), ZERO)
        got = sum((ln["allocated_qty"] for ln in line_rows[i]), ZERO)
        status = stock.derive_status(wanted, ZERO, got, wanted - got)
        if status != prepared[i]["status"]:
            ref.new_status[order_id] = status
            by_status[status].append(order_id)
    for status, ids in by_status.items():
        for chunk in stock._chunks(ids):
            session.execute(update(SalesOrder.__table__).where(SalesOrder.__table__.c.id.in_(chunk))
                            .values(status=status))
    stock.add_audit(session, actor, "create", [
        (result.order_ids[i], None, audit_after(prepared[i] | {"status": ref.new_status[result.order_ids[i]]},
                                                 line_rows[i])) for i in new_indexes])
    events: list[tuple[int, str, str, dict[str, Any] | None]] = [
        (result.order_ids[i], "created", f"order received via {source} ({len(line_rows[i])} line(s))",
         {"external_order_id": prepared[i]["external_order_id"]}) for i in new_indexes]
    events += [(result.order_ids[i], "on_hold", "on credit hold: open orders plus this one exceed the credit limit",
                {"reason": "credit"}) for i in held]
    per_order: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for p in merged.values():
        per_order[p.order_id].append({"line_id": line_ids[p.line_id], "location_id": p.location_id,
                                      "quantity": str(p.quantity)})
    events += [stock.allocation_event(oid, "allocated", allocs) for oid, allocs in per_order.items()]
    stock.add_events(session, actor, events)
    total_new = sum((line["quantity"] for line in all_lines), ZERO)
    held_qty = sum((line["quantity"] for i in held for line in line_rows[i]), ZERO)
    result.backordered_quantity = total_new - held_qty - result.allocated_quantity


def release_hold(session: Session, actor: Actor, order_id: int, *, note: str = "") -> SalesOrder:
    """Staff lift a hold (e.g. credit approved): the order is allocated now."""
    authorize(actor, "orders:write")
    require_staff(actor, "release order holds")
    order = get_order(session, actor, order_id)
    if order.status != OrderStatus.on_hold:
        raise Conflict(detail=f"order {order.number} is not on hold (status {order.status})")
    before = snapshot(order)
    order.status, order.hold_reason, order.credit_hold = OrderStatus.backordered, None, False
    order.status_changed_at = utcnow()
    audit.record_update(session, actor, order, before, action="release_hold")
    stock.add_events(session, actor, [(order.id, "hold_released", "hold released" + (f": {note}" if note else ""),
                                       None)])
    stock.allocate(session, actor, stock.order_demands(session, [order.id]))
    stock.refresh_statuses(session, [order.id])
    return get_order(session, actor, order_id)


def set_rush(session: Session, actor: Actor, order_id: int, *, rush: bool) -> SalesOrder:
    """Manual rush: staff move an order to the front of the queue for stock that arrives next."""
    authorize(actor, "orders:write")
    require_staff(actor, "rush orders")
    order = get_order(session, actor, order_id)
    if order.status not in OrderStatus.OPEN:
        raise Conflict(detail=f"order {order.number} is {order.status}; only open orders can be rushed")
    if order.rush == rush:
        return order
    before = snapshot(order)
    order.rush = rush
    audit.record_update(session, actor, order, before, action="rush" if rush else "unrush")
    stock.add_events(session, actor, [(order.id, "rush" if rush else "unrush",
                                       "marked as rush" if rush else "rush flag removed", None)], public=False)
    return order


def cancel_order(session: Session, actor: Actor, order_id: int, *, reason: str = "") -> SalesOrder:
    """Cancel what has not shipped: reservations go back to stock (and on to waiting backorders)."""
    authorize(actor, "orders:write")
    order = get_order(session, actor, order_id)
    if order.status not in OrderStatus.OPEN:
        raise Conflict(detail=f"order {order.number} cannot be cancelled in status {order.status}")
    if any(s.status in ("picking", "picked", "packed") for s in _open_shipments(session, order.id)):
        raise Conflict(detail=f"order {order.number} has a shipment being picked or packed; cancel that first")
    before = snapshot(order)
    shipped_any = any(line.shipped_qty > 0 for line in order.lines)
    # Mark the order first, so the backorder fill triggered by the release never refills it.
    order.status = OrderStatus.shipped if shipped_any else OrderStatus.cancelled
    order.status_changed_at = utcnow()
    order.cancelled_at = utcnow()
    session.flush()
    freed = stock.release_allocations(session, actor, order.id, to_backorder=False)
    stock.move_line_quantities(session, [
        {"b_id": line.id, "b_cancel": line.quantity - line.cancelled_qty - line.shipped_qty,
         "b_back": -line.backorder_qty} for line in order.lines])
    session.expire(order)
    audit.record_update(session, actor, order, before, action="cancel")
    stock.add_events(session, actor, [(order.id, "cancelled", "order cancelled" + (f": {reason}" if reason else "")
                                       + (" (the unshipped rest)" if shipped_any else ""), {"reason": reason})])
    stock.fill_backorders(session, actor, freed)
    return get_order(session, actor, order_id)


def reallocate_order(session: Session, actor: Actor, order_id: int, data: ReallocateIn) -> SalesOrder:
    """A planner re-runs allocation for one order: its unshipped reservations are released and the
    whole open quantity is allocated again (by another rule or from a chosen location); stock the
    order no longer uses goes to waiting backorders."""
    if not can(actor, "orders:write"):
        authorize(actor, "orders:allocate")
    require_staff(actor, "reallocate orders")
    order = get_order(session, actor, order_id)
    if order.status not in (OrderStatus.backordered, OrderStatus.partially_allocated, OrderStatus.allocated,
                            OrderStatus.partially_shipped):
        raise Conflict(detail=f"order {order.number} cannot be reallocated in status {order.status}")
    if _open_shipments(session, order.id):
        raise Conflict(detail=f"order {order.number} has shipments in progress; finish or cancel them first")
    sites = None
    if data.location_code is not None:
        location = session.scalar(select(Location).where(Location.code == data.location_code))
        if location is None or location.archived_at is not None or location.owner_partner_id is not None:
            raise invalid("location_code", f"no active own location {data.location_code!r}")
        sites = stock.load_sites(session, [location.id])
    before_alloc = [(a.location_id, str(a.quantity)) for line in order.lines for a in line.allocations if a.quantity]
    freed = stock.release_allocations(session, actor, order.id, to_backorder=True)
    rule = engine.ShipFromRule(data.ship_from_rule) if data.ship_from_rule else None
    demands = stock.order_demands(session, [order.id], override_rule=rule)
    if sites is not None:
        demands = [engine.OrderDemand(d.order_id, d.lines, d.ship_to_lat, d.ship_to_lon, True, None, d.rule)
                   for d in demands]
    outcome = stock.allocate(session, actor, demands, sites=sites, event_kind="reallocated")
    stock.refresh_statuses(session, [order.id])
    audit.record(session, actor, action="reallocate", entity="sales_orders", entity_id=order.id,
                 before={"allocations": before_alloc},
                 after={"allocations": [(p.location_id, str(p.quantity)) for p in outcome.picks]})
    if not outcome.picks:
        stock.add_events(session, actor, [(order.id, "reallocated", "reallocated: no stock now, all on backorder",
                                           None)])
    stock.fill_backorders(session, actor, freed)
    return get_order(session, actor, order_id)


def _open_shipments(session: Session, order_id: int) -> list[Any]:
    from qudao.orders.models import Shipment

    return list(session.scalars(select(Shipment).where(
        Shipment.order_id == order_id, Shipment.status.in_(("picking", "picked", "packed")))).all())
