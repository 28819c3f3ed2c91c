"""Pure programme rules: points for an amount, FIFO expiry of credits, tier by rolling points.

FIFO: debits (redemptions, expiries, negative adjustments) consume credits oldest first. Credits are taken in
the order they expire (then by accrual date and id); with one expiry period per programme that is the
accrual order, and it keeps the expired credits a prefix even if the period was changed later, so the points
still open in expired credits are simply ``max(0, credits expired so far - all debits)``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter: 31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def points_for_amount(amount: Decimal, points_per_unit: Decimal) -> int:
    """Whole points earned on an amount, rounded down (no points for negative amounts)."""
    if amount <= 0:
        return 0
    return int((amount * points_per_unit).to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True)
class Credit:
    points: int
    booked_on: date
    expires_on: date
    entry_id: int


def points_to_expire(credits: Iterable[Credit], debits: int, as_of: date) -> int:
    """Points still open in credits whose expiry date is on or before ``as_of`` (``debits`` >= 0, all debits)."""
    ordered = sorted(credits, key=lambda c: (c.expires_on, c.booked_on, c.entry_id))
    expired_total = sum(c.points for c in ordered if c.expires_on <= as_of)
    return max(0, expired_total - debits)


def tier_for(rolling_points: int, tiers: Sequence[dict[str, Any]], base_tier: str) -> str:
    """The highest tier whose threshold the rolling 12-month points reach (``base_tier`` below all)."""
    tier = base_tier
    for rule in sorted(tiers, key=lambda t: int(t["min_points"])):
        if rolling_points >= int(rule["min_points"]):
            tier = str(rule["code"])
    return tier


def rolling_window_start(as_of: date) -> date:
    """First day of the rolling 12 months ending on ``as_of`` (inclusive): the day after as_of - 12 months."""
    return date.fromordinal(add_months(as_of, -12).toordinal() + 1)
