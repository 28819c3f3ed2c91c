"""Scarce supply of 100 units for three channels, each policy worked by hand.

Channel demand: A 50, B 40, C 60 (150 in all)."""

from __future__ import annotations

import numpy as np
import pytest

from qudao.engines.planning import PlanningInputError, allocate_scarce

DEMAND = [50, 40, 60]
CHANNELS = ["retail", "online", "distributor"]


def test_strict_priority_tiers():
    a = allocate_scarce(100, DEMAND, "priority", tier=[1, 2, 2], channels=CHANNELS)
    # tier 1 takes its 50; tier 2 shares 50 in proportion to demand 40:60
    assert a.allocated[0].tolist() == [50, 20, 30]
    assert a.shortfall[0].tolist() == [0, 20, 30]
    assert a.report(CHANNELS).select("channel", "shortfall").rows() == [
        ("retail", 0.0),
        ("online", 20.0),
        ("distributor", 30.0),
    ]


def test_fair_share_by_forecast():
    a = allocate_scarce(100, DEMAND, "proportional", forecast=[60, 20, 70])
    # 100 x 60/150, 100 x 20/150, 100 x 70/150
    assert a.allocated[0] == pytest.approx([40, 40 / 3, 140 / 3])


def test_fair_share_caps_at_demand_and_reshares():
    a = allocate_scarce(120, DEMAND, "proportional", forecast=[30, 30, 90])
    # raw 24/24/72; C capped at 60; 12 left shared 30:30 -> 30/30/60
    assert a.allocated[0].tolist() == pytest.approx([30, 30, 60])
    assert a.fill_rate.tolist() == pytest.approx([0.6, 0.75, 1.0])


def test_max_margin_lp_matches_the_hand_solution():
    a = allocate_scarce(100, DEMAND, "max_margin", margin=[10, 8, 5], min_service=0.2, channels=CHANNELS)
    # minimums 10/8/12 (30); the 70 left go by margin: A to 50 (+40), B +30 to 38; C stays at 12.
    assert a.allocated[0].tolist() == pytest.approx([50, 38, 12])
    assert a.margin == pytest.approx(50 * 10 + 38 * 8 + 12 * 5)
    assert a.shortfall[0].tolist() == pytest.approx([0, 2, 48])


def test_max_margin_many_items_in_one_lp():
    demand = np.array([DEMAND, [10, 10, 10]])
    a = allocate_scarce([100, 40], demand, "max_margin", margin=[10, 8, 5], min_service=[0.2, 0.2, 0.5])
    # minimums 10/8/30 (48); 52 left: A +40 to 50, B +12 to 20; C keeps its minimum of 30
    assert a.allocated[0].tolist() == pytest.approx([50, 20, 30])
    assert a.allocated[0].sum() == pytest.approx(100)
    assert a.allocated[1].tolist() == pytest.approx([10, 10, 10])  # enough supply: no shortfall


def test_supply_above_demand_fills_everything():
    for policy, kw in (
        ("priority", {"tier": [1, 2, 3]}),
        ("proportional", {}),
        ("max_margin", {"margin": 1}),
    ):
        a = allocate_scarce(500, DEMAND, policy, **kw)
        assert a.allocated[0].tolist() == pytest.approx(DEMAND)


def test_bad_allocation_input():
    with pytest.raises(PlanningInputError, match="needs 30 units, supply is 20"):
        allocate_scarce(20, DEMAND, "max_margin", margin=[10, 8, 5], min_service=0.2)
    with pytest.raises(PlanningInputError) as err:
        allocate_scarce(
            100, DEMAND, "max_margin", margin=[10, 8, 5], min_service=[0.2, 1.5, 0], channels=CHANNELS
        )
    assert err.value.item == "channel online"
    with pytest.raises(PlanningInputError, match="unknown"):
        allocate_scarce(100, DEMAND, "lottery")
    with pytest.raises(PlanningInputError, match="tier"):
        allocate_scarce(100, DEMAND, "priority")
