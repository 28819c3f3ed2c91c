"""Solve a day's delivery routes with PyVRP's iterated local search.

The search itself is PyVRP (N. A. Wouda, L. Lan & W. Kool, "PyVRP: a high-performance VRP solver
package", *INFORMS Journal on Computing* 36(4), 2024, pp. 943-955). This module checks the input,
sets aside stops no vehicle could ever serve (each with its reason), hands the rest to PyVRP as integer
data, and turns the best solution back into routes with arrival times and loads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyvrp
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

from qudao.engines.routing.distances import driving_time_matrix, euclidean_matrix, road_distance_matrix
from qudao.engines.routing.model import (
    CANNOT_RETURN,
    DEMAND_ABOVE_CAPACITY,
    FLEET_EXHAUSTED,
    WINDOW_EMPTY,
    WINDOW_UNREACHABLE,
    Route,
    RoutingProblem,
    RoutingResult,
    UnservedStop,
    Visit,
)
from qudao.errors import FieldError, Invalid

#: Loads go to PyVRP as integers in thousandths of the caller's unit (kg -> g, m³ -> litres).
LOAD_SCALE = 1000
#: Stand-in for "no limit" on times; far below int64 overflow when added to route durations.
NO_LIMIT = 1 << 40


@dataclass
class _Matrices:
    distance: np.ndarray  # (nodes, nodes) int64
    times: list[np.ndarray]  # one (nodes, nodes) int64 per routing profile
    profile_of_type: list[int]  # profile index of each vehicle type


def _fmt_time(value: int, clock: bool = True) -> str:
    if value >= NO_LIMIT:
        return "no limit"
    return f"{value // 3600:02d}:{value % 3600 // 60:02d}" if clock else str(value)


def validate(problem: RoutingProblem) -> None:
    """Raise ``Invalid`` naming every bad field; return quietly when the problem is well formed."""
    errors: list[FieldError] = []

    def bad(name: str, reason: str) -> None:
        errors.append(FieldError(name, reason))

    if not problem.depots:
        bad("depots", "at least one depot is required")
    if not problem.vehicle_types:
        bad("vehicle_types", "at least one vehicle type is required")
    for kind, items in (
        ("depots", problem.depots),
        ("stops", problem.stops),
        ("vehicle_types", problem.vehicle_types),
    ):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                bad(f"{kind}[{i}].id", f"duplicate id {item.id!r}")
            seen.add(item.id)
    depot_ids = {d.id for d in problem.depots}
    for i, d in enumerate(problem.depots):
        if d.open_time < 0:
            bad(f"depots[{i}].open_time", "must not be negative")
        if d.close_time is not None and d.close_time < d.open_time:
            bad(f"depots[{i}].close_time", "is before the opening time")
    for i, s in enumerate(problem.stops):
        for name in ("weight", "volume"):
            value = getattr(s, name)
            if not math.isfinite(value) or value < 0:
                bad(f"stops[{i}].{name}", "must be a finite number >= 0")
        if s.service_time < 0:
            bad(f"stops[{i}].service_time", "must not be negative")
        if s.window_start is not None and s.window_start < 0:
            bad(f"stops[{i}].window_start", "must not be negative")
    total_vehicles = 0
    for i, v in enumerate(problem.vehicle_types):
        if v.depot not in depot_ids:
            bad(f"vehicle_types[{i}].depot", f"unknown depot {v.depot!r}")
        if v.count < 0:
            bad(f"vehicle_types[{i}].count", "must not be negative")
        total_vehicles += max(v.count, 0)
        for name in ("capacity_weight", "capacity_volume"):
            value = getattr(v, name)
            if value is not None and (not math.isfinite(value) or value < 0):
                bad(f"vehicle_types[{i}].{name}", "must be a finite number >= 0")
        if v.max_duration is not None and v.max_duration <= 0:
            bad(f"vehicle_types[{i}].max_duration", "must be positive")
        if v.distance_cost < 0 or v.fixed_cost < 0:
            bad(f"vehicle_types[{i}].distance_cost", "costs must not be negative")
        if not v.speed_kmh > 0:
            bad(f"vehicle_types[{i}].speed_kmh", "must be positive")
    if problem.vehicle_types and total_vehicles == 0:
        bad("vehicle_types", "the fleet has no vehicles (every count is 0)")
    if not problem.road_factor >= 1:
        bad("road_factor", "must be at least 1 (roads are never shorter than the straight line)")

    nodes = len(problem.depots) + len(problem.stops)
    for name in ("distance_matrix", "time_matrix"):
        matrix = getattr(problem, name)
        if matrix is None:
            continue
        matrix = np.asarray(matrix)
        if matrix.shape != (nodes, nodes):
            bad(name, f"must be {nodes}x{nodes} (depots then stops), got {'x'.join(map(str, matrix.shape))}")
        elif not np.all(np.isfinite(matrix)) or (matrix < 0).any():
            bad(name, "entries must be finite and >= 0")
    if problem.time_matrix is not None and problem.distance_matrix is None:
        bad("distance_matrix", "is required when a time matrix is given")
    if problem.distance_matrix is None:
        points = [d.point for d in problem.depots] + [s.point for s in problem.stops]
        names = [f"depots[{i}].point" for i in range(len(problem.depots))]
        names += [f"stops[{i}].point" for i in range(len(problem.stops))]
        geo = [p.is_geo for p in points]
        plane = [p.x is not None and p.y is not None for p in points]
        use_geo = any(geo)
        for name, p, g, f in zip(names, points, geo, plane, strict=True):
            if use_geo and not g:
                bad(name, "needs lat/lon like the other points (or pass a distance matrix)")
            elif not use_geo and not f:
                bad(name, "needs lat/lon or x/y coordinates (or pass a distance matrix)")
            elif g and not (-90 <= p.lat <= 90 and -180 <= p.lon <= 180):
                bad(name, "latitude must be within ±90 and longitude within ±180 degrees")
    if errors:
        raise Invalid("the routing problem is not valid", errors)


def build_matrices(problem: RoutingProblem) -> _Matrices:
    """Integer distance and time matrices over depots then stops, and a routing profile per vehicle type."""
    if problem.distance_matrix is not None:
        distance = np.rint(np.asarray(problem.distance_matrix, dtype=float)).astype(np.int64)
    else:
        points = [d.point for d in problem.depots] + [s.point for s in problem.stops]
        if any(p.is_geo for p in points):
            lat = np.array([p.lat for p in points], dtype=float)
            lon = np.array([p.lon for p in points], dtype=float)
            distance = road_distance_matrix(lat, lon, problem.road_factor)
        else:
            x = np.array([p.x for p in points], dtype=float)
            y = np.array([p.y for p in points], dtype=float)
            distance = np.rint(euclidean_matrix(x, y) * problem.road_factor).astype(np.int64)
    np.fill_diagonal(distance, 0)
    if problem.time_matrix is not None:
        time = np.rint(np.asarray(problem.time_matrix, dtype=float)).astype(np.int64)
        np.fill_diagonal(time, 0)
        return _Matrices(distance, [time], [0] * len(problem.vehicle_types))
    speeds: list[float] = []
    profile_of_type = []
    for v in problem.vehicle_types:
        if v.speed_kmh not in speeds:
            speeds.append(v.speed_kmh)
        profile_of_type.append(speeds.index(v.speed_kmh))
    return _Matrices(distance, [driving_time_matrix(distance, s) for s in speeds], profile_of_type)


def _stop_arrays(problem: RoutingProblem) -> dict[str, np.ndarray]:
    stops = problem.stops
    return {
        "weight": np.array([math.ceil(s.weight * LOAD_SCALE - 1e-6) for s in stops], dtype=np.int64),
        "volume": np.array([math.ceil(s.volume * LOAD_SCALE - 1e-6) for s in stops], dtype=np.int64),
        "start": np.array([s.window_start or 0 for s in stops], dtype=np.int64),
        "end": np.array([NO_LIMIT if s.window_end is None else s.window_end for s in stops], dtype=np.int64),
        "service": np.array([s.service_time for s in stops], dtype=np.int64),
    }


def _vehicle_arrays(problem: RoutingProblem, total_weight: int, total_volume: int) -> dict[str, np.ndarray]:
    depot_pos = {d.id: i for i, d in enumerate(problem.depots)}
    types = problem.vehicle_types

    def cap(value: float | None, total: int) -> int:
        return total + 1 if value is None else math.floor(value * LOAD_SCALE + 1e-6)

    depot = np.array([depot_pos[v.depot] for v in types], dtype=np.int64)
    return {
        "depot": depot,
        "open": np.array([problem.depots[i].open_time for i in depot], dtype=np.int64),
        "close": np.array(
            [
                NO_LIMIT if problem.depots[i].close_time is None else problem.depots[i].close_time
                for i in depot
            ],
            dtype=np.int64,
        ),
        "weight": np.array([cap(v.capacity_weight, total_weight) for v in types], dtype=np.int64),
        "volume": np.array([cap(v.capacity_volume, total_volume) for v in types], dtype=np.int64),
        "max_duration": np.array(
            [NO_LIMIT if v.max_duration is None else v.max_duration for v in types], dtype=np.int64
        ),
        "usable": np.array([v.count > 0 for v in types], dtype=bool),
    }


def precheck(problem: RoutingProblem, matrices: _Matrices) -> list[UnservedStop]:
    """Stops that no vehicle type could serve even alone on a route, each with the reason.

    For every (vehicle type, stop) pair, vectorised: the demand must fit the capacity in both
    dimensions; leaving the depot at opening time, the vehicle must arrive before the window closes;
    and after service it must be back before the depot closes, within the maximum route duration.
    """
    if not problem.stops:
        return []
    s = _stop_arrays(problem)
    v = _vehicle_arrays(problem, int(s["weight"].sum()), int(s["volume"].sum()))
    nd = len(problem.depots)
    stop_nodes = np.arange(nd, nd + len(problem.stops))
    out_t = np.stack(
        [matrices.times[p][d, stop_nodes] for p, d in zip(matrices.profile_of_type, v["depot"], strict=True)]
    )
    back_t = np.stack(
        [matrices.times[p][stop_nodes, d] for p, d in zip(matrices.profile_of_type, v["depot"], strict=True)]
    )
    usable = v["usable"][:, None]
    cap_ok = (
        usable
        & (s["weight"][None, :] <= v["weight"][:, None])
        & (s["volume"][None, :] <= v["volume"][:, None])
    )
    arrive = v["open"][:, None] + out_t
    reach_ok = arrive <= s["end"][None, :]
    service_start = np.maximum(arrive, s["start"][None, :])
    back = service_start + s["service"][None, :] + back_t
    shortest_trip = out_t + s["service"][None, :] + back_t
    return_ok = (back <= v["close"][:, None]) & (shortest_trip <= v["max_duration"][:, None])

    unserved = []
    clock = problem.clock_times
    for j, stop in enumerate(problem.stops):
        opens, closes = _fmt_time(int(s["start"][j]), clock), _fmt_time(int(s["end"][j]), clock)
        if s["end"][j] < s["start"][j]:
            unserved.append(
                UnservedStop(stop.id, WINDOW_EMPTY, f"time window {opens}-{closes} closes before it opens")
            )
        elif not cap_ok[:, j].any():
            best_w = v["weight"][v["usable"]].max() / LOAD_SCALE
            best_v = v["volume"][v["usable"]].max() / LOAD_SCALE
            unserved.append(
                UnservedStop(
                    stop.id,
                    DEMAND_ABOVE_CAPACITY,
                    f"demand (weight {stop.weight:g}, volume {stop.volume:g}) is above the "
                    f"capacity of every vehicle (largest: weight {best_w:g}, volume {best_v:g})",
                )
            )
        elif not (cap_ok[:, j] & reach_ok[:, j]).any():
            earliest = int(arrive[cap_ok[:, j], j].min())
            unserved.append(
                UnservedStop(
                    stop.id,
                    WINDOW_UNREACHABLE,
                    f"time window closes at {closes}, before the earliest "
                    f"possible arrival {_fmt_time(earliest, clock)} from any depot",
                )
            )
        elif not (cap_ok[:, j] & reach_ok[:, j] & return_ok[:, j]).any():
            unserved.append(
                UnservedStop(
                    stop.id,
                    CANNOT_RETURN,
                    "a vehicle serving it cannot be back at its depot before closing "
                    "or within its maximum route duration",
                )
            )
    return unserved


def solve(
    problem: RoutingProblem, seconds: float = 10.0, seed: int = 0, max_iterations: int | None = None
) -> RoutingResult:
    """Plan routes for ``problem`` within ``seconds`` of search (and at most ``max_iterations``).

    The same seed and iteration limit give the same plan whatever the machine's load; a time limit alone
    stops wherever the search has got to.

    Stops that can never be served are set aside by :func:`precheck`; with ``allow_unserved`` the
    others are optional with a prize far above any saving from dropping them, so the solver leaves one
    out only when the fleet has no room for it, and that stop is reported as ``fleet_exhausted``.
    """
    validate(problem)
    if seconds <= 0:
        raise Invalid("the time budget is not valid", [FieldError("seconds", "must be positive")])
    matrices = build_matrices(problem)
    unserved = precheck(problem, matrices)
    skipped = {u.stop_id for u in unserved}
    stop_index = {s.id: j for j, s in enumerate(problem.stops)}
    kept = [j for j, s in enumerate(problem.stops) if s.id not in skipped]
    if not kept:
        return RoutingResult([], unserved, 0, 0, 0, True, 0.0, 0, stop_index)

    data = _problem_data(problem, matrices, kept)
    stop = MaxRuntime(seconds)
    if max_iterations is not None:
        stop = MultipleCriteria([stop, MaxIterations(max_iterations)])
    result = pyvrp.solve(data, stop, seed=seed, collect_stats=False, display=False)
    best = result.best
    routes = _routes(problem, matrices, kept, data, best)
    for activity in best.unplanned():
        if activity.is_client():
            stop = problem.stops[kept[activity.idx]]
            unserved.append(
                UnservedStop(
                    stop.id,
                    FLEET_EXHAUSTED,
                    "the fleet has no room left for it (vehicles, capacity or hours) "
                    "alongside the other stops",
                )
            )
    return RoutingResult(
        routes=routes,
        unserved=unserved,
        total_cost=sum(r.cost for r in routes),
        total_distance=sum(r.distance for r in routes),
        total_duration=sum(r.duration for r in routes),
        feasible=bool(best.is_feasible()),
        runtime_seconds=float(result.runtime),
        iterations=int(result.num_iterations),
        stop_index=stop_index,
    )


def _problem_data(problem: RoutingProblem, matrices: _Matrices, kept: list[int]) -> pyvrp.ProblemData:
    nd = len(problem.depots)
    nodes = np.concatenate([np.arange(nd), nd + np.asarray(kept, dtype=np.int64)])
    distance = matrices.distance[np.ix_(nodes, nodes)]
    times = [t[np.ix_(nodes, nodes)] for t in matrices.times]
    s = _stop_arrays(problem)
    v = _vehicle_arrays(problem, int(s["weight"][kept].sum()), int(s["volume"][kept].sum()))

    def point_xy(point) -> tuple[float, float]:
        if point.is_geo:
            return float(point.lon), float(point.lat)
        return float(point.x or 0.0), float(point.y or 0.0)

    locations = [pyvrp.Location(*point_xy(d.point), name=d.id) for d in problem.depots]
    locations += [pyvrp.Location(*point_xy(problem.stops[j].point), name=problem.stops[j].id) for j in kept]
    depots = [
        pyvrp.Depot(
            location=i,
            tw_early=int(d.open_time),
            tw_late=NO_LIMIT if d.close_time is None else int(d.close_time),
            name=d.id,
        )
        for i, d in enumerate(problem.depots)
    ]

    # A prize above the most that dropping one stop could save: a vehicle's fixed cost plus the
    # costliest way in and out of the stop. Only used when stops may go unserved.
    max_fixed = max(vt.fixed_cost for vt in problem.vehicle_types)
    max_unit = max(max(vt.distance_cost for vt in problem.vehicle_types), 1)
    detour = distance.max(axis=0) + distance.max(axis=1)
    clients = []
    for pos, j in enumerate(kept):
        stop = problem.stops[j]
        prize = int(4 * (max_fixed + max_unit * int(detour[nd + pos])) + 1) if problem.allow_unserved else 0
        clients.append(
            pyvrp.Client(
                location=nd + pos,
                delivery=[int(s["weight"][j]), int(s["volume"][j])],
                service_duration=int(s["service"][j]),
                tw_early=int(s["start"][j]),
                tw_late=int(s["end"][j]),
                prize=prize,
                required=not problem.allow_unserved,
                name=stop.id,
            )
        )
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=vt.count,
            capacity=[int(v["weight"][i]), int(v["volume"][i])],
            start_depot=int(v["depot"][i]),
            end_depot=int(v["depot"][i]),
            fixed_cost=int(vt.fixed_cost),
            tw_early=int(v["open"][i]),
            tw_late=int(v["close"][i]),
            shift_duration=int(v["max_duration"][i]),
            unit_distance_cost=int(vt.distance_cost),
            profile=matrices.profile_of_type[i],
            name=vt.id,
        )
        for i, vt in enumerate(problem.vehicle_types)
        if vt.count > 0
    ]
    profiles_used = sorted({vt.profile for vt in vehicle_types})
    remap = {p: k for k, p in enumerate(profiles_used)}
    vehicle_types = [vt.replace(profile=remap[vt.profile]) for vt in vehicle_types]
    return pyvrp.ProblemData(
        locations,
        clients,
        depots,
        vehicle_types,
        [distance] * len(profiles_used),
        [times[p] for p in profiles_used],
    )


def _routes(
    problem: RoutingProblem,
    matrices: _Matrices,
    kept: list[int],
    data: pyvrp.ProblemData,
    best: pyvrp.Solution,
) -> list[Route]:
    nd = len(problem.depots)
    type_index = {vt.id: i for i, vt in enumerate(problem.vehicle_types)}
    used: dict[str, int] = {}
    routes = []
    for r in best.routes():
        vt_data = data.vehicle_type(r.vehicle_type())
        vt = problem.vehicle_types[type_index[vt_data.name]]
        time = matrices.times[matrices.profile_of_type[type_index[vt.id]]]
        schedule = list(r.schedule())
        client_acts = [a for a in schedule if a.is_client()]
        stops = [problem.stops[kept[a.idx]] for a in client_acts]
        weight_left = sum(s.weight for s in stops)
        volume_left = sum(s.volume for s in stops)
        load_weight, load_volume = weight_left, volume_left
        visits = []
        prev_node = int(data.depot(r.start_depot()).location)
        prev_departure = int(schedule[0].end_time)
        for act, stop in zip(client_acts, stops, strict=True):
            node = nd + kept[act.idx]
            arrival = prev_departure + int(time[prev_node, node])
            weight_left -= stop.weight
            volume_left -= stop.volume
            visits.append(
                Visit(
                    stop.id,
                    arrival,
                    int(act.start_time),
                    int(act.end_time),
                    round(weight_left, 6),
                    round(volume_left, 6),
                )
            )
            prev_node, prev_departure = node, int(act.end_time)
        vehicle_index = used.get(vt.id, 0)
        used[vt.id] = vehicle_index + 1
        distance = int(r.distance())
        routes.append(
            Route(
                vehicle_type=vt.id,
                vehicle_index=vehicle_index,
                depot_id=problem.depots[int(r.start_depot())].id,
                visits=visits,
                start_time=int(schedule[0].end_time),
                end_time=int(schedule[-1].start_time),
                distance=distance,
                duration=int(r.duration()),
                load_weight=round(load_weight, 6),
                load_volume=round(load_volume, 6),
                cost=int(vt.fixed_cost) + int(vt.distance_cost) * distance,
            )
        )
    return routes
