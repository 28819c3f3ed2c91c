"""Vendor-managed inventory: replenishment proposals for partner locations within the agreed min/max.

A periodic-review (s, S) rule on the projected stock at the arrival of a delivery: when a delivery shipped in
bucket t (arriving in t + L) would find less than the agreed minimum s, ship enough to bring it to the
agreed maximum S (Silver, Pyke & Thomas, *Inventory and Production Management in Supply Chains*, 4th ed.,
Ch. 7, the (R, s, S) system; VMI min/max agreements, Chopra & Meindl, *Supply Chain Management*, 6th ed.,
Ch. 10). The partner's sell-through forecast and deliveries already in transit drive the projection.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ._checks import as_items, first_bad
from .errors import PlanningInputError
from .netting import check_lead_times

_EPS = 1e-9


def vmi_replenishment(
    on_hand, sell_through, minimum, maximum, lead_time, in_transit=0.0, pack_size=0.0, locations=None
) -> pl.DataFrame:
    """Proposed deliveries for n VMI locations over the buckets of ``sell_through`` (n, buckets).

    ``in_transit`` (n, buckets) are deliveries already on the way, by arrival bucket. The quantity is rounded
    down to the pack size so the agreed maximum is never exceeded (at least one pack when below the minimum).
    Returns one row per delivery: location, ship_bucket, arrival_bucket, quantity, projected (stock at
    arrival before it), reason.
    """
    st = np.asarray(sell_through, dtype=float)
    if st.ndim != 2:
        raise PlanningInputError("sell_through", "must be a matrix of shape (locations, buckets)")
    n, nb = st.shape
    st = as_items("sell_through", st, n, locations, minimum=0.0, buckets=nb)
    oh = as_items("on_hand", on_hand, n, locations, minimum=0.0)
    lo = as_items("minimum", minimum, n, locations, minimum=0.0)
    hi = as_items("maximum", maximum, n, locations, minimum=0.0)
    first_bad("maximum", hi < lo, locations, "must be >= the agreed minimum")
    first_bad("maximum", hi <= 0, locations, "must be > 0")
    lt = check_lead_times(lead_time, n, locations)
    arrivals = np.array(as_items("in_transit", in_transit, n, locations, minimum=0.0, buckets=nb))
    pack = as_items("pack_size", pack_size, n, locations, minimum=0.0)
    rows = np.arange(n)
    # stock at the start of bucket u before arrivals: oh + sum_{j<u} (arrivals_j - sell_j)
    cum_sell = np.concatenate([np.zeros((n, 1)), np.cumsum(st, axis=1)], axis=1)
    out = []
    for t in range(nb):
        u = t + lt  # arrival bucket of a delivery shipped now
        ok = u < nb
        cum_arr = np.concatenate([np.zeros((n, 1)), np.cumsum(arrivals, axis=1)], axis=1)
        uu = np.minimum(u, nb - 1)
        projected = (
            oh + cum_arr[rows, uu + 1] - cum_sell[rows, uu]
        )  # at arrival, incl. that bucket's arrivals
        order = ok & (projected < lo - _EPS)
        if not order.any():
            continue
        q = hi - projected
        has = pack > 0
        safe = np.where(has, pack, 1.0)
        rounded = np.where(has, np.maximum(np.floor(q / safe + _EPS), 1.0) * safe, q)
        idx = np.flatnonzero(order)
        arrivals[idx, u[idx]] += rounded[idx]
        out.append((idx, np.full(idx.size, t), u[idx], rounded[idx], projected[idx], lo[idx], hi[idx]))
    if not out:
        return pl.DataFrame(
            schema={
                "location": pl.Int64 if locations is None else pl.Utf8,
                "ship_bucket": pl.Int64,
                "arrival_bucket": pl.Int64,
                "quantity": pl.Float64,
                "projected": pl.Float64,
                "reason": pl.Utf8,
            }
        )
    idx, ship, arr, qty, proj, mn, mx = (np.concatenate(c) for c in zip(*out, strict=True))
    order = np.lexsort((ship, idx))
    names = [locations[i] if locations is not None else int(i) for i in idx[order]]
    return pl.DataFrame(
        {
            "location": names,
            "ship_bucket": ship[order].astype(np.int64),
            "arrival_bucket": arr[order].astype(np.int64),
            "quantity": qty[order],
            "projected": proj[order],
            "reason": [
                f"projected stock {p:g} at arrival in bucket {a} is below the agreed minimum {m:g}; "
                f"replenish up to the maximum {x:g}"
                for p, a, m, x in zip(proj[order], arr[order], mn[order], mx[order], strict=True)
            ],
        },
        strict=False,
    )
