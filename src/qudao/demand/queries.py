"""Read models of demand: history by business codes, for the API and pages."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize
from qudao.catalog.models import Product
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.demand.history import Grain, load_history
from qudao.demand.schemas import HistoryPoint
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
