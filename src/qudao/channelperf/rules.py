"""Use cases for the rules conflicts are judged by: MAP prices per SKU x channel and partner territories."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, ensure_own, partner_filter
from qudao.catalog.models import Product
from qudao.channelperf.models import MapPrice, Territory
from qudao.channelperf.schemas import (
    MapPriceCreate,
    MapPriceOut,
    MapPriceUpdate,
    TerritoryCreate,
    TerritoryOut,
)
from qudao.channels.models import Channel
from qudao.common import crud
from qudao.common.actor import Actor
from qudao.common.records import snapshot
from qudao.errors import Conflict, NotFound, invalid
from qudao.partners.models import Partner


def _map_out(session: Session, row: MapPrice) -> MapPriceOut:
    sku = session.scalar(select(Product.sku).where(Product.id == row.product_id))
    channel = session.scalar(select(Channel.code).where(Channel.id == row.channel_id))
    return MapPriceOut(id=row.id, sku=sku or "", channel_code=channel or "", min_price=row.min_price,
                       effective_from=row.effective_from, effective_to=row.effective_to)


def list_map_prices(session: Session, actor: Actor, *, sku: str | None = None,
                    channel_code: str | None = None, limit: int = 500) -> list[MapPriceOut]:
    authorize(actor, "channels:read")
    stmt = (select(MapPrice.id, Product.sku, Channel.code, MapPrice.min_price, MapPrice.effective_from,
                   MapPrice.effective_to)
            .join(Product, Product.id == MapPrice.product_id).join(Channel, Channel.id == MapPrice.channel_id))
    if sku:
        stmt = stmt.where(Product.sku == sku)
    if channel_code:
        stmt = stmt.where(Channel.code == channel_code)
    rows = session.execute(stmt.order_by(Product.sku, Channel.code, MapPrice.effective_from).limit(limit))
    return [MapPriceOut(id=r[0], sku=r[1], channel_code=r[2], min_price=r[3], effective_from=r[4],
                        effective_to=r[5]) for r in rows]


def _get_map(session: Session, map_id: int) -> MapPrice:
    row = session.get(MapPrice, map_id)
    if row is None:
        raise NotFound(detail=f"MAP price {map_id} not found")
    return row


def get_map_price(session: Session, actor: Actor, map_id: int) -> MapPriceOut:
    authorize(actor, "channels:read")
    return _map_out(session, _get_map(session, map_id))


def create_map_price(session: Session, actor: Actor, data: MapPriceCreate) -> MapPriceOut:
    authorize(actor, "channels:write")
    product_id = session.scalar(select(Product.id).where(Product.sku == data.sku))
    if product_id is None:
        raise invalid("sku", f"no product {data.sku!r}")
    channel_id = crud.resolve_ref(session, Channel, Channel.code, data.channel_code, field="channel_code")
    clash = session.scalar(select(MapPrice.id).where(
        MapPrice.product_id == product_id, MapPrice.channel_id == channel_id,
        MapPrice.effective_from == data.effective_from))
    if clash is not None:
        raise Conflict(detail=f"a MAP for {data.sku} in {data.channel_code} from {data.effective_from} exists")
    row = MapPrice(product_id=product_id, channel_id=channel_id, min_price=data.min_price,
                   effective_from=data.effective_from, effective_to=data.effective_to)
    session.add(row)
    audit.record_create(session, actor, row)
    return _map_out(session, row)


def update_map_price(session: Session, actor: Actor, map_id: int, data: MapPriceUpdate) -> MapPriceOut:
    authorize(actor, "channels:write")
    row = _get_map(session, map_id)
    before = snapshot(row)
    changes = data.model_dump(exclude_unset=True)
    if "min_price" in changes:
        if changes["min_price"] is None:
            raise invalid("min_price", "must not be null")
        row.min_price = changes["min_price"]
    if "effective_to" in changes:
        if changes["effective_to"] is not None and changes["effective_to"] < row.effective_from:
            raise invalid("effective_to", "must not be before effective_from")
        row.effective_to = changes["effective_to"]
    audit.record_update(session, actor, row, before)
    return _map_out(session, row)


def delete_map_price(session: Session, actor: Actor, map_id: int) -> MapPriceOut:
    authorize(actor, "channels:write")
    row = _get_map(session, map_id)
    out = _map_out(session, row)
    audit.record(session, actor, action="delete", entity=MapPrice.__tablename__, entity_id=row.id,
                 before=snapshot(row))
    session.delete(row)
    session.flush()
    return out


def list_territories(session: Session, actor: Actor, *, partner_code: str | None = None) -> list[TerritoryOut]:
    """A partner user sees only its own territory."""
    authorize(actor, "channels:read")
    stmt = (select(Territory.id, Partner.code, Territory.province).join(Partner, Partner.id == Territory.partner_id)
            .where(partner_filter(actor, Territory.partner_id)))
    if partner_code:
        stmt = stmt.where(Partner.code == partner_code)
    rows = session.execute(stmt.order_by(Partner.code, Territory.province))
    return [TerritoryOut(id=r[0], partner_code=r[1], province=r[2]) for r in rows]


def create_territory(session: Session, actor: Actor, data: TerritoryCreate) -> TerritoryOut:
    authorize(actor, "channels:write")
    partner_id = crud.resolve_ref(session, Partner, Partner.code, data.partner_code, field="partner_code")
    province = data.province.strip()
    clash = session.scalar(select(func.count()).select_from(Territory).where(
        Territory.partner_id == partner_id, Territory.province == province))
    if clash:
        raise Conflict(detail=f"{province} is already in {data.partner_code}'s territory")
    row = Territory(partner_id=partner_id, province=province)
    session.add(row)
    audit.record_create(session, actor, row)
    return TerritoryOut(id=row.id, partner_code=data.partner_code, province=province)


def delete_territory(session: Session, actor: Actor, territory_id: int) -> TerritoryOut:
    authorize(actor, "channels:write")
    row = session.get(Territory, territory_id)
    if row is None:
        raise NotFound(detail=f"territory {territory_id} not found")
    ensure_own(actor, row.partner_id, entity="territory", key=territory_id)
    code = session.scalar(select(Partner.code).where(Partner.id == row.partner_id)) or ""
    audit.record(session, actor, action="delete", entity=Territory.__tablename__, entity_id=row.id,
                 before=snapshot(row))
    session.delete(row)
    session.flush()
    return TerritoryOut(id=territory_id, partner_code=code, province=row.province)
