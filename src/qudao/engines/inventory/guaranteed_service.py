"""Safety stock placement in a multi-echelon network with the guaranteed-service model (GSM).

Graves & Willems, "Optimizing strategic safety stock placement in supply chains", Manufacturing & Service
Operations Management 2(1):68-83 (2000); Snyder & Shen (2019), *Fundamentals of Supply Chain Theory*,
2nd ed., Ch. 6 (guaranteed-service models: serial systems and trees). Each node j quotes an outbound
service time S_j to its successors (at most the maximum service time to customers at demand nodes) and
waits an inbound service time SI_j >= S_i of each predecessor i. It holds safety stock
z sigma_j sqrt(SI_j + T_j - S_j) for net replenishment time tau_j = SI_j + T_j - S_j >= 0, where T_j is the
processing time and sigma_j the std of demand per period seen at j (the demand of every downstream demand
node, independent). The model minimises sum_j h_j z sigma_j sqrt(tau_j) over integer service times by the
dynamic program of Graves & Willems for spanning trees (serial and distribution networks are special
cases): nodes are labelled so each has at most one higher-labelled neighbour; for each node the best cost
of its lower-labelled subtree is tabulated as a function of S (if that neighbour is downstream) or of SI
(if upstream).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from ._checks import PolicyInputError, as_float, nonnegative, open_unit, positive


@dataclass(frozen=True)
class GSMResult:
    service_time: np.ndarray  # S_j, outbound
    inbound_service_time: np.ndarray  # SI_j
    net_replenishment_time: np.ndarray  # tau_j = SI_j + T_j - S_j
    demand_std: np.ndarray  # sigma_j, per period, aggregated over downstream demand nodes
    safety_stock: np.ndarray  # z sigma_j sqrt(tau_j)
    holding_cost: np.ndarray  # h_j * safety_stock_j
    total_cost: float


def _integers(name: str, arr: np.ndarray) -> np.ndarray:
    bad = np.isfinite(arr) & (arr != np.round(arr))
    if bad.any():
        idx = int(np.flatnonzero(bad)[0])
        raise PolicyInputError(name, "must be a whole number of periods", idx, float(arr[idx]))
    return arr


def guaranteed_service(
    processing_time,
    holding_cost,
    demand_std,
    arcs: Sequence[tuple[int, int]],
    *,
    max_service_time=None,
    external_inbound_service_time=0,
    service_level=None,
    safety_factor=None,
) -> GSMResult:
    """Optimal service times and safety stocks for a tree network (Graves & Willems 2000, §3-4).

    processing_time, holding_cost, demand_std: one value per node (node ids are 0..n-1); demand_std is the
    std of external demand per period at each node (0 for nodes without external demand).
    arcs: (upstream, downstream) pairs; the undirected graph must be a tree (or a forest).
    max_service_time: per node, the service time promised to external customers (np.inf for none); default
    0 for nodes without successors and no bound elsewhere. external_inbound_service_time: service time of
    the outside supplier to nodes without predecessors (default 0).
    service_level (z = Phi^-1) or safety_factor z: one for the whole network.
    """
    t = _integers("processing_time", nonnegative("processing_time", processing_time)).astype(int)
    n = t.shape[0] if t.ndim == 1 else 0
    if n == 0:
        raise PolicyInputError("processing_time", "needs one value per node (a non-empty 1-D array)")
    h = np.broadcast_to(nonnegative("holding_cost", holding_cost), (n,)).astype(float)
    ext_sd = np.broadcast_to(nonnegative("demand_std", demand_std), (n,)).astype(float)
    if (service_level is None) == (safety_factor is None):
        raise PolicyInputError("service_level", "give exactly one of service_level or safety_factor")
    z = float(special.ndtri(open_unit("service_level", service_level))) if safety_factor is None \
        else float(positive("safety_factor", safety_factor))

    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for pos, arc in enumerate(arcs):
        try:
            u, v = (int(x) for x in arc)
        except (TypeError, ValueError) as exc:
            raise PolicyInputError("arcs", "must be (upstream, downstream) node index pairs", pos) from exc
        if not (0 <= u < n and 0 <= v < n) or u == v:
            raise PolicyInputError("arcs", f"({u}, {v}) must join two different nodes in 0..{n - 1}", pos)
        ru, rv = find(u), find(v)
        if ru == rv:
            raise PolicyInputError("arcs", f"({u}, {v}) closes a cycle: the network must be a tree", pos)
        parent[ru] = rv
        succs[u].append(v)
        preds[v].append(u)

    if max_service_time is None:
        smax = np.array([0.0 if not succs[j] else np.inf for j in range(n)])
    else:
        smax = np.broadcast_to(as_float("max_service_time", max_service_time), (n,)).astype(float)
        bad = np.isnan(smax) | (smax < 0)
        if bad.any():
            idx = int(np.flatnonzero(bad)[0])
            raise PolicyInputError("max_service_time", "must be >= 0 (np.inf for no bound)", idx,
                                   float(smax[idx]))
        _integers("max_service_time", smax)
    si_ext = np.broadcast_to(
        _integers("external_inbound_service_time",
                  np.atleast_1d(nonnegative("external_inbound_service_time", external_inbound_service_time))),
        (n,)).astype(int)

    order = _topological(n, preds, succs)
    # Longest replenishment time M_j and demand std seen at j (all downstream demand, independent).
    big_m = np.zeros(n, dtype=int)
    for j in order:
        big_m[j] = (max(big_m[i] for i in preds[j]) if preds[j] else si_ext[j]) + t[j]
    var = ext_sd**2
    for j in reversed(order):
        var[j] += sum(var[k] for k in succs[j])
    sigma = np.sqrt(var)
    return _solve(n, t, h, sigma, z, preds, succs, smax, si_ext, big_m)


def _topological(n: int, preds: list[list[int]], succs: list[list[int]]) -> list[int]:
    indeg = [len(p) for p in preds]
    todo = [j for j in range(n) if indeg[j] == 0]
    order: list[int] = []
    while todo:
        j = todo.pop()
        order.append(j)
        for k in succs[j]:
            indeg[k] -= 1
            if indeg[k] == 0:
                todo.append(k)
    return order


def _solve(n, t, h, sigma, z, preds, succs, smax, si_ext, big_m) -> GSMResult:
    neighbours = [set(preds[j]) | set(succs[j]) for j in range(n)]
    unlabelled_deg = [len(nb) for nb in neighbours]
    labelled = [False] * n
    order: list[int] = []
    up: list[int | None] = [None] * n  # the higher-labelled neighbour p(k)
    queue = [j for j in range(n) if unlabelled_deg[j] <= 1]
    while queue:
        k = queue.pop()
        if labelled[k]:
            continue
        labelled[k] = True
        order.append(k)
        for nb in neighbours[k]:
            if not labelled[nb]:
                up[k] = nb
                unlabelled_deg[nb] -= 1
                if unlabelled_deg[nb] <= 1:
                    queue.append(nb)

    inf = np.inf
    table: dict[int, np.ndarray] = {}  # c_k(S, SI)
    f_min: dict[int, np.ndarray] = {}  # prefix minimum over S of min_SI c_k: best subtree cost with S_k <= x
    g_min: dict[int, np.ndarray] = {}  # suffix minimum over SI of min_S c_k: best subtree cost with SI_k >= y
    roots: list[int] = []
    for k in order:
        s_grid = np.arange(big_m[k] + 1)[:, None]
        si_grid = np.arange(big_m[k] - t[k] + 1)[None, :]
        tau = si_grid + t[k] - s_grid
        feasible = (tau >= 0) & (s_grid <= smax[k]) & (si_grid >= si_ext[k] if not preds[k] else True)
        c = np.where(feasible, h[k] * z * sigma[k] * np.sqrt(np.maximum(tau, 0)), inf)
        for nb in neighbours[k]:
            if up[nb] != k:
                continue
            if nb in preds[k]:  # upstream subtree: needs S_nb <= SI_k
                pre = f_min[nb]
                c = c + pre[np.minimum(si_grid, len(pre) - 1)]
            else:  # downstream subtree: needs SI_nb >= S_k
                suf = g_min[nb]
                idx = np.minimum(s_grid, len(suf) - 1)
                c = c + np.where(s_grid < len(suf), suf[idx], inf)
        table[k] = c
        if up[k] is None:
            roots.append(k)
        elif up[k] in succs[k]:
            f_min[k] = np.minimum.accumulate(c.min(axis=1))
        else:
            g_min[k] = np.minimum.accumulate(c.min(axis=0)[::-1])[::-1]

    s_out = np.zeros(n, dtype=int)
    si_out = np.zeros(n, dtype=int)
    total = 0.0
    for r in roots:
        c = table[r]
        if not np.isfinite(c.min()):
            raise PolicyInputError("max_service_time", "no feasible service times for the network", r)
        total += float(c.min())
        s_out[r], si_out[r] = np.unravel_index(int(np.argmin(c)), c.shape)
    for k in reversed(order):
        parent = up[k]
        if parent is None:
            continue
        c = table[k]
        if parent in succs[k]:  # k feeds its parent: best S_k <= SI_parent
            limit = min(si_out[parent], c.shape[0] - 1)
            s_out[k] = int(np.argmin(c.min(axis=1)[: limit + 1]))
            si_out[k] = int(np.argmin(c[s_out[k]]))
        else:  # parent feeds k: best SI_k >= S_parent
            col = c.min(axis=0)
            si_out[k] = s_out[parent] + int(np.argmin(col[s_out[parent]:]))
            s_out[k] = int(np.argmin(c[:, si_out[k]]))
    tau = si_out + t - s_out
    ss = z * sigma * np.sqrt(tau)
    return GSMResult(s_out, si_out, tau, sigma, ss, h * ss, total)


def serial_guaranteed_service(processing_time, holding_cost, demand_std, *, max_service_time=0,
                              external_inbound_service_time=0, service_level=None,
                              safety_factor=None) -> GSMResult:
    """GSM for a serial line 0 -> 1 -> ... -> n-1 with customer demand at the last stage (Snyder & Shen
    2019, Ch. 6, serial systems; Graves & Willems 2000). demand_std is that of the end-customer demand."""
    t = as_float("processing_time", processing_time)
    n = t.shape[0] if t.ndim == 1 else 0
    if n == 0:
        raise PolicyInputError("processing_time", "needs one value per stage (a non-empty 1-D array)")
    sd = np.zeros(n)
    sd[-1] = float(nonnegative("demand_std", demand_std))
    smax = np.full(n, np.inf)
    smax[-1] = float(nonnegative("max_service_time", max_service_time))
    return guaranteed_service(t, holding_cost, sd, [(j, j + 1) for j in range(n - 1)], max_service_time=smax,
                              external_inbound_service_time=external_inbound_service_time,
                              service_level=service_level, safety_factor=safety_factor)
