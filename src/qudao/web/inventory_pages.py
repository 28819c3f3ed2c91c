"""Stock pages: balances by SKU x location and the movement ledger (text search on SKU and name, location
and category filters), lots with expiry in first-expiry-first-out order, inventory value at a past date,
and stock health analytics. All reads go through the inventory read models and analytics service; a
partner user sees its own locations only (the services scope it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from qudao.api.deps import SessionDep
from qudao.catalog import service as catalog
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.db import utcnow
from qudao.errors import QudaoError
from qudao.inventory import analytics
from qudao.inventory import queries as inventory_queries
from qudao.inventory.models import MovementType
from qudao.locations import service as locations
from qudao.web.common import PageActor, PageRoute, is_htmx, reject_nul, render
from qudao.web.forms import FormState
from qudao.web.ops_forms import PAGE_SIZE, REF_PAGE_SIZE, Code, PageNo, Search, end_of_day, page_count

Choice = Annotated[str | None, Query(max_length=30)]
DateText = Annotated[str | None, Query(max_length=10)]
Days = Annotated[int, Query(ge=0, le=3660)]
MAX_HEALTH_ROWS = 500


def filter_options(session: Session, actor: Actor) -> dict[str, list[Any]]:
    """Locations (a partner's own) and categories for the filter drop-downs."""
    params = ListParams(page_size=REF_PAGE_SIZE)
    return {"locations": locations.list_locations(session, actor, params)[0],
            "categories": catalog.list_categories(session, actor, params)[0]}


def _refused(exc: QudaoError, values: dict[str, Any]) -> FormState:
    """A read refused for a bad filter (422) is shown next to that filter, other errors as the error page."""
    if exc.status != 422:
        raise exc
    state = FormState(values=values)
    for item in exc.errors:
        state.errors.setdefault(item.field, item.reason)
    if not exc.errors:
        state.message = exc.detail
    return state


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @pages.get("/inventory", response_class=HTMLResponse)
    def stock_page(request: Request, session: SessionDep, actor: PageActor, q: Search = None, sku: Code = None,
                   location: Code = None, category: Code = None, page: PageNo = 1) -> HTMLResponse:
        values = {"q": q or "", "sku": sku or "", "location": location or "", "category": category or ""}
        state, status, rows, total = FormState(values=values), 200, [], 0
        try:
            rows, total = inventory_queries.list_balances(
                session, actor, ListParams(page=page, page_size=PAGE_SIZE), sku=sku or None, text=q or None,
                location=location or None, category=category or None)
        except QudaoError as exc:
            state, status = _refused(exc, values), 422
        template = "inventory/_balances.html" if is_htmx(request) else "inventory/balances.html"
        return render(request, template, actor, status_code=status, rows=rows, total=total, page=page,
                      pages=page_count(total), st=state, **values, **filter_options(session, actor))

    @pages.get("/inventory/movements", response_class=HTMLResponse)
    def movements_page(request: Request, session: SessionDep, actor: PageActor, q: Search = None, sku: Code = None,
                       location: Code = None, category: Code = None, movement_type: Choice = None,
                       page: PageNo = 1) -> HTMLResponse:
        values = {"q": q or "", "sku": sku or "", "location": location or "", "category": category or "",
                  "movement_type": movement_type or ""}
        state, status, rows, total = FormState(values=values), 200, [], 0
        try:
            rows, total = inventory_queries.list_movements(
                session, actor, ListParams(page=page, page_size=PAGE_SIZE), sku=sku or None, text=q or None,
                location=location or None, category=category or None, movement_type=movement_type or None)
        except QudaoError as exc:
            state, status = _refused(exc, values), 422
        template = "inventory/_movements.html" if is_htmx(request) else "inventory/movements.html"
        return render(request, template, actor, status_code=status, rows=rows, total=total, page=page,
                      pages=page_count(total), st=state, types=MovementType.ALL, **values,
                      **filter_options(session, actor))

    @pages.get("/inventory/lots", response_class=HTMLResponse)
    def lots_page(request: Request, session: SessionDep, actor: PageActor, sku: Code = None,
                  location: Code = None) -> HTMLResponse:
        rows = inventory_queries.list_lots(session, actor, sku=sku or None, location=location or None)
        return render(request, "inventory/lots.html", actor, rows=rows, sku=sku or "", location=location or "",
                      today=utcnow().date(), **filter_options(session, actor))

    @pages.get("/inventory/valuation", response_class=HTMLResponse)
    def valuation_page(request: Request, session: SessionDep, actor: PageActor, as_of: DateText = None,
                       group_by: Choice = "location") -> HTMLResponse:
        values = {"as_of": as_of or "", "group_by": group_by or "location"}
        state, status, result = FormState(values=values), 200, None
        try:
            result = inventory_queries.valuation(session, actor, as_of=end_of_day(as_of or "", "as_of"),
                                                 group_by=group_by or "location")
        except QudaoError as exc:
            state, status = _refused(exc, values), 422
        return render(request, "inventory/valuation.html", actor, status_code=status, result=result, st=state,
                      groups=inventory_queries.VALUATION_GROUPS)

    @pages.get("/inventory/analytics", response_class=HTMLResponse)
    def analytics_page(request: Request, session: SessionDep, actor: PageActor, group_by: Choice = "location",
                       location: Code = None, category: Code = None, window_days: Days = 90,
                       lead_time_days: Days = 14, excess_days: Days = 180,
                       alerts: Annotated[str | None, Query(max_length=5)] = None) -> HTMLResponse:
        values = {"group_by": group_by or "location", "location": location or "", "category": category or "",
                  "window_days": window_days, "lead_time_days": lead_time_days, "excess_days": excess_days,
                  "alerts": bool(alerts)}
        state, status, health = FormState(values=values), 200, None
        try:
            health = analytics.stock_health(session, actor, window_days=window_days, lead_time_days=lead_time_days,
                                            excess_days=excess_days, group_by=group_by or "location",
                                            location=location or None, category=category or None)
        except QudaoError as exc:
            state, status = _refused(exc, values), 422
        rows = health.rows if health else []
        if alerts:  # only the rows that need someone: below reorder point, dead or excess
            rows = [r for r in rows if r.below_reorder_point or r.dead or r.excess]
        return render(request, "inventory/analytics.html", actor, status_code=status, health=health,
                      rows=rows[:MAX_HEALTH_ROWS], more=max(0, len(rows) - MAX_HEALTH_ROWS), st=state,
                      group_choices=analytics.GROUPS, **values, **filter_options(session, actor))

    return pages
