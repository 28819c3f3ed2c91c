"""Churn risk = 1 - P(alive) from the fitted BG/NBD model, in three buckets.

P(alive) is Fader, Hardie & Lee (2008), "Computing P(alive) using the BG/NBD model", note 021, eq. (2).
Buckets (defaults, configurable): low when risk < 0.30, medium when risk < 0.70, high otherwise.

Known limit of BG/NBD: a customer can only drop out right after a *repeat* purchase, so a one-time buyer
has P(alive) = 1 and churn risk 0 however long ago the purchase was. Read the RFM segment ("lost",
"hibernating") beside the risk for those customers.
"""

from __future__ import annotations

import polars as pl

from ._checks import SegmentationInputError

CHURN_BUCKETS: tuple[str, ...] = ("low", "medium", "high")
CHURN_ENUM = pl.Enum(list(CHURN_BUCKETS))


def churn_risk(predictions: pl.DataFrame, thresholds: tuple[float, float] = (0.30, 0.70)) -> pl.DataFrame:
    """Add churn_risk (1 - probability_alive) and churn_bucket to a frame with probability_alive."""
    try:
        low, high = (float(t) for t in thresholds)
    except (TypeError, ValueError):
        raise SegmentationInputError("churn_thresholds", "must be two numbers (low, high)") from None
    if not 0.0 < low < high < 1.0:
        raise SegmentationInputError("churn_thresholds", f"need 0 < low < high < 1, got ({low}, {high})")
    if "probability_alive" not in predictions.columns:
        raise SegmentationInputError("probability_alive", "column is missing")
    risk = (1.0 - pl.col("probability_alive")).clip(0.0, 1.0)
    bucket = (
        pl.when(risk < low)
        .then(pl.lit("low"))
        .when(risk < high)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("high"))
    )
    return predictions.with_columns(risk.alias("churn_risk"), bucket.cast(CHURN_ENUM).alias("churn_bucket"))
