"""Single-level MRP records worked by hand (textbook layout: gross requirements, scheduled receipts,
projected on hand, net requirements, planned order receipts and releases)."""

from __future__ import annotations

import numpy as np
import pytest

from qudao.engines.planning import (
    PlanningInputError,
    PlanOptions,
    eoq_quantity,
    gross_requirements,
    lot_sizing,
    offset,
    plan_items,
    safety_stock_for,
)

# One item, 8 weekly buckets, on hand 10, a scheduled receipt of 20 in week 1, lead time 2 weeks.
GR = [[5, 15, 25, 20, 0, 30, 10, 25]]
SR = [[0, 20, 0, 0, 0, 0, 0, 0]]


def _row(x):
    return np.asarray(x)[0].tolist()


def test_lot_for_lot_record():
    r = plan_items(GR, [10], 2, SR)
    # week 0: 10 - 5 = 5; week 1: 5 + 20 - 15 = 10; week 2: 10 - 25 -> net 15 ...
    assert _row(r.projected_on_hand) == [5, 10, 0, 0, 0, 0, 0, 0]
    assert _row(r.net_requirements) == [0, 0, 15, 20, 0, 30, 10, 25]
    assert _row(r.planned_receipts) == [0, 0, 15, 20, 0, 30, 10, 25]
    assert _row(r.planned_releases) == [15, 20, 0, 30, 10, 25, 0, 0]  # offset by 2 weeks
    assert _row(r.scheduled_receipts) == SR[0]
    assert r.past_due.tolist() == [0]


def test_fixed_order_quantity_from_eoq():
    # EOQ: 20 units/week x 52 = 1040 a year, K = 50, h = 2.6 a year -> sqrt(2 * 50 * 1040 / 2.6) = 200.
    assert eoq_quantity(20.0, 50.0, 2.6, 52.0) == pytest.approx(200.0)
    r = plan_items(GR, [10], 2, SR, lots=lot_sizing(1, rule="fixed", fixed_quantity=50))
    # week 2 needs 15 -> 50 (35 left); week 5: 15 - 30 -> 50 (35 left); week 7: 25 - 25 = 0, no order.
    assert _row(r.planned_receipts) == [0, 0, 50, 0, 0, 50, 0, 0]
    assert _row(r.projected_on_hand) == [5, 10, 35, 15, 15, 35, 25, 0]
    assert _row(r.planned_releases) == [50, 0, 0, 50, 0, 0, 0, 0]


def test_fixed_quantity_raised_to_a_larger_net_requirement():
    r = plan_items([[0, 80, 0]], [0], 0, lots=lot_sizing(1, rule="fixed", fixed_quantity=50))
    assert _row(r.planned_receipts) == [0, 80, 0]


def test_safety_stock_triggers_orders_earlier():
    r = plan_items(GR, [10], 2, SR, safety_stock=5, lots=lot_sizing(1, rule="fixed", fixed_quantity=50))
    # week 2: 10 - 25 = -15, net = 5 - (-15) = 20 -> 50; week 7: 25 - 25 = 0 < 5 -> net 5 -> 50.
    assert _row(r.net_requirements) == [0, 0, 20, 0, 0, 20, 0, 5]
    assert _row(r.planned_receipts) == [0, 0, 50, 0, 0, 50, 0, 50]
    assert _row(r.projected_on_hand) == [5, 10, 35, 15, 15, 35, 25, 50]


def test_minimum_and_multiple():
    r = plan_items(GR, [10], 2, SR, lots=lot_sizing(1, minimum=25, multiple=10))
    # week 2: 15 -> min 25 -> multiple of 10: 30 (15 left); week 3: 15 - 20 -> 5 -> 30 (25 left) ...
    assert _row(r.planned_receipts) == [0, 0, 30, 30, 0, 30, 0, 30]
    assert _row(r.projected_on_hand) == [5, 10, 15, 25, 25, 25, 15, 20]


def test_pack_size_and_multiple_use_their_least_common_multiple():
    r = plan_items([[7, 0]], [0], 0, lots=lot_sizing(1, multiple=4, pack_size=6))
    assert _row(r.planned_receipts) == [12, 0]
    with pytest.raises(PlanningInputError, match="whole numbers"):
        lot_sizing(1, multiple=2.5, pack_size=6)


def test_periods_of_supply():
    r = plan_items(GR, [10], 2, SR, lots=lot_sizing(1, rule="periods", periods=2))
    # week 2 covers weeks 2-3: 15 + 20 = 35; week 5 covers 5-6: 30 + 10; week 7: 25 (horizon ends).
    assert _row(r.planned_receipts) == [0, 0, 35, 0, 0, 40, 0, 25]


def test_mixed_rules_vectorised_over_items():
    gr = np.array([GR[0], GR[0], GR[0]])
    lots = lot_sizing(
        3,
        rule=["lot_for_lot", "fixed", "lot_for_lot"],
        fixed_quantity=[0, 50, 0],
        minimum=[0, 0, 25],
        multiple=[0, 0, 10],
    )
    r = plan_items(gr, [10, 10, 10], [2, 2, 2], np.repeat(SR, 3, axis=0), lots=lots)
    assert r.planned_receipts[0].tolist() == [0, 0, 15, 20, 0, 30, 10, 25]
    assert r.planned_receipts[1].tolist() == [0, 0, 50, 0, 0, 50, 0, 0]
    assert r.planned_receipts[2].tolist() == [0, 0, 30, 30, 0, 30, 0, 30]


def test_lead_time_offset_and_past_due():
    rel, past = offset(np.array([[0, 0, 15, 20], [5, 0, 0, 7]]), [3, 1])
    assert rel.tolist() == [[20, 0, 0, 0], [0, 0, 7, 0]]
    assert past.tolist() == [15, 5]  # receipts needed before the lead time allows


def test_gross_requirement_from_forecast_and_orders():
    assert gross_requirements([10, 10, 10], [12, 4, 0]).tolist() == [12, 10, 10]  # orders consume forecast
    assert gross_requirements([10, 10, 10], [12, 4, 0], "sum").tolist() == [22, 14, 10]


def test_safety_stock_from_the_inventory_engine():
    # sigma_d = 10 per week, L = 4 weeks, 95 %: 1.6449 * 10 * 2 = 32.9
    assert safety_stock_for(10.0, 4.0, 0.95).item() == pytest.approx(32.897, abs=1e-3)


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5])
def test_service_level_outside_unit_interval_names_the_item(level):
    with pytest.raises(PlanningInputError) as err:
        safety_stock_for([10.0, 10.0], [4.0, 4.0], [0.95, level], items=["SKU-1@DC", "SKU-2@DC"])
    assert err.value.item == "SKU-2@DC" and err.value.field == "service_level"


def test_missing_lead_time_names_the_item_and_plans_nothing():
    with pytest.raises(PlanningInputError) as err:
        plan_items([[1, 2], [3, 4]], [0, 0], [1, None], items=["A@DC1", "B@DC1"])
    assert err.value.item == "B@DC1" and "missing" in str(err.value)


def test_bad_quantities_and_rules_are_named():
    with pytest.raises(PlanningInputError, match=r"on_hand \[B\]"):
        plan_items([[1], [1]], [0, -1], 0, items=["A", "B"])
    with pytest.raises(PlanningInputError, match="unknown rule"):
        lot_sizing(2, rule=["lot_for_lot", "silver_meal"], items=["A", "B"])
    with pytest.raises(PlanningInputError, match="fixed"):
        lot_sizing(1, rule="fixed")


def test_plan_options_are_typed():
    assert PlanOptions().horizon == 52
    with pytest.raises(PlanningInputError, match="bucket"):
        PlanOptions(bucket="month")
    with pytest.raises(PlanningInputError, match="gross_rule"):
        PlanOptions(gross_rule="min")


def test_planning_engine_is_pure():
    """Architecture rule: qudao.engines.planning imports no database, web or area package."""
    import ast
    from pathlib import Path

    import qudao.engines.planning as planning

    # A deny list, not an allow list: the standard library and numeric packages are all fine.
    forbidden = {"sqlalchemy", "fastapi", "starlette", "pydantic", "alembic", "psycopg", "jinja2", "typer"}
    for path in Path(planning.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                assert root not in forbidden, f"{path.name} imports {name}"
                assert root != "qudao" or name.startswith("qudao.engines"), f"{path.name} imports {name}"
