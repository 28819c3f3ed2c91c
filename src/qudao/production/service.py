"""Production master data: resources with their calendar and changeover matrix, bills of materials and
routings. Every write is validated (no zero capacity, quantity per > 0, no BOM cycle) and audited.

Work orders and production reports are in ``work_orders.py``; the schedule, capacity load and BOM
explosion in ``planning.py``; frames for the planning run in ``queries.py``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize
from qudao.catalog.models import Product
from qudao.common import crud
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.common.records import apply_changes, snapshot
from qudao.engines.planning.bom_tree import BomEdge, check_structure
from qudao.engines.planning.errors import PlanningInputError
from qudao.errors import Conflict, NotFound, invalid
from qudao.locations.models import Location
from qudao.production.models import OPEN_STATUSES, BomLine, Changeover, Resource, Routing, WorkOrder
from qudao.production.schemas import (
    BomLineCreate,
    BomLineUpdate,
    ChangeoverMatrixIn,
    ResourceCreate,
    ResourceUpdate,
    RoutingCreate,
    RoutingUpdate,
)

READ, WRITE = "planning:read", "planning:write"
ONE = Decimal(1)


def product_id_for(session: Session, sku: str, field: str) -> int:
    found = crud.resolve_ref(session, Product, Product.sku, sku, field=field)
    assert found is not None
    return found


# ---- resources ---------------------------------------------------------------------------------

RESOURCE_SORTS = {"id": Resource.id, "code": Resource.code, "name": Resource.name}


def list_resources(session: Session, actor: Actor, params: ListParams) -> tuple[list[Resource], int]:
    authorize(actor, READ)
    filters = [] if params.include_archived else [Resource.archived_at.is_(None)]
    return paginate(session, select(Resource), params, search=(Resource.code, Resource.name),
                    sortable=RESOURCE_SORTS, default_sort="code", filters=filters)


def get_resource(session: Session, actor: Actor, code: str) -> Resource:
    authorize(actor, READ)
    return crud.get_by(session, Resource, Resource.code, code, entity="resource")


def create_resource(session: Session, actor: Actor, data: ResourceCreate) -> Resource:
    """A work centre at a plant; its daily hours and efficiency must be > 0 (the schema refuses zero)."""
    authorize(actor, WRITE)
    if session.scalar(select(Resource.id).where(Resource.code == data.code)) is not None:
        raise Conflict(detail=f"resource {data.code} already exists")
    location_id = crud.resolve_ref(session, Location, Location.code, data.location_code, field="location_code")
    resource = Resource(code=data.code, name=data.name, location_id=location_id, hours_per_day=data.hours_per_day,
                        efficiency=data.efficiency, default_changeover_hours=data.default_changeover_hours,
                        weekdays_off=sorted(set(data.weekdays_off)),
                        non_working_days=sorted({d.isoformat() for d in data.non_working_days}))
    session.add(resource)
    audit.record_create(session, actor, resource)
    return resource


def update_resource(session: Session, actor: Actor, code: str, data: ResourceUpdate) -> Resource:
    authorize(actor, WRITE)
    resource = get_resource(session, actor, code)
    before = snapshot(resource)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    for name in ("name", "hours_per_day", "efficiency", "default_changeover_hours"):
        if name in changes and changes[name] is None:
            raise invalid(name, "must not be empty")
    if changes.get("weekdays_off") is not None:
        changes["weekdays_off"] = sorted(set(changes["weekdays_off"]))
    if changes.get("non_working_days") is not None:
        changes["non_working_days"] = sorted({d.isoformat() for d in changes["non_working_days"]})
    changes = {k: v for k, v in changes.items() if v is not None}
    apply_changes(resource, changes)
    audit.record_update(session, actor, resource, before)
    return resource


def archive_resource(session: Session, actor: Actor, code: str) -> Resource:
    authorize(actor, WRITE)
    return crud.archive(session, actor, get_resource(session, actor, code))


def changeovers_of(session: Session, actor: Actor, code: str) -> list[Changeover]:
    resource = get_resource(session, actor, code)
    return list(session.scalars(select(Changeover).where(Changeover.resource_id == resource.id)
                                .order_by(Changeover.from_family, Changeover.to_family)))


def replace_changeovers(session: Session, actor: Actor, code: str, data: ChangeoverMatrixIn) -> list[Changeover]:
    """Replace the resource's changeover matrix (family -> family hours) as a whole."""
    authorize(actor, WRITE)
    resource = get_resource(session, actor, code)
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(data.changeovers):
        pair = (row.from_family, row.to_family)
        if pair in seen:
            raise invalid(f"changeovers[{i}]", f"{row.from_family} -> {row.to_family} appears twice")
        seen.add(pair)
    before = [{"from": c.from_family, "to": c.to_family, "hours": str(c.hours)}
              for c in changeovers_of(session, actor, code)]
    session.execute(delete(Changeover).where(Changeover.resource_id == resource.id))
    if data.changeovers:
        session.execute(insert(Changeover), [{"resource_id": resource.id, **row.model_dump()}
                                             for row in data.changeovers])
    audit.record(session, actor, action="update", entity="production_changeovers", entity_id=resource.id,
                 before={"changeovers": before},
                 after={"changeovers": [{"from": r.from_family, "to": r.to_family, "hours": str(r.hours)}
                                        for r in data.changeovers]})
    return changeovers_of(session, actor, code)


# ---- bills of materials ------------------------------------------------------------------------

BOM_SORTS = {"id": BomLine.id, "quantity_per": BomLine.quantity_per}


def list_bom_lines(session: Session, actor: Actor, params: ListParams, *, parent_sku: str | None = None,
                   component_sku: str | None = None) -> tuple[list[BomLine], int]:
    authorize(actor, READ)
    filters: list[Any] = []
    if parent_sku:
        filters.append(BomLine.parent_id.in_(select(Product.id).where(Product.sku == parent_sku)))
    if component_sku:
        filters.append(BomLine.component_id.in_(select(Product.id).where(Product.sku == component_sku)))
    if params.q:  # free text matches the parent's or the component's SKU
        matching = select(Product.id).where(func.lower(Product.sku).like(f"%{params.q.strip().lower()}%"))
        filters.append(or_(BomLine.parent_id.in_(matching), BomLine.component_id.in_(matching)))
        params = params.model_copy(update={"q": None})
    return paginate(session, select(BomLine), params, sortable=BOM_SORTS, default_sort="id", filters=filters)


def get_bom_line(session: Session, actor: Actor, line_id: int) -> BomLine:
    authorize(actor, READ)
    line = session.get(BomLine, line_id)
    if line is None:
        raise NotFound(detail=f"BOM line {line_id} not found")
    return line


def _overlapping(session: Session, parent_id: int, component_id: int, start: date | None, end: date | None,
                 exclude: int | None = None) -> BomLine | None:
    """A line of the same parent and component whose effective dates overlap [start, end)."""
    stmt = select(BomLine).where(BomLine.parent_id == parent_id, BomLine.component_id == component_id)
    if start is not None:
        stmt = stmt.where(or_(BomLine.effective_to.is_(None), BomLine.effective_to > start))
    if end is not None:
        stmt = stmt.where(or_(BomLine.effective_from.is_(None), BomLine.effective_from < end))
    if exclude is not None:
        stmt = stmt.where(BomLine.id != exclude)
    return session.scalars(stmt.limit(1)).first()


def check_no_cycle(session: Session, parent_id: int, component_id: int, field: str = "component_sku") -> None:
    """Refuse a line that would make an item its own component, directly or through other items; the
    message names the items on the cycle (by SKU). All lines count, whatever their effective dates."""
    rows = session.execute(select(BomLine.parent_id, BomLine.component_id)).all()
    edges = sorted({(int(p), int(c)) for p, c in rows} | {(parent_id, component_id)})
    ids = {i for edge in edges for i in edge}
    skus = dict(session.execute(select(Product.id, Product.sku).where(Product.id.in_(ids))).all())
    try:
        check_structure([BomEdge(skus[p], skus[c], quantity_per=ONE) for p, c in edges])
    except PlanningInputError as exc:
        loop = exc.item if isinstance(exc.item, list) else [exc.item]
        raise invalid(field, "would make a cycle in the bill of materials: " + " -> ".join(map(str, loop))) from None


def create_bom_line(session: Session, actor: Actor, data: BomLineCreate) -> BomLine:
    authorize(actor, WRITE)
    parent_id = product_id_for(session, data.parent_sku, "parent_sku")
    component_id = product_id_for(session, data.component_sku, "component_sku")
    if parent_id == component_id:
        raise invalid("component_sku", f"{data.component_sku} cannot be a component of itself: "
                      f"{data.parent_sku} -> {data.component_sku}")
    clash = _overlapping(session, parent_id, component_id, data.effective_from, data.effective_to)
    if clash is not None:
        raise Conflict(detail=f"{data.parent_sku} already uses {data.component_sku} in an overlapping period "
                       f"(BOM line {clash.id})")
    check_no_cycle(session, parent_id, component_id)
    line = BomLine(parent_id=parent_id, component_id=component_id, quantity_per=data.quantity_per,
                   scrap_pct=data.scrap_pct, effective_from=data.effective_from, effective_to=data.effective_to)
    session.add(line)
    audit.record_create(session, actor, line)
    return line


def update_bom_line(session: Session, actor: Actor, line_id: int, data: BomLineUpdate) -> BomLine:
    authorize(actor, WRITE)
    line = get_bom_line(session, actor, line_id)
    before = snapshot(line)
    changes = data.model_dump(exclude_unset=True)
    for name in ("quantity_per", "scrap_pct"):
        if name in changes and changes[name] is None:
            raise invalid(name, "must not be empty")
    start = changes.get("effective_from", line.effective_from)
    end = changes.get("effective_to", line.effective_to)
    if start is not None and end is not None and end <= start:
        raise invalid("effective_to", "must be after effective_from")
    if _overlapping(session, line.parent_id, line.component_id, start, end, exclude=line.id) is not None:
        raise Conflict(detail=f"the new dates overlap another line of {line.parent_sku} using {line.component_sku}")
    apply_changes(line, changes)
    audit.record_update(session, actor, line, before)
    return line


def delete_bom_line(session: Session, actor: Actor, line_id: int) -> None:
    authorize(actor, WRITE)
    line = get_bom_line(session, actor, line_id)
    audit.record(session, actor, action="delete", entity="bom_lines", entity_id=line.id, before=snapshot(line))
    session.delete(line)
    session.flush()


# ---- routings ----------------------------------------------------------------------------------

ROUTING_SORTS = {"id": Routing.id, "preference": Routing.preference}


def list_routings(session: Session, actor: Actor, params: ListParams, *, sku: str | None = None,
                  resource_code: str | None = None) -> tuple[list[Routing], int]:
    authorize(actor, READ)
    filters: list[Any] = []
    if sku:
        filters.append(Routing.product_id.in_(select(Product.id).where(Product.sku == sku)))
    if resource_code:
        filters.append(Routing.resource_id.in_(select(Resource.id).where(Resource.code == resource_code)))
    return paginate(session, select(Routing), params, search=(Routing.family,), sortable=ROUTING_SORTS,
                    default_sort="id", filters=filters)


def get_routing(session: Session, actor: Actor, routing_id: int) -> Routing:
    authorize(actor, READ)
    routing = session.get(Routing, routing_id)
    if routing is None:
        raise NotFound(detail=f"routing {routing_id} not found")
    return routing


def create_routing(session: Session, actor: Actor, data: RoutingCreate) -> Routing:
    authorize(actor, WRITE)
    product_id = product_id_for(session, data.sku, "sku")
    resource_id = crud.resolve_ref(session, Resource, Resource.code, data.resource_code, field="resource_code")
    exists = session.scalar(select(Routing.id).where(Routing.product_id == product_id,
                                                     Routing.resource_id == resource_id))
    if exists is not None:
        raise Conflict(detail=f"{data.sku} already has a routing on {data.resource_code} (routing {exists})")
    routing = Routing(product_id=product_id, resource_id=resource_id, family=data.family,
                      setup_hours=data.setup_hours, run_hours_per_unit=data.run_hours_per_unit,
                      preference=data.preference)
    session.add(routing)
    audit.record_create(session, actor, routing)
    return routing


def update_routing(session: Session, actor: Actor, routing_id: int, data: RoutingUpdate) -> Routing:
    authorize(actor, WRITE)
    routing = get_routing(session, actor, routing_id)
    before = snapshot(routing)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    apply_changes(routing, changes)
    audit.record_update(session, actor, routing, before)
    return routing


def delete_routing(session: Session, actor: Actor, routing_id: int) -> None:
    authorize(actor, WRITE)
    routing = get_routing(session, actor, routing_id)
    in_use = session.scalar(select(WorkOrder.code).where(
        WorkOrder.product_id == routing.product_id, WorkOrder.resource_id == routing.resource_id,
        WorkOrder.status.in_(OPEN_STATUSES)).limit(1))
    if in_use is not None:  # the schedule needs the routing of every open order on the resource
        raise Conflict(detail=f"routing {routing_id} is used by open work order {in_use}; move or close it first")
    audit.record(session, actor, action="delete", entity="routings", entity_id=routing.id,
                 before=snapshot(routing))
    session.delete(routing)
    session.flush()
