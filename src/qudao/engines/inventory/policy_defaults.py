"""Policy defaults (service level, review period, policy type) per ABC/XYZ class, overridable by planners.

The ABC-XYZ matrix crosses value (A/B/C, Pareto on annual usage value) with demand variability (X/Y/Z,
coefficient of variation): Scholz-Reiter, Heger, Meinecke & Bergmann, "Integration of demand forecasts in
ABC-XYZ analysis", Int. J. Productivity and Performance Management 61(4):445-451 (2012); the idea that
class A items get tighter control and more frequent review, class C items simple rules with longer review,
is from Silver, Pyke & Thomas (2017), 4th ed., Ch. 2 (ABC classification) and Ch. 8 (class C items).
The numbers below are Qudao house defaults, not textbook values: planners override them per class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ._checks import PolicyInputError

CONTINUOUS_RQ = "rQ"  # continuous review (r, Q)
PERIODIC_RS = "RS"  # periodic review (R, S)


@dataclass(frozen=True)
class ClassPolicy:
    service_level: float  # cycle service level target
    review_period_days: float
    policy: str  # CONTINUOUS_RQ or PERIODIC_RS


DEFAULT_CLASS_POLICIES: Mapping[str, ClassPolicy] = {
    "AX": ClassPolicy(0.98, 1, CONTINUOUS_RQ),
    "AY": ClassPolicy(0.97, 1, CONTINUOUS_RQ),
    "AZ": ClassPolicy(0.95, 7, PERIODIC_RS),
    "BX": ClassPolicy(0.97, 7, PERIODIC_RS),
    "BY": ClassPolicy(0.95, 7, PERIODIC_RS),
    "BZ": ClassPolicy(0.93, 14, PERIODIC_RS),
    "CX": ClassPolicy(0.95, 14, PERIODIC_RS),
    "CY": ClassPolicy(0.93, 28, PERIODIC_RS),
    "CZ": ClassPolicy(0.90, 28, PERIODIC_RS),
}


@dataclass(frozen=True)
class PolicyDefaults:
    service_level: np.ndarray | float
    review_period_days: np.ndarray | float
    policy: np.ndarray | str  # CONTINUOUS_RQ or PERIODIC_RS


def _validate_table(table: Mapping[str, ClassPolicy]) -> None:
    for label, pol in table.items():
        if not (0 < pol.service_level < 1):
            raise PolicyInputError(f"overrides[{label!r}].service_level", "must be in (0, 1)", None,
                                   pol.service_level)
        if not (pol.review_period_days >= 0):
            raise PolicyInputError(f"overrides[{label!r}].review_period_days", "must be >= 0", None,
                                   pol.review_period_days)
        if pol.policy not in (CONTINUOUS_RQ, PERIODIC_RS):
            raise PolicyInputError(f"overrides[{label!r}].policy",
                                   f"must be {CONTINUOUS_RQ!r} or {PERIODIC_RS!r}")


def policy_defaults(abc, xyz=None,
                    overrides: Mapping[str, Mapping | ClassPolicy] | None = None) -> PolicyDefaults:
    """Map class labels to policy defaults, vectorised over items.

    ``abc``: labels "A"/"B"/"C" (with ``xyz`` "X"/"Y"/"Z" alongside) or combined labels such as "AX";
    a bare "A"/"B"/"C" without XYZ class takes the Y column.
    ``overrides``: {class label: ClassPolicy or a dict of the fields to change}, e.g.
    {"CZ": {"service_level": 0.85}}. Unknown labels raise PolicyInputError naming the item index.
    """
    labels = np.asarray(abc, dtype=str)
    if xyz is not None:
        labels = np.char.add(np.char.upper(np.char.strip(labels)),
                             np.char.upper(np.char.strip(np.asarray(xyz, dtype=str))))
    labels = np.char.upper(np.char.strip(labels))
    # ABC only (no variability class yet): use the middle, Y, column.
    labels = np.where(np.isin(labels, ["A", "B", "C"]), np.char.add(labels, "Y"), labels)
    table = dict(DEFAULT_CLASS_POLICIES)
    for label, change in (overrides or {}).items():
        key = str(label).strip().upper()
        if key not in table:
            raise PolicyInputError("overrides", f"unknown class {label!r}; known: {', '.join(table)}")
        if isinstance(change, ClassPolicy):
            table[key] = change
        else:
            unknown = set(change) - {"service_level", "review_period_days", "policy"}
            if unknown:
                raise PolicyInputError(f"overrides[{label!r}]", f"unknown fields {sorted(unknown)}")
            base = table[key]
            table[key] = ClassPolicy(
                float(change.get("service_level", base.service_level)),
                float(change.get("review_period_days", base.review_period_days)),
                str(change.get("policy", base.policy)),
            )
    _validate_table(table)
    keys = np.array(list(table))
    flat = labels.reshape(-1)
    pos = np.searchsorted(np.sort(keys), flat)
    sorted_keys = np.sort(keys)
    found = (pos < len(keys)) & (sorted_keys[np.minimum(pos, len(keys) - 1)] == flat)
    if not found.all():
        idx = int(np.flatnonzero(~found)[0])
        known = ", ".join(table)
        raise PolicyInputError("class", f"unknown ABC/XYZ class {str(flat[idx])!r}; known: {known}",
                               None if labels.ndim == 0 else idx)
    chosen = [table[k] for k in sorted_keys]
    level = np.array([c.service_level for c in chosen])[pos].reshape(labels.shape)
    review = np.array([c.review_period_days for c in chosen], dtype=float)[pos].reshape(labels.shape)
    policy = np.array([c.policy for c in chosen])[pos].reshape(labels.shape)
    if labels.ndim == 0:
        return PolicyDefaults(float(level), float(review), str(policy))
    return PolicyDefaults(level, review, policy)
