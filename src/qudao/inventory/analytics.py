"""Stock analytics: ABC by consumption value, XYZ by demand variability, turnover, days of supply, aging,
dead and excess stock, below-reorder-point alerts — per SKU x location and summed per location, category
or channel (the channel a location serves).

One query per kind of data (balances, issues in the window, open cost layers); the classes come from the
pure engine ``qudao.engines.classify``. Consumption is the 'issue' rows of the ledger in the window.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize, partner_filter
from qudao.catalog.models import Category, Product
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.db import utcnow
from qudao.engines.classify import abc_classes, xyz_classes
from qudao.errors import invalid
from qudao.inventory.models import MovementType, StockBalance, StockMovement, ValuationLayer
from qudao.inventory.schemas import HealthGroup, HealthOut, HealthRow
from qudao.locations.models import Location

ZERO = Decimal(0)
GROUPS = ("location", "category", "channel")


def stock_health(session: Session, actor: Actor, *, window_days: int = 90, lead_time_days: int = 14,
                 excess_days: int = 180, group_by: str = "location", location: str | None = None,
                 category: str | None = None) -> HealthOut:
    """Health of every stocked SKU x location over the last ``window_days``.

    days of supply = available / average daily demand; turnover = annualised cost of goods / value on hand;
    age = quantity-weighted age of the open FIFO layers; dead = stock with no issue in the window; excess =
    more than ``excess_days`` of supply; below reorder point = available + on order + in transit below
    demand over ``lead_time_days``.
    """
    authorize(actor, "inventory:read")
    if group_by not in GROUPS:
        raise invalid("group_by", f"use one of {', '.join(GROUPS)}")
    if not 7 <= window_days <= 3660:
        raise invalid("window_days", "must be between 7 and 3660")
    if lead_time_days < 0 or excess_days <= 0:
        raise invalid("lead_time_days", "lead time must be >= 0 and excess days > 0")
    now = utcnow()
    start = now - timedelta(days=window_days)
    stmt = (select(StockBalance.product_id, StockBalance.location_id, Product.sku, Location.code.label("loc"),
                   func.coalesce(Category.code, "(none)").label("cat"),
                   func.coalesce(Channel.code, "(none)").label("ch"),
                   StockBalance.on_hand, StockBalance.reserved, StockBalance.expired, StockBalance.in_transit,
                   StockBalance.on_order, StockBalance.value)
            .join(Product, Product.id == StockBalance.product_id)
            .join(Location, Location.id == StockBalance.location_id)
            .outerjoin(Category, Category.id == Product.category_id)
            .outerjoin(Channel, Channel.id == Location.channel_id)
            .where(partner_filter(actor, Location.owner_partner_id))
            .order_by(Product.sku, Location.code))
    if location:
        stmt = stmt.where(Location.code == location)
    if category:
        root = session.scalar(select(Category.path).where(Category.code == category))
        if root is None:
            raise invalid("category", f"no category with code {category!r}")
        stmt = stmt.where(Category.path.startswith(root))
    balances = session.execute(stmt).all()
    keys = [(b.product_id, b.location_id) for b in balances]
    key_index = {k: i for i, k in enumerate(keys)}
    n_weeks = math.ceil(window_days / 7)
    weekly = np.zeros((len(keys), n_weeks))
    issued = [ZERO] * len(keys)
    cogs = [ZERO] * len(keys)
    if keys:
        product_ids = sorted({k[0] for k in keys})
        issues = session.execute(
            select(StockMovement.product_id, StockMovement.location_id, StockMovement.at, StockMovement.quantity,
                   StockMovement.value_delta)
            .where(StockMovement.movement_type == MovementType.issue, StockMovement.at > start,
                   StockMovement.at <= now, StockMovement.product_id.in_(product_ids)))
        for r in issues:
            i = key_index.get((r.product_id, r.location_id))
            if i is None:
                continue
            issued[i] += r.quantity
            cogs[i] -= r.value_delta
            week = min(int((now - r.at).total_seconds() // (7 * 86400)), n_weeks - 1)
            weekly[i, n_weeks - 1 - week] += float(r.quantity)
    ages = _layer_ages(session, keys, now)
    abc = abc_classes([float(c) for c in cogs]) if keys else np.array([])
    xyz = xyz_classes(weekly) if keys else np.array([])
    rows: list[HealthRow] = []
    for i, b in enumerate(balances):
        if b.on_hand == 0 and issued[i] == 0 and b.on_order == 0 and b.in_transit == 0:
            continue
        available = max(b.on_hand - b.reserved - b.expired, ZERO)
        daily = float(issued[i]) / window_days
        dos = float(available) / daily if daily > 0 else None
        turnover = float(cogs[i]) * 365 / window_days / float(b.value) if b.value > 0 else None
        rows.append(HealthRow(
            sku=b.sku, location_code=b.loc, category=b.cat, channel=b.ch, on_hand=b.on_hand, available=available,
            value=b.value, issued=issued[i], cost_of_goods=cogs[i], average_daily_demand=round(daily, 4),
            days_of_supply=None if dos is None else round(dos, 1),
            turnover=None if turnover is None else round(turnover, 2), age_days=ages.get(keys[i]),
            abc=str(abc[i]), xyz=str(xyz[i]), dead=b.on_hand > 0 and issued[i] == 0,
            excess=dos is not None and dos > excess_days,
            below_reorder_point=daily > 0 and float(available + b.on_order + b.in_transit) < daily * lead_time_days,
        ))
    return HealthOut(as_of=now, window_days=window_days, group_by=group_by, groups=_groups(rows, group_by,
                                                                                          window_days), rows=rows)


def _layer_ages(session: Session, keys: list[tuple[int, int]], now: Any) -> dict[tuple[int, int], float]:
    """Quantity-weighted age in days of the stock still in open FIFO layers."""
    if not keys:
        return {}
    wanted = set(keys)
    totals: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0.0, 0.0])
    layers = session.execute(
        select(ValuationLayer.product_id, ValuationLayer.location_id, ValuationLayer.at, ValuationLayer.remaining)
        .where(ValuationLayer.remaining > 0, ValuationLayer.product_id.in_(sorted({k[0] for k in keys}))))
    for r in layers:
        key = (r.product_id, r.location_id)
        if key in wanted:
            qty = float(r.remaining)
            totals[key][0] += qty * (now - r.at).total_seconds() / 86400
            totals[key][1] += qty
    return {k: round(t[0] / t[1], 1) for k, t in totals.items() if t[1] > 0}


def _groups(rows: list[HealthRow], group_by: str, window_days: int) -> list[HealthGroup]:
    attr = {"location": "location_code", "category": "category", "channel": "channel"}[group_by]
    buckets: dict[str, list[HealthRow]] = defaultdict(list)
    for row in rows:
        buckets[getattr(row, attr)].append(row)
    out = []
    for name in sorted(buckets):
        items = buckets[name]
        value = sum((r.value for r in items), ZERO)
        cost = sum((r.cost_of_goods for r in items), ZERO)
        out.append(HealthGroup(
            group=name, items=len(items), value=value, cost_of_goods=cost,
            turnover=round(float(cost) * 365 / window_days / float(value), 2) if value > 0 else None,
            a_items=sum(r.abc == "A" for r in items), b_items=sum(r.abc == "B" for r in items),
            c_items=sum(r.abc == "C" for r in items),
            dead_value=sum((r.value for r in items if r.dead), ZERO),
            excess_value=sum((r.value for r in items if r.excess), ZERO),
            below_reorder_point=sum(r.below_reorder_point for r in items)))
    return out
