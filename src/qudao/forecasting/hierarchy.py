"""Reconciling a run's bottom forecasts with forecasts of the total, each category and each channel.

Roll-ups in Qudao sum the stored SKU x location x channel forecasts, so they are coherent by construction
(bottom-up). With ``reconcile="ols"`` a run also forecasts the aggregate nodes (total; category; channel)
with the same engine and maps all of them onto coherent forecasts with MinT's OLS weights
(``engines.forecast.hierarchy``; Hyndman et al. 2011), so the bottom series borrow the steadier aggregate
signal. Each series' interval bounds move with its point forecast (the widths are kept); values are clipped
at zero, which the summary's coherence error reports.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import polars as pl

from qudao.engines.forecast import ForecastOptions, run_forecast
from qudao.engines.forecast.hierarchy import aggregate_history, coherence_error, reconcile
from qudao.forecasting.history import series_ids

SPEC = [["total"], ["total", "category"], ["total", "channel"], ["total", "category", "channel", "series"]]
BOUNDS = ("lo_80", "hi_80", "lo_95", "hi_95")


def reconcile_values(periods: pl.DataFrame, values: pl.DataFrame, category_of: dict[int, int | None], *,
                     horizon: int, freq: str, season: int, options: ForecastOptions,
                     method: str = "ols") -> tuple[pl.DataFrame, dict[str, Any]]:
    """(values with reconciled forecasts and shifted bounds, summary). ``values``: series, ds (date), ..."""
    ids = series_ids(periods)
    nodes = ids.with_columns(
        pl.format("cat{}", pl.col("product_id").replace_strict(category_of, default=None).fill_null(0))
        .alias("category"),
        pl.format("ch{}", "channel_id").alias("channel"), pl.lit("all").alias("total"))
    bottom = periods.join(nodes.select("series", "total", "category", "channel"), on="series")
    history, hierarchy = aggregate_history(bottom.with_columns(pl.col("ds").cast(pl.Datetime("ns"))).to_pandas(),
                                           SPEC)
    node_of = {row[0]: f"all/{row[1]}/{row[2]}/{row[0]}" for row in
               nodes.select("series", "category", "channel").iter_rows()}
    upper = history[~history["unique_id"].isin(set(node_of.values()))]
    upper_fc = run_forecast(upper, horizon, freq, season, options).forecast[["unique_id", "ds", "forecast"]]
    base_bottom = values.select("series", "ds", "forecast").to_pandas()
    base_bottom["unique_id"] = base_bottom["series"].map(node_of)
    base_bottom["ds"] = pd.to_datetime(base_bottom["ds"])
    base = pd.concat([upper_fc, base_bottom[["unique_id", "ds", "forecast"]]], ignore_index=True)
    coherent = reconcile(base, hierarchy, method=method)
    series_of = {node: series for series, node in node_of.items()}
    shift = pl.from_pandas(coherent[coherent["unique_id"].isin(series_of)]).with_columns(
        pl.col("unique_id").replace_strict(series_of).alias("series"), pl.col("ds").cast(pl.Date),
        (pl.col("forecast") - pl.col("base")).alias("shift")).select("series", "ds", "shift")
    moved = values.join(shift, on=["series", "ds"], how="left").with_columns(pl.col("shift").fill_null(0.0))
    moved = moved.with_columns([(pl.col(c) + pl.col("shift")).clip(lower_bound=0.0).alias(c)
                                for c in ("forecast", *BOUNDS)]).drop("shift")
    moved = moved.with_columns(pl.min_horizontal("lo_80", "forecast").alias("lo_80"),
                               pl.max_horizontal("hi_80", "forecast").alias("hi_80"))
    moved = moved.with_columns(pl.min_horizontal("lo_95", "lo_80").alias("lo_95"),
                               pl.max_horizontal("hi_95", "hi_80").alias("hi_95"))
    # How far the stored bottom values (after the clip at zero) are from the reconciled aggregate nodes.
    check = moved.select("series", "ds", "forecast").to_pandas()
    check["unique_id"], check["ds"] = check["series"].map(node_of), pd.to_datetime(check["ds"])
    upper_nodes = coherent[~coherent["unique_id"].isin(series_of)][["unique_id", "ds", "forecast"]].copy()
    upper_nodes["ds"] = pd.to_datetime(upper_nodes["ds"])
    summed = pd.concat([check[["unique_id", "ds", "forecast"]], upper_nodes], ignore_index=True)
    summary = {"method": method, "nodes": len(hierarchy.S),
               "coherence_error": round(coherence_error(summed, hierarchy), 6)}
    return moved, summary
