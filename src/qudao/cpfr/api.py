"""REST routes for CPFR: partner forecasts (batch, file), comparison and exceptions, consensus and overrides."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from qudao.api.deps import ActorDep, IdPath, ListParamsDep, SessionDep, SettingsDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.common.listing import ListParams, Page
from qudao.cpfr import service
from qudao.cpfr.files import FILE_COLUMNS, import_partner_forecast_file
from qudao.cpfr.queries import LineFilter
from qudao.cpfr.schemas import (
    AcceptResult,
    ComparisonLine,
    ConsensusAcceptIn,
    ConsensusDetail,
    ConsensusOverrideIn,
    CpfrGrain,
    OverrideOut,
    PartnerForecastBatchIn,
    PartnerForecastLineOut,
    SubmissionOut,
)
from qudao.errors import invalid
from qudao.imports.schemas import FileFormat

router = APIRouter(tags=["cpfr"], responses=PROBLEM_RESPONSES)

UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "CSV (UTF-8) or .xlsx with columns " + ", ".join(FILE_COLUMNS)}}}}}}}
Code = Annotated[str | None, Query(max_length=64)]
Pct = Annotated[float | None, Query(ge=0, le=10_000, description="Relative gap that flags a line, in %")]
Units = Annotated[float | None, Query(ge=0, le=1e12, description="Absolute gap that flags a line, in units")]


class SubmissionFileResult(SubmissionOut):
    dry_run: bool


def _thresholds(settings: Any, pct: float | None, units: float | None) -> service.Thresholds:
    return service.invalid_threshold(settings.cpfr_threshold_pct if pct is None else pct,
                                     settings.cpfr_threshold_units if units is None else units)


def _submitted(session: SessionDep, actor: ActorDep, submission_id: int) -> SubmissionOut:
    rows, _ = service.list_submissions(session, actor, ListParams(page_size=1), submission_id=submission_id)
    return SubmissionOut(**rows[0])


@router.post("/partner-forecasts", response_model=SubmissionOut, status_code=status.HTTP_201_CREATED)
def submit_partner_forecast(session: SessionDep, actor: ActorDep, body: PartnerForecastBatchIn) -> SubmissionOut:
    """A new version of the partner's forecast: all or nothing, errors name ``rows[i]``; a partner user
    submits for its own locations, staff for one partner's locations per batch."""
    submission = service.submit_partner_forecast(session, actor, body.rows)
    return _submitted(session, actor, submission.id)


@router.post("/partner-forecasts/file", response_model=SubmissionFileResult, openapi_extra=UPLOAD_BODY)
async def upload_partner_forecast(
    request: Request, session: SessionDep, actor: ActorDep, settings: SettingsDep,
    dry_run: Annotated[bool, Query(description="Validate only; write nothing")] = False,
    format: Annotated[FileFormat | None, Query(description="Defaults to the file name's extension")] = None,
) -> SubmissionFileResult:
    """The same rules as ``POST /partner-forecasts`` for a CSV or Excel file; errors name the file line."""
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise invalid("file", "send the file as the multipart/form-data field 'file'")
    content = await upload.read(settings.import_max_bytes + 1)
    filename = upload.filename or "upload.csv"

    def run() -> SubmissionFileResult:
        submission, rows = import_partner_forecast_file(
            session, actor, content, filename, file_format=format, max_bytes=settings.import_max_bytes,
            max_rows=settings.import_max_rows, dry_run=dry_run)
        if submission is None:
            return SubmissionFileResult(id=0, partner_code="", version=0, source="file", filename=filename,
                                        rows=rows, submitted_by=actor.username, submitted_at=service.utcnow(),
                                        dry_run=True)
        return SubmissionFileResult(**_submitted(session, actor, submission.id).model_dump(), dry_run=False)

    return await run_in_threadpool(run)


@router.get("/partner-forecasts", response_model=Page[SubmissionOut])
def list_partner_forecasts(session: SessionDep, actor: ActorDep, params: ListParamsDep,
                           partner: Code = None) -> Page[SubmissionOut]:
    """Submitted versions, newest first (a partner user sees its own organisation's)."""
    rows, total = service.list_submissions(session, actor, params, partner_code=partner)
    return Page(items=[SubmissionOut(**r) for r in rows], total=total, page=params.page, page_size=params.page_size)


@router.get("/partner-forecasts/{submission_id}/lines", response_model=list[PartnerForecastLineOut])
def partner_forecast_lines(session: SessionDep, actor: ActorDep, submission_id: IdPath
                           ) -> list[PartnerForecastLineOut]:
    """The lines of one version, as sent."""
    return [PartnerForecastLineOut(**r) for r in service.submission_lines(session, actor, submission_id)]


def _filter(sku: str | None, location: str | None, channel: str | None, partner: str | None,
            grain: CpfrGrain | None, start: date | None, end: date | None) -> LineFilter:
    return LineFilter(sku=sku, location=location, channel=channel, partner=partner,
                      grain=grain.value if grain else None, start=start, end=end)


@router.get("/cpfr/comparison", response_model=Page[ComparisonLine])
def comparison(session: SessionDep, actor: ActorDep, settings: SettingsDep, params: ListParamsDep,
               exceptions_only: bool = False, threshold_pct: Pct = None, threshold_units: Units = None,
               sku: Code = None, location: Code = None, channel: Code = None, partner: Code = None,
               grain: CpfrGrain | None = None, start: date | None = None, end: date | None = None
               ) -> Page[ComparisonLine]:
    """Partner vs statistical forecast per line, exceptions first (``exceptions_only`` for just those).
    Thresholds default to the settings ``QUDAO_CPFR_THRESHOLD_PCT`` / ``QUDAO_CPFR_THRESHOLD_UNITS``."""
    rows, total = service.comparison_rows(session, actor, params, _filter(sku, location, channel, partner, grain,
                                                                          start, end),
                                          _thresholds(settings, threshold_pct, threshold_units),
                                          exceptions_only=exceptions_only)
    return Page(items=[ComparisonLine(**r) for r in rows], total=total, page=params.page, page_size=params.page_size)


@router.get("/consensus", response_model=Page[ComparisonLine])
def list_consensus(session: SessionDep, actor: ActorDep, settings: SettingsDep, params: ListParamsDep,
                   sku: Code = None, location: Code = None, channel: Code = None, partner: Code = None,
                   grain: CpfrGrain | None = None, start: date | None = None, end: date | None = None
                   ) -> Page[ComparisonLine]:
    """The consensus per line, by period (override, else statistical, else the partner's number)."""
    f = _filter(sku, location, channel, partner, grain, start, end)
    frame = service.comparison_frame(session, actor, f, _thresholds(settings, None, None))
    page = frame.slice((params.page - 1) * params.page_size, params.page_size)
    return Page(items=[ComparisonLine(**r) for r in page.to_dicts()], total=frame.height, page=params.page,
                page_size=params.page_size)


@router.post("/consensus/accept", response_model=AcceptResult)
def accept_consensus(session: SessionDep, actor: ActorDep, body: ConsensusAcceptIn) -> AcceptResult:
    """Bulk: adopt the partner's numbers, or return the lines to the statistical default (reason required)."""
    return AcceptResult(accepted=service.accept_consensus(session, actor, body))


@router.get("/consensus/{line_id}", response_model=ConsensusDetail)
def get_consensus(session: SessionDep, actor: ActorDep, settings: SettingsDep, line_id: IdPath) -> ConsensusDetail:
    row = service.consensus_line(session, actor, line_id, _thresholds(settings, None, None))
    overrides = [OverrideOut.model_validate(o) for o in row.pop("overrides")]
    return ConsensusDetail(**row, overrides=overrides)


@router.put("/consensus/{line_id}", response_model=ConsensusDetail)
def override_consensus(session: SessionDep, actor: ActorDep, settings: SettingsDep, line_id: IdPath,
                       body: ConsensusOverrideIn) -> ConsensusDetail:
    """Override a line's consensus quantity; the reason is required and kept with who, when, old and new."""
    service.override_consensus(session, actor, line_id, body)
    return get_consensus(session, actor, settings, line_id)
