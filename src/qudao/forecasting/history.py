"""The demand history a run forecasts from: one load from the demand area, made ready by the engine's rules.

Series are keyed ``"<product_id>-<location_id>-<channel_id>"`` for the engine and split back when values are
written. Stockout handling, complete days and whole periods follow ``qudao.engines.forecast.prepare``.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from sqlalchemy.orm import Session

from qudao.common.actor import Actor
from qudao.demand.history import load_history
from qudao.engines.forecast.prepare import prepare_history

# History used by default, counted back from the history end: what the engine fits on at each grain.
DEFAULT_WINDOW_DAYS = {"day": 2 * 365, "week": 3 * 365, "month": 5 * 365}
SERIES_KEY = pl.format("{}-{}-{}", "product_id", "location_id", "channel_id").alias("series")


def load_daily(session: Session, actor: Actor, *, start: date | None, end: date | None,
               product_ids: list[int] | None, location_ids: list[int] | None,
               channel_ids: list[int] | None) -> pl.DataFrame:
    """Daily facts ``series, product_id, location_id, channel_id, ds, y, stockout`` in one query."""
    facts = load_history(session, actor, start=start, end=end, grain="day", product_ids=product_ids,
                         location_ids=location_ids, channel_ids=channel_ids)
    return facts.with_columns(SERIES_KEY).select("series", "product_id", "location_id", "channel_id", "ds", "y",
                                                 "stockout")


def series_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """``series -> product_id, location_id, channel_id`` for the series in a frame."""
    parts = frame.select("series").unique().with_columns(
        pl.col("series").str.split_exact("-", 2).struct.rename_fields(["product_id", "location_id", "channel_id"])
        .alias("ids")).unnest("ids")
    return parts.with_columns(pl.col("product_id", "location_id", "channel_id").cast(pl.Int64))


def history_for_run(facts: pl.DataFrame, grain: str, start: date | None, end: date | None
                    ) -> tuple[pl.DataFrame, date, date, int]:
    """The run's frame (``series, ds, y, stockout`` per period), its first and last day, stockout days unconstrained.

    ``end`` defaults to the latest day with data, ``start`` to the grain's default window before it.
    """
    last = end or facts["ds"].max()
    # Never earlier than the first day with data, so the run shows the history it really had.
    first = max(start or (last - timedelta(days=DEFAULT_WINDOW_DAYS[grain] - 1)), facts["ds"].min())
    periods, imputed = prepare_history(facts.select("series", "ds", "y", "stockout"), grain, first, last)
    return periods, first, last, imputed
