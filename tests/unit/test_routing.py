"""Route engine: feasibility checked independently of the solver, brute-force optimum, unserved stops."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from qudao.engines.routing import (
    CANNOT_RETURN,
    DEMAND_ABOVE_CAPACITY,
    FLEET_EXHAUSTED,
    WINDOW_EMPTY,
    WINDOW_UNREACHABLE,
    Depot,
    Point,
    RoutingProblem,
    Stop,
    VehicleType,
    haversine_matrix,
    road_distance_matrix,
    solve,
)
from qudao.errors import Invalid

HOUR = 3600


def _plane_times(problem: RoutingProblem, speed_kmh: float) -> tuple[dict, dict]:
    """Distances and times recomputed from the spec: rint(hypot * road factor), rint(d * 3.6 / speed)."""
    points = {d.id: d.point for d in problem.depots} | {s.id: s.point for s in problem.stops}
    dist, time = {}, {}
    for a, pa in points.items():
        for b, pb in points.items():
            d = round(math.hypot(pa.x - pb.x, pa.y - pb.y) * problem.road_factor)
            dist[a, b] = d
            time[a, b] = round(d * 3.6 / speed_kmh)
    return dist, time


def _check_plan(problem: RoutingProblem, result) -> None:
    """Every served stop once; loads within capacity; windows, depot hours and shift length kept."""
    stops = {s.id: s for s in problem.stops}
    types = {v.id: v for v in problem.vehicle_types}
    depots = {d.id: d for d in problem.depots}
    served = [sid for r in result.routes for sid in r.stop_ids]
    assert len(served) == len(set(served))
    assert set(served) | {u.stop_id for u in result.unserved} == set(stops)
    assert not set(served) & {u.stop_id for u in result.unserved}
    used = {}
    for route in result.routes:
        vt = types[route.vehicle_type]
        used[vt.id] = used.get(vt.id, 0) + 1
        assert route.depot_id == vt.depot
        depot = depots[vt.depot]
        dist, time = _plane_times(problem, vt.speed_kmh)
        weight = sum(stops[s].weight for s in route.stop_ids)
        volume = sum(stops[s].volume for s in route.stop_ids)
        assert weight <= vt.capacity_weight + 1e-9
        assert volume <= vt.capacity_volume + 1e-9
        assert route.load_weight == pytest.approx(weight)
        clock = route.start_time
        assert clock >= depot.open_time
        here, length = depot.id, 0
        for visit in route.visits:
            stop = stops[visit.stop_id]
            length += dist[here, stop.id]
            arrival = clock + time[here, stop.id]
            assert visit.arrival == arrival
            start = max(arrival, stop.window_start or 0)
            assert visit.service_start == start
            assert stop.window_start is None or start >= stop.window_start
            assert stop.window_end is None or start <= stop.window_end
            clock = start + stop.service_time
            here = stop.id
        length += dist[here, depot.id]
        back = clock + time[here, depot.id]
        assert back == route.end_time
        assert back <= depot.close_time
        assert back - route.start_time <= vt.max_duration
        assert route.distance == length
    for vt_id, n in used.items():
        assert n <= types[vt_id].count


def test_haversine_textbook_distances():
    # One degree along a meridian is R * pi / 180 = 111 195.08 m; a quarter of the equator is R * pi / 2.
    d = haversine_matrix(np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 90.0]))
    assert d[0, 1] == pytest.approx(111_195.08, abs=0.01)
    assert d[0, 2] == pytest.approx(6_371_008.8 * math.pi / 2, rel=1e-12)
    assert d[1, 0] == d[0, 1] and d[0, 0] == 0
    assert road_distance_matrix(np.array([0.0, 1.0]), np.array([0.0, 0.0]))[0, 1] == round(111_195.08 * 1.3)


def _windows_problem() -> RoutingProblem:
    rng = np.random.default_rng(7)
    depot = Depot("DC", Point(x=0.0, y=0.0), open_time=6 * HOUR, close_time=20 * HOUR)
    stops = []
    for i in range(40):
        start = int(rng.integers(7, 16)) * HOUR
        stops.append(
            Stop(
                f"S{i}",
                Point(x=float(rng.uniform(-15_000, 15_000)), y=float(rng.uniform(-15_000, 15_000))),
                weight=float(rng.integers(50, 400)),
                volume=float(rng.integers(1, 6)) / 2,
                window_start=start,
                window_end=start + 2 * HOUR,
                service_time=600,
            )
        )
    fleet = [
        VehicleType(
            "van", "DC", count=6, capacity_weight=1200, capacity_volume=6, max_duration=8 * HOUR, speed_kmh=25
        ),
        VehicleType(
            "truck",
            "DC",
            count=3,
            capacity_weight=3000,
            capacity_volume=12,
            max_duration=9 * HOUR,
            speed_kmh=20,
            fixed_cost=5000,
        ),
    ]
    return RoutingProblem([depot], stops, fleet)


def test_capacities_windows_and_hours_are_respected():
    problem = _windows_problem()
    result = solve(problem, seconds=10, seed=1, max_iterations=300)  # iteration cap: same run under any load
    assert result.feasible and result.complete
    _check_plan(problem, result)
    assert result.total_cost == sum(
        r.distance + (5000 if r.vehicle_type == "truck" else 0) for r in result.routes
    )


def test_same_seed_same_plan():
    problem = _windows_problem()
    # an iteration limit (well inside the time limit) makes the run independent of the machine's load
    first = solve(problem, seconds=30, seed=3, max_iterations=300)
    second = solve(problem, seconds=30, seed=3, max_iterations=300)
    assert first.iterations == second.iterations == 300
    assert [r.stop_ids for r in first.routes] == [r.stop_ids for r in second.routes]


def _brute_force_cvrp(dist: np.ndarray, demand: list[int], capacity: int) -> int:
    """Optimal CVRP cost by enumeration: every order of the clients cut into capacity-feasible routes."""
    clients = range(1, len(demand))
    best = math.inf
    for order in itertools.permutations(clients):
        # cheapest split of this order into consecutive routes (exact for a fixed order)
        cost = [0.0] + [math.inf] * len(order)
        for i in range(len(order)):
            load, length = 0, 0
            for j in range(i, len(order)):
                load += demand[order[j]]
                if load > capacity:
                    break
                length = (
                    dist[0, order[i]]
                    if j == i
                    else length - dist[order[j - 1], 0] + dist[order[j - 1], order[j]]
                )
                length += dist[order[j], 0]
                cost[j + 1] = min(cost[j + 1], cost[i] + length)
        best = min(best, cost[-1])
    return int(best)


def test_small_instance_solved_to_proven_optimum():
    rng = np.random.default_rng(11)
    xy = rng.integers(0, 100, size=(7, 2))
    dist = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(int)
    demand = [0, 4, 7, 3, 5, 6, 2]
    optimum = _brute_force_cvrp(dist, demand, capacity=10)
    problem = RoutingProblem(
        [Depot("0")],
        [Stop(str(i), weight=demand[i]) for i in range(1, 7)],
        [VehicleType("v", "0", count=6, capacity_weight=10)],
        distance_matrix=dist,
        time_matrix=dist,
        allow_unserved=False,
    )
    result = solve(problem, seconds=10, seed=0, max_iterations=1000)
    assert result.feasible and result.complete
    assert result.total_cost == optimum
    for route in result.routes:
        assert sum(demand[int(s)] for s in route.stop_ids) <= 10


def test_impossible_stops_are_reported_and_the_rest_served():
    problem = _windows_problem()
    far = Point(x=400_000.0, y=0.0)  # 520 km of road at 25 km/h: about 21 h away
    problem.stops += [
        Stop("HEAVY", Point(x=1_000.0, y=0.0), weight=3500),
        Stop("BULKY", Point(x=1_000.0, y=0.0), weight=10, volume=20),
        Stop("BACKWARDS", Point(x=1_000.0, y=0.0), window_start=12 * HOUR, window_end=10 * HOUR),
        Stop("TOO_EARLY", Point(x=30_000.0, y=0.0), window_start=0, window_end=6 * HOUR + 600),
        Stop("TOO_FAR", far),
    ]
    result = solve(problem, seconds=10, seed=2, max_iterations=300)
    reasons = {u.stop_id: u.code for u in result.unserved}
    assert reasons == {
        "HEAVY": DEMAND_ABOVE_CAPACITY,
        "BULKY": DEMAND_ABOVE_CAPACITY,
        "BACKWARDS": WINDOW_EMPTY,
        "TOO_EARLY": WINDOW_UNREACHABLE,
        "TOO_FAR": CANNOT_RETURN,
    }
    heavy = next(u for u in result.unserved if u.stop_id == "HEAVY")
    assert "3500" in heavy.reason and "3000" in heavy.reason
    too_early = next(u for u in result.unserved if u.stop_id == "TOO_EARLY")
    # 39 000 m of road at the faster 25 km/h is 5616 s: leaving at 06:00 arrives 07:33, window shut at 06:10
    assert "06:10" in too_early.reason and "07:33" in too_early.reason
    assert result.feasible and not result.complete
    _check_plan(problem, result)  # every other stop is on a route, none twice, none lost


def test_fleet_too_small_leaves_stops_out_with_reason_or_reports_infeasible():
    stops = [Stop(f"S{i}", Point(x=1000.0 * (i + 1), y=0.0), weight=6) for i in range(3)]
    fleet = [VehicleType("van", "DC", count=1, capacity_weight=10)]
    result = solve(
        RoutingProblem([Depot("DC", Point(x=0.0, y=0.0))], stops, fleet), seconds=10, max_iterations=200
    )
    assert result.feasible
    assert sum(len(r.visits) for r in result.routes) == 1
    assert [u.code for u in result.unserved] == [FLEET_EXHAUSTED, FLEET_EXHAUSTED]
    strict = solve(
        RoutingProblem([Depot("DC", Point(x=0.0, y=0.0))], stops, fleet, allow_unserved=False),
        seconds=10,
        max_iterations=200,
    )
    assert not strict.feasible
    assert sorted(s for r in strict.routes for s in r.stop_ids) == ["S0", "S1", "S2"]


def test_multiple_depots_serve_their_own_side():
    depots = [
        Depot("WEST", Point(x=0.0, y=0.0), close_time=12 * HOUR),
        Depot("EAST", Point(x=200_000.0, y=0.0), close_time=12 * HOUR),
    ]
    rng = np.random.default_rng(5)
    stops = [
        Stop(
            f"W{i}",
            Point(x=float(rng.uniform(-5000, 5000)), y=float(rng.uniform(-5000, 5000))),
            weight=100,
            volume=1,
            service_time=300,
        )
        for i in range(8)
    ]
    stops += [
        Stop(
            f"E{i}",
            Point(x=float(200_000 + rng.uniform(-5000, 5000)), y=float(rng.uniform(-5000, 5000))),
            weight=100,
            volume=1,
            service_time=300,
        )
        for i in range(8)
    ]
    fleet = [
        VehicleType("w", "WEST", count=2, capacity_weight=500, capacity_volume=10, max_duration=12 * HOUR),
        VehicleType("e", "EAST", count=2, capacity_weight=500, capacity_volume=10, max_duration=12 * HOUR),
    ]
    problem = RoutingProblem(depots, stops, fleet)
    result = solve(problem, seconds=10, seed=0, max_iterations=300)
    assert result.feasible and result.complete
    _check_plan(problem, result)
    for route in result.routes:
        assert {s[0] for s in route.stop_ids} == {route.depot_id[0]}
    assert {r.depot_id for r in result.routes} == {"WEST", "EAST"}


def test_bad_input_names_each_field():
    problem = RoutingProblem(
        [Depot("DC")],
        [Stop("A", weight=-1), Stop("A")],
        [VehicleType("v", "NOWHERE", count=1)],
        distance_matrix=np.zeros((2, 2)),
    )
    with pytest.raises(Invalid) as caught:
        solve(problem, seconds=0.1)
    fields = {e.field: e.reason for e in caught.value.errors}
    assert fields["stops[0].weight"] == "must be a finite number >= 0"
    assert "duplicate id" in fields["stops[1].id"]
    assert "unknown depot" in fields["vehicle_types[0].depot"]
    assert fields["distance_matrix"].startswith("must be 3x3")


def test_points_are_required_without_a_matrix():
    problem = RoutingProblem([Depot("DC", Point(lat=31.2, lon=121.5))], [Stop("A")], [VehicleType("v", "DC")])
    with pytest.raises(Invalid) as caught:
        solve(problem, seconds=0.1)
    assert "needs lat/lon" in caught.value.errors[0].reason


def test_engine_stays_pure():
    import subprocess
    import sys

    code = (
        "import sys, qudao.engines.routing, qudao.engines.routing.vrplib_io; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'fastapi') "
        "or m in ('qudao.db', 'qudao.api', 'qudao.catalog', 'qudao.auth')]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
