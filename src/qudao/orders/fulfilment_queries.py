"""Read models behind the fulfilment forms of the order page: what may still be picked per line and
location, what may still be returned per line, and the returns of one order (partner-scoped through
``get_order``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.common.actor import Actor
from qudao.orders.fulfilment import _quantities_in_open_shipments
from qudao.orders.models import ReturnAuthorization, ReturnLine
from qudao.orders.service import get_order

ZERO = Decimal(0)
PENDING_RETURN = ("authorized", "received")


@dataclass(frozen=True)
class PickableLine:
    line_no: int
    product_id: int
    allocated: Decimal  # reserved at the location and not yet shipped
    pickable: Decimal  # of that, not yet in an open pick


@dataclass
class PickSite:
    """One ship-from location of an order with the quantities a new pick there could take."""

    location_id: int
    lines: list[PickableLine] = field(default_factory=list)


def pick_sites(session: Session, actor: Actor, order_id: int) -> list[PickSite]:
    """Locations holding allocations of the order not yet in an open pick, each with those lines."""
    order = get_order(session, actor, order_id)
    in_pick = _quantities_in_open_shipments(session, order.id)
    sites: dict[int, PickSite] = {}
    for line in sorted(order.lines, key=lambda ln: ln.line_no):
        for allocation in line.allocations:
            pickable = allocation.quantity - in_pick.get((line.id, allocation.location_id), ZERO)
            if pickable <= 0:
                continue
            site = sites.setdefault(allocation.location_id, PickSite(allocation.location_id))
            site.lines.append(PickableLine(line.line_no, line.product_id, allocation.quantity, pickable))
    return [sites[k] for k in sorted(sites)]


def returnable(session: Session, actor: Actor, order_id: int) -> dict[int, Decimal]:
    """Per order line number: shipped, less what came back and what open returns already cover."""
    order = get_order(session, actor, order_id)
    pending: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line_id, quantity in session.execute(
            select(ReturnLine.order_line_id, ReturnLine.quantity).join(ReturnAuthorization)
            .where(ReturnAuthorization.order_id == order.id, ReturnAuthorization.status.in_(PENDING_RETURN))):
        pending[line_id] += quantity
    return {line.line_no: line.shipped_qty - line.returned_qty - pending[line.id] for line in order.lines}


def returns_of_order(session: Session, actor: Actor, order_id: int) -> list[ReturnAuthorization]:
    get_order(session, actor, order_id)
    return list(session.scalars(select(ReturnAuthorization).where(ReturnAuthorization.order_id == order_id)
                                .order_by(ReturnAuthorization.id)).all())
