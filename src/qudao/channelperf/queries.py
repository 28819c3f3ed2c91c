"""Set work in SQL: the order lines, orders, weekly sales and period figures the engine computes on.

Read-only queries over other areas' tables (orders, demand, catalog, locations); every load is one query
into a polars frame, restricted to a partner user's own rows by ``partner_filter``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from qudao.auth.permissions import partner_filter
from qudao.catalog.models import Product
from qudao.channelperf.models import MapPrice, Territory
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.demand.models import SellThrough
from qudao.locations.models import Location
from qudao.orders.models import OrderStatus, SalesOrder, SalesOrderLine
from qudao.partners.models import Partner


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in UTC: order days are UTC calendar days."""
    return (datetime.combine(start, time(), tzinfo=UTC), datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC))


def _frame(session: Session, stmt: Select[Any], schema: dict[str, Any]) -> pl.DataFrame:
    rows = session.execute(stmt).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def _day(frame: pl.DataFrame, column: str = "at") -> pl.DataFrame:
    """Order timestamps to UTC calendar days (SQLite hands back naive datetimes, PostgreSQL aware ones)."""
    if frame.is_empty():
        return frame.with_columns(pl.lit(None, pl.Date).alias("day")).drop(column)
    days = [(v.astimezone(UTC) if v.tzinfo else v).date() for v in frame[column]]
    return frame.with_columns(pl.Series("day", days, dtype=pl.Date)).drop(column)


def order_lines(session: Session, actor: Actor, start: date, end: date) -> pl.DataFrame:
    """Priced lines of orders placed in the window (not cancelled), for the MAP check."""
    lo, hi = _bounds(start, end)
    stmt = (select(SalesOrderLine.id, SalesOrder.id, SalesOrderLine.line_no, SalesOrder.created_at,
                   SalesOrderLine.product_id, SalesOrder.channel_id, SalesOrder.partner_id,
                   SalesOrderLine.unit_price, SalesOrderLine.quantity)
            .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
            .where(SalesOrder.created_at >= lo, SalesOrder.created_at < hi,
                   SalesOrder.status != OrderStatus.cancelled, partner_filter(actor, SalesOrder.partner_id)))
    frame = _frame(session, stmt, {"line_id": pl.Int64, "order_id": pl.Int64, "line_no": pl.Int64, "at": pl.Object,
                                   "product_id": pl.Int64, "channel_id": pl.Int64, "partner_id": pl.Int64,
                                   "unit_price": pl.Float64, "quantity": pl.Float64})
    return _day(frame)


def map_prices(session: Session) -> pl.DataFrame:
    stmt = select(MapPrice.id, MapPrice.product_id, MapPrice.channel_id, MapPrice.min_price,
                  MapPrice.effective_from, MapPrice.effective_to)
    return _frame(session, stmt, {"map_id": pl.Int64, "product_id": pl.Int64, "channel_id": pl.Int64,
                                  "min_price": pl.Float64, "effective_from": pl.Date, "effective_to": pl.Date})


def orders_with_province(session: Session, actor: Actor, start: date, end: date) -> pl.DataFrame:
    lo, hi = _bounds(start, end)
    stmt = (select(SalesOrder.id, SalesOrder.partner_id, SalesOrder.channel_id, Location.code, Location.province)
            .join(Location, Location.id == SalesOrder.ship_to_location_id)
            .where(SalesOrder.created_at >= lo, SalesOrder.created_at < hi,
                   SalesOrder.status != OrderStatus.cancelled, partner_filter(actor, SalesOrder.partner_id)))
    return _frame(session, stmt, {"order_id": pl.Int64, "partner_id": pl.Int64, "channel_id": pl.Int64,
                                  "ship_to": pl.Utf8, "province": pl.Utf8})


def territories(session: Session, actor: Actor) -> pl.DataFrame:
    stmt = select(Territory.partner_id, Territory.province).where(partner_filter(actor, Territory.partner_id))
    return _frame(session, stmt, {"partner_id": pl.Int64, "province": pl.Utf8})


def daily_sales(session: Session, start: date, end: date) -> pl.DataFrame:
    """Sell-through units per product x channel x day (the engine folds days into weeks)."""
    stmt = (select(SellThrough.product_id, SellThrough.channel_id, SellThrough.day, func.sum(SellThrough.quantity))
            .where(SellThrough.day >= start, SellThrough.day <= end)
            .group_by(SellThrough.product_id, SellThrough.channel_id, SellThrough.day))
    return _frame(session, stmt, {"product_id": pl.Int64, "channel_id": pl.Int64, "day": pl.Date,
                                  "quantity": pl.Float64})


def codes(session: Session, model: type, column: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {int(i): str(c) for i, c in session.execute(select(model.id, column).where(model.id.in_(ids)))}  # type: ignore[attr-defined]


def sku_codes(session: Session, ids: set[int]) -> dict[int, str]:
    return codes(session, Product, Product.sku, ids)


def channel_codes(session: Session, ids: set[int]) -> dict[int, str]:
    return codes(session, Channel, Channel.code, ids)


def partner_codes(session: Session, ids: set[int]) -> dict[int, str]:
    return codes(session, Partner, Partner.code, ids)


def order_figures(session: Session, actor: Actor, by: str, start: date, end: date,
                  partner_id: int | None = None) -> pl.DataFrame:
    """One row per order placed in [start, end]: key (channel or partner code), name, day, revenue (net of
    cancellations), cost (null when a line's product has no standard cost), ordered and shipped units."""
    lo, hi = _bounds(start, end)
    net = SalesOrderLine.quantity - SalesOrderLine.cancelled_qty
    key_model = Channel if by == "channel" else Partner
    key_id = SalesOrder.channel_id if by == "channel" else SalesOrder.partner_id
    name = Channel.name_en if by == "channel" else Partner.name
    stmt = (select(key_model.code, name, SalesOrder.created_at, func.sum(net * SalesOrderLine.unit_price),
                   func.sum(net * Product.standard_cost),
                   func.sum(case((Product.standard_cost > 0, 0), else_=1)),
                   func.sum(net), func.sum(SalesOrderLine.shipped_qty))
            .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
            .join(Product, Product.id == SalesOrderLine.product_id)
            .join(key_model, key_model.id == key_id)
            .where(SalesOrder.created_at >= lo, SalesOrder.created_at < hi,
                   SalesOrder.status != OrderStatus.cancelled, partner_filter(actor, SalesOrder.partner_id))
            .group_by(SalesOrder.id, key_model.code, name, SalesOrder.created_at))
    if partner_id is not None:
        stmt = stmt.where(SalesOrder.partner_id == partner_id)
    frame = _frame(session, stmt, {"key": pl.Utf8, "name": pl.Utf8, "at": pl.Object, "revenue": pl.Float64,
                                   "cost": pl.Float64, "uncosted": pl.Int64, "ordered_qty": pl.Float64,
                                   "shipped_qty": pl.Float64})
    return _day(frame).with_columns(
        pl.when(pl.col("uncosted") > 0).then(None).otherwise(pl.col("cost")).alias("cost")).drop("uncosted")


def sell_through_by_key(session: Session, actor: Actor, by: str, start: date, end: date,
                        partner_id: int | None = None) -> pl.DataFrame:
    key_model = Channel if by == "channel" else Partner
    key_id = SellThrough.channel_id if by == "channel" else SellThrough.partner_id
    stmt = (select(key_model.code, func.sum(SellThrough.quantity))
            .join(key_model, and_(key_model.id == key_id))
            .where(SellThrough.day >= start, SellThrough.day <= end, partner_filter(actor, SellThrough.partner_id))
            .group_by(key_model.code))
    if partner_id is not None:
        stmt = stmt.where(SellThrough.partner_id == partner_id)
    return _frame(session, stmt, {"key": pl.Utf8, "sell_through_qty": pl.Float64})


def own_sell_through(session: Session, actor: Actor, start: date, end: date) -> list[dict[str, Any]]:
    """A partner's reported sell-through per day x location (units and revenue), newest first."""
    stmt = (select(SellThrough.day, Location.code, func.count(), func.sum(SellThrough.quantity),
                   func.sum(SellThrough.revenue))
            .join(Location, Location.id == SellThrough.location_id)
            .where(SellThrough.day >= start, SellThrough.day <= end, SellThrough.partner_id.is_not(None),
                   partner_filter(actor, SellThrough.partner_id))
            .group_by(SellThrough.day, Location.code).order_by(SellThrough.day.desc(), Location.code).limit(60))
    return [{"day": r[0], "location_code": r[1], "rows": int(r[2]), "quantity": r[3], "revenue": r[4]}
            for r in session.execute(stmt)]
