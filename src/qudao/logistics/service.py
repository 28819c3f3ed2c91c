"""Freight shipments: the carrier-facing record of a sales-order shipment or a transfer (packages, carrier
and service, tracking number, ETA, cost and emissions), who may see them, and late-shipment checks."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, require_staff
from qudao.catalog.models import Product
from qudao.common.actor import Actor, Role
from qudao.db import utcnow
from qudao.engines.logistics import emissions, rating
from qudao.errors import Conflict, NotFound, invalid
from qudao.locations.models import Location
from qudao.logistics import carriers
from qudao.logistics.models import FreightPackage, FreightShipment
from qudao.logistics.schemas import FreightIn
from qudao.orders import alerts, fulfilment
from qudao.orders import service as orders
from qudao.orders.models import SalesOrder
from qudao.purchasing import service as purchasing

ZERO = Decimal(0)


def visible(actor: Actor) -> Any:
    """A partner user sees freight it carries, freight of orders it may see, and transfers touching its
    own locations; staff see everything (None)."""
    if not actor.is_partner:
        return None
    own_locations = select(Location.id).where(Location.owner_partner_id == actor.partner_id)
    own_orders = select(SalesOrder.id).where(orders.visible(actor))
    return or_(FreightShipment.carrier_id == actor.partner_id,
               FreightShipment.order_id.in_(own_orders),
               and_(FreightShipment.transfer_id.is_not(None),
                    or_(FreightShipment.origin_location_id.in_(own_locations),
                        FreightShipment.destination_location_id.in_(own_locations))))


def get_freight(session: Session, actor: Actor, freight_id: int) -> FreightShipment:
    authorize(actor, "logistics:read")
    stmt = select(FreightShipment).where(FreightShipment.id == freight_id)
    scope = visible(actor)
    if scope is not None:
        stmt = stmt.where(scope)
    freight = session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    if freight is None:
        raise NotFound(detail=f"freight shipment {freight_id} not found")
    return freight


def freight_of_shipment(session: Session, actor: Actor, shipment_id: int) -> FreightShipment:
    """The freight record of a sales-order shipment (404 when there is none the actor may see)."""
    authorize(actor, "logistics:read")
    found = session.scalar(select(FreightShipment.id).where(FreightShipment.order_shipment_id == shipment_id))
    if found is None:
        raise NotFound(detail=f"shipment {shipment_id} has no freight record")
    return get_freight(session, actor, found)


def list_freight(session: Session, actor: Actor, *, status: str | None = None, order_id: int | None = None,
                 limit: int = 200) -> list[FreightShipment]:
    authorize(actor, "logistics:read")
    stmt = select(FreightShipment)
    scope = visible(actor)
    if scope is not None:
        stmt = stmt.where(scope)
    if status:
        stmt = stmt.where(FreightShipment.status == status)
    if order_id:
        stmt = stmt.where(FreightShipment.order_id == order_id)
    return list(session.scalars(stmt.order_by(FreightShipment.id.desc()).limit(limit)).all())


def _source(session: Session, actor: Actor, data: FreightIn) -> dict[str, Any]:
    """Origin, destination, units, product quantities and promise of the shipment or transfer."""
    if (data.shipment_id is None) == (data.transfer_code is None):
        raise invalid("shipment_id", "give either shipment_id (a sales-order shipment) or transfer_code")
    if data.shipment_id is not None:
        shipment = fulfilment.get_shipment(session, actor, data.shipment_id)
        if shipment.status == "cancelled":
            raise Conflict(detail=f"shipment {shipment.id} is cancelled")
        if session.scalar(select(FreightShipment.id).where(FreightShipment.order_shipment_id == shipment.id)):
            raise Conflict(detail=f"shipment {shipment.id} already has a freight record")
        order = orders.get_order(session, actor, shipment.order_id)
        product_of = {line.id: line.product_id for line in order.lines}
        quantities = [(product_of[item.order_line_id], item.quantity) for item in shipment.lines]
        return dict(order_shipment_id=shipment.id, order_id=order.id, origin_location_id=shipment.location_id,
                    destination_location_id=order.ship_to_location_id, quantities=quantities,
                    promised_date=data.promised_date or order.promised_date)
    transfer = purchasing.get_transfer(session, actor, data.transfer_code or "")
    if transfer.status == "cancelled":
        raise Conflict(detail=f"transfer {transfer.code} is cancelled")
    if session.scalar(select(FreightShipment.id).where(FreightShipment.transfer_id == transfer.id)):
        raise Conflict(detail=f"transfer {transfer.code} already has a freight record")
    return dict(transfer_id=transfer.id, origin_location_id=transfer.from_location_id,
                destination_location_id=transfer.to_location_id,
                quantities=[(line.product_id, line.quantity) for line in transfer.lines],
                promised_date=data.promised_date or transfer.expected_date)


def _default_packages(session: Session, quantities: list[tuple[int, Decimal]]) -> list[FreightPackage]:
    """One package weighing what the goods weigh (catalogue weight and volume per unit)."""
    sizes = {pid: (w or ZERO, v or ZERO) for pid, w, v in session.execute(
        select(Product.id, Product.weight_kg, Product.volume_m3).where(Product.id.in_({p for p, _ in quantities})))}
    weight = sum((sizes[p][0] * q for p, q in quantities), ZERO)
    volume = sum((sizes[p][1] * q for p, q in quantities), ZERO)
    return [FreightPackage(reference="1", weight_kg=weight, volume_m3=volume)]


def create_freight(session: Session, actor: Actor, data: FreightIn) -> FreightShipment:
    """Book the freight of a shipment or transfer: packages, a carrier service (given, or chosen by cost
    or promised date from the rate cards), its price, ETA, distance and CO2e."""
    authorize(actor, "logistics:write")
    require_staff(actor, "book freight")
    src = _source(session, actor, data)
    if (data.window_start_min is None) != (data.window_end_min is None) or (
            data.window_start_min is not None and data.window_end_min is not None
            and data.window_end_min < data.window_start_min):
        raise invalid("window_end_min", "give both ends of the delivery window, the end not before the start")
    packages = ([FreightPackage(reference=p.reference, weight_kg=p.weight_kg, volume_m3=p.volume_m3)
                 for p in data.packages] or _default_packages(session, src["quantities"]))
    freight = FreightShipment(
        order_shipment_id=src.get("order_shipment_id"), order_id=src.get("order_id"),
        transfer_id=src.get("transfer_id"), origin_location_id=src["origin_location_id"],
        destination_location_id=src["destination_location_id"], tracking_number=data.tracking_number,
        status="pending", delivery_date=data.delivery_date, promised_date=src["promised_date"],
        window_start_min=data.window_start_min, window_end_min=data.window_end_min,
        service_minutes=data.service_minutes, units=sum((q for _, q in src["quantities"]), ZERO),
        packages=packages)
    _assign_service(session, freight, data)
    if freight.carrier_id is not None and data.tracking_number and session.scalar(
            select(FreightShipment.id).where(FreightShipment.carrier_id == freight.carrier_id,
                                             FreightShipment.tracking_number == data.tracking_number)):
        raise Conflict(detail=f"tracking number {data.tracking_number} is already used by this carrier")
    session.add(freight)
    audit.record_create(session, actor, freight)
    return freight


def _assign_service(session: Session, freight: FreightShipment, data: FreightIn) -> None:
    if data.service_code is None and data.choose_by is None:
        return
    origin = session.get(Location, freight.origin_location_id)
    destination = session.get(Location, freight.destination_location_id)
    assert origin is not None and destination is not None
    ship_date = utcnow().date()
    if data.choose_by == "promised_date" and freight.promised_date is None:
        raise invalid("promised_date", "required when choosing by promised date (the order has none)")
    consignment = rating.Consignment(origin.province, destination.province, freight.weight_kg, freight.volume_m3,
                                     ship_date, freight.promised_date)
    if data.service_code is not None:
        service = carriers.service_by_code(session, data.service_code)
        rates = carriers.load_service_rates(session, ship_date, [service.id]).get(service.id)
        quoted = rating.rate_service(rates, consignment) if rates else None
        chosen = quoted if isinstance(quoted, rating.Quote) else None
    else:
        result = rating.rate(carriers.load_service_rates(session, ship_date).values(), consignment,
                             data.choose_by or "cheapest")
        if result.chosen is None:
            reasons = "; ".join(f"{code}: {why}" for code, why in result.unrated) or "no carrier services"
            raise invalid("choose_by", f"no service can carry it from {origin.province or '?'} to "
                          f"{destination.province or '?'} ({reasons})")
        chosen = result.chosen
        service = carriers.service_by_code(session, chosen.service_code)
    freight.carrier_id, freight.service_id = service.carrier_id, service.id
    if chosen is not None:
        freight.freight_cost, freight.currency, freight.eta = chosen.total, chosen.currency, chosen.eta
    else:
        freight.eta = ship_date + timedelta(days=service.transit_days)  # no rate card: the service's days
    points = (origin.latitude, origin.longitude, destination.latitude, destination.longitude)
    if all(p is not None for p in points):
        lat1, lon1, lat2, lon2 = (float(p or 0) for p in points)
        freight.distance_km = emissions.transport_distance_km(lat1, lon1, lat2, lon2, service.mode)
        freight.co2e_kg = emissions.co2e_kg(freight.distance_km, freight.weight_kg, service.mode, service.co2e_factor)


def fulfilment_actor(actor: Actor) -> Actor:
    """Who confirms pickup/delivery on the order's fulfilment record when a carrier reports it. A carrier's
    own user (already checked to be this shipment's carrier) acts as warehouse staff for that one step,
    under a name that shows where it came from."""
    if actor.is_partner or actor.role not in (Role.admin, Role.warehouse):
        return Actor(user_id=actor.user_id, username=f"{actor.username} (carrier report)", role=Role.warehouse)
    return actor


def flag_late(session: Session, actor: Actor, *, today: date | None = None,
              freight_ids: list[int] | None = None) -> int:
    """Flag undelivered freight past its ETA or promised date and raise "late" on its order; returns how
    many were newly flagged."""
    authorize(actor, "logistics:write")
    require_staff(actor, "run the late-shipment check")
    return mark_late(session, actor, today=today, freight_ids=freight_ids)


def mark_late(session: Session, actor: Actor, *, today: date | None = None,
              freight_ids: list[int] | None = None) -> int:
    """The late check itself, for callers that have already authorised (also run on every tracking update,
    so an overdue shipment is flagged as soon as news of it arrives)."""
    today = today or utcnow().date()
    stmt = select(FreightShipment).where(
        FreightShipment.status.not_in(("delivered",)), FreightShipment.late_flagged.is_(False),
        or_(FreightShipment.eta < today, FreightShipment.promised_date < today))
    if freight_ids is not None:
        stmt = stmt.where(FreightShipment.id.in_(freight_ids))
    scope = visible(actor)
    if scope is not None:
        stmt = stmt.where(scope)
    flagged = 0
    for freight in session.scalars(stmt.order_by(FreightShipment.id)).all():
        freight.late_flagged = True
        flagged += 1
        due = min(d for d in (freight.eta, freight.promised_date) if d is not None)
        if freight.order_id is not None:
            alerts.raise_alert(session, fulfilment_actor(actor), freight.order_id, "shipment_late",
                               f"freight {freight.id} ({freight.tracking_number or 'no tracking number'}) was due "
                               f"{due.isoformat()} and is {freight.status}", freight.id)
    return flagged
