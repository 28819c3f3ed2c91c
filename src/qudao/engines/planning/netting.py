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
    without another order: max(0, max_k sum_{j=t+1}^{t+k} (GR_j - SR_j) + SS_{t+k} - SS_t)."""
    n, nb = gross.shape
    c = np.cumsum(gross - receipts, axis=1) + ss
    out = np.zeros((n, nb))
    for k in range(1, int(periods.max(initial=1))):
        if k >= nb:
            break
        gain = np.full((n, nb), -np.inf)
        gain[:, : nb - k] = c[:, k:] - c[:, : nb - k]
        out = np.maximum(out, np.where((k < periods)[:, None], gain, 0.0))
    return out


def net_requirements(gross, on_hand, scheduled_receipts=0.0, safety_stock=0.0, lots: LotSizing | None = None,
                     items=None):
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
    poq = lots.rule == 2
    cover = _cover(gr, sr, ss, np.where(poq, lots.periods, 1)) if poq.any() else None
    poh = np.empty((n, nb))
    net = np.empty((n, nb))
    receipts = np.empty((n, nb))
    level = oh.copy()
    for t in range(nb):
        avail = level + sr[:, t] - gr[:, t]
        need = np.maximum(ss[:, t] - avail, 0.0)
        q = size_lots(need, lots, None if cover is None else cover[:, t])
        level = avail + q
        poh[:, t], net[:, t], receipts[:, t] = level, need, q
    return np.array(sr), poh, net, receipts


def offset(receipts: np.ndarray, lead_time, items=None) -> tuple[np.ndarray, np.ndarray]:
    """Lead-time offsetting: a receipt in bucket t is released in bucket t - L. Releases that would fall
    before bucket 0 are returned separately as past due (shape (items,)), not silently dropped."""
    r = np.asarray(receipts, dtype=float)
    n = r.shape[0]
    lt = check_lead_times(lead_time, n, items)
    releases = np.zeros_like(r)
    past_due = np.zeros(n)
    rows, cols = np.nonzero(r)
    if rows.size:
        q = r[rows, cols]
        at = cols - lt[rows]
        late = at < 0
        releases[rows[~late], at[~late]] = q[~late]
        np.add.at(past_due, rows[late], q[late])
    return releases, past_due


def plan_items(gross, on_hand, lead_time, scheduled_receipts=0.0, safety_stock=0.0,
               lots: LotSizing | None = None, items=None) -> MRPRecord:
    """The full single-level MRP record: netting, lot sizing and lead-time offsetting."""
    gr = np.asarray(gross, dtype=float)
    n = gr.shape[0] if gr.ndim == 2 else 0
    check_lead_times(lead_time, n, items)  # before any work: no partial plan
    sr, poh, net, receipts = net_requirements(gr, on_hand, scheduled_receipts, safety_stock, lots, items)
    releases, past_due = offset(receipts, lead_time, items)
    return MRPRecord(gr, sr, poh, net, receipts, releases, past_due)
