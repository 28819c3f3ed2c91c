"""The segments page (staff only): start a segmentation run, the tier / RFM segment distribution of the latest
run (ECharts), and the filterable customer list with a CSV export of the same filter."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from qudao.api.deps import SessionDep
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.errors import NotFound, QudaoError, invalid
from qudao.segments import queries, runner, service
from qudao.segments.queries import SegmentFilter
from qudao.segments.schemas import SegmentationRunCreate
from qudao.web.common import PageActor, PageRoute, reject_nul, render
from qudao.web.masterdata import PostedForm

Tier = Annotated[str | None, Query(pattern="^(|high|middle|low)$")]
Rfm = Annotated[str | None, Query(pattern="^(|[1-5]{3})$")]
Segment = Annotated[str | None, Query(max_length=30)]
ChurnMin = Annotated[str | None, Query(max_length=20)]  # the form sends "" when left empty


def _filter(tier: str | None, rfm: str | None, segment: str | None, churn_min: str | None) -> SegmentFilter:
    risk = None
    if churn_min:
        try:
            risk = float(churn_min)
        except ValueError:
            raise invalid("churn_min", "must be a number between 0 and 1") from None
        if not 0 <= risk <= 1:
            raise invalid("churn_min", "must be a number between 0 and 1")
    return SegmentFilter(tier=tier or None, rfm=rfm or None, segment=segment or None, churn_min=risk)


def _page(request: Request, session: Session, actor: Actor, f: SegmentFilter, *, error: str | None = None,
          status_code: int = 200) -> HTMLResponse:
    runs, _ = service.list_runs(session, actor, ListParams(page_size=10))
    try:
        dist: dict[str, Any] | None = queries.distribution(session, actor)
        rows, total = queries.list_segments(session, actor, f, ListParams(page_size=100))
    except NotFound:
        dist, rows, total = None, [], 0
    export = "&".join(f"{k}={v}" for k, v in (("tier", f.tier), ("rfm", f.rfm), ("segment", f.segment),
                                              ("churn_min", f.churn_min)) if v is not None)
    return render(request, "segments/page.html", actor, status_code=status_code, runs=runs, dist=dist,
                  dist_json=json.dumps(dist) if dist else "null", rows=rows, total=total, f=f, error=error,
                  export_query=export, today=date.today().isoformat(),
                  active=any(r.status in ("queued", "running") for r in runs))


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @pages.get("/segments", response_class=HTMLResponse)
    def segments_page(request: Request, session: SessionDep, actor: PageActor, tier: Tier = None, rfm: Rfm = None,
                      segment: Segment = None, churn_min: ChurnMin = None) -> HTMLResponse:
        return _page(request, session, actor, _filter(tier, rfm, segment, churn_min))

    @pages.get("/segments/export.csv")
    def export(session: SessionDep, actor: PageActor, tier: Tier = None, rfm: Rfm = None, segment: Segment = None,
               churn_min: ChurnMin = None) -> Response:
        chunks = list(queries.export_csv(session, actor, _filter(tier, rfm, segment, churn_min)))
        return StreamingResponse(iter(chunks), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": 'attachment; filename="customer-segments.csv"'})

    @pages.post("/segments/runs")
    def start_run(request: Request, background: BackgroundTasks, session: SessionDep, actor: PageActor,
                  form: PostedForm) -> Response:
        try:
            data = SegmentationRunCreate(as_of=str(form.get("as_of") or "") or None,
                                         with_clv=form.get("with_clv") == "on")
            run = service.start_run(session, actor, data)
            session.flush()
        except (ValidationError, QudaoError) as exc:
            if isinstance(exc, QudaoError) and exc.status in (401, 403):
                raise
            session.rollback()
            message = (str(exc) if isinstance(exc, QudaoError) else
                       "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
            return _page(request, session, actor, SegmentFilter(), error=message, status_code=422)
        background.add_task(runner.launch, request.app.state.session_factory, actor, run.id)
        return RedirectResponse("/segments", status_code=303)

    return pages
