"""Guaranteed-service safety stock placement (qudao.engines.inventory.guaranteed_service)."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qudao.engines.inventory import PolicyInputError, guaranteed_service, serial_guaranteed_service


def brute_force(t, h, sigma, arcs, smax, si_ext, z):
    """Enumerate every integer outbound service time vector; SI_j = max S of predecessors (or si_ext)."""
    n = len(t)
    preds = [[u for u, v in arcs if v == j] for j in range(n)]
    big_m = [0] * n
    for _ in range(n):  # longest path, n passes suffice on a tree
        for j in range(n):
            big_m[j] = (max(big_m[i] for i in preds[j]) if preds[j] else si_ext) + t[j]
    ranges = [range(0, int(min(big_m[j], smax[j])) + 1) for j in range(n)]
    best = math.inf
    for s in itertools.product(*ranges):
        cost = 0.0
        for j in range(n):
            si = max(s[i] for i in preds[j]) if preds[j] else si_ext
            tau = si + t[j] - s[j]
            if tau < 0:
                cost = math.inf
                break
            cost += h[j] * z * sigma[j] * math.sqrt(tau)
        best = min(best, cost)
    return best


def check_feasible(r, t, arcs, smax):
    for u, v in arcs:
        assert r.inbound_service_time[v] >= r.service_time[u]
    assert np.all(r.net_replenishment_time >= 0)
    assert np.all(r.net_replenishment_time == r.inbound_service_time + np.asarray(t) - r.service_time)
    assert np.all(r.service_time <= np.asarray(smax))
    assert r.total_cost == pytest.approx(float(r.holding_cost.sum()))


def test_serial_three_stage_hand_enumeration():
    """Graves & Willems (2000) GSM on a serial line (Snyder & Shen 2019, Ch. 6, serial systems), worked by
    hand. Stages 0 -> 1 -> 2, T = (2, 1, 1), h = (1, 2, 4), end demand sigma = 10 per period, z = 1,
    customers served immediately (S_2 = 0), outside supplier immediate (SI_0 = 0).
    Cost/10 = 1 sqrt(2 - S_0) + 2 sqrt(S_0 + 1 - S_1) + 4 sqrt(S_1 + 1) with SI_1 = S_0, SI_2 = S_1:
      S_0=0: S_1=0 -> 1.414 + 2 + 4 = 7.414;        S_1=1 -> 1.414 + 0 + 5.657 = 7.071  <- best
      S_0=1: S_1=0 -> 1 + 2.828 + 4 = 7.828;        S_1=1 -> 1 + 2 + 5.657 = 8.657
             S_1=2 -> 1 + 0 + 6.928 = 7.928
      S_0=2: S_1=0 -> 0 + 3.464 + 4 = 7.464;        S_1=1 -> 0 + 2.828 + 5.657 = 8.485
             S_1=2 -> 0 + 2 + 6.928 = 8.928;        S_1=3 -> 0 + 0 + 8 = 8
    Optimum: S = (0, 1, 0), tau = (2, 0, 2), no stock at stage 1,
    cost 10 (sqrt 2 + 4 sqrt 2) = 50 sqrt 2 = 70.71.
    """
    r = serial_guaranteed_service([2, 1, 1], [1, 2, 4], 10, safety_factor=1)
    assert list(r.service_time) == [0, 1, 0]
    assert list(r.net_replenishment_time) == [2, 0, 2]
    assert r.safety_stock == pytest.approx([10 * math.sqrt(2), 0.0, 10 * math.sqrt(2)])
    assert r.total_cost == pytest.approx(50 * math.sqrt(2))
    check_feasible(r, [2, 1, 1], [(0, 1), (1, 2)], [np.inf, np.inf, 0])


def test_serial_with_service_level_and_quoted_service_time():
    """Same line with z from a 95% service level and a quoted customer service time of 1 period: by the
    same enumeration the stage-2 stock covers tau_2 = S_1 + 1 - 1; compared with brute force."""
    r = serial_guaranteed_service([2, 1, 1], [1, 2, 4], 10, service_level=0.95, max_service_time=1)
    z = 1.6448536269514722
    assert r.total_cost == pytest.approx(
        brute_force([2, 1, 1], [1, 2, 4], [10, 10, 10], [(0, 1), (1, 2)], [math.inf, math.inf, 1], 0, z))
    assert r.service_time[2] <= 1


def test_distribution_network_pools_demand_and_matches_enumeration():
    """Graves & Willems (2000), §4, spanning trees, on a distribution network: a plant (0) feeds a DC (1) and
    a store (2); the DC feeds stores 3 and 4. Demand std at internal nodes pools the independent store
    demands: sigma_1 = sqrt(3^2 + 4^2) = 5, sigma_0 = sqrt(5^2 + 5^2) = 7.07. Optimum equals enumeration."""
    t, h, sd = [3, 2, 1, 1, 1], [1, 2, 3, 4, 4], [0, 0, 5, 3, 4]
    arcs = [(0, 1), (0, 2), (1, 3), (1, 4)]
    smax = [np.inf, np.inf, 0, 1, 0]
    r = guaranteed_service(t, h, sd, arcs, safety_factor=1.645, max_service_time=smax)
    assert r.demand_std == pytest.approx([math.sqrt(50), 5, 5, 3, 4])
    assert r.total_cost == pytest.approx(brute_force(t, h, r.demand_std, arcs, smax, 0, 1.645))
    check_feasible(r, t, arcs, smax)


def test_assembly_and_distribution_spanning_tree():
    """Graves & Willems (2000), §4: a spanning tree with an assembly node (two suppliers 0, 1 -> plant 2)
    and distribution (plant 2 -> DCs 3, 4); the outside supplier quotes 1 period to nodes 0 and 1."""
    t, h, sd = [2, 4, 1, 1, 2], [0.5, 0.3, 2, 3, 3], [0, 0, 0, 6, 8]
    arcs = [(0, 2), (1, 2), (2, 3), (2, 4)]
    smax = [np.inf, np.inf, np.inf, 0, 1]
    r = guaranteed_service(t, h, sd, arcs, safety_factor=2.0, max_service_time=smax,
                           external_inbound_service_time=1)
    assert r.total_cost == pytest.approx(brute_force(t, h, r.demand_std, arcs, smax, 1, 2.0))
    check_feasible(r, t, arcs, smax)
    assert r.inbound_service_time[0] >= 1 and r.inbound_service_time[1] >= 1


@st.composite
def random_trees(draw):
    n = draw(st.integers(2, 6))
    arcs = []
    for j in range(1, n):
        other = draw(st.integers(0, j - 1))
        arcs.append((other, j) if draw(st.booleans()) else (j, other))
    t = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    h = draw(st.lists(st.floats(0.1, 5), min_size=n, max_size=n))
    sd = draw(st.lists(st.floats(0, 10), min_size=n, max_size=n))
    has_succ = {u for u, _ in arcs}
    smax = [math.inf if j in has_succ else draw(st.integers(0, 2)) for j in range(n)]
    return t, h, sd, arcs, smax


@settings(max_examples=60, deadline=None)
@given(random_trees())
def test_dynamic_program_equals_enumeration_on_random_trees(case):
    """Property: the Graves & Willems (2000) dynamic program finds the enumerated optimum on any small tree
    (serial, assembly, distribution or mixed)."""
    t, h, sd, arcs, smax = case
    r = guaranteed_service(t, h, sd, arcs, safety_factor=1.0, max_service_time=smax)
    assert r.total_cost == pytest.approx(brute_force(t, h, r.demand_std, arcs, smax, 0, 1.0), abs=1e-9)
    check_feasible(r, t, arcs, smax)


def test_gsm_bad_input():
    """Cycles, bad arcs, fractional times and a missing service level are named errors."""
    with pytest.raises(PolicyInputError, match=r"arcs\[2\].*cycle"):
        guaranteed_service([1, 1, 1], 1, [0, 0, 1], [(0, 1), (1, 2), (2, 0)], safety_factor=1)
    with pytest.raises(PolicyInputError, match=r"arcs\[0\]"):
        guaranteed_service([1, 1], 1, [0, 1], [(0, 5)], safety_factor=1)
    with pytest.raises(PolicyInputError, match=r"processing_time\[1\]=1.5"):
        guaranteed_service([1, 1.5], 1, [0, 1], [(0, 1)], safety_factor=1)
    with pytest.raises(PolicyInputError, match="service_level"):
        guaranteed_service([1, 1], 1, [0, 1], [(0, 1)])
    with pytest.raises(PolicyInputError, match=r"service_level=1.5 must be in \(0, 1\)"):
        guaranteed_service([1, 1], 1, [0, 1], [(0, 1)], service_level=1.5)
