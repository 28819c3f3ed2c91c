"""Known retail events in a run: uplift learnt from the run's own history, taken out before fitting and put
back on the forecast (arithmetic in ``engines.forecast.events`` and ``engines.forecast.prepare``)."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from qudao.engines.forecast.events import learn_uplift
from qudao.engines.forecast.prepare import event_multipliers
from qudao.forecasting.history import series_ids

VALUE_COLUMNS = ("forecast", "lo_80", "hi_80", "lo_95", "hi_95")
_PERIOD_DAYS = {"day": 1, "week": 7, "month": 31}


def learn_and_cleanse(facts: pl.DataFrame, events: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(uplift per event kind, daily facts with each event day's demand divided by its uplift)."""
    if facts.is_empty() or events.is_empty():
        return pl.DataFrame(), facts
    uplift = learn_uplift(facts.rename({"series": "series_id"}).select("series_id", "channel_id", "ds", "y",
                                                                       "stockout"), events)
    if uplift.is_empty():
        return uplift, facts
    factors = event_multipliers(events, uplift, facts["channel_id"].unique().to_list(), facts["ds"].min(),
                                facts["ds"].max())
    cleansed = (facts.join(factors, on=["channel_id", "ds"], how="left")
                .with_columns((pl.col("y") / pl.col("multiplier").fill_null(1.0)).alias("y")).drop("multiplier"))
    return uplift, cleansed


def apply_to_forecast(values: pl.DataFrame, events: pl.DataFrame, uplift: pl.DataFrame,
                      grain: str) -> tuple[pl.DataFrame, int]:
    """Forecast values (``series, ds`` date, value columns) times the event multiplier of their period;
    returns the frame and how many values changed."""
    if values.is_empty() or uplift.is_empty():
        return values, 0
    ids = series_ids(values)
    first, last = values["ds"].min(), values["ds"].max() + timedelta(days=_PERIOD_DAYS[grain] - 1)
    factors = event_multipliers(events, uplift, ids["channel_id"].unique().to_list(), first, last, grain)
    joined = (values.join(ids.select("series", "channel_id"), on="series")
              .join(factors, on=["channel_id", "ds"], how="left")
              .with_columns(pl.col("multiplier").fill_null(1.0)))
    changed = int((joined["multiplier"] != 1.0).sum())
    out = joined.with_columns([(pl.col(c) * pl.col("multiplier")).alias(c) for c in VALUE_COLUMNS])
    return out.drop("channel_id", "multiplier"), changed
