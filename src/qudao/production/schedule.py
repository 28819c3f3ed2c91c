"""Planning views over production: the sequence of work orders on a resource (and saving it), the rush-
order rule, the rough-cut load per resource and week, and the BOM explosion for a demand.

Each loads its snapshot with one or two queries and leaves the arithmetic to the pure engines in
``qudao.engines.planning`` (``scheduling``, ``bom_tree``, ``capacity``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize
from qudao.catalog.models import Product
from qudao.common.actor import Actor
from qudao.db import utcnow
from qudao.engines.planning.bom_tree import BomEdge, Explosion, explode_demand
from qudao.engines.planning.capacity import Changeovers
from qudao.engines.planning.errors import PlanningInputError
from qudao.engines.planning.scheduling import Calendar, Job, insert_rush, monday, rough_cut_load, schedule_resource
from qudao.errors import Conflict, NotFound, invalid
from qudao.production.models import OPEN_STATUSES, BomLine, Changeover, Resource, Routing, WorkOrder, WorkOrderStatus
from qudao.production.service import get_resource, product_id_for

READ, WRITE = "planning:read", "planning:write"
DEFAULT_BATCH_WINDOW_DAYS = 2  # an order of the running family may jump ahead of ones due 2 days earlier


def calendar_of(resource: Resource) -> Calendar:
    return Calendar(float(resource.hours_per_day * resource.efficiency), frozenset(resource.weekdays_off),
                    frozenset(date.fromisoformat(d) for d in resource.non_working_days))


def _changeovers(session: Session, resource: Resource) -> Changeovers:
    rows = session.execute(select(Changeover.from_family, Changeover.to_family, Changeover.hours)
                           .where(Changeover.resource_id == resource.id)).all()
    return Changeovers(float(resource.default_changeover_hours), {(a, b): float(h) for a, b, h in rows})


def _jobs(session: Session, resource: Resource) -> list[Job]:
    """The open orders on the resource as jobs: setup (not for an order already running) plus run hours of
    the open quantity, the family from the product's routing on this resource."""
    rows = session.execute(
        select(WorkOrder.code, WorkOrder.status, WorkOrder.quantity, WorkOrder.completed_quantity,
               WorkOrder.due_date, WorkOrder.rush, Routing.family, Routing.setup_hours, Routing.run_hours_per_unit)
        .outerjoin(Routing, and_(Routing.product_id == WorkOrder.product_id, Routing.resource_id == resource.id))
        .where(WorkOrder.resource_id == resource.id, WorkOrder.status.in_(OPEN_STATUSES))
        .order_by(WorkOrder.due_date, WorkOrder.code)).all()
    jobs = []
    for r in rows:
        if r.run_hours_per_unit is None:
            raise invalid("resource_code", f"work order {r.code} has no routing on resource {resource.code}")
        running = r.status == WorkOrderStatus.in_progress
        open_qty = max(r.quantity - r.completed_quantity, Decimal(0))
        hours = (Decimal(0) if running else r.setup_hours) + r.run_hours_per_unit * open_qty
        jobs.append(Job(r.code, max(float(hours), 1e-6), r.due_date, r.family or "", None, bool(r.rush), running))
    return jobs


@dataclass(frozen=True)
class Schedule:
    resource: Resource
    start: date
    hours_per_day: float
    days: list[date]
    orders: pl.DataFrame  # scheduling.SCHEDULE_SCHEMA rows

    @property
    def late(self) -> list[str]:
        return self.orders.filter(pl.col("late"))["order_id"].to_list()


def _engine_call(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return fn(*args, **kwargs)
    except PlanningInputError as exc:
        where = exc.item if not isinstance(exc.item, list) else " -> ".join(map(str, exc.item))
        raise invalid(exc.field, f"{where}: {exc.reason}" if where is not None else exc.reason) from None


def schedule_for(session: Session, actor: Actor, code: str, *, start: date | None = None, horizon_days: int = 28,
                 batch_window_days: int = DEFAULT_BATCH_WINDOW_DAYS) -> Schedule:
    """Sequence the open work orders of resource ``code`` from ``start`` (today): orders in progress first,
    then earliest due date grouped by family within the batch window, forward into the daily capacity."""
    authorize(actor, READ)
    resource = get_resource(session, actor, code)
    start = start or utcnow().date()
    calendar = _engine_call(calendar_of, resource)
    orders, days = _engine_call(schedule_resource, _jobs(session, resource), calendar, start,
                                _changeovers(session, resource), batch_window_days=batch_window_days,
                                horizon_days=horizon_days)
    return Schedule(resource, start, calendar.hours_per_day, days, orders)


def _save(session: Session, actor: Actor, schedule: Schedule, action: str, **details: object) -> None:
    ids = dict(session.execute(select(WorkOrder.code, WorkOrder.id)
                               .where(WorkOrder.code.in_(schedule.orders["order_id"].to_list()))).all())
    rows = [{"id": ids[r["order_id"]], "planned_start": r["start_day"], "planned_end": r["end_day"],
             "sequence": r["sequence"], "updated_at": utcnow()} for r in schedule.orders.iter_rows(named=True)]
    if rows:
        session.execute(update(WorkOrder), rows)
    audit.record(session, actor, action=action, entity="production_resources", entity_id=schedule.resource.id,
                 after={"start": schedule.start.isoformat(), "sequence": schedule.orders["order_id"].to_list(),
                        "late": schedule.late, **details})


def save_schedule(session: Session, actor: Actor, code: str, *, start: date | None = None, horizon_days: int = 28,
                  batch_window_days: int = DEFAULT_BATCH_WINDOW_DAYS) -> Schedule:
    """Compute the schedule and write each order's planned start, end and sequence."""
    authorize(actor, WRITE)
    schedule = schedule_for(session, actor, code, start=start, horizon_days=horizon_days,
                            batch_window_days=batch_window_days)
    _save(session, actor, schedule, "schedule")
    session.expire_all()
    return schedule


@dataclass(frozen=True)
class RushResult:
    order: WorkOrder
    schedule: Schedule
    impact: pl.DataFrame  # order_id, end_day_before, end_day, moved_by_days, late_before, late, ..., became_late

    @property
    def became_late(self) -> list[str]:
        return self.impact.filter(pl.col("became_late"))["order_id"].to_list()


def rush_work_order(session: Session, actor: Actor, code: str, *, start: date | None = None,
                    batch_window_days: int = DEFAULT_BATCH_WINDOW_DAYS) -> RushResult:
    """Make an open order a rush order: it goes first at the next free slot after the order in progress,
    the others shift; the new schedule is saved and the result says who became late because of it."""
    authorize(actor, WRITE)
    order = session.scalar(select(WorkOrder).where(WorkOrder.code == code))
    if order is None:
        raise NotFound(detail=f"work order {code} not found")
    if order.status not in (WorkOrderStatus.planned, WorkOrderStatus.released):
        raise Conflict(detail=f"work order {code} is {order.status}; only a planned or released order can be rushed")
    if order.rush:
        raise Conflict(detail=f"work order {code} is already a rush order")
    resource = order.resource
    if resource is None:
        raise Conflict(detail=f"work order {code} has no resource yet; set one before rushing it")
    start = start or utcnow().date()
    calendar = _engine_call(calendar_of, resource)
    after, impact = _engine_call(insert_rush, _jobs(session, resource), code, calendar, start,
                                 _changeovers(session, resource), batch_window_days=batch_window_days)
    last = after["end_day"].max() if after.height else start
    days = calendar.working_days(start, 0, max((last - start).days + 1, 28))  # type: ignore[operator]
    schedule = Schedule(resource, start, calendar.hours_per_day, days, after)
    order.rush = True
    session.flush()
    result = RushResult(order, schedule, impact)
    _save(session, actor, schedule, "rush", rush=code, became_late=result.became_late)
    session.refresh(order)
    return result


# ---- rough-cut capacity ------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    first_week: date
    weeks: int
    rows: pl.DataFrame  # scheduling.LOAD_SCHEMA (resource = resource code)

    @property
    def overloads(self) -> pl.DataFrame:
        return self.rows.filter(pl.col("overloaded"))


def capacity_load(session: Session, actor: Actor, *, first_week: date | None = None, weeks: int = 8,
                  resource_code: str | None = None) -> Load:
    """Hours of the open work orders per resource and week against the hours the resource offers
    (calendar x efficiency). An order loads the week it is planned to start in, else the week it is due."""
    authorize(actor, READ)
    if not 1 <= weeks <= 104:
        raise invalid("weeks", "must be 1 to 104")
    first_week = monday(first_week or utcnow().date())
    stmt = select(Resource).where(Resource.archived_at.is_(None)).order_by(Resource.code)
    if resource_code:
        stmt = stmt.where(Resource.code == resource_code)
    resources = list(session.scalars(stmt))
    if resource_code and not resources:
        raise invalid("resource_code", f"no active resource {resource_code}")
    calendars = {r.code: _engine_call(calendar_of, r) for r in resources}
    rows = session.execute(
        select(Resource.code, WorkOrder.status, WorkOrder.quantity, WorkOrder.completed_quantity,
               WorkOrder.planned_start, WorkOrder.due_date, Routing.setup_hours, Routing.run_hours_per_unit)
        .join(Resource, Resource.id == WorkOrder.resource_id)
        .outerjoin(Routing, and_(Routing.product_id == WorkOrder.product_id,
                                 Routing.resource_id == WorkOrder.resource_id))
        .where(WorkOrder.status.in_(OPEN_STATUSES), Resource.code.in_(list(calendars)))).all()
    frame = pl.DataFrame(
        [{"resource": r.code, "day": r.planned_start or r.due_date,
          "hours": float((Decimal(0) if r.status == WorkOrderStatus.in_progress else r.setup_hours or 0)
                         + (r.run_hours_per_unit or 0) * max(r.quantity - r.completed_quantity, Decimal(0)))}
         for r in rows],
        schema={"resource": pl.Utf8, "day": pl.Date, "hours": pl.Float64})
    return Load(first_week, weeks, _engine_call(rough_cut_load, frame, calendars, first_week, weeks))


# ---- BOM explosion -----------------------------------------------------------------------------


def bom_edges(session: Session, as_of: date) -> list[BomEdge]:
    """Every BOM line effective on ``as_of``, by SKU (one query)."""
    parent, component = Product.__table__.alias("parent"), Product.__table__.alias("component")
    rows = session.execute(
        select(parent.c.sku, component.c.sku, BomLine.quantity_per, BomLine.scrap_pct)
        .join(parent, parent.c.id == BomLine.parent_id).join(component, component.c.id == BomLine.component_id)
        .where(or_(BomLine.effective_from.is_(None), BomLine.effective_from <= as_of),
               or_(BomLine.effective_to.is_(None), BomLine.effective_to > as_of))
        .order_by(BomLine.id)).all()
    return [BomEdge(p, c, Decimal(q), Decimal(s)) for p, c, q, s in rows]


def explode_bom(session: Session, actor: Actor, sku: str, quantity: Decimal,
                as_of: date | None = None) -> tuple[Explosion, date]:
    """Requirements of every component, all levels, for ``quantity`` of ``sku`` (scrap included)."""
    authorize(actor, READ)
    product_id_for(session, sku, "sku")
    as_of = as_of or utcnow().date()
    return _engine_call(explode_demand, bom_edges(session, as_of), sku, Decimal(quantity)), as_of


def week_label(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"
