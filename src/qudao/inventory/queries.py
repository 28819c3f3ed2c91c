"""Read models for stock: balances, the movement ledger, lots and inventory value at any past date.

A partner user sees only stock at locations its organisation owns (``partner_filter`` on the location).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize, partner_filter
from qudao.catalog.models import Category, Product
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.db import utcnow
from qudao.errors import invalid
from qudao.inventory.ledger import valuation_method
from qudao.inventory.models import Lot, LotBalance, MovementType, StockBalance, StockMovement
from qudao.inventory.schemas import LotBalanceOut, ValuationOut, ValuationRow
from qudao.locations.models import Location

BALANCE_SORTS = {"id": StockBalance.id, "on_hand": StockBalance.on_hand, "reserved": StockBalance.reserved,
                 "value": StockBalance.value, "updated_at": StockBalance.updated_at}
MOVEMENT_SORTS = {"id": StockMovement.id, "at": StockMovement.at, "movement_type": StockMovement.movement_type}


def _own_locations(actor: Actor) -> Any:
    return select(Location.id).where(partner_filter(actor, Location.owner_partner_id))


def _location_id(session: Session, code: str) -> int:
    found = session.scalar(select(Location.id).where(Location.code == code))
    if found is None:
        raise invalid("location", f"no location with code {code!r}")
    return int(found)


def _products_matching(session: Session, text: str | None, category: str | None) -> Any:
    """Ids of products whose SKU or name contains ``text`` and that sit in ``category`` or below it."""
    stmt = select(Product.id)
    if text:
        like = f"%{text.lower()}%"
        stmt = stmt.where(or_(func.lower(Product.sku).like(like), func.lower(Product.name_zh).like(like),
                              func.lower(Product.name_en).like(like)))
    if category:
        root = session.scalar(select(Category.path).where(Category.code == category))
        if root is None:
            raise invalid("category", f"no category with code {category!r}")
        stmt = stmt.join(Category, Category.id == Product.category_id).where(Category.path.startswith(root))
    return stmt


def list_balances(session: Session, actor: Actor, params: ListParams, *, sku: str | None = None,
                  location: str | None = None, category: str | None = None, text: str | None = None,
                  nonzero: bool = True) -> tuple[list[StockBalance], int]:
    """Balances per SKU x location; ``text`` searches SKU and names, ``category`` includes sub-categories."""
    authorize(actor, "inventory:read")
    filters: list[Any] = []
    if actor.is_partner:
        filters.append(StockBalance.location_id.in_(_own_locations(actor)))
    if sku:
        filters.append(StockBalance.product_id.in_(select(Product.id).where(Product.sku == sku)))
    if location:
        filters.append(StockBalance.location_id == _location_id(session, location))
    if category or text:
        filters.append(StockBalance.product_id.in_(_products_matching(session, text, category)))
    if nonzero:
        filters.append((StockBalance.on_hand != 0) | (StockBalance.reserved != 0) | (StockBalance.in_transit != 0)
                       | (StockBalance.on_order != 0))
    return paginate(session, select(StockBalance), params, sortable=BALANCE_SORTS, default_sort="id",
                    filters=filters)


def list_movements(session: Session, actor: Actor, params: ListParams, *, sku: str | None = None,
                   location: str | None = None, movement_type: str | None = None, reference: str | None = None,
                   since: datetime | None = None, until: datetime | None = None, category: str | None = None,
                   text: str | None = None) -> tuple[list[StockMovement], int]:
    authorize(actor, "inventory:read")
    filters: list[Any] = []
    if actor.is_partner:
        filters.append(StockMovement.location_id.in_(_own_locations(actor)))
    if sku:
        filters.append(StockMovement.product_id.in_(select(Product.id).where(Product.sku == sku)))
    if category or text:
        filters.append(StockMovement.product_id.in_(_products_matching(session, text, category)))
    if location:
        filters.append(StockMovement.location_id == _location_id(session, location))
    if movement_type:
        if movement_type not in MovementType.ALL:
            raise invalid("movement_type", f"use one of {', '.join(MovementType.ALL)}")
        filters.append(StockMovement.movement_type == movement_type)
    if reference:
        filters.append(StockMovement.reference == reference)
    if since:
        filters.append(StockMovement.at >= since)
    if until:
        filters.append(StockMovement.at <= until)
    return paginate(session, select(StockMovement), params, search=(StockMovement.reference, StockMovement.reason),
                    sortable=MOVEMENT_SORTS, default_sort="-id", filters=filters)


def list_lots(session: Session, actor: Actor, *, sku: str | None = None,
              location: str | None = None) -> list[LotBalanceOut]:
    """Lot balances with stock, first expiry first."""
    authorize(actor, "inventory:read")
    stmt = (select(Product.sku, Location.code.label("location_code"), Lot.code, Lot.expiry, LotBalance.on_hand,
                   LotBalance.expired)
            .join(Lot, Lot.id == LotBalance.lot_id).join(Product, Product.id == Lot.product_id)
            .join(Location, Location.id == LotBalance.location_id)
            .where(LotBalance.on_hand > 0, partner_filter(actor, Location.owner_partner_id))
            .order_by(Lot.expiry.is_(None), Lot.expiry, Product.sku, Location.code))
    if sku:
        stmt = stmt.where(Product.sku == sku)
    if location:
        stmt = stmt.where(Location.code == location)
    return [LotBalanceOut(sku=r.sku, location_code=r.location_code, lot=r.code, expiry=r.expiry,
                          on_hand=r.on_hand, expired=r.expired) for r in session.execute(stmt.limit(5000))]


VALUATION_GROUPS = ("location", "category", "channel", "product")


def valuation(session: Session, actor: Actor, *, as_of: datetime | None = None,
              group_by: str = "location") -> ValuationOut:
    """Inventory quantity and value on hand at ``as_of`` (default now), summed from the ledger, grouped by
    location, category, channel (of the location) or product. Stock in transit is not on any location's
    books until it is received."""
    authorize(actor, "inventory:read")
    if group_by not in VALUATION_GROUPS:
        raise invalid("group_by", f"use one of {', '.join(VALUATION_GROUPS)}")
    if as_of is not None and as_of.tzinfo is None:
        raise invalid("as_of", "must carry a time zone")
    as_of = as_of or utcnow()
    label = {
        "location": Location.code,
        "category": func.coalesce(Category.code, "(none)"),
        "channel": func.coalesce(Channel.code, "(none)"),
        "product": Product.sku,
    }[group_by]
    stmt = (select(label.label("grp"), func.sum(StockMovement.on_hand_delta).label("quantity"),
                   func.sum(StockMovement.value_delta).label("value"))
            .join(Product, Product.id == StockMovement.product_id)
            .join(Location, Location.id == StockMovement.location_id)
            .outerjoin(Category, Category.id == Product.category_id)
            .outerjoin(Channel, Channel.id == Location.channel_id)
            .where(StockMovement.at <= as_of, partner_filter(actor, Location.owner_partner_id))
            .group_by(label).order_by(label))
    q4 = Decimal("0.0001")
    rows = [ValuationRow(group=str(r.grp), quantity=Decimal(r.quantity or 0).quantize(q4),
                         value=Decimal(r.value or 0).quantize(q4))
            for r in session.execute(stmt) if (r.quantity or 0) != 0 or (r.value or 0) != 0]
    return ValuationOut(as_of=as_of, group_by=group_by, method=valuation_method(), rows=rows,
                        total_value=sum((r.value for r in rows), Decimal(0)))
