"""Read models of demand: history by business codes (API, pages) and by hierarchy node (reconciliation)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize
from qudao.catalog.models import Category, Product
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.demand.history import Grain, load_history
from qudao.demand.schemas import HistoryPoint
from qudao.engines.forecast.hierarchy import Hierarchy, aggregate_history
from qudao.errors import invalid
from qudao.locations.models import Location

MAX_POINTS = 100_000


def history_points(session: Session, actor: Actor, *, sku: str | None = None, location_code: str | None = None,
                   channel_code: str | None = None, grain: Grain = "day", start: date | None = None,
                   end: date | None = None, limit: int = 10_000) -> list[HistoryPoint]:
    """Demand history filtered by codes (an unknown code is a 422 naming it), at most ``limit`` points."""
    authorize(actor, "demand:read")
    if not 1 <= limit <= MAX_POINTS:
        raise invalid("limit", f"use 1 to {MAX_POINTS:,}")

    def ident(model: type, column, code: str | None, field: str) -> list[int] | None:  # type: ignore[no-untyped-def]
        if code is None:
            return None
        found = session.scalar(select(model.id).where(column == code))  # type: ignore[attr-defined]
        if found is None:
            raise invalid(field, f"no record with code {code!r}")
        return [int(found)]

    frame = load_history(session, actor, start=start, end=end, grain=grain,
                         product_ids=ident(Product, Product.sku, sku, "sku"),
                         location_ids=ident(Location, Location.code, location_code, "location_code"),
                         channel_ids=ident(Channel, Channel.code, channel_code, "channel_code"))
    return [HistoryPoint(**row) for row in frame.head(limit).iter_rows(named=True)]


# Levels of the demand hierarchy, top to bottom; node ids join the codes with "/" (e.g. "all/TEA/ECOM").
HIERARCHY_SPEC: list[list[str]] = [
    ["total"],
    ["total", "category"],
    ["total", "channel"],
    ["total", "category", "channel"],
    ["total", "category", "sku"],
    ["total", "category", "sku", "channel"],
    ["total", "category", "sku", "channel", "location"],
]


def hierarchy_history(session: Session, actor: Actor, *, grain: Grain = "week", start: date | None = None,
                      end: date | None = None, product_ids: list[int] | None = None
                      ) -> tuple[pd.DataFrame, Hierarchy]:
    """Demand history of every node of the product-category x channel hierarchy, with its summing matrix,
    ready for forecasting each node and reconciling (``qudao.engines.forecast.hierarchy.reconcile``).

    Bottom series are SKU x channel x location; products without a category sit under ``-``.
    """
    authorize(actor, "demand:read")
    frame = load_history(session, actor, start=start, end=end, grain=grain, product_ids=product_ids)
    if frame.height == 0:
        raise invalid("history", "no demand history in the selection")
    ids = frame.select("product_id", "location_id", "channel_id").unique()
    products = pl.DataFrame(session.execute(
        select(Product.id, Product.sku, Category.code).outerjoin(Category, Category.id == Product.category_id)
        .where(Product.id.in_(ids["product_id"].unique().to_list()))).all(),
        schema={"product_id": pl.Int64, "sku": pl.String, "category": pl.String}, orient="row")
    channels = pl.DataFrame(session.execute(select(Channel.id, Channel.code)).all(),
                            schema={"channel_id": pl.Int64, "channel": pl.String}, orient="row")
    locations = pl.DataFrame(session.execute(
        select(Location.id, Location.code).where(Location.id.in_(ids["location_id"].unique().to_list()))).all(),
        schema={"location_id": pl.Int64, "location": pl.String}, orient="row")
    bottom = (frame.join(products, on="product_id", how="left").join(channels, on="channel_id", how="left")
              .join(locations, on="location_id", how="left")
              .with_columns(pl.lit("all").alias("total"), pl.col("category").fill_null("-"))
              .select("total", "category", "sku", "channel", "location", "ds", "y"))
    return aggregate_history(bottom.to_pandas(), HIERARCHY_SPEC)
