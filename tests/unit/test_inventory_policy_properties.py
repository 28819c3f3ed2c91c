"""Property tests (hypothesis) for invariants of the inventory policy engine."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qudao.engines.inventory import (
    FILL_RATE,
    eoq,
    eoq_cost,
    eoq_with_backorders,
    eoq_with_backorders_cost,
    inverse_normal_loss,
    newsvendor_normal,
    normal_loss,
    rq_cost,
    rq_hadley_whitin,
    safety_stock,
)

pos = st.floats(0.1, 1e4, allow_nan=False)
level = st.floats(0.5, 0.9999)


@settings(max_examples=200, deadline=None)
@given(d=pos, sd=st.floats(0.1, 1e3), lt=st.floats(0.1, 60), slt=st.floats(0, 10), a=level, b=level)
def test_safety_stock_increases_with_service_level(d, sd, lt, slt, a, b):
    """Silver, Pyke & Thomas (2017), Ch. 6: k = Phi^-1(P1) is increasing, so SS = k sigma_L is too."""
    lo, hi = sorted((a, b))
    s_lo = safety_stock(d, sd, lt, lo, lead_time_std=slt)
    s_hi = safety_stock(d, sd, lt, hi, lead_time_std=slt)
    assert s_lo <= s_hi + 1e-9 * max(1.0, abs(s_hi))
    f_lo = safety_stock(d, sd, lt, lo, lead_time_std=slt, kind=FILL_RATE, order_quantity=d * 7)
    f_hi = safety_stock(d, sd, lt, hi, lead_time_std=slt, kind=FILL_RATE, order_quantity=d * 7)
    assert f_lo <= f_hi + 1e-9 * max(1.0, abs(f_hi))


@settings(max_examples=200, deadline=None)
@given(sigma=st.floats(1, 1e3), ratio=st.floats(1, 50), beta=st.floats(0.9, 0.9999))
def test_fill_rate_safety_stock_below_cycle_safety_stock(sigma, ratio, beta):
    """Silver, Pyke & Thomas (2017), Ch. 6: for the same target beta >= 0.9 and Q >= sigma_L, a fill rate
    needs no more safety stock than the same cycle service level (G(Phi^-1(beta)) <= Q (1 - beta)/sigma
    because the Mills ratio exceeds 1/(1 + k))."""
    q = ratio * sigma
    cycle = safety_stock(0, sigma, 1, beta)
    fill = safety_stock(0, sigma, 1, beta, kind=FILL_RATE, order_quantity=q)
    assert fill <= cycle + 1e-9 * cycle


@settings(max_examples=200, deadline=None)
@given(d=pos, k=st.floats(0.1, 1e3), h=st.floats(0.01, 100), factor=st.floats(0.05, 20))
def test_eoq_cost_is_minimal(d, k, h, factor):
    """Snyder & Shen (2019), §3.2: g(Q) = KD/Q + hQ/2 is convex with minimum at Q* = sqrt(2KD/h)."""
    q = eoq(d, k, h)
    assert eoq_cost(q, d, k, h) <= eoq_cost(q * factor, d, k, h) * (1 + 1e-12)


@settings(max_examples=200, deadline=None)
@given(d=pos, k=st.floats(0.1, 1e3), h=st.floats(0.01, 100), p=st.floats(0.01, 100),
       qf=st.floats(0.2, 5), x=st.floats(0, 1))
def test_backorder_eoq_cost_is_minimal(d, k, h, p, qf, x):
    """Snyder & Shen (2019), §3.3: (Q*, x*) minimises KD/Q + hQ(1-x)^2/2 + pQx^2/2."""
    r = eoq_with_backorders(d, k, h, p)
    other = eoq_with_backorders_cost(r.order_quantity * qf, x, d, k, h, p)
    assert r.annual_cost <= other * (1 + 1e-12)


@settings(max_examples=200, deadline=None)
@given(k=st.floats(-5, 7))
def test_inverse_normal_loss_round_trip(k):
    """G is strictly decreasing (Snyder & Shen §C.3), so the Newton inverse recovers k."""
    assert inverse_normal_loss(normal_loss(k)) == pytest.approx(k, abs=1e-7)


@settings(max_examples=100, deadline=None)
@given(mu=st.floats(10, 1e3), cv=st.floats(0.05, 0.8), price=st.floats(2, 50), margin=st.floats(0.05, 0.95),
       qf=st.floats(0.3, 3))
def test_newsvendor_optimum_beats_other_quantities(mu, cv, price, margin, qf):
    """Nahmias §5.3: expected profit is concave in Q with its maximum at the critical fractile."""
    cost = price * (1 - margin)
    best = newsvendor_normal(mu, cv * mu, price, cost)
    other = newsvendor_normal(mu, cv * mu, price, cost, order_quantity=best.order_quantity * qf)
    assert best.expected_profit >= other.expected_profit - 1e-9 * abs(best.expected_profit)


@settings(max_examples=100, deadline=None)
@given(lam=st.floats(100, 1e5), k=st.floats(1, 500), h=st.floats(0.5, 20), pf=st.floats(2, 50),
       cv=st.floats(0.1, 0.5), dq=st.floats(0.7, 1.4), dr=st.floats(-1, 1))
def test_hadley_whitin_beats_nearby_policies(lam, k, h, pf, cv, dq, dr):
    """Hadley & Whitin (1963): the iterative solution is a stationary point of the (convex near the optimum)
    approximate cost; nearby (Q, r) cost no less in typical cases (shortage cost well above holding)."""
    mu = lam / 12
    sigma = cv * mu
    p = pf * h
    r = rq_hadley_whitin(lam, k, h, p, mu, sigma)
    other = rq_cost(r.order_quantity * dq, r.reorder_point + dr * sigma, lam, k, h, p, mu, sigma)
    assert r.annual_cost <= other * (1 + 1e-9)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(pos, st.floats(0, 500), st.floats(0, 30), st.floats(0.5, 0.999)), min_size=1,
                max_size=20))
def test_vectorised_equals_item_by_item(rows):
    """Broadcasting: one call over arrays equals calls item by item."""
    d, sd, lt, sl = (np.array(c) for c in zip(*rows, strict=True))
    vec = np.atleast_1d(safety_stock(d, sd, lt, sl, kind=FILL_RATE, order_quantity=d * 5 + 1))
    one = [safety_stock(*row, kind=FILL_RATE, order_quantity=row[0] * 5 + 1) for row in rows]
    assert vec == pytest.approx(one, rel=1e-9, abs=1e-9)
