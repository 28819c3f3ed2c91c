"""Purchase histories drawn from the BG/NBD and Gamma-Gamma models, for tests and benchmarks.

BG/NBD story (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way", Marketing Science 24(2),
section 2): while active, a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after
each repeat purchase the customer drops out with probability p ~ Beta(a, b). Gamma-Gamma story (Fader &
Hardie 2013, "The Gamma-Gamma Model of Monetary Value", note 025): each purchase value z ~ Gamma(p, nu)
with nu ~ Gamma(q, v) per customer (shape, rate).

Everything is drawn per customer with numpy, no loop over customers: the number of repeat purchases
before dropout J is geometric, the purchases in (0, T] number N ~ Poisson(lambda T), the observed repeat
purchases are x = min(J, N), and the first x arrival times given N are the first x order statistics of N
uniforms on (0, T), drawn with Renyi's representation (cumulated exponentials over a Gamma total).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SimulatedHistory:
    """Per-customer truth and summary (arrays of length n) plus one row per purchase (flat arrays)."""

    T: np.ndarray  # observation length since the first purchase (time units)
    frequency: np.ndarray  # repeat purchases in (0, T]
    recency: np.ndarray  # time of the last repeat purchase (0 when none)
    holdout_frequency: np.ndarray  # repeat purchases in (T, T + holdout]
    purchase_customer: np.ndarray  # customer index of each purchase (first purchase included)
    purchase_time: np.ndarray  # time of each purchase since the customer's first purchase
    purchase_value: np.ndarray  # spend of each purchase


def simulate_bgnbd(
    observed: np.ndarray,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    holdout: float = 0.0,
    spend: tuple[float, float, float] | None = None,
    seed: int = 0,
) -> SimulatedHistory:
    """Draw one BG/NBD history per customer, observed ``observed`` time units after its first purchase.

    ``spend`` = (p, q, v) of the Gamma-Gamma model; without it every purchase value is 1.
    """
    rng = np.random.default_rng(seed)
    span = np.asarray(observed, dtype=float)
    n = span.size
    lam = rng.gamma(r, 1.0 / alpha, n)
    drop = rng.beta(a, b, n)
    # repeat purchases allowed before dropout (geometric on 1, 2, ...); capped to keep it an int64
    allowed = np.minimum(rng.geometric(np.clip(drop, 1e-12, 1.0)), 2**40)
    arrivals = rng.poisson(lam * span)
    frequency = np.minimum(allowed, arrivals)
    alive = allowed > arrivals
    holdout_frequency = np.where(alive, np.minimum(allowed - arrivals, rng.poisson(lam * holdout)), 0)

    # first x order statistics of N uniforms on (0, T): cumsum(E_1..E_j) / (sum(E_1..E_x) + Gamma(N + 1 - x))
    total = int(frequency.sum())
    owner = np.repeat(np.arange(n), frequency)
    cum = np.concatenate(([0.0], np.cumsum(rng.standard_exponential(total))))
    starts = np.concatenate(([0], np.cumsum(frequency)[:-1]))
    before = cum[starts]
    within = cum[1:] - np.repeat(before, frequency)
    last = cum[starts + frequency] - before
    has = frequency > 0
    tail = rng.gamma(np.maximum(arrivals - frequency + 1, 1).astype(float), 1.0)
    scale = span / (last + tail)
    times = within * np.repeat(scale, frequency)
    recency = np.where(has, last * scale, 0.0)

    purchase_customer = np.concatenate((np.arange(n), owner))
    purchase_time = np.concatenate((np.zeros(n), times))
    order = np.lexsort((purchase_time, purchase_customer))
    purchase_customer = purchase_customer[order]
    purchase_time = purchase_time[order]
    if spend is None:
        purchase_value = np.ones(purchase_customer.size)
    else:
        p, q, v = spend
        nu = rng.gamma(q, 1.0 / v, n)
        purchase_value = rng.gamma(p, 1.0 / nu[purchase_customer])
    return SimulatedHistory(
        T=span,
        frequency=frequency,
        recency=recency,
        holdout_frequency=holdout_frequency,
        purchase_customer=purchase_customer,
        purchase_time=purchase_time,
        purchase_value=purchase_value,
    )
