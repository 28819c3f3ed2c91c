"""Measuring a stored run against the actuals that arrived after it (the arithmetic is in
``qudao.engines.forecast.accuracy``; this module loads, decides what can be scored, and stores snapshots).

What is scored: every forecast period that has ended on or before the latest day with demand data (the
"data through" day of the run's scope), except periods in which the series' location was out of stock.
Absent days in that span are zero demand, as in the history. Measuring again later (when more actuals have
arrived) replaces the run's snapshot.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, require_staff
from qudao.common.actor import Actor
from qudao.db import utcnow
from qudao.engines.forecast.accuracy import measure, summarise
from qudao.engines.forecast.prepare import SEASON_LENGTH, prepare_history, to_periods
from qudao.errors import Conflict
from qudao.forecasting.history import SERIES_KEY, load_daily
from qudao.forecasting.models import ForecastAccuracy, ForecastRun, ForecastSeries, ForecastValue, RunStatus
from qudao.forecasting.service import get_run

_LAST_DAY = {"day": 0, "week": 6}


def _period_end(grain: str) -> pl.Expr:
    if grain == "month":
        return pl.col("ds").dt.month_end()
    return pl.col("ds") + pl.duration(days=_LAST_DAY[grain])


def measure_accuracy(session: Session, actor: Actor, run_id: int) -> dict[str, Any]:
    """Score a succeeded run per series (WAPE, MASE, bias, FVA over seasonal naive) and store the snapshot."""
    authorize(actor, "demand:write")
    require_staff(actor, "measure forecast accuracy")
    run = get_run(session, actor, run_id)
    if run.status != RunStatus.succeeded or run.history_start is None or run.history_end is None:
        raise Conflict(detail=f"forecast run {run_id} is {run.status}; only a succeeded run can be measured")
    v, s = ForecastValue, ForecastSeries
    values = pl.DataFrame(session.execute(select(v.product_id, v.location_id, v.channel_id, v.ds, v.forecast)
                                          .where(v.run_id == run_id)).mappings().all(), infer_schema_length=None)
    series = pl.DataFrame(session.execute(select(s.product_id, s.location_id, s.channel_id, s.demand_class, s.model)
                                          .where(s.run_id == run_id)).mappings().all(), infer_schema_length=None)
    if values.is_empty():
        raise Conflict(detail=f"forecast run {run_id} has no values to measure")
    values = values.with_columns(SERIES_KEY)
    series = series.with_columns(SERIES_KEY)
    # One load: the history the run was fitted on and everything after it.
    facts = load_daily(session, actor, start=run.history_start, end=None,
                       product_ids=values["product_id"].unique().to_list(),
                       location_ids=values["location_id"].unique().to_list(),
                       channel_ids=values["channel_id"].unique().to_list())
    first_forecast = values["ds"].min()
    data_through = facts["ds"].max() if not facts.is_empty() else None
    if data_through is None or data_through < first_forecast:
        raise Conflict(detail=f"no actuals yet for forecast run {run_id}: its forecasts start on {first_forecast} "
                              f"and demand data runs to {data_through or 'nothing'}")
    known = facts.join(series.select("series"), on="series", how="semi")
    history = known.filter(pl.col("ds") <= run.history_end)
    fitted, _ = _history_periods(history, run)
    actuals = _actual_periods(known.filter(pl.col("ds") > run.history_end), series, run, data_through)
    season = int((run.summary.get("forecast") or {}).get("season_length") or SEASON_LENGTH[run.grain])
    scored = measure(values.select("series", "ds", "forecast"), actuals, fitted, season)
    rows = scored.join(series, on="series").with_columns(pl.lit(run_id).alias("run_id"),
                                                         pl.lit(data_through).alias("measured_through"),
                                                         pl.lit(utcnow()).alias("measured_at"))
    session.execute(delete(ForecastAccuracy).where(ForecastAccuracy.run_id == run_id))
    records = rows.drop("series").to_dicts()
    if records:
        session.execute(insert(ForecastAccuracy), records)
    overall = summarise(rows.with_columns(pl.lit("all").alias("group")), ["group"]).to_dicts()
    result = {"run_id": run_id, "series": len(records), "measured_through": data_through.isoformat(),
              "overall": overall[0] if overall else None}
    audit.record(session, actor, action="measure", entity=ForecastRun.__tablename__, entity_id=run_id,
                 after={"series": len(records), "measured_through": data_through.isoformat()})
    return result


def _history_periods(history: pl.DataFrame, run: ForecastRun) -> tuple[pl.DataFrame, int]:
    return prepare_history(history.select("series", "ds", "y", "stockout"), run.grain, run.history_start,
                           run.history_end)


def _actual_periods(after: pl.DataFrame, series: pl.DataFrame, run: ForecastRun, through: Any) -> pl.DataFrame:
    """Per series and whole forecast period up to ``through``: recorded demand; stockout periods left out."""
    start = run.history_end + timedelta(days=1)
    days = pl.date_range(start, through, interval="1d", eager=True).alias("ds")
    grid = series.select("series").join(pl.DataFrame(days), how="cross")
    daily = (grid.join(after.group_by("series", "ds").agg(pl.col("y").sum(), pl.col("stockout").any()),
                       on=["series", "ds"], how="left")
             .with_columns(pl.col("y").fill_null(0.0), pl.col("stockout").fill_null(False)))
    periods = to_periods(daily, run.grain, start, through)
    return periods.filter(~pl.col("stockout") & (_period_end(run.grain) <= through)).select("series", "ds", "y")
