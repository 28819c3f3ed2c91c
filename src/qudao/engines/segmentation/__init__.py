"""Customer segmentation engine: RFM scores and segments, value tiers, CLV (BG/NBD + Gamma-Gamma), churn risk.

Pure: polars/numpy in, polars out; the CLV step uses pymc-marketing (imported on first use). A run is
``segment_customers(transactions, as_of, options)``; each step is also callable on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from ._checks import SegmentationInputError
from .churn import CHURN_BUCKETS, churn_risk
from .clv import ClvFit, fit_clv, predict_clv
from .rfm import SEGMENT_RULES, SEGMENTS, customer_summary, name_segments, quintile_score, rfm_scores
from .tiers import TIERS, pareto_tier, value_tiers

__all__ = [
    "CHURN_BUCKETS",
    "SEGMENTS",
    "SEGMENT_RULES",
    "TIERS",
    "ClvFit",
    "SegmentationInputError",
    "SegmentationOptions",
    "SegmentationResult",
    "churn_risk",
    "customer_summary",
    "fit_clv",
    "name_segments",
    "pareto_tier",
    "predict_clv",
    "quintile_score",
    "rfm_scores",
    "segment_customers",
    "value_tiers",
]


@dataclass(frozen=True)
class SegmentationOptions:
    """Typed options of a segmentation run (defaults in the module docstrings of each step)."""

    tier_thresholds: tuple[float, float] = (0.80, 0.95)
    tier_combine: str = "best"
    with_clv: bool = True
    horizon_days: float = 90.0
    clv_months: int = 12
    monthly_discount_rate: float = 0.01
    churn_thresholds: tuple[float, float] = (0.30, 0.70)
    max_fit_customers: int = 200_000
    seed: int = 0


@dataclass(frozen=True)
class SegmentationResult:
    """customers: one row per customer with every measure; fit: the CLV fit (None without CLV)."""

    customers: pl.DataFrame
    fit: ClvFit | None = field(default=None)


def segment_customers(
    transactions: pl.DataFrame, as_of: date, options: SegmentationOptions | None = None
) -> SegmentationResult:
    """RFM, value tiers and (optionally) CLV + churn risk for every customer who bought by ``as_of``."""
    options = options or SegmentationOptions()
    summary = customer_summary(transactions, as_of)
    customers = value_tiers(rfm_scores(summary), options.tier_thresholds, combine=options.tier_combine)
    if not options.with_clv:
        return SegmentationResult(customers=customers)
    fit = fit_clv(summary, max_customers=options.max_fit_customers, seed=options.seed)
    predictions = predict_clv(
        fit,
        summary,
        horizon_days=options.horizon_days,
        clv_months=options.clv_months,
        monthly_discount_rate=options.monthly_discount_rate,
    )
    predictions = churn_risk(predictions, options.churn_thresholds)
    # predictions come row for row from the same summary, so they line up with ``customers``
    return SegmentationResult(customers=customers.hstack(predictions.drop("customer_id")), fit=fit)
