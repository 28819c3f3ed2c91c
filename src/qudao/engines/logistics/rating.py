"""Rating a consignment against carriers' rate cards, and choosing a service.

The tariff structure is the one most parcel and less-than-truckload tariffs share:

* **Chargeable weight** = max(actual kg, volumetric kg), volumetric kg = volume in cm³ / divisor
  (cm³ per kg; 6000 is the IATA air/express convention, road carriers often use 4000-5000).
* A **lane** (origin → destination, each a province, a zone of the rate card's zone table, or ``*``)
  prices either chargeable kg or m³ by **breaks**: the break with the largest ``min_quantity`` not above
  the quantity applies to the whole quantity ("all-units" breaks), charge = flat + unit price × quantity.
* The **minimum charge** (lane's, else the card's) floors that linehaul charge; the **fuel surcharge**
  is a percentage added on top of the floored linehaul.
* **Transit days** (lane's, else the service's) give the ETA = ship date + transit days (calendar days).

Choosing: ``cheapest`` takes the lowest total; ``promised_date`` takes the cheapest service arriving on
or before the promised date, or, when none can, the fastest (earliest ETA, then cheapest).
Money is rounded half-up to cents only at the end of each quote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from qudao.errors import FieldError, Invalid

ZERO = Decimal(0)
CENT = Decimal("0.01")
CM3_PER_M3 = Decimal(1_000_000)
WILDCARD = "*"


@dataclass(frozen=True)
class RateBreak:
    """From ``min_quantity`` (kg or m³) upward: ``flat`` + ``unit_price`` × quantity."""

    min_quantity: Decimal
    unit_price: Decimal
    flat: Decimal = ZERO


@dataclass(frozen=True)
class Lane:
    origin: str
    destination: str
    breaks: tuple[RateBreak, ...]
    basis: str = "kg"  # kg (chargeable weight) | m3 (volume)
    min_charge: Decimal | None = None
    transit_days: int | None = None


@dataclass(frozen=True)
class ServiceRates:
    """One carrier service with its rate card (``zones``: province -> zone code of that card)."""

    service_code: str
    carrier_code: str
    lanes: tuple[Lane, ...]
    level: str = "standard"
    mode: str = "road"
    volume_divisor: Decimal = Decimal(6000)
    fuel_surcharge_pct: Decimal = ZERO
    min_charge: Decimal = ZERO
    transit_days: int = 1
    currency: str = "CNY"
    zones: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Consignment:
    origin: str  # province
    destination: str  # province
    weight_kg: Decimal
    volume_m3: Decimal
    ship_date: date
    promised_date: date | None = None


@dataclass(frozen=True)
class Quote:
    service_code: str
    carrier_code: str
    level: str
    mode: str
    currency: str
    actual_weight: Decimal
    volumetric_weight: Decimal
    chargeable_weight: Decimal
    basis: str
    billed_quantity: Decimal
    linehaul: Decimal
    minimum_applied: bool
    fuel_surcharge: Decimal
    total: Decimal
    transit_days: int
    eta: date
    on_time: bool | None
    lane: str


@dataclass
class RatingResult:
    quotes: list[Quote]  # cheapest first
    chosen: Quote | None
    rule: str  # cheapest | in_time | fastest | none
    unrated: list[tuple[str, str]] = field(default_factory=list)  # (service code, why not)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def chargeable_weight(weight_kg: Decimal, volume_m3: Decimal, divisor: Decimal) -> tuple[Decimal, Decimal]:
    """(volumetric kg, chargeable kg): volumetric = m³ × 1,000,000 / divisor; chargeable = the larger."""
    if divisor <= 0:
        raise Invalid("the volume divisor is not valid", [FieldError("volume_divisor", "must be positive")])
    volumetric = volume_m3 * CM3_PER_M3 / divisor
    return volumetric, max(weight_kg, volumetric)


def _specificity(key: str, province: str, zone: str | None) -> int | None:
    if key == province:
        return 2
    if zone is not None and key == zone:
        return 1
    if key == WILDCARD:
        return 0
    return None


def find_lane(service: ServiceRates, origin: str, destination: str) -> Lane | None:
    """The most specific lane matching origin and destination (province beats zone beats ``*``)."""
    best: tuple[int, Lane] | None = None
    origin_zone, destination_zone = service.zones.get(origin), service.zones.get(destination)
    for lane in service.lanes:
        o = _specificity(lane.origin, origin, origin_zone)
        d = _specificity(lane.destination, destination, destination_zone)
        if o is None or d is None:
            continue
        if best is None or o + d > best[0]:
            best = (o + d, lane)
    return best[1] if best else None


def _break_for(breaks: Sequence[RateBreak], quantity: Decimal) -> RateBreak:
    ordered = sorted(breaks, key=lambda b: b.min_quantity)
    chosen = ordered[0]
    for item in ordered:
        if item.min_quantity <= quantity:
            chosen = item
    return chosen


def rate_service(service: ServiceRates, consignment: Consignment) -> Quote | str:
    """The quote of one service, or the reason it cannot carry the consignment."""
    lane = find_lane(service, consignment.origin, consignment.destination)
    if lane is None:
        return f"no lane from {consignment.origin} to {consignment.destination} on its rate card"
    if not lane.breaks:
        return f"lane {lane.origin}->{lane.destination} has no rate breaks"
    volumetric, chargeable = chargeable_weight(consignment.weight_kg, consignment.volume_m3, service.volume_divisor)
    quantity = chargeable if lane.basis == "kg" else consignment.volume_m3
    rate = _break_for(lane.breaks, quantity)
    raw = rate.flat + rate.unit_price * quantity
    minimum = lane.min_charge if lane.min_charge is not None else service.min_charge
    linehaul = max(raw, minimum)
    fuel = linehaul * service.fuel_surcharge_pct / 100
    days = lane.transit_days if lane.transit_days is not None else service.transit_days
    eta = consignment.ship_date + timedelta(days=days)
    on_time = None if consignment.promised_date is None else eta <= consignment.promised_date
    return Quote(service.service_code, service.carrier_code, service.level, service.mode, service.currency,
                 consignment.weight_kg, volumetric, chargeable, lane.basis, quantity, _money(linehaul),
                 raw < minimum, _money(fuel), _money(linehaul) + _money(fuel), days, eta, on_time,
                 f"{lane.origin}->{lane.destination}")


def rate_all(services: Iterable[ServiceRates], consignment: Consignment) -> tuple[list[Quote], list[tuple[str, str]]]:
    """Quotes of every service that can carry the consignment (cheapest first) and why the others cannot."""
    if consignment.weight_kg < 0 or consignment.volume_m3 < 0:
        raise Invalid("weight and volume must not be negative",
                      [FieldError("weight_kg" if consignment.weight_kg < 0 else "volume_m3", "must not be negative")])
    quotes: list[Quote] = []
    unrated: list[tuple[str, str]] = []
    for service in services:
        result = rate_service(service, consignment)
        if isinstance(result, str):
            unrated.append((service.service_code, result))
        else:
            quotes.append(result)
    quotes.sort(key=lambda q: (q.total, q.eta, q.service_code))
    return quotes, unrated


def choose(quotes: Sequence[Quote], rule: str = "cheapest") -> tuple[Quote | None, str]:
    """Pick a quote by ``cheapest`` or by ``promised_date`` (cheapest in time, else fastest)."""
    if not quotes:
        return None, "none"
    if rule == "cheapest":
        return min(quotes, key=lambda q: (q.total, q.eta, q.service_code)), "cheapest"
    if rule != "promised_date":
        raise Invalid("unknown choice rule", [FieldError("choose_by", "use cheapest or promised_date")])
    in_time = [q for q in quotes if q.on_time is not False]
    if in_time:
        return min(in_time, key=lambda q: (q.total, q.eta, q.service_code)), "in_time"
    return min(quotes, key=lambda q: (q.eta, q.total, q.service_code)), "fastest"


def rate(services: Iterable[ServiceRates], consignment: Consignment, rule: str = "cheapest") -> RatingResult:
    quotes, unrated = rate_all(services, consignment)
    chosen, how = choose(quotes, rule)
    return RatingResult(quotes, chosen, how, unrated)
