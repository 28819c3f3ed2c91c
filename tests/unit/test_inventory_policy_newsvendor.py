"""Newsvendor for one-shot seasonal or promotional buys (qudao.engines.inventory.newsvendor)."""

import numpy as np
import pytest

from qudao.engines.inventory import PolicyInputError, critical_ratio, newsvendor_empirical, newsvendor_normal
from qudao.engines.inventory.normal import normal_pdf


def test_newsvendor_macs_newsstand():
    """Nahmias, *Production and Operations Analysis*, 6th ed., §5.3, the newsboy model, Mac's newsstand:
    weekly demand N(11.73, 4.74^2), bought at 25c, sold at 75c, salvaged at 10c.
    c_u = 0.50, c_o = 0.15, critical ratio 0.50/0.65 = 0.7692, z = 0.7363, Q* = 11.73 + 0.7363*4.74 = 15.22
    (the text rounds z to 0.74 and orders 15)."""
    r = newsvendor_normal(11.73, 4.74, 0.75, 0.25, 0.10)
    assert r.critical_ratio == pytest.approx(0.769231, abs=1e-6)
    assert r.order_quantity == pytest.approx(15.22, abs=0.005)
    assert round(r.order_quantity) == 15


def test_newsvendor_normal_profit_and_lost_sales():
    """Snyder & Shen (2019), §4.3.2 (normal demand) with the loss function of §C.3. Hand-worked:
    mu = 100, sigma = 20, price 10, cost 4, salvage 1 -> c_u = 6, c_o = 3, ratio 2/3, z = 0.4307,
    Q* = 108.61; lost sales sigma G(z) = 20 * 0.2200 = 4.40; leftover 108.61 - 95.60 = 13.02;
    profit 10 * 95.60 + 13.02 - 4 * 108.61 = 534.55 = (p - c) mu - (c_u + c_o) sigma phi(z)
    = 600 - 9 * 20 * 0.36375."""
    r = newsvendor_normal(100, 20, 10, 4, 1)
    assert r.critical_ratio == pytest.approx(2 / 3)
    assert r.order_quantity == pytest.approx(108.6145, abs=1e-4)
    assert r.expected_lost_sales == pytest.approx(4.4005, abs=1e-4)
    assert r.expected_leftover == pytest.approx(13.0150, abs=1e-4)
    z = (r.order_quantity - 100) / 20
    assert r.expected_profit == pytest.approx(6 * 100 - 9 * 20 * normal_pdf(z), rel=1e-12)
    assert r.expected_profit == pytest.approx(534.552, abs=1e-3)
    # Ordering the mean instead: lost sales sigma phi(0) = 7.979, profit 528.19 < 534.55.
    at_mean = newsvendor_normal(100, 20, 10, 4, 1, order_quantity=100)
    assert at_mean.expected_lost_sales == pytest.approx(7.9788, abs=1e-4)
    assert at_mean.expected_profit == pytest.approx(528.19, abs=0.01)
    assert at_mean.expected_profit < r.expected_profit


def test_newsvendor_penalty_raises_critical_ratio():
    """Nahmias §5.3: a goodwill penalty adds to the underage cost: c_u = 10 - 4 + 3 = 9, ratio 9/12 = 0.75."""
    assert critical_ratio(10, 4, 1, 3) == pytest.approx(0.75)
    with pytest.raises(PolicyInputError, match="salvage < cost"):
        critical_ratio(10, 4, 5)
    with pytest.raises(PolicyInputError, match=r"price, cost, salvage\[1\]"):
        critical_ratio([10, 3], 4, 1)


def test_newsvendor_empirical_sample_quantile():
    """Snyder & Shen (2019), §4.3.3 (discrete demand): Q* is the smallest Q with F(Q) >= ratio; with the
    empirical F of samples 1..10 (each 1/10): ratio 0.75 -> F(7) = 0.7 < 0.75 <= F(8) = 0.8, Q* = 8;
    ratio 0.70 -> F(7) = 0.70, Q* = 7. Per item ratios on a (2, 10) array."""
    samples = np.arange(1, 11, dtype=float)
    rng = np.random.default_rng(5)
    shuffled = rng.permutation(samples)
    assert newsvendor_empirical(shuffled, 0.75) == 8
    assert newsvendor_empirical(shuffled, 0.70) == 7
    assert newsvendor_empirical(shuffled, 0.01) == 1
    two = np.stack([samples, samples + 10])
    assert list(newsvendor_empirical(two, [0.75, 0.1])) == [8.0, 11.0]
    with pytest.raises(PolicyInputError, match=r"service_ratio\[1\]=1.0 must be in \(0, 1\)"):
        newsvendor_empirical(two, [0.75, 1.0])


def test_newsvendor_empirical_agrees_with_normal_for_large_samples():
    """The sample-average newsvendor (Levi, Roundy & Shmoys 2007) converges to the normal answer."""
    rng = np.random.default_rng(7)
    draws = rng.normal(100, 20, size=200_000)
    assert newsvendor_empirical(draws, 2 / 3) == pytest.approx(108.61, abs=0.5)
