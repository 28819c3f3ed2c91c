"""Delivery vehicles and daily route plans: the day's freight from a depot becomes the routing engine's
problem (coordinates from the ship-to locations, weight and volume from the packages, windows and service
times from the freight record, vehicles from the vehicles table); the engine's routes become trips with
ordered stops, and every stop it cannot serve is listed with the reason."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, require_staff
from qudao.common.actor import Actor
from qudao.engines import routing
from qudao.errors import Conflict, NotFound, invalid
from qudao.locations.models import Location
from qudao.logistics.models import FreightPackage, FreightShipment, RoutePlan, Trip, TripStop, Vehicle
from qudao.logistics.schemas import RoutePlanIn, VehicleIn

PLANNABLE = ("pending",)
KM = Decimal("0.001")


def _depot(session: Session, code: str, field: str = "depot_code") -> Location:
    depot = session.scalar(select(Location).where(Location.code == code, Location.archived_at.is_(None)))
    if depot is None:
        raise invalid(field, f"unknown location {code!r}")
    return depot


def create_vehicle(session: Session, actor: Actor, data: VehicleIn) -> Vehicle:
    authorize(actor, "logistics:write")
    require_staff(actor, "manage vehicles")
    depot = _depot(session, data.depot_code)
    if data.shift_end_min <= data.shift_start_min:
        raise invalid("shift_end_min", "must be after shift_start_min")
    if session.scalar(select(Vehicle.id).where(Vehicle.code == data.code)) is not None:
        raise Conflict(detail=f"vehicle {data.code} already exists")
    vehicle = Vehicle(depot_location_id=depot.id, **data.model_dump(exclude={"depot_code"}))
    session.add(vehicle)
    audit.record_create(session, actor, vehicle)
    return vehicle


def list_vehicles(session: Session, actor: Actor) -> list[Vehicle]:
    authorize(actor, "logistics:read")
    require_staff(actor, "read the fleet")
    return list(session.scalars(select(Vehicle).order_by(Vehicle.code)).all())


def plan_routes(session: Session, actor: Actor, data: RoutePlanIn, *, max_iterations: int | None = None) -> RoutePlan:
    """Plan the day's deliveries from a depot and store the trips (a new plan each call)."""
    authorize(actor, "logistics:write")
    require_staff(actor, "plan delivery routes")
    depot = _depot(session, data.depot_code)
    if depot.latitude is None or depot.longitude is None:
        raise invalid("depot_code", f"location {depot.code} has no coordinates to route from")
    vehicles = list(session.scalars(select(Vehicle).where(Vehicle.depot_location_id == depot.id,
                                                          Vehicle.active.is_(True)).order_by(Vehicle.code)).all())
    if not vehicles:
        raise invalid("depot_code", f"no active vehicles at {depot.code}")
    sizes = (select(FreightPackage.freight_shipment_id.label("fid"),
                    func.sum(FreightPackage.weight_kg).label("weight"),
                    func.sum(FreightPackage.volume_m3).label("volume"))
             .group_by(FreightPackage.freight_shipment_id).subquery())
    rows = session.execute(
        select(FreightShipment.id, FreightShipment.destination_location_id, FreightShipment.window_start_min,
               FreightShipment.window_end_min, FreightShipment.service_minutes, Location.code, Location.latitude,
               Location.longitude, func.coalesce(sizes.c.weight, 0), func.coalesce(sizes.c.volume, 0))
        .join(Location, Location.id == FreightShipment.destination_location_id)
        .outerjoin(sizes, sizes.c.fid == FreightShipment.id)
        .where(FreightShipment.origin_location_id == depot.id, FreightShipment.delivery_date == data.plan_date,
               FreightShipment.status.in_(PLANNABLE))
        .order_by(FreightShipment.id)).all()
    unserved: list[dict[str, object]] = []
    stops: list[routing.Stop] = []
    info: dict[str, tuple[int, int, float | None, float | None, Decimal, Decimal]] = {}
    for fid, loc_id, ws, we, service_min, code, lat, lon, weight, volume in rows:
        if lat is None or lon is None:
            unserved.append({"freight_shipment_id": fid, "code": "no_coordinates",
                             "reason": f"ship-to location {code} has no coordinates"})
            continue
        stops.append(routing.Stop(str(fid), routing.Point(lat=lat, lon=lon), float(weight), float(volume),
                                  None if ws is None else ws * 60, None if we is None else we * 60, service_min * 60))
        info[str(fid)] = (fid, loc_id, lat, lon, Decimal(weight), Decimal(volume))
    open_s = min(v.shift_start_min for v in vehicles) * 60
    close_s = max(v.shift_end_min for v in vehicles) * 60
    problem = routing.RoutingProblem(
        depots=[routing.Depot(depot.code, routing.Point(lat=depot.latitude, lon=depot.longitude), open_s, close_s)],
        stops=stops,
        vehicle_types=[routing.VehicleType(
            v.code, depot.code, 1, float(v.capacity_weight_kg), float(v.capacity_volume_m3),
            min(v.max_duration_min or 1440, v.shift_end_min - v.shift_start_min) * 60, 1, 0, float(v.speed_kmh))
            for v in vehicles])
    result = routing.solve(problem, seconds=data.seconds, seed=0, max_iterations=max_iterations) if stops else None
    by_code = {v.code: v for v in vehicles}
    plan = RoutePlan(depot_location_id=depot.id, plan_date=data.plan_date, stops=len(rows))
    total_cost = Decimal(0)
    if result is not None:
        for u in result.unserved:
            unserved.append({"freight_shipment_id": int(u.stop_id), "code": u.code, "reason": u.reason})
        for route in result.routes:
            vehicle = by_code[route.vehicle_type]
            km = (Decimal(route.distance) / 1000).quantize(KM, rounding=ROUND_HALF_UP)
            total_cost += km * vehicle.cost_per_km + vehicle.fixed_cost
            plan.trips.append(Trip(
                vehicle_id=vehicle.id, start_min=route.start_time // 60, end_min=-(-route.end_time // 60),
                distance_km=km, load_weight_kg=Decimal(str(route.load_weight)),
                load_volume_m3=Decimal(str(route.load_volume)),
                stops=[TripStop(sequence=n, freight_shipment_id=info[v.stop_id][0], location_id=info[v.stop_id][1],
                                arrival_min=v.service_start // 60, departure_min=-(-v.departure // 60),
                                weight_kg=info[v.stop_id][4], volume_m3=info[v.stop_id][5],
                                latitude=info[v.stop_id][2], longitude=info[v.stop_id][3])
                       for n, v in enumerate(route.visits, start=1)]))
        plan.feasible = result.feasible
        plan.total_distance_km = (Decimal(result.total_distance) / 1000).quantize(KM, rounding=ROUND_HALF_UP)
        plan.seconds = result.runtime_seconds
    plan.total_cost = total_cost.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    plan.unserved = unserved
    session.add(plan)
    session.flush()
    audit.record(session, actor, action="plan", entity="route_plans", entity_id=plan.id,
                 after={"depot": depot.code, "date": data.plan_date.isoformat(), "stops": len(rows),
                        "unserved": len(unserved)})
    return plan


def get_plan(session: Session, actor: Actor, plan_id: int) -> RoutePlan:
    authorize(actor, "logistics:read")
    require_staff(actor, "read route plans")
    plan = session.get(RoutePlan, plan_id)
    if plan is None:
        raise NotFound(detail=f"route plan {plan_id} not found")
    return plan


def list_plans(session: Session, actor: Actor, *, plan_date: date | None = None, limit: int = 50) -> list[RoutePlan]:
    authorize(actor, "logistics:read")
    require_staff(actor, "read route plans")
    stmt = select(RoutePlan)
    if plan_date is not None:
        stmt = stmt.where(RoutePlan.plan_date == plan_date)
    return list(session.scalars(stmt.order_by(RoutePlan.id.desc()).limit(limit)).all())


def get_trip(session: Session, actor: Actor, trip_id: int) -> Trip:
    authorize(actor, "logistics:read")
    require_staff(actor, "read trips")
    trip = session.get(Trip, trip_id)
    if trip is None:
        raise NotFound(detail=f"trip {trip_id} not found")
    return trip


def list_trips(session: Session, actor: Actor, *, plan_id: int | None = None, limit: int = 200) -> list[Trip]:
    authorize(actor, "logistics:read")
    require_staff(actor, "read trips")
    stmt = select(Trip)
    if plan_id is not None:
        stmt = stmt.where(Trip.route_plan_id == plan_id)
    return list(session.scalars(stmt.order_by(Trip.id.desc()).limit(limit)).all())
