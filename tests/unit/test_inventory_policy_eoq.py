"""EOQ, EOQ with planned backorders, all-units quantity discounts (qudao.engines.inventory.eoq)."""

import numpy as np
import pytest

from qudao.engines.inventory import (
    PolicyInputError,
    eoq,
    eoq_all_units_discount,
    eoq_cost,
    eoq_with_backorders,
    eoq_with_backorders_cost,
)


def test_eoq_basic_worked_example():
    """Snyder & Shen (2019), §3.2, EOQ formula Q* = sqrt(2KD/h), g* = sqrt(2KDh).

    Hand-worked: D = 1000/yr, K = 10, h = 0.5 -> Q* = sqrt(2*10*1000/0.5) = sqrt(40000) = 200;
    g(200) = 10*1000/200 + 0.5*200/2 = 50 + 50 = 100 = sqrt(2*10*1000*0.5).
    """
    q = eoq(1000, 10, 0.5)
    assert q == pytest.approx(200.0)
    assert eoq_cost(q, 1000, 10, 0.5) == pytest.approx(100.0)
    assert eoq_cost(100, 1000, 10, 0.5) == pytest.approx(125.0)  # 100 + 25


def test_eoq_vectorised_matches_scalar():
    """Snyder & Shen (2019), §3.2: the formula applied item by item equals one vectorised call."""
    d = np.array([1000.0, 250.0, 0.0, 40000.0])
    k = np.array([10.0, 40.0, 5.0, 2.0])
    q = eoq(d, k, 0.5)
    assert q == pytest.approx([eoq(a, b, 0.5) for a, b in zip(d, k, strict=True)])
    assert q[2] == 0.0


def test_eoq_with_planned_backorders():
    """Snyder & Shen (2019), §3.3 (planned backorders): x* = h/(h+p), Q* = sqrt(2KD(h+p)/(hp)).

    Hand-worked with D = 1000, K = 10, h = 0.5, p = 1.5: x* = 0.5/2 = 0.25,
    Q* = 200 * sqrt(2/1.5) = 230.94, max backorder x* Q* = 57.74,
    g* = sqrt(2*10*1000*0.5*1.5/2) = sqrt(7500) = 86.60; the cost formula
    KD/Q + hQ(1-x)^2/2 + pQx^2/2 = 43.30 + 32.48 + 10.83 = 86.60 agrees.
    """
    r = eoq_with_backorders(1000, 10, 0.5, 1.5)
    assert r.backorder_fraction == pytest.approx(0.25)
    assert r.order_quantity == pytest.approx(230.9401, abs=1e-4)
    assert r.max_backorder == pytest.approx(57.7350, abs=1e-4)
    assert r.annual_cost == pytest.approx(86.6025, abs=1e-4)
    cost = eoq_with_backorders_cost(r.order_quantity, 0.25, 1000, 10, 0.5, 1.5)
    assert cost == pytest.approx(r.annual_cost)
    # Very expensive backorders: back to the plain EOQ.
    big = eoq_with_backorders(1000, 10, 0.5, 1e9)
    assert big.order_quantity == pytest.approx(200.0, rel=1e-6)


def test_all_units_discount_trash_bag_example():
    """Nahmias, *Production and Operations Analysis*, 6th ed., §4.7, the all-units discount example
    (trash bags: 30c below 500, 29c for 500-999, 28c from 1000; D = 600/yr, K = $8, i = 20%).

    Re-derived: EOQ(0.28) = sqrt(2*8*600/0.056) = 414 < 1000 -> 1000; EOQ(0.29) = 406.8 < 500 -> 500;
    EOQ(0.30) = sqrt(9600/0.06) = 400, feasible in [0, 500).
    G(400) = 180 + 12 + 12 = 204.00; G(500) = 174 + 9.6 + 14.5 = 198.10; G(1000) = 168 + 4.8 + 28 = 200.80.
    Best: Q = 500 at 29c, 198.10 a year.
    """
    r = eoq_all_units_discount(600, 8, 0.2, [0, 500, 1000], [0.30, 0.29, 0.28])
    assert r.order_quantity == pytest.approx(500.0)
    assert r.unit_price == pytest.approx(0.29)
    assert r.price_break == 1
    assert r.annual_cost == pytest.approx(198.10)


def test_all_units_discount_vectorised_per_item():
    """Nahmias §4.7 algorithm on several items at once: a big buyer reaches the deepest break with its own
    EOQ (60000/yr: EOQ at 28c = sqrt(960000/0.056) = 4140.4 >= 1000, feasible), a tiny one stays at the list
    price (6/yr: EOQ 40), zero demand orders nothing."""
    demand = np.array([600.0, 60000.0, 6.0, 0.0])
    r = eoq_all_units_discount(demand, 8, 0.2, [0, 500, 1000], [0.30, 0.29, 0.28])
    assert r.order_quantity == pytest.approx([500.0, 4140.3934, 40.0, 0.0], abs=1e-3)
    assert list(r.price_break) == [1, 2, 0, 0]
    assert r.annual_cost[2] == pytest.approx(6 * 0.30 + 8 * 6 / 40 + 0.06 * 40 / 2)


def test_all_units_discount_bad_breaks():
    """Input checks: breaks start at 0, increase, one price per break."""
    with pytest.raises(PolicyInputError, match="break_quantities"):
        eoq_all_units_discount(600, 8, 0.2, [100, 500], [0.3, 0.29])
    with pytest.raises(PolicyInputError, match="increasing"):
        eoq_all_units_discount(600, 8, 0.2, [0, 500, 500], [0.3, 0.29, 0.28])
    with pytest.raises(PolicyInputError, match="unit_prices"):
        eoq_all_units_discount(600, 8, 0.2, [0, 500], [0.3, 0.29, 0.28])


def test_eoq_bad_input_names_item():
    """Negative demand in an array names the item index."""
    with pytest.raises(PolicyInputError, match=r"demand\[2\]=-5.0 must be >= 0"):
        eoq([10, 20, -5], 10, 0.5)
    with pytest.raises(PolicyInputError, match="holding_cost"):
        eoq(10, 10, 0)
    with pytest.raises(ValueError, match="must be a finite number"):
        eoq(float("nan"), 10, 1)
