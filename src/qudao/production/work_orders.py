"""Work orders: create (one, or in bulk when planning approves proposals), release, cancel, and report
production, which issues the components and receives the finished goods through the inventory service in
the caller's one transaction.

For the planning area: ``create_work_orders(session, rows, actor)`` takes ``WorkOrderCreate`` objects or
dicts with product_id|sku, location_id|location_code, quantity, due_date and optionally resource_code,
planned_start, rush, source_proposal_id, code, note; it validates every row before writing any, names the
bad row as ``work_orders[i].<field>``, and bulk-inserts the orders with status ``planned``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session, selectinload

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, can
from qudao.catalog.models import Product
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.common.records import snapshot
from qudao.db import utcnow
from qudao.errors import Conflict, FieldError, Forbidden, InsufficientStock, NotFound, invalid
from qudao.inventory import service as inventory
from qudao.locations.models import Location
from qudao.production.models import (
    OPEN_STATUSES,
    BomLine,
    ProductionReport,
    Resource,
    Routing,
    WorkOrder,
    WorkOrderStatus,
)
from qudao.production.schemas import ReportIn, WorkOrderCreate, WorkOrderUpdate

READ, WRITE, REPORT = "planning:read", "planning:write", "planning:report"
Q4 = Decimal("0.0001")
HUNDRED = Decimal(100)
WO_SORTS = {"id": WorkOrder.id, "code": WorkOrder.code, "due_date": WorkOrder.due_date,
            "status": WorkOrder.status, "planned_start": WorkOrder.planned_start, "sequence": WorkOrder.sequence}


def new_code() -> str:
    return f"WO-{uuid.uuid4().hex[:10].upper()}"


def list_work_orders(session: Session, actor: Actor, params: ListParams, *, status: str | None = None,
                     resource_code: str | None = None, sku: str | None = None) -> tuple[list[WorkOrder], int]:
    authorize(actor, READ)
    filters: list[Any] = []
    if status:
        filters.append(WorkOrder.status == status)
    if resource_code:
        filters.append(WorkOrder.resource_id.in_(select(Resource.id).where(Resource.code == resource_code)))
    if sku:
        filters.append(WorkOrder.product_id.in_(select(Product.id).where(Product.sku == sku)))
    return paginate(session, select(WorkOrder), params, search=(WorkOrder.code, WorkOrder.note),
                    sortable=WO_SORTS, default_sort="due_date", filters=filters)


def get_work_order(session: Session, actor: Actor, code: str) -> WorkOrder:
    authorize(actor, READ)
    order = session.scalar(select(WorkOrder).where(WorkOrder.code == code))
    if order is None:
        raise NotFound(detail=f"work order {code} not found")
    return order


def _parse_rows(rows: Sequence[WorkOrderCreate | dict[str, Any]]) -> list[WorkOrderCreate]:
    parsed = []
    for i, row in enumerate(rows):
        if isinstance(row, WorkOrderCreate):
            parsed.append(row)
            continue
        try:
            parsed.append(WorkOrderCreate.model_validate(row))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "row"
            raise invalid(f"work_orders[{i}].{where}", str(first.get("msg", "invalid"))) from None
    return parsed


def create_work_orders(session: Session, rows: Sequence[WorkOrderCreate | dict[str, Any]],
                       actor: Actor) -> list[WorkOrder]:
    """Create planned work orders in bulk (all or none). The resource defaults to the product's preferred
    routing at the order's plant (none there: the order is created without a resource, outside any
    schedule or load until one is set with ``update_work_order``); a given resource must have a routing for
    the product and stand at the order's plant. Errors name ``work_orders[i].<field>``."""
    authorize(actor, WRITE)
    data = _parse_rows(rows)
    return _insert(session, actor, data, prefixed=True) if data else []


def create_work_order(session: Session, actor: Actor, data: WorkOrderCreate) -> WorkOrder:
    authorize(actor, WRITE)
    return _insert(session, actor, [data], prefixed=False)[0]


def _insert(session: Session, actor: Actor, data: list[WorkOrderCreate], prefixed: bool) -> list[WorkOrder]:
    skus = {d.sku for d in data if d.sku}
    by_sku = dict(session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus),
                                                                        Product.archived_at.is_(None))).all())
    product_ids = {d.product_id for d in data if d.product_id} | set(by_sku.values())
    live_products = set(session.scalars(select(Product.id).where(Product.id.in_(product_ids),
                                                                 Product.archived_at.is_(None))))
    loc_codes = {d.location_code for d in data if d.location_code}
    by_loc = dict(session.execute(select(Location.code, Location.id).where(Location.code.in_(loc_codes),
                                                                           Location.archived_at.is_(None))).all())
    loc_ids = {d.location_id for d in data if d.location_id} | set(by_loc.values())
    live_locs = set(session.scalars(select(Location.id).where(Location.id.in_(loc_ids),
                                                              Location.archived_at.is_(None))))
    routings: dict[int, list[tuple[int, str, int]]] = {}
    for r in session.execute(select(Routing.product_id, Routing.resource_id, Resource.code, Resource.location_id)
                             .join(Resource, Resource.id == Routing.resource_id)
                             .where(Routing.product_id.in_(product_ids), Resource.archived_at.is_(None))
                             .order_by(Routing.preference, Routing.id)):
        routings.setdefault(r.product_id, []).append((r.resource_id, r.code, r.location_id))
    codes = [d.code for d in data if d.code]
    taken = set(session.scalars(select(WorkOrder.code).where(WorkOrder.code.in_(codes)))) if codes else set()
    seen: set[str] = set()
    values = []
    for i, d in enumerate(data):
        def field(name: str, i: int = i) -> str:
            return f"work_orders[{i}].{name}" if prefixed else name

        product_id = by_sku.get(d.sku) if d.sku else d.product_id
        if product_id is None or product_id not in live_products:
            name = "sku" if d.sku else "product_id"
            raise invalid(field(name), f"no active product {d.sku or d.product_id}")
        location_id = by_loc.get(d.location_code) if d.location_code else d.location_id
        if location_id is None or location_id not in live_locs:
            name = "location_code" if d.location_code else "location_id"
            raise invalid(field(name), f"no active location {d.location_code or d.location_id}")
        options = routings.get(product_id, [])
        label = d.sku or f"product {product_id}"
        if d.resource_code:
            match = [o for o in options if o[1] == d.resource_code]
            if not match:
                raise invalid(field("resource_code"), f"{label} has no routing on resource {d.resource_code}")
        else:  # the preferred routing at the plant; none there: the order waits for a resource
            match = [o for o in options if o[2] == location_id] or [(None, None, location_id)]
        resource_id, resource_code, resource_location = match[0]
        if resource_location != location_id:
            raise invalid(field("resource_code"), f"resource {resource_code} is not at the order's location")
        code = d.code or new_code()
        if code in taken or code in seen:
            raise Conflict(detail=f"work order {code} already exists")
        seen.add(code)
        now = utcnow()
        values.append({"code": code, "product_id": product_id, "location_id": location_id,
                       "resource_id": resource_id, "quantity": d.quantity, "completed_quantity": Decimal(0),
                       "status": WorkOrderStatus.planned, "due_date": d.due_date, "planned_start": d.planned_start,
                       "planned_end": None, "sequence": None, "rush": d.rush,
                       "source_proposal_id": d.source_proposal_id, "note": d.note, "released_at": None,
                       "closed_at": None, "created_at": now, "updated_at": now})
    session.execute(insert(WorkOrder), values)
    # The product, plant and resource come in one extra query each (not joined per row, with their own
    # joined relations), so thousands of approved proposals load in a fraction of a second.
    created = list(session.scalars(
        select(WorkOrder).where(WorkOrder.code.in_(list(seen))).order_by(WorkOrder.id)
        .options(selectinload(WorkOrder.product).lazyload("*"), selectinload(WorkOrder.location),
                 selectinload(WorkOrder.resource).lazyload("*"))))
    if len(created) == 1:
        audit.record(session, actor, action="create", entity="work_orders", entity_id=created[0].id,
                     after=snapshot(created[0]))
    else:  # one record for the batch, listing every order made
        audit.record(session, actor, action="create", entity="work_orders",
                     entity_id=f"{created[0].id}..{created[-1].id}",
                     after={"work_orders": [{"id": o.id, "code": o.code, "product_id": o.product_id,
                                             "location_id": o.location_id, "resource_id": o.resource_id,
                                             "quantity": str(o.quantity), "due_date": o.due_date.isoformat(),
                                             "source_proposal_id": o.source_proposal_id} for o in created]})
    return created


def update_work_order(session: Session, actor: Actor, code: str, data: WorkOrderUpdate) -> WorkOrder:
    """Change a planned or released order; a new resource must have a routing for the product and stand
    at the order's plant. The planned dates are cleared: the next schedule places the order again."""
    authorize(actor, WRITE)
    order = get_work_order(session, actor, code)
    if order.status not in (WorkOrderStatus.planned, WorkOrderStatus.released):
        raise Conflict(detail=f"work order {code} is {order.status}; only a planned or released order can change")
    before = snapshot(order)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "resource_code" in changes:
        found = session.execute(
            select(Resource.id, Resource.location_id).join(Routing, Routing.resource_id == Resource.id)
            .where(Resource.code == changes["resource_code"], Resource.archived_at.is_(None),
                   Routing.product_id == order.product_id)).first()
        if found is None:
            raise invalid("resource_code", f"{order.sku} has no routing on resource {changes['resource_code']}")
        if found.location_id != order.location_id:
            raise invalid("resource_code", f"resource {changes['resource_code']} is not at the order's location")
        order.resource_id = int(found.id)
    for name in ("quantity", "due_date", "note"):
        if name in changes:
            setattr(order, name, changes[name])
    if set(changes) - {"note"}:
        order.planned_start = order.planned_end = order.sequence = None
    session.flush()
    session.refresh(order)
    audit.record_update(session, actor, order, before)
    return order


def _change_status(session: Session, actor: Actor, order: WorkOrder, action: str, status: str,
                   **details: Any) -> WorkOrder:
    before = {"status": order.status}
    order.status = status
    session.flush()
    audit.record(session, actor, action=action, entity="work_orders", entity_id=order.id, before=before,
                 after={"status": status, **details})
    return order


def release_work_order(session: Session, actor: Actor, code: str) -> WorkOrder:
    """Hand a planned order to the shop floor."""
    authorize(actor, WRITE)
    order = get_work_order(session, actor, code)
    if order.status != WorkOrderStatus.planned:
        raise Conflict(detail=f"work order {code} is {order.status}; only a planned order can be released")
    order.released_at = utcnow()
    return _change_status(session, actor, order, "release", WorkOrderStatus.released)


def cancel_work_order(session: Session, actor: Actor, code: str, reason: str = "") -> WorkOrder:
    authorize(actor, WRITE)
    order = get_work_order(session, actor, code)
    if order.status not in (WorkOrderStatus.planned, WorkOrderStatus.released):
        raise Conflict(detail=f"work order {code} is {order.status}; only a planned or released order with "
                       "nothing reported can be cancelled")
    order.closed_at = utcnow()
    return _change_status(session, actor, order, "cancel", WorkOrderStatus.cancelled, reason=reason)


def components_for(session: Session, order: WorkOrder, quantity: Decimal) -> list[tuple[int, str, Decimal]]:
    """(product id, sku, quantity) of the direct components ``quantity`` of the order's product consumes
    today: quantity x quantity per x (1 + scrap %), to 4 places."""
    today = utcnow().date()
    lines = session.execute(
        select(BomLine.component_id, Product.sku, BomLine.quantity_per, BomLine.scrap_pct)
        .join(Product, Product.id == BomLine.component_id)
        .where(BomLine.parent_id == order.product_id,
               or_(BomLine.effective_from.is_(None), BomLine.effective_from <= today),
               or_(BomLine.effective_to.is_(None), BomLine.effective_to > today))
        .order_by(BomLine.component_id)).all()
    return [(int(c), sku, (quantity * q * (1 + s / HUNDRED)).quantize(Q4, ROUND_HALF_UP))
            for c, sku, q, s in lines]


def report_production(session: Session, actor: Actor, code: str, data: ReportIn) -> ProductionReport:
    """Report ``data.quantity`` made: the components are issued and the finished goods received at the
    order's plant, at the cost of the components, in this one transaction. When any component is short
    nothing is written and the error names every short component."""
    if not (can(actor, WRITE) or can(actor, REPORT)):
        raise Forbidden(detail=f"role {actor.role} may not report production")
    # Locked first (its row alone, before the joined load): two reports on one order must add up, not
    # overwrite each other's completed quantity.
    locked = session.scalar(select(WorkOrder.id).where(WorkOrder.code == code).with_for_update())
    if locked is None:
        raise NotFound(detail=f"work order {code} not found")
    order = session.get(WorkOrder, locked, populate_existing=True)
    assert order is not None
    if order.status not in (WorkOrderStatus.released, WorkOrderStatus.in_progress):
        raise Conflict(detail=f"work order {code} is {order.status}; production is reported on a released "
                       "or in-progress order")
    needs = components_for(session, order, data.quantity)
    available = inventory.available_by_location(session, [c for c, _, _ in needs], [order.location_id])
    short = [FieldError(f"components.{sku}", f"needs {need.normalize():f}, "
                        f"{available.get((c, order.location_id), Decimal(0)).normalize():f} available")
             for c, sku, need in needs if available.get((c, order.location_id), Decimal(0)) < need]
    if short:
        raise InsufficientStock(detail=f"work order {code}: components short at {order.location_code}: "
                                + ", ".join(e.field.removeprefix("components.") for e in short), errors=short)
    issued, cost = [], Decimal(0)
    for component_id, sku, need in needs:
        result = inventory.issue(session, actor, product_id=component_id, location_id=order.location_id,
                                 quantity=need, reference=order.code, reason="production")
        cost += result.cost
        issued.append({"sku": sku, "quantity": str(need), "cost": str(result.cost)})
    if needs:
        unit_cost = (cost / data.quantity).quantize(Q4, ROUND_HALF_UP)
    else:
        unit_cost = Decimal(session.scalar(select(Product.standard_cost).where(Product.id == order.product_id)) or 0)
    inventory.receive(session, actor, product_id=order.product_id, location_id=order.location_id,
                      quantity=data.quantity, unit_cost=unit_cost, reference=order.code)
    report = ProductionReport(work_order_id=order.id, quantity=data.quantity, component_cost=cost,
                              components=issued, reported_by=actor.username, note=data.note)
    session.add(report)
    order.completed_quantity += data.quantity
    done = data.close or order.completed_quantity >= order.quantity
    if done:
        order.closed_at = utcnow()
    _change_status(session, actor, order, "report",
                   WorkOrderStatus.done if done else WorkOrderStatus.in_progress,
                   reported=str(data.quantity), completed=str(order.completed_quantity))
    return report


def list_reports(session: Session, actor: Actor, code: str) -> list[ProductionReport]:
    order = get_work_order(session, actor, code)
    return list(session.scalars(select(ProductionReport).where(ProductionReport.work_order_id == order.id)
                                .order_by(ProductionReport.id)))


def open_orders(session: Session, resource_id: int | None = None) -> list[WorkOrder]:
    """Open work orders (planned, released, in progress), optionally on one resource."""
    stmt = select(WorkOrder).where(WorkOrder.status.in_(OPEN_STATUSES))
    if resource_id is not None:
        stmt = stmt.where(WorkOrder.resource_id == resource_id)
    return list(session.scalars(stmt.order_by(WorkOrder.due_date, WorkOrder.id)))
