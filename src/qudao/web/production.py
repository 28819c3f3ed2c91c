"""The production page: open work orders (release, rush), the weekly capacity load per resource against
capacity with overloads marked, the schedule of one resource as a Gantt-like chart, and a BOM tree.
Every read and write goes through the production services."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from qudao.api.deps import SessionDep
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.errors import NotFound, QudaoError
from qudao.production import schedule as production_schedule
from qudao.production import service, work_orders
from qudao.production.models import WorkOrderStatus
from qudao.production.schemas import ReportIn
from qudao.web.common import PageActor, PageRoute, reject_nul, render
from qudao.web.masterdata import PostedForm

Code = Annotated[str | None, Query(max_length=40)]
WEEKS = 8
ORDERS_SHOWN = 100


def _load_chart(load: production_schedule.Load) -> dict[str, Any]:
    """Per resource: week labels, load and capacity hours, which weeks are overloaded."""
    charts: dict[str, Any] = {}
    for r in load.rows.iter_rows(named=True):
        c = charts.setdefault(r["resource"], {"weeks": [], "load": [], "capacity": [], "overloaded": []})
        c["weeks"].append(production_schedule.week_label(r["week_start"]))
        c["load"].append(round(r["load_hours"], 2))
        c["capacity"].append(round(r["capacity_hours"], 2))
        c["overloaded"].append(bool(r["overloaded"]))
    return charts


def _gantt(plan: production_schedule.Schedule) -> dict[str, Any]:
    """Bars from start to end position (working days since the start), day labels for the axis."""
    rows = list(plan.orders.iter_rows(named=True))
    return {"days": [d.isoformat() for d in plan.days],
            "orders": [r["order_id"] for r in rows],
            "start": [round(r["start_position"], 4) for r in rows],
            "length": [round(r["end_position"] - r["start_position"], 4) for r in rows],
            "late": [bool(r["late"]) for r in rows], "rush": [bool(r["rush"]) for r in rows]}


def _quantity(text: str | None) -> Decimal:
    try:
        value = Decimal(text or "1")
    except InvalidOperation:
        return Decimal(1)
    return value if value.is_finite() and 0 < value < Decimal("1e9") else Decimal(1)


def _page(request: Request, session: Session, actor: Actor, *, resource: str | None = None,
          sku: str | None = None, quantity: str | None = None, status: str | None = None,
          error: str | None = None, status_code: int = 200) -> HTMLResponse:
    resources = service.list_resources(session, actor, ListParams(page_size=500, sort="code"))[0]
    status = status if status in WorkOrderStatus.__members__ else None
    orders, total = work_orders.list_work_orders(session, actor, ListParams(page_size=ORDERS_SHOWN), status=status)
    load = production_schedule.capacity_load(session, actor, weeks=WEEKS)
    chosen = resource or (resources[0].code if resources else None)
    plan = None
    if chosen:
        try:
            plan = production_schedule.schedule_for(session, actor, chosen)
        except QudaoError as exc:
            if exc.status in (401, 403):
                raise
            error = error or exc.detail
    parents = sorted({line.parent_sku for line in service.list_bom_lines(session, actor,
                                                                         ListParams(page_size=500))[0]})
    bom_sku = sku or (parents[0] if parents else None)
    qty = _quantity(quantity)
    explosion = None
    if bom_sku:
        try:
            explosion = production_schedule.explode_bom(session, actor, bom_sku, qty)[0]
        except QudaoError as exc:
            if exc.status in (401, 403):
                raise
            error = error or exc.detail
    return render(request, "production/page.html", actor, status_code=status_code, resources=resources,
                  orders=orders, total=total, status=status or "", statuses=list(WorkOrderStatus), load=load,
                  load_json=json.dumps(_load_chart(load)), chosen=chosen or "", plan=plan,
                  gantt_json=json.dumps(_gantt(plan)) if plan is not None else "null", parents=parents,
                  bom_sku=bom_sku or "", quantity=qty, explosion=explosion, error=error)


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @pages.get("/production", response_class=HTMLResponse)
    def production_page(request: Request, session: SessionDep, actor: PageActor, resource: Code = None,
                        sku: Code = None, quantity: Annotated[str | None, Query(max_length=20)] = None,
                        status: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
        return _page(request, session, actor, resource=resource, sku=sku, quantity=quantity, status=status)

    @pages.post("/production/work-orders/{code}/report")
    def work_order_report(request: Request, session: SessionDep, actor: PageActor, code: str,
                          form: PostedForm) -> Response:
        """Report output from the page; a refusal (short components) shows the page again with the reason."""
        try:
            data = ReportIn(quantity=str(form.get("quantity") or "").strip() or "0",
                            close=form.get("close") in ("on", "true", "1"))
            work_orders.report_production(session, actor, code, data)
        except (ValidationError, QudaoError) as exc:
            if isinstance(exc, QudaoError) and exc.status in (401, 403):
                raise
            session.rollback()  # nothing of a refused report is kept
            message = exc.detail if isinstance(exc, QudaoError) else "quantity: must be a number greater than 0"
            return _page(request, session, actor, error=message, status_code=409 if isinstance(exc, QudaoError)
                         and exc.status == 409 else 422)
        return RedirectResponse("/production", status_code=303)

    @pages.post("/production/work-orders/{code}/{step}")
    def work_order_step(request: Request, session: SessionDep, actor: PageActor, code: str, step: str,
                        form: PostedForm) -> Response:
        """Release a planned order or make it a rush order, then back to the page."""
        if step == "release":
            order = work_orders.release_work_order(session, actor, code)
        elif step == "rush":
            order = production_schedule.rush_work_order(session, actor, code).order
        else:
            raise NotFound(detail=f"no page step {step}")
        target = f"/production?resource={order.resource_code}" if order.resource_code else "/production"
        return RedirectResponse(target, status_code=303)

    return pages
