"""A small logistics world for the logistics tests: two carriers with services and rate cards, a DC in
Shanghai, customers in Zhejiang and Guangdong, a product of known weight, and helpers that book an order,
pick and pack it, and give its shipment a freight record."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from qudao.common.actor import SYSTEM
from qudao.logistics import carriers
from qudao.logistics import service as logistics
from qudao.logistics.schemas import FreightIn, RateCardIn, ServiceIn
from qudao.orders import fulfilment
from qudao.orders.schemas import ShipmentCreate
from tests import factories

D = Decimal


@dataclass
class World:
    channel: Any
    product: Any
    dc: Any
    east_customer: Any
    south_customer: Any
    east_store: Any
    south_store: Any
    sf: Any
    zto: Any


def build(session: Session, prefix: str = "LG") -> World:
    channel = factories.channel(session, code=f"{prefix}-CH")
    product = factories.product(session, sku=f"{prefix}-TEA", weight_kg=D("0.5"), volume_m3=D("0.002"))
    dc = factories.location(session, code=f"{prefix}-DC", province="Shanghai", latitude=31.2304, longitude=121.4737)
    east = factories.partner(session, code=f"{prefix}-EAST")
    south = factories.partner(session, code=f"{prefix}-SOUTH")
    east_store = factories.location(session, code=f"{prefix}-HZ", kind="store", owner_partner_code=east.code,
                                    province="Zhejiang", latitude=30.2741, longitude=120.1551)
    south_store = factories.location(session, code=f"{prefix}-GZ", kind="store", owner_partner_code=south.code,
                                     province="Guangdong", latitude=23.1291, longitude=113.2644)
    sf = factories.partner(session, code=f"{prefix}-SF", roles=["logistics_provider"])
    zto = factories.partner(session, code=f"{prefix}-ZTO", roles=["logistics_provider"])
    factories.stock(session, product, dc, 1000)
    carriers.create_service(session, SYSTEM, ServiceIn(code=f"{prefix}-EXP", carrier_code=sf.code, name="Express",
                                                       level="express", mode="air", transit_days=1))
    carriers.create_service(session, SYSTEM, ServiceIn(code=f"{prefix}-STD", carrier_code=zto.code, name="Standard",
                                                       level="standard", mode="road", volume_divisor=D(5000),
                                                       transit_days=3))
    carriers.create_rate_card(session, SYSTEM, RateCardIn.model_validate({
        "code": f"{prefix}-EXP-2026", "service_code": f"{prefix}-EXP", "min_charge": "20", "fuel_surcharge_pct": "10",
        "valid_from": "2020-01-01",
        "zones": [{"zone": "EAST", "provinces": ["Shanghai", "Zhejiang", "Jiangsu"]},
                  {"zone": "SOUTH", "provinces": ["Guangdong"]}],
        "lanes": [{"origin": "EAST", "destination": "EAST",
                   "breaks": [{"min_quantity": "0", "unit_price": "2.00", "flat_charge": "8"},
                              {"min_quantity": "10", "unit_price": "1.50", "flat_charge": "8"}]},
                  {"origin": "EAST", "destination": "SOUTH", "min_charge": "30", "transit_days": 2,
                   "breaks": [{"min_quantity": "0", "unit_price": "4.00"}]}]}))
    carriers.create_rate_card(session, SYSTEM, RateCardIn.model_validate({
        "code": f"{prefix}-STD-2026", "service_code": f"{prefix}-STD", "min_charge": "15", "fuel_surcharge_pct": "5",
        "valid_from": "2020-01-01",
        "lanes": [{"origin": "*", "destination": "*",
                   "breaks": [{"min_quantity": "0", "unit_price": "1.20", "flat_charge": "10"}]}]}))
    return World(channel, product, dc, east, south, east_store, south_store, sf, zto)


def packed_shipment(session: Session, world: World, customer: Any, store: Any, quantity: int = 8,
                    **order: Any) -> Any:
    """An order for ``quantity`` units, picked and packed at the DC (returns the orders shipment)."""
    sales_order = factories.sales_order(session, world.channel, customer, store, [(world.product, quantity)], **order)
    shipment = fulfilment.create_shipment(session, SYSTEM, sales_order.id, ShipmentCreate(location_code=world.dc.code))
    fulfilment.advance_shipment(session, SYSTEM, shipment.id, "picked")
    return fulfilment.advance_shipment(session, SYSTEM, shipment.id, "packed")


def freight(session: Session, world: World, customer: Any, store: Any, quantity: int = 8, **data: Any) -> Any:
    shipment = packed_shipment(session, world, customer, store, quantity)
    return logistics.create_freight(session, SYSTEM, FreightIn(shipment_id=shipment.id, **data))


# Stores around the Shanghai DC (about 5-25 km away) for delivery routes.
ROUND_SHANGHAI = [(31.30, 121.50), (31.25, 121.60), (31.15, 121.45), (31.20, 121.35), (31.32, 121.40),
                  (31.10, 121.55), (31.28, 121.52)]


def route_day(session: Session, world: World, day: Any, windows: list[tuple[int, int] | None],
              quantities: list[int]) -> list[Any]:
    """Freight to one new store per entry, all planned for ``day`` from the DC (0.5 kg per unit)."""

    made = []
    for n, (window, quantity) in enumerate(zip(windows, quantities, strict=True)):
        lat, lon = ROUND_SHANGHAI[n % len(ROUND_SHANGHAI)]
        store = factories.location(session, kind="store", owner_partner_code=world.east_customer.code,
                                   province="Shanghai", latitude=lat, longitude=lon)
        extra = {} if window is None else {"window_start_min": window[0], "window_end_min": window[1]}
        made.append(freight(session, world, world.east_customer, store, quantity, delivery_date=day,
                            service_minutes=15, **extra))
    return made
