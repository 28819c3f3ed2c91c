"""Use cases: detect channel conflicts and score channel / partner performance over a period."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize
from qudao.channelperf import queries
from qudao.channelperf.schemas import ConflictOut, ConflictReport, PerformanceReport, PerformanceRow
from qudao.common.actor import Actor
from qudao.engines import channels as engine
from qudao.errors import invalid

CONFLICT_KINDS = ("map", "territory", "cannibalisation")
MAX_DAYS = 731


EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


def _check_window(start: date, end: date) -> None:
    # Bounded so the prior period and the day after ``end`` stay representable dates.
    for name, day in (("start", start), ("end", end)):
        if not EARLIEST <= day <= LATEST:
            raise invalid(name, f"must lie between {EARLIEST} and {LATEST}")
    if end < start:
        raise invalid("end", "must not be before start")
    if (end - start).days > MAX_DAYS:
        raise invalid("end", f"the window may span at most {MAX_DAYS} days")


def detect_conflicts(session: Session, actor: Actor, *, start: date, end: date,
                     kinds: list[str] | None = None,
                     options: engine.CannibalisationOptions | None = None) -> ConflictReport:
    """Conflicts in orders placed (and sales made) from ``start`` to ``end`` inclusive. A partner user
    sees the MAP and territory conflicts of its own orders only; cannibalisation compares whole channels,
    so it is staff-only reading."""
    authorize(actor, "channels:read")
    _check_window(start, end)
    wanted = list(kinds or CONFLICT_KINDS)
    for kind in wanted:
        if kind not in CONFLICT_KINDS:
            raise invalid("kind", f"{kind!r} is not one of {', '.join(CONFLICT_KINDS)}")
    items: list[ConflictOut] = []
    if "map" in wanted:
        items += _map_conflicts(session, actor, start, end)
    if "territory" in wanted:
        items += _territory_conflicts(session, actor, start, end)
    if "cannibalisation" in wanted and not actor.is_partner:
        items += _cannibalisation(session, end, options or engine.CannibalisationOptions())
    counts = {kind: sum(1 for i in items if i.kind == kind) for kind in wanted}
    return ConflictReport(start=start, end=end, items=items, counts=counts)


def _map_conflicts(session: Session, actor: Actor, start: date, end: date) -> list[ConflictOut]:
    found = engine.map_violations(queries.order_lines(session, actor, start, end), queries.map_prices(session))
    if found.is_empty():
        return []
    skus = queries.sku_codes(session, set(found["product_id"]))
    chans = queries.channel_codes(session, set(found["channel_id"]))
    partners = queries.partner_codes(session, set(found["partner_id"]))
    out = []
    for r in found.iter_rows(named=True):
        out.append(ConflictOut(
            kind="map", channel_code=chans.get(r["channel_id"]), partner_code=partners.get(r["partner_id"]),
            sku=skus.get(r["product_id"]),
            summary=f"SO{r['order_id']:08d} line {r['line_no']}: {r['unit_price']:g} below MAP {r['min_price']:g}",
            evidence=[{"order": f"SO{r['order_id']:08d}", "order_id": r["order_id"], "line_no": r["line_no"],
                       "day": r["day"].isoformat(), "quantity": r["quantity"], "unit_price": r["unit_price"],
                       "min_price": r["min_price"], "shortfall": round(r["shortfall"], 4), "map_id": r["map_id"]}]))
    return out


def _territory_conflicts(session: Session, actor: Actor, start: date, end: date) -> list[ConflictOut]:
    found = engine.territory_violations(queries.orders_with_province(session, actor, start, end),
                                        queries.territories(session, actor))
    if found.is_empty():
        return []
    chans = queries.channel_codes(session, set(found["channel_id"]))
    partners = queries.partner_codes(session, set(found["partner_id"]))
    return [ConflictOut(
        kind="territory", channel_code=chans.get(r["channel_id"]), partner_code=partners.get(r["partner_id"]),
        sku=None, summary=f"SO{r['order_id']:08d} ships to {r['province']}, outside {', '.join(r['allowed'])}",
        evidence=[{"order": f"SO{r['order_id']:08d}", "order_id": r["order_id"], "ship_to": r["ship_to"],
                   "province": r["province"], "allowed": list(r["allowed"])}])
        for r in found.iter_rows(named=True)]


def _cannibalisation(session: Session, end: date, options: engine.CannibalisationOptions) -> list[ConflictOut]:
    # Whole weeks only: the recent window ends with the last full Monday-Sunday week up to ``end``.
    as_of_week = (end + timedelta(days=1)) - timedelta(days=(end + timedelta(days=1)).weekday())
    first = as_of_week - timedelta(weeks=options.recent_weeks + options.prior_weeks)
    daily = queries.daily_sales(session, first, as_of_week - timedelta(days=1))
    weekly = (daily.with_columns(pl.col("day").dt.truncate("1w").alias("week"))
              .group_by("product_id", "channel_id", "week").agg(pl.col("quantity").sum()))
    found = engine.cannibalisation(weekly, as_of_week, options)
    if found.is_empty():
        return []
    skus = queries.sku_codes(session, set(found["product_id"]))
    chans = queries.channel_codes(session, set(found["gaining_channel_id"]) | set(found["losing_channel_id"]))
    out = []
    for r in found.iter_rows(named=True):
        pair = {r["gaining_channel_id"], r["losing_channel_id"]}
        weeks = weekly.filter((pl.col("product_id") == r["product_id"]) & pl.col("channel_id").is_in(pair)).sort(
            "week", "channel_id")
        gain, loss = chans.get(r["gaining_channel_id"]), chans.get(r["losing_channel_id"])
        out.append(ConflictOut(
            kind="cannibalisation", channel_code=gain, partner_code=None, sku=skus.get(r["product_id"]),
            summary=(f"{gain} weekly sales {r['gain_prior']:g}→{r['gain_recent']:g} ({r['gain_change']:+.0%}) while "
                     f"{loss} {r['loss_prior']:g}→{r['loss_recent']:g} ({r['loss_change']:+.0%})"),
            evidence=[{"losing_channel": loss, "gain_prior": r["gain_prior"], "gain_recent": r["gain_recent"],
                       "loss_prior": r["loss_prior"], "loss_recent": r["loss_recent"]},
                      *({"week": w["week"].isoformat(), "channel": chans.get(w["channel_id"]),
                         "quantity": w["quantity"]} for w in weeks.iter_rows(named=True))]))
    return out


def channel_performance(session: Session, actor: Actor, *, by: str, start: date, end: date,
                        weights: Mapping[str, float] | None = None,
                        partner_id: int | None = None) -> PerformanceReport:
    """Sales, growth against the equally long period just before, margin, share, sell-through rate,
    fill rate, weighted score and monthly trend per channel or per partner (a partner user: its own)."""
    authorize(actor, "channels:read")
    if by not in ("channel", "partner"):
        raise invalid("by", "use channel or partner")
    _check_window(start, end)
    try:
        w = engine.validate_weights(weights if weights is not None else engine.DEFAULT_WEIGHTS)
    except engine.WeightsError as exc:
        raise invalid("weights", str(exc)) from exc
    prior_start = start - timedelta(days=(end - start).days + 1)
    orders = queries.order_figures(session, actor, by, prior_start, end, partner_id)
    current_orders = orders.filter(pl.col("day") >= start)
    prior = (orders.filter(pl.col("day") < start).group_by("key").agg(pl.col("revenue").sum()))
    sell_through = queries.sell_through_by_key(session, actor, by, start, end, partner_id)
    current = (current_orders.group_by("key").agg(
        pl.col("name").first(), pl.col("revenue").sum(),
        pl.when(pl.col("cost").null_count() > 0).then(None).otherwise(pl.col("cost").sum()).alias("cost"),
        pl.col("ordered_qty").sum(), pl.col("shipped_qty").sum())
        .join(sell_through, on="key", how="left")
        .with_columns(pl.col("sell_through_qty").fill_null(0.0), pl.col("shipped_qty").alias("sell_in_qty")))
    scored = engine.performance(current, prior, w)
    trend = engine.monthly_trend(current_orders.select("key", "day", "revenue"))
    items = []
    for r in scored.iter_rows(named=True):
        months = [{"month": t["month"].isoformat()[:7], "revenue": round(t["revenue"], 2)}
                  for t in trend.filter(pl.col("key") == r["key"]).iter_rows(named=True)]
        items.append(PerformanceRow(
            key=r["key"], name=r["name"] or "", revenue=r["revenue"], prior_revenue=r["prior_revenue"],
            growth=r["growth"], cost=r["cost"], margin=r["margin"], share=r["share"], sell_in_qty=r["sell_in_qty"],
            sell_through_qty=r["sell_through_qty"], sell_through_rate=r["sell_through_rate"],
            ordered_qty=r["ordered_qty"], shipped_qty=r["shipped_qty"], fill_rate=r["fill_rate"],
            components={c: round(r[f"{c}_score"], 4) for c in engine.SCORE_COMPONENTS},
            score=round(r["score"], 4), trend=months))
    return PerformanceReport(by=by, start=start, end=end, prior_start=prior_start, weights=w, items=items)


def parse_weights(raw: str | None) -> dict[str, Any] | None:
    """``growth=0.3,margin=0.2,...`` from a query string (the API's form of the weights)."""
    if not raw:
        return None
    weights: dict[str, Any] = {}
    for part in raw.split(","):
        name, sep, value = part.partition("=")
        try:
            weights[name.strip()] = float(value) if sep else float("nan")
        except ValueError:
            raise invalid("weights", f"{part!r} is not name=number") from None
        if weights[name.strip()] != weights[name.strip()]:
            raise invalid("weights", f"{part!r} is not name=number")
    return weights
