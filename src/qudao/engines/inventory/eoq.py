"""Economic order quantity: basic, with planned backorders, and with all-units quantity discounts.

Units: demand per year (or any period), setup cost per order, holding cost per unit per the same period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import PolicyInputError, as_float, broadcast, nonnegative, out, positive


def eoq(demand, setup_cost, holding_cost):
    """Q* = sqrt(2 K D / h) (Harris 1913; Snyder & Shen (2019), *Fundamentals of Supply Chain Theory*,
    2nd ed., §3.2, the EOQ formula; Silver, Pyke & Thomas (2017), 4th ed., Ch. 4)."""
    d = nonnegative("demand", demand)
    k = nonnegative("setup_cost", setup_cost)
    h = positive("holding_cost", holding_cost)
    d, k, h = broadcast(demand=d, setup_cost=k, holding_cost=h)
    return out(np.sqrt(2.0 * k * d / h))


def eoq_cost(order_quantity, demand, setup_cost, holding_cost):
    """Annual ordering + holding cost g(Q) = K D / Q + h Q / 2 (Snyder & Shen 2019, §3.2)."""
    q = positive("order_quantity", order_quantity)
    d = nonnegative("demand", demand)
    k = nonnegative("setup_cost", setup_cost)
    h = nonnegative("holding_cost", holding_cost)
    q, d, k, h = broadcast(order_quantity=q, demand=d, setup_cost=k, holding_cost=h)
    return out(k * d / q + h * q / 2.0)


@dataclass(frozen=True)
class BackorderEOQ:
    order_quantity: np.ndarray | float
    max_backorder: np.ndarray | float  # units backordered when an order arrives, x* Q*
    backorder_fraction: np.ndarray | float  # x* = h / (h + p): fraction of each cycle's demand backordered
    annual_cost: np.ndarray | float


def eoq_with_backorders(demand, setup_cost, holding_cost, backorder_cost) -> BackorderEOQ:
    """EOQ with planned backorders (backorder cost p per unit per year).

    x* = h / (h + p), Q* = sqrt(2 K D (h + p) / (h p)), g* = sqrt(2 K D h p / (h + p))
    (Snyder & Shen 2019, §3.3 "Planned backorders"; Silver, Pyke & Thomas 2017, Ch. 4 problems).
    """
    d = nonnegative("demand", demand)
    k = nonnegative("setup_cost", setup_cost)
    h = positive("holding_cost", holding_cost)
    p = positive("backorder_cost", backorder_cost)
    d, k, h, p = broadcast(demand=d, setup_cost=k, holding_cost=h, backorder_cost=p)
    x = h / (h + p)
    q = np.sqrt(2.0 * k * d * (h + p) / (h * p))
    g = np.sqrt(2.0 * k * d * h * p / (h + p))
    return BackorderEOQ(out(q), out(x * q), out(x), out(g))


def eoq_with_backorders_cost(order_quantity, backorder_fraction, demand, setup_cost, holding_cost,
                             backorder_cost):
    """g(Q, x) = K D / Q + h Q (1 - x)^2 / 2 + p Q x^2 / 2 (Snyder & Shen 2019, §3.3)."""
    q = positive("order_quantity", order_quantity)
    x = as_float("backorder_fraction", backorder_fraction)
    d, k = nonnegative("demand", demand), nonnegative("setup_cost", setup_cost)
    h, p = nonnegative("holding_cost", holding_cost), nonnegative("backorder_cost", backorder_cost)
    return out(k * d / q + h * q * (1 - x) ** 2 / 2.0 + p * q * x**2 / 2.0)


@dataclass(frozen=True)
class DiscountEOQ:
    order_quantity: np.ndarray | float
    unit_price: np.ndarray | float
    price_break: np.ndarray | int  # index of the chosen price break
    annual_cost: np.ndarray | float  # purchase + ordering + holding


def eoq_all_units_discount(demand, setup_cost, holding_rate, break_quantities, unit_prices) -> DiscountEOQ:
    """Order quantity under an all-units quantity discount (the standard algorithm).

    Price c_j applies to the whole order when the quantity is in [b_j, b_{j+1}); b_0 = 0. For each break,
    the EOQ at that price with holding cost i c_j is computed; if it lies below b_j it is raised to b_j, if
    it is at or above b_{j+1} the break is infeasible for it. The cheapest of the candidates by total annual
    cost c_j D + K D / Q + i c_j Q / 2 wins (Nahmias, *Production and Operations Analysis*, 6th ed., §4.7
    "Quantity discount models", all-units; Silver, Pyke & Thomas 2017, Ch. 5, quantity discounts).

    ``break_quantities`` and ``unit_prices``: shape (J,) shared by all items, or (n, J) per item; the demand,
    setup cost and holding rate broadcast against the leading dimension.
    """
    d = nonnegative("demand", demand)
    k = nonnegative("setup_cost", setup_cost)
    i = positive("holding_rate", holding_rate)
    b = nonnegative("break_quantities", break_quantities)
    c = positive("unit_prices", unit_prices)
    if b.ndim == 0 or c.ndim == 0:
        raise PolicyInputError("break_quantities", "must be an array of price breaks (last axis)")
    if b.shape[-1] != c.shape[-1]:
        raise PolicyInputError("unit_prices", f"needs one price per break: {c.shape[-1]} != {b.shape[-1]}")
    if np.any(b[..., 0] != 0):
        raise PolicyInputError("break_quantities", "must start at 0 (the first price applies from 0)")
    if np.any(np.diff(b, axis=-1) <= 0):
        raise PolicyInputError("break_quantities", "must be strictly increasing")
    d, k, i = (x[..., None] for x in broadcast(demand=d, setup_cost=k, holding_rate=i))
    upper = np.concatenate([b[..., 1:], np.full((*b.shape[:-1], 1), np.inf)], axis=-1)
    h = i * c
    q = np.sqrt(2.0 * k * d / h)
    q = np.maximum(q, b)
    feasible = q < upper
    # Q = 0 only at the first break when K D = 0, where the ordering term K D / Q is zero as well.
    ordering = np.where(q > 0, k * d / np.where(q > 0, q, 1.0), 0.0)
    cost = c * d + ordering + h * q / 2.0
    cost = np.where(feasible, cost, np.inf)
    j = np.argmin(cost, axis=-1)
    take = lambda a: np.take_along_axis(np.broadcast_to(a, cost.shape), j[..., None], axis=-1)[..., 0]  # noqa: E731
    return DiscountEOQ(out(take(q)), out(take(c)), j if j.ndim else int(j), out(take(cost)))
