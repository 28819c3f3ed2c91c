"""Read VRPLIB / Solomon benchmark instances into a :class:`RoutingProblem` and write the result as JSON.

Parsing is the ``vrplib`` package's (the format of E. Uchoa et al., "New benchmark instances for the
Capacitated Vehicle Routing Problem", *EJOR* 257(3), 2017, and the Solomon VRPTW set, M. M. Solomon,
*Operations Research* 35(2), 1987). Rounding follows the conventions PyVRP and vrplib document:

* ``round``: distances and times rounded to the nearest integer (CVRPLIB instances);
* ``dimacs``: values times 10, truncated (the DIMACS 2021 challenge rule for Solomon-style instances);
* ``exact``: values times 1000, rounded.

The cost written back is in the instance's own units: the integer total divided by that scale.
Nodes keep VRPLIB numbering: the depot is 0 and clients 1..n-1, as in VRPLIB solution files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Number
from pathlib import Path

import numpy as np
import vrplib

from qudao.engines.routing.model import Depot, Point, RoutingProblem, RoutingResult, Stop, VehicleType
from qudao.engines.routing.solve import solve
from qudao.errors import FieldError, Invalid

ROUNDINGS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], int]] = {
    "round": (lambda a: np.round(a).astype(np.int64), 1),
    "dimacs": (lambda a: (10 * a).astype(np.int64), 10),
    "exact": (lambda a: np.round(1000 * a).astype(np.int64), 1000),
}

#: Instance fields this reader does not model; an instance using them is refused rather than misread.
UNSUPPORTED = (
    "backhaul",
    "linehaul",
    "pickup_and_delivery",
    "prize",
    "release_time",
    "distance",
    "vehicles_max_distance",
    "vehicles_allowed_clients",
    "vehicles_reload_depot",
    "mutually_exclusive_group",
    "vehicles_fixed_cost",
    "vehicles_unit_distance_cost",
)


@dataclass
class VrplibInstance:
    name: str
    problem: RoutingProblem
    scale: int


def _bad(field: str, reason: str) -> Invalid:
    return Invalid("cannot read the VRPLIB instance", [FieldError(field, reason)])


def _is_solomon(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return len(lines) > 4 and "VEHICLE" in lines[1] and "CUSTOMER" in lines[4] and ":" not in lines[1]


def read_vrplib(path: str | Path, rounding: str = "round") -> VrplibInstance:
    """Read a VRPLIB (or Solomon) file into a routing problem with integer distances and times."""
    if rounding not in ROUNDINGS:
        raise _bad("round", f"must be one of {', '.join(ROUNDINGS)}, got {rounding!r}")
    round_func, scale = ROUNDINGS[rounding]
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise _bad("vrplib", f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        fmt = "solomon" if _is_solomon(text) else "vrplib"
        data = vrplib.read_instance(path, instance_format=fmt, compute_edge_weights=True)
    except Exception as exc:  # the parser raises assorted errors on malformed text
        raise _bad("vrplib", f"not a valid VRPLIB instance ({type(exc).__name__}: {exc})") from None
    return instance_from_dict(data, round_func, scale, default_name=path.stem)


def instance_from_dict(
    data: dict, round_func: Callable[[np.ndarray], np.ndarray], scale: int, default_name: str = ""
) -> VrplibInstance:
    """Map a parsed vrplib dictionary to a :class:`RoutingProblem` (nodes keep their VRPLIB numbers)."""
    for key in UNSUPPORTED:
        if key in data:
            raise _bad(key, "this instance field is not supported by the route engine")
    if "dimension" not in data and "node_coord" not in data:
        raise _bad("DIMENSION", "missing")
    if "edge_weight" not in data:
        raise _bad("EDGE_WEIGHT_SECTION", "no distances: give NODE_COORD_SECTION or an explicit matrix")
    edge = np.asarray(data["edge_weight"], dtype=float)
    n = int(data.get("dimension", edge.shape[0]))
    if edge.shape != (n, n):
        raise _bad("EDGE_WEIGHT_SECTION", f"expected a {n}x{n} matrix, got {edge.shape}")
    depots = [int(d) for d in np.atleast_1d(data.get("depot", np.array([0])))]
    if not depots or any(d < 0 or d >= n for d in depots):
        raise _bad("DEPOT_SECTION", f"depot numbers must lie within 1..{n}")
    clients = [i for i in range(n) if i not in set(depots)]
    order = depots + clients

    demand = np.asarray(data.get("demand", np.zeros(n)), dtype=float)
    if demand.shape != (n,):
        raise _bad("DEMAND_SECTION", "one demand per node is supported (no multi-dimensional demand)")
    if (demand < 0).any():
        raise _bad("DEMAND_SECTION", "demands must not be negative")
    if "time_window" in data:
        windows = round_func(np.asarray(data["time_window"], dtype=float))
        if windows.shape != (n, 2):
            raise _bad("TIME_WINDOW_SECTION", "expected two values (earliest, latest) per node")
    else:
        windows = None
    service = data.get("service_time", 0)
    if isinstance(service, Number):
        service = np.full(n, float(service))
        service[depots] = 0
    service = round_func(np.asarray(service, dtype=float))
    coords = np.asarray(data.get("node_coord", np.zeros((n, 2))), dtype=float)

    vehicles = int(data.get("vehicles", len(clients)))
    capacity = data.get("capacity")
    capacities = (
        np.full(vehicles, -1.0)
        if capacity is None
        else np.broadcast_to(np.asarray(capacity, dtype=float), (vehicles,))
    )
    vehicle_depot = np.asarray(data.get("vehicles_depot", np.full(vehicles, depots[0] + 1)), dtype=int) - 1
    max_duration = data.get("vehicles_max_duration")
    durations = (
        np.full(vehicles, -1)
        if max_duration is None
        else round_func(np.broadcast_to(np.asarray(max_duration, dtype=float), (vehicles,)))
    )
    groups: dict[tuple, int] = {}
    for cap, dep, dur in zip(capacities, vehicle_depot, durations, strict=True):
        if dep not in depots:
            raise _bad("VEHICLES_DEPOT_SECTION", f"node {dep + 1} is not a depot")
        key = (float(cap), int(dep), int(dur))
        groups[key] = groups.get(key, 0) + 1

    problem = RoutingProblem(
        depots=[
            Depot(
                str(d),
                Point(x=float(coords[d, 0]), y=float(coords[d, 1])),
                open_time=int(windows[d, 0]) if windows is not None else 0,
                close_time=int(windows[d, 1]) if windows is not None else None,
            )
            for d in depots
        ],
        stops=[
            Stop(
                str(c),
                Point(x=float(coords[c, 0]), y=float(coords[c, 1])),
                weight=float(demand[c]),
                window_start=int(windows[c, 0]) if windows is not None else None,
                window_end=int(windows[c, 1]) if windows is not None else None,
                service_time=int(service[c]),
            )
            for c in clients
        ],
        vehicle_types=[
            VehicleType(
                f"type{k}",
                depot=str(dep),
                count=count,
                capacity_weight=None if cap < 0 else cap,
                max_duration=dur if dur >= 0 else None,
            )
            for k, ((cap, dep, dur), count) in enumerate(groups.items())
        ],
        distance_matrix=round_func(edge)[np.ix_(order, order)],
        road_factor=1.0,
        allow_unserved=False,
        clock_times=False,
    )
    problem.time_matrix = problem.distance_matrix
    return VrplibInstance(str(data.get("name", default_name)), problem, scale)


def result_json(result: RoutingResult, scale: int) -> dict:
    """``{"cost", "routes", "feasible"}`` with routes as VRPLIB node numbers and cost in instance units."""
    total = sum(r.distance for r in result.routes)
    cost: int | float = total if scale == 1 else round(total / scale, len(str(scale)) - 1)
    return {
        "cost": cost,
        "routes": [[int(stop_id) for stop_id in r.stop_ids] for r in result.routes],
        "feasible": bool(result.feasible and result.complete),
    }


def solve_vrplib(
    path: str | Path,
    seconds: float = 10.0,
    rounding: str = "round",
    seed: int = 0,
    max_iterations: int | None = None,
) -> tuple[dict, RoutingResult]:
    """Read, solve and return the JSON-ready answer together with the full result."""
    instance = read_vrplib(path, rounding)
    result = solve(instance.problem, seconds=seconds, seed=seed, max_iterations=max_iterations)
    return result_json(result, instance.scale), result
