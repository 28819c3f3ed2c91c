"""The orders side of stock: plan allocations with the engine, reserve through inventory, record them.

Every quantity here is claimed with ``inventory.reserve_many`` (which locks balance rows and never
reserves more than is available); what the engine planned but inventory could not give — because a
concurrent order took it first — simply stays on backorder. Set work throughout: one query per kind of
data, bulk statements for the writes, so the same code serves one order or a batch of thousands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, literal, null, select, union_all, update
from sqlalchemy.orm import Session

from qudao.audit.models import AuditRecord
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.db import utcnow
from qudao.engines import allocation as engine
from qudao.inventory import service as inventory
from qudao.locations.models import Location
from qudao.orders.models import (
    Allocation,
    AllocationPolicy,
    OrderEvent,
    OrderStatus,
    PriorityRule,
    SalesOrder,
    SalesOrderLine,
)
from qudao.orders.writes import (  # noqa: F401 - re-exported: callers use stock.bulk_insert
    COPY_THRESHOLD,
    bulk_insert,
    execute_compiled,
    insert_together,
    values_bound,
    values_params,
)
from qudao.partners.models import Partner

ZERO = Decimal(0)
LINES = SalesOrderLine.__table__
ORDERS = SalesOrder.__table__
ALLOCS = Allocation.__table__
FILLABLE = (OrderStatus.backordered, OrderStatus.partially_allocated, OrderStatus.partially_shipped)


def reference(order_id: int) -> str:
    return f"SO{order_id:08d}"


# ---- configuration --------------------------------------------------------------------------------


_RULES = select(PriorityRule.kind, PriorityRule.weight, PriorityRule.scores, PriorityRule.horizon_days).where(
    PriorityRule.active.is_(True))
_POLICIES = select(AllocationPolicy.channel_id, AllocationPolicy.ship_from_rule)
_SITES = select(Location.id, Location.priority, Location.latitude, Location.longitude).where(
    Location.owner_partner_id.is_(None), Location.archived_at.is_(None))


# Rules and policies in one round trip (the intake path needs both): rule rows have ``policy`` false.
_CONFIG = union_all(
    select(literal(False).label("policy"), PriorityRule.kind, PriorityRule.weight, PriorityRule.scores,
           PriorityRule.horizon_days, null().label("channel_id"), null().label("ship_from_rule")).where(
        PriorityRule.active.is_(True)),
    select(literal(True), null(), null(), null(), null(), AllocationPolicy.channel_id,
           AllocationPolicy.ship_from_rule),
)


def load_config(session: Session) -> tuple[list[engine.PriorityRule],
                                           tuple[engine.ShipFromRule, dict[int, engine.ShipFromRule]]]:
    """``load_rules`` and ``load_policies`` together, with one query (two if channel rules name channels)."""
    rows = session.execute(_CONFIG).all()
    return (_rules_from(session, [r for r in rows if not r.policy]),
            policies_from([(r.channel_id, r.ship_from_rule) for r in rows if r.policy]))


def load_rules(session: Session) -> list[engine.PriorityRule]:
    return _rules_from(session, session.execute(_RULES).all())


def _rules_from(session: Session, rows: Sequence[Any]) -> list[engine.PriorityRule]:
    if not rows:
        return list(engine.DEFAULT_RULES)
    channel_codes = {code for r in rows if r.kind == "channel" for code in (r.scores or {})}
    ids: dict[str, int] = {}
    if channel_codes:
        ids = dict(session.execute(select(Channel.code, Channel.id).where(Channel.code.in_(channel_codes))).all())
    rules = []
    for r in rows:
        scores = dict(r.scores or {})
        if r.kind == "channel":
            scores = {str(ids[c]): v for c, v in scores.items() if c in ids}
        rules.append(engine.PriorityRule(engine.RuleKind(r.kind), float(r.weight), scores, float(r.horizon_days)))
    return rules


def load_policies(session: Session) -> tuple[engine.ShipFromRule, dict[int, engine.ShipFromRule]]:
    return policies_from(session.execute(_POLICIES).all())


def policies_from(rows: Sequence[Any]) -> tuple[engine.ShipFromRule, dict[int, engine.ShipFromRule]]:
    default = engine.ShipFromRule.nearest
    per_channel: dict[int, engine.ShipFromRule] = {}
    for channel_id, rule in rows:
        if channel_id is None:
            default = engine.ShipFromRule(rule)
        else:
            per_channel[channel_id] = engine.ShipFromRule(rule)
    return default, per_channel


def load_sites(session: Session, only: Iterable[int] | None = None) -> list[engine.Site]:
    """Ship-from candidates: the company's own active locations (partner-owned places are customers)."""
    stmt = _SITES
    if only is not None:
        stmt = stmt.where(Location.id.in_(list(only)))
    return [engine.Site(r.id, r.priority, r.latitude, r.longitude) for r in session.execute(stmt)]


# ---- allocation -----------------------------------------------------------------------------------


@dataclass
class AllocationOutcome:
    allocated: dict[int, Decimal]  # line id -> quantity reserved now
    picks: list[engine.AllocationPick]

    @property
    def quantity(self) -> Decimal:
        return sum(self.allocated.values(), ZERO)


def allocate(session: Session, actor: Actor, demands: Sequence[engine.OrderDemand], *,
             sites: Sequence[engine.Site] | None = None, rule: engine.ShipFromRule = engine.ShipFromRule.nearest,
             event_kind: str = "allocated", fresh: bool = False) -> AllocationOutcome:
    """Allocate ``demands`` (in priority order): plan, reserve through inventory, record allocations.

    Line ``allocated_qty``/``backorder_qty`` move by what inventory actually reserved; order statuses
    are recomputed and a timeline event is written per order that received stock. ``fresh`` (orders
    booked in this transaction, with no allocation yet): statuses and events are left to the caller.
    """
    picks = reserve_plan(session, actor, demands, sites=sites, rule=rule)
    if not picks:
        return AllocationOutcome({}, [])
    record_allocations(session, actor, picks, event_kind=event_kind, fresh=fresh)
    allocated: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for p in picks:
        allocated[p.line_id] += p.quantity
    return AllocationOutcome(dict(allocated), picks)


def reserve_plan(session: Session, actor: Actor, demands: Sequence[engine.OrderDemand], *,
                 sites: Sequence[engine.Site] | None = None,
                 rule: engine.ShipFromRule = engine.ShipFromRule.nearest) -> list[engine.AllocationPick]:
    """Plan with the engine and claim the stock with ``inventory.reserve_many``; returns what was actually
    reserved (a concurrent order may have taken some of the planned stock first). Records nothing."""
    if not demands:
        return []
    sites = load_sites(session) if sites is None else sites
    product_ids = sorted({line.product_id for d in demands for line in d.lines})
    available = inventory.available_by_location(session, product_ids, [s.location_id for s in sites])
    plan = engine.plan_allocation(demands, available, sites, rule)
    if not plan.picks:
        return []
    requests = [inventory.ReservationRequest(p.product_id, p.location_id, p.quantity, reference(p.order_id))
                for p in plan.picks]
    reserved = inventory.reserve_many(session, actor, requests)
    return [engine.AllocationPick(p.line_id, p.order_id, p.product_id, p.location_id, q)
            for p, q in zip(plan.picks, reserved, strict=True) if q > 0]


def record_allocations(session: Session, actor: Actor, picks: Sequence[engine.AllocationPick], *,
                       event_kind: str, fresh: bool = False) -> None:
    if not picks:
        return
    now = utcnow()
    line_ids = [] if fresh else sorted({p.line_id for p in picks})
    existing: dict[tuple[int, int], int] = {}
    for chunk in _chunks(line_ids):
        for row in session.execute(select(ALLOCS.c.id, ALLOCS.c.order_line_id, ALLOCS.c.location_id).where(
                ALLOCS.c.order_line_id.in_(chunk))):
            existing[(row.order_line_id, row.location_id)] = row.id
    merged: dict[tuple[int, int], engine.AllocationPick] = {}
    for p in picks:
        key = (p.line_id, p.location_id)
        prev = merged.get(key)
        merged[key] = p if prev is None else engine.AllocationPick(
            p.line_id, p.order_id, p.product_id, p.location_id, prev.quantity + p.quantity)
    new_rows = [dict(order_line_id=p.line_id, order_id=p.order_id, product_id=p.product_id,
                     location_id=p.location_id, quantity=p.quantity, shipped_qty=ZERO, created_at=now, updated_at=now)
                for key, p in merged.items() if key not in existing]
    bumps = [{"b_id": existing[key], "b_q": p.quantity} for key, p in merged.items() if key in existing]
    if new_rows:
        bulk_insert(session, ALLOCS, new_rows)
    if bumps:
        session.execute(update(ALLOCS).where(ALLOCS.c.id == bindparam("b_id")).values(
            quantity=ALLOCS.c.quantity + bindparam("b_q"), updated_at=now), bumps)
    per_line: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for p in picks:
        per_line[p.line_id] += p.quantity
    move_line_quantities(session, [{"b_id": k, "b_alloc": v, "b_back": -v} for k, v in per_line.items()])
    if fresh:
        return
    order_ids = sorted({p.order_id for p in picks})
    per_order: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for p in merged.values():
        per_order[p.order_id].append({"line_id": p.line_id, "location_id": p.location_id, "quantity": str(p.quantity)})
    add_events(session, actor, [allocation_event(oid, event_kind, per_order[oid]) for oid in order_ids])
    refresh_statuses(session, order_ids)


def allocation_event(order_id: int, kind: str, allocations: list[dict[str, Any]]) -> tuple[
        int, str, str, dict[str, Any]]:
    total = sum((Decimal(x["quantity"]) for x in allocations), ZERO)
    return order_id, kind, f"{total} reserved for this order", {"allocations": allocations}


def move_line_quantities(session: Session, changes: list[dict[str, Any]]) -> None:
    """Apply deltas to line buckets: rows of ``b_id`` plus any of ``b_alloc``, ``b_back``, ``b_ship``,
    ``b_cancel``, ``b_return`` (database-side additions, never read-modify-write)."""
    if not changes:
        return
    columns = {"b_alloc": "allocated_qty", "b_back": "backorder_qty", "b_ship": "shipped_qty",
               "b_cancel": "cancelled_qty", "b_return": "returned_qty"}
    keys = sorted({k for c in changes for k in c} - {"b_id"})
    rows = [{"b_id": c["b_id"], **{k: c.get(k, ZERO) for k in keys}} for c in changes]
    values = {columns[k]: LINES.c[columns[k]] + bindparam(k) for k in keys}
    session.execute(update(LINES).where(LINES.c.id == bindparam("b_id")).values(**values), rows)


def refresh_statuses(session: Session, order_ids: Iterable[int]) -> dict[int, str]:
    """Recompute the status of open orders from their line quantities; returns the changed ones."""
    order_ids = sorted(set(order_ids))
    changed: dict[int, str] = {}
    now = utcnow()
    for chunk in _chunks(order_ids):
        current = dict(session.execute(select(ORDERS.c.id, ORDERS.c.status).where(ORDERS.c.id.in_(chunk))).all())
        sums = session.execute(
            select(LINES.c.order_id, func.sum(LINES.c.quantity - LINES.c.cancelled_qty),
                   func.sum(LINES.c.shipped_qty), func.sum(LINES.c.allocated_qty), func.sum(LINES.c.backorder_qty))
            .where(LINES.c.order_id.in_(chunk)).group_by(LINES.c.order_id)).all()
        for order_id, wanted, shipped, allocated, backorder in sums:
            status = current.get(order_id)
            if status in (OrderStatus.cancelled, OrderStatus.on_hold, OrderStatus.delivered, None):
                continue
            new = derive_status(Decimal(wanted or 0), Decimal(shipped or 0), Decimal(allocated or 0),
                                Decimal(backorder or 0), current=status)
            if new != status:
                changed[order_id] = new
    if changed:
        session.execute(update(ORDERS).where(ORDERS.c.id == bindparam("b_id")).values(
            status=bindparam("b_status"), status_changed_at=now, updated_at=now),
            [{"b_id": k, "b_status": v} for k, v in changed.items()])
    return changed


def derive_status(wanted: Decimal, shipped: Decimal, allocated: Decimal, backorder: Decimal, *,
                  current: str | None = None) -> str:
    if wanted <= 0:
        return OrderStatus.cancelled
    if shipped >= wanted:
        return OrderStatus.delivered if current == OrderStatus.delivered else OrderStatus.shipped
    if shipped > 0:
        return OrderStatus.partially_shipped
    if backorder <= 0:
        return OrderStatus.allocated
    if allocated > 0:
        return OrderStatus.partially_allocated
    return OrderStatus.backordered


EVENTS = OrderEvent.__table__
AUDIT = AuditRecord.__table__


def event_rows(actor: Actor, events: Iterable[tuple[int, str, str, dict[str, Any] | None]], *,
               public: bool = True) -> list[dict[str, Any]]:
    now = utcnow()
    return [dict(order_id=oid, at=now, kind=kind, message=message[:500], public=public, actor_name=actor.username,
                 data=data) for oid, kind, message, data in events]


def add_events(session: Session, actor: Actor, events: Iterable[tuple[int, str, str, dict[str, Any] | None]],
               *, public: bool = True) -> None:
    rows = event_rows(actor, events, public=public)
    if rows:
        bulk_insert(session, EVENTS, rows)


def audit_rows(actor: Actor, action: str, entries: Iterable[tuple[int, dict[str, Any] | None,
                                                                   dict[str, Any] | None]]) -> list[dict[str, Any]]:
    """Audit rows for sales orders (``entries``: order id, before, after), as ``qudao.audit`` records them."""
    now = utcnow()
    return [dict(at=now, actor_user_id=actor.user_id, actor_name=actor.username, actor_role=str(actor.role),
                 actor_partner_id=actor.partner_id, action=action, entity="sales_orders", entity_id=str(oid),
                 before=before, after=after) for oid, before, after in entries]


def add_audit(session: Session, actor: Actor, action: str, entries: Iterable[tuple[int, dict[str, Any] | None,
                                                                                    dict[str, Any] | None]]) -> None:
    """Bulk audit rows for sales orders (``entries``: order id, before, after)."""
    rows = audit_rows(actor, action, entries)
    if rows:
        bulk_insert(session, AUDIT, rows)


# ---- releasing and backorder fill -----------------------------------------------------------------


def release_allocations(session: Session, actor: Actor, order_id: int, *, to_backorder: bool) -> list[tuple[int, int]]:
    """Give back every unshipped reservation of an order; returns the (product, location) pairs freed.
    The released quantity goes back on backorder (reallocation) or is dropped (cancellation)."""
    rows = session.execute(select(ALLOCS.c.id, ALLOCS.c.order_line_id, ALLOCS.c.product_id, ALLOCS.c.location_id,
                                  ALLOCS.c.quantity).where(ALLOCS.c.order_id == order_id, ALLOCS.c.quantity > 0)
                           .order_by(ALLOCS.c.product_id, ALLOCS.c.location_id)).all()
    per_line: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        inventory.release(session, actor, product_id=row.product_id, location_id=row.location_id,
                          quantity=Decimal(row.quantity), reference=reference(order_id))
        per_line[row.order_line_id] += Decimal(row.quantity)
    if rows:
        session.execute(update(ALLOCS).where(ALLOCS.c.id.in_([r.id for r in rows])).values(
            quantity=ZERO, updated_at=utcnow()))
        move_line_quantities(session, [{"b_id": k, "b_alloc": -v, "b_back": v if to_backorder else ZERO}
                                       for k, v in per_line.items()])
    return sorted({(r.product_id, r.location_id) for r in rows})


def order_demands(session: Session, order_ids: Sequence[int], *, product_ids: Iterable[int] | None = None,
                  policies: tuple[engine.ShipFromRule, dict[int, engine.ShipFromRule]] | None = None,
                  override_rule: engine.ShipFromRule | None = None) -> list[engine.OrderDemand]:
    """Backordered lines of the given orders as engine demands (in the given order). An order that may
    not split and already ships from a location is pinned to it."""
    if not order_ids:
        return []
    default, per_channel = policies or load_policies(session)
    heads: dict[int, Any] = {}
    lines: dict[int, list[engine.LineDemand]] = defaultdict(list)
    pinned: dict[int, int] = {}
    for chunk in _chunks(list(order_ids)):
        for r in session.execute(select(ORDERS.c.id, ORDERS.c.allow_split, ORDERS.c.channel_id, Location.latitude,
                                        Location.longitude).join(Location, Location.id == ORDERS.c.ship_to_location_id)
                                 .where(ORDERS.c.id.in_(chunk))):
            heads[r.id] = r
        stmt = select(LINES.c.id, LINES.c.order_id, LINES.c.product_id, LINES.c.backorder_qty).where(
            LINES.c.order_id.in_(chunk), LINES.c.backorder_qty > 0)
        if product_ids is not None:
            stmt = stmt.where(LINES.c.product_id.in_(list(product_ids)))
        for r in session.execute(stmt.order_by(LINES.c.line_no)):
            lines[r.order_id].append(engine.LineDemand(r.id, r.order_id, r.product_id, Decimal(r.backorder_qty)))
        for r in session.execute(select(ALLOCS.c.order_id, func.min(ALLOCS.c.location_id)).where(
                ALLOCS.c.order_id.in_(chunk), (ALLOCS.c.quantity + ALLOCS.c.shipped_qty) > 0)
                .group_by(ALLOCS.c.order_id)):
            pinned[r[0]] = r[1]
    demands = []
    for oid in order_ids:
        head = heads.get(oid)
        if head is None or not lines.get(oid):
            continue
        demands.append(engine.OrderDemand(
            oid, lines[oid], head.latitude, head.longitude, bool(head.allow_split),
            None if head.allow_split else pinned.get(oid),
            override_rule or per_channel.get(head.channel_id, default)))
    return demands


def rank(session: Session, order_ids: Iterable[int], now: datetime | None = None) -> list[int]:
    """Order ids in priority order under the configured rules."""
    order_ids = list(order_ids)
    facts = []
    for chunk in _chunks(order_ids):
        for r in session.execute(select(ORDERS.c.id, ORDERS.c.created_at, ORDERS.c.channel_id, ORDERS.c.promised_date,
                                        ORDERS.c.rush, Partner.tier).join(Partner, Partner.id == ORDERS.c.partner_id)
                                 .where(ORDERS.c.id.in_(chunk))):
            created = r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=utcnow().tzinfo)
            facts.append(engine.OrderFacts(r.id, created, r.tier, r.channel_id, r.promised_date, bool(r.rush)))
    return engine.rank_orders(facts, load_rules(session), now or utcnow())


def fill_backorders(session: Session, actor: Actor, keys: Sequence[tuple[int, int]]) -> AllocationOutcome:
    """Stock arrived at (product, location) ``keys``: give it to waiting lines in priority order."""
    keys = sorted(set(keys))
    if not keys:
        return AllocationOutcome({}, [])
    session.flush()
    product_ids = sorted({p for p, _ in keys})
    location_ids = sorted({loc for _, loc in keys})
    order_ids = sorted(set(session.scalars(
        select(LINES.c.order_id).join(ORDERS, ORDERS.c.id == LINES.c.order_id)
        .where(LINES.c.product_id.in_(product_ids), LINES.c.backorder_qty > 0, ORDERS.c.status.in_(FILLABLE))
        .distinct()).all()))
    if not order_ids:
        return AllocationOutcome({}, [])
    ranked = rank(session, order_ids)
    demands = order_demands(session, ranked, product_ids=product_ids)
    sites = load_sites(session, location_ids)
    outcome = allocate(session, actor, demands, sites=sites, event_kind="backorder_filled")
    session.expire_all()
    return outcome


def _on_stock_available(session: Session, actor: Actor, keys: list[tuple[int, int]]) -> None:
    fill_backorders(session, actor, keys)


def _chunks(values: Sequence[Any], size: int = 900) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


inventory.on_stock_available(_on_stock_available)
