"""Cost of goods: consume FIFO layers, price by the configured method (FIFO or moving average)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from qudao.engines.valuation import Layer, fifo_consume, money, moving_average_cost, moving_average_issue
from qudao.inventory.lots import LotPick
from qudao.inventory.posting import LAYER, ZERO, Balance, valuation_method

# ---- valuation ---------------------------------------------------------------------------------


def consume_layers(session: Session, bal: Balance, quantity: Decimal) -> Decimal:
    """Consume FIFO layers for ``quantity``; return the cost by the configured method."""
    layers = session.execute(
        select(LAYER.c.id, LAYER.c.remaining, LAYER.c.unit_cost)
        .where(LAYER.c.product_id == bal.product_id, LAYER.c.location_id == bal.location_id, LAYER.c.remaining > 0)
        .order_by(LAYER.c.id)
    ).all()
    result = fifo_consume([Layer(r.remaining, r.unit_cost) for r in layers], quantity)
    if result.taken:
        session.execute(
            update(LAYER).where(LAYER.c.id == bindparam("layer_id"))
            .values(remaining=LAYER.c.remaining - bindparam("take"))
            .execution_options(synchronize_session=False),
            [{"layer_id": layers[i].id, "take": take} for i, take in result.taken],
        )
    if valuation_method() == "moving_average":
        return moving_average_issue(bal.on_hand, bal.value, quantity) if bal.on_hand >= quantity else money(
            quantity * moving_average_cost(bal.on_hand, bal.value))
    # Stock with no layer (e.g. from before valuation began) is priced at the average of what is left.
    extra = result.shortfall * moving_average_cost(bal.on_hand, bal.value) if result.shortfall > 0 else ZERO
    return money(result.cost + extra)


def add_layer(session: Session, product_id: int, location_id: int, movement_id: int, at: datetime,
               quantity: Decimal, unit_cost: Decimal) -> None:
    session.execute(insert(LAYER), {"product_id": product_id, "location_id": location_id,
                                    "movement_id": movement_id, "at": at, "quantity": quantity,
                                    "remaining": quantity, "unit_cost": unit_cost})


def split_cost(cost: Decimal, picks: list[LotPick], total: Decimal) -> list[Decimal]:
    """Share a cost over lot picks by quantity; the last pick takes the rounding remainder."""
    shares: list[Decimal] = []
    for pick in picks[:-1]:
        shares.append(money(cost * pick.quantity / total))
    shares.append(cost - sum(shares, ZERO))
    return shares
