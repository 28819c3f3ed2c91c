"""Safety stock and reorder point for a cycle service level (type 1) or a fill rate (type 2).

Demand per period ~ (d, sigma_d), lead time ~ (L, sigma_L) in the same periods, independent:
sigma over the protection interval P = L + R is sqrt(P sigma_d^2 + d^2 sigma_L^2)
(Silver, Pyke & Thomas (2017), *Inventory and Production Management in Supply Chains*, 4th ed., Ch. 6,
"probabilistic lead time"; Chopra & Meindl, *Supply Chain Management*, Ch. 12, safety inventory with
lead-time uncertainty). The safety stock is k * sigma; the reorder point (continuous review) or order-up-to
level (periodic review) is d * P + k * sigma.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ._checks import (
    PolicyInputError,
    as_float,
    broadcast,
    check_finite,
    nonnegative,
    open_unit,
    out,
    positive,
)
from .normal import inverse_normal_loss, normal_loss

CYCLE = "cycle"
FILL_RATE = "fill_rate"


@dataclass(frozen=True)
class ProtectionStock:
    """Result of a safety-stock calculation; fields are floats or arrays of the broadcast shape."""

    safety_factor: np.ndarray | float
    sigma: np.ndarray | float  # std of demand over the protection interval
    mean_demand: np.ndarray | float  # expected demand over the protection interval
    safety_stock: np.ndarray | float
    reorder_point: np.ndarray | float  # for periodic review: the order-up-to level S


def demand_std_over_lead_time(demand_mean, demand_std, lead_time, lead_time_std=0.0):
    """sigma_DL = sqrt(L sigma_d^2 + d^2 sigma_L^2) (Silver, Pyke & Thomas 2017, Ch. 6, eq. for the
    standard deviation of total demand over a random lead time; independence of demand and lead time)."""
    d = nonnegative("demand_mean", demand_mean)
    sd = nonnegative("demand_std", demand_std)
    lt = nonnegative("lead_time", lead_time)
    slt = nonnegative("lead_time_std", lead_time_std)
    d, sd, lt, slt = broadcast(demand_mean=d, demand_std=sd, lead_time=lt, lead_time_std=slt)
    return out(np.sqrt(lt * sd * sd + d * d * slt * slt))


def cycle_service_factor(service_level):
    """k = Phi^-1(alpha): probability of no stockout per replenishment cycle (type 1 / P1 criterion;
    Silver, Pyke & Thomas 2017, Ch. 6, "specified probability of no stockout per cycle")."""
    a = open_unit("service_level", service_level)
    return out(special.ndtri(a))


def fill_rate_factor(fill_rate, demand_per_cycle, sigma):
    """k solving G(k) = Q (1 - beta) / sigma: fraction of demand met from stock (type 2 / P2 criterion).

    Silver, Pyke & Thomas (2017), Ch. 6: for (s, Q) the expected shortage per cycle sigma_L G_u(k) must be
    (1 - P2) Q; for (R, S) replace Q by the expected demand per review interval D R and sigma_L by
    sigma_{R+L}. The small correction term G(k + Q/sigma) is neglected, as in the text. k may be negative
    when the cycle stock alone already gives the fill rate.
    """
    b = open_unit("fill_rate", fill_rate)
    q = positive("demand_per_cycle", demand_per_cycle)
    s = positive("sigma", sigma)
    b, q, s = broadcast(fill_rate=b, demand_per_cycle=q, sigma=s)
    return inverse_normal_loss(q * (1.0 - b) / s)


def expected_fill_rate(safety_stock, sigma, demand_per_cycle):
    """Fill rate of a given safety stock: 1 - sigma G(SS / sigma) / Q, the expected shortage per cycle over
    the demand per cycle (Silver, Pyke & Thomas 2017, Ch. 6; Chopra & Meindl, *Supply Chain Management*,
    Ch. 12, "evaluating fill rate given a replenishment policy")."""
    ss = check_finite("safety_stock", safety_stock)
    s = positive("sigma", sigma)
    q = positive("demand_per_cycle", demand_per_cycle)
    ss, s, q = broadcast(safety_stock=ss, sigma=s, demand_per_cycle=q)
    return out(1.0 - s * np.asarray(normal_loss(ss / s)) / q)


def protection_stock(
    demand_mean,
    demand_std,
    lead_time,
    service_level,
    *,
    lead_time_std=0.0,
    review_period=0.0,
    kind: str = CYCLE,
    order_quantity=None,
) -> ProtectionStock:
    """Safety factor, sigma, safety stock and reorder point (order-up-to level if review_period > 0).

    kind="cycle": service_level is the cycle service level (type 1). kind="fill_rate": service_level is the
    fill rate (type 2); the demand per replenishment cycle is ``order_quantity`` when given (continuous
    review, (s, Q)) else demand_mean * review_period (periodic review, (R, S)). Items with zero sigma get
    zero safety stock, and so do items without demand when a fill rate is asked (their factor is 0).
    """
    d = nonnegative("demand_mean", demand_mean)
    sd = nonnegative("demand_std", demand_std)
    lt = nonnegative("lead_time", lead_time)
    slt = nonnegative("lead_time_std", lead_time_std)
    r = nonnegative("review_period", review_period)
    level = open_unit("service_level", service_level)
    names = dict(demand_mean=d, demand_std=sd, lead_time=lt, lead_time_std=slt, review_period=r,
                 service_level=level)
    if kind == FILL_RATE:
        if order_quantity is None:
            name, cyc = "review_period", d * r
        else:
            name, cyc = "order_quantity", nonnegative("order_quantity", order_quantity)
        names["demand_per_cycle"] = cyc
    elif kind != CYCLE:
        raise PolicyInputError("kind", f"must be {CYCLE!r} or {FILL_RATE!r}, got {kind!r}")
    arrays = broadcast(**names)
    d, sd, lt, slt, r, level = arrays[:6]
    p = lt + r
    sigma = np.sqrt(p * sd * sd + d * d * slt * slt)
    mean = d * p
    if kind == CYCLE:
        k = special.ndtri(level)
    else:
        cyc = arrays[6]
        # An item without demand needs no stock; an item with demand but no cycle quantity is an error.
        _reject_zero_cycle(name, cyc, d)
        active = (sigma > 0) & (d > 0)
        target = np.where(active, cyc * (1.0 - level) / np.where(active, sigma, 1.0), 1.0)
        k = np.where(active, np.asarray(inverse_normal_loss(target)), 0.0)
    ss = np.where((sigma > 0) & (d > 0) if kind == FILL_RATE else sigma > 0, k * sigma, 0.0)
    return ProtectionStock(out(k), out(sigma), out(mean), out(ss), out(mean + ss))


def _reject_zero_cycle(name: str, cyc: np.ndarray, demand: np.ndarray) -> None:
    bad = (cyc <= 0) & (demand > 0)
    if bad.any():
        idx = None if cyc.ndim == 0 else int(np.flatnonzero(bad.reshape(-1))[0])
        reason = ("must be > 0 for a fill rate with periodic review (or pass order_quantity)"
                  if name == "review_period" else "must be > 0 for an item with demand")
        value = float(cyc.reshape(-1)[idx or 0])
        raise PolicyInputError(name, reason, idx, value if name == "order_quantity" else None)


def safety_stock(demand_mean, demand_std, lead_time, service_level, **kwargs):
    """Safety stock k * sigma over the protection interval; see :func:`protection_stock` for options."""
    return protection_stock(demand_mean, demand_std, lead_time, service_level, **kwargs).safety_stock


def reorder_point(demand_mean, demand_std, lead_time, service_level, **kwargs):
    """Reorder point d (L + R) + SS (the order-up-to level S for periodic review)."""
    return protection_stock(demand_mean, demand_std, lead_time, service_level, **kwargs).reorder_point


def safety_stock_from_quantiles(mean, upper, quantile_level, service_level=None, *, axis=None,
                                errors: str = "independent"):
    """Safety stock from a forecast's upper quantile over the protection interval.

    ``mean`` and ``upper`` are the forecast mean and its ``quantile_level`` quantile. If ``axis`` is None
    they already cover the whole protection interval; otherwise they are per period along ``axis`` (the
    periods of the protection interval) and are combined. With ``service_level`` None (or equal to
    ``quantile_level``) and no axis the safety stock is simply upper - mean, whatever the distribution.
    Otherwise sigma is read from the interval assuming normal errors, sigma = (upper - mean) / z_q
    (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., §5.5, normal prediction
    intervals), combined over periods as sqrt(sum sigma_t^2) for independent errors or sum sigma_t for
    perfectly correlated ones, and the safety stock is z_alpha * sigma (Silver, Pyke & Thomas 2017, Ch. 6).
    """
    m = as_float("mean", mean)
    u = as_float("upper", upper)
    ql = open_unit("quantile_level", quantile_level)
    m, u = broadcast(mean=m, upper=u)
    for name, arr in (("mean", m), ("upper", u)):
        if not np.all(np.isfinite(arr)):
            nonnegative(name, arr)  # raises naming the non-finite item
    width = u - m
    if np.any(width < 0):
        idx = np.unravel_index(int(np.flatnonzero(width < 0)[0]), width.shape)
        raise PolicyInputError("upper", "must be >= mean (an upper quantile)",
                               None if width.ndim == 0 else tuple(int(i) for i in idx) if width.ndim > 1
                               else int(idx[0]), float(u[idx]))
    if np.any(np.asarray(ql) <= 0.5):
        raise PolicyInputError("quantile_level", "must be above 0.5 (an upper quantile)", None, None)
    if errors not in ("independent", "correlated"):
        raise PolicyInputError("errors", "must be 'independent' or 'correlated'")
    if axis is None and (service_level is None or np.all(np.asarray(service_level) == ql)):
        if service_level is not None:
            open_unit("service_level", service_level)
        return out(width)
    z_q = special.ndtri(ql)
    sigma_t = width / z_q
    if axis is None:
        sigma = sigma_t
    elif errors == "independent":
        sigma = np.sqrt(np.sum(sigma_t * sigma_t, axis=axis))
    else:
        sigma = np.sum(sigma_t, axis=axis)
    if service_level is None:
        if ql.ndim:
            raise PolicyInputError("service_level",
                                   "is required when quantile_level varies by item or period")
        service_level = ql
    z = special.ndtri(open_unit("service_level", service_level))
    return out(z * sigma)
