"""Read models: a run's values, the latest forecast of a series or of any roll-up, accuracy and its trend.

Partner users only ever see series at locations their organisation owns (``locations.owner_partner_id``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize, partner_filter
from qudao.catalog.models import Category, Product
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.demand.history import load_history
from qudao.engines.forecast.accuracy import rollup_bounds, summarise
from qudao.engines.forecast.prepare import complete_period_bounds
from qudao.errors import NotFound, invalid
from qudao.forecasting.models import ForecastAccuracy, ForecastRun, ForecastSeries, ForecastValue, RunStatus
from qudao.forecasting.service import get_run
from qudao.locations.models import Location

INTERVALS_NOTE = ("sum of the series' forecasts; bounds combine the series' half-widths as independent errors "
                  "(root of the summed squares, each side): a lower estimate of the spread when series move together")
TREND_GROUPS = ("all", "class", "channel", "sku")
# History shown beside a forecast: a year of days or weeks, two years of months.
HISTORY_SHOWN_DAYS = {"day": 365, "week": 364, "month": 730}


@dataclass(frozen=True)
class SeriesFilter:
    """Which series: one SKU, a category subtree, a brand, a location, a channel (codes; all optional)."""

    sku: str | None = None
    category: str | None = None
    brand: str | None = None
    location: str | None = None
    channel: str | None = None

    def given(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def _id_of(session: Session, column: Any, id_column: Any, code: str) -> int:
    """Id for a code, or -1 so an unknown code matches nothing (a 'not found', never a hint of what exists)."""
    return session.scalar(select(id_column).where(column == code)) or -1


def series_conditions(session: Session, actor: Actor, f: SeriesFilter, table: Any) -> list[Any]:
    """WHERE conditions on a table with product_id, location_id, channel_id columns."""
    conds: list[Any] = []
    if f.sku:
        conds.append(table.product_id == _id_of(session, Product.sku, Product.id, f.sku))
    if f.category:
        path = session.scalar(select(Category.path).where(Category.code == f.category))
        products = select(Product.id).join(Category, Product.category_id == Category.id)
        conds.append(table.product_id.in_(products.where(Category.path.startswith(path or "\x01", autoescape=True))))
    if f.brand:
        conds.append(table.product_id.in_(select(Product.id).where(Product.brand == f.brand)))
    if f.location:
        conds.append(table.location_id == _id_of(session, Location.code, Location.id, f.location))
    if f.channel:
        conds.append(table.channel_id == _id_of(session, Channel.code, Channel.id, f.channel))
    if actor.is_partner:
        conds.append(table.location_id.in_(select(Location.id).where(partner_filter(actor, Location.owner_partner_id))))
    return conds


def _codes(table: Any) -> tuple[Any, ...]:
    return (Product.sku, Location.code.label("location_code"), Channel.code.label("channel_code"))


def _join_codes(stmt: Any, table: Any) -> Any:
    return (stmt.join(Product, Product.id == table.product_id).join(Location, Location.id == table.location_id)
            .join(Channel, Channel.id == table.channel_id))


def _page(session: Session, stmt: Any, params: ListParams, order: list[Any]) -> tuple[list[dict[str, Any]], int]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.order_by(*order).limit(params.page_size)
                           .offset((params.page - 1) * params.page_size)).mappings().all()
    return [dict(r) for r in rows], int(total)


def list_values(session: Session, actor: Actor, run_id: int, params: ListParams, f: SeriesFilter,
                ds_from: date | None = None, ds_to: date | None = None) -> tuple[list[dict[str, Any]], int]:
    """One page of a run's stored values, with codes."""
    get_run(session, actor, run_id)
    v = ForecastValue
    stmt = _join_codes(select(*_codes(v), v.ds, v.forecast, v.lo_80, v.hi_80, v.lo_95, v.hi_95, v.model), v)
    stmt = stmt.where(v.run_id == run_id, *series_conditions(session, actor, f, v))
    if ds_from:
        stmt = stmt.where(v.ds >= ds_from)
    if ds_to:
        stmt = stmt.where(v.ds <= ds_to)
    return _page(session, stmt, params, [Product.sku, Location.code, Channel.code, v.ds])


def latest_run_id(session: Session, actor: Actor, grain: str, f: SeriesFilter) -> int:
    """The newest succeeded run of the grain that forecast any of the matching series."""
    v = ForecastValue
    run_id = session.scalar(
        select(func.max(v.run_id)).join(ForecastRun, ForecastRun.id == v.run_id)
        .where(ForecastRun.status == RunStatus.succeeded, ForecastRun.grain == grain,
               *series_conditions(session, actor, f, v)))
    if run_id is None:
        shown = ", ".join(f"{k}={v}" for k, v in f.given().items()) or "all series"
        raise NotFound(detail=f"no {grain} forecast for {shown}")
    return int(run_id)


def forecast_for(session: Session, actor: Actor, f: SeriesFilter, grain: str = "week", *,
                 run_id: int | None = None, with_history: bool = False) -> dict[str, Any]:
    """The latest forecast of one series (sku + location + channel) or the sum over every matching series.

    Point forecasts add up exactly; interval bounds are combined as ``engines.forecast.accuracy.rollup_bounds``
    explains (exact for a single series).
    """
    authorize(actor, "demand:read")
    if grain not in ("day", "week", "month"):
        raise invalid("grain", "use day, week or month")
    run_id = run_id or latest_run_id(session, actor, grain, f)
    v = ForecastValue
    conds = series_conditions(session, actor, f, v)
    rows = session.execute(
        select(v.ds, func.sum(v.forecast), func.sum((v.forecast - v.lo_80) * (v.forecast - v.lo_80)),
               func.sum((v.hi_80 - v.forecast) * (v.hi_80 - v.forecast)),
               func.sum((v.forecast - v.lo_95) * (v.forecast - v.lo_95)),
               func.sum((v.hi_95 - v.forecast) * (v.hi_95 - v.forecast)))
        .where(v.run_id == run_id, *conds).group_by(v.ds).order_by(v.ds)).all()
    if not rows:
        raise NotFound(detail=f"forecast run {run_id} has no values for these filters")
    points = []
    for ds, total, lo80, hi80, lo95, hi95 in rows:
        lo_80, hi_80 = rollup_bounds(float(total), float(lo80), float(hi80))
        lo_95, hi_95 = rollup_bounds(float(total), float(lo95), float(hi95))
        points.append({"ds": ds, "forecast": float(total), "lo_80": min(lo_80, float(total)), "hi_80": hi_80,
                       "lo_95": min(lo_95, lo_80), "hi_95": max(hi_95, hi_80)})
    s = ForecastSeries
    series = session.execute(select(s.product_id, s.location_id, s.channel_id)
                             .where(s.run_id == run_id, *series_conditions(session, actor, f, s))).all()
    out: dict[str, Any] = {"run_id": run_id, "grain": grain, "series": len(series), "filters": f.given(),
                           "intervals": INTERVALS_NOTE if len(series) > 1 else "the series' own intervals",
                           "points": points, "history": []}
    if with_history:
        out["history"] = _history(session, actor, get_run(session, actor, run_id), series, f)
    return out


def _history(session: Session, actor: Actor, run: ForecastRun, series: list[Any],
             f: SeriesFilter) -> list[dict[str, Any]]:
    """Recorded demand of the series over the last year of the run's history (whole periods), per period.

    The demand area is asked only for the dimensions the filter restricts (long id lists would slow its one
    aggregation down); the result is then narrowed to exactly the run's series.
    """
    if not series or run.history_start is None or run.history_end is None:
        return []
    shown_from = max(run.history_start, run.history_end - timedelta(days=HISTORY_SHOWN_DAYS[run.grain]))
    first, last = complete_period_bounds(run.grain, shown_from, run.history_end)
    products = {r[0] for r in series} if (f.sku or f.category or f.brand) else None
    places = {r[1] for r in series} if (f.location or actor.is_partner) else None
    channels = {r[2] for r in series} if f.channel else None
    facts = load_history(session, actor, start=first, end=last, grain=run.grain, product_ids=products,
                         location_ids=places, channel_ids=channels)
    wanted = pl.DataFrame({"product_id": [r[0] for r in series], "location_id": [r[1] for r in series],
                           "channel_id": [r[2] for r in series]}, schema={c: pl.Int64 for c in
                                                                          ("product_id", "location_id", "channel_id")})
    totals = (facts.join(wanted, on=["product_id", "location_id", "channel_id"]).group_by("ds")
              .agg(pl.col("y").sum()).sort("ds"))
    return totals.to_dicts()


def list_accuracy(session: Session, actor: Actor, run_id: int, params: ListParams,
                  f: SeriesFilter) -> tuple[list[dict[str, Any]], int]:
    get_run(session, actor, run_id)
    a = ForecastAccuracy
    stmt = _join_codes(select(*_codes(a), a.demand_class, a.model, a.periods, a.actual_total, a.forecast_total,
                              a.wape, a.mase, a.bias, a.naive_wape, a.fva, a.measured_through), a)
    stmt = stmt.where(a.run_id == run_id, *series_conditions(session, actor, f, a))
    return _page(session, stmt, params, [Product.sku, Location.code, Channel.code])


def accuracy_trend(session: Session, actor: Actor, by: str = "all", grain: str | None = None,
                   f: SeriesFilter | None = None, last_runs: int = 20) -> list[dict[str, Any]]:
    """WAPE, MASE, bias and FVA per run (oldest first) and per group: all series, demand class, channel or SKU."""
    authorize(actor, "demand:read")
    if by not in TREND_GROUPS:
        raise invalid("by", f"use one of {', '.join(TREND_GROUPS)}")
    a, r = ForecastAccuracy, ForecastRun
    group = {"all": None, "class": a.demand_class, "channel": Channel.code, "sku": Product.sku}[by]
    stmt = _join_codes(select(a.run_id, r.grain, r.history_end, (group if group is not None else a.demand_class)
                              .label("group"), a.periods, a.actual_total, a.forecast_total, a.abs_error,
                              a.naive_abs_error, a.mase), a).join(r, r.id == a.run_id)
    stmt = stmt.where(*series_conditions(session, actor, f or SeriesFilter(), a))
    if grain:
        stmt = stmt.where(r.grain == grain)
    recent = select(r.id).where(r.status == RunStatus.succeeded).order_by(r.id.desc()).limit(last_runs)
    rows = session.execute(stmt.where(a.run_id.in_(recent))).mappings().all()
    if not rows:
        return []
    frame = pl.DataFrame([dict(x) for x in rows], infer_schema_length=None)
    if by == "all":
        frame = frame.with_columns(pl.lit("all").alias("group"))
    out = summarise(frame, ["run_id", "grain", "history_end", "group"])
    return out.select("run_id", "grain", "history_end", "group", "series", "periods", "wape", "mase", "bias",
                      "naive_wape", "fva").to_dicts()
