"""REST routes for production: resources (with changeovers, schedule and capacity load), bills of
materials (with explosion), routings and work orders (release, cancel, rush, production reports)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, status

from qudao.api.deps import ActorDep, IdPath, ListParamsDep, SessionDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.common.listing import Page
from qudao.production import schedule as production_schedule
from qudao.production import service, work_orders
from qudao.production.models import WorkOrderStatus
from qudao.production.schemas import (
    EARLIEST,
    LATEST,
    BomLineCreate,
    BomLineOut,
    BomLineUpdate,
    ChangeoverMatrixIn,
    ChangeoverOut,
    ExplosionOut,
    LoadOut,
    LoadRowOut,
    ReasonIn,
    ReportIn,
    ReportOut,
    ResourceCreate,
    ResourceOut,
    ResourceUpdate,
    RoutingCreate,
    RoutingOut,
    RoutingUpdate,
    RushImpactOut,
    RushOut,
    ScheduledOrderOut,
    ScheduleOut,
    TreeRowOut,
    WorkOrderBulkIn,
    WorkOrderCreate,
    WorkOrderOut,
    WorkOrderUpdate,
)

router = APIRouter(tags=["production"], responses=PROBLEM_RESPONSES)

Day = Annotated[date | None, Query(ge=EARLIEST, le=LATEST)]
Code = Annotated[str | None, Query(max_length=40)]


def schedule_out(s: production_schedule.Schedule) -> ScheduleOut:
    return ScheduleOut(resource_code=s.resource.code, start=s.start, hours_per_day=s.hours_per_day, days=s.days,
                       orders=[ScheduledOrderOut(code=r.pop("order_id"), **r) for r in s.orders.iter_rows(named=True)],
                       late=s.late)


def load_out(load: production_schedule.Load) -> LoadOut:
    def rows(frame):  # type: ignore[no-untyped-def]
        return [LoadRowOut(resource_code=r.pop("resource"), **r) for r in frame.iter_rows(named=True)]

    return LoadOut(first_week=load.first_week, weeks=load.weeks, rows=rows(load.rows), overloads=rows(load.overloads))


# ---- resources ---------------------------------------------------------------------------------


@router.get("/resources", response_model=Page[ResourceOut])
def list_resources(session: SessionDep, actor: ActorDep, params: ListParamsDep) -> Page[ResourceOut]:
    rows, total = service.list_resources(session, actor, params)
    return Page(items=[ResourceOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.post("/resources", response_model=ResourceOut, status_code=status.HTTP_201_CREATED)
def create_resource(session: SessionDep, actor: ActorDep, body: ResourceCreate) -> ResourceOut:
    return ResourceOut.model_validate(service.create_resource(session, actor, body))


@router.get("/resources/capacity-load", response_model=LoadOut)
def capacity_load(session: SessionDep, actor: ActorDep, first_week: Day = None,
                  weeks: Annotated[int, Query(ge=1, le=104)] = 8, resource_code: Code = None) -> LoadOut:
    """Rough-cut load of the open work orders vs capacity per resource and week, with the overloads."""
    return load_out(production_schedule.capacity_load(session, actor, first_week=first_week, weeks=weeks,
                                           resource_code=resource_code))


@router.get("/resources/{code}", response_model=ResourceOut)
def get_resource(session: SessionDep, actor: ActorDep, code: str) -> ResourceOut:
    return ResourceOut.model_validate(service.get_resource(session, actor, code))


@router.patch("/resources/{code}", response_model=ResourceOut)
def update_resource(session: SessionDep, actor: ActorDep, code: str, body: ResourceUpdate) -> ResourceOut:
    return ResourceOut.model_validate(service.update_resource(session, actor, code, body))


@router.delete("/resources/{code}", response_model=ResourceOut)
def archive_resource(session: SessionDep, actor: ActorDep, code: str) -> ResourceOut:
    return ResourceOut.model_validate(service.archive_resource(session, actor, code))


@router.get("/resources/{code}/changeovers", response_model=list[ChangeoverOut])
def get_changeovers(session: SessionDep, actor: ActorDep, code: str) -> list[ChangeoverOut]:
    return [ChangeoverOut.model_validate(c) for c in service.changeovers_of(session, actor, code)]


@router.put("/resources/{code}/changeovers", response_model=list[ChangeoverOut])
def put_changeovers(session: SessionDep, actor: ActorDep, code: str, body: ChangeoverMatrixIn) -> list[ChangeoverOut]:
    return [ChangeoverOut.model_validate(c) for c in service.replace_changeovers(session, actor, code, body)]


@router.get("/resources/{code}/schedule", response_model=ScheduleOut)
def get_schedule(session: SessionDep, actor: ActorDep, code: str, start: Day = None,
                 batch_window_days: Annotated[int, Query(ge=0, le=60)] = production_schedule.DEFAULT_BATCH_WINDOW_DAYS
                 ) -> ScheduleOut:
    """The sequence of the open work orders on the resource (not saved)."""
    return schedule_out(production_schedule.schedule_for(session, actor, code, start=start,
                                              batch_window_days=batch_window_days))


@router.post("/resources/{code}/schedule", response_model=ScheduleOut)
def save_schedule(session: SessionDep, actor: ActorDep, code: str, start: Day = None,
                  batch_window_days: Annotated[int, Query(ge=0, le=60)] = production_schedule.DEFAULT_BATCH_WINDOW_DAYS
                  ) -> ScheduleOut:
    """Sequence the open work orders and save their planned start, end and sequence."""
    return schedule_out(production_schedule.save_schedule(session, actor, code, start=start,
                                               batch_window_days=batch_window_days))


# ---- bills of materials ------------------------------------------------------------------------


@router.get("/boms", response_model=Page[BomLineOut])
def list_bom_lines(session: SessionDep, actor: ActorDep, params: ListParamsDep, parent_sku: Code = None,
                   component_sku: Code = None) -> Page[BomLineOut]:
    rows, total = service.list_bom_lines(session, actor, params, parent_sku=parent_sku, component_sku=component_sku)
    return Page(items=[BomLineOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.post("/boms", response_model=BomLineOut, status_code=status.HTTP_201_CREATED)
def create_bom_line(session: SessionDep, actor: ActorDep, body: BomLineCreate) -> BomLineOut:
    return BomLineOut.model_validate(service.create_bom_line(session, actor, body))


@router.get("/boms/explosion", response_model=ExplosionOut)
def explode(session: SessionDep, actor: ActorDep, sku: Annotated[str, Query(min_length=1, max_length=40)],
            quantity: Annotated[Decimal, Query(gt=0, max_digits=14, decimal_places=4)] = Decimal(1),
            as_of: Day = None) -> ExplosionOut:
    """Multi-level requirements for ``quantity`` of ``sku`` (component scrap included)."""
    result, day = production_schedule.explode_bom(session, actor, sku, quantity, as_of)
    return ExplosionOut(sku=sku, quantity=quantity, as_of=day,
                        rows=[TreeRowOut(level=r.level, path=list(r.path), parent_sku=r.parent,
                                         component_sku=r.component, quantity_per=r.quantity_per,
                                         scrap_pct=r.scrap_pct, required=r.required) for r in result.rows],
                        totals=result.totals)


@router.get("/boms/{line_id}", response_model=BomLineOut)
def get_bom_line(session: SessionDep, actor: ActorDep, line_id: IdPath) -> BomLineOut:
    return BomLineOut.model_validate(service.get_bom_line(session, actor, line_id))


@router.patch("/boms/{line_id}", response_model=BomLineOut)
def update_bom_line(session: SessionDep, actor: ActorDep, line_id: IdPath, body: BomLineUpdate) -> BomLineOut:
    return BomLineOut.model_validate(service.update_bom_line(session, actor, line_id, body))


@router.delete("/boms/{line_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_bom_line(session: SessionDep, actor: ActorDep, line_id: IdPath) -> None:
    service.delete_bom_line(session, actor, line_id)


# ---- routings ----------------------------------------------------------------------------------


@router.get("/routings", response_model=Page[RoutingOut])
def list_routings(session: SessionDep, actor: ActorDep, params: ListParamsDep, sku: Code = None,
                  resource_code: Code = None) -> Page[RoutingOut]:
    rows, total = service.list_routings(session, actor, params, sku=sku, resource_code=resource_code)
    return Page(items=[RoutingOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.post("/routings", response_model=RoutingOut, status_code=status.HTTP_201_CREATED)
def create_routing(session: SessionDep, actor: ActorDep, body: RoutingCreate) -> RoutingOut:
    return RoutingOut.model_validate(service.create_routing(session, actor, body))


@router.get("/routings/{routing_id}", response_model=RoutingOut)
def get_routing(session: SessionDep, actor: ActorDep, routing_id: IdPath) -> RoutingOut:
    return RoutingOut.model_validate(service.get_routing(session, actor, routing_id))


@router.patch("/routings/{routing_id}", response_model=RoutingOut)
def update_routing(session: SessionDep, actor: ActorDep, routing_id: IdPath, body: RoutingUpdate) -> RoutingOut:
    return RoutingOut.model_validate(service.update_routing(session, actor, routing_id, body))


@router.delete("/routings/{routing_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_routing(session: SessionDep, actor: ActorDep, routing_id: IdPath) -> None:
    service.delete_routing(session, actor, routing_id)


# ---- work orders -------------------------------------------------------------------------------


@router.get("/work-orders", response_model=Page[WorkOrderOut])
def list_work_orders(session: SessionDep, actor: ActorDep, params: ListParamsDep,
                     status: WorkOrderStatus | None = None, resource_code: Code = None,
                     sku: Code = None) -> Page[WorkOrderOut]:
    rows, total = work_orders.list_work_orders(session, actor, params, status=status, resource_code=resource_code,
                                               sku=sku)
    return Page(items=[WorkOrderOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.post("/work-orders", response_model=WorkOrderOut, status_code=status.HTTP_201_CREATED)
def create_work_order(session: SessionDep, actor: ActorDep, body: WorkOrderCreate) -> WorkOrderOut:
    return WorkOrderOut.model_validate(work_orders.create_work_order(session, actor, body))


@router.post("/work-orders/bulk", response_model=list[WorkOrderOut], status_code=status.HTTP_201_CREATED)
def create_work_orders(session: SessionDep, actor: ActorDep, body: WorkOrderBulkIn) -> list[WorkOrderOut]:
    """Create many planned work orders at once (all or none)."""
    return [WorkOrderOut.model_validate(w) for w in work_orders.create_work_orders(session, body.work_orders, actor)]


@router.get("/work-orders/{code}", response_model=WorkOrderOut)
def get_work_order(session: SessionDep, actor: ActorDep, code: str) -> WorkOrderOut:
    return WorkOrderOut.model_validate(work_orders.get_work_order(session, actor, code))


@router.patch("/work-orders/{code}", response_model=WorkOrderOut)
def update_work_order(session: SessionDep, actor: ActorDep, code: str, body: WorkOrderUpdate) -> WorkOrderOut:
    return WorkOrderOut.model_validate(work_orders.update_work_order(session, actor, code, body))


@router.post("/work-orders/{code}/release", response_model=WorkOrderOut)
def release_work_order(session: SessionDep, actor: ActorDep, code: str) -> WorkOrderOut:
    return WorkOrderOut.model_validate(work_orders.release_work_order(session, actor, code))


@router.post("/work-orders/{code}/cancel", response_model=WorkOrderOut)
def cancel_work_order(session: SessionDep, actor: ActorDep, code: str, body: ReasonIn | None = None) -> WorkOrderOut:
    return WorkOrderOut.model_validate(work_orders.cancel_work_order(session, actor, code,
                                                                     body.reason if body else ""))


@router.post("/work-orders/{code}/rush", response_model=RushOut)
def rush_work_order(session: SessionDep, actor: ActorDep, code: str, start: Day = None) -> RushOut:
    """Make the order a rush order: it goes first after the order in progress; says who becomes late."""
    result = production_schedule.rush_work_order(session, actor, code, start=start)
    return RushOut(work_order=WorkOrderOut.model_validate(result.order), schedule=schedule_out(result.schedule),
                   impact=[RushImpactOut(code=r.pop("order_id"), **r) for r in result.impact.iter_rows(named=True)],
                   became_late=result.became_late)


@router.get("/work-orders/{code}/reports", response_model=list[ReportOut])
def list_reports(session: SessionDep, actor: ActorDep, code: str) -> list[ReportOut]:
    return [ReportOut.model_validate(r) for r in work_orders.list_reports(session, actor, code)]


@router.post("/work-orders/{code}/reports", response_model=ReportOut, status_code=status.HTTP_201_CREATED)
def report_production(session: SessionDep, actor: ActorDep, code: str, body: ReportIn) -> ReportOut:
    """Report output: components are issued and finished goods received at the plant, in one transaction."""
    return ReportOut.model_validate(work_orders.report_production(session, actor, code, body))
