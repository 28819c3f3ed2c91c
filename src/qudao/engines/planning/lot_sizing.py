"""Lot-sizing rules of MRP, vectorised over items: lot for lot, fixed order quantity (EOQ), periods of
supply, then minimum order quantity, order multiple and supplier pack size.

Rules as in Vollmann, Berry, Whybark & Jacobs, *Manufacturing Planning and Control for Supply Chain
Management* (5th ed., 2005), Ch. 6 "Material requirements planning", lot-sizing techniques (lot for lot,
fixed order quantity, economic order quantity, periodic order quantity); the order modifiers (minimum,
multiple) as in APICS / Ptak & Smith, *Orlicky's Material Requirements Planning* (3rd ed., 2011), Ch. 6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..inventory import PolicyInputError, eoq
from ._checks import as_items, first_bad
from .errors import PlanningInputError, label

LOT_FOR_LOT = "lot_for_lot"  # order exactly the net requirement
FIXED = "fixed"  # fixed order quantity (EOQ is a fixed quantity): max(net, Q)
PERIODS = "periods"  # periodic order quantity: cover the net requirements of the next P buckets
RULES = (LOT_FOR_LOT, FIXED, PERIODS)
_EPS = 1e-9


@dataclass(frozen=True)
class LotSizing:
    """Per-item lot-sizing parameters, arrays of shape (items,). ``rule`` holds indexes into RULES."""

    rule: np.ndarray
    fixed_quantity: np.ndarray
    periods: np.ndarray
    minimum: np.ndarray
    multiple: (
        np.ndarray
    )  # effective multiple: least common multiple of order multiple and pack size; 0 = none

    @property
    def n(self) -> int:
        return int(self.rule.shape[0])

    def take(self, index: np.ndarray) -> LotSizing:
        """The parameters of a subset of the items (used level by level in the network)."""
        return LotSizing(
            self.rule[index],
            self.fixed_quantity[index],
            self.periods[index],
            self.minimum[index],
            self.multiple[index],
        )


def lot_sizing(
    n: int,
    rule=LOT_FOR_LOT,
    fixed_quantity=0.0,
    periods=1,
    minimum=0.0,
    multiple=0.0,
    pack_size=0.0,
    items=None,
) -> LotSizing:
    """Build validated lot-sizing parameters for ``n`` items; every argument is a scalar or an (n,) array.

    With both an order multiple and a supplier pack size the order is rounded up to their least common
    multiple (both must then be whole numbers).
    """
    rules = np.broadcast_to(np.asarray(rule, dtype=object), (n,))
    code = np.full(n, -1, dtype=np.int8)
    for i, name in enumerate(RULES):
        code[rules == name] = i
    if (code < 0).any():
        j = int(np.flatnonzero(code < 0)[0])
        raise PlanningInputError(
            "lot_rule", f"unknown rule {rules[j]!r}; use one of {', '.join(RULES)}", label(items, j)
        )
    q = as_items("fixed_quantity", fixed_quantity, n, items, minimum=0.0)
    first_bad("fixed_quantity", (code == 1) & (q <= 0), items, "must be > 0 for the fixed rule (EOQ)")
    p = as_items("periods", periods, n, items, minimum=1.0)
    first_bad("periods", p != np.floor(p), items, "must be a whole number of buckets")
    mn = as_items("minimum", minimum, n, items, minimum=0.0)
    mult = as_items("multiple", multiple, n, items, minimum=0.0)
    pack = as_items("pack_size", pack_size, n, items, minimum=0.0)
    both = (mult > 0) & (pack > 0)
    first_bad(
        "pack_size",
        both & ((mult != np.floor(mult)) | (pack != np.floor(pack))),
        items,
        "and the order multiple must be whole numbers when both are given",
    )
    eff = np.where(pack > 0, pack, mult)
    if both.any():
        eff[both] = np.lcm(mult[both].astype(np.int64), pack[both].astype(np.int64))
    return LotSizing(code, q, p.astype(np.int64), mn, eff)


def eoq_quantity(demand_per_bucket, setup_cost, holding_cost_per_year, buckets_per_year=52.0, items=None):
    """Fixed order quantities from the EOQ Q* = sqrt(2 K D / h) (Harris 1913), computed by
    ``qudao.engines.inventory.eoq`` on annual demand D = demand per bucket x buckets per year."""
    d = np.asarray(demand_per_bucket, dtype=float) * float(buckets_per_year)
    try:
        return np.asarray(eoq(d, setup_cost, holding_cost_per_year), dtype=float)
    except PolicyInputError as exc:
        idx = exc.index if not isinstance(exc.index, tuple) else exc.index[0]
        raise PlanningInputError(exc.field, exc.reason, None if idx is None else label(items, idx)) from exc


def size_lots(net: np.ndarray, lots: LotSizing, cover: np.ndarray | None = None) -> np.ndarray:
    """Planned order quantities for net requirements ``net`` (one bucket, shape (items,)).

    ``cover`` is the extra quantity that keeps stock at or above safety stock over the following P - 1
    buckets (computed by the netting); it is used only by the periods rule. Zero where net <= 0. Only the
    items with a net requirement are sized.
    """
    pos = np.flatnonzero(net > _EPS)
    out = np.zeros(net.shape[0])
    if not pos.size:
        return out
    q = net[pos]
    rule = lots.rule[pos]
    fixed = rule == 1
    if fixed.any():
        q = np.where(fixed, np.maximum(q, lots.fixed_quantity[pos]), q)
    if cover is not None:
        q = np.where(rule == 2, q + cover[pos], q)
    q = np.maximum(q, lots.minimum[pos])
    m = lots.multiple[pos]
    has = m > 0
    if has.any():
        safe = np.where(has, m, 1.0)
        q = np.where(has, np.ceil(q / safe - _EPS) * safe, q)
    out[pos] = q
    return out
