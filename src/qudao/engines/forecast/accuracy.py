"""Accuracy of a stored forecast once actuals arrive: WAPE, MASE, bias and forecast value added (FVA).

Per series, over the forecast periods that have an actual (periods with a stockout are left out by the
caller: censored sales would understate demand and flatter an under-forecast):

    WAPE  = sum|A - F| / sum A                       (None when sum A = 0)
    bias  = (sum F - sum A) / sum A                  (> 0: over-forecast)
    MASE  = mean|A - F| / mean|y_t - y_(t-m)|        (Hyndman & Koehler, IJF 22(4), 2006: the scale is the
                                                      in-sample MAE of the seasonal naive forecast on the
                                                      history the run used; m = 1 when the history is not
                                                      longer than one season)
    FVA   = WAPE(seasonal naive) - WAPE(forecast)    (percentage points; > 0: the forecast adds value. Gilliland,
                                                      "The Business Forecasting Deal", 2010, ch. 7)

The seasonal naive forecast of step h is the history's value one season before, rolled forward:
N(T+h) = y(T + h - m * ceil(h / m)). Groups (class, channel, all) use ratios of sums for WAPE, bias and FVA
and the mean of the series' MASE.
"""

from __future__ import annotations

import polars as pl


def _season(history: pl.DataFrame, season_length: int) -> pl.DataFrame:
    """Per series: n, the season used (m, or 1 when n <= m), the MASE scale, and the last season's values."""
    n = history.group_by("series").agg(pl.len().alias("n"))
    work = (history.sort("series", "ds").join(n, on="series")
            .with_columns(pl.when(pl.col("n") > season_length).then(season_length).otherwise(1).alias("m"))
            .with_columns((pl.col("y") - pl.col("y").shift(season_length).over("series")).abs().alias("_dm"),
                          (pl.col("y") - pl.col("y").shift(1).over("series")).abs().alias("_d1"),
                          (pl.len().over("series") - 1 - pl.int_range(pl.len()).over("series")).alias("back")))
    scale = work.group_by("series").agg(
        pl.when(pl.col("m").first() > 1).then(pl.col("_dm").mean()).otherwise(pl.col("_d1").mean()).alias("scale"),
        pl.col("m").first())
    last = (work.filter(pl.col("back") < pl.col("m"))
            .select("series", (pl.col("m") - 1 - pl.col("back")).alias("k"), pl.col("y").alias("naive")))
    return scale.join(last, on="series")


def measure(forecasts: pl.DataFrame, actuals: pl.DataFrame, history: pl.DataFrame,
            season_length: int) -> pl.DataFrame:
    """Accuracy per series.

    forecasts: ``series, ds, forecast`` (every forecast period of the run, in order: the step h is the rank
    of ds); actuals: ``series, ds, y`` (only the periods to score); history: ``series, ds, y`` (what the run
    was fitted on). Returns ``series, periods, actual_total, forecast_total, abs_error, naive_abs_error,
    wape, mase, bias, naive_wape, fva``; series without any actual are left out.
    """
    steps = (forecasts.sort("series", "ds")
             .with_columns(pl.int_range(pl.len()).over("series").alias("h0")))
    season = _season(history, season_length)
    per_series = season.select("series", "m").unique()
    steps = steps.join(per_series, on="series", how="inner").with_columns((pl.col("h0") % pl.col("m")).alias("k"))
    steps = steps.join(season.select("series", "k", "naive"), on=["series", "k"], how="left")
    scored = steps.join(actuals.select("series", "ds", pl.col("y").alias("actual")), on=["series", "ds"], how="inner")
    sums = scored.group_by("series").agg(
        pl.len().alias("periods"),
        pl.col("actual").sum().alias("actual_total"),
        pl.col("forecast").sum().alias("forecast_total"),
        (pl.col("actual") - pl.col("forecast")).abs().sum().alias("abs_error"),
        (pl.col("actual") - pl.col("naive")).abs().sum().alias("naive_abs_error"),
    ).join(season.select("series", "scale").unique(), on="series", how="left")
    has_demand = pl.col("actual_total") > 0
    out = sums.with_columns(
        pl.when(has_demand).then(pl.col("abs_error") / pl.col("actual_total")).alias("wape"),
        pl.when(has_demand).then((pl.col("forecast_total") - pl.col("actual_total")) / pl.col("actual_total"))
        .alias("bias"),
        pl.when(has_demand).then(pl.col("naive_abs_error") / pl.col("actual_total")).alias("naive_wape"),
        pl.when(pl.col("scale") > 0).then(pl.col("abs_error") / pl.col("periods") / pl.col("scale")).alias("mase"),
    ).with_columns((pl.col("naive_wape") - pl.col("wape")).alias("fva"))
    return out.select("series", "periods", "actual_total", "forecast_total", "abs_error", "naive_abs_error", "wape",
                      "mase", "bias", "naive_wape", "fva").sort("series")


def summarise(rows: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Group accuracy rows (as returned by ``measure``) with ratios of sums; MASE is the mean of the series'."""
    has_demand = pl.col("actual_total") > 0
    grouped = rows.group_by(by).agg(
        pl.len().alias("series"),
        pl.col("periods").sum(),
        pl.col("actual_total").sum(),
        pl.col("forecast_total").sum(),
        pl.col("abs_error").sum(),
        pl.col("naive_abs_error").sum(),
        pl.col("mase").mean(),
    )
    return grouped.with_columns(
        pl.when(has_demand).then(pl.col("abs_error") / pl.col("actual_total")).alias("wape"),
        pl.when(has_demand).then((pl.col("forecast_total") - pl.col("actual_total")) / pl.col("actual_total"))
        .alias("bias"),
        pl.when(has_demand).then(pl.col("naive_abs_error") / pl.col("actual_total")).alias("naive_wape"),
    ).with_columns((pl.col("naive_wape") - pl.col("wape")).alias("fva")).sort(by)


def rollup_bounds(forecast_sum: float, lower_sq: float, upper_sq: float) -> tuple[float, float]:
    """Interval of a sum of series from each series' own interval half-widths (an approximation).

    Treats the series' errors as independent: the half-width of the sum is the root of the summed squared
    half-widths, on each side (lower and upper separately, as the intervals are not symmetric after the
    clip at zero). Positive correlation between series (common promotions, a holiday) makes the true
    interval wider, up to the plain sum of the bounds; the chart's roll-up bands are therefore a lower
    estimate of the spread. The lower bound is clipped at 0 (demand is never negative).
    """
    return max(0.0, forecast_sum - lower_sq ** 0.5), forecast_sum + upper_sq ** 0.5
