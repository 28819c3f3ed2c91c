"""Input checks shared by the planning modules; every failure names the item."""

from __future__ import annotations

import numpy as np

from .errors import PlanningInputError, label


def first_bad(field: str, bad: np.ndarray, items, reason: str, axis_items: int = 0) -> None:
    """Raise for the first True in ``bad`` (rows are items), naming the item."""
    if not bad.any():
        return
    pos = np.unravel_index(int(np.flatnonzero(bad)[0]), bad.shape)
    item = label(items, int(pos[axis_items])) if bad.ndim else None
    extra = f" (bucket {int(pos[1])})" if bad.ndim == 2 else ""
    raise PlanningInputError(field, reason + extra, item)


def as_items(
    field: str,
    value,
    n: int,
    items=None,
    minimum: float | None = None,
    buckets: int | None = None,
    allow_nan: bool = False,
) -> np.ndarray:
    """A float array of shape (n,) or, with ``buckets``, (n, buckets) (a (n,) value is held constant)."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise PlanningInputError(field, "must be numbers") from exc
    shape = (n,) if buckets is None else (n, buckets)
    if buckets is not None and arr.ndim == 1 and arr.shape[0] == n:
        arr = arr[:, None]
    try:
        arr = np.broadcast_to(arr, shape)
    except ValueError as exc:
        raise PlanningInputError(field, f"has shape {arr.shape}, expected {shape}") from exc
    if not allow_nan:
        first_bad(field, np.isnan(arr), items, "is missing")
    first_bad(field, np.isinf(arr), items, "must be finite")
    if minimum is not None:
        first_bad(field, arr < minimum, items, f"must be >= {minimum:g}")
    return arr
