"""Fair allocation of scarce supply among channels, by one of three policies, with each channel's shortfall.

- ``priority``: strict priority tiers (1 first); within a tier, in proportion to demand (the "allocation by
  customer priority" rule of Vollmann et al., *Manufacturing Planning and Control for Supply Chain
  Management*, 5th ed., Ch. 7, and Chopra & Meindl, *Supply Chain Management*, 6th ed., Ch. 16, "allocating
  capacity to customer segments").
- ``proportional``: fair share in proportion to forecast, capped at each channel's demand, the excess
  re-shared among the others (the fair-share allocation of Silver, Pyke & Thomas, *Inventory and Production
  Management in Supply Chains*, 4th ed., Ch. 11, "allocation of scarce stock among locations").
- ``max_margin``: the linear programme max sum_c m_c x_c s.t. sum_c x_c <= S, s_c d_c <= x_c <= d_c
  (minimum service s_c per channel), solved with HiGHS (Huangfu & Hall 2018) through scipy.

Demand is (channels,) for one item or (items, channels); supply is a number or (items,).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import optimize, sparse

from .errors import PlanningInputError, label

PRIORITY = "priority"
PROPORTIONAL = "proportional"
MAX_MARGIN = "max_margin"
POLICIES = (PRIORITY, PROPORTIONAL, MAX_MARGIN)
_EPS = 1e-9


@dataclass(frozen=True)
class Allocation:
    policy: str
    demand: np.ndarray  # (items, channels)
    allocated: np.ndarray
    supply: np.ndarray  # (items,)
    margin: float | None = None  # objective of the max-margin policy

    @property
    def shortfall(self) -> np.ndarray:
        return self.demand - self.allocated

    @property
    def fill_rate(self) -> np.ndarray:
        d = self.demand.sum(axis=0)
        return np.where(d > 0, self.allocated.sum(axis=0) / np.where(d > 0, d, 1.0), 1.0)

    def report(self, channels=None) -> pl.DataFrame:
        """Per channel (summed over items): demand, allocated, shortfall and fill rate."""
        k = self.demand.shape[1]
        names = list(channels) if channels is not None else list(range(k))
        return pl.DataFrame(
            {
                "channel": names,
                "demand": self.demand.sum(axis=0),
                "allocated": self.allocated.sum(axis=0),
                "shortfall": self.shortfall.sum(axis=0),
                "fill_rate": self.fill_rate,
            },
            strict=False,
        )


def _matrix(field, value, shape, channels, items, lo=None, hi=None) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
        arr = np.broadcast_to(arr, shape)
    except (TypeError, ValueError) as exc:
        raise PlanningInputError(field, f"must be numbers of shape {shape} or (channels,)") from exc
    bad = ~np.isfinite(arr)
    if lo is not None:
        bad |= arr < lo
    if hi is not None:
        bad |= arr > hi
    if bad.any():
        i, c = np.unravel_index(int(np.flatnonzero(bad)[0]), shape)
        rng = (
            "a finite number"
            + (f" >= {lo:g}" if lo is not None else "")
            + (f" and <= {hi:g}" if hi is not None else "")
        )
        where = f"channel {label(channels, int(c))}" + (
            "" if shape[0] == 1 else f", item {label(items, int(i))}"
        )
        raise PlanningInputError(field, f"must be {rng}, got {float(arr[i, c]):g}", where)
    return np.array(arr)


def allocate_scarce(
    supply,
    demand,
    policy: str,
    *,
    tier=None,
    forecast=None,
    margin=None,
    min_service=0.0,
    channels=None,
    items=None,
) -> Allocation:
    """Allocate ``supply`` to channel ``demand`` by ``policy`` (see the module docstring)."""
    d = np.asarray(demand, dtype=float)
    one = d.ndim == 1
    d = d[None, :] if one else d
    if d.ndim != 2:
        raise PlanningInputError("demand", "must be (channels,) or (items, channels)")
    shape = d.shape
    d = _matrix("demand", d, shape, channels, items, lo=0.0)
    s = np.broadcast_to(
        np.asarray(supply, dtype=float).ravel() if np.ndim(supply) else np.asarray(supply, float), (shape[0],)
    ).copy()
    bad = ~np.isfinite(s) | (s < 0)
    if bad.any():
        raise PlanningInputError(
            "supply", "must be a finite number >= 0", label(items, int(np.flatnonzero(bad)[0]))
        )
    if policy == PRIORITY:
        if tier is None:
            raise PlanningInputError("tier", "the priority policy needs a tier per channel")
        alloc, obj = by_priority(s, d, _matrix("tier", tier, shape, channels, items, lo=0.0)), None
    elif policy == PROPORTIONAL:
        f = d if forecast is None else _matrix("forecast", forecast, shape, channels, items, lo=0.0)
        alloc, obj = by_forecast_share(s, d, f), None
    elif policy == MAX_MARGIN:
        if margin is None:
            raise PlanningInputError("margin", "the max_margin policy needs a unit margin per channel")
        m = _matrix("margin", margin, shape, channels, items)
        ms = _matrix("min_service", min_service, shape, channels, items, lo=0.0, hi=1.0)
        alloc, obj = by_max_margin(s, d, m, ms, items)
    else:
        raise PlanningInputError("policy", f"unknown {policy!r}; use one of {', '.join(POLICIES)}")
    return Allocation(policy, d, alloc, s, obj)


def by_priority(supply: np.ndarray, demand: np.ndarray, tier: np.ndarray) -> np.ndarray:
    """Serve tier 1 fully, then tier 2, ...; a tier that cannot be served fully shares in proportion
    to demand."""
    left = supply.astype(float).copy()
    alloc = np.zeros_like(demand)
    for t in np.unique(tier):
        in_tier = tier == t
        want = np.where(in_tier, demand, 0.0)
        total = want.sum(axis=1)
        give = np.minimum(left, total)
        frac = np.where(total > 0, give / np.where(total > 0, total, 1.0), 0.0)
        alloc += want * frac[:, None]
        left -= give
    return alloc


def by_forecast_share(supply: np.ndarray, demand: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Share in proportion to forecast, capped at demand; what a capped channel cannot take is re-shared
    among the uncapped ones (water filling). Channels without forecast share by demand once the others
    are full."""
    alloc = np.zeros_like(demand)
    left = np.minimum(supply.astype(float), demand.sum(axis=1))
    for _ in range(2 * demand.shape[1] + 1):
        room = demand - alloc
        open_ = room > _EPS
        w = np.where(open_, forecast, 0.0)
        wsum = w.sum(axis=1)
        w = np.where((wsum <= _EPS)[:, None], np.where(open_, room, 0.0), w)
        wsum = w.sum(axis=1)
        active = (left > _EPS) & (wsum > _EPS)
        if not active.any():
            break
        share = np.where(active[:, None], left[:, None] * w / np.where(wsum > 0, wsum, 1.0)[:, None], 0.0)
        give = np.minimum(share, room)
        alloc += give
        left -= give.sum(axis=1)
    return alloc


def by_max_margin(
    supply: np.ndarray, demand: np.ndarray, margin: np.ndarray, min_service: np.ndarray, items=None
) -> tuple[np.ndarray, float]:
    """One LP for all items (block diagonal), solved by HiGHS. Infeasible minimum service names the item."""
    n, k = demand.shape
    low = min_service * demand
    need = low.sum(axis=1)
    short = need > supply + _EPS
    if short.any():
        i = int(np.flatnonzero(short)[0])
        raise PlanningInputError(
            "min_service",
            f"the minimum service needs {need[i]:g} units, supply is {supply[i]:g}",
            label(items, i),
        )
    rows = np.repeat(np.arange(n), k)
    a = sparse.csr_matrix((np.ones(n * k), (rows, np.arange(n * k))), shape=(n, n * k))
    res = optimize.linprog(
        -margin.ravel(),
        A_ub=a,
        b_ub=supply,
        bounds=np.column_stack([low.ravel(), demand.ravel()]),
        method="highs",
    )
    if res.status != 0:
        raise PlanningInputError("max_margin", f"the allocation LP failed: {res.message}")
    x = np.clip(res.x.reshape(n, k), low, demand)
    return x, float(margin.ravel() @ x.ravel())
