"""REST routes for forecast runs, their values and accuracy, and the latest forecasts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response, status

from qudao.api.deps import ActorDep, IdPath, ListParamsDep, SessionDep, SettingsDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.common.listing import Page
from qudao.forecasting import queries, runner, service
from qudao.forecasting.accuracy import measure_accuracy
from qudao.forecasting.models import Grain, RunStatus
from qudao.forecasting.queries import SeriesFilter
from qudao.forecasting.schemas import (
    AccuracyOut,
    AccuracyTrendOut,
    ForecastOut,
    ForecastRunCreate,
    ForecastRunOut,
    ForecastValueOut,
)

router = APIRouter(tags=["forecasting"], responses=PROBLEM_RESPONSES)
CodeQuery = Annotated[str | None, Query(min_length=1, max_length=40)]
BrandQuery = Annotated[str | None, Query(min_length=1, max_length=100)]


@router.post("/forecast-runs", response_model=ForecastRunOut, status_code=status.HTTP_202_ACCEPTED)
def start_forecast_run(request: Request, response: Response, background: BackgroundTasks, session: SessionDep,
                       actor: ActorDep, settings: SettingsDep, body: ForecastRunCreate) -> ForecastRunOut:
    """Queue a run; it executes in the background (after this request commits). Poll the Location."""
    run = service.start_run(session, actor, body)
    session.flush()
    response.headers["Location"] = f"/api/v1/forecast-runs/{run.id}"
    background.add_task(runner.launch, request.app.state.session_factory, actor, run.id, settings.dask_scheduler)
    return ForecastRunOut.model_validate(run)


@router.get("/forecast-runs", response_model=Page[ForecastRunOut])
def list_forecast_runs(session: SessionDep, actor: ActorDep, params: ListParamsDep, status: RunStatus | None = None,
                       grain: Grain | None = None) -> Page[ForecastRunOut]:
    rows, total = service.list_runs(session, actor, params, status=status, grain=grain)
    return Page(items=[ForecastRunOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.get("/forecast-runs/{run_id}", response_model=ForecastRunOut)
def get_forecast_run(session: SessionDep, actor: ActorDep, run_id: IdPath) -> ForecastRunOut:
    return ForecastRunOut.model_validate(service.get_run(session, actor, run_id))


@router.get("/forecast-runs/{run_id}/values", response_model=Page[ForecastValueOut])
def list_forecast_values(session: SessionDep, actor: ActorDep, params: ListParamsDep, run_id: IdPath,
                         sku: CodeQuery = None, location: CodeQuery = None, channel: CodeQuery = None,
                         ds_from: date | None = None, ds_to: date | None = None) -> Page[ForecastValueOut]:
    rows, total = queries.list_values(session, actor, run_id, params,
                                      SeriesFilter(sku=sku, location=location, channel=channel), ds_from, ds_to)
    return Page(items=[ForecastValueOut(**r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.get("/forecast-runs/{run_id}/accuracy", response_model=Page[AccuracyOut])
def list_forecast_accuracy(session: SessionDep, actor: ActorDep, params: ListParamsDep, run_id: IdPath,
                           sku: CodeQuery = None, location: CodeQuery = None,
                           channel: CodeQuery = None) -> Page[AccuracyOut]:
    rows, total = queries.list_accuracy(session, actor, run_id, params,
                                        SeriesFilter(sku=sku, location=location, channel=channel))
    return Page(items=[AccuracyOut(**r) for r in rows], total=total, page=params.page, page_size=params.page_size)


@router.post("/forecast-runs/{run_id}/accuracy")
def measure_forecast_accuracy(session: SessionDep, actor: ActorDep, run_id: IdPath) -> dict[str, object]:
    """Score the run against the actuals that have arrived (replaces its previous snapshot)."""
    return measure_accuracy(session, actor, run_id)


@router.get("/forecasts", response_model=ForecastOut)
def get_forecast(session: SessionDep, actor: ActorDep, sku: CodeQuery = None, category: CodeQuery = None,
                 brand: BrandQuery = None, location: CodeQuery = None, channel: CodeQuery = None,
                 grain: Grain = Grain.week, history: bool = False) -> ForecastOut:
    """The latest forecast of a series, or the sum over every series matching the filters (none: brand total)."""
    f = SeriesFilter(sku=sku, category=category, brand=brand, location=location, channel=channel)
    return ForecastOut(**queries.forecast_for(session, actor, f, grain, with_history=history))


@router.get("/forecast-accuracy", response_model=list[AccuracyTrendOut])
def get_accuracy_trend(session: SessionDep, actor: ActorDep,
                       by: Literal["all", "class", "channel", "sku"] = "all", grain: Grain | None = None,
                       sku: CodeQuery = None, channel: CodeQuery = None) -> list[AccuracyTrendOut]:
    """WAPE, MASE, bias and FVA per run (oldest first) for all series, or per demand class, channel or SKU."""
    rows = queries.accuracy_trend(session, actor, by, grain, SeriesFilter(sku=sku, channel=channel))
    return [AccuracyTrendOut(**r) for r in rows]
