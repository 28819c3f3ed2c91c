"""Pre-build: move production that overloads a resource into earlier buckets with spare capacity, ahead of a
seasonal or promotional peak, and say why.

Backward levelling of a capacity-infeasible master schedule (Vollmann, Berry, Whybark & Jacobs,
*Manufacturing Planning and Control for Supply Chain Management*, 5th ed., Ch. 7 and Ch. 10: a
level/anticipation-stock strategy builds inventory before the peak when capacity is short; Silver, Pyke &
Thomas, 4th ed., Ch. 14, "seasonal inventory"). Walking from the last bucket to the first, any load above
capacity moves one bucket earlier, shared over the items loading the resource in proportion to their load;
what is still above capacity in bucket 0 cannot be built in time and is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from .capacity import check_capacity
from .errors import PlanningInputError, label

_EPS = 1e-9


@dataclass(frozen=True)
class Prebuild:
    production: np.ndarray  # (items, buckets) after pre-build
    load: np.ndarray  # (resources, buckets) after pre-build
    moves: pl.DataFrame  # item, resource, build_bucket, for_bucket, quantity, hours, reason
    unresolved: pl.DataFrame  # resource, bucket, overload: load that cannot be built in time


def prebuild(
    production, resource, hours_per_unit, capacity, items=None, resources=None, bucket_reason=None
) -> Prebuild:
    """Shift excess load earlier within capacity. ``production`` (items, buckets) is loaded on one
    resource per item (``resource`` (items,) index, ``hours_per_unit`` (items,)); ``capacity``
    (resources, buckets) in hours.
    ``bucket_reason`` optionally labels buckets (e.g. {5: "promotion Double 11"}) for the reason text."""
    q = np.asarray(production, dtype=float)
    if q.ndim != 2:
        raise PlanningInputError("production", "must be a matrix of shape (items, buckets)")
    n, nb = q.shape
    cap = check_capacity(capacity, resources)
    if cap.shape[1] != nb:
        raise PlanningInputError("capacity", f"has {cap.shape[1]} buckets, production has {nb}")
    res = np.asarray(resource, dtype=np.int64).ravel()
    h = np.broadcast_to(np.asarray(hours_per_unit, dtype=float), (n,))
    bad = ~np.isfinite(h) | (h <= 0)
    if bad.any():
        raise PlanningInputError("hours_per_unit", "must be > 0", label(items, int(np.flatnonzero(bad)[0])))
    bad = (res < 0) | (res >= cap.shape[0])
    if res.shape != (n,) or bad.any():
        raise PlanningInputError(
            "resource",
            f"each item needs one of the {cap.shape[0]} resources",
            label(items, int(np.flatnonzero(bad)[0])) if bad.any() else None,
        )
    bad = ~np.isfinite(q) | (q < 0)
    if bad.any():
        raise PlanningInputError(
            "production", "must be >= 0", label(items, int(np.flatnonzero(bad)[0] // nb))
        )
    reasons = dict(bucket_reason or {})
    nr = cap.shape[0]
    original_load = np.zeros((nr, nb))
    np.add.at(original_load, res, q * h[:, None])

    out = np.zeros_like(q)
    carried = np.zeros((n, nb))  # carried[i, o]: quantity of item i due in bucket o still to be placed
    rows: list[tuple] = []
    for t in range(nb - 1, -1, -1):
        own = q[:, t]
        own_load = np.bincount(res, weights=own * h, minlength=nr)
        carry_load = np.bincount(res, weights=carried.sum(axis=1) * h, minlength=nr)
        if (
            t > 0
        ):  # a bucket keeps its own production first; earlier-built units of later buckets fill the room
            keep_own = np.minimum(1.0, cap[:, t] / np.where(own_load > _EPS, own_load, 1.0))
            room = np.maximum(cap[:, t] - own_load, 0.0)
            keep_carry = np.minimum(1.0, room / np.where(carry_load > _EPS, carry_load, 1.0))
        else:  # nothing earlier: what is left stays in bucket 0 and is reported as unresolved
            keep_own = keep_carry = np.ones(nr)
        pool = carried * keep_carry[res][:, None]
        pool[:, t] += own * keep_own[res]
        moved = carried - carried * keep_carry[res][:, None]
        moved[:, t] += own - own * keep_own[res]
        out[:, t] = pool.sum(axis=1)
        i_idx, o_idx = np.nonzero(pool[:, t + 1 :] > _EPS)
        for i, o in zip(i_idx.tolist(), (o_idx + t + 1).tolist(), strict=True):
            rows.append((i, o, t, float(pool[i, o])))
        carried = moved
    final = np.zeros((nr, nb))
    np.add.at(final, res, out * h[:, None])
    over = final - cap
    ur, ut = np.nonzero(over > 1e-6)
    unresolved = pl.DataFrame(
        {
            "resource": [label(resources, int(r)) for r in ur],
            "bucket": ut.astype(np.int64),
            "overload": over[ur, ut],
        },
        strict=False,
    )

    def reason(i: int, o: int, t: int) -> str:
        r = int(res[i])
        why = f" ({reasons[o]})" if o in reasons else ""
        return (
            f"pre-built in bucket {t} for bucket {o}{why}: resource {label(resources, r)} load "
            f"{original_load[r, o]:g} h > capacity {cap[r, o]:g} h in bucket {o}"
        )

    moves = pl.DataFrame(
        {
            "item": [label(items, i) for i, _, _, _ in rows],
            "resource": [label(resources, int(res[i])) for i, _, _, _ in rows],
            "build_bucket": pl.Series([t for _, _, t, _ in rows], dtype=pl.Int64),
            "for_bucket": pl.Series([o for _, o, _, _ in rows], dtype=pl.Int64),
            "quantity": pl.Series([x for _, _, _, x in rows], dtype=pl.Float64),
            "hours": pl.Series([x * float(h[i]) for i, _, _, x in rows], dtype=pl.Float64),
            "reason": pl.Series([reason(i, o, t) for i, o, t, _ in rows], dtype=pl.Utf8),
        },
        strict=False,
    )
    return Prebuild(
        out, final, moves.sort("item", "for_bucket", "build_bucket") if moves.height else moves, unresolved
    )
