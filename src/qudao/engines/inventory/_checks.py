"""Input validation and array plumbing shared by the inventory policy functions."""

from __future__ import annotations

import numpy as np


class PolicyInputError(ValueError):
    """Bad input to an inventory policy function; names the argument and, for arrays, the item index.

    The service layer translates it into a domain ``Invalid`` error (``field``, ``index``, ``value``).
    """

    def __init__(self, field: str, reason: str, index: tuple[int, ...] | int | None = None, value=None):
        self.field = field
        self.reason = reason
        self.index = index
        self.value = value
        if index is None:
            where = field
        else:
            idx = index if isinstance(index, tuple) else (index,)
            where = f"{field}[{', '.join(str(i) for i in idx)}]"
        shown = "" if value is None else f"={value!r}"
        super().__init__(f"{where}{shown} {reason}")


def as_float(name: str, value) -> np.ndarray:
    """Convert to a float array (0-d for scalars), rejecting non-numeric input with a named error."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise PolicyInputError(name, "must be a number or an array of numbers") from exc
    return arr


def _first_bad(name: str, arr: np.ndarray, bad: np.ndarray, reason: str) -> None:
    if not bad.any():
        return
    flat = int(np.flatnonzero(bad)[0])
    if arr.ndim == 0:
        raise PolicyInputError(name, reason, None, float(arr))
    pos = np.unravel_index(flat, arr.shape)
    index = int(pos[0]) if arr.ndim == 1 else tuple(int(p) for p in pos)
    raise PolicyInputError(name, reason, index, float(arr[pos]))


def check_finite(name: str, value) -> np.ndarray:
    arr = as_float(name, value)
    _first_bad(name, arr, ~np.isfinite(arr), "must be a finite number")
    return arr


def nonnegative(name: str, value) -> np.ndarray:
    arr = check_finite(name, value)
    _first_bad(name, arr, arr < 0, "must be >= 0")
    return arr


def positive(name: str, value) -> np.ndarray:
    arr = check_finite(name, value)
    _first_bad(name, arr, arr <= 0, "must be > 0")
    return arr


def open_unit(name: str, value) -> np.ndarray:
    """A probability strictly inside (0, 1): service levels, fill rates, critical ratios."""
    arr = as_float(name, value)
    _first_bad(name, arr, ~((arr > 0) & (arr < 1)), "must be in (0, 1)")
    return arr


def broadcast(**arrays: np.ndarray) -> list[np.ndarray]:
    """Broadcast the named arrays together; a shape mismatch names the arguments involved."""
    try:
        return list(np.broadcast_arrays(*arrays.values()))
    except ValueError as exc:
        shapes = ", ".join(f"{k}{np.shape(v)}" for k, v in arrays.items())
        raise PolicyInputError(", ".join(arrays), f"shapes do not broadcast: {shapes}") from exc


def out(x: np.ndarray):
    """Return a Python float for 0-d results, the array otherwise."""
    x = np.asarray(x)
    return float(x) if x.ndim == 0 else x
