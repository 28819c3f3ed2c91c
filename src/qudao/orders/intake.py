"""Order intake: the reference data an order needs, loaded set-wise, and the per-order checks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, NoReturn

from sqlalchemy import and_, bindparam, func, or_, select, text
from sqlalchemy.orm import Session

from qudao.catalog.models import Product
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.db import is_postgres
from qudao.engines import allocation as engine
from qudao.errors import FieldError, Invalid
from qudao.locations.models import Location
from qudao.orders import stock
from qudao.orders.models import (
    OrderStatus,
    PriceList,
    PriceListItem,
    SalesOrder,
)
from qudao.orders.schemas import OrderCreate
from qudao.partners.models import Partner

ZERO = Decimal(0)
MAX_ERRORS = 200


class ProductRef(NamedTuple):
    id: int
    sku: str
    lifecycle: str
    archived: bool
    allows_fractional: bool
    list_price: Decimal


@dataclass
class Reference:
    channel: dict[str, tuple[int, bool]] = field(default_factory=dict)  # code -> (id, archived)
    partner: dict[str, tuple[int, bool, str]] = field(default_factory=dict)  # code -> (id, archived, status)
    partner_limit: dict[int, Decimal] = field(default_factory=dict)
    partner_currency: dict[int, str] = field(default_factory=dict)
    partner_tier: dict[int, str] = field(default_factory=dict)
    location: dict[str, tuple[int, bool]] = field(default_factory=dict)
    location_coords: dict[int, tuple[float | None, float | None]] = field(default_factory=dict)
    location_owner: dict[int, int | None] = field(default_factory=dict)
    new_status: dict[int, str] = field(default_factory=dict)
    product: dict[str, ProductRef] = field(default_factory=dict)
    prices: dict[tuple[int, int], tuple[Decimal, Decimal, Decimal]] = field(default_factory=dict)
    priced_channels: set[int] = field(default_factory=set)
    sites: list[engine.Site] | None = None  # ship-from candidates (own active locations)
    # Ship-from rules (default, per channel) when they came with the reference data (PostgreSQL).
    policies: tuple[engine.ShipFromRule, dict[int, engine.ShipFromRule]] | None = None
    actor: Actor | None = None
    errors: list[FieldError] = field(default_factory=list)


def _expanding(name: str) -> Any:
    return bindparam(name, expanding=True)


# Built once: the hot intake path only binds values (no statement construction per order).
# Channels with their active price lists (one row per list; none: price_list_id NULL) in one round trip.
_CHANNELS = select(Channel.id, Channel.code, Channel.archived_at, PriceList.id.label("price_list_id")).outerjoin(
    PriceList, and_(PriceList.channel_id == Channel.id, PriceList.active.is_(True))).where(
    Channel.code.in_(_expanding("codes")))
_PARTNER_COLUMNS = (Partner.id, Partner.code, Partner.archived_at, Partner.status, Partner.credit_limit,
                    Partner.currency, Partner.tier)
_PARTNERS = select(*_PARTNER_COLUMNS).where(Partner.code.in_(_expanding("codes")))
_PARTNER_BY_ID = select(*_PARTNER_COLUMNS).where(Partner.id == bindparam("partner_id"))
_LOCATION_COLUMNS = (Location.id, Location.code, Location.archived_at, Location.latitude, Location.longitude,
                     Location.owner_partner_id, Location.priority)
_LOCATIONS = select(*_LOCATION_COLUMNS).where(Location.code.in_(_expanding("codes")))
# The ship-to locations plus the ship-from sites (own active locations) in the same round trip.
_LOCATIONS_AND_SITES = select(*_LOCATION_COLUMNS).where(or_(
    Location.code.in_(_expanding("codes")), and_(Location.owner_partner_id.is_(None), Location.archived_at.is_(None))))
_PRODUCTS = select(Product.id, Product.sku, Product.lifecycle, Product.archived_at, Product.allows_fractional,
                   Product.list_price).where(Product.sku.in_(_expanding("skus")))
_PRICE_ITEMS = select(PriceListItem.price_list_id, PriceListItem.product_id, PriceListItem.price,
                      PriceListItem.min_price, PriceListItem.max_price).where(
    PriceListItem.price_list_id.in_(_expanding("lists")), PriceListItem.product_id.in_(_expanding("products"))
).order_by(PriceListItem.price_list_id)
_EXISTING = select(SalesOrder.id, SalesOrder.external_order_id).where(
    SalesOrder.channel_id == bindparam("channel_id"), SalesOrder.external_order_id.in_(_expanding("externals")))


# PostgreSQL: all the reference data of an intake in ONE round trip, each kind aggregated to a JSON array
# (decimals as text, so nothing passes through a float). A single order otherwise spends five round trips
# here; the same statement serves a batch (arrays are bound as one parameter each, no chunking needed).
_REFERENCE_PG = text("""
SELECT
 (SELECT json_agg(json_build_array(c.id, c.code, c.archived_at IS NOT NULL, pl.id))
    FROM channels c LEFT JOIN price_lists pl ON pl.channel_id = c.id AND pl.active
   WHERE c.code = ANY(:channels)) AS channels,
 (SELECT json_agg(json_build_array(p.id, p.code, p.archived_at IS NOT NULL, p.status, p.credit_limit::text,
                                   p.currency, p.tier))
    FROM partners p WHERE p.code = ANY(:partners) OR p.id = :own_partner) AS partners,
 (SELECT json_agg(json_build_array(l.id, l.code, l.archived_at IS NOT NULL, l.latitude, l.longitude,
                                   l.owner_partner_id, l.priority) ORDER BY l.id)
    FROM locations l
   WHERE l.code = ANY(:locations) OR (:with_sites AND l.owner_partner_id IS NULL AND l.archived_at IS NULL))
   AS locations,
 (SELECT json_agg(json_build_array(p.id, p.sku, p.lifecycle, p.archived_at IS NOT NULL, p.allows_fractional,
                                   p.list_price::text))
    FROM products p WHERE p.sku = ANY(:skus)) AS products,
 (SELECT json_agg(json_build_array(pl.channel_id, i.product_id, i.price::text, i.min_price::text,
                                   i.max_price::text) ORDER BY i.price_list_id)
    FROM price_list_items i JOIN price_lists pl ON pl.id = i.price_list_id AND pl.active
    JOIN channels c ON c.id = pl.channel_id JOIN products p ON p.id = i.product_id
   WHERE c.code = ANY(:channels) AND p.sku = ANY(:skus)) AS prices,
 (SELECT json_agg(json_build_array(a.channel_id, a.ship_from_rule)) FROM order_allocation_policies a) AS policies
""")


def _load_reference_pg(session: Session, ref: Reference, channel_codes: list[str], partner_codes: list[str],
                       location_codes: list[str], skus: list[str]) -> None:
    actor = ref.actor
    assert actor is not None
    r = session.connection().execute(_REFERENCE_PG, {
        "channels": channel_codes, "partners": partner_codes, "locations": location_codes, "skus": skus,
        "own_partner": actor.partner_id if actor.is_partner else None, "with_sites": bool(location_codes)}).one()
    for channel_id, code, archived, price_list_id in r.channels or ():
        ref.channel[code] = (channel_id, archived)
        if price_list_id is not None:
            ref.priced_channels.add(channel_id)
    for partner_id, code, archived, status, limit, currency, tier in r.partners or ():
        ref.partner[code] = (partner_id, archived, status)
        ref.partner_limit[partner_id] = Decimal(limit or 0)
        ref.partner_currency[partner_id] = currency
        ref.partner_tier[partner_id] = tier
    wanted_codes = set(location_codes)
    sites: list[engine.Site] = []
    for location_id, code, archived, lat, lon, owner, priority in r.locations or ():
        if owner is None and not archived:
            sites.append(engine.Site(location_id, priority, lat, lon))
        if code in wanted_codes:
            ref.location[code] = (location_id, archived)
            ref.location_coords[location_id] = (lat, lon)
            ref.location_owner[location_id] = owner
    ref.sites = sites if location_codes else None
    for product_id, sku, lifecycle, archived, fractional, list_price in r.products or ():
        ref.product[sku] = ProductRef(product_id, sku, lifecycle, archived, fractional, Decimal(list_price))
    for channel_id, product_id, price, low, high in r.prices or ():
        ref.prices[(channel_id, product_id)] = (Decimal(price), Decimal(low), Decimal(high))
    ref.policies = stock.policies_from([(channel_id, rule) for channel_id, rule in r.policies or ()])


def load_reference_data(session: Session, actor: Actor, orders: Sequence[OrderCreate]) -> Reference:
    ref = Reference(actor=actor)
    channel_codes = sorted({o.channel_code for o in orders})
    partner_codes = sorted({o.customer_code for o in orders if o.customer_code})
    location_codes = sorted({o.ship_to_code for o in orders})
    skus = sorted({line.sku for o in orders for line in o.lines})
    if is_postgres(session):
        _load_reference_pg(session, ref, channel_codes, partner_codes, location_codes, skus)
        return ref
    lists: dict[int, int] = {}  # active price list id -> channel id
    for r in session.execute(_CHANNELS, {"codes": channel_codes}):
        ref.channel[r.code] = (r.id, r.archived_at is not None)
        if r.price_list_id is not None:
            lists[r.price_list_id] = r.id
    partner_rows = []
    for chunk in stock._chunks(partner_codes):
        partner_rows += session.execute(_PARTNERS, {"codes": list(chunk)}).all()
    if actor.is_partner:
        partner_rows += session.execute(_PARTNER_BY_ID, {"partner_id": actor.partner_id}).all()
    for r in partner_rows:
        ref.partner[r.code] = (r.id, r.archived_at is not None, r.status)
        ref.partner_limit[r.id] = Decimal(r.credit_limit or 0)
        ref.partner_currency[r.id] = r.currency
        ref.partner_tier[r.id] = r.tier
    wanted_codes = set(location_codes)
    sites: dict[int, engine.Site] = {}
    for n, chunk in enumerate(stock._chunks(location_codes)):
        for r in session.execute(_LOCATIONS if n else _LOCATIONS_AND_SITES, {"codes": list(chunk)}):
            if r.owner_partner_id is None and r.archived_at is None:
                sites[r.id] = engine.Site(r.id, r.priority, r.latitude, r.longitude)
            if r.code not in wanted_codes:
                continue
            ref.location[r.code] = (r.id, r.archived_at is not None)
            ref.location_coords[r.id] = (r.latitude, r.longitude)
            ref.location_owner[r.id] = r.owner_partner_id
    ref.sites = list(sites.values()) if location_codes else None
    for chunk in stock._chunks(skus):
        for r in session.execute(_PRODUCTS, {"skus": list(chunk)}):
            ref.product[r.sku] = ProductRef(r.id, r.sku, r.lifecycle, r.archived_at is not None, r.allows_fractional,
                                            Decimal(r.list_price))
    ref.priced_channels = set(lists.values())
    if lists:
        product_ids = [r.id for r in ref.product.values()]
        for chunk in stock._chunks(product_ids):
            for r in session.execute(_PRICE_ITEMS, {"lists": list(lists), "products": list(chunk)}):
                ref.prices[(lists[r.price_list_id], r.product_id)] = (
                    Decimal(r.price), Decimal(r.min_price), Decimal(r.max_price))
    return ref


def prepare(ref: Reference, index: int, data: OrderCreate, errors: list[FieldError]) -> tuple[
        dict[str, Any], list[dict[str, Any]]]:
    actor = ref.actor
    assert actor is not None

    def err(name: str, reason: str) -> None:
        errors.append(FieldError(name, reason, row=index))

    channel = ref.channel.get(data.channel_code)
    if channel is None:
        err("channel_code", f"unknown channel {data.channel_code!r}")
    elif channel[1]:
        err("channel_code", f"channel {data.channel_code!r} is archived")
    partner_id = None
    if actor.is_partner:
        own = next((v for v in ref.partner.values() if v[0] == actor.partner_id), None)
        if data.customer_code is not None and (own is None or ref.partner.get(data.customer_code) != own):
            err("customer_code", "a partner user places orders for its own organisation only")
        partner_id = actor.partner_id
    elif data.customer_code is None:
        err("customer_code", "required")
    else:
        partner = ref.partner.get(data.customer_code)
        if partner is None:
            err("customer_code", f"unknown customer {data.customer_code!r}")
        elif partner[1] or partner[2] == "inactive":
            err("customer_code", f"customer {data.customer_code!r} is archived or inactive")
        else:
            partner_id = partner[0]
    location = ref.location.get(data.ship_to_code)
    if location is None:
        err("ship_to_code", f"unknown ship-to location {data.ship_to_code!r}")
    elif location[1]:
        err("ship_to_code", f"ship-to location {data.ship_to_code!r} is archived")
    elif actor.is_partner and ref.location_owner.get(location[0]) != actor.partner_id:
        err("ship_to_code", "a partner user ships to its own organisation's locations only")
    channel_id = channel[0] if channel else None
    lines: list[dict[str, Any]] = []
    total = ZERO
    for n, line in enumerate(data.lines):
        where = f"lines[{n}]"
        product = ref.product.get(line.sku)
        if product is None:
            err(f"{where}.sku", f"unknown SKU {line.sku!r}")
            continue
        if product.archived or product.lifecycle == "discontinued":
            err(f"{where}.sku", f"SKU {line.sku!r} is discontinued")
            continue
        quantity = line.quantity
        if not quantity.is_finite() or quantity <= 0:
            err(f"{where}.quantity", "must be greater than 0")
            continue
        if not product.allows_fractional and quantity != quantity.to_integral_value():
            err(f"{where}.quantity", f"SKU {line.sku!r} is sold in whole units only")
            continue
        price = line.unit_price
        if channel_id is not None and channel_id in ref.priced_channels:
            band = ref.prices.get((channel_id, product.id))
            if band is None:
                err(f"{where}.sku", f"SKU {line.sku!r} is not on the channel's price list")
                continue
            if price is None:
                price = band[0]
            elif not band[1] <= price <= band[2]:
                err(f"{where}.unit_price", f"{price} is outside the channel's price range {band[1]}..{band[2]}")
                continue
        elif price is None:
            price = Decimal(product.list_price)
        total += quantity * price
        lines.append(dict(line_no=n + 1, product_id=product.id, quantity=quantity, unit_price=price,
                          allocated_qty=ZERO, shipped_qty=ZERO, backorder_qty=quantity, cancelled_qty=ZERO,
                          returned_qty=ZERO))
    order = dict(channel_id=channel_id, external_order_id=data.external_order_id, partner_id=partner_id,
                 ship_to_location_id=location[0] if location else None, status=OrderStatus.backordered,
                 hold_reason=None, credit_hold=False, rush=data.rush, promised_date=data.promised_date,
                 allow_split=data.allow_split, currency=ref.partner_currency.get(partner_id or 0, "CNY"),
                 total_amount=total, notes=data.notes)
    return order, lines


def reject(errors: list[FieldError]) -> NoReturn:
    """Refuse the whole request, listing every problem (``row`` = the order's index)."""
    shown = errors[:MAX_ERRORS]
    more = f" (and {len(errors) - MAX_ERRORS} more)" if len(errors) > MAX_ERRORS else ""
    raise Invalid(detail=f"{len(errors)} problem(s) in the order data{more}; nothing was booked", errors=shown)


def existing_by_external(session: Session, orders: Sequence[OrderCreate],
                          channel_ids: dict[str, int] | None = None) -> dict[tuple[int, str], int]:
    if channel_ids is None:
        codes = sorted({o.channel_code for o in orders})
        channel_ids = dict(session.execute(select(Channel.code, Channel.id).where(Channel.code.in_(codes))).all())
    wanted: dict[int, set[str]] = defaultdict(set)
    for o in orders:
        if o.channel_code in channel_ids:
            wanted[channel_ids[o.channel_code]].add(o.external_order_id)
    found: dict[tuple[int, str], int] = {}
    for channel_id, externals in wanted.items():
        for chunk in stock._chunks(sorted(externals)):
            for r in session.execute(_EXISTING, {"channel_id": channel_id, "externals": list(chunk)}):
                found[(channel_id, r.external_order_id)] = r.id
    return found


def open_credit(session: Session, partner_ids: set[int], ref: Reference) -> dict[int, Decimal]:
    limited = sorted(p for p in partner_ids if ref.partner_limit.get(p, ZERO) > 0)
    open_value: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for chunk in stock._chunks(limited):
        for partner_id, amount in session.execute(
                select(SalesOrder.partner_id, func.sum(SalesOrder.total_amount)).where(
                    SalesOrder.partner_id.in_(chunk), SalesOrder.credit_hold.is_(False),
                    SalesOrder.status.in_(OrderStatus.OPEN)).group_by(SalesOrder.partner_id)):
            open_value[partner_id] = Decimal(amount or 0)
    return open_value


def audit_after(order: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("channel_id", "external_order_id", "partner_id", "ship_to_location_id", "status", "hold_reason",
            "rush", "allow_split")
    after = {k: order[k] for k in keys}
    after.update(promised_date=order["promised_date"].isoformat() if order["promised_date"] else None,
                 total_amount=str(order["total_amount"]),
                 lines=[{"product_id": ln["product_id"], "quantity": str(ln["quantity"]),
                         "unit_price": str(ln["unit_price"])} for ln in lines])
    return after


# ---- holds, cancellation, reallocation ----------------------------------------------------------
