"""Solve a day's delivery routes with PyVRP's iterated local search.

The search itself is PyVRP (N. A. Wouda, L. Lan & W. Kool, "PyVRP: a high-performance VRP solver
package", *INFORMS Journal on Computing* 36(4), 2024, pp. 943-955). This module hands the problem that
``prepare`` has checked (stops no vehicle could serve already set aside) to PyVRP as integer data, and
turns the best solution back into routes with arrival times and loads.
"""

from __future__ import annotations

import numpy as np
import pyvrp
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

from qudao.engines.routing.model import (
    FLEET_EXHAUSTED,
    Route,
    RoutingProblem,
    RoutingResult,
    UnservedStop,
    Visit,
)
from qudao.engines.routing.prepare import (
    NO_LIMIT,
    Matrices,
    build_matrices,
    precheck,
    stop_arrays,
    validate,
    vehicle_arrays,
)
from qudao.errors import FieldError, Invalid


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


def _problem_data(problem: RoutingProblem, matrices: Matrices, kept: list[int]) -> pyvrp.ProblemData:
    nd = len(problem.depots)
    nodes = np.concatenate([np.arange(nd), nd + np.asarray(kept, dtype=np.int64)])
    distance = matrices.distance[np.ix_(nodes, nodes)]
    times = [t[np.ix_(nodes, nodes)] for t in matrices.times]
    s = stop_arrays(problem)
    v = vehicle_arrays(problem, int(s["weight"][kept].sum()), int(s["volume"][kept].sum()))

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
    matrices: Matrices,
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
