"""Route engine benchmark: gap on ~100-customer CVRP instances, and a 1,000-stop daily plan with windows.

PyPI's ``vrplib`` package ships no instance files (2.x only reads and writes them; downloading is not
allowed here), so the CVRP instances are generated deterministically in the spirit of the CVRPLIB
X set (E. Uchoa et al., "New benchmark instances for the CVRP", EJOR 257(3), 2017: depot central,
eccentric or random; customers random, clustered or mixed; demands unitary, small or large; route sizes
set by the capacity). They are written as VRPLIB files and solved through the same reader as
``qudao route solve``. The reference cost of each is the best found by a LONG run of the same engine
(``--reference-seconds``, several seeds), not a published best-known solution: the gap measures how
close a short run gets to what the engine finds with much more time. References are kept in
bench/data/routing_references.json; ``--refresh-references`` recomputes them.

Baseline beside it: nearest neighbour with capacity split (drive to the nearest unvisited client
that still fits, else go back to the depot and start a new route).

    .venv/bin/python bench/routing.py            # small: 3 instances x 2 s, 200-stop daily plan
    .venv/bin/python bench/routing.py --full     # 5 instances x 10 s, 1,000-stop daily plan
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from qudao.engines.routing import Depot, Point, RoutingProblem, Stop, VehicleType, solve
from qudao.engines.routing.vrplib_io import read_vrplib, solve_vrplib

REFERENCES = Path(__file__).parent / "data" / "routing_references.json"
GENERATOR_VERSION = 1

# name, customers, depot placement, customer placement, demand kind, mean customers per route, seed
INSTANCES = [
    ("G-n100-central-random-small", 100, "central", "random", "small", 8, 101),
    ("G-n105-eccentric-clustered-large", 105, "eccentric", "clustered", "large", 6, 102),
    ("G-n110-random-mixed-unit", 110, "random", "mixed", "unit", 12, 103),
    ("G-n100-central-clustered-small", 100, "central", "clustered", "small", 10, 104),
    ("G-n120-eccentric-random-large", 120, "eccentric", "random", "large", 5, 105),
]


def generate_cvrp(
    n: int, depot_kind: str, placement: str, demand_kind: str, per_route: int, seed: int
) -> dict:
    """Coordinates on a 1000 x 1000 grid, integer demands and a capacity giving ~per_route clients a route."""
    rng = np.random.default_rng(seed)
    depot = {"central": (500, 500), "eccentric": (0, 0), "random": tuple(rng.integers(0, 1001, 2))}[
        depot_kind
    ]
    if placement == "random":
        xy = rng.integers(0, 1001, size=(n, 2))
    else:
        seeds = rng.integers(0, 1001, size=(int(rng.integers(3, 9)), 2))
        clustered = n if placement == "clustered" else n // 2
        centre = seeds[rng.integers(0, len(seeds), clustered)]
        near = np.clip(np.rint(centre + rng.normal(0, 40, size=(clustered, 2))), 0, 1000).astype(int)
        xy = np.vstack([near, rng.integers(0, 1001, size=(n - clustered, 2))])
    if demand_kind == "unit":
        demand = np.ones(n, dtype=int)
    elif demand_kind == "small":
        demand = rng.integers(1, 11, n)
    else:
        demand = rng.integers(50, 101, n)
    capacity = math.ceil(per_route * demand.mean())
    return {"depot": depot, "xy": xy, "demand": demand, "capacity": capacity}


def write_vrplib(path: Path, name: str, inst: dict) -> None:
    n = len(inst["xy"]) + 1
    lines = [
        f"NAME : {name}",
        "TYPE : CVRP",
        f"DIMENSION : {n}",
        "EDGE_WEIGHT_TYPE : EUC_2D",
        f"CAPACITY : {inst['capacity']}",
        "NODE_COORD_SECTION",
        f"1 {inst['depot'][0]} {inst['depot'][1]}",
    ]
    lines += [f"{i + 2} {x} {y}" for i, (x, y) in enumerate(inst["xy"])]
    lines += ["DEMAND_SECTION", "1 0"] + [f"{i + 2} {d}" for i, d in enumerate(inst["demand"])]
    lines += ["DEPOT_SECTION", "1", "-1", "EOF"]
    path.write_text("\n".join(lines) + "\n")


def nearest_neighbour_cost(path: Path) -> int:
    """Baseline: nearest feasible neighbour, new route when nothing fits (rounded distances)."""
    problem = read_vrplib(path, "round").problem
    dist = np.asarray(problem.distance_matrix)
    demand = [s.weight for s in problem.stops]
    capacity = problem.vehicle_types[0].capacity_weight
    left = set(range(1, len(demand) + 1))
    total, here, load = 0, 0, 0.0
    while left:
        fits = [j for j in left if load + demand[j - 1] <= capacity]
        if not fits:
            total += dist[here, 0]
            here, load = 0, 0.0
            continue
        nxt = min(fits, key=lambda j: (dist[here, j], j))
        total += dist[here, nxt]
        load += demand[nxt - 1]
        left.remove(nxt)
        here = nxt
    return int(total + dist[here, 0])


def references() -> dict:
    if REFERENCES.exists():
        data = json.loads(REFERENCES.read_text())
        if data.get("generator_version") == GENERATOR_VERSION:
            return data
    return {
        "generator_version": GENERATOR_VERSION,
        "note": "Reference costs for the instances bench/routing.py generates (seeded, X-set style): the "
        "best cost of the route engine itself over several seeds of a long run, written by "
        "`.venv/bin/python bench/routing.py --full --refresh-references`. Not published BKS; "
        "no third-party instance file is included.",
        "instances": {},
    }


def run_cvrp(count: int, seconds: float, ref_seconds: float, ref_seeds: int, refresh: bool) -> None:
    refs = references()
    print(
        f"CVRP, ~100 customers, {seconds:g} s per instance (reference = best of {ref_seeds} seed(s) x "
        f"{ref_seconds:g} s of the same engine; NOT a published best-known cost)"
    )
    print(
        f"{'instance':36} {'n':>4} {'secs':>5} {'cost':>8} {'reference':>9} {'gap %':>6} "
        f"{'NN baseline':>11} {'NN gap %':>8}"
    )
    gaps, nn_gaps = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name, n, depot, placement, demand, per_route, seed in INSTANCES[:count]:
            path = Path(tmp) / f"{name}.vrp"
            write_vrplib(path, name, generate_cvrp(n, depot, placement, demand, per_route, seed))
            ref = refs["instances"].get(name)
            if refresh or ref is None or ref.get("seconds", 0) < ref_seconds:
                best = min(
                    solve_vrplib(path, seconds=ref_seconds, seed=s)[0]["cost"] for s in range(ref_seeds)
                )
                ref = {"cost": best, "seconds": ref_seconds, "seeds": ref_seeds}
                refs["instances"][name] = ref
                REFERENCES.parent.mkdir(exist_ok=True)
                REFERENCES.write_text(json.dumps(refs, indent=2) + "\n")
            answer, _ = solve_vrplib(path, seconds=seconds, seed=42)
            assert answer["feasible"], f"{name}: infeasible answer"
            baseline = nearest_neighbour_cost(path)
            gap = 100 * (answer["cost"] - ref["cost"]) / ref["cost"]
            nn_gap = 100 * (baseline - ref["cost"]) / ref["cost"]
            gaps.append(gap)
            nn_gaps.append(nn_gap)
            print(
                f"{name:36} {n:4d} {seconds:5g} {answer['cost']:8d} {ref['cost']:9d} {gap:6.2f} "
                f"{baseline:11d} {nn_gap:8.2f}",
                flush=True,
            )
    print(
        f"{'average gap':36} {'':4} {'':5} {'':8} {'':9} {np.mean(gaps):6.2f} {'':11} {np.mean(nn_gaps):8.2f}"
    )


SHANGHAI_DEPOTS = [
    ("DC-Pudong", 31.2200, 121.5440),
    ("DC-Minhang", 31.1120, 121.3810),
    ("DC-Baoshan", 31.4050, 121.4890),
]


def daily_plan(n: int, seed: int = 2024) -> RoutingProblem:
    """n deliveries around Shanghai with morning, afternoon, all-day and two-hour windows."""
    rng = np.random.default_rng(seed)
    hour = 3600
    depots = [
        Depot(d, Point(lat=lat, lon=lon), open_time=6 * hour, close_time=21 * hour)
        for d, lat, lon in SHANGHAI_DEPOTS
    ]
    windows = [(8, 12), (13, 17), (8, 18), (9, 11), (14, 16)]
    stops = []
    for i in range(n):
        start, end = windows[int(rng.choice(len(windows), p=[0.3, 0.3, 0.2, 0.1, 0.1]))]
        stops.append(
            Stop(
                f"S{i:04d}",
                Point(lat=float(31.23 + rng.normal(0, 0.09)), lon=float(121.47 + rng.normal(0, 0.10))),
                weight=float(rng.integers(5, 200)),
                volume=round(float(rng.uniform(0.05, 1.5)), 2),
                window_start=start * hour,
                window_end=end * hour,
                service_time=int(rng.integers(3, 11)) * 60,
            )
        )
    fleet = []
    for depot, _, _ in SHANGHAI_DEPOTS:
        fleet.append(
            VehicleType(
                f"van-{depot}",
                depot,
                count=max(1, n // 45),
                capacity_weight=1500,
                capacity_volume=8,
                max_duration=10 * hour,
                speed_kmh=25,
                fixed_cost=20_000,
            )
        )
        fleet.append(
            VehicleType(
                f"truck-{depot}",
                depot,
                count=max(1, n // 150),
                capacity_weight=5000,
                capacity_volume=20,
                max_duration=10 * hour,
                speed_kmh=20,
                fixed_cost=35_000,
            )
        )
    return RoutingProblem(depots, stops, fleet)


def verify(problem: RoutingProblem, result) -> list[str]:
    """Independent check of the plan: capacities, windows, depot hours and shift length."""
    from qudao.engines.routing.distances import driving_time_matrix, road_distance_matrix

    nodes = {d.id: i for i, d in enumerate(problem.depots)}
    nodes |= {s.id: len(problem.depots) + j for j, s in enumerate(problem.stops)}
    points = [d.point for d in problem.depots] + [s.point for s in problem.stops]
    dist = road_distance_matrix(np.array([p.lat for p in points]), np.array([p.lon for p in points]))
    stops = {s.id: s for s in problem.stops}
    types = {v.id: v for v in problem.vehicle_types}
    depots = {d.id: d for d in problem.depots}
    problems, seen = [], set()
    times = {}
    for route in result.routes:
        vt = types[route.vehicle_type]
        time_m = times.setdefault(vt.speed_kmh, driving_time_matrix(dist, vt.speed_kmh))
        if sum(stops[s].weight for s in route.stop_ids) > vt.capacity_weight + 1e-9:
            problems.append(f"{vt.id}: weight over capacity")
        if sum(stops[s].volume for s in route.stop_ids) > vt.capacity_volume + 1e-9:
            problems.append(f"{vt.id}: volume over capacity")
        clock, here = route.start_time, nodes[route.depot_id]
        for sid in route.stop_ids:
            stop = stops[sid]
            start = max(clock + time_m[here, nodes[sid]], stop.window_start)
            if start > stop.window_end:
                problems.append(f"{sid}: served at {start} after its window {stop.window_end}")
            clock, here = start + stop.service_time, nodes[sid]
            seen.add(sid)
        back = clock + time_m[here, nodes[route.depot_id]]
        if back > depots[route.depot_id].close_time or back - route.start_time > vt.max_duration:
            problems.append(f"{vt.id}: back at {back}, after closing or over the shift")
    missing = set(stops) - seen - {u.stop_id for u in result.unserved}
    if missing:
        problems.append(f"{len(missing)} stops lost")
    return problems


def run_daily(n: int, seconds: float) -> None:
    print(
        f"\nDaily plan: {n} stops around Shanghai, 3 depots, time windows, weight and volume capacities, "
        f"{seconds:g} s search"
    )
    problem = daily_plan(n)
    started = time.perf_counter()
    result = solve(problem, seconds=seconds, seed=1)
    wall = time.perf_counter() - started
    issues = verify(problem, result)
    served = sum(len(r.visits) for r in result.routes)
    print(
        f"wall time {wall:.1f} s (budget {seconds:g} s + matrices and set-up); served {served}/{n}; "
        f"unserved {len(result.unserved)}; routes {len(result.routes)}; "
        f"{result.total_distance / 1000:.0f} km; feasible {result.feasible}; "
        f"independent check: {'; '.join(issues[:5]) if issues else 'ok'}"
    )
    print(f"under 60 s: {'yes' if wall < 60 else 'NO'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="5 instances x 10 s and the 1,000-stop plan")
    parser.add_argument("--instances", type=int, help="how many CVRP instances (max 5)")
    parser.add_argument("--seconds", type=float, help="search seconds per CVRP instance")
    parser.add_argument("--stops", type=int, help="stops in the daily plan")
    parser.add_argument("--daily-seconds", type=float, help="search seconds for the daily plan")
    parser.add_argument("--reference-seconds", type=float, default=60.0)
    parser.add_argument("--reference-seeds", type=int, default=2)
    parser.add_argument("--refresh-references", action="store_true")
    args = parser.parse_args(argv)
    count = args.instances or (5 if args.full else 3)
    seconds = args.seconds or (10.0 if args.full else 2.0)
    stops = args.stops or (1000 if args.full else 200)
    daily_seconds = args.daily_seconds or (40.0 if args.full else 5.0)
    run_cvrp(
        min(count, len(INSTANCES)),
        seconds,
        args.reference_seconds,
        args.reference_seeds,
        args.refresh_references,
    )
    run_daily(stops, daily_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
