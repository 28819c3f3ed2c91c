"""The partner portal's home: one read of everything a partner user may see of its own organisation.

Every part comes from the owning area's read use case (orders, inventory, CPFR) or from this package, and
each is scoped to the actor's partner by that use case; this function only refuses staff and gathers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize
from qudao.channelperf import queries, service
from qudao.channelperf.schemas import PerformanceRow
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.cpfr import service as cpfr
from qudao.errors import Forbidden
from qudao.inventory import queries as inventory
from qudao.orders import queries as orders

SCORECARD_DAYS = 90
SELL_THROUGH_DAYS = 30


@dataclass
class PortalHome:
    partner_code: str
    orders: list[Any]
    orders_total: int
    stock: list[Any]
    stock_total: int
    sell_through: list[dict[str, Any]]
    submissions: list[dict[str, Any]]
    scorecard: PerformanceRow | None
    period: tuple[date, date]


def portal_home(session: Session, actor: Actor, *, today: date | None = None) -> PortalHome:
    """Only partner users have a portal; staff are refused (they see everything on the staff pages)."""
    if not actor.is_partner or actor.partner_id is None:
        raise Forbidden(detail="the partner portal is for partner users; staff use the staff pages")
    authorize(actor, "channels:read")
    today = today or date.today()
    first = ListParams(page=1, page_size=10)
    order_rows, order_total = orders.list_orders(session, actor, first)
    stock_rows, stock_total = inventory.list_balances(session, actor, ListParams(page=1, page_size=20))
    submissions, _ = cpfr.list_submissions(session, actor, ListParams(page=1, page_size=5))
    start = today - timedelta(days=SCORECARD_DAYS - 1)
    card = service.channel_performance(session, actor, by="partner", start=start, end=today,
                                       partner_id=actor.partner_id)
    code = queries.partner_codes(session, {actor.partner_id}).get(actor.partner_id, "")
    return PortalHome(
        partner_code=code, orders=order_rows, orders_total=order_total, stock=stock_rows, stock_total=stock_total,
        sell_through=queries.own_sell_through(session, actor, today - timedelta(days=SELL_THROUGH_DAYS - 1), today),
        submissions=submissions, scorecard=card.items[0] if card.items else None, period=(start, today))


