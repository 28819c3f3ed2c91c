"""Demand use cases: sell-through intake, the retail event calendar, event uplift, new-product profiles.

History itself is read through ``qudao.demand.history.load_history``; the numbers are the engines'
(``qudao.engines.forecast.events`` and ``.new_products``). Sell-through intake rules: ``sell_through``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, require_staff
from qudao.catalog.models import Category, Product
from qudao.channels.models import Channel
from qudao.common import crud
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.common.records import snapshot
from qudao.db import utcnow
from qudao.demand.history import channel_subtrees, load_history
from qudao.demand.models import EventUplift, NewProductProfile, RetailEvent
from qudao.demand.schemas import (
    EventUpliftOut,
    NewProductForecastOut,
    NewProductForecastPoint,
    NewProductProfileIn,
    NewProductProfileOut,
    RetailEventCreate,
    RetailEventOut,
    RetailEventUpdate,
)
from qudao.demand.sell_through import Written, import_sell_through_file, import_sell_through_rows, record_sell_through
from qudao.engines.forecast import events as event_engine
from qudao.engines.forecast import new_products as new_product_engine
from qudao.errors import Conflict, NotFound, invalid

__all__ = ["Written", "import_sell_through_file", "import_sell_through_rows", "record_sell_through"]

# ---- retail events ----------------------------------------------------------------------------

EVENT_SORTS = {"id": RetailEvent.id, "code": RetailEvent.code, "starts_on": RetailEvent.starts_on,
               "kind": RetailEvent.kind}


def event_out(session: Session, event: RetailEvent) -> RetailEventOut:
    channel = session.get(Channel, event.channel_id) if event.channel_id is not None else None
    return RetailEventOut(code=event.code, name_zh=event.name_zh, name_en=event.name_en, kind=event.kind,
                          starts_on=event.starts_on, ends_on=event.ends_on, peak_on=event.peak_on,
                          channel_code=channel.code if channel else None, depth_pct=event.depth_pct)


def list_retail_events(session: Session, actor: Actor, params: ListParams, *, kind: str | None = None,
                       channel_code: str | None = None, start: date | None = None,
                       end: date | None = None) -> tuple[list[RetailEvent], int]:
    """The calendar (shared by every partner): events overlapping ``start..end``, of a kind or channel."""
    authorize(actor, "demand:read")
    filters: list[Any] = []
    if kind:
        filters.append(RetailEvent.kind == kind)
    if channel_code:
        filters.append(RetailEvent.channel_id.in_(select(Channel.id).where(Channel.code == channel_code)))
    if start:
        filters.append(RetailEvent.ends_on >= start)
    if end:
        filters.append(RetailEvent.starts_on <= end)
    return paginate(session, select(RetailEvent), params, search=(RetailEvent.code, RetailEvent.name_en,
                                                                  RetailEvent.name_zh),
                    sortable=EVENT_SORTS, default_sort="starts_on", filters=filters)


def get_retail_event(session: Session, actor: Actor, code: str) -> RetailEvent:
    authorize(actor, "demand:read")
    return crud.get_by(session, RetailEvent, RetailEvent.code, code, entity="retail event")


def _channel_id(session: Session, code: str | None) -> int | None:
    return crud.resolve_ref(session, Channel, Channel.code, code, field="channel_code")


def create_retail_event(session: Session, actor: Actor, data: RetailEventCreate) -> RetailEvent:
    authorize(actor, "demand:write")
    require_staff(actor, "change the retail event calendar")
    if session.scalar(select(RetailEvent.id).where(RetailEvent.code == data.code)) is not None:
        raise Conflict(detail=f"retail event {data.code} already exists")
    event = RetailEvent(code=data.code, name_zh=data.name_zh, name_en=data.name_en, kind=data.kind.value,
                        starts_on=data.starts_on, ends_on=data.ends_on, peak_on=data.peak_on,
                        channel_id=_channel_id(session, data.channel_code), depth_pct=data.depth_pct)
    session.add(event)
    audit.record_create(session, actor, event)
    return event


def update_retail_event(session: Session, actor: Actor, code: str, data: RetailEventUpdate) -> RetailEvent:
    authorize(actor, "demand:write")
    require_staff(actor, "change the retail event calendar")
    event = crud.get_by(session, RetailEvent, RetailEvent.code, code, entity="retail event")
    before = snapshot(event)
    changes = data.model_dump(exclude_unset=True)
    if "channel_code" in changes:
        event.channel_id = _channel_id(session, changes.pop("channel_code"))
    for name, value in changes.items():
        if value is None and name in ("name_zh", "name_en", "kind", "starts_on", "ends_on"):
            raise invalid(name, "may not be null")
        setattr(event, name, value.value if name == "kind" else value)
    if event.ends_on < event.starts_on:
        raise invalid("ends_on", "is before starts_on")
    if event.peak_on is not None and not event.starts_on <= event.peak_on <= event.ends_on:
        raise invalid("peak_on", "lies outside starts_on..ends_on")
    audit.record_update(session, actor, event, before)
    return event


def delete_retail_event(session: Session, actor: Actor, code: str) -> None:
    authorize(actor, "demand:write")
    require_staff(actor, "change the retail event calendar")
    event = crud.get_by(session, RetailEvent, RetailEvent.code, code, entity="retail event")
    audit.record(session, actor, action="delete", entity="retail_events", entity_id=event.id, before=snapshot(event))
    session.delete(event)
    session.flush()


def events_frame(session: Session, actor: Actor, *, start: date | None = None, end: date | None = None
                 ) -> pl.DataFrame:
    """Known events overlapping ``start..end`` for the engines: ``kind, starts_on, ends_on, channel_id``;
    an event of a parent channel is repeated for every channel below it, null means every channel."""
    authorize(actor, "demand:read")
    stmt = select(RetailEvent.kind, RetailEvent.starts_on, RetailEvent.ends_on, RetailEvent.channel_id)
    if start is not None:
        stmt = stmt.where(RetailEvent.ends_on >= start)
    if end is not None:
        stmt = stmt.where(RetailEvent.starts_on <= end)
    below = channel_subtrees(session)
    rows: list[tuple[str, date, date, int | None]] = []
    for kind, starts_on, ends_on, channel_id in session.execute(stmt):
        targets = [None] if channel_id is None else sorted(below.get(channel_id, {channel_id}))
        rows += [(kind, starts_on, ends_on, c) for c in targets]
    return pl.DataFrame(rows, schema={"kind": pl.String, "starts_on": pl.Date, "ends_on": pl.Date,
                                      "channel_id": pl.Int64}, orient="row")


def event_uplift(session: Session, actor: Actor, *, start: date | None = None, end: date | None = None,
                 channel_code: str | None = None, baseline_days: int = 28) -> list[EventUpliftOut]:
    """Uplift per event kind learnt from demand history (``qudao.engines.forecast.events.learn_uplift``)."""
    authorize(actor, "demand:read")
    if not 1 <= baseline_days <= 365:
        raise invalid("baseline_days", "use 1 to 365 days")
    channel_ids = None
    if channel_code is not None:
        channel_id = session.scalar(select(Channel.id).where(Channel.code == channel_code))
        if channel_id is None:
            raise invalid("channel_code", f"no channel {channel_code!r}")
        channel_ids = sorted(channel_subtrees(session).get(channel_id, {channel_id}))
    history = load_history(session, actor, start=start, end=end, channel_ids=channel_ids)
    if history.height == 0:
        return []
    first, last = history["ds"].min(), history["ds"].max()
    events = events_frame(session, actor, start=first - timedelta(days=baseline_days),
                          end=last + timedelta(days=baseline_days))
    series = history.with_columns(pl.concat_str("product_id", "location_id", "channel_id", separator="/")
                                  .alias("series_id"))
    options = event_engine.UpliftOptions(baseline_days=baseline_days, min_baseline_days=min(7, baseline_days))
    uplift = event_engine.learn_uplift(series, events, options)
    return [EventUpliftOut(**row) for row in uplift.iter_rows(named=True)]


def stored_event_uplift(session: Session, actor: Actor, *, channel_code: str | None = None
                        ) -> list[EventUpliftOut]:
    """The uplift last stored by ``refresh_event_uplift`` for all channels (or one), empty if never run."""
    authorize(actor, "demand:read")
    channel_id = None
    if channel_code is not None:
        channel_id = session.scalar(select(Channel.id).where(Channel.code == channel_code))
        if channel_id is None:
            raise invalid("channel_code", f"no channel {channel_code!r}")
    rows = session.scalars(select(EventUplift).where(
        EventUplift.channel_id.is_(None) if channel_id is None else EventUplift.channel_id == channel_id)
        .order_by(EventUplift.kind)).all()
    return [EventUpliftOut(kind=r.kind, uplift=r.uplift, observations=r.observations, event_days=r.event_days,
                           event_demand=r.event_demand, baseline_demand=r.baseline_demand,
                           computed_at=r.computed_at) for r in rows]


def refresh_event_uplift(session: Session, actor: Actor, *, start: date | None = None, end: date | None = None,
                         channel_code: str | None = None, baseline_days: int = 28) -> list[EventUpliftOut]:
    """Learn the uplift per event kind from history and store it (replacing the channel scope's last one).

    Reading two years of daily history takes a while on a large network, so pages and runs read the
    stored figures; a planner refreshes them (after a season, or from the nightly run).
    """
    authorize(actor, "demand:write")
    require_staff(actor, "refresh the learnt event uplift")
    learnt = event_uplift(session, actor, start=start, end=end, channel_code=channel_code,
                          baseline_days=baseline_days)
    channel_id = None if channel_code is None else session.scalar(select(Channel.id).where(
        Channel.code == channel_code))
    session.execute(delete(EventUplift).where(
        EventUplift.channel_id.is_(None) if channel_id is None else EventUplift.channel_id == channel_id))
    now = utcnow()
    rows = [dict(kind=u.kind, channel_id=channel_id, uplift=u.uplift, observations=u.observations,
                 event_days=u.event_days, event_demand=u.event_demand, baseline_demand=u.baseline_demand,
                 history_start=start, history_end=end, computed_at=now) for u in learnt]
    if rows:
        session.execute(insert(EventUplift), rows)
    audit.record(session, actor, action="refresh", entity="event_uplifts", entity_id=channel_code or "all",
                 after={"kinds": {u.kind: round(u.uplift, 4) for u in learnt}, "baseline_days": baseline_days})
    return [u.model_copy(update={"computed_at": now}) for u in learnt]


# ---- new products -----------------------------------------------------------------------------


def _product(session: Session, sku: str, field: str | None = None) -> Product:
    product = session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        if field:
            raise invalid(field, f"no product with sku {sku!r}")
        raise NotFound(detail=f"product {sku} not found")
    return product


def profile_out(session: Session, profile: NewProductProfile) -> NewProductProfileOut:
    analogue = session.get(Product, profile.analogue_product_id) if profile.analogue_product_id else None
    category = session.get(Category, profile.category_id) if profile.category_id else None
    return NewProductProfileOut(sku=session.get(Product, profile.product_id).sku,  # type: ignore[union-attr]
                                method=profile.method, analogue_sku=analogue.sku if analogue else None,
                                category_code=category.code if category else None, scale=profile.scale,
                                launch_on=profile.launch_on, notes=profile.notes)


def list_new_product_profiles(session: Session, actor: Actor, params: ListParams
                              ) -> tuple[list[NewProductProfile], int]:
    authorize(actor, "demand:read")
    return paginate(session, select(NewProductProfile), params, sortable={"id": NewProductProfile.id},
                    default_sort="id")


def get_new_product_profile(session: Session, actor: Actor, sku: str) -> NewProductProfile:
    authorize(actor, "demand:read")
    product = _product(session, sku)
    profile = session.scalar(select(NewProductProfile).where(NewProductProfile.product_id == product.id))
    if profile is None:
        raise NotFound(detail=f"no new-product profile for {sku}")
    return profile


def set_new_product_profile(session: Session, actor: Actor, sku: str, data: NewProductProfileIn
                            ) -> NewProductProfile:
    """Create or replace how ``sku`` is forecast while it has no history of its own."""
    authorize(actor, "demand:write")
    require_staff(actor, "choose how new products are forecast")
    product = _product(session, sku)
    analogue_id = category_id = None
    if data.method == "analogue":
        if not data.analogue_sku:
            raise invalid("analogue_sku", "required when method is 'analogue'")
        if data.category_code:
            raise invalid("category_code", "only for method 'category'")
        analogue = _product(session, data.analogue_sku, "analogue_sku")
        if analogue.id == product.id:
            raise invalid("analogue_sku", "a product cannot be its own analogue")
        analogue_id = analogue.id
    else:
        if data.analogue_sku:
            raise invalid("analogue_sku", "only for method 'analogue'")
        if data.category_code:
            category_id = crud.resolve_ref(session, Category, Category.code, data.category_code,
                                           field="category_code")
        else:
            category_id = product.category_id
            if category_id is None:
                raise invalid("category_code", f"product {sku} has no category; name one")
    profile = session.scalar(select(NewProductProfile).where(NewProductProfile.product_id == product.id))
    values = dict(method=data.method, analogue_product_id=analogue_id, category_id=category_id, scale=data.scale,
                  launch_on=data.launch_on, notes=data.notes)
    if profile is None:
        profile = NewProductProfile(product_id=product.id, **values)
        session.add(profile)
        audit.record_create(session, actor, profile)
    else:
        before = snapshot(profile)
        for name, value in values.items():
            setattr(profile, name, value)
        audit.record_update(session, actor, profile, before)
    return profile


def forecast_new_product(session: Session, actor: Actor, sku: str, *, horizon: int = 28,
                         start: date | None = None) -> NewProductForecastOut:
    """Daily forecast of a new product (all locations and channels together) from its profile."""
    profile = get_new_product_profile(session, actor, sku)
    if not 1 <= horizon <= 730:
        raise invalid("horizon", "use 1 to 730 days")
    first_day = start or profile.launch_on or utcnow().date() + timedelta(days=1)
    scale = float(profile.scale)
    if profile.method == "analogue" and profile.analogue_product_id is not None:
        history = load_history(session, actor, product_ids=[profile.analogue_product_id])
        curve = new_product_engine.forecast_from_analogue(history.select("ds", "y"), start=first_day,
                                                          horizon=horizon, scale=scale)
        source = session.get(Product, profile.analogue_product_id).sku  # type: ignore[union-attr]
    else:
        category = session.get(Category, profile.category_id)
        # Archived siblings count too: their launch curves are history all the same.
        siblings = session.scalars(select(Product.id).where(Product.category_id == profile.category_id,
                                                            Product.id != profile.product_id)).all()
        history = load_history(session, actor, product_ids=siblings) if siblings else pl.DataFrame(
            schema={"product_id": pl.Int64, "ds": pl.Date, "y": pl.Float64})
        curve = new_product_engine.forecast_from_category(history.select("product_id", "ds", "y"), start=first_day,
                                                          horizon=horizon, scale=scale)
        source = category.code if category else ""
    points = [NewProductForecastPoint(**row) for row in curve.iter_rows(named=True)]
    return NewProductForecastOut(sku=sku, method=profile.method, source=source, points=points)


def apply_known_events(session: Session, actor: Actor, forecast: pl.DataFrame,
                       uplift: list[EventUpliftOut] | None = None) -> pl.DataFrame:
    """Multiply a baseline forecast (``channel_id, ds, forecast[, lo_80, hi_80, lo_95, hi_95]``) by the learnt
    uplift of the known events in its window (``qudao.engines.forecast.events.apply_events``).

    ``uplift`` defaults to the stored figures (``refresh_event_uplift``), else learns them from all history.
    """
    authorize(actor, "demand:read")
    if forecast.height == 0:
        return forecast.with_columns(pl.lit(1.0).alias("event_multiplier"))
    learnt = uplift if uplift is not None else (stored_event_uplift(session, actor) or event_uplift(session, actor))
    days = forecast["ds"].cast(pl.Date)
    events = events_frame(session, actor, start=days.min(), end=days.max())  # type: ignore[arg-type]
    table = pl.DataFrame([(u.kind, u.uplift) for u in learnt], schema={"kind": pl.String, "uplift": pl.Float64},
                         orient="row")
    return event_engine.apply_events(forecast, events, table)
