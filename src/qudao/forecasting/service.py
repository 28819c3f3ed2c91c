"""Forecast runs: start one (validated options, a queued row), execute it (one history load, the engine with
progress on the run row, values written in bulk), and read runs back.

A run's execution spans several short transactions on purpose: the run is marked running, the history is
read, the engine computes with no transaction open, and the values are written at the end. Progress is
written in its own transaction each time, so an API client or the web page polling the run sees it move.
The caller supplies the transactions (``transaction()`` yields a session and commits when the block ends):
the API's background thread and the CLI open units of work on their own sessions; tests may pass their
session. Services never commit themselves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import polars as pl
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, require_staff
from qudao.catalog.models import Product
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.db import utcnow
from qudao.demand.service import events_frame
from qudao.engines.forecast import ForecastInputError, ForecastOptions, run_forecast
from qudao.engines.forecast.prepare import GRAIN_FREQ, SEASON_LENGTH
from qudao.errors import Conflict, NotFound, QudaoError, invalid
from qudao.forecasting.events import apply_to_forecast, learn_and_cleanse
from qudao.forecasting.hierarchy import reconcile_values
from qudao.forecasting.history import history_for_run, load_daily, series_ids
from qudao.forecasting.models import ForecastRun, ForecastSeries, ForecastValue, RunStatus
from qudao.forecasting.schemas import MAX_HORIZON, ForecastRunCreate
from qudao.locations.models import Location

log = logging.getLogger("qudao.forecasting")

Transaction = Callable[[], AbstractContextManager[Session]]
ProgressListener = Callable[[str, float], None]
# Where each engine step lands on the run's 0-1 progress (the engine reports steps, not fractions).
_ENGINE_STEPS = {"validate": (0.15, 0.0), "classify": (0.2, 0.0), "backtest and forecast": (0.2, 0.65),
                 "forecast": (0.9, 0.0)}
RUN_SORTS = {"id": ForecastRun.id, "created_at": ForecastRun.created_at, "status": ForecastRun.status}


def _resolve(session: Session, column: Any, id_column: Any, codes: list[str], field: str) -> list[int]:
    found = dict(session.execute(select(column, id_column).where(column.in_(set(codes)))).all())
    for i, code in enumerate(codes):
        if code not in found:
            raise invalid(f"{field}[{i}]", f"no record with code {code!r}")
    return sorted({int(found[c]) for c in codes})


def start_run(session: Session, actor: Actor, data: ForecastRunCreate) -> ForecastRun:
    """Validate the options and queue a run (executed afterwards by ``execute_run``)."""
    authorize(actor, "demand:write")
    require_staff(actor, "start forecast runs")
    if data.horizon > MAX_HORIZON[data.grain]:
        raise invalid("horizon", f"at most {MAX_HORIZON[data.grain]} periods ahead for grain {data.grain}")
    if data.history_start and data.history_end and data.history_start >= data.history_end:
        raise invalid("history_start", "must be before history_end")
    scope = {
        "skus": data.skus, "locations": data.locations, "channels": data.channels,
        "product_ids": _resolve(session, Product.sku, Product.id, data.skus, "skus"),
        "location_ids": _resolve(session, Location.code, Location.id, data.locations, "locations"),
        "channel_ids": _resolve(session, Channel.code, Channel.id, data.channels, "channels"),
    }
    run = ForecastRun(status=RunStatus.queued, progress=0.0, step="queued", grain=data.grain, horizon=data.horizon,
                      profile=data.profile, reconcile=data.reconcile, scope=scope, history_start=data.history_start,
                      history_end=data.history_end, requested_by=actor.username, error="", summary={})
    session.add(run)
    audit.record_create(session, actor, run)
    return run


def list_runs(session: Session, actor: Actor, params: ListParams, *, status: str | None = None,
              grain: str | None = None) -> tuple[list[ForecastRun], int]:
    authorize(actor, "demand:read")
    filters: list[Any] = []
    if status:
        filters.append(ForecastRun.status == status)
    if grain:
        filters.append(ForecastRun.grain == grain)
    return paginate(session, select(ForecastRun), params, search=(ForecastRun.requested_by,), sortable=RUN_SORTS,
                    default_sort="-id", filters=filters)


def get_run(session: Session, actor: Actor, run_id: int) -> ForecastRun:
    authorize(actor, "demand:read")
    run = session.get(ForecastRun, run_id)
    if run is None:
        raise NotFound(detail=f"forecast run {run_id} not found")
    return run


# ---- execution ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    grain: str
    horizon: int
    profile: str
    reconcile: str
    scope: dict[str, Any]
    history_start: Any
    history_end: Any


def _begin(session: Session, actor: Actor, run_id: int) -> _Plan:
    run = get_run(session, actor, run_id)
    if run.status != RunStatus.queued:
        raise Conflict(detail=f"forecast run {run_id} is {run.status}; only a queued run can be executed")
    run.status, run.started_at, run.step, run.progress = RunStatus.running, utcnow(), "loading history", 0.02
    return _Plan(run.grain, run.horizon, run.profile, run.reconcile, dict(run.scope), run.history_start,
                 run.history_end)


def record_progress(session: Session, actor: Actor, run_id: int, step: str, progress: float) -> None:
    """Move a running run's progress (never backwards)."""
    authorize(actor, "demand:write")
    run = get_run(session, actor, run_id)
    if run.status == RunStatus.running:
        run.step, run.progress = step[:80], max(run.progress, min(progress, 1.0))


def execute_run(transaction: Transaction, actor: Actor, run_id: int, *, dask_scheduler: str | None = None,
                n_jobs: int = 1, on_progress: ProgressListener | None = None) -> str:
    """Run a queued forecast and return its final status; any failure is recorded on the run, not raised.

    Known events (``demand.service.events_frame``) are handled as ``forecasting.events`` says: their uplift is
    learnt from this history, divided out before fitting and multiplied back onto future event periods.

    Stockout days are treated as missing demand: before the engine sees the history, each stockout day's
    sales are replaced by the seasonal in-stock estimate of ``engines.forecast.prepare`` (same weekday, four
    weeks either side), because the engine needs a value for every period and a censored zero would be
    learnt as a drop in demand.
    """
    with transaction() as session:
        plan = _begin(session, actor, run_id)
    started = time.perf_counter()
    last_written = [0.0]

    def progress(step: str, fraction: float) -> None:
        if on_progress:
            on_progress(step, fraction)
        if fraction - last_written[0] >= 0.01 or fraction >= 1.0:
            last_written[0] = fraction
            with transaction() as s:
                record_progress(s, actor, run_id, step, fraction)

    try:
        scope = plan.scope
        with transaction() as session:
            facts = load_daily(session, actor, start=plan.history_start, end=plan.history_end,
                               product_ids=scope.get("product_ids") or None,
                               location_ids=scope.get("location_ids") or None,
                               channel_ids=scope.get("channel_ids") or None)
            if facts.is_empty():
                raise invalid("scope", "no demand history for the run's SKUs, locations and channels")
            events = events_frame(session, actor, start=facts["ds"].min() - timedelta(days=60))
            category_of = _categories(session, facts) if plan.reconcile != "none" else {}
        uplift, facts = learn_and_cleanse(facts, events)
        periods, first, last, imputed = history_for_run(facts, plan.grain, plan.history_start, plan.history_end)
        if periods.is_empty():
            raise invalid("history", f"no whole {plan.grain} of history between {first} and {last}")
        progress("history loaded", 0.1)

        def engine_tick(step: str, done: int, total: int) -> None:
            base, span = _ENGINE_STEPS.get(step, (0.2, 0.0))
            progress(step, base + span * done / max(total, 1))

        options = ForecastOptions(profile=plan.profile, n_jobs=n_jobs, dask_scheduler=dask_scheduler)
        season = season_length(plan.grain, int(periods["ds"].n_unique()), plan.horizon, options.n_windows)
        frame = periods.select(pl.col("series").alias("unique_id"), pl.col("ds").cast(pl.Datetime("ns")), "y")
        result = run_forecast(frame.to_pandas(), plan.horizon, GRAIN_FREQ[plan.grain], season, options,
                              progress=engine_tick)
        values = (pl.from_pandas(result.forecast).rename({"unique_id": "series"})
                  .with_columns(pl.col("ds").cast(pl.Date)))
        reconciliation: dict[str, Any] = {"method": "none"}
        if plan.reconcile != "none":
            progress("reconciling", 0.92)
            values, reconciliation = reconcile_values(periods, values, category_of, horizon=plan.horizon,
                                                      freq=GRAIN_FREQ[plan.grain], season=season, options=options,
                                                      method=plan.reconcile)
        values, adjusted = apply_to_forecast(values, events, uplift, plan.grain)
        event_summary = {"uplift": {r["kind"]: round(r["uplift"], 3) for r in uplift.iter_rows(named=True)},
                         "values_adjusted": adjusted}
        progress("writing forecasts", 0.95)
        with transaction() as session:
            _finish(session, actor, run_id, periods, result, values, first=first, last=last, imputed=imputed,
                    seconds=time.perf_counter() - started, events=event_summary, reconciliation=reconciliation)
        if on_progress:
            on_progress("succeeded", 1.0)
        return RunStatus.succeeded
    except Exception as exc:  # recorded on the run: the run must never stay "running"
        if not isinstance(exc, QudaoError | ForecastInputError):
            log.exception("forecast run %s failed", run_id)
        with transaction() as session:
            fail_run(session, actor, run_id, _error_text(exc))
        return RunStatus.failed


def _categories(session: Session, facts: pl.DataFrame) -> dict[int, int | None]:
    """Product id -> category id for the products in the history (for the reconciliation's category level)."""
    ids = facts["product_id"].unique().to_list()
    return {int(p): c for p, c in session.execute(select(Product.id, Product.category_id).where(Product.id.in_(ids)))}


def season_length(grain: str, periods: int, horizon: int, n_windows: int) -> int:
    """The grain's season (7 days, 52 weeks, 12 months) when the history holds two whole seasons plus the
    backtest windows; otherwise 1 (no seasonal model), so the series can still be backtested and get a
    fitted model instead of a fallback. Two years of weekly history, for example, cannot backtest a
    52-week season with a 13-week horizon (2 x 52 + 2 x 13 > 104)."""
    m = SEASON_LENGTH[grain]
    return m if periods >= 2 * m + n_windows * horizon else 1


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ForecastInputError):
        return "the forecast engine refused the history: " + "; ".join(exc.problems)
    if isinstance(exc, QudaoError):
        return str(exc)
    return f"unexpected error ({type(exc).__name__}): {exc}"


def fail_run(session: Session, actor: Actor, run_id: int, error: str) -> None:
    authorize(actor, "demand:write")
    run = get_run(session, actor, run_id)
    run.status, run.error, run.finished_at, run.step = RunStatus.failed, error[:4000], utcnow(), "failed"
    audit.record(session, actor, action="fail", entity=ForecastRun.__tablename__, entity_id=run_id,
                 after={"status": RunStatus.failed, "error": error[:500]})


def _finish(session: Session, actor: Actor, run_id: int, periods: pl.DataFrame, result: Any, values: pl.DataFrame,
            *, first: Any, last: Any, imputed: int, seconds: float, events: dict[str, Any],
            reconciliation: dict[str, Any]) -> None:
    """Write the run's values and per-series models in bulk, then its summary (one transaction)."""
    run = get_run(session, actor, run_id)
    session.execute(delete(ForecastValue).where(ForecastValue.run_id == run_id))
    session.execute(delete(ForecastSeries).where(ForecastSeries.run_id == run_id))
    ids = series_ids(values)
    value_rows = (values.join(ids, on="series").with_columns(pl.lit(run_id).alias("run_id"))
                  .select("run_id", "product_id", "location_id", "channel_id", "ds", "forecast", "lo_80", "hi_80",
                          "lo_95", "hi_95", "model").to_dicts())
    if value_rows:
        session.execute(insert(ForecastValue), value_rows)
    stockouts = periods.group_by("series").agg(pl.col("stockout").sum().alias("stockout_periods"))
    series = (pl.from_pandas(result.series[["unique_id", "demand_class", "model", "backtest_wape", "n_obs"]])
              .rename({"unique_id": "series", "n_obs": "periods"}))
    series = (series.join(ids, on="series").join(stockouts, on="series", how="left")
              .with_columns(pl.col("stockout_periods").fill_null(0).cast(pl.Int64),
                            pl.col("backtest_wape").fill_nan(None), pl.lit(run_id).alias("run_id")))
    series_rows = series.select("run_id", "product_id", "location_id", "channel_id", "demand_class", "model",
                                "backtest_wape", "periods", "stockout_periods").to_dicts()
    if series_rows:
        session.execute(insert(ForecastSeries), series_rows)
    forecast_dates = values["ds"].cast(pl.Date)
    run.summary = {
        "series": len(series_rows), "values": len(value_rows),
        "classes": dict(sorted(series.group_by("demand_class").len().iter_rows())),
        "models": dict(sorted(series.group_by("model").len().iter_rows())),
        "history": {"start": first.isoformat(), "end": last.isoformat(),
                    "periods": int(periods["ds"].n_unique()), "stockout_days_unconstrained": imputed},
        "forecast": {"start": forecast_dates.min().isoformat() if len(values) else None,
                     "end": forecast_dates.max().isoformat() if len(values) else None,
                     "frequency": GRAIN_FREQ[run.grain], "season_length": result.season_length},
        "events": events, "reconciliation": reconciliation, "notes": list(result.notes), "seconds": round(seconds, 2),
    }
    run.history_start, run.history_end = first, last
    run.status, run.progress, run.step, run.finished_at = RunStatus.succeeded, 1.0, "succeeded", utcnow()
    audit.record(session, actor, action="complete", entity=ForecastRun.__tablename__, entity_id=run_id,
                 after={"status": RunStatus.succeeded, "series": len(series_rows), "values": len(value_rows)})
