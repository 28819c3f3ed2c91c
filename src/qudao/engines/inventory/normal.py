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


def inverse_normal_loss(target, *, tol: float = 1e-12, max_iter: int = 100):
    """Solve G(k) = target for k, elementwise (target > 0).

    G is convex and strictly decreasing, so Newton's method started left of the root (k0 = -target, where
    G(-t) = t + G(t) >= t) increases monotonically to the root; all items iterate together, no Python loop
    over items. G'(k) = -(1 - Phi(k)).
    """
    t = positive("target", target)
    # Below G(8.3) ~ 1e-17 the loss is numerically zero; such targets mean "no shortage at all".
    t = np.maximum(t, 1e-16)
    k = -t.copy()
    for _ in range(max_iter):
        tail = special.ndtr(-k)
        g = normal_pdf(k) - k * tail
        step = (g - t) / np.maximum(tail, 1e-300)
        k = k + step
        if np.all(np.abs(step) <= tol * np.maximum(1.0, np.abs(k))):
            break
    return out(k)
