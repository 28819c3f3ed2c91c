"""Multi-echelon planning of a distribution network (plants -> distribution centres -> distributors and
VMI stores) by sourcing rules with split percentages.

Distribution requirements planning (DRP): each SKU-location is netted as in MRP, and the planned order
releases of a location become gross requirements of the location it is sourced from, in the release
bucket (Vollmann, Berry, Whybark & Jacobs, *Manufacturing Planning and Control for Supply Chain
Management*, 5th ed., Ch. 9 "Distribution requirements planning"; Martin, *DRP*, 1995). Locations are
processed level by level in topological order of the sourcing graph, so every location is netted once,
after all of its customers; each level is one vectorised netting call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse

from ._checks import as_items, first_bad
from .errors import PlanningInputError, label
from .graph import topological_levels
from .lot_sizing import LotSizing, lot_sizing
from .netting import MRPRecord, gross_requirements, net_requirements, offset
from .options import PlanOptions

TRANSFER = "transfer"  # from another SKU-location of the network
BUY = "buy"  # purchase from an external supplier
MAKE = "make"  # produce at this location (exploded by the BOM, loaded on resources)
KINDS = (TRANSFER, BUY, MAKE)
_SHARE_TOL = 1e-6


@dataclass(frozen=True)
class Sourcing:
    """Validated sourcing rules, one row per (SKU-location, source), arrays of shape (rules,)."""

    node: np.ndarray  # receiving SKU-location index
    source: np.ndarray  # upstream SKU-location index for transfers, -1 for buy/make
    kind: np.ndarray  # index into KINDS
    share: np.ndarray  # split fraction of the location's planned receipts; sums to 1 per location
    lead_time: np.ndarray  # whole buckets
    supplier: np.ndarray  # supplier label for buy rules (object array; None otherwise)


def sourcing_rules(n: int, node, source, share, lead_time, kind=None, supplier=None, items=None) -> Sourcing:
    """Validate sourcing rules for ``n`` SKU-locations (indexes into ``items``).

    ``source`` is the upstream SKU-location index for a transfer and -1 (or None) for buy and make rules;
    ``kind`` defaults to transfer where a source is given and buy otherwise. Every location needs rules
    whose shares add up to 1 (e.g. 0.6 and 0.4), and every rule a lead time.
    """
    nd = np.asarray(node, dtype=np.int64).ravel()
    e = nd.size
    src = np.asarray(
        [-1 if s is None else s for s in np.broadcast_to(np.asarray(source, dtype=object), (e,))],
        dtype=np.int64,
    )
    first_bad("node", (nd < 0) | (nd >= n), None, f"must index one of the {n} SKU-locations")
    first_bad("source", (src < -1) | (src >= n), None, f"must index one of the {n} SKU-locations or be -1")
    if kind is None:
        kd = np.where(src >= 0, 0, 1).astype(np.int8)
    else:
        names = np.broadcast_to(np.asarray(kind, dtype=object), (e,))
        kd = np.full(e, -1, dtype=np.int8)
        for i, k in enumerate(KINDS):
            kd[names == k] = i
        bad = kd < 0
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise PlanningInputError(
                "kind", f"unknown {names[j]!r}; use one of {', '.join(KINDS)}", label(items, int(nd[j]))
            )
    where = lambda bad, field, reason: (  # noqa: E731
        bad.any() and _raise(field, reason, label(items, int(nd[np.flatnonzero(bad)[0]])))
    )
    where((kd == 0) & (src < 0), "source", "a transfer rule needs an upstream SKU-location")
    where((kd != 0) & (src >= 0), "source", "a buy or make rule takes no upstream SKU-location")
    sh = np.broadcast_to(np.asarray(share, dtype=float), (e,))
    where(~np.isfinite(sh) | (sh <= 0) | (sh > 1), "share", "split share must be in (0, 1]")
    lt = np.broadcast_to(
        np.asarray([np.nan if v is None else v for v in np.atleast_1d(lead_time)], dtype=float), (e,)
    )
    where(np.isnan(lt), "lead_time", "is missing on a sourcing rule")
    where(
        ~np.isfinite(lt) | (lt < 0) | (lt != np.floor(lt)),
        "lead_time",
        "must be a whole number of buckets >= 0",
    )
    total = np.bincount(nd, weights=sh, minlength=n)
    count = np.bincount(nd, minlength=n)
    first_bad("sourcing", count == 0, items, "has no sourcing rule")
    first_bad("share", np.abs(total - 1.0) > _SHARE_TOL, items, "split shares must add up to 1")
    sup = (
        np.broadcast_to(np.asarray(supplier, dtype=object), (e,))
        if supplier is not None
        else np.full(e, None, dtype=object)
    )
    return Sourcing(nd, src, kd, np.array(sh), lt.astype(np.int64), np.array(sup, dtype=object))


def _raise(field, reason, item):
    raise PlanningInputError(field, reason, item)


def network_levels(n: int, sourcing: Sourcing, items=None) -> np.ndarray:
    """Level of every SKU-location in the sourcing graph: 0 for locations nobody is sourced from, else one
    more than the highest level of the locations it supplies (topological order). A cycle raises
    PlanningInputError naming the SKU-locations on it, customer before source."""
    t = sourcing.kind == 0
    return topological_levels(
        n, sourcing.node[t], sourcing.source[t], items, "sourcing", "sourcing rules form a cycle"
    )


@dataclass(frozen=True)
class NetworkPlan:
    """The plan of every SKU-location; ``record`` gross requirements include dependent demand."""

    record: MRPRecord
    dependent_demand: np.ndarray  # (n, buckets): releases of downstream locations, by share
    levels: np.ndarray  # (n,)
    orders: pl.DataFrame  # proposals: one row per rule and receipt bucket


ORDER_COLUMNS = (
    "order_id",
    "node",
    "item",
    "kind",
    "source",
    "supplier",
    "release_bucket",
    "receipt_bucket",
    "quantity",
    "past_due",
)


def plan_network(
    gross,
    on_hand,
    sourcing: Sourcing,
    scheduled_receipts=0.0,
    safety_stock=0.0,
    lots: LotSizing | None = None,
    items=None,
    make_orders: bool = True,
) -> NetworkPlan:
    """Plan every SKU-location of the network, level by level from the customers upstream.

    ``gross`` is the independent gross requirement (n, buckets); a location's planned receipts are split
    over its rules by share, each part offset by the rule's lead time; transfer releases become gross
    requirements of the source location in the release bucket. Lot sizing applies to the location's total
    before the split. All input is validated before the first bucket is planned.
    """
    gr0 = np.asarray(gross, dtype=float)
    if gr0.ndim != 2:
        raise PlanningInputError("gross_requirements", "must be a matrix of shape (items, buckets)")
    n, nb = gr0.shape
    gr0 = as_items("gross_requirements", gr0, n, items, minimum=0.0, buckets=nb)
    oh = as_items("on_hand", on_hand, n, items, minimum=0.0)
    sr = as_items("scheduled_receipts", scheduled_receipts, n, items, minimum=0.0, buckets=nb)
    ss = as_items("safety_stock", safety_stock, n, items, minimum=0.0, buckets=nb)
    lots = lots if lots is not None else lot_sizing(n, items=items)
    if int(sourcing.node.max(initial=-1)) >= n or int(sourcing.source.max(initial=-1)) >= n:
        raise PlanningInputError("sourcing", f"refers to SKU-locations beyond the {n} given")
    levels = network_levels(n, sourcing, items)

    # Work in level order so that every level is a contiguous block of rows (views, not copies).
    perm = np.argsort(levels, kind="stable")
    inv = np.empty(n, dtype=np.int64)
    inv[perm] = np.arange(n)
    bounds = np.searchsorted(levels[perm], np.arange(int(levels.max(initial=-1)) + 2))
    gr_p, oh_p, sr_p, ss_p = gr0[perm], oh[perm], sr[perm], ss[perm]
    lots_p = lots.take(perm)
    names_p = None if items is None else [items[i] for i in perm]
    e_order = np.argsort(levels[sourcing.node], kind="stable")
    e_node, e_src = inv[sourcing.node[e_order]], inv[np.maximum(sourcing.source[e_order], 0)]
    e_share, e_lt, e_kind = sourcing.share[e_order], sourcing.lead_time[e_order], sourcing.kind[e_order]
    e_bounds = np.searchsorted(levels[sourcing.node[e_order]], np.arange(bounds.size))

    dependent = np.zeros((n, nb))
    full = {k: np.zeros((n, nb)) for k in ("sr", "poh", "net", "rec", "rel")}
    past_due = np.zeros(n)
    edge_receipts = np.zeros((sourcing.node.size, nb)) if make_orders else None
    for lv in range(bounds.size - 1):
        a, b = int(bounds[lv]), int(bounds[lv + 1])
        block = slice(a, b)
        s, poh, net, rec = net_requirements(
            gr_p[block] + dependent[block],
            oh_p[block],
            sr_p[block],
            ss_p[block],
            lots_p.take(block),
            None if names_p is None else names_p[a:b],
        )
        full["sr"][block], full["poh"][block], full["net"][block], full["rec"][block] = s, poh, net, rec
        ea, eb = int(e_bounds[lv]), int(e_bounds[lv + 1])
        if ea == eb:
            continue
        local = e_node[ea:eb] - a
        er = rec[local] * e_share[ea:eb, None]
        rel, pdue = offset(er, e_lt[ea:eb])
        if edge_receipts is not None:
            edge_receipts[e_order[ea:eb]] = er
        k = eb - ea
        to_node = sparse.csr_matrix((np.ones(k), (local, np.arange(k))), shape=(b - a, k))
        full["rel"][block] = to_node @ rel
        past_due[block] = to_node @ pdue
        tr = np.flatnonzero(e_kind[ea:eb] == 0)
        if tr.size:
            to_source = sparse.csr_matrix((np.ones(tr.size), (e_src[ea:eb][tr], tr)), shape=(n, k))
            dependent += to_source @ rel
    record = MRPRecord(
        *(m[inv] for m in (gr_p + dependent, full["sr"], full["poh"], full["net"], full["rec"], full["rel"])),
        past_due[inv],
    )
    orders = _orders(sourcing, edge_receipts, items) if make_orders else pl.DataFrame()
    return NetworkPlan(record, dependent[inv], levels, orders)


def plan_from_demand(
    forecast, open_orders, on_hand, sourcing: Sourcing, options: PlanOptions | None = None, **kwargs
) -> NetworkPlan:
    """Plan the network from the consensus forecast and open orders (items, buckets) under ``options``: the
    gross requirement follows ``options.gross_rule`` and the plan covers the first ``options.horizon``
    buckets. Other keyword arguments go to :func:`plan_network`."""
    options = options or PlanOptions()
    f = np.asarray(forecast, dtype=float)
    o = np.asarray(open_orders, dtype=float)
    if f.ndim != 2 or o.shape != f.shape:
        raise PlanningInputError(
            "forecast",
            f"forecast {f.shape} and open orders {o.shape} must be the same (items, buckets) shape",
        )
    if f.shape[1] < options.horizon:
        raise PlanningInputError("horizon", f"is {options.horizon} buckets, the demand covers {f.shape[1]}")
    h = options.horizon
    sr = kwargs.pop("scheduled_receipts", 0.0)
    ss = kwargs.pop("safety_stock", 0.0)
    sr = np.asarray(sr, dtype=float)
    ss = np.asarray(ss, dtype=float)
    return plan_network(
        gross_requirements(f[:, :h], o[:, :h], options.gross_rule),
        on_hand,
        sourcing,
        scheduled_receipts=sr[:, :h] if sr.ndim == 2 else sr,
        safety_stock=ss[:, :h] if ss.ndim == 2 else ss,
        **kwargs,
    )


def _orders(sourcing: Sourcing, edge_receipts: np.ndarray, items) -> pl.DataFrame:
    """One proposed order per rule and receipt bucket (release bucket < 0 means past due)."""
    e, t = np.nonzero(edge_receipts)
    rel = t - sourcing.lead_time[e]
    node = sourcing.node[e]
    src = sourcing.source[e]
    kinds = pl.Series("kind", list(KINDS), dtype=pl.Utf8)
    if items is not None:
        names = pl.Series("item", list(items))
        item = names.gather(node)
        source = pl.Series("source", names.gather(np.maximum(src, 0))).set(pl.Series(src < 0), None)
    else:
        item = pl.Series("item", node)
        source = pl.Series("source", np.where(src >= 0, src, 0)).set(pl.Series(src < 0), None)
    suppliers = pl.Series("supplier", list(sourcing.supplier), dtype=pl.Utf8, strict=False)
    return pl.DataFrame(
        [
            pl.Series("order_id", np.arange(e.size, dtype=np.int64)),
            pl.Series("node", node),
            item.alias("item"),
            kinds.gather(sourcing.kind[e].astype(np.int64)).alias("kind"),
            source.alias("source"),
            suppliers.gather(e).alias("supplier"),
            pl.Series("release_bucket", rel.astype(np.int64)),
            pl.Series("receipt_bucket", t.astype(np.int64)),
            pl.Series("quantity", edge_receipts[e, t]),
            pl.Series("past_due", rel < 0),
        ]
    )
