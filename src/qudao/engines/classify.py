"""ABC and XYZ classification of items: pure numpy.

* ABC (distribution by value): rank items by annual consumption value, accumulate their share of the
  total; the classes cut the cumulative curve at 80 % (A) and 95 % (B), the rest is C. Silver, Pyke &
  Thomas, *Inventory and Production Management in Supply Chains*, 4th ed. (CRC Press, 2017), the section
  on the A-B-C classification (distribution-by-value curve; typically ~20 % of items carry ~80 % of value).
  An item takes the class in which its share *starts*, so one item carrying 90 % of the value is A.
* XYZ (demand variability): the coefficient of variation of per-period demand, CV = sigma / mu; X when
  CV <= 0.5 (steady), Y when CV <= 1.0 (fluctuating), Z above (erratic, or no demand at all). Silver,
  Pyke & Thomas (2017) use the CV of demand to tell smooth from erratic items; the 0.5 / 1.0 cut-offs are
  common practitioner thresholds (e.g. Scholz-Reiter et al., "Integration of demand forecasts in ABC-XYZ
  analysis", Int. J. Productivity and Performance Management 61(4), 2012). Both cut-offs are parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

ABC_LIMITS = (0.80, 0.95)
XYZ_LIMITS = (0.5, 1.0)


def abc_classes(values: Sequence[float] | NDArray[np.float64],
                limits: tuple[float, float] = ABC_LIMITS) -> NDArray[np.str_]:
    """Class 'A' / 'B' / 'C' for each item's consumption value (same order as given).

    Example (hand-worked): values 50, 30, 10, 5, 3, 2 (total 100) start their cumulative shares at
    0, .50, .80, .90, .95, .98 -> A, A, B, B, C, C. Items with no value are C.
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 1:
        raise ValueError("values must be one-dimensional")
    if np.any(~np.isfinite(v)) or np.any(v < 0):
        raise ValueError("values must be finite and not negative")
    a_limit, b_limit = limits
    if not 0 < a_limit < b_limit <= 1:
        raise ValueError("limits must satisfy 0 < A < B <= 1")
    out = np.full(v.shape, "C", dtype="<U1")
    total = v.sum()
    if total <= 0:
        return out
    order = np.argsort(-v, kind="stable")
    start_share = (np.cumsum(v[order]) - v[order]) / total
    ranked = np.where(start_share < a_limit - 1e-12, "A", np.where(start_share < b_limit - 1e-12, "B", "C"))
    ranked = np.where(v[order] > 0, ranked, "C")
    out[order] = ranked
    return out


def coefficient_of_variation(demand: Sequence[Sequence[float]] | NDArray[np.float64]) -> NDArray[np.float64]:
    """CV = population standard deviation / mean of each row (item x period); inf when the mean is 0."""
    d = np.asarray(demand, dtype=float)
    if d.ndim != 2 or d.shape[1] < 1:
        raise ValueError("demand must be a 2-D array of items x periods")
    mean = d.mean(axis=1)
    std = d.std(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean > 0, std / np.where(mean > 0, mean, 1.0), np.inf)


def xyz_classes(demand: Sequence[Sequence[float]] | NDArray[np.float64],
                limits: tuple[float, float] = XYZ_LIMITS) -> NDArray[np.str_]:
    """Class 'X' / 'Y' / 'Z' per item from its per-period demand row.

    Example: weekly demand 10, 10, 10, 10 -> CV 0 -> X; 5, 15, 5, 15 -> CV 0.5 -> X; 0, 20, 0, 20 -> CV 1
    -> Y; 0, 0, 0, 40 -> CV sqrt(3) = 1.73 -> Z.
    """
    x_limit, y_limit = limits
    if not 0 < x_limit < y_limit:
        raise ValueError("limits must satisfy 0 < X < Y")
    cv = coefficient_of_variation(demand)
    return np.where(cv <= x_limit + 1e-12, "X", np.where(cv <= y_limit + 1e-12, "Y", "Z")).astype("<U1")
