"""Supplier scorecard arithmetic on a hand-worked case: three orders of one supplier.

PO1 sent 5 Jan 08:00, confirmed after 12 h, promised 15 Jan, 100 @ 10.00 (contract 10.00), all received
14 Jan (on time, 9 days), 4 rejected. PO2 sent 2 Feb, confirmed after 48 h, promised 12 Feb, 50 @ 10.70,
30 received 10 Feb and 20 on 14 Feb (late, 12 days), 3 rejected. PO3 sent 2 Mar, confirmed after 120 h,
promised 20 Mar, 200 @ 10.00, all received 17 Mar (on time, 15 days).
By hand: OTIF 2/3 = 66.667 %; rejected 7/350 = 2 % -> quality 100 - 10 x 2 = 80; price variance
(0.70 x 50) / (10 x 350) = 1 % -> 100 - 5 x 1 = 95; lead time 9, 12, 15: mean 12, std 3, cv 0.25 -> 75;
response (12 + 48 + 120) / 3 = 60 h -> 100 x (168 - 60) / (168 - 24) = 75.
Score 0.35 x 66.667 + 0.25 x 80 + 0.15 x 95 + 0.15 x 75 + 0.10 x 75 = 76.33 -> grade C, tier preferred.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from qudao.engines import scorecard
from qudao.errors import Invalid


def ts(day: str, hour: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def receipts() -> pl.DataFrame:
    def row(order: int, qty: float, cost: float, sent: datetime, due: str, confirmed: datetime, rejected: float,
            received_at: datetime | None, received: float | None) -> dict:
        return {"supplier_id": 1, "supplier_code": "SUP", "order_id": order, "product_id": 7, "sku": "RICE",
                "ordered_qty": qty, "unit_cost": cost, "contract_price": 10.0, "sent_at": sent,
                "due_date": date.fromisoformat(due), "first_confirmed_at": confirmed, "closed": False,
                "rejected_qty": rejected, "received_at": received_at, "received_qty": received}

    rows = [
        row(1, 100, 10.0, ts("2026-01-05", 8), "2026-01-15", ts("2026-01-05", 20), 4, ts("2026-01-14", 10), 100),
        row(2, 50, 10.7, ts("2026-02-02", 9), "2026-02-12", ts("2026-02-04", 9), 3, ts("2026-02-10", 10), 30),
        row(2, 50, 10.7, ts("2026-02-02", 9), "2026-02-12", ts("2026-02-04", 9), 3, ts("2026-02-14", 10), 20),
        row(3, 200, 10.0, ts("2026-03-02", 10), "2026-03-20", ts("2026-03-07", 10), 0, ts("2026-03-17", 10), 200),
    ]
    return pl.DataFrame(rows, schema=scorecard.RECEIPT_SCHEMA)


def test_hand_worked_scorecard() -> None:
    lines = scorecard.line_outcomes(receipts(), as_of=date(2026, 4, 1))
    assert lines["otif"].to_list() == [True, False, True]
    assert lines["lead_time_days"].to_list() == [9.0, 12.0, 15.0]
    assert lines["response_hours"].to_list() == [12.0, 48.0, 120.0]
    card = scorecard.score(lines, ["supplier_id"]).row(0, named=True)
    assert card["otif_pct"] == pytest.approx(200 / 3)
    assert card["rejection_pct"] == pytest.approx(2.0)
    assert card["quality_score"] == pytest.approx(80.0)
    assert card["price_variance_pct"] == pytest.approx(1.0)
    assert card["price_score"] == pytest.approx(95.0)
    assert (card["lead_time_mean"], card["lead_time_std"]) == (pytest.approx(12.0), pytest.approx(3.0))
    assert card["lead_time_score"] == pytest.approx(75.0)
    assert card["response_hours_mean"] == pytest.approx(60.0)
    assert card["responsiveness_score"] == pytest.approx(75.0)
    assert card["score"] == 76.33
    assert (card["grade"], card["tier"]) == ("C", "preferred")


def test_monthly_trend_renormalises_missing_components() -> None:
    """January alone: one line, so no lead-time spread; the other weights are rescaled to sum to 1.
    OTIF 100, quality 100 - 10 x 4 = 60, price 100, response 12 h -> 100:
    (0.35 x 100 + 0.25 x 60 + 0.15 x 100 + 0.10 x 100) / 0.85 = 88.24."""
    lines = scorecard.line_outcomes(receipts(), as_of=date(2026, 4, 1))
    trend = scorecard.score(lines, ["supplier_id", "period"])
    assert trend["period"].to_list() == ["2026-01", "2026-02", "2026-03"]
    assert trend["score"].to_list()[0] == 88.24
    assert trend["lead_time_score"].to_list() == [None, None, None]


def test_pending_lines_are_not_judged_yet_and_late_unfilled_lines_fail() -> None:
    frame = receipts().filter(pl.col("order_id") == 3).with_columns(
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("received_at"),
        pl.lit(None, dtype=pl.Float64).alias("received_qty"))
    before_due = scorecard.line_outcomes(frame, as_of=date(2026, 3, 10))
    assert before_due["assessed"].to_list() == [False]
    after_due = scorecard.line_outcomes(frame, as_of=date(2026, 3, 25))
    assert (after_due["assessed"].to_list(), after_due["otif"].to_list()) == ([True], [False])
    assert scorecard.score(after_due, ["supplier_id"])["otif_pct"].to_list() == [0.0]


def test_lead_time_stats_per_supplier_and_item() -> None:
    stats = scorecard.lead_time_stats(scorecard.line_outcomes(receipts(), as_of=date(2026, 4, 1)))
    row = stats.row(0, named=True)
    assert (row["mean_days"], row["std_days"], row["n"], row["last_days"]) == (12.0, 3.0, 3, 15.0)


def test_weights_must_name_every_metric_and_sum_to_one() -> None:
    assert scorecard.validate_weights(scorecard.DEFAULT_WEIGHTS) == scorecard.DEFAULT_WEIGHTS
    with pytest.raises(Invalid) as bad_sum:
        scorecard.validate_weights({**scorecard.DEFAULT_WEIGHTS, "otif": 0.5})
    assert bad_sum.value.errors[0].field == "weights"
    with pytest.raises(Invalid) as unknown:
        scorecard.validate_weights({**scorecard.DEFAULT_WEIGHTS, "cost": 0.0})
    assert unknown.value.errors[0].field == "cost"
    with pytest.raises(Invalid) as negative:
        scorecard.validate_weights({**scorecard.DEFAULT_WEIGHTS, "otif": -0.1, "quality": 0.7})
    assert negative.value.errors[0].field == "otif"


def test_grades_and_tiers_by_thresholds() -> None:
    assert [scorecard.grade(s) for s in (95, 90, 85, 70, 64.99, None)] == ["A", "A", "B", "C", "D", None]
    assert scorecard.tier(92, lines=25) == "strategic"
    assert scorecard.tier(92, lines=3) == "preferred"  # too little evidence to be strategic
    assert [scorecard.tier(s, 50) for s in (75, 60, 40)] == ["preferred", "approved", "probation"]


def test_contract_price_in_force_on_the_day_the_order_was_sent() -> None:
    prices = pl.DataFrame([(1, 7, 9.0, date(2025, 1, 1), date(2026, 1, 31)), (1, 7, 10.0, date(2026, 2, 1), None),
                           (1, 7, 99.0, date(2026, 3, 5), date(2026, 3, 6))],
                          schema=scorecard.PRICE_SCHEMA, orient="row")
    attached = scorecard.attach_contract_prices(receipts(), prices)
    assert attached["contract_price"].to_list() == [9.0, 10.0, 10.0, 10.0]
    assert attached.columns == receipts().columns


def test_a_supplier_with_nothing_measurable_yet_has_no_score() -> None:
    """An order sent minutes ago, unanswered and unreceived: no component has data, so no score (not 0)."""
    frame = receipts().filter(pl.col("order_id") == 3).with_columns(
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("received_at"),
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("first_confirmed_at"),
        pl.lit(None, dtype=pl.Float64).alias("received_qty"), pl.lit(None, dtype=pl.Float64).alias("contract_price"))
    card = scorecard.score(scorecard.line_outcomes(frame, as_of=date(2026, 3, 2)), ["supplier_id"]).row(0, named=True)
    assert [card[f"{m}_score"] for m in scorecard.METRICS] == [None] * 5
    assert (card["score"], card["grade"], card["tier"]) == (None, None, None)
