"""Standard normal loss function G(k) and its vectorised inverse.

G(k) = E[(Z - k)^+] = phi(k) - k (1 - Phi(k)) for Z ~ N(0, 1): Silver, Pyke & Thomas (2017), *Inventory and
Production Management in Supply Chains*, 4th ed., Appendix (the function G_u(k)); Snyder & Shen (2019),
*Fundamentals of Supply Chain Theory*, 2nd ed., §C.3 (the standard normal loss function L(z)).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ._checks import as_float, out, positive

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def normal_pdf(k):
    k = np.asarray(k, dtype=float)
    return _INV_SQRT_2PI * np.exp(-0.5 * k * k)


def normal_loss(k):
    """Standard normal first-order loss G(k) = phi(k) - k (1 - Phi(k)); scalar or array."""
    k = as_float("k", k)
    return out(normal_pdf(k) - k * special.ndtr(-k))


# Precomputed inverse for the starting point: log G(k) on a fine grid of k (G decreasing, so the table is
# reversed to increasing log G for np.interp). Outside the table, k = -t is exact to double precision for
# large t (G(k) = -k + G(-k)), and targets below G(8.3) are floored.
_GRID_K = np.linspace(-12.0, 8.3, 4001)
_GRID_LOG_G = np.log(normal_pdf(_GRID_K) - _GRID_K * special.ndtr(-_GRID_K))
_TABLE_X, _TABLE_K = _GRID_LOG_G[::-1].copy(), _GRID_K[::-1].copy()


def inverse_normal_loss(target, *, tol: float = 1e-12, max_iter: int = 50):
    """Solve G(k) = target for k, elementwise (target > 0), with no Python loop over items.

    Start from a precomputed inverse (linear interpolation of log G on a grid, error ~1e-6), then polish
    with Newton steps on G, whose derivative is G'(k) = -(1 - Phi(k)); two or three steps reach 1e-12.
    G is convex and strictly decreasing, so Newton converges from either side of the root.
    """
    t = positive("target", target)
    # Below G(8.3) ~ 1e-17 the loss is numerically zero; such targets mean "no shortage at all".
    t = np.maximum(t, 1e-16)
    k = np.where(t > np.exp(_TABLE_X[-1]), -t, np.interp(np.log(t), _TABLE_X, _TABLE_K))
    for _ in range(max_iter):
        tail = special.ndtr(-k)
        g = normal_pdf(k) - k * tail
        step = (g - t) / np.maximum(tail, 1e-300)
        k = k + step
        if np.all(np.abs(step) <= tol * np.maximum(1.0, np.abs(k))):
            break
    return out(k)
