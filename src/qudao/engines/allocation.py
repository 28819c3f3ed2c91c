"""Order priority and ship-from allocation (available-to-promise), as pure functions.

Two questions are answered here, with no database in sight:

* **Which order goes first?** ``priority_score`` adds up weighted factors from configurable rules
  (manual rush, customer tier, channel, closeness of the promised date, order age); ``rank_orders``
  sorts by score, then by age (first come, first served), then by id, so the order is total and stable.
* **Where does each line ship from?** ``plan_allocation`` walks the orders in rank order and, for each
  line, ranks the candidate locations by rule — ``nearest`` (great-circle distance from the ship-to,
  haversine) or ``priority`` (the location's own priority number, lower first) — then takes the stock:
  from one location, or split across several when the customer allows it. Whatever cannot be covered
  is backordered. Stock is drawn down as it is promised, so two lines never count the same unit.

Sources: the haversine formula as given by R. W. Sinnott, "Virtues of the Haversine", *Sky and
Telescope* 68(2), 1984, p. 159; mean Earth radius 6371.0088 km (IUGG, H. Moritz, "Geodetic Reference
System 1980", *Bulletin Géodésique* 54, 1980). Allocation by ranked sources with partial fill and
backorder follows the available-to-promise logic of Vollmann, Berry, Whybark & Jacobs, *Manufacturing
Planning and Control for Supply Chain Management*, 5th ed., ch. 3 (ATP and order promising).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

EARTH_RADIUS_KM = 6371.0088
ZERO = Decimal(0)


class RuleKind(StrEnum):
    rush = "rush"
    tier = "tier"
    channel = "channel"
    promised_date = "promised_date"
    order_age = "order_age"


class ShipFromRule(StrEnum):
    nearest = "nearest"
    priority = "priority"


@dataclass(frozen=True)
class PriorityRule:
    """One weighted factor. ``scores`` maps a tier or a channel id (as text) to a factor for the
    ``tier`` and ``channel`` kinds; ``horizon_days`` scales the date-based kinds to 0..1."""

    kind: RuleKind
    weight: float
    scores: Mapping[str, float] = field(default_factory=dict)
    horizon_days: float = 30.0


DEFAULT_RULES: tuple[PriorityRule, ...] = (
    PriorityRule(RuleKind.rush, 1000.0),
    PriorityRule(RuleKind.tier, 10.0, {"A": 3.0, "B": 2.0, "C": 1.0}),
    PriorityRule(RuleKind.promised_date, 20.0, horizon_days=30.0),
    PriorityRule(RuleKind.order_age, 5.0, horizon_days=30.0),
)


@dataclass(frozen=True)
class OrderFacts:
    """What the priority rules look at for one order."""

    order_id: int
    created_at: datetime
    tier: str = "B"
    channel_id: int | None = None
    promised_date: date | None = None
    rush: bool = False


def priority_score(order: OrderFacts, rules: Sequence[PriorityRule], now: datetime) -> float:
    """Sum of ``weight * factor`` over the rules.

    Factors: rush 1 or 0; tier and channel from the rule's score table (0 when absent); promised date
    ``(horizon - days_left) / horizon`` clipped to 0..1 (1 when due today or late, 0 when no date or
    at least a horizon away); order age ``age_days / horizon`` clipped to 0..1.
    """
    total = 0.0
    for rule in rules:
        if rule.kind == RuleKind.rush:
            factor = 1.0 if order.rush else 0.0
        elif rule.kind == RuleKind.tier:
            factor = float(rule.scores.get(order.tier, 0.0))
        elif rule.kind == RuleKind.channel:
            factor = float(rule.scores.get(str(order.channel_id), 0.0)) if order.channel_id is not None else 0.0
        elif rule.kind == RuleKind.promised_date:
            if order.promised_date is None:
                factor = 0.0
            else:
                days_left = (order.promised_date - now.date()).days
                factor = _clip((rule.horizon_days - days_left) / rule.horizon_days)
        else:  # order_age
            age_days = (now - order.created_at).total_seconds() / 86400.0
            factor = _clip(age_days / rule.horizon_days)
        total += rule.weight * factor
    return total


def rank_orders(orders: Iterable[OrderFacts], rules: Sequence[PriorityRule], now: datetime) -> list[int]:
    """Order ids, highest priority first; ties go to the older order, then the lower id."""
    scored = [(-priority_score(o, rules, now), o.created_at, o.order_id) for o in orders]
    scored.sort()
    return [order_id for _, _, order_id in scored]


def _clip(value: float) -> float:
    return 0.0 if value < 0 else 1.0 if value > 1 else value


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (Sinnott 1984, p. 159):
    ``d = 2R asin(sqrt(sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2)))``."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlam = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Site:
    """A ship-from candidate."""

    location_id: int
    priority: int = 100
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class LineDemand:
    line_id: int
    order_id: int
    product_id: int
    quantity: Decimal


@dataclass(frozen=True)
class OrderDemand:
    """An order to allocate: its lines, where it goes, and whether it may ship from several places.
    ``pinned_location_id`` restricts every line to one location (an order already shipping from there)."""

    order_id: int
    lines: Sequence[LineDemand]
    ship_to_lat: float | None = None
    ship_to_lon: float | None = None
    allow_split: bool = False
    pinned_location_id: int | None = None
    rule: ShipFromRule | None = None  # overrides the plan's default rule for this order


@dataclass(frozen=True)
class AllocationPick:
    line_id: int
    order_id: int
    product_id: int
    location_id: int
    quantity: Decimal


@dataclass
class AllocationPlan:
    picks: list[AllocationPick]
    backorder: dict[int, Decimal]  # line id -> quantity left unallocated

    def allocated(self, line_id: int) -> Decimal:
        return sum((p.quantity for p in self.picks if p.line_id == line_id), ZERO)


def rank_sites(sites: Sequence[Site], rule: ShipFromRule, lat: float | None, lon: float | None) -> list[Site]:
    """Candidate locations in the order the rule prefers them.

    ``nearest``: by distance from the ship-to (sites without coordinates, or a ship-to without them,
    count as infinitely far), then by location priority, then id. ``priority``: by location priority
    (lower first), then distance, then id.
    """

    def distance(site: Site) -> float:
        if lat is None or lon is None or site.latitude is None or site.longitude is None:
            return math.inf
        return haversine_km(lat, lon, site.latitude, site.longitude)

    if rule == ShipFromRule.nearest:
        return sorted(sites, key=lambda s: (distance(s), s.priority, s.location_id))
    return sorted(sites, key=lambda s: (s.priority, distance(s), s.location_id))


def plan_allocation(
    orders: Sequence[OrderDemand],
    available: Mapping[tuple[int, int], Decimal],
    sites: Sequence[Site],
    rule: ShipFromRule = ShipFromRule.nearest,
) -> AllocationPlan:
    """Allocate ``orders`` (already in priority order) against ``available[(product_id, location_id)]``.

    Without split, an order ships from one location: the first ranked location that can cover every
    line in full; when none can, the location covering the most of the order's quantity (ties to the
    better-ranked one) takes what it has and the rest is backordered. With split, each line takes from
    the ranked locations in turn until it is covered. ``available`` is not modified.
    """
    stock: dict[tuple[int, int], Decimal] = {k: v for k, v in available.items() if v > 0}
    picks: list[AllocationPick] = []
    backorder: dict[int, Decimal] = {}
    for order in orders:
        candidates = sites
        if order.pinned_location_id is not None:
            candidates = [s for s in sites if s.location_id == order.pinned_location_id]
        ranked = rank_sites(candidates, order.rule or rule, order.ship_to_lat, order.ship_to_lon)
        if order.allow_split:
            for line in order.lines:
                remaining = line.quantity
                for site in ranked:
                    if remaining <= 0:
                        break
                    take = min(remaining, stock.get((line.product_id, site.location_id), ZERO))
                    if take > 0:
                        _take(stock, picks, line, site.location_id, take)
                        remaining -= take
                if remaining > 0:
                    backorder[line.line_id] = remaining
            continue
        site = _single_site(order, ranked, stock)
        for line in order.lines:
            take = ZERO
            if site is not None:
                take = min(line.quantity, stock.get((line.product_id, site.location_id), ZERO))
                if take > 0:
                    _take(stock, picks, line, site.location_id, take)
            if line.quantity - take > 0:
                backorder[line.line_id] = line.quantity - take
    return AllocationPlan(picks=picks, backorder=backorder)


def _single_site(order: OrderDemand, ranked: Sequence[Site], stock: Mapping[tuple[int, int], Decimal]) -> Site | None:
    best: Site | None = None
    best_cover = ZERO
    for site in ranked:
        cover = sum((min(line.quantity, stock.get((line.product_id, site.location_id), ZERO))
                     for line in order.lines), ZERO)
        if cover == sum((line.quantity for line in order.lines), ZERO):
            return site
        if cover > best_cover:
            best, best_cover = site, cover
    return best


def _take(stock: dict[tuple[int, int], Decimal], picks: list[AllocationPick], line: LineDemand,
          location_id: int, quantity: Decimal) -> None:
    stock[(line.product_id, location_id)] -= quantity
    picks.append(AllocationPick(line.line_id, line.order_id, line.product_id, location_id, quantity))
