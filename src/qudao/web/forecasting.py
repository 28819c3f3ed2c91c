"""The forecasting page: runs (started here, polled while they run), a chart of history, forecast and 80/95%
intervals for a SKU or any roll-up, and the accuracy trend. Reads and writes go through the forecasting area."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from qudao.api.deps import SessionDep, SettingsDep
from qudao.catalog import service as catalog
from qudao.channels import service as channels
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.errors import NotFound, QudaoError
from qudao.forecasting import queries, runner, service
from qudao.forecasting.accuracy import measure_accuracy
from qudao.forecasting.queries import SeriesFilter
from qudao.forecasting.schemas import ForecastRunCreate
from qudao.locations import service as locations
from qudao.web.common import PageActor, PageRoute, reject_nul, render
from qudao.web.masterdata import PostedForm

RUNS_SHOWN = 10
REF_PAGE_SIZE = 500
Code = Annotated[str | None, Query(max_length=40)]
Brand = Annotated[str | None, Query(max_length=100)]
GrainQuery = Annotated[str, Query(pattern="^(day|week|month)$")]
ByQuery = Annotated[str, Query(pattern="^(all|class|channel|sku)$")]
RunId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _runs(session: Session, actor: Actor) -> dict[str, Any]:
    rows, total = service.list_runs(session, actor, ListParams(page_size=RUNS_SHOWN))
    return {"runs": rows, "runs_total": total, "active": any(r.status in ("queued", "running") for r in rows)}


def _chart(session: Session, actor: Actor, f: SeriesFilter, grain: str) -> dict[str, Any] | None:
    """History and forecast points for ECharts, or None when no run has forecast these series yet."""
    try:
        found = queries.forecast_for(session, actor, f, grain, with_history=True)
    except NotFound:
        return None
    dates = sorted({p["ds"] for p in found["history"]} | {p["ds"] for p in found["points"]})
    history = {p["ds"]: p["y"] for p in found["history"]}
    ahead = {p["ds"]: p for p in found["points"]}

    def column(key: str) -> list[float | None]:
        return [round(ahead[d][key], 3) if d in ahead else None for d in dates]

    lo80, hi80, lo95, hi95 = column("lo_80"), column("hi_80"), column("lo_95"), column("hi_95")
    return {"run_id": found["run_id"], "series": found["series"], "intervals": found["intervals"],
            "dates": [d.isoformat() for d in dates],
            "history": [history.get(d) for d in dates], "forecast": column("forecast"),
            "lo80": lo80, "band80": [None if a is None else round(b - a, 3) for a, b in zip(lo80, hi80, strict=True)],
            "lo95": lo95, "band95": [None if a is None else round(b - a, 3) for a, b in zip(lo95, hi95, strict=True)]}


def _page(request: Request, session: Session, actor: Actor, *, grain: str, f: SeriesFilter, by: str,
          error: str | None = None, status_code: int = 200) -> HTMLResponse:
    params = ListParams(page_size=REF_PAGE_SIZE)
    chart = _chart(session, actor, f, grain)
    return render(request, "forecasting/page.html", actor, status_code=status_code, grain=grain, f=f, by=by,
                  error=error, chart=chart, chart_json=json.dumps(chart) if chart else "null",
                  trend=queries.accuracy_trend(session, actor, by, grain),
                  locations=locations.list_locations(session, actor, params)[0],
                  channels=channels.list_channels(session, actor, params)[0],
                  categories=catalog.list_categories(session, actor, params)[0], **_runs(session, actor))


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @pages.get("/forecasting", response_class=HTMLResponse)
    def forecasting_page(request: Request, session: SessionDep, actor: PageActor, grain: GrainQuery = "week",
                         sku: Code = None, category: Code = None, brand: Brand = None, location: Code = None,
                         channel: Code = None, by: ByQuery = "class") -> HTMLResponse:
        f = SeriesFilter(sku=sku or None, category=category or None, brand=brand or None, location=location or None,
                         channel=channel or None)
        return _page(request, session, actor, grain=grain, f=f, by=by)

    @pages.get("/forecasting/runs", response_class=HTMLResponse)
    def runs_fragment(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
        """The runs table alone (htmx polls it while a run is queued or running)."""
        return render(request, "forecasting/_runs.html", actor, **_runs(session, actor))

    @pages.post("/forecasting/runs")
    def start_run(request: Request, background: BackgroundTasks, session: SessionDep, settings: SettingsDep,
                  actor: PageActor, form: PostedForm) -> Response:
        grain = str(form.get("grain") or "week")
        skus = [s.strip() for s in str(form.get("skus") or "").replace(",", " ").split() if s.strip()]
        try:
            data = ForecastRunCreate(grain=grain, horizon=str(form.get("horizon") or "13"), skus=skus,
                                     reconcile=str(form.get("reconcile") or "none"))
            run = service.start_run(session, actor, data)
            session.flush()
        except (ValidationError, QudaoError) as exc:
            if isinstance(exc, QudaoError) and exc.status in (401, 403):
                raise
            session.rollback()
            message = (str(exc) if isinstance(exc, QudaoError) else
                       "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
            safe_grain = grain if grain in ("day", "week", "month") else "week"
            return _page(request, session, actor, grain=safe_grain, f=SeriesFilter(), by="class", error=message,
                         status_code=422)
        background.add_task(runner.launch, request.app.state.session_factory, actor, run.id,
                            settings.dask_scheduler)
        return RedirectResponse(f"/forecasting?grain={data.grain}", status_code=303)

    @pages.post("/forecasting/runs/{run_id}/accuracy")
    def measure_run(request: Request, session: SessionDep, actor: PageActor, run_id: RunId,
                    form: PostedForm) -> Response:
        """Score a run against the actuals that have arrived; a run without actuals yet shows why."""
        try:
            measure_accuracy(session, actor, run_id)
        except QudaoError as exc:
            if exc.status in (401, 403, 404):
                raise
            session.rollback()
            return _page(request, session, actor, grain="week", f=SeriesFilter(), by="class", error=str(exc),
                         status_code=exc.status)
        run = service.get_run(session, actor, run_id)
        return RedirectResponse(f"/forecasting?grain={run.grain}&by=class", status_code=303)

    return pages
