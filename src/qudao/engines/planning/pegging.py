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
    return f.filter(pl.col("quantity") > 0)


def peg(supplies: pl.DataFrame, demands: pl.DataFrame, tol: float = 1e-9) -> pl.DataFrame:
    """Peg ``supplies`` (item, bucket, supply_id, quantity) to ``demands``
    (item, bucket, demand_id, quantity).

    Stock on hand is a supply in a bucket before the first (e.g. -1). Returns PEG_COLUMNS rows; a null
    demand_id is unpegged supply, a null supply_id is uncovered demand.
    """
    s = _prepare(supplies, "supplies", "supply_id")
    d = _prepare(demands, "demands", "demand_id")
    keys = pl.concat([s["item"], d["item"]]).unique().sort()
    nk = keys.len()

    def in_order(f: pl.DataFrame) -> tuple[pl.DataFrame, np.ndarray]:
        code = keys.search_sorted(f["item"]).to_numpy().astype(np.int64)
        order = np.lexsort((f["_seq"].to_numpy(), f["bucket"].to_numpy(), code))
        return f[order], code[order]

    s, sk = in_order(s)
    d, dk = in_order(d)
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
    cuts = np.concatenate([[0.0], s_all[s_ord], d_all[d_ord]])
    cuts.sort(kind="stable")  # two sorted runs: a linear merge
    lo, hi = cuts[:-1], cuts[1:]
    length = hi - lo
    keep = length > tol + 64 * np.finfo(float).eps * np.abs(hi)  # drop rounding slivers of the global axis
    lo, hi, length = lo[keep], hi[keep], length[keep]
    mid = (lo + hi) / 2.0
    si = s_ord[np.searchsorted(s_all[s_ord], mid, side="right")]
    di = d_ord[np.searchsorted(d_all[d_ord], mid, side="right")]
    ns, nd = s_end.size, d_end.size
    k = np.searchsorted(item_end, mid, side="right")

    def with_null(col: pl.Series) -> pl.Series:  # the last position is the filler (no supply / no demand)
        return pl.concat([col, pl.Series([None], dtype=col.dtype)])

    si = np.minimum(si, ns)
    di = np.minimum(di, nd)
    out = pl.DataFrame(
        [
            keys.gather(k).alias("item"),
            with_null(s["id"]).gather(si).alias("supply_id"),
            with_null(s["bucket"]).gather(si).alias("supply_bucket"),
            with_null(d["id"]).gather(di).alias("demand_id"),
            with_null(d["bucket"]).gather(di).alias("demand_bucket"),
            pl.Series("quantity", length),
        ]
    )
    return out  # each (supply, demand) pair is one segment: a cut always ends one of them


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
    names = pl.Series("item", list(items) if items is not None else np.arange(n))
    oh = np.broadcast_to(np.asarray(on_hand, dtype=float), (n,))
    sr = plan.record.scheduled_receipts
    r, t = np.nonzero(sr)
    o = plan.orders
    order_id = pl.format("order:{}", pl.col("order_id"))
    supplies = pl.concat(
        [
            pl.DataFrame([names, pl.Series("bucket", np.full(n, -1)), pl.Series("quantity", oh)]).select(
                "item", "bucket", pl.lit("on hand").alias("supply_id"), "quantity"
            ),
            pl.DataFrame(
                [names.gather(r), pl.Series("bucket", t.astype(np.int64)), pl.Series("quantity", sr[r, t])]
            ).select("item", "bucket", pl.format("scheduled:{}", "bucket").alias("supply_id"), "quantity"),
            o.select(
                "item", pl.col("receipt_bucket").alias("bucket"), order_id.alias("supply_id"), "quantity"
            ),
        ],
        how="vertical_relaxed",
    )
    dependent = o.filter(pl.col("kind") == "transfer").select(
        pl.col("source").alias("item"),
        pl.col("release_bucket").alias("bucket"),
        order_id.alias("demand_id"),
        "quantity",
    )
    independent = demands.select(
        "item", "bucket", pl.col("demand_id").cast(pl.Utf8), pl.col("quantity").cast(pl.Float64)
    )
    return peg(supplies, pl.concat([independent, dependent], how="vertical_relaxed"))


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
