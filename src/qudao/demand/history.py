"""Demand history: one row per SKU x location x channel x period, built in the database.

Two sources are added up:

* **Sell-through** (``sell_through``): partners' sales to end customers at their distribution points, as
  imported or loaded by the demo. A row with ``stockout`` marks a day the point had nothing to sell.
* **Order lines** (read from ``orders``, never written): the *ordered* quantity (before allocation, so a
  shortage does not lower demand) on the day the order was placed (UTC), in the order's channel, at the
  location the line ships from (its first allocation's location, lowest location id when split). A line
  with no allocation at all (wholly backordered) counts at the order's ship-to location, the only location
  it names. A line still waiting for stock (``backorder_qty > 0``) marks its day and location as a stockout
  day: what was sold that day was capped by stock, so the day must not be learnt as low demand.

Periods: ``day``; ``week`` (ISO weeks, ``ds`` is the Monday); ``month`` (``ds`` is the first day). A period
is flagged ``stockout`` when any of its days is, and ``on_promotion`` when any of its days had a
sell-through row on promotion or fell in a ``promotion`` retail event of that channel (or of every channel).
Periods without any row are absent (zero demand, no stockout); filling them is the forecast engine's job.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, Literal

import polars as pl
from sqlalchemy import Date, Float, case, cast, func, literal, select, union_all
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.demand.models import RetailEvent, SellThrough
from qudao.errors import invalid
from qudao.orders.models import Allocation, SalesOrder, SalesOrderLine

Grain = Literal["day", "week", "month"]
GRAINS: tuple[str, ...] = ("day", "week", "month")
HISTORY_SCHEMA = {"product_id": pl.Int64, "location_id": pl.Int64, "channel_id": pl.Int64, "ds": pl.Date,
                  "y": pl.Float64, "stockout": pl.Boolean, "on_promotion": pl.Boolean}


def _order_day(session: Session) -> Any:
    """The UTC calendar day of an order's creation time, on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", SalesOrder.created_at), Date)
    return func.date(SalesOrder.created_at)


def _period(session: Session, day: Any, grain: str) -> Any:
    """SQL for the first day of the period holding ``day`` (Monday for weeks)."""
    if grain == "day":
        return day
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc(grain, day), Date)
    if grain == "week":
        return func.date(day, "weekday 0", "-6 days")
    return func.date(day, "start of month")


def period_start(day: date, grain: str) -> date:
    """The same rule in Python (for callers that bucket their own dates)."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def _ids(values: Iterable[int] | None) -> list[int] | None:
    return None if values is None else sorted({int(v) for v in values})


def history_statement(session: Session, actor: Actor, *, start: date | None, end: date | None, grain: str,
                      product_ids: list[int] | None, location_ids: list[int] | None,
                      channel_ids: list[int] | None) -> Any:
    """The one aggregation: UNION ALL of the two daily sources, grouped by series and period in SQL."""
    # Sell-through, restricted to the partner's own rows for a partner user.
    st = SellThrough
    st_where: list[Any] = []
    if actor.is_partner:
        st_where.append(st.partner_id == actor.partner_id)
    if start is not None:
        st_where.append(st.day >= start)
    if end is not None:
        st_where.append(st.day <= end)
    if product_ids is not None:
        st_where.append(st.product_id.in_(product_ids))
    if location_ids is not None:
        st_where.append(st.location_id.in_(location_ids))
    if channel_ids is not None:
        st_where.append(st.channel_id.in_(channel_ids))
    sell_through = select(
        st.product_id.label("product_id"), st.location_id.label("location_id"), st.channel_id.label("channel_id"),
        _period(session, st.day, grain).label("ds"), st.quantity.label("y"),
        case((st.stockout, 1), else_=0).label("stockout"), case((st.on_promotion, 1), else_=0).label("promo"),
    ).where(*st_where)

    # Order lines: the ship-from location is the first allocation's; wholly backordered lines have none.
    ship_from = (select(Allocation.order_line_id.label("line_id"), func.min(Allocation.location_id).label("loc"))
                 .group_by(Allocation.order_line_id).subquery("ship_from"))
    day = _order_day(session)
    location = func.coalesce(ship_from.c.loc, SalesOrder.ship_to_location_id)
    ol_where: list[Any] = []
    if actor.is_partner:
        ol_where.append(SalesOrder.partner_id == actor.partner_id)
    if start is not None:
        ol_where.append(day >= start)
    if end is not None:
        ol_where.append(day <= end)
    if product_ids is not None:
        ol_where.append(SalesOrderLine.product_id.in_(product_ids))
    if location_ids is not None:
        ol_where.append(location.in_(location_ids))
    if channel_ids is not None:
        ol_where.append(SalesOrder.channel_id.in_(channel_ids))
    orders = (
        select(SalesOrderLine.product_id.label("product_id"), location.label("location_id"),
               SalesOrder.channel_id.label("channel_id"), _period(session, day, grain).label("ds"),
               SalesOrderLine.quantity.label("y"),
               case((SalesOrderLine.backorder_qty > 0, 1), else_=0).label("stockout"),
               literal(0).label("promo"))
        .select_from(SalesOrderLine)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .outerjoin(ship_from, ship_from.c.line_id == SalesOrderLine.id)
        .where(*ol_where)
    )
    if grain == "day":
        # Sell-through is already one row per SKU x location x channel x day (intake replaces a re-sent
        # key), so grouping 7 million rows in the database would only cost time (about 5x the plain scan on
        # the large demo); order lines are grouped here and the two sources merged by ``load_history``.
        lines = orders.subquery("lines")
        grouped = (select(lines.c.product_id, lines.c.location_id, lines.c.channel_id, lines.c.ds,
                          func.sum(lines.c.y).label("y"), func.max(lines.c.stockout).label("stockout"),
                          func.max(lines.c.promo).label("promo"))
                   .group_by(lines.c.product_id, lines.c.location_id, lines.c.channel_id, lines.c.ds))
        facts = union_all(sell_through.add_columns(literal(0).label("from_orders")),
                          grouped.add_columns(literal(1).label("from_orders"))).subquery("facts")
        return select(facts.c.product_id, facts.c.location_id, facts.c.channel_id, facts.c.ds,
                      cast(facts.c.y, Float).label("y"), facts.c.stockout, facts.c.promo, facts.c.from_orders)
    facts = union_all(sell_through, orders).subquery("facts")
    return (select(facts.c.product_id, facts.c.location_id, facts.c.channel_id, facts.c.ds,
                   cast(func.sum(facts.c.y), Float).label("y"), func.max(facts.c.stockout).label("stockout"),
                   func.max(facts.c.promo).label("promo"))
            .group_by(facts.c.product_id, facts.c.location_id, facts.c.channel_id, facts.c.ds))


def load_history(session: Session, actor: Actor, *, start: date | None = None, end: date | None = None,
                 grain: Grain = "day", product_ids: Iterable[int] | None = None,
                 location_ids: Iterable[int] | None = None, channel_ids: Iterable[int] | None = None) -> pl.DataFrame:
    """Demand history as a polars frame: product_id, location_id, channel_id, ds, y, stockout, on_promotion.

    Sorted by series then ``ds``; ``y`` is a float (sum of quantities in the period). A partner user gets
    its own partner's sell-through and orders only.
    """
    authorize(actor, "demand:read")
    if grain not in GRAINS:
        raise invalid("grain", f"unknown grain {grain!r}; use one of {', '.join(GRAINS)}")
    if start is not None and end is not None and end < start:
        raise invalid("end", f"end {end.isoformat()} is before start {start.isoformat()}")
    stmt = history_statement(session, actor, start=start, end=end, grain=grain, product_ids=_ids(product_ids),
                             location_ids=_ids(location_ids), channel_ids=_ids(channel_ids))
    frame = _fetch(session, stmt, day_rows=grain == "day")
    if grain == "day":
        frame = _merge_sources(frame)
    frame = frame.sort("product_id", "location_id", "channel_id", "ds")
    if frame.height == 0:
        return pl.DataFrame(schema=HISTORY_SCHEMA)
    promo_periods = _promotion_periods(session, frame, grain)
    if promo_periods.height:
        frame = (frame.join(promo_periods, on=["channel_id", "ds"], how="left")
                 .with_columns((pl.col("promo") | pl.col("event_promo").fill_null(False)).alias("promo"))
                 .drop("event_promo"))
    return frame.rename({"promo": "on_promotion"}).select(list(HISTORY_SCHEMA))


_RAW_SCHEMA = {"product_id": pl.Int64, "location_id": pl.Int64, "channel_id": pl.Int64, "ds": pl.String,
               "y": pl.Float64, "stockout": pl.Int64, "promo": pl.Int64}


def _merge_sources(frame: pl.DataFrame) -> pl.DataFrame:
    """Add order-line days to the sell-through row of the same key; only colliding keys are grouped."""
    keys = ["product_id", "location_id", "channel_id", "ds"]
    from_orders = frame.filter(pl.col("from_orders") > 0)
    frame = frame.drop("from_orders")
    if from_orders.height == 0:
        return frame
    colliding = frame.join(from_orders.select(keys), on=keys, how="semi")
    merged = colliding.group_by(keys).agg(pl.col("y").sum(), pl.col("stockout").any(), pl.col("promo").any())
    return pl.concat([frame.join(from_orders.select(keys), on=keys, how="anti"), merged.select(frame.columns)])


def _fetch(session: Session, stmt: Any, *, day_rows: bool = False) -> pl.DataFrame:
    """Run the aggregation and hand its rows to polars without a Python object per value.

    Millions of rows (the large demo has 7.4 million sell-through days) through ORM rows and Decimal
    conversion take about a minute; PostgreSQL streams them as CSV through COPY and SQLite's cursor
    yields plain tuples, both into polars directly.
    """
    schema = {**_RAW_SCHEMA, **({"from_orders": pl.Int64} if day_rows else {})}
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    raw = connection.connection.dbapi_connection
    assert raw is not None
    if connection.dialect.name == "postgresql":
        # One big aggregation: JIT compilation costs seconds and the default 4 MB work_mem spills the
        # hash aggregate to disk; both settings last until the end of this transaction only.
        connection.exec_driver_sql("SET LOCAL jit = off")
        connection.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        buffer = bytearray()
        with raw.cursor() as cursor, cursor.copy(f"COPY ({compiled}) TO STDOUT (FORMAT CSV)",
                                                 compiled.params) as copy:
            for block in copy:
                buffer += block
        if not buffer:
            frame = pl.DataFrame(schema=schema)
        else:
            frame = pl.read_csv(bytes(buffer), has_header=False, new_columns=list(schema), schema_overrides=schema)
    else:
        positional = [compiled.params[name] for name in compiled.positiontup or []]
        cursor = raw.cursor()
        try:
            cursor.execute(str(compiled), [_sqlite_value(v) for v in positional])
            frame = pl.DataFrame(cursor.fetchall(), schema=schema, orient="row")
        finally:
            cursor.close()
    return frame.with_columns(pl.col("ds").str.to_date("%Y-%m-%d"), pl.col("stockout") > 0, pl.col("promo") > 0)


def _sqlite_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def channel_subtrees(session: Session) -> dict[int, set[int]]:
    """Each channel id -> itself and every channel below it (an event for ECOM covers its stores)."""
    parent = dict(session.execute(select(Channel.id, Channel.parent_id)).all())
    subtrees: dict[int, set[int]] = {c: {c} for c in parent}
    for channel in parent:
        up, seen = parent.get(channel), {channel}
        while up is not None and up not in seen:  # the tree is shallow; ``seen`` guards a bad cycle
            subtrees.setdefault(up, {up}).add(channel)
            seen.add(up)
            up = parent.get(up)
    return subtrees


def _promotion_periods(session: Session, frame: pl.DataFrame, grain: str) -> pl.DataFrame:
    """(channel_id, period start) pairs covered by a promotion event; events without a channel cover all."""
    first, last = frame["ds"].min(), frame["ds"].max()
    if grain != "day":  # a period starting on ``last`` may reach to the end of the month
        last = last + timedelta(days=31)
    rows = session.execute(
        select(RetailEvent.channel_id, RetailEvent.starts_on, RetailEvent.ends_on)
        .where(RetailEvent.kind == "promotion", RetailEvent.ends_on >= first, RetailEvent.starts_on <= last)
    ).all()
    if not rows:
        return pl.DataFrame(schema={"channel_id": pl.Int64, "ds": pl.Date, "event_promo": pl.Boolean})
    channels = set(frame["channel_id"].unique().to_list())
    below = channel_subtrees(session)
    pairs: set[tuple[int, date]] = set()
    for channel_id, starts_on, ends_on in rows:
        targets = channels if channel_id is None else channels & below.get(channel_id, {channel_id})
        day = starts_on
        while day <= ends_on:
            period = period_start(day, grain)
            for c in targets:
                pairs.add((c, period))
            day += timedelta(days=1)
    return pl.DataFrame({"channel_id": [p[0] for p in pairs], "ds": [p[1] for p in pairs],
                         "event_promo": [True] * len(pairs)},
                        schema={"channel_id": pl.Int64, "ds": pl.Date, "event_promo": pl.Boolean})


__all__ = ["GRAINS", "HISTORY_SCHEMA", "Grain", "load_history", "period_start"]
