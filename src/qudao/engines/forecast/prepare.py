"""Demand history made ready for forecasting: complete days, stockout days unconstrained, period roll-ups.

Input: daily facts ``series, ds, y, stockout`` (polars), where an absent day means no recorded demand.

Rules (applied in this order, each one visible to the user in the run summary):
1. **Complete days.** Each series runs from its first recorded day to the history end; absent days are 0.
2. **Stockout days are missing demand, not zero demand.** Sales on a day the location was out of stock are
   censored (what sold is a floor, not the demand). Their value is replaced by the mean of the same
   series' in-stock days on the same weekday within ``window_weeks`` weeks either side (a seasonal,
   centred estimate), or the series' in-stock mean when no such day exists, and never lowered below what
   actually sold. This "demand unconstraining" keeps a stockout from being learnt as a dip in demand.
3. **Known events** (promotions, Spring Festival, 618, Double 11): the run divides each day's demand by
   the event's learnt uplift before fitting (the model learns the baseline) and multiplies the forecast of
   future event periods by it (``event_multipliers``; uplift from ``engines.forecast.events``).
4. **Periods.** Weeks run Monday to Sunday and are labelled by their Monday (pandas ``W-MON``); months
   by their first day (``MS``). A week or month cut by the history's first or last day is left out, so a
   half-observed period never looks like a drop in demand.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

GRAIN_FREQ = {"day": "D", "week": "W-MON", "month": "MS"}
SEASON_LENGTH = {"day": 7, "week": 52, "month": 12}
_TRUNCATE = {"week": "1w", "month": "1mo"}


def complete_days(facts: pl.DataFrame, end: date) -> pl.DataFrame:
    """One row per series and day from the series' first recorded day to ``end`` (absent days: y 0)."""
    facts = facts.filter(pl.col("ds") <= end)
    firsts = facts.group_by("series").agg(pl.col("ds").min().alias("first"))
    grid = firsts.select("series", pl.date_ranges("first", pl.lit(end), interval="1d").alias("ds")).explode("ds")
    daily = facts.group_by("series", "ds").agg(pl.col("y").sum(), pl.col("stockout").any())
    return (grid.join(daily, on=["series", "ds"], how="left")
            .with_columns(pl.col("y").fill_null(0.0).cast(pl.Float64), pl.col("stockout").fill_null(False))
            .sort("series", "ds"))


def unconstrain_stockouts(daily: pl.DataFrame, window_weeks: int = 4) -> pl.DataFrame:
    """Replace sales on stockout days by the seasonal in-stock estimate (rule 2 of the module docstring)."""
    if not daily["stockout"].any():
        return daily
    window = 2 * window_weeks + 1
    in_stock = ~pl.col("stockout")
    work = daily.with_columns(pl.col("ds").dt.weekday().alias("_wd")).sort("series", "_wd", "ds").with_columns(
        pl.when(in_stock).then(pl.col("y")).otherwise(0.0).rolling_sum(window, center=True, min_samples=1)
        .over("series", "_wd").alias("_sum"),
        in_stock.cast(pl.Float64).rolling_sum(window, center=True, min_samples=1).over("series", "_wd").alias("_n"),
        pl.when(in_stock).then(pl.col("y")).otherwise(None).mean().over("series").alias("_mean"),
    )
    estimate = pl.when(pl.col("_n") > 0).then(pl.col("_sum") / pl.col("_n")).otherwise(pl.col("_mean")).fill_null(0.0)
    return (work.with_columns(pl.when(pl.col("stockout")).then(pl.max_horizontal(pl.col("y"), estimate))
                              .otherwise(pl.col("y")).alias("y"))
            .drop("_wd", "_sum", "_n", "_mean").sort("series", "ds"))


def to_periods(daily: pl.DataFrame, grain: str, start: date, end: date) -> pl.DataFrame:
    """Sum days into the grain's periods; periods not wholly inside [start, end] are left out (rule 4).

    Returns ``series, ds, y, stockout`` where ``stockout`` is true when any day of the period was out of stock.
    """
    if grain == "day":
        return daily.filter(pl.col("ds").is_between(start, end))
    if grain not in _TRUNCATE:
        raise ValueError(f"grain must be day, week or month, got {grain!r}")
    first, last = complete_period_bounds(grain, start, end)
    rolled = (daily.filter(pl.col("ds").is_between(first, last))
              .with_columns(pl.col("ds").dt.truncate(_TRUNCATE[grain]).alias("ds"))
              .group_by("series", "ds").agg(pl.col("y").sum(), pl.col("stockout").any())
              .sort("series", "ds"))
    return rolled


def complete_period_bounds(grain: str, start: date, end: date) -> tuple[date, date]:
    """First and last day of the whole periods between ``start`` and ``end`` (both inclusive)."""
    if grain == "day":
        return start, end
    if grain == "week":
        first = start + timedelta(days=(7 - start.weekday()) % 7)
        last = end - timedelta(days=(end.weekday() + 1) % 7)
        return first, last
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    next_day = end + timedelta(days=1)
    last = end if next_day.day == 1 else end.replace(day=1) - timedelta(days=1)
    return first, last


def period_start(grain: str, day: date) -> date:
    """The label (first day) of the period containing ``day``."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def prepare_history(facts: pl.DataFrame, grain: str, start: date, end: date) -> tuple[pl.DataFrame, int]:
    """Rules 1, 2 and 4 in one call: (periods frame ``series, ds, y, stockout``, stockout days unconstrained)."""
    daily = complete_days(facts.filter(pl.col("ds") >= start), end)
    imputed = int(daily["stockout"].sum())
    return to_periods(unconstrain_stockouts(daily), grain, start, end), imputed


def event_multipliers(events: pl.DataFrame, uplift: pl.DataFrame, channel_ids: list[int], start: date, end: date,
                      grain: str = "day") -> pl.DataFrame:
    """``channel_id, ds, multiplier`` for the periods of ``start..end``: the mean over the period's days of the
    learnt event uplift (1 on ordinary days; see ``engines.forecast.events``). Demand is taken as even across
    a period's days, so a week holding one promotion day with uplift 2.4 gets 1 + 1.4 / 7 = 1.2."""
    from qudao.engines.forecast.events import apply_events

    days = pl.date_range(start, end, interval="1d", eager=True).alias("ds")
    grid = pl.DataFrame({"channel_id": channel_ids}, schema={"channel_id": pl.Int64}).join(pl.DataFrame(days),
                                                                                        how="cross")
    daily = apply_events(grid.with_columns(pl.lit(1.0).alias("forecast")), events, uplift)
    if grain != "day":
        daily = daily.with_columns(pl.col("ds").dt.truncate(_TRUNCATE[grain]))
    return (daily.group_by("channel_id", "ds").agg(pl.col("event_multiplier").mean().alias("multiplier"))
            .sort("channel_id", "ds"))
