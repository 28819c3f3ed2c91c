"""Read models: freight cost and emissions per channel, and the rows the logistics page lists."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.db import utcnow
from qudao.errors import invalid
from qudao.locations.models import Location
from qudao.logistics import service
from qudao.logistics.models import CarrierService, FreightPackage, FreightShipment
from qudao.logistics.schemas import ChannelFreightOut
from qudao.orders.models import SalesOrder
from qudao.partners.models import Partner
from qudao.purchasing.models import Transfer

ZERO = Decimal(0)


def freight_by_channel(session: Session, actor: Actor, *, since: date | None = None,
                       until: date | None = None) -> list[ChannelFreightOut]:
    """Freight cost, cost per unit delivered and CO2e summed per sales channel (transfers: no channel),
    over freight booked between ``since`` and ``until`` (inclusive; default: the last 30 days)."""
    authorize(actor, "logistics:read")
    if since and until and since > until:
        raise invalid("since", "must not be after until")
    until = until or utcnow().date()
    since = since or until - timedelta(days=30)
    start = datetime.combine(since, time.min, tzinfo=UTC)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)
    weights = (select(FreightPackage.freight_shipment_id.label("fid"), func.sum(FreightPackage.weight_kg).label("kg"))
               .group_by(FreightPackage.freight_shipment_id).subquery())
    stmt = (select(Channel.code, func.count(FreightShipment.id), func.coalesce(func.sum(FreightShipment.units), 0),
                   func.coalesce(func.sum(weights.c.kg), 0), func.coalesce(func.sum(FreightShipment.freight_cost), 0),
                   func.coalesce(func.sum(FreightShipment.co2e_kg), 0))
            .select_from(FreightShipment)
            .outerjoin(SalesOrder, SalesOrder.id == FreightShipment.order_id)
            .outerjoin(Channel, Channel.id == SalesOrder.channel_id)
            .outerjoin(weights, weights.c.fid == FreightShipment.id)
            .where(FreightShipment.created_at >= start, FreightShipment.created_at < end)
            .group_by(Channel.code).order_by(Channel.code))
    scope = service.visible(actor)
    if scope is not None:
        stmt = stmt.where(scope)
    out = []
    for code, count, units, kg, cost, co2 in session.execute(stmt):
        units, cost = Decimal(units), Decimal(cost)
        out.append(ChannelFreightOut(
            channel_code=code, shipments=count, units=units, weight_kg=Decimal(kg), freight_cost=cost,
            cost_per_unit=(cost / units).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) if units else None,
            co2e_kg=Decimal(co2)))
    return out


def freight_rows(session: Session, actor: Actor, limit: int = 100) -> list[dict[str, Any]]:
    """Freight shipments with the codes a person reads (carrier, service, places, order or transfer)."""
    rows = service.list_freight(session, actor, limit=limit)
    ids = {r.carrier_id for r in rows} | {r.origin_location_id for r in rows} | {r.destination_location_id
                                                                                for r in rows}
    partners = dict(session.execute(select(Partner.id, Partner.code).where(Partner.id.in_(ids))).all()) if rows else {}
    places = dict(session.execute(select(Location.id, Location.code).where(Location.id.in_(ids))).all()) if rows else {}
    services = dict(session.execute(select(CarrierService.id, CarrierService.code).where(
        CarrierService.id.in_({r.service_id for r in rows}))).all()) if rows else {}
    transfers = dict(session.execute(select(Transfer.id, Transfer.code).where(
        Transfer.id.in_({r.transfer_id for r in rows}))).all()) if rows else {}
    return [{"freight": r, "carrier": partners.get(r.carrier_id, ""), "service": services.get(r.service_id, ""),
             "origin": places.get(r.origin_location_id, ""), "destination": places.get(r.destination_location_id, ""),
             "source": f"SO{r.order_id:08d}" if r.order_id else transfers.get(r.transfer_id, "")} for r in rows]


def trip_view(session: Session, actor: Actor, trip_id: int) -> dict[str, Any]:
    """A trip for the driver's stop list and the map plot: the depot, then the stops in order."""
    from qudao.logistics import routes

    trip = routes.get_trip(session, actor, trip_id)
    plan = routes.get_plan(session, actor, trip.route_plan_id)
    ids = {s.location_id for s in trip.stops} | {plan.depot_location_id}
    places = {loc.id: loc for loc in session.scalars(select(Location).where(Location.id.in_(ids)))}
    depot = places[plan.depot_location_id]
    return {"trip": trip, "plan": plan, "depot": {"code": depot.code, "lat": depot.latitude, "lon": depot.longitude},
            "stops": [{"sequence": s.sequence, "freight_id": s.freight_shipment_id,
                       "location": places[s.location_id].code, "name": places[s.location_id].name,
                       "arrival": f"{s.arrival_min // 60:02d}:{s.arrival_min % 60:02d}",
                       "departure": f"{s.departure_min // 60:02d}:{s.departure_min % 60:02d}",
                       "weight_kg": s.weight_kg, "volume_m3": s.volume_m3, "lat": s.latitude, "lon": s.longitude}
                      for s in trip.stops]}
