"""Time-phased netting (the MRP record), vectorised over items.

For item i and bucket t (Vollmann, Berry, Whybark & Jacobs, *Manufacturing Planning and Control for Supply
Chain Management*, 5th ed., Ch. 6, "the basic MRP record"; Orlicky's MRP, 3rd ed., Ch. 5, netting):

    available_t     = POH_{t-1} + SR_t - GR_t              (POH_{-1} = on hand)
    net_t           = max(0, SS_t - available_t)           (net requirement, safety stock included)
    receipt_t       = lot size of net_t                    (planned order receipt)
    POH_t           = available_t + receipt_t              (projected on hand at the end of t)
    release_{t - L} = receipt_t                            (lead-time offset; before bucket 0 = past due)

The recursion is sequential in time and vectorised across items: the loop runs over the buckets only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_items, first_bad
from .errors import PlanningInputError
from .lot_sizing import LotSizing, lot_sizing, size_lots
from .options import GROSS_MAX, GROSS_SUM

_BLOCK = 8192  # items per cache block in the bucket recursion


@dataclass(frozen=True)
class MRPRecord:
    """The MRP record of every item; matrices of shape (items, buckets), ``past_due`` of shape (items,)."""

    gross_requirements: np.ndarray
    scheduled_receipts: np.ndarray
    projected_on_hand: np.ndarray
    net_requirements: np.ndarray
    planned_receipts: np.ndarray
    planned_releases: np.ndarray
    past_due: np.ndarray  # releases that should already have been made (offset before bucket 0)


def gross_requirements(forecast, open_orders, rule: str = GROSS_MAX):
    """Gross requirement from the consensus forecast and open orders, per bucket.

    ``max``: orders consume the forecast, gross = max(forecast, orders) (forecast consumption, Vollmann et al.
    Ch. 7 "master production scheduling", available to promise); ``sum``: orders come on top of the forecast.
    """
    f = np.asarray(forecast, dtype=float)
    o = np.asarray(open_orders, dtype=float)
    if rule == GROSS_MAX:
        return np.maximum(f, o)
    if rule == GROSS_SUM:
        return f + o
    raise PlanningInputError("gross_rule", f"must be 'max' or 'sum', not {rule!r}")


def check_lead_times(lead_time, n: int, items=None) -> np.ndarray:
    """Lead times in whole buckets, shape (n,); a missing (NaN/None) or negative one names the item."""
    try:
        lt = np.asarray(lead_time, dtype=float)
    except (TypeError, ValueError) as exc:
        raise PlanningInputError("lead_time", "must be numbers of buckets") from exc
    lt = np.broadcast_to(lt, (n,))
    first_bad("lead_time", np.isnan(lt), items, "is missing")
    first_bad("lead_time", (lt < 0) | ~np.isfinite(lt), items, "must be a finite number of buckets >= 0")
    first_bad("lead_time", lt != np.floor(lt), items, "must be a whole number of buckets")
    return lt.astype(np.int64)


def _cover(gross: np.ndarray, receipts: np.ndarray, ss: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """For the periods rule: extra quantity so that stock stays >= safety stock over buckets t+1..t+P-1
    without another order: max(0, max_k sum_{j=t+1}^{t+k} (GR_j - SR_j) + SS_{t+k} - SS_t).
    Computed only for the rows given (the items on the periods rule)."""
    n, nb = gross.shape
    c = np.cumsum(gross - receipts, axis=1) + ss
    out = np.zeros((n, nb))
    for k in range(1, min(int(periods.max(initial=1)), nb)):
        gain = c[:, k:] - c[:, : nb - k]
        np.maximum(out[:, : nb - k], np.where((k < periods)[:, None], gain, 0.0), out=out[:, : nb - k])
    return out


def net_requirements(
    gross, on_hand, scheduled_receipts=0.0, safety_stock=0.0, lots: LotSizing | None = None, items=None
):
    """Net and lot-size every item; returns (scheduled receipts, projected on hand, net requirements,
    planned receipts) as (items, buckets) matrices.

    ``gross`` is (items, buckets); ``on_hand`` (items,); ``scheduled_receipts`` (open purchase, production,
    transfer orders and stock in transit, by arrival bucket) and ``safety_stock`` are (items,) or
    (items, buckets).
    """
    gr = np.asarray(gross, dtype=float)
    if gr.ndim != 2:
        raise PlanningInputError("gross_requirements", "must be a matrix of shape (items, buckets)")
    n, nb = gr.shape
    gr = as_items("gross_requirements", gr, n, items, minimum=0.0, buckets=nb)
    oh = as_items("on_hand", on_hand, n, items, minimum=0.0)
    sr = as_items("scheduled_receipts", scheduled_receipts, n, items, minimum=0.0, buckets=nb)
    ss = as_items("safety_stock", safety_stock, n, items, minimum=0.0, buckets=nb)
    lots = lots if lots is not None else lot_sizing(n, items=items)
    if lots.n != n:
        raise PlanningInputError("lots", f"has {lots.n} items, the requirements have {n}")
    poq = np.flatnonzero(lots.rule == 2)
    cover = None
    if poq.size:
        cover = np.zeros((n, nb))
        cover[poq] = _cover(gr[poq], sr[poq], ss[poq], lots.periods[poq])
    poh = np.empty((n, nb))
    net = np.empty((n, nb))
    receipts = np.empty((n, nb))
    # Items in blocks that stay in cache while the recursion walks the buckets (column access is strided).
    for a in range(0, n, _BLOCK):
        rows = slice(a, min(a + _BLOCK, n))
        block_lots = lots.take(rows)
        g, r, s = gr[rows], sr[rows], ss[rows]
        level = oh[rows].copy()
        cov = None if cover is None else cover[rows]
        for t in range(nb):
            avail = level + r[:, t] - g[:, t]
            need = np.maximum(s[:, t] - avail, 0.0)
            q = size_lots(need, block_lots, None if cov is None else cov[:, t])
            level = avail + q
            poh[rows, t], net[rows, t], receipts[rows, t] = level, need, q
    return np.array(sr), poh, net, receipts


def offset(receipts: np.ndarray, lead_time, items=None) -> tuple[np.ndarray, np.ndarray]:
    """Lead-time offsetting: a receipt in bucket t is released in bucket t - L. Releases that would fall
    before bucket 0 are returned separately as past due (shape (items,)), not silently dropped."""
    r = np.asarray(receipts, dtype=float)
    n = r.shape[0]
    lt = check_lead_times(lead_time, n, items)
    releases = np.zeros_like(r)
    past_due = np.zeros(n)
    nb = r.shape[1]
    for lag in np.unique(lt).tolist():  # one block shift per distinct lead time
        rows = slice(None) if lag == lt[0] and (lt == lag).all() else np.flatnonzero(lt == lag)
        if lag == 0:
            releases[rows] = r[rows]
        elif lag >= nb:
            past_due[rows] = r[rows].sum(axis=1)
        else:
            releases[rows, : nb - lag] = r[rows, lag:]
            past_due[rows] = r[rows, :lag].sum(axis=1)
    return releases, past_due


def plan_items(
    gross,
    on_hand,
    lead_time,
    scheduled_receipts=0.0,
    safety_stock=0.0,
    lots: LotSizing | None = None,
    items=None,
) -> MRPRecord:
    """The full single-level MRP record: netting, lot sizing and lead-time offsetting."""
    gr = np.asarray(gross, dtype=float)
    n = gr.shape[0] if gr.ndim == 2 else 0
    check_lead_times(lead_time, n, items)  # before any work: no partial plan
    sr, poh, net, receipts = net_requirements(gr, on_hand, scheduled_receipts, safety_stock, lots, items)
    releases, past_due = offset(receipts, lead_time, items)
    return MRPRecord(gr, sr, poh, net, receipts, releases, past_due)
