"""REST routes for demand: sell-through intake, retail events, history, event uplift, new-product profiles."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from qudao.api.deps import ActorDep, ListParamsDep, SessionDep, SettingsDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.common.listing import Page
from qudao.demand import queries, service
from qudao.demand.schemas import (
    EventUpliftOut,
    HistoryPoint,
    NewProductForecastOut,
    NewProductProfileIn,
    NewProductProfileOut,
    RetailEventCreate,
    RetailEventOut,
    RetailEventUpdate,
    SellThroughBatchIn,
    SellThroughResult,
)
from qudao.errors import invalid
from qudao.imports.schemas import FileFormat

router = APIRouter(tags=["demand"], responses=PROBLEM_RESPONSES)

UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "CSV (UTF-8) or .xlsx with columns sku, location_code, channel_code, "
                                           "day, quantity, revenue, on_promotion, stockout"}}}}}}}


class SellThroughFileResult(SellThroughResult):
    file: str
    dry_run: bool


@router.post("/sell-through", response_model=SellThroughResult, status_code=status.HTTP_201_CREATED)
def post_sell_through(session: SessionDep, actor: ActorDep, body: SellThroughBatchIn) -> SellThroughResult:
    """Store a batch of daily sell-through rows: all or nothing; a stored (SKU, location, channel, day) is
    replaced by the new row; a partner user submits for its own locations only."""
    written = service.record_sell_through(session, actor, body.rows)
    return SellThroughResult(rows=written.rows, created=written.created, replaced=written.replaced)


@router.post("/sell-through/file", response_model=SellThroughFileResult, openapi_extra=UPLOAD_BODY)
async def upload_sell_through(
    request: Request, session: SessionDep, actor: ActorDep, settings: SettingsDep,
    dry_run: Annotated[bool, Query(description="Validate only; write nothing")] = False,
    format: Annotated[FileFormat | None, Query(description="Defaults to the file name's extension")] = None,
) -> SellThroughFileResult:
    """The same rules as ``POST /sell-through`` for a CSV or Excel file; errors name the file line."""
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise invalid("file", "send the file as the multipart/form-data field 'file'")
    content = await upload.read(settings.import_max_bytes + 1)
    filename = upload.filename or "upload.csv"

    def run() -> SellThroughFileResult:
        written, rows = service.import_sell_through_file(
            session, actor, content, filename, file_format=format, max_bytes=settings.import_max_bytes,
            max_rows=settings.import_max_rows, dry_run=dry_run)
        return SellThroughFileResult(rows=rows, created=written.created, replaced=written.replaced, file=filename,
                                     dry_run=dry_run)

    return await run_in_threadpool(run)


@router.get("/retail-events", response_model=Page[RetailEventOut])
def list_retail_events(session: SessionDep, actor: ActorDep, params: ListParamsDep, kind: str | None = None,
                       channel: str | None = None, start: date | None = None,
                       end: date | None = None) -> Page[RetailEventOut]:
    rows, total = service.list_retail_events(session, actor, params, kind=kind, channel_code=channel, start=start,
                                             end=end)
    return Page(items=[service.event_out(session, r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.post("/retail-events", response_model=RetailEventOut, status_code=status.HTTP_201_CREATED)
def create_retail_event(session: SessionDep, actor: ActorDep, body: RetailEventCreate) -> RetailEventOut:
    return service.event_out(session, service.create_retail_event(session, actor, body))


@router.get("/retail-events/{code}", response_model=RetailEventOut)
def get_retail_event(session: SessionDep, actor: ActorDep, code: str) -> RetailEventOut:
    return service.event_out(session, service.get_retail_event(session, actor, code))


@router.patch("/retail-events/{code}", response_model=RetailEventOut)
def update_retail_event(session: SessionDep, actor: ActorDep, code: str, body: RetailEventUpdate) -> RetailEventOut:
    return service.event_out(session, service.update_retail_event(session, actor, code, body))


@router.delete("/retail-events/{code}", status_code=status.HTTP_204_NO_CONTENT)
def delete_retail_event(session: SessionDep, actor: ActorDep, code: str) -> Response:
    service.delete_retail_event(session, actor, code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/demand/history", response_model=list[HistoryPoint])
def demand_history(session: SessionDep, actor: ActorDep, sku: str | None = None, location: str | None = None,
                   channel: str | None = None, grain: Literal["day", "week", "month"] = "day",
                   start: date | None = None, end: date | None = None,
                   limit: Annotated[int, Query(ge=1, le=queries.MAX_POINTS)] = 10_000) -> list[HistoryPoint]:
    """Demand per SKU x location x channel x period (sell-through plus order lines), stockout-flagged."""
    return queries.history_points(session, actor, sku=sku, location_code=location, channel_code=channel,
                                  grain=grain, start=start, end=end, limit=limit)


@router.get("/demand/event-uplift", response_model=list[EventUpliftOut])
def event_uplift(session: SessionDep, actor: ActorDep, start: date | None = None, end: date | None = None,
                 channel: str | None = None, baseline_days: Annotated[int, Query(ge=1, le=365)] = 28,
                 live: Annotated[bool, Query(description="Learn now even when stored figures exist")] = False
                 ) -> list[EventUpliftOut]:
    """Uplift per event kind against a local baseline (event and stockout days left out): the stored
    figures (``computed_at`` set) when there are any and no window is asked for, else learnt now."""
    if not live and start is None and end is None and baseline_days == 28:
        stored = service.stored_event_uplift(session, actor, channel_code=channel)
        if stored:
            return stored
    return service.event_uplift(session, actor, start=start, end=end, channel_code=channel,
                                baseline_days=baseline_days)


@router.post("/demand/event-uplift/refresh", response_model=list[EventUpliftOut])
def refresh_event_uplift(session: SessionDep, actor: ActorDep, start: date | None = None, end: date | None = None,
                         channel: str | None = None, baseline_days: Annotated[int, Query(ge=1, le=365)] = 28
                         ) -> list[EventUpliftOut]:
    """Learn the uplift from history now and store it for pages and forecast runs (staff only)."""
    return service.refresh_event_uplift(session, actor, start=start, end=end, channel_code=channel,
                                        baseline_days=baseline_days)


@router.get("/demand/new-product-profiles", response_model=Page[NewProductProfileOut])
def list_new_product_profiles(session: SessionDep, actor: ActorDep, params: ListParamsDep
                              ) -> Page[NewProductProfileOut]:
    rows, total = service.list_new_product_profiles(session, actor, params)
    return Page(items=[service.profile_out(session, r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.put("/demand/new-product-profiles/{sku}", response_model=NewProductProfileOut)
def set_new_product_profile(session: SessionDep, actor: ActorDep, sku: str, body: NewProductProfileIn
                            ) -> NewProductProfileOut:
    """Forecast ``sku`` from an analogue SKU (scaled) or from its category's average per-SKU launch curve."""
    return service.profile_out(session, service.set_new_product_profile(session, actor, sku, body))


@router.get("/demand/new-product-profiles/{sku}", response_model=NewProductProfileOut)
def get_new_product_profile(session: SessionDep, actor: ActorDep, sku: str) -> NewProductProfileOut:
    return service.profile_out(session, service.get_new_product_profile(session, actor, sku))


@router.get("/demand/new-product-profiles/{sku}/forecast", response_model=NewProductForecastOut)
def new_product_forecast(session: SessionDep, actor: ActorDep, sku: str,
                         horizon: Annotated[int, Query(ge=1, le=730)] = 28,
                         start: date | None = None) -> NewProductForecastOut:
    return service.forecast_new_product(session, actor, sku, horizon=horizon, start=start)


