"""Value tiers (high / middle / low) by cumulative share of revenue and, when given, of margin.

Pareto (ABC) reading of the customer base (Koch, "The 80/20 Principle", ch. 1; the same cumulative-share
cut as ABC inventory classification, Silver, Pyke & Thomas, "Inventory and Production Management in
Supply Chains", 4th ed., section 4.7): customers sorted by value, largest first (ties by customer_id), and
a customer is

* high   when the share of the total held by the customers before it is below the first threshold
         (default 0.80; the customer who crosses 80 % is still high),
* middle when that share is below the second threshold (default 0.95),
* low    otherwise, and always when its own value is zero or negative.

The total is the sum of the positive values only, so returns never make a share exceed 1.
With margin, each measure gets its own tier and ``value_tier`` takes the better of the two
(``combine="best"``: a big account or a profitable one is worth care) or the worse (``combine="worst"``).
"""

from __future__ import annotations

import polars as pl

from ._checks import SegmentationInputError

TIERS: tuple[str, ...] = ("high", "middle", "low")
TIER_ENUM = pl.Enum(list(TIERS))


def _check_thresholds(thresholds: tuple[float, float]) -> tuple[float, float]:
    try:
        high, middle = (float(t) for t in thresholds)
    except (TypeError, ValueError):
        raise SegmentationInputError("tier_thresholds", "must be two numbers (high, middle)") from None
    if not 0.0 < high < middle <= 1.0:
        raise SegmentationInputError("tier_thresholds", f"need 0 < high < middle <= 1: ({high}, {middle})")
    return high, middle


def pareto_tier(values: pl.Expr, ids: pl.Expr, thresholds: tuple[float, float] = (0.80, 0.95)) -> pl.Expr:
    """Tier of each row from the cumulative share held by the rows ranked before it (see module docstring)."""
    high, middle = _check_thresholds(thresholds)
    positive = pl.when(values > 0).then(values).otherwise(0.0)
    # position of each row in the order (value desc, id asc), as a permutation
    order = pl.arg_sort_by(values, ids, descending=[True, False])
    position = order.arg_sort()
    sorted_positive = positive.gather(order)
    share_before_sorted = (sorted_positive.cum_sum() - sorted_positive) / positive.sum()
    share_before = share_before_sorted.gather(position)
    return (
        pl.when(values <= 0)
        .then(pl.lit("low"))
        .when(share_before < high)
        .then(pl.lit("high"))
        .when(share_before < middle)
        .then(pl.lit("middle"))
        .otherwise(pl.lit("low"))
        .cast(TIER_ENUM)
    )


def value_tiers(
    summary: pl.DataFrame,
    thresholds: tuple[float, float] = (0.80, 0.95),
    *,
    combine: str = "best",
) -> pl.DataFrame:
    """Add revenue_tier, margin_tier (when a ``margin`` column exists) and value_tier to a customer summary.

    ``summary`` needs customer_id and monetary (total revenue); margin is optional.
    """
    if combine not in ("best", "worst"):
        raise SegmentationInputError("combine", f"must be 'best' or 'worst', got {combine!r}")
    for name in ("customer_id", "monetary"):
        if name not in summary.columns:
            raise SegmentationInputError(name, "column is missing")
    ids = pl.col("customer_id")
    out = summary.with_columns(pareto_tier(pl.col("monetary"), ids, thresholds).alias("revenue_tier"))
    if "margin" not in summary.columns:
        return out.with_columns(pl.col("revenue_tier").alias("value_tier"))
    out = out.with_columns(pareto_tier(pl.col("margin"), ids, thresholds).alias("margin_tier"))
    # enum order is high < middle < low, so the better tier is the minimum physical value
    codes = [pl.col(c).to_physical() for c in ("revenue_tier", "margin_tier")]
    pick = pl.min_horizontal(*codes) if combine == "best" else pl.max_horizontal(*codes)
    tier = (
        pl.when(pick == 0)
        .then(pl.lit("high"))
        .when(pick == 1)
        .then(pl.lit("middle"))
        .otherwise(pl.lit("low"))
    )
    return out.with_columns(tier.cast(TIER_ENUM).alias("value_tier"))
