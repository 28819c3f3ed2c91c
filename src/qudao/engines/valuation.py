"""Inventory valuation arithmetic: FIFO cost layers and the moving (weighted) average.

Pure functions on Decimals. Definitions follow Horngren, Datar & Rajan, *Cost Accounting: A Managerial
Emphasis* (15th ed.), ch. 9 and the inventory-costing appendix, and IAS 2 *Inventories* §25-27 (FIFO or
weighted-average cost formula). Example used in the tests: receive 10 @ 5 and 10 @ 6, issue 15:
FIFO cost = 10*5 + 5*6 = 80; moving average = 15 * 5.5 = 82.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

ZERO = Decimal(0)
CENT4 = Decimal("0.0001")


def money(value: Decimal) -> Decimal:
    """Round to the 4 decimal places money is stored with (banker's rounding, as accountants do)."""
    return value.quantize(CENT4, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Layer:
    """A cost layer: ``remaining`` units left of a receipt at ``unit_cost``."""

    remaining: Decimal
    unit_cost: Decimal


@dataclass(frozen=True)
class FifoIssue:
    cost: Decimal
    # (index into the given layers, quantity taken from it), oldest first.
    taken: list[tuple[int, Decimal]]
    shortfall: Decimal


def fifo_consume(layers: Sequence[Layer], quantity: Decimal) -> FifoIssue:
    """Take ``quantity`` from ``layers`` (oldest first) and price it at each layer's cost (FIFO).

    Horngren et al., Cost Accounting, FIFO method: the cost of goods issued comes from the earliest
    receipts still in stock. A quantity beyond all layers is returned as ``shortfall`` (priced at 0),
    so the caller decides whether that is an error.
    """
    if quantity < 0:
        raise ValueError("quantity must not be negative")
    need = quantity
    cost = ZERO
    taken: list[tuple[int, Decimal]] = []
    for index, layer in enumerate(layers):
        if need <= 0:
            break
        take = min(layer.remaining, need)
        if take <= 0:
            continue
        taken.append((index, take))
        cost += take * layer.unit_cost
        need -= take
    return FifoIssue(cost=money(cost), taken=taken, shortfall=need)


def moving_average_cost(on_hand: Decimal, value: Decimal) -> Decimal:
    """Current average unit cost = inventory value / quantity on hand (0 when nothing is on hand)."""
    return value / on_hand if on_hand > 0 else ZERO


def moving_average_issue(on_hand: Decimal, value: Decimal, quantity: Decimal) -> Decimal:
    """Cost of issuing ``quantity`` at the moving average (IAS 2 §27, weighted average on each receipt).

    Issuing everything on hand takes the whole remaining value, so rounding never leaves a residue.
    """
    if quantity < 0 or quantity > on_hand:
        raise ValueError("quantity must be between 0 and the quantity on hand")
    if quantity == on_hand:
        return money(value)
    return money(value * quantity / on_hand)


def moving_average_receive(
    on_hand: Decimal, value: Decimal, quantity: Decimal, unit_cost: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """New (on hand, value, average unit cost) after a receipt: the average is re-weighted by quantity."""
    new_on_hand = on_hand + quantity
    new_value = money(value + quantity * unit_cost)
    return new_on_hand, new_value, moving_average_cost(new_on_hand, new_value)
