"""Read models of CPFR: the comparison of partner and statistical forecasts, and the consensus plan.

**Statistical number of a line.** The newest succeeded forecast run (any grain) that forecast the line's
series (SKU x location x channel) is summed over the line's period. A run value covers its own period
(one day, a Monday-week, or a month); where that period straddles the line's period (a week across a month
end) the value is shared out by the days that overlap. When the run's horizon does not cover every day of
the line's period the statistical number is unknown (null), not a partial sum.

**Exception.** A line is an exception when both ``|partner - statistical| > threshold_units`` and
``|partner - statistical| / statistical > threshold_pct`` (a statistical 0 counts as infinitely far);
both, so that a 1-unit difference on a 2-unit line and a 50-unit difference on a 10,000-unit line are not
flagged. A line without a statistical number is an exception too (``no_statistical``): someone must look.

**Consensus rule.** The override when a planner or the partner set one; otherwise the statistical number
(Qudao's forecast is the default, the partner's number is information until someone accepts it);
otherwise, when Qudao has no statistical number for the line, the partner's number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize, partner_filter
from qudao.catalog.models import Product
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.cpfr.models import ConsensusLine, PartnerForecastSubmission
from qudao.forecasting.models import ForecastRun, ForecastValue, RunStatus
from qudao.locations.models import Location
from qudao.partners.models import Partner

DEFAULT_THRESHOLD_PCT = 20.0
DEFAULT_THRESHOLD_UNITS = 10.0
SERIES = ["product_id", "location_id", "channel_id"]
CHUNK = 2000


@dataclass(frozen=True)
class Thresholds:
    pct: float = DEFAULT_THRESHOLD_PCT
    units: float = DEFAULT_THRESHOLD_UNITS


@dataclass(frozen=True)
class LineFilter:
    sku: str | None = None
    location: str | None = None
    channel: str | None = None
    partner: str | None = None
    grain: str | None = None
    start: date | None = None
    end: date | None = None
    ids: tuple[int, ...] | None = None


LINE_SCHEMA = {"id": pl.Int64, "partner_id": pl.Int64, "product_id": pl.Int64, "location_id": pl.Int64,
               "channel_id": pl.Int64, "grain": pl.String, "period_start": pl.Date, "partner_quantity": pl.Float64,
               "override_quantity": pl.Float64, "override_reason": pl.String, "overridden_by": pl.String,
               "overridden_at": pl.Datetime, "submission_version": pl.Int64, "partner_code": pl.String,
               "sku": pl.String, "location_code": pl.String, "channel_code": pl.String}


def _lines(session: Session, actor: Actor, f: LineFilter) -> pl.DataFrame:
    c = ConsensusLine
    stmt = (select(c.id, c.partner_id, c.product_id, c.location_id, c.channel_id, c.grain, c.period_start,
                   c.partner_quantity, c.override_quantity, c.override_reason, c.overridden_by, c.overridden_at,
                   PartnerForecastSubmission.version, Partner.code, Product.sku, Location.code, Channel.code)
            .join(PartnerForecastSubmission, PartnerForecastSubmission.id == c.submission_id)
            .join(Partner, Partner.id == c.partner_id).join(Product, Product.id == c.product_id)
            .join(Location, Location.id == c.location_id).join(Channel, Channel.id == c.channel_id)
            .where(partner_filter(actor, c.partner_id)))
    if f.sku:
        stmt = stmt.where(Product.sku == f.sku)
    if f.location:
        stmt = stmt.where(Location.code == f.location)
    if f.channel:
        stmt = stmt.where(Channel.code == f.channel)
    if f.partner:
        stmt = stmt.where(Partner.code == f.partner)
    if f.grain:
        stmt = stmt.where(c.grain == f.grain)
    if f.start:
        stmt = stmt.where(c.period_start >= f.start)
    if f.end:
        stmt = stmt.where(c.period_start <= f.end)
    if f.ids is not None:
        stmt = stmt.where(c.id.in_(f.ids))
    rows = [tuple(float(v) if k in (7, 8) and v is not None else v for k, v in enumerate(r))
            for r in session.execute(stmt.order_by(c.period_start, Product.sku, Location.code, Channel.code, c.id))]
    return pl.DataFrame(rows, schema=LINE_SCHEMA, orient="row")


def _period_end(col: str, grain_col: str) -> pl.Expr:
    """First day after the period starting at ``col`` (grain day, week or month)."""
    return (pl.when(pl.col(grain_col) == "month").then(pl.col(col).dt.offset_by("1mo"))
            .when(pl.col(grain_col) == "week").then(pl.col(col).dt.offset_by("1w"))
            .otherwise(pl.col(col).dt.offset_by("1d")))


def statistical_for(session: Session, lines: pl.DataFrame) -> pl.DataFrame:
    """``id, statistical, run_id`` for lines (``id`` + series + grain + period_start), by the module's rule."""
    empty = pl.DataFrame(schema={"id": pl.Int64, "statistical": pl.Float64, "run_id": pl.Int64})
    if lines.height == 0:
        return empty
    v, r = ForecastValue, ForecastRun
    product_ids = lines["product_id"].unique().sort().to_list()
    first, last = lines["period_start"].min(), lines["period_start"].max()
    latest: list[tuple[int, int, int, int]] = []
    values: list[tuple[Any, ...]] = []
    for i in range(0, len(product_ids), CHUNK):
        chunk = product_ids[i:i + CHUNK]
        latest += session.execute(
            select(v.product_id, v.location_id, v.channel_id, func.max(v.run_id)).join(r, r.id == v.run_id)
            .where(r.status == RunStatus.succeeded, v.product_id.in_(chunk))
            .group_by(v.product_id, v.location_id, v.channel_id)).all()
    if not latest:
        return lines.select("id").with_columns(pl.lit(None, pl.Float64).alias("statistical"),
                                               pl.lit(None, pl.Int64).alias("run_id"))
    runs = pl.DataFrame(latest, schema={**{k: pl.Int64 for k in SERIES}, "run_id": pl.Int64}, orient="row")
    run_ids = runs["run_id"].unique().to_list()
    # A value overlapping a line starts at most a month before it (a month value) and before its end.
    window_from, window_to = first - timedelta(days=31), last + timedelta(days=31)
    for i in range(0, len(product_ids), CHUNK):
        chunk = product_ids[i:i + CHUNK]
        values += session.execute(
            select(v.product_id, v.location_id, v.channel_id, v.run_id, r.grain, v.ds, v.forecast)
            .join(r, r.id == v.run_id)
            .where(v.run_id.in_(run_ids), v.product_id.in_(chunk), v.ds >= window_from, v.ds <= window_to)).all()
    frame = pl.DataFrame(values, schema={**{k: pl.Int64 for k in SERIES}, "run_id": pl.Int64, "run_grain": pl.String,
                                         "ds": pl.Date, "forecast": pl.Float64}, orient="row")
    frame = frame.join(runs, on=[*SERIES, "run_id"])  # only each series' newest run
    joined = (lines.select("id", *SERIES, "grain", "period_start")
              .with_columns(_period_end("period_start", "grain").alias("period_end"))
              .join(frame.with_columns(_period_end("ds", "run_grain").alias("ds_end")), on=SERIES)
              .filter(pl.col("ds") < pl.col("period_end"), pl.col("ds_end") > pl.col("period_start")))
    days = lambda a, b: (pl.col(a) - pl.col(b)).dt.total_days()  # noqa: E731
    overlap = (pl.min_horizontal("ds_end", "period_end") - pl.max_horizontal("ds", "period_start")).dt.total_days()
    summed = (joined.with_columns(overlap.alias("overlap"), days("ds_end", "ds").alias("value_days"),
                                  days("period_end", "period_start").alias("period_days"))
              .group_by("id").agg((pl.col("forecast") * pl.col("overlap") / pl.col("value_days")).sum()
                                  .alias("statistical"), pl.col("overlap").sum().alias("covered"),
                                  pl.col("period_days").first(), pl.col("run_id").first()))
    summed = summed.with_columns(pl.when(pl.col("covered") >= pl.col("period_days")).then(pl.col("statistical"))
                                 .otherwise(None).alias("statistical"))
    return lines.select("id").join(summed.select("id", "statistical", "run_id"), on="id", how="left")


def comparison_frame(session: Session, actor: Actor, f: LineFilter | None = None,
                     thresholds: Thresholds | None = None) -> pl.DataFrame:
    """Every line in scope with both numbers, the gap, the exception flag and the consensus (module rules)."""
    authorize(actor, "demand:read")
    th = thresholds or Thresholds()
    lines = _lines(session, actor, f or LineFilter())
    stat = statistical_for(session, lines)
    out = lines.join(stat, on="id", how="left")
    gap = pl.col("partner_quantity") - pl.col("statistical")
    out = out.with_columns(gap.alias("gap"),
                           pl.when(pl.col("statistical") > 0).then(gap / pl.col("statistical") * 100)
                           .otherwise(None).alias("gap_pct"))
    beyond_pct = (pl.col("statistical") <= 0) | (pl.col("gap").abs() / pl.col("statistical") * 100 > th.pct)
    out = out.with_columns(
        pl.when(pl.col("statistical").is_null()).then(pl.lit("no_statistical"))
        .when((pl.col("gap").abs() > th.units) & beyond_pct).then(pl.lit("gap"))
        .otherwise(None).alias("exception_reason"))
    out = out.with_columns(
        pl.col("exception_reason").is_not_null().alias("exception"),
        pl.coalesce("override_quantity", "statistical", "partner_quantity").alias("consensus"),
        pl.when(pl.col("override_quantity").is_not_null()).then(pl.lit("override"))
        .when(pl.col("statistical").is_not_null()).then(pl.lit("statistical"))
        .otherwise(pl.lit("partner")).alias("consensus_source"))
    return out


def consensus_plan(session: Session, actor: Actor, *, grain: str | None = None, start: date | None = None,
                   end: date | None = None, skus: list[str] | None = None) -> pl.DataFrame:
    """The agreed demand planning consumes: one row per CPFR line.

    Columns: ``product_id, location_id, channel_id, grain, period_start, consensus, source, statistical,
    partner_quantity, line_id``. Series without a CPFR line are not here: planning keeps using the
    statistical forecast for them.
    """
    authorize(actor, "demand:read")
    frames = []
    for sku in skus or [None]:
        frames.append(comparison_frame(session, actor, LineFilter(sku=sku, grain=grain, start=start, end=end)))
    frame = pl.concat(frames) if frames else pl.DataFrame()
    return frame.select(*SERIES, "grain", "period_start", "consensus", pl.col("consensus_source").alias("source"),
                        "statistical", "partner_quantity", pl.col("id").alias("line_id"))
