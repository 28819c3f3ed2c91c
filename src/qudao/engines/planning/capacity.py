"""Capacity: rough-cut load per resource and bucket with an overload report, and finite-capacity
sequencing of work orders on a resource with changeovers and a rush-order insertion rule.

Rough-cut capacity planning by bills of resources (hours per unit and setup hours per order), Vollmann,
Berry, Whybark & Jacobs, *Manufacturing Planning and Control for Supply Chain Management*, 5th ed., Ch. 10
"Capacity planning and management" (CPOF / bill of capacity / resource profile). The sequencing is a
dispatching heuristic (Pinedo, *Scheduling: Theory, Algorithms, and Systems*, 5th ed., Ch. 14, priority
rules; earliest due date with family grouping to save sequence-dependent setups, §14.2 "composite rules").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy import sparse

from .errors import PlanningInputError, label

_EPS = 1e-9


def check_capacity(capacity, resources=None) -> np.ndarray:
    """Available hours (resources, buckets); zero, negative or missing capacity names the resource."""
    cap = np.asarray(capacity, dtype=float)
    cap = cap[None, :] if cap.ndim == 1 else cap
    if cap.ndim != 2:
        raise PlanningInputError("capacity", "must be a matrix of shape (resources, buckets)")
    bad = ~np.isfinite(cap) | (cap <= 0)
    if bad.any():
        r, t = np.unravel_index(int(np.flatnonzero(bad)[0]), cap.shape)
        raise PlanningInputError(
            "capacity",
            f"must be > 0 hours, got {float(cap[r, t]):g} in bucket {int(t)}",
            label(resources, int(r)),
        )
    return cap


def rough_cut_load(
    production, item, resource, hours_per_unit, n_resources: int, setup_hours=0.0, items=None
) -> np.ndarray:
    """Load in hours (resources, buckets) of planned production (items, buckets) over the routing lines
    (item, resource, hours per unit, setup hours per order):
    sum of hours x quantity + setup x (quantity > 0)."""
    q = np.asarray(production, dtype=float)
    it = np.asarray(item, dtype=np.int64).ravel()
    rs = np.asarray(resource, dtype=np.int64).ravel()
    h = np.broadcast_to(np.asarray(hours_per_unit, dtype=float), it.shape)
    s = np.broadcast_to(np.asarray(setup_hours, dtype=float), it.shape)
    for name, arr in (("hours_per_unit", h), ("setup_hours", s)):
        bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            raise PlanningInputError(name, "must be a finite number >= 0", label(items, int(it[bad][0])))
    if ((rs < 0) | (rs >= n_resources)).any():
        raise PlanningInputError("resource", f"must index one of the {n_resources} resources")
    n = q.shape[0]
    run = sparse.csr_matrix((h, (rs, it)), shape=(n_resources, n))
    setup = sparse.csr_matrix((s, (rs, it)), shape=(n_resources, n))
    return np.asarray(run @ q + setup @ (q > _EPS).astype(float))


def overload_report(load, capacity, resources=None) -> pl.DataFrame:
    """Rows for every resource and bucket whose load exceeds capacity: load, capacity, overload hours and
    utilisation (load / capacity)."""
    cap = check_capacity(capacity, resources)
    ld = np.asarray(load, dtype=float)
    r, t = np.nonzero(ld > cap + _EPS)
    names = [label(resources, int(i)) for i in r]
    return pl.DataFrame(
        {
            "resource": names,
            "bucket": t.astype(np.int64),
            "load": ld[r, t],
            "capacity": cap[r, t],
            "overload": ld[r, t] - cap[r, t],
            "utilisation": ld[r, t] / cap[r, t],
        },
        strict=False,
    )


@dataclass(frozen=True)
class WorkOrder:
    """A work order on one resource: processing hours, due at the end of bucket ``due``, startable from the
    start of bucket ``release``; ``family`` drives changeovers; ``rush`` orders jump the queue."""

    order_id: str
    hours: float
    due: int
    family: str = ""
    release: int = 0
    rush: bool = False


@dataclass(frozen=True)
class Changeovers:
    """Changeover hours from family a to family b: ``table[(a, b)]`` if given, else ``default`` when the
    family changes, 0 when it does not."""

    default: float = 0.0
    table: dict = field(default_factory=dict)

    def hours(self, a: str | None, b: str) -> float:
        if a is None or a == b:
            return float(self.table.get((a, b), 0.0)) if a is not None else 0.0
        return float(self.table.get((a, b), self.default))


SCHEDULE_COLUMNS = (
    "sequence",
    "order_id",
    "family",
    "rush",
    "changeover_hours",
    "start",
    "end",
    "start_bucket",
    "end_bucket",
    "due_bucket",
    "lateness",
    "late",
    "beyond_horizon",
)


def sequence(
    orders: list[WorkOrder],
    capacity,
    changeovers: Changeovers | None = None,
    *,
    start: float = 0.0,
    start_family: str | None = None,
    batch_window: int = 0,
    resource: str | None = None,
) -> pl.DataFrame:
    """Finite-capacity sequence of ``orders`` on one resource whose hours per bucket are ``capacity``.

    Time runs in working hours: bucket t offers capacity[t] hours, so no bucket is ever loaded beyond its
    capacity (processing and changeover both consume it). At each decision the rule picks, among released
    orders: rush orders first (earliest due first), else the earliest due date; an order of the current
    family is preferred to avoid a changeover if its due bucket is within ``batch_window`` buckets of the
    earliest. ``start`` is the working hour at which the resource becomes free (after frozen orders).
    Times in the result are working hours since the start of bucket 0; lateness = end - due (hours).
    """
    cap = check_capacity(capacity, None if resource is None else [resource])[0]
    changeovers = changeovers or Changeovers()
    edge = np.concatenate([[0.0], np.cumsum(cap)])  # working hour at the start of each bucket
    seen = set()
    for o in orders:
        if o.order_id in seen:
            raise PlanningInputError("order_id", "appears twice", o.order_id)
        seen.add(o.order_id)
        if not (np.isfinite(o.hours) and o.hours > 0):
            raise PlanningInputError("hours", f"must be > 0, got {o.hours!r}", o.order_id)
        if o.release < 0 or o.due < 0:
            raise PlanningInputError("due", "buckets must be >= 0", o.order_id)

    def hour_of(bucket: int) -> float:
        return float(edge[min(bucket, len(cap))])

    def bucket_of(hour: float, end: bool = False) -> int:
        b = int(np.searchsorted(edge, hour - (_EPS if end else -_EPS), side="right")) - 1
        return b if hour <= edge[-1] + _EPS else len(cap)

    waiting = list(orders)
    now, family = float(start), start_family
    rows = []
    while waiting:
        ready = [o for o in waiting if hour_of(o.release) <= now + _EPS]
        if not ready:
            now = min(hour_of(o.release) for o in waiting)
            continue
        rush = [o for o in ready if o.rush]
        pool = rush or ready
        first = min(pool, key=lambda o: (o.due, o.order_id))
        same = [o for o in pool if o.family == family and o.due <= first.due + batch_window]
        pick = min(same, key=lambda o: (o.due, o.order_id)) if same else first
        co = changeovers.hours(family, pick.family)
        begin = now + co
        end = begin + pick.hours
        due_hour = hour_of(pick.due + 1)
        rows.append(
            {
                "sequence": len(rows) + 1,
                "order_id": pick.order_id,
                "family": pick.family,
                "rush": pick.rush,
                "changeover_hours": co,
                "start": begin,
                "end": end,
                "start_bucket": bucket_of(begin),
                "end_bucket": bucket_of(end, end=True),
                "due_bucket": pick.due,
                "lateness": end - due_hour,
                "late": end > due_hour + _EPS,
                "beyond_horizon": end > edge[-1] + _EPS,
            }
        )
        waiting.remove(pick)
        now, family = end, pick.family
    return pl.DataFrame(rows, schema=_SCHEMA) if rows else pl.DataFrame(schema=_SCHEMA)


_SCHEMA = {
    "sequence": pl.Int64,
    "order_id": pl.Utf8,
    "family": pl.Utf8,
    "rush": pl.Boolean,
    "changeover_hours": pl.Float64,
    "start": pl.Float64,
    "end": pl.Float64,
    "start_bucket": pl.Int64,
    "end_bucket": pl.Int64,
    "due_bucket": pl.Int64,
    "lateness": pl.Float64,
    "late": pl.Boolean,
    "beyond_horizon": pl.Boolean,
}


def insert_rush_order(
    schedule: pl.DataFrame,
    orders: list[WorkOrder],
    rush: WorkOrder,
    now: float,
    capacity,
    changeovers: Changeovers | None = None,
    batch_window: int = 0,
) -> pl.DataFrame:
    """Insert a rush order into an existing sequence at working hour ``now``.

    Rule: orders already started by ``now`` are frozen (the running one is finished, never pre-empted); the
    rush order goes next, after its changeover; every order not yet started is re-sequenced after it by the
    same rule. The result has a ``moved_by`` column: how many hours later each order now ends (> 0 for the
    orders the rush pushed back).
    """
    by_id = {o.order_id: o for o in orders}
    frozen = schedule.filter(pl.col("start") < now - _EPS).sort("sequence")
    rest = [by_id[i] for i in schedule.filter(pl.col("start") >= now - _EPS)["order_id"].to_list()]
    free = max(now, float(frozen["end"].max())) if frozen.height else now
    family = frozen["family"][-1] if frozen.height else None
    tail = sequence(
        [*rest, WorkOrder(rush.order_id, rush.hours, rush.due, rush.family, 0, True)],
        capacity,
        changeovers,
        start=free,
        start_family=family,
        batch_window=batch_window,
    )
    tail = tail.with_columns(pl.col("sequence") + frozen.height)
    out = pl.concat([frozen, tail])
    before = schedule.select("order_id", pl.col("end").alias("_was"))
    return (
        out.join(before, on="order_id", how="left")
        .with_columns((pl.col("end") - pl.col("_was")).fill_null(0.0).alias("moved_by"))
        .drop("_was")
    )


def bucket_usage(schedule: pl.DataFrame, capacity) -> np.ndarray:
    """Hours used per bucket (processing + changeover) by a sequence: for checking it against capacity."""
    cap = check_capacity(capacity)[0]
    edge = np.concatenate([[0.0], np.cumsum(cap)])
    used = np.zeros(len(cap))
    for begin, end, co in schedule.select("start", "end", "changeover_hours").iter_rows():
        lo, hi = begin - co, min(end, edge[-1])
        if hi <= lo:
            continue
        used += np.clip(np.minimum(edge[1:], hi) - np.maximum(edge[:-1], lo), 0.0, None)
    return used
