"""Bills of materials: low-level codes, single-shot explosion and multi-level MRP.

Multi-level MRP processes items in low-level-code order so every item is netted once, after all of its
parents: the planned order releases of a parent times the quantity per become gross requirements of the
component in the same bucket (Orlicky's MRP, 3rd ed., Ch. 4-5, low-level coding and the explosion;
Vollmann, Berry, Whybark & Jacobs, *Manufacturing Planning and Control for Supply Chain Management*, 5th ed.,
Ch. 6, "linking the MRP records", product structure with common parts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ._checks import as_items
from .errors import PlanningInputError, label
from .graph import topological_levels
from .lot_sizing import LotSizing, lot_sizing
from .netting import MRPRecord, check_lead_times, net_requirements, offset


@dataclass(frozen=True)
class Bom:
    """Validated BOM lines, arrays of shape (lines,): parent uses ``quantity_per`` of component."""

    parent: np.ndarray
    component: np.ndarray
    quantity_per: np.ndarray
    low_level_code: np.ndarray  # (items,)

    def matrix(self, n: int) -> sparse.csr_matrix:
        """(components x parents) usage matrix: requirement of components = matrix @ parent quantities."""
        return sparse.csr_matrix((self.quantity_per, (self.component, self.parent)), shape=(n, n))


def bill_of_materials(n: int, parent, component, quantity_per, items=None) -> Bom:
    """Validate BOM lines over ``n`` items (indexes) and compute the low-level codes; a cycle (an item that
    is, directly or not, its own component) raises PlanningInputError naming the items on it."""
    p = np.asarray(parent, dtype=np.int64).ravel()
    c = np.asarray(component, dtype=np.int64).ravel()
    if p.shape != c.shape:
        raise PlanningInputError("bom", "parent and component lists differ in length")
    for name, arr in (("parent", p), ("component", c)):
        bad = (arr < 0) | (arr >= n)
        if bad.any():
            raise PlanningInputError(name, f"must index one of the {n} items", int(arr[bad][0]))
    q = np.broadcast_to(np.asarray(quantity_per, dtype=float), p.shape)
    bad = ~np.isfinite(q) | (q <= 0)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise PlanningInputError(
            "quantity_per", f"must be > 0 (component {label(items, int(c[j]))})", label(items, int(p[j]))
        )
    llc = topological_levels(n, p, c, items, "bom", "bill of materials has a cycle")
    return Bom(p, c, np.array(q), llc)


def explode(bom: Bom, quantity, n: int | None = None) -> np.ndarray:
    """Total requirement of every item for end-item quantities (no stock, no time): the summarised
    multi-level explosion ("where used" totals, Orlicky Ch. 4).
    ``quantity`` is (items,) or (items, buckets)."""
    req = np.array(quantity, dtype=float)
    n = req.shape[0] if n is None else n
    m = bom.matrix(n)
    total = req.copy()
    current = req.copy()
    for _ in range(int(bom.low_level_code.max(initial=0))):
        current = m @ current
        total += current
    return total


@dataclass(frozen=True)
class BomPlan:
    record: MRPRecord
    dependent_demand: np.ndarray  # (items, buckets): from parents' planned releases x quantity per
    low_level_code: np.ndarray


def plan_bom(
    gross,
    on_hand,
    lead_time,
    bom: Bom,
    scheduled_receipts=0.0,
    safety_stock=0.0,
    lots: LotSizing | None = None,
    items=None,
) -> BomPlan:
    """Multi-level MRP over the items of ``bom``: net and lot-size each low-level code in turn, offset by the
    item lead time, and pass releases x quantity per down to the components. All input is validated first."""
    gr0 = np.asarray(gross, dtype=float)
    if gr0.ndim != 2:
        raise PlanningInputError("gross_requirements", "must be a matrix of shape (items, buckets)")
    n, nb = gr0.shape
    gr0 = as_items("gross_requirements", gr0, n, items, minimum=0.0, buckets=nb)
    oh = as_items("on_hand", on_hand, n, items, minimum=0.0)
    sr = as_items("scheduled_receipts", scheduled_receipts, n, items, minimum=0.0, buckets=nb)
    ss = as_items("safety_stock", safety_stock, n, items, minimum=0.0, buckets=nb)
    lt = check_lead_times(lead_time, n, items)
    lots = lots if lots is not None else lot_sizing(n, items=items)
    m = bom.matrix(n)
    llc = bom.low_level_code
    dependent = np.zeros((n, nb))
    out = {k: np.zeros((n, nb)) for k in ("sr", "poh", "net", "rec", "rel")}
    past_due = np.zeros(n)
    for code in range(int(llc.max(initial=0)) + 1):
        idx = np.flatnonzero(llc == code)
        names = None if items is None else [items[i] for i in idx]
        s, poh, net, rec = net_requirements(
            gr0[idx] + dependent[idx], oh[idx], sr[idx], ss[idx], lots.take(idx), names
        )
        rel, pdue = offset(rec, lt[idx], names)
        out["sr"][idx], out["poh"][idx], out["net"][idx], out["rec"][idx], out["rel"][idx] = (
            s,
            poh,
            net,
            rec,
            rel,
        )
        past_due[idx] = pdue
        released = np.zeros((n, nb))
        released[idx] = rel
        dependent += m @ released
    record = MRPRecord(gr0 + dependent, out["sr"], out["poh"], out["net"], out["rec"], out["rel"], past_due)
    return BomPlan(record, dependent, llc)
