"""The CPFR page: exceptions first (partner vs statistical forecast beyond the thresholds) with an override
form and a bulk accept, every line (a partner user sees its own), the submitted versions and an upload form,
and the learnt event uplift per event type. Reads and writes go through the cpfr and demand areas."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from qudao.api.deps import SessionDep, SettingsDep
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.config import Settings
from qudao.cpfr import service
from qudao.cpfr.files import FILE_COLUMNS, import_partner_forecast_file
from qudao.cpfr.queries import LineFilter
from qudao.cpfr.schemas import ConsensusAcceptIn, ConsensusOverrideIn
from qudao.demand.service import stored_event_uplift
from qudao.errors import QudaoError
from qudao.web.common import PageActor, PageRoute, reject_nul, render
from qudao.web.masterdata import PostedForm

SHOWN = 200
NOTICES = ("override", "accept", "upload")
Code = Annotated[str | None, Query(max_length=64)]
Pct = Annotated[float | None, Query(ge=0, le=10_000)]
Units = Annotated[float | None, Query(ge=0, le=1e12)]
LineId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    assert isinstance(exc, QudaoError)
    rows = [f"{e.field}{f' (row {e.row})' if e.row is not None else ''}: {e.reason}" for e in exc.errors[:20]]
    return "; ".join([str(exc.detail), *rows])


def _page(request: Request, session: Session, actor: Actor, settings: Settings, *, sku: str | None = None,
          partner: str | None = None, pct: float | None = None, units: float | None = None,
          error: str | None = None, notice: str | None = None, status_code: int = 200) -> HTMLResponse:
    thresholds = service.invalid_threshold(settings.cpfr_threshold_pct if pct is None else pct,
                                           settings.cpfr_threshold_units if units is None else units)
    f = LineFilter(sku=sku or None, partner=partner or None)
    frame = service.comparison_frame(session, actor, f, thresholds)
    exceptions = frame.filter(frame["exception"])
    submissions, versions = service.list_submissions(session, actor, ListParams(page_size=20))
    return render(request, "cpfr/page.html", actor, status_code=status_code, error=error, notice=notice,
                  sku=sku or "", partner=partner or "", thresholds=thresholds,
                  exceptions=exceptions.head(SHOWN).to_dicts(), exceptions_total=exceptions.height,
                  lines=frame.head(SHOWN).to_dicts(), lines_total=frame.height, submissions=submissions,
                  versions=versions, columns=", ".join(FILE_COLUMNS), uplift=stored_event_uplift(session, actor))


def _refused(request: Request, session: Session, actor: Actor, settings: Settings, exc: Exception) -> HTMLResponse:
    if isinstance(exc, QudaoError) and exc.status in (401, 403, 404):
        raise exc
    session.rollback()  # nothing of a refused change is kept
    return _page(request, session, actor, settings, error=_message(exc), status_code=422)


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @pages.get("/cpfr", response_class=HTMLResponse)
    def cpfr_page(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor, sku: Code = None,
                  partner: Code = None, threshold_pct: Pct = None, threshold_units: Units = None,
                  done: Code = None) -> HTMLResponse:
        return _page(request, session, actor, settings, sku=sku, partner=partner, pct=threshold_pct,
                     units=threshold_units, notice=done if done in NOTICES else None)

    @pages.post("/cpfr/consensus/{line_id}")
    def override(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor, line_id: LineId,
                 form: PostedForm) -> Response:
        try:
            data = ConsensusOverrideIn(quantity=str(form.get("quantity") or ""), reason=str(form.get("reason") or ""))
            service.override_consensus(session, actor, line_id, data)
        except (ValidationError, QudaoError) as exc:
            return _refused(request, session, actor, settings, exc)
        return RedirectResponse("/cpfr?done=override", status_code=303)

    @pages.post("/cpfr/accept")
    def accept(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
               form: PostedForm) -> Response:
        try:
            ids = [int(v) for v in form.getlist("ids") if str(v).isdigit()]
            data = ConsensusAcceptIn(ids=ids, source=str(form.get("source") or ""),
                                     reason=str(form.get("reason") or ""))
            service.accept_consensus(session, actor, data)
        except (ValidationError, QudaoError) as exc:
            return _refused(request, session, actor, settings, exc)
        return RedirectResponse("/cpfr?done=accept", status_code=303)

    @pages.post("/cpfr/upload")
    async def upload(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                     form: PostedForm) -> Response:
        upload = form.get("file")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise service.invalid("file", "choose a CSV or Excel file")
            content = await upload.read(settings.import_max_bytes + 1)
            await run_in_threadpool(import_partner_forecast_file, session, actor, content, upload.filename,
                                    max_bytes=settings.import_max_bytes, max_rows=settings.import_max_rows,
                                    source="web")
        except (ValidationError, QudaoError) as exc:
            return _refused(request, session, actor, settings, exc)
        return RedirectResponse("/cpfr?done=upload", status_code=303)

    return pages


