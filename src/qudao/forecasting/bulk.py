"""Bulk read of forecasts for planning: every SKU x location x bucket of a calendar in one SQL query.

**Which run.** For each SKU x location, the newest succeeded run (highest id) of a grain that sums into the
bucket (day or week runs; month runs are not used) that forecast any of its series; channels of that run
are summed into the location.

**Into buckets.** A bucket of ``bucket_days`` days starts at ``start + k * bucket_days``. A day value falls in
the bucket holding its day; a week value (a Monday-week) falls whole in a bucket when the bucket starts on
the same Monday and is a week long, else it is spread evenly over its seven days first (week values into
day buckets, or weeks into a calendar that does not start on a Monday).

**Spread.** ``variance`` per bucket adds the variances of the values summed into it, each taken from the
80 % interval as a normal: sigma = (hi_80 - lo_80) / (2 x 1.2816); series and days are treated as
independent (a lower estimate when they move together, see ``queries.INTERVALS_NOTE``).

**Consensus.** ``planning_forecast`` prefers CPFR consensus quantities (overrides win; CPFR's consensus rule)
where a consensus line covers a series' days, and the statistical value elsewhere. The CPFR area is optional:
when it is not installed or has no lines, the statistical forecast alone is returned.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize, partner_filter
from qudao.common.actor import Actor
from qudao.forecasting.models import ForecastRun, ForecastSeries, ForecastValue, Grain, RunStatus
from qudao.locations.models import Location

Z80 = 1.2815516  # standard normal quantile of 0.9: an 80 % two-sided interval is mean +- Z80 sigma
GRAIN_DAYS = {Grain.day.value: 1, Grain.week.value: 7}
SERIES_BUCKET = {"product_id": pl.Int64, "location_id": pl.Int64, "channel_id": pl.Int64, "bucket": pl.Int64}
OUT_SCHEMA = {"product_id": pl.Int64, "location_id": pl.Int64, "bucket": pl.Int64, "forecast": pl.Float64,
              "variance": pl.Float64, "consensus": pl.Boolean}


def _read(session: Session, stmt, schema: dict) -> pl.DataFrame:
    """Rows of ``stmt`` as a frame. On PostgreSQL they stream as CSV (``COPY (query) TO STDOUT``) straight
    into polars: at 100,000 series x 52 weeks, Python row objects would cost more than the query."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return pl.DataFrame([tuple(r) for r in session.execute(stmt)], schema=schema, orient="row")
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    buffer = bytearray()
    with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(
            f"COPY ({compiled}) TO STDOUT (FORMAT CSV)", compiled.params) as copy:
        for block in copy:
            buffer += block
    if not buffer:
        return pl.DataFrame(schema=schema)
    read = {k: (pl.String if v == pl.Date else v) for k, v in schema.items()}
    out = pl.read_csv(bytes(buffer), has_header=False, new_columns=list(schema), schema_overrides=read)
    return out.with_columns(pl.col(k).str.to_date("%Y-%m-%d") for k, v in schema.items() if v == pl.Date)


def _to_buckets(values: pl.DataFrame, start: date, bucket_days: int, horizon: int, value_cols: list[str]
                ) -> pl.DataFrame:
    """Rows (series..., ds, period_days, values) summed into calendar buckets (see the module doc)."""
    offset = (pl.col("ds") - pl.lit(start)).dt.total_days()
    whole = (pl.col("period_days") == 1) | ((pl.col("period_days") == bucket_days) & (offset % bucket_days == 0))
    direct = values.filter(whole).with_columns((offset // bucket_days).alias("bucket"))
    spread = values.filter(~whole)
    if spread.height:
        share = 1.0 / pl.col("period_days")
        spread = (spread.with_columns(pl.int_ranges(0, pl.col("period_days")).alias("day")).explode("day")
                  .with_columns(((offset + pl.col("day")) // bucket_days).alias("bucket"),
                                *[pl.col(c) * share for c in value_cols]))
        direct = pl.concat([direct, spread.drop("day")], how="diagonal_relaxed")
    keys = [c for c in ("product_id", "location_id", "channel_id") if c in values.columns]
    return (direct.filter((pl.col("bucket") >= 0) & (pl.col("bucket") < horizon))
            .group_by(*keys, "bucket").agg(pl.col(c).sum() for c in value_cols))


VALUE_SCHEMA = {"product_id": pl.Int64, "location_id": pl.Int64, "channel_id": pl.Int64, "grain": pl.String,
                "ds": pl.Date, "forecast": pl.Float64, "variance": pl.Float64}


def _read_values(session: Session, stmt) -> pl.DataFrame:
    """Forecast value rows. On PostgreSQL each series comes packed into one row ("ds,forecast,variance;..."),
    unpacked by polars: a row per series instead of per week or day keeps the transfer cheap."""
    if session.connection().dialect.name != "postgresql":
        return _read(session, stmt, VALUE_SCHEMA)
    sub = stmt.subquery()
    series = [sub.c.product_id, sub.c.location_id, sub.c.channel_id, sub.c.grain]
    packed = select(*series, func.string_agg(func.concat(sub.c.ds, ",", sub.c.forecast, ",", sub.c.variance),
                                              ";")).group_by(*series)
    rows = _read(session, packed, {**{k: VALUE_SCHEMA[k] for k in ("product_id", "location_id", "channel_id",
                                                                   "grain")}, "packed": pl.String})
    if not rows.height:
        return pl.DataFrame(schema=VALUE_SCHEMA)
    parts = pl.col("packed").str.split_exact(",", 2)
    return (rows.with_columns(pl.col("packed").str.split(";")).explode("packed")
            .with_columns(parts.struct.field("field_0").str.to_date("%Y-%m-%d").alias("ds"),
                          parts.struct.field("field_1").cast(pl.Float64).alias("forecast"),
                          parts.struct.field("field_2").cast(pl.Float64).alias("variance"))
            .select(list(VALUE_SCHEMA)))


def statistical_buckets(session: Session, actor: Actor, *, start: date, bucket: str, horizon: int
                        ) -> pl.DataFrame:
    """Latest succeeded run's forecast per SKU x location x channel x bucket: ``forecast``, ``variance``."""
    authorize(actor, "demand:read")
    bucket_days = GRAIN_DAYS[bucket]
    grains = [Grain.day.value] if bucket == Grain.day.value else list(GRAIN_DAYS)
    end = start + timedelta(days=bucket_days * horizon)
    s, r, v = ForecastSeries, ForecastRun, ForecastValue
    latest = (select(s.product_id, s.location_id, func.max(s.run_id).label("run_id"))
              .join(r, r.id == s.run_id).where(r.status == RunStatus.succeeded, r.grain.in_(grains))
              .group_by(s.product_id, s.location_id).subquery())
    sigma = (v.hi_80 - v.lo_80) / (2 * Z80)
    # One run per SKU x location and one value per series and day in a run: no GROUP BY needed.
    stmt = (select(v.product_id.label("product_id"), v.location_id.label("location_id"),
                   v.channel_id.label("channel_id"), r.grain.label("grain"), v.ds.label("ds"),
                   v.forecast.label("forecast"), (sigma * sigma).label("variance"))
            .join(latest, and_(latest.c.run_id == v.run_id, latest.c.product_id == v.product_id,
                               latest.c.location_id == v.location_id))
            .join(r, r.id == v.run_id)
            # a week value starting up to six days before the start still covers its first days
            .where(v.ds >= start - timedelta(days=6), v.ds < end))
    if actor.is_partner:
        own = select(Location.id).where(partner_filter(actor, Location.owner_partner_id))
        stmt = stmt.where(v.location_id.in_(own))
    values = _read_values(session, stmt)
    if not values.height:
        return pl.DataFrame(schema={**SERIES_BUCKET, "forecast": pl.Float64, "variance": pl.Float64})
    values = values.with_columns(pl.col("grain").replace_strict(GRAIN_DAYS, return_dtype=pl.Int64)
                                 .alias("period_days")).drop("grain")
    return _to_buckets(values, start, bucket_days, horizon, ["forecast", "variance"])


def _consensus_buckets(session: Session, actor: Actor, start: date, bucket_days: int, horizon: int
                       ) -> pl.DataFrame | None:
    """CPFR consensus per series x bucket with the days of the bucket it covers; None without CPFR."""
    try:
        from qudao.cpfr.queries import consensus_plan
    except ImportError:  # CPFR not installed: statistical forecast only
        return None
    end = start + timedelta(days=bucket_days * horizon)
    # a month line that starts up to 30 days before the start can still cover the first days
    plan = consensus_plan(session, actor, start=start - timedelta(days=31), end=end)
    plan = plan.filter(pl.col("consensus").is_not_null() & pl.col("grain").is_in(["day", "week", "month"]))
    if not plan.height:
        return None
    period_end = (pl.when(pl.col("grain") == "month").then(pl.col("period_start").dt.offset_by("1mo"))
                  .when(pl.col("grain") == "week").then(pl.col("period_start") + pl.duration(days=7))
                  .otherwise(pl.col("period_start") + pl.duration(days=1)))
    lines = plan.select("product_id", "location_id", "channel_id", pl.col("period_start").alias("ds"),
                        (period_end - pl.col("period_start")).dt.total_days().alias("period_days"),
                        pl.col("consensus").cast(pl.Float64), pl.lit(1.0).alias("covered"))
    # ``covered`` counts the days of each bucket a line covers; spread, it sums to days.
    lines = lines.with_columns(pl.col("covered") * pl.col("period_days"))
    return _to_buckets(lines, start, bucket_days, horizon, ["consensus", "covered"])


def planning_forecast(session: Session, actor: Actor, *, start: date, bucket: str, horizon: int) -> pl.DataFrame:
    """Demand forecast per SKU x location x bucket for planning, channels summed.

    Columns ``product_id, location_id, bucket, forecast, variance, consensus`` (consensus: some of the
    quantity came from a CPFR consensus line). In a bucket a consensus line fully covers, its series takes
    the consensus quantity; where it covers only some days, the statistical value of the other days (spread
    evenly over the bucket) is added.
    """
    bucket_days = GRAIN_DAYS[bucket]
    stat = statistical_buckets(session, actor, start=start, bucket=bucket, horizon=horizon)
    agreed = _consensus_buckets(session, actor, start, bucket_days, horizon)
    keys = ["product_id", "location_id", "channel_id", "bucket"]
    if agreed is None:
        merged = stat.with_columns(pl.lit(False).alias("consensus"))
    else:
        rest = (1.0 - pl.col("covered").fill_null(0.0) / bucket_days).clip(lower_bound=0.0)
        merged = (stat.join(agreed, on=keys, how="full", coalesce=True)
                  .with_columns(pl.col("consensus").is_not_null().alias("has"),
                                (pl.col("consensus").fill_null(0.0) + pl.col("forecast").fill_null(0.0) * rest)
                                .alias("forecast"),
                                (pl.col("variance").fill_null(0.0) * rest).alias("variance"))
                  .drop("consensus", "covered").rename({"has": "consensus"}))
    return (merged.group_by("product_id", "location_id", "bucket")
            .agg(pl.col("forecast").sum(), pl.col("variance").sum(), pl.col("consensus").any())
            .select(list(OUT_SCHEMA)).cast(OUT_SCHEMA).sort("product_id", "location_id", "bucket"))
