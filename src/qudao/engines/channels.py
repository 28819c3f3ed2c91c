"""Channel conflict detection and the channel performance scorecard: pure functions on polars frames.

Conflicts (each returned row is evidence a person can check against the source records):
* MAP: an order line priced below the minimum advertised price in force for its SKU x channel on the
  order's day (the MAP row with the latest ``effective_from`` not after the day and not yet ended).
* Territory: an order of a partner that has a territory shipped to a province outside it. A partner with
  no territory rows is unrestricted; a ship-to without a province cannot be judged and is not flagged.
* Cannibalisation: for one SKU, a channel whose mean weekly sales in the recent weeks rose by at least
  ``rise`` over its prior weeks while another channel's fell by at least ``fall`` (relative changes),
  both channels above ``min_weekly`` units in the prior weeks (so noise on tiny volumes is not flagged).

Scorecard: each entity (channel or partner) gets 0-100 components, then a weighted score
(weights must sum to 1): growth 50 + 50 x clip(growth, -1, 1); margin, sell-through rate and fill rate
100 x clip(rate, 0, 1); share 100 x share / largest share. A component without data (e.g. growth with no
prior sales) scores 0 so a missing number never flatters an entity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

SCORE_COMPONENTS = ("growth", "margin", "sell_through_rate", "fill_rate", "share")
DEFAULT_WEIGHTS: dict[str, float] = {
    "growth": 0.25, "margin": 0.2, "sell_through_rate": 0.25, "fill_rate": 0.15, "share": 0.15,
}


class WeightsError(ValueError):
    """The weights name an unknown component, are negative or do not sum to 1."""


def validate_weights(weights: Mapping[str, float]) -> dict[str, float]:
    unknown = set(weights) - set(SCORE_COMPONENTS)
    if unknown:
        raise WeightsError(f"unknown component(s) {', '.join(sorted(unknown))}; use {', '.join(SCORE_COMPONENTS)}")
    if any(w < 0 for w in weights.values()):
        raise WeightsError("weights must not be negative")
    total = sum(weights.values())
    if abs(total - 1.0) > 1e-6:
        raise WeightsError(f"weights must sum to 1 (they sum to {total:g})")
    return {c: float(weights.get(c, 0.0)) for c in SCORE_COMPONENTS}


# ---- conflicts ---------------------------------------------------------------------------------------------

def map_violations(lines: pl.DataFrame, map_prices: pl.DataFrame) -> pl.DataFrame:
    """``lines``: line_id, order_id, day, product_id, channel_id, unit_price, quantity.
    ``map_prices``: map_id, product_id, channel_id, min_price, effective_from, effective_to (null = open).
    Returns the lines priced below the MAP in force, with min_price, map_id and shortfall per unit."""
    if lines.is_empty() or map_prices.is_empty():
        return lines.head(0).with_columns(
            pl.lit(None, pl.Float64).alias("min_price"), pl.lit(None, pl.Int64).alias("map_id"),
            pl.lit(None, pl.Float64).alias("shortfall"))
    joined = lines.join(map_prices, on=["product_id", "channel_id"], how="inner").filter(
        (pl.col("effective_from") <= pl.col("day"))
        & (pl.col("effective_to").is_null() | (pl.col("day") <= pl.col("effective_to")))
    )
    # The MAP in force is the latest one started on or before the day.
    in_force = joined.sort("effective_from").group_by("line_id", maintain_order=True).last()
    return (in_force.filter(pl.col("unit_price") < pl.col("min_price"))
            .with_columns((pl.col("min_price") - pl.col("unit_price")).alias("shortfall"))
            .select([*lines.columns, "min_price", "map_id", "shortfall"]).sort("line_id"))


def territory_violations(orders: pl.DataFrame, territories: pl.DataFrame) -> pl.DataFrame:
    """``orders``: order_id, partner_id, province (of the ship-to). ``territories``: partner_id, province.
    Returns orders of partners with a territory shipped to a (known) province outside it, with the
    partner's allowed provinces as a list column ``allowed``."""
    allowed = territories.group_by("partner_id").agg(pl.col("province").sort().alias("allowed"))
    if orders.is_empty() or allowed.is_empty():
        return orders.head(0).with_columns(pl.lit(None, pl.List(pl.Utf8)).alias("allowed"))
    known = orders.filter(pl.col("province").is_not_null() & (pl.col("province").str.strip_chars() != ""))
    joined = known.join(allowed, on="partner_id", how="inner")
    outside = joined.filter(~pl.col("allowed").list.contains(pl.col("province")))
    return outside.sort("order_id")


@dataclass(frozen=True)
class CannibalisationOptions:
    recent_weeks: int = 4
    prior_weeks: int = 8
    rise: float = 0.3  # recent mean at least 30 % above the prior mean
    fall: float = 0.3  # recent mean at least 30 % below the prior mean
    min_weekly: float = 1.0  # prior mean weekly units both channels must exceed


def cannibalisation(weekly: pl.DataFrame, as_of_week: date, options: CannibalisationOptions) -> pl.DataFrame:
    """``weekly``: product_id, channel_id, week (Monday), quantity. ``as_of_week`` is the first week after
    the recent window. Returns one row per (product, gaining channel, losing channel) with both channels'
    prior and recent weekly means and relative changes."""
    recent_start = pl.lit(as_of_week) - pl.duration(weeks=options.recent_weeks)
    prior_start = pl.lit(as_of_week) - pl.duration(weeks=options.recent_weeks + options.prior_weeks)
    window = weekly.filter((pl.col("week") >= prior_start) & (pl.col("week") < pl.lit(as_of_week)))
    empty = pl.DataFrame(schema={"product_id": pl.Int64, "gaining_channel_id": pl.Int64,
                                 "losing_channel_id": pl.Int64, "gain_prior": pl.Float64,
                                 "gain_recent": pl.Float64, "gain_change": pl.Float64,
                                 "loss_prior": pl.Float64, "loss_recent": pl.Float64, "loss_change": pl.Float64})
    if window.is_empty():
        return empty
    # Weeks without a row are zero sales: divide sums by the window length, not by the rows present.
    means = window.group_by("product_id", "channel_id").agg(
        (pl.col("quantity").filter(pl.col("week") < recent_start).sum() / options.prior_weeks).alias("prior"),
        (pl.col("quantity").filter(pl.col("week") >= recent_start).sum() / options.recent_weeks).alias("recent"),
    ).filter(pl.col("prior") > options.min_weekly).with_columns(
        ((pl.col("recent") - pl.col("prior")) / pl.col("prior")).alias("change"))
    gains = means.filter(pl.col("change") >= options.rise).select(
        "product_id", pl.col("channel_id").alias("gaining_channel_id"), pl.col("prior").alias("gain_prior"),
        pl.col("recent").alias("gain_recent"), pl.col("change").alias("gain_change"))
    losses = means.filter(pl.col("change") <= -options.fall).select(
        "product_id", pl.col("channel_id").alias("losing_channel_id"), pl.col("prior").alias("loss_prior"),
        pl.col("recent").alias("loss_recent"), pl.col("change").alias("loss_change"))
    pairs = gains.join(losses, on="product_id", how="inner")
    if pairs.is_empty():
        return empty
    return pairs.select(empty.columns).cast(dict(empty.schema)).sort(
        "product_id", "gaining_channel_id", "losing_channel_id")


# ---- performance -------------------------------------------------------------------------------------------

def performance(current: pl.DataFrame, prior: pl.DataFrame, weights: Mapping[str, float]) -> pl.DataFrame:
    """``current``: key, revenue, cost (null when unknown), sell_in_qty, sell_through_qty, ordered_qty,
    shipped_qty — one row per entity for the period. ``prior``: key, revenue for the prior period.
    Returns per entity: the figures, growth, margin, share, sell_through_rate, fill_rate, the 0-100
    components and the weighted score, best score first."""
    w = validate_weights(weights)
    if current.is_empty():
        return current
    total = current["revenue"].sum() or 0.0
    frame = current.join(prior.select("key", pl.col("revenue").alias("prior_revenue")), on="key", how="left")
    frame = frame.with_columns(
        pl.when(pl.col("prior_revenue") > 0)
        .then((pl.col("revenue") - pl.col("prior_revenue")) / pl.col("prior_revenue")).alias("growth"),
        pl.when((pl.col("revenue") > 0) & pl.col("cost").is_not_null())
        .then((pl.col("revenue") - pl.col("cost")) / pl.col("revenue")).alias("margin"),
        (pl.col("revenue") / total if total else pl.lit(None, pl.Float64)).alias("share"),
        pl.when(pl.col("sell_in_qty") > 0)
        .then(pl.col("sell_through_qty") / pl.col("sell_in_qty")).alias("sell_through_rate"),
        pl.when(pl.col("ordered_qty") > 0).then(pl.col("shipped_qty") / pl.col("ordered_qty")).alias("fill_rate"),
    )
    max_share = frame["share"].max() or 0.0
    frame = frame.with_columns(
        (50 + 50 * pl.col("growth").clip(-1, 1)).fill_null(0).alias("growth_score"),
        (100 * pl.col("margin").clip(0, 1)).fill_null(0).alias("margin_score"),
        (100 * pl.col("sell_through_rate").clip(0, 1)).fill_null(0).alias("sell_through_rate_score"),
        (100 * pl.col("fill_rate").clip(0, 1)).fill_null(0).alias("fill_rate_score"),
        ((100 * pl.col("share") / max_share) if max_share else pl.lit(0.0)).fill_null(0).alias("share_score"),
    )
    score = sum((pl.col(f"{c}_score") * w[c] for c in SCORE_COMPONENTS), pl.lit(0.0))
    return frame.with_columns(score.alias("score")).sort(["score", "key"], descending=[True, False])


def monthly_trend(daily: pl.DataFrame) -> pl.DataFrame:
    """``daily``: key, day, revenue. Returns key, month (first day), revenue summed per month."""
    if daily.is_empty():
        return pl.DataFrame(schema={"key": pl.Utf8, "month": pl.Date, "revenue": pl.Float64})
    return (daily.with_columns(pl.col("day").dt.truncate("1mo").alias("month"))
            .group_by("key", "month").agg(pl.col("revenue").sum()).sort("key", "month"))
