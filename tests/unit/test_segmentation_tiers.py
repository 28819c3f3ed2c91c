"""Value tiers by cumulative share of revenue and margin, hand-worked."""

from __future__ import annotations

import polars as pl
import pytest

from qudao.engines.segmentation import SegmentationInputError, churn_risk, value_tiers

# revenue 50, 30, 10, 5, 5, -2 (positive total 100); margin 5, 1, 10, 2, 2, 0 (positive total 20)
SUMMARY = pl.DataFrame(
    {
        "customer_id": [1, 2, 3, 4, 5, 6],
        "monetary": [50.0, 30.0, 10.0, 5.0, 5.0, -2.0],
        "margin": [5.0, 1.0, 10.0, 2.0, 2.0, 0.0],
    }
)


def tiers(frame: pl.DataFrame, column: str) -> list[str]:
    return frame[column].cast(pl.String).to_list()


def test_revenue_tiers_pareto_80_95():
    out = value_tiers(SUMMARY.drop("margin"))
    # share held by the customers before: 0, .50, .80, .90, .95 (tie 4/5 broken by id), 6 is negative
    assert tiers(out, "revenue_tier") == ["high", "high", "middle", "middle", "low", "low"]
    assert tiers(out, "value_tier") == tiers(out, "revenue_tier")
    assert "margin_tier" not in out.columns


def test_margin_tiers_and_combination():
    best = value_tiers(SUMMARY)
    # margin order 3 (10), 1 (5), 4 (2), 5 (2), 2 (1), 6 (0): shares before 0, .50, .75, .85, .95
    assert tiers(best, "margin_tier") == ["high", "low", "high", "high", "middle", "low"]
    assert tiers(best, "value_tier") == ["high", "high", "high", "high", "middle", "low"]
    worst = value_tiers(SUMMARY, combine="worst")
    assert tiers(worst, "value_tier") == ["high", "low", "middle", "middle", "low", "low"]


def test_configurable_thresholds():
    out = value_tiers(SUMMARY.drop("margin"), (0.5, 0.9))
    assert tiers(out, "revenue_tier") == ["high", "middle", "middle", "low", "low", "low"]


@pytest.mark.parametrize("thresholds", [(0.95, 0.8), (0.0, 0.5), (0.5, 1.5), ("a", "b")])
def test_bad_thresholds(thresholds):
    with pytest.raises(SegmentationInputError) as caught:
        value_tiers(SUMMARY, thresholds)
    assert caught.value.field == "tier_thresholds"


def test_churn_buckets():
    out = churn_risk(pl.DataFrame({"probability_alive": [1.0, 0.8, 0.6, 0.4, 0.2, 0.0]}))
    assert out["churn_risk"].round(6).to_list() == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert tiers(out, "churn_bucket") == ["low", "low", "medium", "medium", "high", "high"]
    with pytest.raises(SegmentationInputError) as caught:
        churn_risk(out, (0.7, 0.3))
    assert caught.value.field == "churn_thresholds"
