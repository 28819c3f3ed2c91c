"""Two-level distribution network worked by hand: two stores, two DCs, split sourcing 60/40, pegging."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from qudao.engines.planning import (
    PlanningInputError,
    lot_sizing,
    network_levels,
    peg,
    peg_items,
    peg_network,
    plan_items,
    plan_network,
    sourcing_rules,
)

ITEMS = ["S1", "S2", "DC-East", "DC-West"]


def _network():
    # S1 <- DC-East (LT 1); S2 <- 60 % DC-East (LT 1), 40 % DC-West (LT 2); DCs buy (LT 1 and 2).
    rules = sourcing_rules(
        4,
        node=[0, 1, 1, 2, 3],
        source=[2, 2, 3, -1, -1],
        share=[1, 0.6, 0.4, 1, 1],
        lead_time=[1, 1, 2, 1, 2],
        supplier=[None, None, None, "Acme", "Bolt Co"],
        items=ITEMS,
    )
    gross = np.array([[0, 20, 20, 20], [0, 0, 50, 50], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=float)
    lots = lot_sizing(4, multiple=[0, 0, 25, 0])
    return rules, plan_network(gross, [10, 0, 40, 30], rules, lots=lots, items=ITEMS)


def test_levels_stores_first():
    rules, plan = _network()
    assert plan.levels.tolist() == [0, 0, 1, 1]
    assert network_levels(4, rules).tolist() == [0, 0, 1, 1]


def test_two_level_split_sourcing_by_hand():
    _, plan = _network()
    rec = plan.record
    # S1: on hand 10; receipts 10, 20, 20 in weeks 1-3, released one week earlier to DC-East.
    assert rec.planned_receipts[0].tolist() == [0, 10, 20, 20]
    # S2: receipts 50, 50 split 30/20; East part released 1 week earlier, West part 2 weeks earlier.
    assert rec.planned_receipts[1].tolist() == [0, 0, 50, 50]
    assert plan.dependent_demand[2].tolist() == [10, 20 + 30, 20 + 30, 0]
    assert plan.dependent_demand[3].tolist() == [20, 20, 0, 0]
    # DC-East: on hand 40, pack of 25: week 1 needs 20 -> 25 (5 left); week 2 needs 45 -> 50.
    assert rec.planned_receipts[2].tolist() == [0, 25, 50, 0]
    assert rec.projected_on_hand[2].tolist() == [30, 5, 5, 5]
    assert rec.planned_releases[2].tolist() == [25, 50, 0, 0]
    # DC-West: on hand 30: 10 left after week 0; week 1 needs 10 with a 2-week lead time -> past due.
    assert rec.planned_receipts[3].tolist() == [0, 10, 0, 0]
    assert rec.past_due.tolist() == [0, 0, 0, 10]


def test_proposed_orders():
    _, plan = _network()
    o = plan.orders
    s2 = o.filter(pl.col("item") == "S2").sort("receipt_bucket", "source")
    assert s2.select("source", "release_bucket", "receipt_bucket", "quantity").rows() == [
        ("DC-East", 1, 2, 30.0),
        ("DC-West", 0, 2, 20.0),
        ("DC-East", 2, 3, 30.0),
        ("DC-West", 1, 3, 20.0),
    ]
    buys = o.filter(pl.col("kind") == "buy").sort("item", "receipt_bucket")
    assert buys.select("item", "supplier", "release_bucket", "quantity", "past_due").rows() == [
        ("DC-East", "Acme", 0, 25.0, False),
        ("DC-East", "Acme", 1, 50.0, False),
        ("DC-West", "Bolt Co", -1, 10.0, True),
    ]
    assert set(o.filter(pl.col("kind") == "transfer")["item"].to_list()) == {"S1", "S2"}


def test_pegging_follows_orders_upstream():
    _, plan = _network()
    demands = pl.DataFrame(
        {"item": ["S2", "S2"], "bucket": [2, 3], "demand_id": ["co-1", "co-2"], "quantity": [50.0, 50.0]}
    )
    pegs = peg_network(plan, [10, 0, 40, 30], demands, ITEMS)
    s2 = pegs.filter(pl.col("item") == "S2")
    assert s2.filter(pl.col("demand_id") == "co-1")["quantity"].sum() == 50
    east_b2 = plan.orders.filter(
        (pl.col("item") == "S2") & (pl.col("source") == "DC-East") & (pl.col("receipt_bucket") == 2)
    )["order_id"][0]
    upstream = pegs.filter((pl.col("item") == "DC-East") & (pl.col("demand_id") == f"order:{east_b2}"))
    # DC-East's week-1 demands: S1's order (20) then S2's (30); 10 of its 40 on hand went to week 0, so
    # S2's order takes the last 10 on hand and 20 of the DC's purchase of 25 received in week 1.
    dc_buy = plan.orders.filter((pl.col("item") == "DC-East") & (pl.col("receipt_bucket") == 1))["order_id"][
        0
    ]
    assert upstream.select("supply_id", "quantity").rows() == [("on hand", 10.0), (f"order:{dc_buy}", 20.0)]


def test_single_level_pegging_by_hand():
    r = plan_items([[5, 15, 25]], [10], 0, [[0, 20, 0]], items=["A"])
    demands = pl.DataFrame(
        {
            "item": ["A"] * 4,
            "bucket": [0, 1, 2, 2],
            "demand_id": ["o1", "f1", "o2", "f2"],
            "quantity": [5.0, 15.0, 10.0, 15.0],
        }
    )
    rows = peg_items(r, [10], demands, ["A"]).select("supply_id", "demand_id", "quantity").rows()
    assert rows == [
        ("on hand", "o1", 5.0),
        ("on hand", "f1", 5.0),
        ("scheduled:A:1", "f1", 10.0),
        ("scheduled:A:1", "o2", 10.0),
        ("planned:A:2", "f2", 15.0),
    ]


def test_peg_reports_shortage_and_unpegged_stock():
    s = pl.DataFrame(
        {"item": ["a", "b"], "bucket": [-1, 1], "supply_id": ["on hand", "P"], "quantity": [8.0, 5.0]}
    )
    d = pl.DataFrame({"item": ["a", "b"], "bucket": [1, 2], "demand_id": ["x", "y"], "quantity": [10.0, 3.0]})
    rows = peg(s, d).rows()
    assert ("a", None, None, "x", 1, 2.0) in rows  # 2 of x uncovered
    assert ("b", "P", 1, None, None, 2.0) in rows  # 2 of P serve no demand


def test_sourcing_cycle_names_the_locations():
    rules = sourcing_rules(
        3, node=[0, 1, 2], source=[1, 2, 1], share=1, lead_time=1, items=["S", "DC1", "DC2"]
    )
    with pytest.raises(PlanningInputError) as err:
        plan_network(np.zeros((3, 2)), [0, 0, 0], rules, items=["S", "DC1", "DC2"])
    assert set(err.value.item) == {"DC1", "DC2"} and "cycle" in str(err.value)


def test_bad_sourcing_rules_are_named():
    with pytest.raises(PlanningInputError, match=r"share \[S2\]"):
        sourcing_rules(
            3,
            node=[0, 1, 1, 2],
            source=[2, 2, -1, -1],
            share=[1, 0.6, 0.3, 1],
            lead_time=1,
            items=["S1", "S2", "DC"],
        )
    with pytest.raises(PlanningInputError) as err:
        sourcing_rules(2, node=[0, 1], source=[1, -1], share=1, lead_time=[None, 1], items=["S1", "DC"])
    assert err.value.item == "S1" and err.value.field == "lead_time"
    with pytest.raises(PlanningInputError, match=r"sourcing \[DC\]: has no sourcing rule"):
        sourcing_rules(2, node=[0], source=[1], share=1, lead_time=1, items=["S1", "DC"])


def test_plan_from_demand_uses_the_options():
    from qudao.engines.planning import PlanOptions, plan_from_demand

    rules = sourcing_rules(1, node=[0], source=[-1], share=1, lead_time=0, supplier="Acme", items=["S"])
    forecast, orders = [[10, 10, 10]], [[12, 4, 0]]
    by_max = plan_from_demand(forecast, orders, [0], rules, PlanOptions(horizon=2), items=["S"])
    assert by_max.record.planned_receipts.tolist() == [[12, 10]]  # orders consume the forecast
    by_sum = plan_from_demand(forecast, orders, [0], rules, PlanOptions(horizon=3, gross_rule="sum"))
    assert by_sum.record.planned_receipts.tolist() == [[22, 14, 10]]
    with pytest.raises(PlanningInputError, match="horizon"):
        plan_from_demand(forecast, orders, [0], rules, PlanOptions(horizon=4))
