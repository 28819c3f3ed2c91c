"""Retail events (promotions, Spring Festival, 618, Double 11): uplift learnt from history, applied to forecasts.

Learning (``learn_uplift``): for every event occurrence and every series of a channel it covers, compare the
mean demand on the event's days with a **local baseline**: the mean over the ``baseline_days`` before and
after the event, leaving out days of any event and stockout days (lost sales are not low demand). Event
days that were stockouts are left out too. The uplift of an event kind is pooled over all (occurrence,
series) pairs as a ratio of sums, sum(event demand) / sum(baseline mean x event days), so large series
weigh more and an intermittent series with a zero baseline cannot blow it up. It is reported with its
number of observations (pairs) and event days. An uplift below 1 is kept: the Spring Festival holiday
closes shops.

Applying (``apply_events``): each forecast row whose date falls in a known future event of its channel (or
of every channel) is multiplied, forecast and interval bounds alike, by the event kind's uplift; two
events on the same day multiply.

Frames: ``history`` has ``series_id, channel_id, ds (Date), y`` and optionally ``stockout``; ``events`` has
``kind, starts_on, ends_on, channel_id`` (null = every channel; a caller expands a parent channel into its
children). Pure polars/numpy; no database.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

VALUE_COLUMNS = ("forecast", "lo_80", "hi_80", "lo_95", "hi_95")
UPLIFT_SCHEMA = {"kind": pl.String, "uplift": pl.Float64, "observations": pl.Int64, "event_days": pl.Int64,
                 "event_demand": pl.Float64, "baseline_demand": pl.Float64}


@dataclass(frozen=True)
class UpliftOptions:
    baseline_days: int = 28  # on each side of the event
    min_baseline_days: int = 7  # clean baseline days needed for a pair to count


def _check_events(events: pl.DataFrame) -> pl.DataFrame:
    needed = {"kind", "starts_on", "ends_on", "channel_id"}
    missing = needed - set(events.columns)
    if missing:
        raise ValueError(f"events lack column(s): {', '.join(sorted(missing))}")
    bad = events.filter(pl.col("ends_on") < pl.col("starts_on"))
    if bad.height:
        raise ValueError(f"{bad.height} event(s) end before they start")
    return events.with_columns(pl.col("channel_id").cast(pl.Int64), pl.col("starts_on").cast(pl.Date),
                               pl.col("ends_on").cast(pl.Date))


def event_days(events: pl.DataFrame, channels: list[int]) -> pl.DataFrame:
    """One row per (event occurrence, channel, day): ``occurrence, kind, channel_id, ds``."""
    events = _check_events(events).with_row_index("occurrence")
    channel_frame = pl.DataFrame({"channel_id": channels}, schema={"channel_id": pl.Int64})
    specific = events.filter(pl.col("channel_id").is_not_null()).join(channel_frame, on="channel_id", how="semi")
    every = events.filter(pl.col("channel_id").is_null()).drop("channel_id").join(channel_frame, how="cross")
    covered = pl.concat([specific.select("occurrence", "kind", "starts_on", "ends_on", "channel_id"),
                         every.select("occurrence", "kind", "starts_on", "ends_on", "channel_id")])
    return (covered.with_columns(pl.date_ranges("starts_on", "ends_on").alias("ds"))
            .explode("ds").select("occurrence", "kind", "channel_id", "ds"))


def learn_uplift(history: pl.DataFrame, events: pl.DataFrame, options: UpliftOptions | None = None) -> pl.DataFrame:
    """Uplift per event kind (see the module docstring): ``kind, uplift, observations, event_days, ...``."""
    opts = options or UpliftOptions()
    missing = {"series_id", "channel_id", "ds", "y"} - set(history.columns)
    if missing:
        raise ValueError(f"history lacks column(s): {', '.join(sorted(missing))}")
    if history.height == 0 or events.height == 0:
        return pl.DataFrame(schema=UPLIFT_SCHEMA)
    hist = history.select(
        pl.col("series_id"), pl.col("channel_id").cast(pl.Int64), pl.col("ds").cast(pl.Date),
        pl.col("y").cast(pl.Float64),
        (pl.col("stockout").cast(pl.Boolean) if "stockout" in history.columns else pl.lit(False)).alias("stockout"),
    ).group_by("series_id", "channel_id", "ds").agg(pl.col("y").sum(), pl.col("stockout").any())
    # Dense daily grid per series (absent days are zero demand), with a running position per series.
    spans = hist.group_by("series_id", "channel_id").agg(pl.col("ds").min().alias("first"),
                                                        pl.col("ds").max().alias("last"))
    grid = (spans.with_columns(pl.date_ranges("first", "last").alias("ds")).explode("ds")
            .join(hist, on=["series_id", "channel_id", "ds"], how="left")
            .with_columns(pl.col("y").fill_null(0.0), pl.col("stockout").fill_null(False))
            .sort("series_id", "channel_id", "ds"))
    days = event_days(events, spans["channel_id"].unique().to_list())
    any_event = days.select("channel_id", "ds").unique().with_columns(pl.lit(True).alias("event_day"))
    grid = grid.join(any_event, on=["channel_id", "ds"], how="left").with_columns(pl.col("event_day").fill_null(False))
    clean = ~grid["stockout"].to_numpy()
    y = grid["y"].to_numpy()
    base_ok = clean & ~grid["event_day"].to_numpy()
    # Prefix sums over the concatenated grid; a window sum is a difference of two prefix values.
    cum = {name: np.concatenate([[0.0], np.cumsum(values)]) for name, values in
           (("y_clean", np.where(clean, y, 0.0)), ("n_clean", clean.astype(float)),
            ("y_base", np.where(base_ok, y, 0.0)), ("n_base", base_ok.astype(float)))}
    offsets = grid.with_row_index("row").group_by("series_id", "channel_id").agg(pl.col("row").min().alias("row0"))
    pairs = (spans.join(offsets, on=["series_id", "channel_id"])
             .join(_check_events(events).with_row_index("occurrence").drop("channel_id")
                   .join(days.select("occurrence", "channel_id").unique(), on="occurrence"), on="channel_id"))
    pairs = pairs.filter(pl.col("ends_on") >= pl.col("first"), pl.col("starts_on") <= pl.col("last"))
    if pairs.height == 0:
        return pl.DataFrame(schema=UPLIFT_SCHEMA)
    first = pairs["first"].to_numpy().astype("datetime64[D]").astype(np.int64)
    last = pairs["last"].to_numpy().astype("datetime64[D]").astype(np.int64)
    row0 = pairs["row0"].to_numpy().astype(np.int64)
    starts = pairs["starts_on"].to_numpy().astype("datetime64[D]").astype(np.int64)
    ends = pairs["ends_on"].to_numpy().astype("datetime64[D]").astype(np.int64)

    def window(name: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Sum of ``name`` over days lo..hi (inclusive, clipped to each series' span)."""
        lo_c, hi_c = np.maximum(lo, first), np.minimum(hi, last)
        empty = hi_c < lo_c
        a = row0 + (lo_c - first)
        b = row0 + (hi_c - first) + 1
        return np.where(empty, 0.0, cum[name][np.where(empty, 0, b)] - cum[name][np.where(empty, 0, a)])

    k = opts.baseline_days
    event_y, event_n = window("y_clean", starts, ends), window("n_clean", starts, ends)
    base_y = window("y_base", starts - k, starts - 1) + window("y_base", ends + 1, ends + k)
    base_n = window("n_base", starts - k, starts - 1) + window("n_base", ends + 1, ends + k)
    usable = (base_n >= opts.min_baseline_days) & (event_n > 0)
    baseline_mean = np.divide(base_y, base_n, out=np.zeros_like(base_y), where=base_n > 0)
    scored = pl.DataFrame({"kind": pairs["kind"], "event_y": event_y, "expected": baseline_mean * event_n,
                           "event_n": event_n, "usable": usable}).filter(pl.col("usable"))
    result = scored.group_by("kind").agg(
        pl.col("event_y").sum().alias("event_demand"), pl.col("expected").sum().alias("baseline_demand"),
        pl.len().cast(pl.Int64).alias("observations"), pl.col("event_n").sum().cast(pl.Int64).alias("event_days"))
    result = result.with_columns(
        pl.when(pl.col("baseline_demand") > 0).then(pl.col("event_demand") / pl.col("baseline_demand"))
        .otherwise(None).alias("uplift"))
    return result.filter(pl.col("uplift").is_not_null()).select(list(UPLIFT_SCHEMA)).sort("kind")


def apply_events(forecast: pl.DataFrame, events: pl.DataFrame, uplift: pl.DataFrame, *,
                 columns: tuple[str, ...] = VALUE_COLUMNS) -> pl.DataFrame:
    """Multiply forecast rows (``channel_id``, ``ds`` and ``columns``) on known event days by the kind's uplift.

    Adds ``event_multiplier`` (1.0 on ordinary days). Event kinds without a learnt uplift change nothing.
    ``ds`` may be a date or a datetime; the frame keeps its own type.
    """
    present = [c for c in columns if c in forecast.columns]
    if "ds" not in forecast.columns or not present:
        raise ValueError(f"forecast needs ds and at least one of: {', '.join(columns)}")
    has_channel = "channel_id" in forecast.columns
    frame = forecast.with_columns(pl.col("ds").cast(pl.Date).alias("_day"))
    if not has_channel:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("channel_id"))
    channels = [c for c in frame["channel_id"].unique().to_list() if c is not None]
    all_events = _check_events(events)
    days = event_days(all_events, channels) if channels else pl.DataFrame(
        schema={"occurrence": pl.UInt32, "kind": pl.String, "channel_id": pl.Int64, "ds": pl.Date})
    if not has_channel:  # without channels only the events of every channel apply
        everywhere = all_events.filter(pl.col("channel_id").is_null())
        days = event_days(everywhere, [-1]).with_columns(pl.lit(None, dtype=pl.Int64).alias("channel_id"))
    factors = (days.select("kind", "channel_id", "ds").unique()
               .join(uplift.select("kind", "uplift"), on="kind", how="inner")
               .group_by("channel_id", "ds").agg(pl.col("uplift").product().alias("event_multiplier"))
               .rename({"ds": "_day"}))
    frame = frame.join(factors, on=["channel_id", "_day"], how="left", nulls_equal=True).with_columns(
        pl.col("event_multiplier").fill_null(1.0))
    frame = frame.with_columns([(pl.col(c) * pl.col("event_multiplier")).alias(c) for c in present]).drop("_day")
    return frame.drop("channel_id") if not has_channel else frame
