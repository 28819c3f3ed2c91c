"""RFM summary, quintile scores and named segments on ten hand-worked customers."""

from __future__ import annotations

import ast
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

import qudao.engines.segmentation as seg
from qudao.engines.segmentation import (
    SEGMENT_RULES,
    SEGMENTS,
    SegmentationInputError,
    customer_summary,
    name_segments,
    rfm_scores,
)

AS_OF = date(2026, 3, 31)

# customer: (recency in days, distinct purchase days one week apart, revenue per day)
CUSTOMERS = {
    "A": (1, 6, 100.0),
    "B": (3, 5, 90.0),
    "C": (2, 1, 50.0),
    "D": (10, 4, 225.0),
    "E": (20, 3, 100.0),
    "F": (40, 3, 40.0),
    "G": (60, 2, 40.0),
    "H": (90, 5, 140.0),
    "I": (150, 1, 30.0),
    "J": (200, 1, 20.0),
}


def transactions() -> pl.DataFrame:
    rows = []
    for customer, (recency, days, revenue) in CUSTOMERS.items():
        last = AS_OF - timedelta(days=recency)
        for k in range(days):
            rows.append((customer, last - timedelta(days=7 * k), revenue))
    rows.remove(("A", AS_OF - timedelta(days=1), 100.0))
    last_a = AS_OF - timedelta(days=1)
    rows += [("A", last_a, 60.0), ("A", last_a, 40.0)]  # two orders on one day count as one purchase day
    rows += [("A", date(2026, 4, 1), 999.0), ("K", date(2026, 4, 2), 5.0)]  # after the as-of date: ignored
    return pl.DataFrame(rows, schema=["customer_id", "order_date", "revenue"], orient="row")


def test_summary_measures():
    summary = customer_summary(transactions(), AS_OF)
    assert summary["customer_id"].to_list() == list("ABCDEFGHIJ")
    assert summary["recency_days"].to_list() == [1, 3, 2, 10, 20, 40, 60, 90, 150, 200]
    assert summary["frequency"].to_list() == [6, 5, 1, 4, 3, 3, 2, 5, 1, 1]
    assert summary["monetary"].to_list() == [600.0, 450.0, 50.0, 900.0, 300.0, 120.0, 80.0, 700.0, 30.0, 20.0]
    a = summary.row(0, named=True)
    # first purchase 2026-02-23, last 2026-03-30: 5 repeat days worth 500 in all
    assert (a["repeat_frequency"], a["clv_recency"], a["clv_T"], a["repeat_value"]) == (5, 35.0, 36.0, 100.0)
    j = summary.row(9, named=True)
    assert (j["repeat_frequency"], j["clv_recency"], j["clv_T"], j["repeat_value"]) == (0, 0.0, 200.0, 0.0)


def test_quintile_scores_codes_and_segments():
    scored = rfm_scores(customer_summary(transactions(), AS_OF))
    # R: ranks 1 (worst) .. 10 by fewer days; score = 1 + floor(5 (rank - 1) / 10)
    assert scored["r_score"].to_list() == [5, 4, 5, 4, 3, 3, 2, 2, 1, 1]
    # F: C, I, J tie at 1 (rank 1); B and H tie at 5 (rank 8 -> 4)
    assert scored["f_score"].to_list() == [5, 4, 1, 4, 3, 3, 2, 4, 1, 1]
    assert scored["m_score"].to_list() == [4, 4, 2, 5, 3, 3, 2, 5, 1, 1]
    codes = ["554", "444", "512", "445", "333", "333", "222", "245", "111", "111"]
    assert scored["rfm_code"].to_list() == codes
    assert scored["rfm_segment"].cast(pl.String).to_list() == [
        "champions",
        "champions",
        "new",
        "champions",
        "needs_attention",
        "needs_attention",
        "hibernating",
        "cannot_lose",
        "lost",
        "lost",
    ]


def test_rule_table_names_every_code():
    codes = pl.DataFrame(
        [(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)],
        schema=["r_score", "f_score", "m_score"],
        orient="row",
    )
    named = name_segments(codes)
    assert named["rfm_segment"].cast(pl.String).is_in(list(SEGMENTS)).all()
    picked = dict(zip(named["rfm_code"], named["rfm_segment"].cast(pl.String), strict=True))
    assert picked["355"] == "loyal"
    assert picked["243"] == "at_risk"
    assert picked["335"] == "needs_attention"
    assert picked["425"] == "potential_loyalist"
    assert picked["321"] == "about_to_sleep"
    assert len(SEGMENT_RULES) == len(SEGMENTS) == len(set(SEGMENTS))


def test_datetime_order_dates_and_margin_column():
    frame = transactions().with_columns(
        pl.col("order_date").cast(pl.Datetime("us", "UTC")), (pl.col("revenue") * 0.25).alias("margin")
    )
    summary = customer_summary(frame, AS_OF)
    assert summary["frequency"].to_list()[:2] == [6, 5]
    assert summary["margin"].to_list()[:2] == [150.0, 112.5]


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        (pl.DataFrame({"customer_id": [1], "order_date": [AS_OF]}), "revenue"),
        (pl.DataFrame({"customer_id": [1], "order_date": [AS_OF], "revenue": [None]}), "revenue"),
        (pl.DataFrame({"customer_id": [1], "order_date": ["2026-03-01"], "revenue": [1.0]}), "order_date"),
        (pl.DataFrame({"customer_id": [1], "order_date": [AS_OF], "revenue": ["x"]}), "revenue"),
        (pl.DataFrame({"customer_id": [1], "order_date": [AS_OF], "revenue": [float("nan")]}), "revenue"),
    ],
)
def test_bad_input_names_the_field(frame, field):
    with pytest.raises(SegmentationInputError) as caught:
        customer_summary(frame, AS_OF)
    assert caught.value.field == field


def test_engine_is_pure():
    """Architecture rule: the engine imports no database, web or area package (CLV package allowed)."""
    allowed = {"__future__", "contextlib", "dataclasses", "datetime", "logging", "typing", "warnings"}
    allowed |= {"numpy", "polars", "scipy", "pandas", "pymc_marketing", "pymc_extras"}
    for path in Path(seg.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_run_without_clv():
    result = seg.segment_customers(transactions(), AS_OF, seg.SegmentationOptions(with_clv=False))
    assert result.fit is None
    assert result.customers["value_tier"].cast(pl.String).to_list()[:4] == ["high", "high", "low", "high"]
    assert "clv" not in result.customers.columns
