"""Replenishment policies: base-stock, periodic review (R, S), continuous review (r, Q) and (s, S).

The (R, S) order-up-to level for a service target is :func:`order_up_to_level` (safety stock over the
protection interval R + L). Cost-based policies: :func:`base_stock_level`, :func:`rq_hadley_whitin`,
:func:`ss_power_approximation` (vectorised) and :func:`ss_poisson_optimal` (exact, per item).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ._checks import PolicyInputError, broadcast, nonnegative, out, positive
from .normal import normal_pdf
from .safety_stock import CYCLE, protection_stock


def order_up_to_level(demand_mean, demand_std, lead_time, review_period, service_level, *,
                      lead_time_std=0.0, kind: str = CYCLE):
    """(R, S) order-up-to level S = d (R + L) + k sigma_{R+L}; for a fill rate the demand per cycle is d R.

    Silver, Pyke & Thomas (2017), *Inventory and Production Management in Supply Chains*, 4th ed., Ch. 6,
    the (R, S) system: the protection interval is R + L.
    """
    nonnegative("review_period", review_period)
    r = np.asarray(review_period, dtype=float)
    if np.any(r <= 0):
        positive("review_period", r)
    return protection_stock(demand_mean, demand_std, lead_time, service_level, lead_time_std=lead_time_std,
                            review_period=review_period, kind=kind).reorder_point


@dataclass(frozen=True)
class BaseStock:
    level: np.ndarray | float
    critical_ratio: np.ndarray | float  # p / (p + h)
    expected_backorders: np.ndarray | float  # per period, sigma G(z)
    expected_on_hand: np.ndarray | float  # per period, S - mu + sigma G(z)
    expected_cost: np.ndarray | float  # per period, (h + p) sigma phi(z)


def base_stock_level(demand_mean, demand_std, protection_periods, holding_cost, backorder_cost) -> BaseStock:
    """Cost-optimal base-stock level for normal demand, backorders charged p per unit per period.

    S* = mu' + z sigma', z = Phi^-1(p / (p + h)), with mu' = d T and sigma' = sigma_d sqrt(T) the demand over
    the T = ``protection_periods`` periods an order protects (L + 1 for review every period in the usual
    timeline); optimal cost (h + p) sigma' phi(z) (Snyder & Shen (2019), *Fundamentals of Supply Chain
    Theory*, 2nd ed., Ch. 4: newsvendor and base-stock policies, normal demand).
    """
    d = nonnegative("demand_mean", demand_mean)
    sd = nonnegative("demand_std", demand_std)
    t = positive("protection_periods", protection_periods)
    h = positive("holding_cost", holding_cost)
    p = positive("backorder_cost", backorder_cost)
    d, sd, t, h, p = broadcast(demand_mean=d, demand_std=sd, protection_periods=t, holding_cost=h,
                               backorder_cost=p)
    ratio = p / (p + h)
    z = special.ndtri(ratio)
    mu, sigma = d * t, sd * np.sqrt(t)
    level = mu + z * sigma
    backorders = sigma * (normal_pdf(z) - z * special.ndtr(-z))
    return BaseStock(out(level), out(ratio), out(backorders), out(level - mu + backorders),
                     out((h + p) * sigma * normal_pdf(z)))


@dataclass(frozen=True)
class RQPolicy:
    order_quantity: np.ndarray | float
    reorder_point: np.ndarray | float
    safety_factor: np.ndarray | float
    expected_shortage_per_cycle: np.ndarray | float  # n(r) = sigma G(z)
    annual_cost: np.ndarray | float
    iterations: int


def rq_cost(order_quantity, reorder_point, demand_rate, setup_cost, holding_cost, shortage_cost,
            lead_time_demand_mean, lead_time_demand_std):
    """Approximate annual cost of (r, Q) with normal lead-time demand and a cost p per unit short:
    h (Q/2 + r - mu) + K lambda / Q + p lambda n(r) / Q (Hadley & Whitin 1963, *Analysis of Inventory
    Systems*, Ch. 4; Nahmias, *Production and Operations Analysis*, 6th ed., §5.4)."""
    q = positive("order_quantity", order_quantity)
    r = np.asarray(reorder_point, dtype=float)
    lam, k = nonnegative("demand_rate", demand_rate), nonnegative("setup_cost", setup_cost)
    h, p = nonnegative("holding_cost", holding_cost), nonnegative("shortage_cost", shortage_cost)
    mu = nonnegative("lead_time_demand_mean", lead_time_demand_mean)
    sigma = positive("lead_time_demand_std", lead_time_demand_std)
    z = (r - mu) / sigma
    n = sigma * (normal_pdf(z) - z * special.ndtr(-z))
    return out(h * (q / 2.0 + r - mu) + k * lam / q + p * lam * n / q)


def rq_hadley_whitin(demand_rate, setup_cost, holding_cost, shortage_cost, lead_time_demand_mean,
                     lead_time_demand_std, *, tol: float = 1e-8, max_iter: int = 100) -> RQPolicy:
    """Cost-optimal (r, Q) by the iterative Hadley-Whitin procedure, vectorised over items.

    Start with Q = EOQ; then repeat P(D_L > r) = Q h / (p lambda) and Q = sqrt(2 lambda (K + p n(r)) / h),
    n(r) = sigma G((r - mu) / sigma), until Q settles (Hadley & Whitin 1963, Ch. 4; Nahmias, 6th ed., §5.4,
    the iterative solution of the (Q, R) model). When Q h >= p lambda the shortage cost cannot justify any
    protection; the tail probability is then capped just below 1 (r far below the mean). Items without
    demand get Q = 0 and r = mu; items without variability get the EOQ and r = mu.
    """
    lam = nonnegative("demand_rate", demand_rate)
    k = nonnegative("setup_cost", setup_cost)
    h = positive("holding_cost", holding_cost)
    p = positive("shortage_cost", shortage_cost)
    mu = nonnegative("lead_time_demand_mean", lead_time_demand_mean)
    sigma = nonnegative("lead_time_demand_std", lead_time_demand_std)
    lam, k, h, p, mu, sigma = broadcast(demand_rate=lam, setup_cost=k, holding_cost=h, shortage_cost=p,
                                        lead_time_demand_mean=mu, lead_time_demand_std=sigma)
    live = lam > 0
    risky = live & (sigma > 0)
    lam1 = np.where(live, lam, 1.0)
    sig = np.where(risky, sigma, 0.0)
    q = np.maximum(np.sqrt(2.0 * k * lam1 / h), 1e-12)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        tail = np.clip(q * h / (p * lam1), 1e-15, 1.0 - 1e-12)
        z = -special.ndtri(tail)
        n = sig * (normal_pdf(z) - z * tail)
        q_new = np.maximum(np.sqrt(2.0 * lam1 * (k + p * n) / h), 1e-12)
        done = np.all(np.abs(q_new - q) <= tol * np.maximum(1.0, q_new))
        q = q_new
        if done:
            break
    tail = np.clip(q * h / (p * lam1), 1e-15, 1.0 - 1e-12)
    z = np.where(risky, -special.ndtri(tail), 0.0)
    n = sig * (normal_pdf(z) - z * tail)
    r = mu + z * sig
    cost = h * (q / 2.0 + r - mu) + k * lam1 / q + p * lam1 * n / q
    q = np.where(live, q, 0.0)
    cost = np.where(live, cost, 0.0)
    return RQPolicy(out(q), out(r), out(z), out(np.where(live, n, 0.0)), out(cost), it)


@dataclass(frozen=True)
class SSPolicy:
    reorder_level: np.ndarray | float  # s: order when the inventory position is at or below s
    order_up_to: np.ndarray | float  # S
    average_cost: np.ndarray | float | None = None  # per period; exact methods only


def ss_power_approximation(demand_mean, demand_std, lead_time, setup_cost, holding_cost, backorder_cost,
                           review_period=1.0) -> SSPolicy:
    """(s, S) by the revised power approximation of Ehrhardt & Mosier (1984), vectorised.

    Ehrhardt & Mosier, "A revision of the power approximation for computing (s, S) policies", Management
    Science 30(5):618-622 (1984); presented in Silver, Pyke & Thomas (2017), Ch. 7 ((s, S) systems) and
    Porteus (2002), *Foundations of Stochastic Inventory Theory*. With mu_R the mean demand per review
    interval, mu, sigma the mean and std over R + L, h and p per unit per review interval:
    Q_p = 1.30 mu_R^0.494 (K/h)^0.506 (1 + sigma^2/mu_R^2)^0.116, z = sqrt(Q_p h / (sigma p)),
    s_p = mu + sigma (0.183/z + 1.063 - 2.192 z). If Q_p / mu_R > 1.5: s = s_p, S = s_p + Q_p; otherwise
    with S_0 = mu + k sigma, Phi(k) = p / (p + h): s = min(s_p, S_0), S = min(s_p + Q_p, S_0).
    Items without demand get s = S = 0.
    """
    d = nonnegative("demand_mean", demand_mean)
    sd = nonnegative("demand_std", demand_std)
    lt = nonnegative("lead_time", lead_time)
    k = nonnegative("setup_cost", setup_cost)
    h = positive("holding_cost", holding_cost)
    p = positive("backorder_cost", backorder_cost)
    r = positive("review_period", review_period)
    d, sd, lt, k, h, p, r = broadcast(demand_mean=d, demand_std=sd, lead_time=lt, setup_cost=k,
                                      holding_cost=h, backorder_cost=p, review_period=r)
    live = d > 0  # an item without demand never orders: s = S = 0
    d = np.where(live, d, 1.0)
    mu_r = d * r
    mu = d * (r + lt)
    sigma = sd * np.sqrt(r + lt)
    qp = 1.30 * mu_r**0.494 * (k / h) ** 0.506 * (1.0 + sigma**2 / mu_r**2) ** 0.116
    safe_sigma = np.where(sigma > 0, sigma, 1.0)
    z = np.sqrt(qp * h / (safe_sigma * p))
    z = np.where(z > 0, z, 1e-12)
    sp = np.where(sigma > 0, mu + sigma * (0.183 / z + 1.063 - 2.192 * z), mu)
    s0 = mu + special.ndtri(p / (p + h)) * sigma
    small = qp / mu_r <= 1.5
    s = np.where(small, np.minimum(sp, s0), sp)
    big_s = np.where(small, np.minimum(sp + qp, s0), sp + qp)
    return SSPolicy(out(np.where(live, s, 0.0)), out(np.where(live, big_s, 0.0)))


class _PoissonSS:
    """Cost pieces of a periodic-review (s, S) policy with Poisson demand (Zheng & Federgruen 1991)."""

    def __init__(self, rate: float, lead_time: int, setup: float, hold: float, back: float):
        from scipy import stats  # imported here: scipy.stats is slow to import and only needed here

        self._stats = stats
        self.rate, self.setup, self.hold, self.back = rate, setup, hold, back
        self.mean_lt = rate * (lead_time + 1)  # demand from ordering to the end of the arrival period
        self.p0 = float(np.exp(-rate))
        self._pmf = np.array([self.p0])
        self._m = np.array([1.0 / (1.0 - self.p0)])

    def losses(self, ys: np.ndarray) -> np.ndarray:
        """G(y) = h E(y - D)^+ + p E(D - y)^+ with D ~ Poisson(rate (L + 1)), for an array of integers y.

        E(D - y)^+ = m P(D > y - 1) - y P(D > y) for y >= 0 and m - y for y < 0."""
        m = self.mean_lt
        ys = np.asarray(ys, dtype=float)
        sf = self._stats.poisson.sf
        short = np.where(ys < 0, m - ys, m * sf(ys - 1, m) - ys * sf(ys, m))
        return self.hold * (ys - m + short) + self.back * short

    def loss(self, y: int) -> float:
        return float(self.losses(np.array([y]))[0])

    def _renewal(self, n: int) -> np.ndarray:
        """m(0..n-1): m(0) = 1/(1 - p0), m(j) = sum_{l=1..j} p_l m(j - l) / (1 - p0)."""
        have = len(self._m)
        if n > have:
            self._pmf = self._stats.poisson.pmf(np.arange(n), self.rate)
            m = np.empty(n)
            m[:have] = self._m
            for j in range(have, n):
                m[j] = np.dot(self._pmf[1 : j + 1], m[j - 1 :: -1]) / (1.0 - self.p0)
            self._m = m
        return self._m[:n]

    def cost(self, s: int, big_s: int) -> float:
        """c(s, S) = (K + sum_{j=0}^{S-s-1} m(j) G(S - j)) / M(S - s), average cost per period."""
        n = big_s - s
        m = self._renewal(n)
        g = self.losses(big_s - np.arange(n))
        return (self.setup + float(np.dot(m, g))) / float(m.sum())

    def minimiser(self) -> int:
        y = int(np.floor(self.mean_lt))
        while self.loss(y - 1) < self.loss(y):
            y -= 1
        while self.loss(y + 1) < self.loss(y):
            y += 1
        return y


def ss_poisson_optimal(demand_rate, lead_time, setup_cost, holding_cost, backorder_cost) -> SSPolicy:
    """Exact optimal (s, S) for periodic review with Poisson demand, Zheng & Federgruen (1991).

    Zheng & Federgruen, "Finding optimal (s, S) policies is about as simple as evaluating a single policy",
    Operations Research 39(4):654-665 (1991): G(y) is the expected holding and backorder cost of the
    period an order placed at inventory position y arrives in; c(s, S) is evaluated through the renewal
    function of demand; the search starts at y* = argmin G and moves s down and S up with the paper's
    stopping rules. ``lead_time`` is an integer number of periods. Exact but run item by item (a Python loop):
    use it for validation and for slow movers, :func:`ss_power_approximation` for large vectorised runs.
    """
    lam = positive("demand_rate", demand_rate)
    lt = nonnegative("lead_time", lead_time)
    k = nonnegative("setup_cost", setup_cost)
    h = positive("holding_cost", holding_cost)
    p = positive("backorder_cost", backorder_cost)
    lam, lt, k, h, p = broadcast(demand_rate=lam, lead_time=lt, setup_cost=k, holding_cost=h,
                                 backorder_cost=p)
    if np.any(lt != np.round(lt)):
        idx = int(np.flatnonzero(lt != np.round(lt))[0])
        raise PolicyInputError("lead_time", "must be a whole number of periods",
                               None if lt.ndim == 0 else idx, float(lt.flat[idx]))
    s_out, big_out, c_out = (np.empty(lam.shape) for _ in range(3))
    for idx in np.ndindex(lam.shape):
        s, big_s, c = _zheng_federgruen(_PoissonSS(float(lam[idx]), int(lt[idx]), float(k[idx]),
                                                    float(h[idx]), float(p[idx])))
        s_out[idx], big_out[idx], c_out[idx] = s, big_s, c
    return SSPolicy(out(s_out), out(big_out), out(c_out))


def _zheng_federgruen(model: _PoissonSS) -> tuple[int, int, float]:
    y_star = model.minimiser()
    s = y_star - 1
    while model.cost(s, y_star) > model.loss(s):
        s -= 1
    best_s, c0 = y_star, model.cost(s, y_star)
    big_s = y_star + 1
    while model.loss(big_s) <= c0:
        c_new = model.cost(s, big_s)
        if c_new < c0:
            best_s = big_s
            while model.cost(s, best_s) <= model.loss(s + 1):
                s += 1
            c0 = model.cost(s, best_s)
        big_s += 1
    return s, best_s, c0
