"""Multi-level BOM explosion for one demand, exact in decimals, with component scrap: the indented tree a
planner reads and the summarised requirement per item.

Component scrap raises the quantity a parent needs: required = parent quantity x quantity per x
(1 + scrap % / 100) (Orlicky's MRP, 3rd ed., Ch. 4 "scrap allowances"; Vollmann et al., *Manufacturing
Planning and Control*, 5th ed., Ch. 6). A structure is validated as a graph first (``graph``), so a cycle
is refused naming the items on it before anything is exploded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np

from .errors import PlanningInputError
from .graph import topological_levels

HUNDRED = Decimal(100)
EXACT = Decimal("0.000001")  # results kept to a millionth; database quantities have 4 places
MAX_TREE_ROWS = 20_000  # a structure shared many times over could blow up the indented view


@dataclass(frozen=True)
class BomEdge:
    """One BOM line: ``parent`` uses ``quantity_per`` of ``component``, plus ``scrap_pct`` percent."""

    parent: str
    component: str
    quantity_per: Decimal
    scrap_pct: Decimal = Decimal(0)


@dataclass(frozen=True)
class TreeRow:
    level: int  # 1 = direct component of the demanded item
    path: tuple[str, ...]  # items from the root down to this component
    parent: str
    component: str
    quantity_per: Decimal
    scrap_pct: Decimal
    required: Decimal  # for the demanded quantity, scrap included


@dataclass(frozen=True)
class Explosion:
    item: str
    quantity: Decimal
    rows: list[TreeRow]  # depth first, in BOM order
    totals: dict[str, Decimal]  # summarised gross requirement per component (all levels)
    low_level_code: dict[str, int]  # deepest level each item appears at in the whole structure


def check_structure(edges: list[BomEdge]) -> dict[str, int]:
    """Validate the lines (quantity per > 0, 0 <= scrap < 100, no self-use, no cycle) and return the
    low-level code of every item. A cycle raises PlanningInputError whose ``item`` lists its items."""
    for e in edges:
        if e.parent == e.component:
            raise PlanningInputError("bom", "an item cannot be its own component", [e.parent, e.parent])
        if not (e.quantity_per.is_finite() and e.quantity_per > 0):
            raise PlanningInputError("quantity_per", f"must be > 0 (component {e.component})", e.parent)
        if not (e.scrap_pct.is_finite() and 0 <= e.scrap_pct < HUNDRED):
            raise PlanningInputError("scrap_pct", f"must be in [0, 100) (component {e.component})", e.parent)
    names = sorted({e.parent for e in edges} | {e.component for e in edges})
    index = {n: i for i, n in enumerate(names)}
    parents = np.array([index[e.parent] for e in edges], dtype=np.int64)
    components = np.array([index[e.component] for e in edges], dtype=np.int64)
    levels = topological_levels(len(names), parents, components, names, "bom", "bill of materials has a cycle")
    return {n: int(levels[i]) for n, i in index.items()}


def explode_demand(edges: list[BomEdge], item: str, quantity: Decimal) -> Explosion:
    """Explode ``quantity`` of ``item`` through every level of ``edges``."""
    quantity = Decimal(quantity)
    if not (quantity.is_finite() and quantity > 0):
        raise PlanningInputError("quantity", "must be > 0", item)
    llc = check_structure(edges) if edges else {}
    children: dict[str, list[BomEdge]] = defaultdict(list)
    for e in edges:
        children[e.parent].append(e)
    rows: list[TreeRow] = []
    totals: dict[str, Decimal] = defaultdict(Decimal)

    def walk(parent: str, need: Decimal, path: tuple[str, ...]) -> None:
        for e in children.get(parent, ()):
            required = (need * e.quantity_per * (1 + e.scrap_pct / HUNDRED)).quantize(EXACT)
            here = (*path, e.component)
            rows.append(TreeRow(len(path), here, parent, e.component, e.quantity_per, e.scrap_pct, required))
            if len(rows) > MAX_TREE_ROWS:
                raise PlanningInputError("bom", f"explodes into more than {MAX_TREE_ROWS} rows", item)
            totals[e.component] += required
            walk(e.component, required, here)

    try:
        walk(item, quantity, (item,))
    except InvalidOperation:  # beyond 28 significant digits: no real demand is that large
        raise PlanningInputError("quantity", "is too large to explode exactly", item) from None
    return Explosion(item, quantity, rows, dict(totals), llc)
