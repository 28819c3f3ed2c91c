"""Newsvendor: one-shot buys for a season or a promotion, normal or empirical demand."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ._checks import PolicyInputError, as_float, broadcast, nonnegative, open_unit, out
from .normal import normal_pdf


def critical_ratio(price, cost, salvage=0.0, shortage_penalty=0.0):
    """c_u / (c_u + c_o) with underage c_u = price - cost + penalty and overage c_o = cost - salvage
    (Nahmias, *Production and Operations Analysis*, 6th ed., §5.3; Snyder & Shen (2019), §4.3: p/(p + h))."""
    p = nonnegative("price", price)
    c = nonnegative("cost", cost)
    v = nonnegative("salvage", salvage)
    g = nonnegative("shortage_penalty", shortage_penalty)
    p, c, v, g = broadcast(price=p, cost=c, salvage=v, shortage_penalty=g)
    under, over = p - c + g, c - v
    bad = (under <= 0) | (over <= 0)
    if bad.any():
        idx = None if bad.ndim == 0 else int(np.flatnonzero(bad)[0])
        raise PolicyInputError("price, cost, salvage", "need salvage < cost < price + shortage_penalty", idx)
    return out(under / (under + over))


@dataclass(frozen=True)
class Newsvendor:
    order_quantity: np.ndarray | float
    critical_ratio: np.ndarray | float
    expected_sales: np.ndarray | float
    expected_lost_sales: np.ndarray | float
    expected_leftover: np.ndarray | float
    expected_profit: np.ndarray | float


def newsvendor_normal(demand_mean, demand_std, price, cost, salvage=0.0, shortage_penalty=0.0,
                      order_quantity=None) -> Newsvendor:
    """Optimal one-shot quantity for N(mu, sigma^2) demand: q* = mu + z sigma, Phi(z) = critical ratio.

    Expected lost sales sigma G(z), sales mu - sigma G(z), leftover q - mu + sigma G(z) and profit
    price * sales + salvage * leftover - cost * q - penalty * lost sales (Nahmias 6th ed. §5.3; Snyder &
    Shen 2019, §4.3.2, normal demand, with the loss function of §C.3); q* is floored at 0.
    Pass ``order_quantity`` to evaluate a given quantity instead of the optimum.
    """
    mu = nonnegative("demand_mean", demand_mean)
    sigma = nonnegative("demand_std", demand_std)
    ratio = as_float("critical_ratio", critical_ratio(price, cost, salvage, shortage_penalty))
    p, c, v, g = (np.asarray(x, dtype=float) for x in (price, cost, salvage, shortage_penalty))
    mu, sigma, ratio, p, c, v, g = broadcast(demand_mean=mu, demand_std=sigma, critical_ratio=ratio, price=p,
                                             cost=c, salvage=v, shortage_penalty=g)
    if order_quantity is None:
        # Profit is concave in q, so a negative fractile point (low ratio, high spread) is clamped to 0.
        q = np.maximum(mu + special.ndtri(ratio) * sigma, 0.0)
    else:
        q = np.broadcast_to(nonnegative("order_quantity", order_quantity), mu.shape)
    z = np.where(sigma > 0, (q - mu) / np.where(sigma > 0, sigma, 1.0), 0.0)
    loss = np.where(sigma > 0, sigma * (normal_pdf(z) - z * special.ndtr(-z)), np.maximum(mu - q, 0.0))
    sales = mu - loss
    leftover = q - sales
    profit = p * sales + v * leftover - c * q - g * loss
    return Newsvendor(out(q), out(ratio), out(sales), out(loss), out(leftover), out(profit))


def newsvendor_empirical(demand_samples, service_ratio, *, axis: int = -1):
    """Smallest sample value q with empirical F(q) >= ratio (the sample-average-approximation newsvendor).

    Snyder & Shen (2019), §4.3.3, discrete demand: Q* is the smallest Q with F(Q) >= p / (p + h); with
    F the empirical distribution of the samples this is the ceil(n * ratio)-th order statistic (Levi,
    Roundy & Shmoys, "Provably near-optimal sampling-based policies for stochastic inventory control
    models", Math. Oper. Res. 32(4), 2007). ``demand_samples`` may be (n_items, n_samples) with one ratio
    per item.
    """
    x = nonnegative("demand_samples", demand_samples)
    if x.ndim == 0 or x.shape[axis] == 0:
        raise PolicyInputError("demand_samples", "needs at least one sample")
    ratio = open_unit("service_ratio", service_ratio)
    x = np.moveaxis(x, axis, -1)
    n = x.shape[-1]
    srt = np.sort(x, axis=-1)
    rank = np.ceil(ratio * n - 1e-12).astype(int) - 1  # 0-based index of the ceil(n r)-th order statistic
    rank = np.clip(rank, 0, n - 1)
    rank, _ = np.broadcast_arrays(rank, srt[..., 0])
    return out(np.take_along_axis(srt, rank[..., None], axis=-1)[..., 0])
