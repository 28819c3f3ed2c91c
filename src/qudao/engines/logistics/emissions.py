"""Freight emissions: CO2e = distance (km) × weight (tonnes) × mode factor (kg CO2e per tonne-km).

Default factors, kg CO2e per tonne-km, and where each comes from (every value can be replaced per
carrier service with the carrier's own or a newer published factor; ``co2e_factor`` on the service):

* road 0.14993 — UK Defra/DECC, *2012 Guidelines to Defra/DECC's GHG Conversion Factors for Company
  Reporting*, Annex 7 "Freight Transport Conversion Tables", Table 7e, "ALL HGVs UK average" (57 % laden),
  grand total GHG (direct 0.12366 + indirect 0.02627).
* rail 0.03, air 1.58 (short haul), sea 0.06 (small roll-on/roll-off) — Defra company-reporting
  guidelines as quoted in the UK House of Commons written answer "Freight Transport", Hansard,
  4 June 2007 (CO2 only, tank-to-wheel).

These are older than the current DESNZ (2024/2025) and GLEC Framework v3 tables; they are shipped as
named, traceable defaults, not as the latest figures — set current factors on the services for reporting.

Distance: great circle (haversine) times a mode factor for the route being longer than the straight
line — 1.3 for road and rail (R. H. Ballou et al., *Transportation Research Part A* 36(9), 2002, circuity
1.2-1.4), 1.0 for air plus 95 km for approach and holding (the GLEC Framework's great-circle-distance
adjustment for air), 1.3 for coastal sea routes (an assumption: no port-to-port sailing table here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from qudao.errors import FieldError, Invalid

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class EmissionFactor:
    mode: str
    kg_co2e_per_tkm: Decimal
    source: str


DEFAULT_FACTORS: dict[str, EmissionFactor] = {
    "road": EmissionFactor("road", Decimal("0.14993"),
                           "Defra/DECC 2012 GHG conversion factors, Annex 7 Table 7e, all HGVs UK average"),
    "rail": EmissionFactor("rail", Decimal("0.03"), "Defra freight factors (rail) per Hansard, 4 June 2007"),
    "air": EmissionFactor("air", Decimal("1.58"), "Defra freight factors (air, short haul) per Hansard, 4 June 2007"),
    "sea": EmissionFactor("sea", Decimal("0.06"),
                          "Defra freight factors (small ro-ro ship) per Hansard, 4 June 2007"),
}

#: (multiplier on the great-circle distance, kilometres added) per mode.
DISTANCE_FACTORS: dict[str, tuple[float, float]] = {
    "road": (1.3, 0.0),
    "rail": (1.3, 0.0),
    "air": (1.0, 95.0),
    "sea": (1.3, 0.0),
}


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in km on the mean Earth radius (R. W. Sinnott, *Sky and Telescope* 68(2), 1984)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def transport_distance_km(lat1: float, lon1: float, lat2: float, lon2: float, mode: str = "road") -> Decimal:
    """Estimated distance travelled by ``mode`` between two points, to 0.1 km."""
    if mode not in DISTANCE_FACTORS:
        raise Invalid("unknown transport mode", [FieldError("mode", f"use one of {', '.join(DISTANCE_FACTORS)}")])
    multiplier, added = DISTANCE_FACTORS[mode]
    km = great_circle_km(lat1, lon1, lat2, lon2) * multiplier + added
    return Decimal(str(km)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def co2e_kg(distance_km: Decimal, weight_kg: Decimal, mode: str = "road",
            factor: Decimal | None = None) -> Decimal:
    """kg CO2e = km × (kg / 1000) × factor; the mode's default factor when none is given (to 0.001 kg)."""
    if distance_km < 0 or weight_kg < 0:
        raise Invalid("distance and weight must not be negative",
                      [FieldError("distance_km" if distance_km < 0 else "weight_kg", "must not be negative")])
    if factor is None:
        if mode not in DEFAULT_FACTORS:
            raise Invalid("unknown transport mode", [FieldError("mode", f"use one of {', '.join(DEFAULT_FACTORS)}")])
        factor = DEFAULT_FACTORS[mode].kg_co2e_per_tkm
    tonne_km = distance_km * weight_kg / Decimal(1000)
    return (tonne_km * factor).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
