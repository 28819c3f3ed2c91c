"""Per-customer purchase summary and RFM scores with named segments.

Definitions (stated once, used everywhere):

* recency_days   = days from the customer's last purchase day to the as-of date (0 = bought that day);
* frequency      = number of distinct purchase days (several orders on one day count once, so that a
                   split delivery is not read as loyalty);
* monetary       = total revenue over the history up to the as-of date (returns as negative revenue
                   lower it).

Scores 1..5 by quintiles of the customer base (Hughes, "Strategic Database Marketing", 4th ed., ch. 8:
customers sorted into five equal groups per dimension, 5 = best). Tie rule, deterministic: customers with
equal values share one score, the one of their lowest position, i.e. with ``rank_min`` the rank among n
customers in the "better" direction (1 = worst) and ties given their minimum rank,
``score = 1 + floor(5 * (rank_min - 1) / n)``. For recency fewer days is better.

The CLV inputs follow Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way", section 3
(and the ``lifetimes`` convention): repeat_frequency = frequency - 1, clv_recency = days from the first to
the last purchase day, clv_T = days from the first purchase day to the as-of date, repeat_value = mean
revenue per repeat purchase day (the first day excluded; 0 when none).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from ._checks import as_of_date, clean_transactions

#: Named segments, first match wins: (name, R range, F range, M range), ranges inclusive on the 1..5 scores.
#: The table covers all 125 codes; "loyal" etc. are in the trade's words (see docs in the module header).
SEGMENT_RULES: tuple[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]], ...] = (
    ("champions", (4, 5), (4, 5), (4, 5)),  # bought lately, often, and much
    ("loyal", (3, 5), (4, 5), (1, 5)),  # buy often, not lapsed
    ("cannot_lose", (1, 2), (4, 5), (4, 5)),  # were frequent big buyers, have gone quiet
    ("at_risk", (1, 2), (3, 5), (1, 5)),  # were regular, have gone quiet
    ("new", (5, 5), (1, 1), (1, 5)),  # first purchase very recently
    ("potential_loyalist", (4, 5), (1, 3), (1, 5)),  # recent, not yet frequent
    ("needs_attention", (3, 3), (3, 3), (1, 5)),  # middle of the road
    ("about_to_sleep", (3, 3), (1, 2), (1, 5)),  # fading, few purchases
    ("hibernating", (2, 2), (1, 2), (1, 5)),  # long quiet, few purchases
    ("lost", (1, 1), (1, 2), (1, 5)),  # longest quiet, few purchases
)
SEGMENTS: tuple[str, ...] = tuple(rule[0] for rule in SEGMENT_RULES)


def customer_summary(transactions: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """One row per customer with the RFM measures and the BG/NBD / Gamma-Gamma inputs, sorted by id.

    Input columns: customer_id, order_date (Date or Datetime), revenue, optional margin.
    """
    as_of = as_of_date(as_of)
    frame = clean_transactions(transactions, as_of)
    has_margin = "margin" in frame.columns
    first_day = pl.col("order_date").min()
    per_customer = [
        first_day.alias("first_purchase"),
        pl.col("order_date").max().alias("last_purchase"),
        pl.col("order_date").n_unique().cast(pl.Int64).alias("frequency"),
        pl.col("revenue").sum().alias("monetary"),
        pl.col("revenue").filter(pl.col("order_date") == first_day).sum().alias("first_day_revenue"),
    ]
    if has_margin:
        per_customer.append(pl.col("margin").sum().alias("margin"))
    summary = (
        frame.group_by("customer_id")
        .agg(per_customer)
        .with_columns(
            (pl.lit(as_of) - pl.col("last_purchase")).dt.total_days().alias("recency_days"),
            (pl.col("frequency") - 1).alias("repeat_frequency"),
            (pl.col("last_purchase") - pl.col("first_purchase"))
            .dt.total_days()
            .cast(pl.Float64)
            .alias("clv_recency"),
            (pl.lit(as_of) - pl.col("first_purchase")).dt.total_days().cast(pl.Float64).alias("clv_T"),
        )
        .with_columns(
            pl.when(pl.col("repeat_frequency") > 0)
            .then((pl.col("monetary") - pl.col("first_day_revenue")) / pl.col("repeat_frequency"))
            .otherwise(0.0)
            .alias("repeat_value")
        )
        .drop("first_day_revenue")
        .sort("customer_id")
    )
    leading = ["customer_id", "recency_days", "frequency", "monetary", *(["margin"] if has_margin else [])]
    return summary.select(leading + [c for c in summary.columns if c not in leading])


def quintile_score(values: pl.Expr, *, higher_is_better: bool = True) -> pl.Expr:
    """Score 1..5 by quintile; ties share the score of their lowest position (see module docstring)."""
    ordered = values if higher_is_better else -values
    rank = ordered.rank("min").cast(pl.Int64)
    n = pl.len().cast(pl.Int64)
    return (1 + (5 * (rank - 1)) // n).cast(pl.Int8)


def rfm_scores(summary: pl.DataFrame) -> pl.DataFrame:
    """Add r_score, f_score, m_score (1..5), rfm_code ("545") and rfm_segment to a customer summary."""
    scored = summary.with_columns(
        quintile_score(pl.col("recency_days"), higher_is_better=False).alias("r_score"),
        quintile_score(pl.col("frequency")).alias("f_score"),
        quintile_score(pl.col("monetary")).alias("m_score"),
    )
    return name_segments(scored)


def name_segments(scored: pl.DataFrame) -> pl.DataFrame:
    """Add rfm_code and rfm_segment (first matching row of SEGMENT_RULES) to a frame with the three scores."""
    segment = None
    for name, (r_lo, r_hi), (f_lo, f_hi), (m_lo, m_hi) in SEGMENT_RULES:
        match = (
            pl.col("r_score").is_between(r_lo, r_hi)
            & pl.col("f_score").is_between(f_lo, f_hi)
            & pl.col("m_score").is_between(m_lo, m_hi)
        )
        segment = (pl if segment is None else segment).when(match).then(pl.lit(name))
    digits = [pl.col(c).cast(pl.String) for c in ("r_score", "f_score", "m_score")]
    return scored.with_columns(
        pl.concat_str(digits).alias("rfm_code"),
        segment.otherwise(pl.lit("other")).cast(pl.Enum([*SEGMENTS, "other"])).alias("rfm_segment"),
    )
