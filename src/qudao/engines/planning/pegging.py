"""Pegging: which demands each supply (stock on hand, scheduled receipt, planned order) serves.

First-in first-out pegging by bucket: for each item, supplies in order of availability are matched to
demands in order of need, quantity by quantity (Orlicky's MRP, 3rd ed., Ch. 5 "pegging"; Vollmann et al.,
*Manufacturing Planning and Control for Supply Chain Management*, 5th ed., Ch. 6, "pegged requirements").
It is computed for all items at once as the intersection of cumulative-quantity intervals: supply k of an
item covers [S_{k-1}, S_k) of its cumulative supply, demand j covers [D_{j-1}, D_j); they share the length of
the overlap. Supply left over (safety stock, lot-size remnants) gets no demand; demand left over gets no
supply (a shortage).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from .errors import PlanningInputError
from .netting import MRPRecord
from .network import NetworkPlan

PEG_COLUMNS = ("item", "supply_id", "supply_bucket", "demand_id", "demand_bucket", "quantity")


def _prepare(frame: pl.DataFrame, kind: str, id_col: str) -> pl.DataFrame:
    need = {"item", "bucket", id_col, "quantity"}
    missing = need - set(frame.columns)
    if missing:
        raise PlanningInputError(kind, f"needs columns {sorted(need)}; missing {sorted(missing)}")
    f = frame.select(
        "item", "bucket", pl.col(id_col).cast(pl.Utf8).alias("id"), pl.col("quantity").cast(pl.Float64)
    ).with_row_index("_seq")
    bad = f.filter(~pl.col("quantity").is_finite() | (pl.col("quantity") < 0))
    if bad.height:
        raise PlanningInputError("quantity", f"{kind} quantities must be finite and >= 0", bad["item"][0])
    return f.filter(pl.col("quantity") > 0).sort("item", "bucket", "_seq")


def peg(supplies: pl.DataFrame, demands: pl.DataFrame, tol: float = 1e-9) -> pl.DataFrame:
    """Peg ``supplies`` (item, bucket, supply_id, quantity) to ``demands``
    (item, bucket, demand_id, quantity).

    Stock on hand is a supply in a bucket before the first (e.g. -1). Returns PEG_COLUMNS rows; a null
    demand_id is unpegged supply, a null supply_id is uncovered demand.
    """
    s = _prepare(supplies, "supplies", "supply_id")
    d = _prepare(demands, "demands", "demand_id")
    keys = pl.concat([s.select("item"), d.select("item")]).unique().sort("item").with_row_index("_k")
    s = s.join(keys, on="item").sort("_k", "bucket", "_seq")
    d = d.join(keys, on="item").sort("_k", "bucket", "_seq")
    nk = keys.height
    sk, dk = s["_k"].to_numpy().astype(np.int64), d["_k"].to_numpy().astype(np.int64)
    sq, dq = s["quantity"].to_numpy(), d["quantity"].to_numpy()
    ts = np.bincount(sk, weights=sq, minlength=nk)
    td = np.bincount(dk, weights=dq, minlength=nk)
    span = np.maximum(ts, td)
    base = np.concatenate([[0.0], np.cumsum(span)[:-1]])
    # cumulative ends in one global axis: each item owns [base, base + span)
    s_end = base[sk] + _cum_within(sk, sq)
    d_end = base[dk] + _cum_within(dk, dq)
    item_end = base + span
    # fillers: unpegged supply / uncovered demand up to the item's span
    s_all = np.concatenate([s_end, item_end])
    d_all = np.concatenate([d_end, item_end])
    s_ord, d_ord = np.argsort(s_all, kind="stable"), np.argsort(d_all, kind="stable")
    cuts = np.unique(np.concatenate([[0.0], s_all, d_all]))
    lo, hi = cuts[:-1], cuts[1:]
    length = hi - lo
    keep = length > tol * np.maximum(1.0, np.abs(hi))
    lo, hi, length = lo[keep], hi[keep], length[keep]
    mid = (lo + hi) / 2.0
    si = s_ord[np.searchsorted(s_all[s_ord], mid, side="right")]
    di = d_ord[np.searchsorted(d_all[d_ord], mid, side="right")]
    ns, nd = s_end.size, d_end.size
    k = np.searchsorted(item_end, mid, side="right")
    item = keys["item"].to_list()
    s_id, s_b = s["id"].to_list(), s["bucket"].to_list()
    d_id, d_b = d["id"].to_list(), d["bucket"].to_list()
    out = pl.DataFrame(
        {
            "item": [item[i] for i in k],
            "supply_id": [s_id[i] if i < ns else None for i in si],
            "supply_bucket": [s_b[i] if i < ns else None for i in si],
            "demand_id": [d_id[i] if i < nd else None for i in di],
            "demand_bucket": [d_b[i] if i < nd else None for i in di],
            "quantity": length,
        },
        strict=False,
    )
    return out.group_by(
        ["item", "supply_id", "supply_bucket", "demand_id", "demand_bucket"], maintain_order=True
    ).agg(pl.col("quantity").sum())


def _cum_within(key: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``q`` restarting at each new ``key`` (rows sorted by key)."""
    c = np.cumsum(q)
    if not q.size:
        return c
    start = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    before = np.concatenate([[0.0], c])[start]
    counts = np.diff(np.concatenate([start, [q.size]]))
    return c - np.repeat(before, counts)


def peg_network(plan: NetworkPlan, on_hand, demands: pl.DataFrame, items=None) -> pl.DataFrame:
    """Pegging across the network: independent ``demands`` (item, bucket, demand_id, quantity) are served by
    stock, scheduled receipts and planned orders of their SKU-location; a transfer order's release is itself a
    demand (``order:<id>``) on its source, so chains can be followed upstream order by order."""
    n = plan.record.gross_requirements.shape[0]
    names = list(items) if items is not None else list(range(n))
    oh = np.broadcast_to(np.asarray(on_hand, dtype=float), (n,))
    sr = plan.record.scheduled_receipts
    r, t = np.nonzero(sr)
    o = plan.orders
    supplies = pl.concat(
        [
            pl.DataFrame(
                {"item": names, "bucket": [-1] * n, "supply_id": ["on hand"] * n, "quantity": oh},
                strict=False,
            ),
            pl.DataFrame(
                {
                    "item": [names[i] for i in r],
                    "bucket": t.astype(np.int64),
                    "supply_id": [f"scheduled:{b}" for b in t],
                    "quantity": sr[r, t],
                },
                strict=False,
            ),
            pl.DataFrame(
                {
                    "item": o["item"].to_list(),
                    "bucket": o["receipt_bucket"],
                    "supply_id": [f"order:{i}" for i in o["order_id"]],
                    "quantity": o["quantity"],
                },
                strict=False,
            ),
        ],
        how="vertical_relaxed",
    )
    tr = o.filter(pl.col("kind") == "transfer")
    dependent = pl.DataFrame(
        {
            "item": tr["source"].to_list(),
            "bucket": tr["release_bucket"],
            "demand_id": [f"order:{i}" for i in tr["order_id"]],
            "quantity": tr["quantity"],
        },
        strict=False,
    )
    return peg(
        supplies,
        pl.concat(
            [
                demands.select(
                    "item", "bucket", pl.col("demand_id").cast(pl.Utf8), pl.col("quantity").cast(pl.Float64)
                ),
                dependent,
            ],
            how="vertical_relaxed",
        ),
    )


def peg_items(record: MRPRecord, on_hand, demands: pl.DataFrame, items=None) -> pl.DataFrame:
    """Single-level pegging of an MRP record: stock, scheduled receipts (``scheduled:<bucket>``) and planned
    orders (``planned:<item>:<receipt bucket>``) pegged to ``demands`` (item, bucket, demand_id, quantity)."""
    n = record.planned_receipts.shape[0]
    names = list(items) if items is not None else list(range(n))
    oh = np.broadcast_to(np.asarray(on_hand, dtype=float), (n,))
    parts = [
        pl.DataFrame(
            {"item": names, "bucket": [-1] * n, "supply_id": ["on hand"] * n, "quantity": oh}, strict=False
        )
    ]
    for prefix, m in (("scheduled", record.scheduled_receipts), ("planned", record.planned_receipts)):
        r, t = np.nonzero(m)
        parts.append(
            pl.DataFrame(
                {
                    "item": [names[i] for i in r],
                    "bucket": t.astype(np.int64),
                    "supply_id": [f"{prefix}:{names[i]}:{b}" for i, b in zip(r, t, strict=True)],
                    "quantity": m[r, t],
                },
                strict=False,
            )
        )
    return peg(pl.concat(parts, how="vertical_relaxed"), demands)
