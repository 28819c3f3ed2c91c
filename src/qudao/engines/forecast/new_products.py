"""Forecasts for new products without history: from a chosen analogue, or from their category's profile.

Both methods align history by **age** (days since a product's first sale), because a launch curve, not the
calendar, is what a new product repeats (Kahn, "An exploratory investigation of new product forecasting
practices", J. Product Innovation Management 19(2), 2002: analogous forecasting is the most used method):

* ``analogue``: the analogue's daily demand at ages 0, 1, 2, ..., times a scale factor (0.5 = half the
  analogue's volume). Past the end of the analogue's history the mean of its last ``tail_days`` is used.
* ``category``: the average per-SKU demand at each age over the category's SKUs that reached that age
  (each SKU counts once per age, so a category's best seller does not stand for the whole category),
  times the scale factor; past the oldest SKU's age the profile's last ``tail_days`` mean is used.

Pure polars; no database.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

OUTPUT_SCHEMA = {"ds": pl.Date, "age": pl.Int64, "forecast": pl.Float64}


def _by_age(history: pl.DataFrame, key: str | None) -> pl.DataFrame:
    """Daily demand per (key,) age, zero-filled from the first sale to the last day of history."""
    needed = {"ds", "y"} | ({key} if key else set())
    missing = needed - set(history.columns)
    if missing:
        raise ValueError(f"history lacks column(s): {', '.join(sorted(missing))}")
    keys = [key] if key else []
    frame = history.select(*keys, pl.col("ds").cast(pl.Date), pl.col("y").cast(pl.Float64))
    if frame.filter(pl.col("y") < 0).height:
        raise ValueError("history has negative demand")
    frame = frame.group_by(*keys, "ds").agg(pl.col("y").sum()) if keys else frame.group_by("ds").agg(pl.col("y").sum())
    launched = frame.filter(pl.col("y") > 0)
    if launched.height == 0:
        return pl.DataFrame(schema={**({key: frame.schema[key]} if key else {}), "age": pl.Int64, "y": pl.Float64})
    spans = (launched.group_by(*keys).agg(pl.col("ds").min().alias("first")) if keys
             else launched.select(pl.col("ds").min().alias("first")))
    last = frame["ds"].max()
    grid = spans.with_columns(pl.date_ranges("first", pl.lit(last, dtype=pl.Date)).alias("ds")).explode("ds")
    dense = grid.join(frame, on=[*keys, "ds"], how="left").with_columns(pl.col("y").fill_null(0.0))
    return dense.with_columns((pl.col("ds") - pl.col("first")).dt.total_days().cast(pl.Int64).alias("age")).select(
        *keys, "age", "y")


def _extend(profile: pl.DataFrame, start: date, horizon: int, scale: float, tail_days: int) -> pl.DataFrame:
    """Map a demand-by-age profile onto ``horizon`` days from ``start`` (age 0)."""
    if horizon <= 0:
        raise ValueError("horizon must be at least 1 day")
    if scale < 0:
        raise ValueError("scale must not be negative")
    values = dict(zip(profile["age"].to_list(), profile["y"].to_list(), strict=True))
    ages = sorted(values)
    tail = ages[-tail_days:] if ages else []
    tail_mean = sum(values[a] for a in tail) / len(tail) if tail else 0.0
    rows = [(start + timedelta(days=age), age, scale * values.get(age, tail_mean)) for age in range(horizon)]
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA, orient="row")


def forecast_from_analogue(analogue_history: pl.DataFrame, *, start: date, horizon: int, scale: float = 1.0,
                           tail_days: int = 28) -> pl.DataFrame:
    """``ds, age, forecast``: the analogue's launch curve (``ds, y``; summed over locations) times ``scale``."""
    return _extend(_by_age(analogue_history, None), start, horizon, scale, tail_days)


def category_profile(category_history: pl.DataFrame) -> pl.DataFrame:
    """Average per-SKU demand by age (``age, y, skus``) over ``product_id, ds, y`` rows of a category."""
    by_age = _by_age(category_history, "product_id")
    return by_age.group_by("age").agg(pl.col("y").mean(), pl.len().cast(pl.Int64).alias("skus")).sort("age")


def forecast_from_category(category_history: pl.DataFrame, *, start: date, horizon: int, scale: float = 1.0,
                           tail_days: int = 28) -> pl.DataFrame:
    """``ds, age, forecast``: the category's average per-SKU launch curve times ``scale``."""
    return _extend(category_profile(category_history), start, horizon, scale, tail_days)
