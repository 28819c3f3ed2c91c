"""Base-stock, (R, S), (r, Q) Hadley-Whitin and (s, S) policies (qudao.engines.inventory.review)."""

import itertools

import numpy as np
import pytest
from scipy import special

from qudao.engines.inventory import (
    PolicyInputError,
    base_stock_level,
    normal_loss,
    order_up_to_level,
    rq_cost,
    rq_hadley_whitin,
    ss_poisson_optimal,
    ss_power_approximation,
)
from qudao.engines.inventory.review import _PoissonSS


def test_base_stock_level_newsvendor_fractile():
    """Snyder & Shen (2019), Ch. 4, base-stock level for normal demand: S* = mu' + z sigma',
    z = Phi^-1(p/(p+h)), optimal cost (h+p) sigma' phi(z).
    Hand-worked: d = 100, sigma_d = 20, protection L + 1 = 4 periods -> mu' = 400, sigma' = 40;
    h = 1, p = 9 -> ratio 0.9, z = 1.2816, S* = 451.26; cost = 10 * 40 * phi(1.2816) = 400 * 0.17550 = 70.20;
    expected backorders 40 G(1.2816) = 40 * 0.04734 = 1.894."""
    b = base_stock_level(100, 20, 4, 1, 9)
    assert b.critical_ratio == pytest.approx(0.9)
    assert b.level == pytest.approx(451.262, abs=1e-3)
    assert b.expected_cost == pytest.approx(70.199, abs=1e-3)
    assert b.expected_backorders == pytest.approx(1.8937, abs=1e-4)
    # The cost equals h E[on hand] + p E[backorders] at S*.
    assert b.expected_cost == pytest.approx(1 * b.expected_on_hand + 9 * b.expected_backorders)


def test_order_up_to_level_periodic_review():
    """Silver, Pyke & Thomas (2017), Ch. 6, (R, S): S = d (R + L) + k sigma_d sqrt(R + L).
    Hand-worked: d = 100, sigma_d = 20, R = 2, L = 2, P1 = 0.95 -> S = 400 + 1.6449 * 40 = 465.79."""
    assert order_up_to_level(100, 20, 2, 2, 0.95) == pytest.approx(465.794, abs=1e-3)
    with pytest.raises(PolicyInputError, match="review_period"):
        order_up_to_level(100, 20, 2, 0, 0.95)


def test_rq_hadley_whitin_iteration():
    """Hadley & Whitin (1963), Ch. 4; Nahmias, 6th ed., §5.4, iterative (Q, R) with cost p per unit short.
    Hand-worked: lambda = 1000/yr, K = 50, h = 2, p = 10, lead-time demand N(100, 25^2).
    Iteration 1: Q0 = EOQ = sqrt(2*1000*50/2) = 223.61; 1 - F(R) = Q h / (p lambda) = 0.044721 ->
    z = 1.6983, n(R) = 25 G(1.6983) = 25 * 0.018362 = 0.4590; Q1 = sqrt(2*1000*(50 + 10*0.4590)/2) = 233.65.
    The iteration settles at Q = 234.18, R = 100 + 1.6763 * 25 = 141.91, where both optimality conditions
    hold, and no nearby (Q, R) is cheaper."""
    r = rq_hadley_whitin(1000, 50, 2, 10, 100, 25)
    assert r.order_quantity == pytest.approx(234.184, abs=1e-3)
    assert r.reorder_point == pytest.approx(141.908, abs=1e-3)
    # Optimality conditions at the fixed point.
    assert special.ndtr(-r.safety_factor) == pytest.approx(r.order_quantity * 2 / (10 * 1000), rel=1e-9)
    n = 25 * normal_loss(r.safety_factor)
    assert r.order_quantity == pytest.approx(np.sqrt(2 * 1000 * (50 + 10 * n) / 2), rel=1e-8)
    cost = rq_cost(r.order_quantity, r.reorder_point, 1000, 50, 2, 10, 100, 25)
    assert r.annual_cost == pytest.approx(cost)
    for dq, dr in itertools.product([-10, -1, 0, 1, 10], [-5, -0.5, 0, 0.5, 5]):
        other = rq_cost(r.order_quantity + dq, r.reorder_point + dr, 1000, 50, 2, 10, 100, 25)
        assert r.annual_cost <= other + 1e-9


def test_rq_hadley_whitin_vectorised():
    """Hadley & Whitin iteration for many items at once equals the item-by-item results."""
    lam = np.array([1000.0, 200.0, 5000.0])
    mu = np.array([100.0, 40.0, 250.0])
    sd = np.array([25.0, 15.0, 60.0])
    r = rq_hadley_whitin(lam, 50, 2, 10, mu, sd)
    for i in range(3):
        one = rq_hadley_whitin(lam[i], 50, 2, 10, mu[i], sd[i])
        assert r.order_quantity[i] == pytest.approx(one.order_quantity, rel=1e-7)
        assert r.reorder_point[i] == pytest.approx(one.reorder_point, rel=1e-7)


def test_rq_hadley_whitin_dead_and_deterministic_items():
    """In a bulk run: no demand -> Q = 0, r = mu, no cost; no variability -> plain EOQ (Snyder & Shen
    §3.2: sqrt(2*1000*50/2) = 223.61, cost sqrt(2*50*1000*2) = 447.21) with r = mu."""
    r = rq_hadley_whitin([0.0, 1000.0], 50, 2, 10, [0.0, 100.0], [0.0, 0.0])
    assert list(r.order_quantity) == pytest.approx([0.0, 223.607], abs=1e-3)
    assert list(r.reorder_point) == pytest.approx([0.0, 100.0])
    assert list(r.annual_cost) == pytest.approx([0.0, 447.214], abs=1e-3)


def test_power_approximation_hand_worked():
    """Ehrhardt & Mosier (1984) revised power approximation (Silver, Pyke & Thomas 2017, Ch. 7).
    Hand-worked: mu_R = 10 per period, sigma = sqrt(10) per period, L = 1, R = 1 -> mu = 20,
    sigma_{R+L} = sqrt(20) = 4.4721; K = 50, h = 1, p = 19.
    Q_p = 1.30 * 10^0.494 * 50^0.506 * (1 + 20/100)^0.116 = 29.978; z = sqrt(29.978 / (4.4721 * 19)) = 0.5940;
    s_p = 20 + 4.4721 (0.183/0.5940 + 1.063 - 2.192*0.5940) = 20.309; Q_p / mu_R = 3.0 > 1.5, so
    s = 20.31, S = s_p + Q_p = 50.29."""
    pol = ss_power_approximation(10, np.sqrt(10), 1, 50, 1, 19)
    assert pol.reorder_level == pytest.approx(20.309, abs=1e-3)
    assert pol.order_up_to == pytest.approx(50.287, abs=1e-3)


def test_power_approximation_small_order_branch():
    """Ehrhardt & Mosier (1984): when Q_p / mu_R <= 1.5 both s and S are capped by the newsvendor level
    S_0 = mu + k sigma, Phi(k) = p/(p+h). With K = 2 (Q_p small): S_0 = 20 + 1.6449 * 4.4721 = 27.356."""
    pol = ss_power_approximation(10, np.sqrt(10), 1, 2, 1, 19)
    assert pol.order_up_to == pytest.approx(27.356, abs=1e-3)
    assert pol.reorder_level <= pol.order_up_to
    many = ss_power_approximation([10, 0], [np.sqrt(10), 0], 1, 2, 1, 19)
    assert many.order_up_to[0] == pytest.approx(27.356, abs=1e-3)
    assert (many.reorder_level[1], many.order_up_to[1]) == (0.0, 0.0)


CASES = [(5, 0, 10, 1, 9), (10, 1, 50, 1, 19), (2, 2, 5, 1, 4), (20, 0, 100, 1, 9), (0.5, 1, 20, 1, 50)]


@pytest.mark.parametrize(("rate", "lead", "setup", "hold", "back"), CASES)
def test_zheng_federgruen_equals_brute_force(rate, lead, setup, hold, back):
    """Zheng & Federgruen (1991), Operations Research 39(4), exact (s, S) for Poisson demand: the
    algorithm's policy and cost equal a brute-force search of c(s, S) over a wide grid."""
    pol = ss_poisson_optimal(rate, lead, setup, hold, back)
    model = _PoissonSS(rate, lead, setup, hold, back)
    y = model.minimiser()
    best = min((model.cost(s, big), s, big) for s in range(y - 25, y) for big in range(y, y + 90))
    assert pol.average_cost == pytest.approx(best[0], rel=1e-12)
    assert (pol.reorder_level, pol.order_up_to) == (best[1], best[2])


@pytest.mark.parametrize(("rate", "lead", "setup", "hold", "back"), CASES[:4])
def test_power_approximation_near_optimal_for_poisson(rate, lead, setup, hold, back):
    """Ehrhardt & Mosier (1984) report the power approximation within a few percent of optimal; checked
    against the exact Zheng & Federgruen optimum for Poisson demand (sigma = sqrt(rate)), rounding s and S."""
    exact = ss_poisson_optimal(rate, lead, setup, hold, back)
    approx = ss_power_approximation(rate, np.sqrt(rate), lead, setup, hold, back)
    model = _PoissonSS(rate, lead, setup, hold, back)
    cost = model.cost(round(approx.reorder_level), round(approx.order_up_to))
    assert exact.average_cost <= cost <= 1.05 * exact.average_cost


def test_zheng_federgruen_vector_and_input_checks():
    """Per-item loop over arrays; fractional lead times are rejected naming the item."""
    pol = ss_poisson_optimal([5, 10], [0, 1], [10, 50], 1, [9, 19])
    assert list(pol.reorder_level) == [4, 20] and list(pol.order_up_to) == [13, 49]
    with pytest.raises(PolicyInputError, match=r"lead_time\[1\]=1.5"):
        ss_poisson_optimal([5, 10], [0, 1.5], 10, 1, 9)
