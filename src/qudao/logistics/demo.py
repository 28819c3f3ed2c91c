"""Logistics master data for the demo network: each logistics provider sells an express (air) and a
standard (road) service, the cold-chain one an LTL service priced per m³; rate cards price moves inside a
province and between provinces by weight breaks; every distribution centre gets a few delivery vans.
Prices are illustrative (in the range of Chinese domestic express and LTL tariffs), not any carrier's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.common.actor import Actor
from qudao.locations.models import Location
from qudao.logistics import carriers, routes
from qudao.logistics.schemas import RateCardIn, ServiceIn, VehicleIn
from qudao.partners.models import Partner, PartnerRoleAssignment

D = Decimal
VANS_PER_DC = 4


def _card(code: str, service: str, provinces: list[str], factor: Decimal, kind: str) -> RateCardIn:
    """Intra-province lanes (cheaper, faster) and one lane for any other move."""
    if kind == "express":
        local = [(0, "2.0", "10"), (5, "1.6", "10")]
        far = [(0, "4.5", "14"), (10, "3.8", "14")]
        days, minimum, fuel, basis = (1, 2), "18", "8", "kg"
    elif kind == "standard":
        local = [(0, "0.9", "8")]
        far = [(0, "1.6", "10"), (30, "1.2", "10")]
        days, minimum, fuel, basis = (2, 4), "12", "5", "kg"
    else:  # ltl, per m³
        local = [(0, "180", "0"), (2, "150", "0")]
        far = [(0, "320", "0"), (2, "260", "0")]
        days, minimum, fuel, basis = (2, 5), "80", "6", "m3"

    def breaks(rows: list[tuple[int, str, str]]) -> list[dict[str, str]]:
        return [{"min_quantity": str(m), "unit_price": str((D(p) * factor).quantize(D("0.01"))), "flat_charge": f}
                for m, p, f in rows]

    lanes = [{"origin": p, "destination": p, "basis": basis, "transit_days": days[0], "breaks": breaks(local)}
             for p in provinces]
    lanes.append({"origin": "*", "destination": "*", "basis": basis, "transit_days": days[1], "breaks": breaks(far)})
    return RateCardIn.model_validate({"code": code, "service_code": service, "min_charge": minimum,
                                      "fuel_surcharge_pct": fuel, "valid_from": date(2020, 1, 1).isoformat(),
                                      "lanes": lanes})


def seed_demo_logistics(session: Session, actor: Actor) -> dict[str, int]:
    carrier_codes = list(session.scalars(
        select(Partner.code).join(PartnerRoleAssignment, PartnerRoleAssignment.partner_id == Partner.id)
        .where(PartnerRoleAssignment.role == carriers.CARRIER_ROLE).order_by(Partner.code)))
    provinces = sorted(p for p in session.scalars(select(Location.province).distinct()) if p)
    services = cards = vans = 0
    for n, code in enumerate(carrier_codes):
        factor = D(1) + D(n) * D("0.07")
        offer = [("EXP", "express", "air", 1, D(6000)), ("STD", "standard", "road", 3, D(5000))]
        if "cold" in code.lower() or n == 2:
            offer.append(("LTL", "ltl", "road", 3, D(3000)))
        for suffix, level, mode, days, divisor in offer:
            service_code = f"{code}-{suffix}"
            carriers.create_service(session, actor, ServiceIn(code=service_code, carrier_code=code,
                                                              name=f"{code} {level}", level=level, mode=mode,
                                                              transit_days=days, volume_divisor=divisor))
            carriers.create_rate_card(session, actor, _card(f"{service_code}-2020", service_code, provinces, factor,
                                                            level if level != "ltl" else "ltl"))
            services, cards = services + 1, cards + 1
    depots = session.scalars(select(Location.code).where(Location.kind == "distribution_centre",
                                                         Location.latitude.is_not(None)).order_by(Location.code))
    for depot in depots:
        for v in range(1, VANS_PER_DC + 1):
            routes.create_vehicle(session, actor, VehicleIn(code=f"{depot}-VAN{v}", depot_code=depot,
                                                            capacity_weight_kg=D(1000), capacity_volume_m3=D(8)))
            vans += 1
    return {"carrier_services": services, "rate_cards": cards, "vehicles": vans}
