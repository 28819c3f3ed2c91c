"""Levels of a directed graph by topological order (Kahn 1962), with a named cycle on failure.

Used for the sourcing graph (customer before source) and for bills of materials (parent before component,
where the level is the low-level code: the deepest position at which an item appears in any structure,
Orlicky's MRP, 3rd ed., Ch. 4 "low-level coding").
"""

from __future__ import annotations

import numpy as np

from .errors import PlanningInputError, label


def topological_levels(
    n: int, first: np.ndarray, then: np.ndarray, items=None, field: str = "graph", what: str = "form a cycle"
) -> np.ndarray:
    """Level of every node: 0 if no edge points to it, else 1 + the highest level of the nodes before it
    (the longest path from a root). One vectorised step per level. A cycle raises PlanningInputError whose
    ``item`` is the list of nodes on one cycle, in edge direction, the first repeated at the end."""
    first = np.asarray(first, dtype=np.int64)
    then = np.asarray(then, dtype=np.int64)
    pending = np.bincount(then, minlength=n)
    level = np.full(n, -1, dtype=np.int64)
    frontier = np.flatnonzero(pending == 0)
    current = 0
    while frontier.size:
        level[frontier] = current
        hit = np.zeros(n, dtype=bool)
        hit[frontier] = True
        np.subtract.at(pending, then[hit[first]], 1)
        frontier = np.flatnonzero((pending == 0) & (level < 0))
        current += 1
    if (level < 0).any():
        raise PlanningInputError(field, what, find_cycle(level < 0, first, then, items))
    return level


def find_cycle(left: np.ndarray, first: np.ndarray, then: np.ndarray, items=None) -> list:
    """One cycle among the unlevelled nodes (each has an unlevelled predecessor): walk backwards."""
    before: dict[int, int] = {}
    for a, b in zip(first.tolist(), then.tolist(), strict=True):
        if left[a] and left[b]:
            before.setdefault(b, a)
    node = next(iter(before))
    seen: dict[int, int] = {}
    path: list[int] = []
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = before[node]
    loop = path[seen[node] :]
    loop.reverse()  # edge direction
    loop.append(loop[0])
    return [label(items, i) for i in loop]
