"""Supplier scorecards: on-time-in-full, quality, price, lead time and responsiveness, weighted to 0-100.

Pure functions on polars frames (no database). The input is one row per receipt of a purchase line (a
line with no receipt yet has one row with a null ``received_at``); ``line_outcomes`` folds the receipts
into one row per line, ``score`` aggregates lines per supplier (and per month for the trend) and
``lead_time_stats`` per supplier x item.

Definitions (the usual ones of supplier-performance practice, e.g. APICS/ASCM OTIF):
* OTIF: a line is on time in full when its received quantity reached the ordered quantity no later than
  the due date (the supplier's promised date, else the order's expected date; no date: in full is
  enough). Lines neither complete nor past due are pending and not counted.
* Quality: rejected quantity / received quantity (receipt inspections).
* Price variance: sum((paid - contract) x qty) / sum(contract x qty), over lines with a contract price.
* Lead time: calendar days from the day the order was sent to the day the line was received in full (a
  line closed short: its last receipt). Mean and sample standard deviation.
* Responsiveness: hours from sending the order to the supplier's first confirmation; an order still
  unconfirmed counts with the hours elapsed up to ``as_of`` once it is older than the full-score limit.
Each metric becomes a 0-100 component by the linear rules of ``ScorecardOptions``; the score is the
weighted mean of the components that have data (weights renormalised over them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl

from qudao.errors import invalid

METRICS = ("otif", "quality", "price", "lead_time", "responsiveness")
DEFAULT_WEIGHTS = {"otif": 0.35, "quality": 0.25, "price": 0.15, "lead_time": 0.15, "responsiveness": 0.10}
GRADES = ("A", "B", "C", "D")
TIERS = ("strategic", "preferred", "approved", "probation")

# The columns ``line_outcomes`` expects (one row per receipt; null receipt columns for none yet).
RECEIPT_SCHEMA = {
    "supplier_id": pl.Int64, "supplier_code": pl.Utf8, "order_id": pl.Int64, "product_id": pl.Int64,
    "sku": pl.Utf8, "ordered_qty": pl.Float64, "unit_cost": pl.Float64, "contract_price": pl.Float64,
    "sent_at": pl.Datetime("us", "UTC"), "due_date": pl.Date, "first_confirmed_at": pl.Datetime("us", "UTC"),
    "closed": pl.Boolean, "rejected_qty": pl.Float64, "received_at": pl.Datetime("us", "UTC"),
    "received_qty": pl.Float64,
}

PRICE_SCHEMA = {"supplier_id": pl.Int64, "product_id": pl.Int64, "price": pl.Float64, "valid_from": pl.Date,
                "valid_to": pl.Date}


@dataclass(frozen=True)
class ScorecardOptions:
    """Thresholds that turn metrics into component scores, grades and tiers."""

    quality_penalty_per_pct: float = 10.0  # 10 % rejected -> quality component 0
    price_penalty_per_pct: float = 5.0  # paying 20 % above contract -> price component 0
    response_full_hours: float = 24.0  # confirmed within a day -> 100
    response_zero_hours: float = 168.0  # a week or more -> 0
    grade_floors: tuple[float, float, float] = (90.0, 80.0, 65.0)  # A, B, C; below C is D
    tier_floors: tuple[float, float, float] = (85.0, 70.0, 55.0)  # strategic, preferred, approved
    strategic_min_lines: int = 20  # evidence needed before a supplier can be strategic
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


def validate_weights(weights: dict[str, float | Decimal]) -> dict[str, float]:
    """Every metric named once, each weight in [0, 1], summing to 1 (within 1e-6)."""
    unknown = sorted(set(weights) - set(METRICS))
    if unknown:
        raise invalid(unknown[0], f"unknown metric; use {', '.join(METRICS)}")
    missing = [m for m in METRICS if m not in weights]
    if missing:
        raise invalid(missing[0], "weight missing")
    clean: dict[str, float] = {}
    for metric in METRICS:
        value = float(weights[metric])
        if not math.isfinite(value) or not 0 <= value <= 1:
            raise invalid(metric, "must be between 0 and 1")
        clean[metric] = value
    total = sum(clean.values())
    if abs(total - 1) > 1e-6:
        raise invalid("weights", f"must sum to 1, not {round(total, 6)}")
    return clean


def grade(score: float | None, options: ScorecardOptions = ScorecardOptions()) -> str | None:
    if score is None:
        return None
    for letter, floor in zip(GRADES, options.grade_floors, strict=False):
        if score >= floor:
            return letter
    return "D"


def tier(score: float | None, lines: int, options: ScorecardOptions = ScorecardOptions()) -> str | None:
    """Strategic needs the top score and enough lines of evidence; otherwise score thresholds."""
    if score is None:
        return None
    strategic, preferred, approved = options.tier_floors
    if score >= strategic and lines >= options.strategic_min_lines:
        return "strategic"
    if score >= preferred:
        return "preferred"
    return "approved" if score >= approved else "probation"


def _as_of_ts(as_of: date) -> datetime:
    return datetime(as_of.year, as_of.month, as_of.day, 23, 59, 59, tzinfo=UTC)


def attach_contract_prices(receipts: pl.DataFrame, prices: pl.DataFrame) -> pl.DataFrame:
    """Set ``contract_price`` to the supplier x item price in force on the day the order was sent
    (the latest ``valid_from`` on or before it, unless its ``valid_to`` has passed)."""
    keys = ["order_id", "product_id"]
    base = receipts.drop("contract_price")
    if prices.is_empty() or receipts.is_empty():
        return base.with_columns(pl.lit(None, dtype=pl.Float64).alias("contract_price")).select(receipts.columns)
    sent = pl.col("sent_at").dt.date()
    found = (receipts.select([*keys, "supplier_id", "sent_at"]).unique(subset=keys)
             .join(prices, on=["supplier_id", "product_id"])
             .filter((pl.col("valid_from") <= sent) & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= sent)))
             .sort("valid_from").group_by(keys).agg(pl.col("price").last().alias("contract_price")))
    return base.join(found, on=keys, how="left").select(receipts.columns)


def line_outcomes(receipts: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """One row per purchase line: received, completion and last receipt dates, OTIF, lead time, price."""
    by_time = receipts.sort(["order_id", "product_id", "received_at"], nulls_last=True).with_columns(
        pl.col("received_qty").fill_null(0.0).cum_sum().over(["order_id", "product_id"]).alias("cum_qty"))
    completing = pl.when(pl.col("cum_qty") >= pl.col("ordered_qty") - 1e-9).then(pl.col("received_at"))
    keys = ["supplier_id", "supplier_code", "order_id", "product_id", "sku", "ordered_qty", "unit_cost",
            "contract_price", "sent_at", "due_date", "first_confirmed_at", "closed", "rejected_qty"]
    lines = by_time.group_by(keys, maintain_order=True).agg(
        pl.col("received_qty").fill_null(0.0).sum().alias("received_qty"),
        completing.min().alias("completed_at"),
        pl.col("received_at").max().alias("last_received_at"),
    )
    completed_day = pl.col("completed_at").dt.date()
    lead_end = pl.coalesce(completed_day, pl.when(pl.col("closed")).then(pl.col("last_received_at").dt.date()))
    elapsed = pl.coalesce(pl.col("first_confirmed_at"), pl.lit(_as_of_ts(as_of)))
    return lines.with_columns(
        pl.col("completed_at").is_not_null().alias("in_full"),
        (pl.col("completed_at").is_not_null() | (pl.col("due_date") < as_of).fill_null(False)
         | pl.col("closed")).alias("assessed"),
        (completed_day <= pl.col("due_date")).fill_null(pl.col("completed_at").is_not_null()).alias("on_time"),
        (lead_end - pl.col("sent_at").dt.date()).dt.total_days().cast(pl.Float64).alias("lead_time_days"),
        ((elapsed - pl.col("sent_at")).dt.total_seconds() / 3600.0).alias("response_hours"),
        pl.col("sent_at").dt.strftime("%Y-%m").alias("period"),
    ).with_columns((pl.col("on_time") & pl.col("in_full") & pl.col("assessed")).alias("otif"))


def _clamp(expr: pl.Expr) -> pl.Expr:
    """Into [0, 100]; a metric without data stays null (left out of the score)."""
    return expr.clip(0.0, 100.0)


def score(lines: pl.DataFrame, by: list[str], options: ScorecardOptions = ScorecardOptions()) -> pl.DataFrame:
    """Metrics, components, score, grade and tier per group (``["supplier_id"]`` or with ``"period"``)."""
    weights = validate_weights(options.weights)
    with_price = pl.col("contract_price").is_not_null()
    # Responsiveness is a per-order figure: count each order once, skipping fresh unconfirmed ones.
    responses = (lines.unique(subset=["order_id"], keep="first", maintain_order=True)
                 .filter(pl.col("first_confirmed_at").is_not_null()
                         | (pl.col("response_hours") > options.response_full_hours))
                 .group_by(by).agg(pl.col("response_hours").mean().alias("response_hours_mean"),
                                   pl.len().alias("orders_confirmed")))
    metrics = lines.group_by(by).agg(
        pl.col("supplier_code").first(),
        pl.len().alias("lines"),
        pl.col("assessed").sum().alias("lines_assessed"),
        pl.col("otif").sum().alias("lines_otif"),
        pl.col("received_qty").sum().alias("received_qty"),
        pl.col("rejected_qty").fill_null(0.0).sum().alias("rejected_qty"),
        ((pl.col("unit_cost") - pl.col("contract_price")) * pl.col("ordered_qty")).filter(with_price).sum()
        .alias("price_over_contract"),
        (pl.col("contract_price") * pl.col("ordered_qty")).filter(with_price).sum().alias("contract_value"),
        pl.col("lead_time_days").drop_nulls().mean().alias("lead_time_mean"),
        pl.col("lead_time_days").drop_nulls().std(ddof=1).alias("lead_time_std"),
        pl.col("lead_time_days").drop_nulls().len().alias("lead_time_n"),
    ).join(responses, on=by, how="left")
    cv = pl.when(pl.col("lead_time_mean") > 0).then(pl.col("lead_time_std") / pl.col("lead_time_mean")) \
        .otherwise(0.0)
    span = options.response_zero_hours - options.response_full_hours
    metrics = metrics.with_columns(
        pl.when(pl.col("lines_assessed") > 0).then(100.0 * pl.col("lines_otif") / pl.col("lines_assessed"))
        .alias("otif_pct"),
        pl.when(pl.col("received_qty") > 0).then(100.0 * pl.col("rejected_qty") / pl.col("received_qty"))
        .alias("rejection_pct"),
        pl.when(pl.col("contract_value") > 0)
        .then(100.0 * pl.col("price_over_contract") / pl.col("contract_value")).alias("price_variance_pct"),
    ).with_columns(
        pl.col("otif_pct").alias("otif_score"),
        _clamp(100.0 - options.quality_penalty_per_pct * pl.col("rejection_pct")).alias("quality_score"),
        _clamp(100.0 - options.price_penalty_per_pct * pl.col("price_variance_pct").clip(lower_bound=0.0))
        .alias("price_score"),
        pl.when(pl.col("lead_time_n") >= 2).then(_clamp(100.0 * (1.0 - cv))).alias("lead_time_score"),
        _clamp(100.0 * (options.response_zero_hours - pl.col("response_hours_mean")) / span)
        .alias("responsiveness_score"),
    )
    parts = [pl.col(f"{m}_score") * weights[m] for m in METRICS]
    present = [pl.when(pl.col(f"{m}_score").is_not_null()).then(weights[m]).otherwise(0.0) for m in METRICS]
    weighted = pl.sum_horizontal([p.fill_null(0.0) for p in parts])
    weight_sum = pl.sum_horizontal(present)
    metrics = metrics.with_columns(
        pl.when(weight_sum > 0).then((weighted / weight_sum).round(2)).alias("score"))
    grades = [grade(s, options) for s in metrics["score"].to_list()]
    tiers = [tier(s, n, options) for s, n in zip(metrics["score"].to_list(), metrics["lines_assessed"].to_list(),
                                                 strict=True)]
    return metrics.with_columns(pl.Series("grade", grades, dtype=pl.Utf8),
                                pl.Series("tier", tiers, dtype=pl.Utf8)).sort(by)


def lead_time_stats(lines: pl.DataFrame) -> pl.DataFrame:
    """Per supplier x item: mean, sample std, number of lines and the latest lead time (days)."""
    done = lines.filter(pl.col("lead_time_days").is_not_null())
    return done.sort("sent_at").group_by(["supplier_id", "supplier_code", "product_id", "sku"]).agg(
        pl.col("lead_time_days").mean().alias("mean_days"),
        pl.col("lead_time_days").std(ddof=1).alias("std_days"),
        pl.len().alias("n"),
        pl.col("lead_time_days").last().alias("last_days"),
        pl.col("sent_at").last().alias("last_sent_at"),
    ).sort(["supplier_code", "sku"])


def empty_receipts() -> pl.DataFrame:
    return pl.DataFrame(schema=RECEIPT_SCHEMA)
