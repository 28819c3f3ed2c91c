"""Safety stock, reorder point, fill rate and forecast-quantile safety stock
(qudao.engines.inventory.safety_stock and .normal)."""

import numpy as np
import pytest

from qudao.engines.inventory import (
    FILL_RATE,
    PolicyInputError,
    cycle_service_factor,
    demand_std_over_lead_time,
    expected_fill_rate,
    fill_rate_factor,
    inverse_normal_loss,
    normal_loss,
    protection_stock,
    reorder_point,
    safety_stock,
    safety_stock_from_quantiles,
)


def test_normal_loss_table_values():
    """Silver, Pyke & Thomas (2017), Appendix table of G_u(k) (= Snyder & Shen §C.3 L(z)):
    G(0) = 0.3989, G(1) = 0.0833, G(2) = 0.0085, and G(-k) = G(k) + k."""
    assert normal_loss(0.0) == pytest.approx(0.398942, abs=1e-6)
    assert normal_loss(1.0) == pytest.approx(0.083315, abs=1e-6)
    assert normal_loss(2.0) == pytest.approx(0.008491, abs=1e-6)
    assert normal_loss(-1.0) == pytest.approx(normal_loss(1.0) + 1.0)
    assert inverse_normal_loss([0.398942, 0.083315, 0.008491]) == pytest.approx([0, 1, 2], abs=1e-4)


def test_cycle_service_safety_stock_hand_worked():
    """Silver, Pyke & Thomas (2017), Ch. 6, (s, Q) with a cycle service level P1: SS = k sigma_L,
    k = Phi^-1(P1). Hand-worked: d = 100/day, sigma_d = 20, L = 4 days -> sigma_L = 20*2 = 40;
    P1 = 0.95 -> k = 1.6449, SS = 65.79, reorder point 400 + 65.79 = 465.79."""
    ps = protection_stock(100, 20, 4, 0.95)
    assert ps.sigma == pytest.approx(40.0)
    assert ps.safety_factor == pytest.approx(1.644854, abs=1e-6)
    assert ps.safety_stock == pytest.approx(65.794, abs=1e-3)
    assert ps.reorder_point == pytest.approx(465.794, abs=1e-3)
    assert safety_stock(100, 20, 4, 0.95) == pytest.approx(ps.safety_stock)
    assert reorder_point(100, 20, 4, 0.95) == pytest.approx(ps.reorder_point)
    assert cycle_service_factor(0.5) == pytest.approx(0.0)


def test_lead_time_variability_chopra_meindl():
    """Chopra & Meindl, *Supply Chain Management*, Ch. 12 (safety inventory with lead-time uncertainty,
    the Dell example): D = 2,500/day, sigma_D = 500, L = 7 days, s_L = 7 days, CSL = 0.90.
    sigma_L = sqrt(7*500^2 + 2500^2*7^2) = sqrt(308,000,000) = 17,550; SS = 1.2816 * 17,550 = 22,491."""
    assert demand_std_over_lead_time(2500, 500, 7, 7) == pytest.approx(17549.93, abs=0.01)
    assert safety_stock(2500, 500, 7, 0.90, lead_time_std=7) == pytest.approx(22491.1, abs=0.1)
    # No lead-time variability: back to sigma_d sqrt(L).
    assert demand_std_over_lead_time(2500, 500, 7) == pytest.approx(500 * np.sqrt(7))


def test_fill_rate_given_safety_stock_chopra_meindl():
    """Chopra & Meindl, Ch. 12, "evaluating fill rate given a replenishment policy": weekly demand
    2,500 (sd 500), L = 2 weeks, Q = 10,000, SS = 1,000. sigma_L = 707.1, ESC = sigma_L G(1000/707.1)
    = 707.1 * 0.03553 = 25.1, fill rate = 1 - 25.1/10,000 = 0.9975."""
    sigma = 500 * np.sqrt(2)
    assert expected_fill_rate(1000, sigma, 10_000) == pytest.approx(0.9975, abs=5e-5)


def test_safety_stock_given_fill_rate_chopra_meindl():
    """Chopra & Meindl, Ch. 12, "evaluating safety inventory given desired fill rate": same item, fill rate
    0.975 -> ESC = 0.025 * 10,000 = 250, G(k) = 250/707.1 = 0.3536 -> k = 0.094, SS = 67 units."""
    sigma = 500 * np.sqrt(2)
    k = fill_rate_factor(0.975, 10_000, sigma)
    assert normal_loss(k) == pytest.approx(250 / sigma, rel=1e-9)
    ss = safety_stock(2500, 500, 2, 0.975, kind=FILL_RATE, order_quantity=10_000)
    assert ss == pytest.approx(67, abs=1)
    assert ss == pytest.approx(k * sigma)


def test_fill_rate_periodic_review_uses_demand_per_review():
    """Silver, Pyke & Thomas (2017), Ch. 6, (R, S) with a fill rate P2: G(k) = D R (1 - P2) / sigma_{R+L}.
    Hand-worked: d = 100, sigma_d = 20, R = 2, L = 2 -> sigma = 40, D R = 200, P2 = 0.98 ->
    G(k) = 200 * 0.02 / 40 = 0.1; G(0.90) = 0.26609 - 0.9 * 0.18406 = 0.10044 and G'(k) = -0.184, so
    k = 0.90 + 0.00044/0.184 = 0.9024, S = 400 + 40 * 0.9024 = 436.09."""
    ps = protection_stock(100, 20, 2, 0.98, review_period=2, kind=FILL_RATE)
    assert normal_loss(ps.safety_factor) == pytest.approx(0.1, rel=1e-9)
    assert ps.safety_factor == pytest.approx(0.9024, abs=1e-4)
    assert ps.reorder_point == pytest.approx(400 + 40 * ps.safety_factor)


def test_negative_fill_rate_factor_when_cycle_stock_suffices():
    """Silver, Pyke & Thomas (2017), Ch. 6: with Q large relative to sigma_L a P2 target can need k < 0."""
    assert fill_rate_factor(0.9, 5000, 100) < 0


def test_safety_stock_from_quantiles_interval_and_per_period():
    """Quantile-based safety stock (Hyndman & Athanasopoulos, FPP 3rd ed., §5.5, normal intervals;
    Silver, Pyke & Thomas Ch. 6). Hand-worked:
    - over the whole interval mean 500, 90% quantile 600: SS at 90% = 100 (no distribution assumed);
      at 95%: sigma = 100 / 1.2816 = 78.03, SS = 1.6449 * 78.03 = 128.34;
    - per period, 4 periods each mean 100 and 90% quantile 100 + 1.2816*20: sigma_t = 20,
      independent -> sigma = 40, SS(95%) = 65.79 (same as the cycle example); fully correlated ->
      sigma = 80, SS = 131.59."""
    assert safety_stock_from_quantiles(500, 600, 0.9) == pytest.approx(100.0)
    assert safety_stock_from_quantiles(500, 600, 0.9, 0.95) == pytest.approx(128.34, abs=0.01)
    z90 = 1.2815515655446004
    mean = np.full((2, 4), 100.0)
    upper = mean + z90 * 20
    ss = safety_stock_from_quantiles(mean, upper, 0.9, 0.95, axis=-1)
    assert ss == pytest.approx([65.794, 65.794], abs=1e-3)
    ss_corr = safety_stock_from_quantiles(mean, upper, 0.9, 0.95, axis=-1, errors="correlated")
    assert ss_corr == pytest.approx([131.588, 131.588], abs=1e-3)
    with pytest.raises(PolicyInputError, match=r"upper\[1\]=90.0 must be >= mean"):
        safety_stock_from_quantiles([100, 100], [120, 90], 0.9)


def test_zero_sigma_gets_zero_safety_stock_and_vectorised_matches_scalar():
    """Vectorised call over items equals item-by-item calls; an item with no variability gets SS = 0."""
    d = np.array([100.0, 50.0, 10.0, 0.0])
    sd = np.array([20.0, 0.0, 4.0, 0.0])
    lt = np.array([4.0, 2.0, 9.0, 3.0])
    sl = np.array([0.95, 0.99, 0.9, 0.8])
    ss = safety_stock(d, sd, lt, sl)
    assert ss == pytest.approx([safety_stock(*a) for a in zip(d, sd, lt, sl, strict=True)])
    assert ss[1] == 0.0 and ss[3] == 0.0
    fr = safety_stock(d, sd, lt, sl, kind=FILL_RATE, order_quantity=np.array([500.0, 100.0, 30.0, 1.0]))
    assert fr[1] == 0.0 and np.all(np.isfinite(fr))


def test_fill_rate_items_without_demand_need_no_stock():
    """A planning run mixes live and dead items: zero demand (EOQ 0) gets SS = 0 instead of an error."""
    ps = protection_stock([100, 0], [20, 5], 4, 0.98, kind=FILL_RATE, order_quantity=[500, 0])
    assert ps.safety_stock[1] == 0.0 and ps.safety_factor[1] == 0.0
    assert ps.safety_stock[0] == pytest.approx(40 * fill_rate_factor(0.98, 500, 40))


def test_bad_service_level_names_item():
    """Issue 5: a service level outside (0, 1) gives a clear message naming the item."""
    with pytest.raises(PolicyInputError, match=r"service_level\[3\]=1.2 must be in \(0, 1\)") as err:
        safety_stock([10, 10, 10, 10], 2, 3, [0.9, 0.9, 0.9, 1.2])
    assert isinstance(err.value, ValueError)
    assert err.value.field == "service_level" and err.value.index == 3 and err.value.value == 1.2
    with pytest.raises(PolicyInputError, match=r"service_level=1.0 must be in \(0, 1\)"):
        safety_stock(10, 2, 3, 1.0)
    with pytest.raises(PolicyInputError, match=r"lead_time\[1\]=-1.0 must be >= 0"):
        safety_stock(10, 2, [3, -1], 0.9)
    with pytest.raises(PolicyInputError, match="order_quantity"):
        safety_stock(10, 2, 3, 0.9, kind=FILL_RATE)
    with pytest.raises(PolicyInputError, match=r"order_quantity\[2\]=0.0 must be > 0 for an item"):
        safety_stock([10, 0, 5], 2, 3, 0.9, kind=FILL_RATE, order_quantity=[50, 0, 0])
    with pytest.raises(PolicyInputError, match="kind"):
        safety_stock(10, 2, 3, 0.9, kind="type3")
    with pytest.raises(PolicyInputError, match="do not broadcast"):
        safety_stock([10, 20, 30], [1, 2], 3, 0.9)
