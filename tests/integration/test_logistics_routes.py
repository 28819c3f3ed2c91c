"""Daily delivery route plans from the database: capacities and time windows respected, stops that can
never be served listed with the reason, trips stored with ordered stops (both databases)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from qudao.common.actor import SYSTEM
from qudao.config import Settings
from qudao.engines.routing import DEMAND_ABOVE_CAPACITY
from qudao.logistics import routes
from qudao.logistics.schemas import RoutePlanIn, VehicleIn
from tests import factories
from tests.integration import logistics_world as lw

DAY = date(2026, 3, 10)
API = "/api/v1"


def _fleet(session: Session, world: lw.World) -> None:
    for code in ("VAN-1", "VAN-2"):
        routes.create_vehicle(session, SYSTEM, VehicleIn(code=f"{world.dc.code}-{code}", depot_code=world.dc.code,
                                                         capacity_weight_kg=Decimal(100), capacity_volume_m3=Decimal(2),
                                                         shift_start_min=480, shift_end_min=1080))


def test_route_plan_respects_capacities_and_windows_and_lists_impossible_stops(session: Session) -> None:
    world = lw.build(session)
    _fleet(session, world)
    # Five stops of 30 kg (60 units x 0.5 kg) fit two 100 kg vans; one of 150 kg fits no van; one must be
    # served between 05:00 and 06:00, before any van leaves at 08:00.
    windows = [(540, 660), None, (600, 720), None, (480, 1080), None, (300, 360)]
    quantities = [60, 60, 60, 60, 60, 300, 60]
    freight = lw.route_day(session, world, DAY, windows, quantities)
    plan = routes.plan_routes(session, SYSTEM, RoutePlanIn(depot_code=world.dc.code, plan_date=DAY, seconds=5),
                              max_iterations=300)
    unserved = {u["freight_shipment_id"]: u for u in plan.unserved}
    assert set(unserved) == {freight[5].id, freight[6].id}
    assert unserved[freight[5].id]["code"] == DEMAND_ABOVE_CAPACITY
    assert unserved[freight[6].id]["code"].startswith("window")
    assert "05:00" in unserved[freight[6].id]["reason"] or "06:00" in unserved[freight[6].id]["reason"]
    served = [s.freight_shipment_id for trip in plan.trips for s in trip.stops]
    assert sorted(served) == sorted(f.id for f in freight[:5])  # each feasible stop exactly once
    assert plan.feasible and plan.stops == 7 and len(plan.trips) == 2
    window_of = {f.id: windows[n] for n, f in enumerate(freight)}
    for trip in plan.trips:
        assert trip.load_weight_kg == sum((s.weight_kg for s in trip.stops), Decimal(0)) <= 100
        assert [s.sequence for s in trip.stops] == list(range(1, len(trip.stops) + 1))
        assert trip.start_min >= 480 and trip.end_min <= 1080
        for stop in trip.stops:
            window = window_of[stop.freight_shipment_id]
            if window is not None:
                assert window[0] <= stop.arrival_min <= window[1]
            assert stop.weight_kg == Decimal(30)
    assert plan.total_distance_km > 0 and plan.total_cost == (
        sum((t.distance_km for t in plan.trips), Decimal(0)) * 3).quantize(Decimal("0.01"))


def test_route_plan_api_and_trips(client: TestClient, session: Session, settings: Settings) -> None:
    world = lw.build(session)
    h = factories.headers(settings, factories.user(session, "warehouse"))
    made = client.post(f"{API}/vehicles", headers=h, json={
        "code": "LG-VAN", "depot_code": world.dc.code, "capacity_weight_kg": "500", "capacity_volume_m3": "5"})
    assert made.status_code == 201, made.text
    lw.route_day(session, world, DAY, [None, None], [10, 20])
    nowhere = factories.location(session, kind="store", owner_partner_code=world.east_customer.code)
    lw.freight(session, world, world.east_customer, nowhere, 4, delivery_date=DAY)
    answer = client.post(f"{API}/route-plans", headers=h, json={"depot_code": world.dc.code,
                                                               "plan_date": DAY.isoformat(), "seconds": 0.5})
    assert answer.status_code == 201, answer.text
    plan = answer.json()
    assert [u["code"] for u in plan["unserved"]] == ["no_coordinates"]
    assert len(plan["trips"]) == 1 and len(plan["trips"][0]["stops"]) == 2
    trip = client.get(f"{API}/trips/{plan['trips'][0]['id']}", headers=h).json()
    assert [s["sequence"] for s in trip["stops"]] == [1, 2] and trip["stops"][0]["latitude"] is not None
    assert client.get(f"{API}/trips", headers=h, params={"plan_id": plan["id"]}).json()[0]["id"] == trip["id"]
    missing = client.post(f"{API}/route-plans", headers=h, json={"depot_code": "NOPE", "plan_date": "2026-03-10"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "depot_code"
    partner = factories.headers(settings, factories.user(session, "partner", partner_code=world.east_customer.code))
    assert client.get(f"{API}/trips/{trip['id']}", headers=partner).status_code == 403
