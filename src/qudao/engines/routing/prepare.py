"""Preparing a routing problem for the solver: input checks, integer distance and time matrices, and the
pre-check that sets aside stops no vehicle could ever serve (each with its reason)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qudao.engines.routing.distances import driving_time_matrix, euclidean_matrix, road_distance_matrix
from qudao.engines.routing.model import (
    CANNOT_RETURN,
    DEMAND_ABOVE_CAPACITY,
    WINDOW_EMPTY,
    WINDOW_UNREACHABLE,
    RoutingProblem,
    UnservedStop,
)
from qudao.errors import FieldError, Invalid

#: Loads go to PyVRP as integers in thousandths of the caller's unit (kg -> g, m³ -> litres).
LOAD_SCALE = 1000
#: Stand-in for "no limit" on times; far below int64 overflow when added to route durations.
NO_LIMIT = 1 << 40


@dataclass
class Matrices:
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


def build_matrices(problem: RoutingProblem) -> Matrices:
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
        return Matrices(distance, [time], [0] * len(problem.vehicle_types))
    speeds: list[float] = []
    profile_of_type = []
    for v in problem.vehicle_types:
        if v.speed_kmh not in speeds:
            speeds.append(v.speed_kmh)
        profile_of_type.append(speeds.index(v.speed_kmh))
    return Matrices(distance, [driving_time_matrix(distance, s) for s in speeds], profile_of_type)


def stop_arrays(problem: RoutingProblem) -> dict[str, np.ndarray]:
    stops = problem.stops
    return {
        "weight": np.array([math.ceil(s.weight * LOAD_SCALE - 1e-6) for s in stops], dtype=np.int64),
        "volume": np.array([math.ceil(s.volume * LOAD_SCALE - 1e-6) for s in stops], dtype=np.int64),
        "start": np.array([s.window_start or 0 for s in stops], dtype=np.int64),
        "end": np.array([NO_LIMIT if s.window_end is None else s.window_end for s in stops], dtype=np.int64),
        "service": np.array([s.service_time for s in stops], dtype=np.int64),
    }


def vehicle_arrays(problem: RoutingProblem, total_weight: int, total_volume: int) -> dict[str, np.ndarray]:
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


def precheck(problem: RoutingProblem, matrices: Matrices) -> list[UnservedStop]:
    """Stops that no vehicle type could serve even alone on a route, each with the reason.

    For every (vehicle type, stop) pair, vectorised: the demand must fit the capacity in both
    dimensions; leaving the depot at opening time, the vehicle must arrive before the window closes;
    and after service it must be back before the depot closes, within the maximum route duration.
    """
    if not problem.stops:
        return []
    s = stop_arrays(problem)
    v = vehicle_arrays(problem, int(s["weight"].sum()), int(s["volume"].sum()))
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
