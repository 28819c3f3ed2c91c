"""The logistics page: freight shipments with their tracking timelines, route plans with a trip's stop list
and a plot of its coordinates, a freight rate quote, and freight cost and CO2e per channel. Every read goes
through the logistics services (a partner sees its own freight; plans and rate cards are staff's)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from qudao.api.deps import SessionDep
from qudao.common.actor import Actor
from qudao.errors import QudaoError
from qudao.logistics import carriers, queries, routes, tracking
from qudao.logistics.schemas import QuoteIn
from qudao.web.common import PageActor, PageRoute, reject_nul, render

RowId = Annotated[int | None, Query(ge=1, le=2**63 - 1)]
Text = Annotated[str | None, Query(max_length=100)]


def _quote(session: Session, actor: Actor, form: dict[str, str]) -> tuple[Any, str | None]:
    """Rate the consignment typed into the quote form (nothing is stored)."""
    if not (form["origin"] and form["destination"] and form["weight"]):
        return None, None
    try:
        data = QuoteIn(origin_province=form["origin"], destination_province=form["destination"],
                       weight_kg=Decimal(form["weight"]), volume_m3=Decimal(form["volume"] or "0"),
                       promised_date=form["promised"] or None,
                       choose_by="promised_date" if form["promised"] else "cheapest")
        return carriers.quote(session, actor, data), None
    except (ValidationError, InvalidOperation, QudaoError) as exc:
        if isinstance(exc, QudaoError) and exc.status in (401, 403):
            raise
        if isinstance(exc, ValidationError):
            return None, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return None, str(exc) if isinstance(exc, QudaoError) else "weight and volume must be numbers"


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @pages.get("/logistics", response_class=HTMLResponse)
    def logistics_page(request: Request, session: SessionDep, actor: PageActor, freight: RowId = None,
                       plan: RowId = None, trip: RowId = None, origin: Text = None, destination: Text = None,
                       weight: Text = None, volume: Text = None, promised: Text = None) -> HTMLResponse:
        rows = queries.freight_rows(session, actor)
        timeline = tracking.events_of(session, actor, freight) if freight else None
        staff = not actor.is_partner
        plans = routes.list_plans(session, actor, limit=10) if staff else []
        shown_plan = routes.get_plan(session, actor, plan) if staff and plan else (plans[0] if plans else None)
        trip_id = trip or (shown_plan.trips[0].id if shown_plan and shown_plan.trips else None)
        trip_data = queries.trip_view(session, actor, trip_id) if staff and trip_id else None
        form = {"origin": origin or "", "destination": destination or "", "weight": weight or "",
                "volume": volume or "", "promised": promised or ""}
        result, quote_error = _quote(session, actor, form)
        plot = None
        if trip_data:
            plot = {"depot": trip_data["depot"], "stops": [
                {"seq": s["sequence"], "code": s["location"], "lat": s["lat"], "lon": s["lon"]}
                for s in trip_data["stops"]]}
        return render(request, "logistics/page.html", actor, rows=rows, freight_id=freight, timeline=timeline,
                      plans=plans, plan=shown_plan, trip=trip_data, plot_json=json.dumps(plot) if plot else "null",
                      form=form, quote=result, quote_error=quote_error,
                      by_channel=queries.freight_by_channel(session, actor))

    return pages
