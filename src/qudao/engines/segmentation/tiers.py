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


def pareto_tier(frame: pl.DataFrame, value: str, thresholds: tuple[float, float] = (0.80, 0.95)) -> pl.Series:
    """Tier of each row of ``frame`` (by its ``value`` column, ties by customer_id), in the frame's row order.

    Works on a narrow copy sorted once (value desc, id asc), then put back in row order.
    """
    high, middle = _check_thresholds(thresholds)
    amount = pl.col(value)
    positive = pl.when(amount > 0).then(amount).otherwise(0.0).alias("positive")
    narrow = (
        frame.select(pl.int_range(pl.len()).alias("row"), amount, pl.col("customer_id"))
        .sort([value, "customer_id"], descending=[True, False])
        .with_columns(positive)
        .with_columns(
            ((pl.col("positive").cum_sum() - pl.col("positive")) / pl.col("positive").sum()).alias("before")
        )
    )
    before = pl.col("before")
    tier = (
        pl.when(amount <= 0)
        .then(pl.lit(2, pl.UInt8))
        .when(before < high)
        .then(pl.lit(0, pl.UInt8))
        .when(before < middle)
        .then(pl.lit(1, pl.UInt8))
        .otherwise(pl.lit(2, pl.UInt8))
    )
    codes = narrow.select("row", tier.alias("tier")).sort("row")["tier"]
    return _from_codes(codes)


def _from_codes(codes: pl.Series) -> pl.Series:
    """Tier enum from physical codes 0 = high, 1 = middle, 2 = low."""
    return pl.Series(TIERS, dtype=TIER_ENUM).gather(codes)


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
    revenue = pareto_tier(summary, "monetary", thresholds)
    if "margin" not in summary.columns:
        return summary.with_columns(revenue.alias("revenue_tier"), revenue.alias("value_tier"))
    margin = pareto_tier(summary, "margin", thresholds)
    # enum order is high < middle < low, so the better tier is the smaller code
    codes = pl.DataFrame({"revenue": revenue.to_physical(), "margin": margin.to_physical()})
    pick = (
        pl.min_horizontal("revenue", "margin")
        if combine == "best"
        else pl.max_horizontal("revenue", "margin")
    )
    value = _from_codes(codes.select(pick.alias("pick"))["pick"])
    return summary.with_columns(
        revenue.alias("revenue_tier"), margin.alias("margin_tier"), value.alias("value_tier")
    )
