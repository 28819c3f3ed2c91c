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

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, can, require_staff
from qudao.catalog.models import Product
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.common.records import snapshot
from qudao.db import utcnow
from qudao.engines import allocation as engine
from qudao.errors import Conflict, FieldError, Invalid, NotFound, invalid
from qudao.locations.models import Location
from qudao.orders import stock
from qudao.orders.models import (
    Allocation,
    AllocationPolicy,
    OrderStatus,
    PriceList,
    PriceListItem,
    PriorityRule,
    SalesOrder,
    SalesOrderLine,
)
from qudao.orders.schemas import OrderCreate, PriceListIn, PriorityRuleIn, ReallocateIn
from qudao.partners.models import Partner

ZERO = Decimal(0)
MAX_ERRORS = 200


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
    """Book one order (or find the one already booked for its channel and external id)."""
    try:
        with session.begin_nested():
            result = create_orders(session, actor, [data], source=source)
    except IntegrityError:
        # A concurrent twin with the same (channel, external id) committed first: return it.
        existing = _existing_by_external(session, [data])
        if not existing:
            raise
        return get_order(session, actor, next(iter(existing.values()))), True
    return get_order(session, actor, result.order_ids[0]), result.duplicate[0]


def create_orders(session: Session, actor: Actor, orders: Sequence[OrderCreate], *,
                  source: str = "batch") -> IntakeResult:
    """Validate and book many orders in one transaction, then allocate them in priority order.

    Any invalid order rejects the whole batch with every problem listed (``row`` = order index).
    Orders over their customer's credit limit are booked on hold (reason ``credit``) without stock.
    """
    authorize(actor, "orders:write")
    ref = _load_reference_data(session, actor, orders)
    errors = ref.errors
    existing = _existing_by_external(session, orders, {code: v[0] for code, v in ref.channel.items()})
    now = utcnow()
    prepared: list[dict[str, Any]] = []
    line_rows: list[list[dict[str, Any]]] = []
    for index, data in enumerate(orders):
        row_errors: list[FieldError] = []
        order_row, lines = _prepare(ref, index, data, row_errors)
        errors.extend(row_errors)
        prepared.append(order_row)
        line_rows.append(lines)
    if errors:
        shown = errors[:MAX_ERRORS]
        more = f" (and {len(errors) - MAX_ERRORS} more)" if len(errors) > MAX_ERRORS else ""
        raise Invalid(detail=f"{len(errors)} problem(s) in the order data{more}; nothing was booked", errors=shown)

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

    credit_open = _open_credit(session, {prepared[i]["partner_id"] for i in new_indexes}, ref)
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


def _book_and_allocate(session: Session, actor: Actor, ref: _Reference, result: IntakeResult,
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
        (result.order_ids[i], None, _audit_after(prepared[i] | {"status": ref.new_status[result.order_ids[i]]},
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


@dataclass
class _Reference:
    channel: dict[str, tuple[int, bool]] = field(default_factory=dict)  # code -> (id, archived)
    partner: dict[str, tuple[int, bool, str]] = field(default_factory=dict)  # code -> (id, archived, status)
    partner_limit: dict[int, Decimal] = field(default_factory=dict)
    partner_currency: dict[int, str] = field(default_factory=dict)
    partner_tier: dict[int, str] = field(default_factory=dict)
    location: dict[str, tuple[int, bool]] = field(default_factory=dict)
    location_coords: dict[int, tuple[float | None, float | None]] = field(default_factory=dict)
    location_owner: dict[int, int | None] = field(default_factory=dict)
    new_status: dict[int, str] = field(default_factory=dict)
    product: dict[str, Any] = field(default_factory=dict)  # sku -> row
    prices: dict[tuple[int, int], tuple[Decimal, Decimal, Decimal]] = field(default_factory=dict)
    priced_channels: set[int] = field(default_factory=set)
    sites: list[engine.Site] | None = None  # ship-from candidates (own active locations)
    actor: Actor | None = None
    errors: list[FieldError] = field(default_factory=list)


def _expanding(name: str) -> Any:
    return bindparam(name, expanding=True)


# Built once: the hot intake path only binds values (no statement construction per order).
# Channels with their active price lists (one row per list; none: price_list_id NULL) in one round trip.
_CHANNELS = select(Channel.id, Channel.code, Channel.archived_at, PriceList.id.label("price_list_id")).outerjoin(
    PriceList, and_(PriceList.channel_id == Channel.id, PriceList.active.is_(True))).where(
    Channel.code.in_(_expanding("codes")))
_PARTNER_COLUMNS = (Partner.id, Partner.code, Partner.archived_at, Partner.status, Partner.credit_limit,
                    Partner.currency, Partner.tier)
_PARTNERS = select(*_PARTNER_COLUMNS).where(Partner.code.in_(_expanding("codes")))
_PARTNER_BY_ID = select(*_PARTNER_COLUMNS).where(Partner.id == bindparam("partner_id"))
_LOCATION_COLUMNS = (Location.id, Location.code, Location.archived_at, Location.latitude, Location.longitude,
                     Location.owner_partner_id, Location.priority)
_LOCATIONS = select(*_LOCATION_COLUMNS).where(Location.code.in_(_expanding("codes")))
# The ship-to locations plus the ship-from sites (own active locations) in the same round trip.
_LOCATIONS_AND_SITES = select(*_LOCATION_COLUMNS).where(or_(
    Location.code.in_(_expanding("codes")), and_(Location.owner_partner_id.is_(None), Location.archived_at.is_(None))))
_PRODUCTS = select(Product.id, Product.sku, Product.lifecycle, Product.archived_at, Product.allows_fractional,
                   Product.list_price).where(Product.sku.in_(_expanding("skus")))
_PRICE_ITEMS = select(PriceListItem.price_list_id, PriceListItem.product_id, PriceListItem.price,
                      PriceListItem.min_price, PriceListItem.max_price).where(
    PriceListItem.price_list_id.in_(_expanding("lists")), PriceListItem.product_id.in_(_expanding("products"))
).order_by(PriceListItem.price_list_id)
_EXISTING = select(SalesOrder.id, SalesOrder.external_order_id).where(
    SalesOrder.channel_id == bindparam("channel_id"), SalesOrder.external_order_id.in_(_expanding("externals")))


def _load_reference_data(session: Session, actor: Actor, orders: Sequence[OrderCreate]) -> _Reference:
    ref = _Reference(actor=actor)
    channel_codes = sorted({o.channel_code for o in orders})
    partner_codes = sorted({o.customer_code for o in orders if o.customer_code})
    location_codes = sorted({o.ship_to_code for o in orders})
    skus = sorted({line.sku for o in orders for line in o.lines})
    lists: dict[int, int] = {}  # active price list id -> channel id
    for r in session.execute(_CHANNELS, {"codes": channel_codes}):
        ref.channel[r.code] = (r.id, r.archived_at is not None)
        if r.price_list_id is not None:
            lists[r.price_list_id] = r.id
    partner_rows = []
    for chunk in stock._chunks(partner_codes):
        partner_rows += session.execute(_PARTNERS, {"codes": list(chunk)}).all()
    if actor.is_partner:
        partner_rows += session.execute(_PARTNER_BY_ID, {"partner_id": actor.partner_id}).all()
    for r in partner_rows:
        ref.partner[r.code] = (r.id, r.archived_at is not None, r.status)
        ref.partner_limit[r.id] = Decimal(r.credit_limit or 0)
        ref.partner_currency[r.id] = r.currency
        ref.partner_tier[r.id] = r.tier
    wanted_codes = set(location_codes)
    sites: dict[int, engine.Site] = {}
    for n, chunk in enumerate(stock._chunks(location_codes)):
        for r in session.execute(_LOCATIONS if n else _LOCATIONS_AND_SITES, {"codes": list(chunk)}):
            if r.owner_partner_id is None and r.archived_at is None:
                sites[r.id] = engine.Site(r.id, r.priority, r.latitude, r.longitude)
            if r.code not in wanted_codes:
                continue
            ref.location[r.code] = (r.id, r.archived_at is not None)
            ref.location_coords[r.id] = (r.latitude, r.longitude)
            ref.location_owner[r.id] = r.owner_partner_id
    ref.sites = list(sites.values()) if location_codes else None
    for chunk in stock._chunks(skus):
        for r in session.execute(_PRODUCTS, {"skus": list(chunk)}):
            ref.product[r.sku] = r
    ref.priced_channels = set(lists.values())
    if lists:
        product_ids = [r.id for r in ref.product.values()]
        for chunk in stock._chunks(product_ids):
            for r in session.execute(_PRICE_ITEMS, {"lists": list(lists), "products": list(chunk)}):
                ref.prices[(lists[r.price_list_id], r.product_id)] = (
                    Decimal(r.price), Decimal(r.min_price), Decimal(r.max_price))
    return ref


def _prepare(ref: _Reference, index: int, data: OrderCreate, errors: list[FieldError]) -> tuple[
        dict[str, Any], list[dict[str, Any]]]:
    actor = ref.actor
    assert actor is not None

    def err(name: str, reason: str) -> None:
        errors.append(FieldError(name, reason, row=index))

    channel = ref.channel.get(data.channel_code)
    if channel is None:
        err("channel_code", f"unknown channel {data.channel_code!r}")
    elif channel[1]:
        err("channel_code", f"channel {data.channel_code!r} is archived")
    partner_id = None
    if actor.is_partner:
        own = next((v for v in ref.partner.values() if v[0] == actor.partner_id), None)
        if data.customer_code is not None and (own is None or ref.partner.get(data.customer_code) != own):
            err("customer_code", "a partner user places orders for its own organisation only")
        partner_id = actor.partner_id
    elif data.customer_code is None:
        err("customer_code", "required")
    else:
        partner = ref.partner.get(data.customer_code)
        if partner is None:
            err("customer_code", f"unknown customer {data.customer_code!r}")
        elif partner[1] or partner[2] == "inactive":
            err("customer_code", f"customer {data.customer_code!r} is archived or inactive")
        else:
            partner_id = partner[0]
    location = ref.location.get(data.ship_to_code)
    if location is None:
        err("ship_to_code", f"unknown ship-to location {data.ship_to_code!r}")
    elif location[1]:
        err("ship_to_code", f"ship-to location {data.ship_to_code!r} is archived")
    elif actor.is_partner and ref.location_owner.get(location[0]) != actor.partner_id:
        err("ship_to_code", "a partner user ships to its own organisation's locations only")
    channel_id = channel[0] if channel else None
    lines: list[dict[str, Any]] = []
    total = ZERO
    for n, line in enumerate(data.lines):
        where = f"lines[{n}]"
        product = ref.product.get(line.sku)
        if product is None:
            err(f"{where}.sku", f"unknown SKU {line.sku!r}")
            continue
        if product.archived_at is not None or product.lifecycle == "discontinued":
            err(f"{where}.sku", f"SKU {line.sku!r} is discontinued")
            continue
        quantity = line.quantity
        if not quantity.is_finite() or quantity <= 0:
            err(f"{where}.quantity", "must be greater than 0")
            continue
        if not product.allows_fractional and quantity != quantity.to_integral_value():
            err(f"{where}.quantity", f"SKU {line.sku!r} is sold in whole units only")
            continue
        price = line.unit_price
        if channel_id is not None and channel_id in ref.priced_channels:
            band = ref.prices.get((channel_id, product.id))
            if band is None:
                err(f"{where}.sku", f"SKU {line.sku!r} is not on the channel's price list")
                continue
            if price is None:
                price = band[0]
            elif not band[1] <= price <= band[2]:
                err(f"{where}.unit_price", f"{price} is outside the channel's price range {band[1]}..{band[2]}")
                continue
        elif price is None:
            price = Decimal(product.list_price)
        total += quantity * price
        lines.append(dict(line_no=n + 1, product_id=product.id, quantity=quantity, unit_price=price,
                          allocated_qty=ZERO, shipped_qty=ZERO, backorder_qty=quantity, cancelled_qty=ZERO,
                          returned_qty=ZERO))
    order = dict(channel_id=channel_id, external_order_id=data.external_order_id, partner_id=partner_id,
                 ship_to_location_id=location[0] if location else None, status=OrderStatus.backordered,
                 hold_reason=None, credit_hold=False, rush=data.rush, promised_date=data.promised_date,
                 allow_split=data.allow_split, currency=ref.partner_currency.get(partner_id or 0, "CNY"),
                 total_amount=total, notes=data.notes)
    return order, lines


def _existing_by_external(session: Session, orders: Sequence[OrderCreate],
                          channel_ids: dict[str, int] | None = None) -> dict[tuple[int, str], int]:
    if channel_ids is None:
        codes = sorted({o.channel_code for o in orders})
        channel_ids = dict(session.execute(select(Channel.code, Channel.id).where(Channel.code.in_(codes))).all())
    wanted: dict[int, set[str]] = defaultdict(set)
    for o in orders:
        if o.channel_code in channel_ids:
            wanted[channel_ids[o.channel_code]].add(o.external_order_id)
    found: dict[tuple[int, str], int] = {}
    for channel_id, externals in wanted.items():
        for chunk in stock._chunks(sorted(externals)):
            for r in session.execute(_EXISTING, {"channel_id": channel_id, "externals": list(chunk)}):
                found[(channel_id, r.external_order_id)] = r.id
    return found


def _open_credit(session: Session, partner_ids: set[int], ref: _Reference) -> dict[int, Decimal]:
    limited = sorted(p for p in partner_ids if ref.partner_limit.get(p, ZERO) > 0)
    open_value: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for chunk in stock._chunks(limited):
        for partner_id, amount in session.execute(
                select(SalesOrder.partner_id, func.sum(SalesOrder.total_amount)).where(
                    SalesOrder.partner_id.in_(chunk), SalesOrder.credit_hold.is_(False),
                    SalesOrder.status.in_(OrderStatus.OPEN)).group_by(SalesOrder.partner_id)):
            open_value[partner_id] = Decimal(amount or 0)
    return open_value


def _audit_after(order: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("channel_id", "external_order_id", "partner_id", "ship_to_location_id", "status", "hold_reason",
            "rush", "allow_split")
    after = {k: order[k] for k in keys}
    after.update(promised_date=order["promised_date"].isoformat() if order["promised_date"] else None,
                 total_amount=str(order["total_amount"]),
                 lines=[{"product_id": ln["product_id"], "quantity": str(ln["quantity"]),
                         "unit_price": str(ln["unit_price"])} for ln in lines])
    return after


# ---- holds, cancellation, reallocation ----------------------------------------------------------


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


# ---- configuration: price lists, priority rules, allocation policy ------------------------------


def create_price_list(session: Session, actor: Actor, data: PriceListIn) -> PriceList:
    authorize(actor, "orders:write")
    require_staff(actor, "manage price lists")
    if session.scalar(select(PriceList.id).where(PriceList.code == data.code)) is not None:
        raise Conflict(detail=f"price list {data.code} already exists")
    channel = session.scalar(select(Channel).where(Channel.code == data.channel_code, Channel.archived_at.is_(None)))
    if channel is None:
        raise invalid("channel_code", f"no active channel {data.channel_code!r}")
    skus = [i.sku for i in data.items]
    products = dict(session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all())
    errors = [FieldError(f"items[{n}].sku", f"unknown SKU {i.sku!r}") for n, i in enumerate(data.items)
              if i.sku not in products]
    errors += [FieldError(f"items[{n}].price", "must satisfy min_price <= price <= max_price")
               for n, i in enumerate(data.items) if not i.min_price <= i.price <= i.max_price]
    if len(set(skus)) != len(skus):
        errors.append(FieldError("items", "a SKU appears more than once"))
    if errors:
        raise Invalid(detail="; ".join(f"{e.field}: {e.reason}" for e in errors[:5]), errors=errors[:MAX_ERRORS])
    price_list = PriceList(code=data.code, channel_id=channel.id, currency=data.currency, items=[
        PriceListItem(product_id=products[i.sku], price=i.price, min_price=i.min_price, max_price=i.max_price)
        for i in data.items])
    session.add(price_list)
    audit.record_create(session, actor, price_list)
    return price_list


def list_priority_rules(session: Session, actor: Actor) -> list[PriorityRule]:
    authorize(actor, "orders:read")
    return list(session.scalars(select(PriorityRule).order_by(PriorityRule.kind)).all())


def set_priority_rule(session: Session, actor: Actor, data: PriorityRuleIn) -> PriorityRule:
    """Create or replace the rule of one kind (once any rule exists, only configured rules apply)."""
    authorize(actor, "orders:write")
    require_staff(actor, "configure order priority")
    if data.kind == "channel" and data.scores:
        known = set(session.scalars(select(Channel.code).where(Channel.code.in_(list(data.scores)))).all())
        missing = sorted(set(data.scores) - known)
        if missing:
            raise invalid("scores", f"unknown channel code(s): {', '.join(missing)}")
    rule = session.scalar(select(PriorityRule).where(PriorityRule.kind == data.kind))
    if rule is None:
        rule = PriorityRule(kind=data.kind, weight=data.weight, scores=data.scores, horizon_days=data.horizon_days,
                            active=data.active)
        session.add(rule)
        audit.record_create(session, actor, rule)
        return rule
    before = snapshot(rule)
    rule.weight, rule.scores, rule.horizon_days, rule.active = data.weight, data.scores, data.horizon_days, data.active
    audit.record_update(session, actor, rule, before)
    return rule


def set_allocation_policy(session: Session, actor: Actor, *, ship_from_rule: str,
                          channel_code: str | None = None) -> AllocationPolicy:
    authorize(actor, "orders:write")
    require_staff(actor, "configure allocation")
    if ship_from_rule not in (engine.ShipFromRule.nearest, engine.ShipFromRule.priority):
        raise invalid("ship_from_rule", "use 'nearest' or 'priority'")
    channel_id = None
    if channel_code is not None:
        channel_id = session.scalar(select(Channel.id).where(Channel.code == channel_code))
        if channel_id is None:
            raise invalid("channel_code", f"unknown channel {channel_code!r}")
    policy = session.scalar(select(AllocationPolicy).where(
        AllocationPolicy.channel_id.is_(None) if channel_id is None else AllocationPolicy.channel_id == channel_id))
    if policy is None:
        policy = AllocationPolicy(channel_id=channel_id, ship_from_rule=ship_from_rule)
        session.add(policy)
        audit.record_create(session, actor, policy)
    else:
        before = snapshot(policy)
        policy.ship_from_rule = ship_from_rule
        audit.record_update(session, actor, policy, before)
    return policy

