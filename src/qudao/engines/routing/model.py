"""Plain data for the delivery route engine: depots, stops, vehicle types, the problem and its result.

Units: distances in metres and times in seconds (counted from midnight of the delivery day) when they
are computed from coordinates; when the caller supplies matrices, any integer units, used consistently
(the VRPLIB reader uses the instance's own units). Weights and volumes are plain numbers (kg, m³ for
the daily plan); the engine keeps them exact to 1/1000 of a unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Reason codes for stops the plan cannot serve; ``UnservedStop.reason`` carries the words.
DEMAND_ABOVE_CAPACITY = "demand_above_capacity"
WINDOW_EMPTY = "window_empty"
WINDOW_UNREACHABLE = "window_unreachable"
CANNOT_RETURN = "cannot_return_in_time"
FLEET_EXHAUSTED = "fleet_exhausted"


@dataclass(frozen=True)
class Point:
    """Where a depot or stop is: latitude/longitude in degrees, or x/y in metres on a local plane."""

    lat: float | None = None
    lon: float | None = None
    x: float | None = None
    y: float | None = None

    @property
    def is_geo(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class Depot:
    """A place vehicles start from and return to, open from ``open_time`` to ``close_time`` (seconds)."""

    id: str
    point: Point = field(default_factory=Point)
    open_time: int = 0
    close_time: int | None = None


@dataclass(frozen=True)
class Stop:
    """A delivery: what it weighs and fills, when it may be served and how long unloading takes."""

    id: str
    point: Point = field(default_factory=Point)
    weight: float = 0.0
    volume: float = 0.0
    window_start: int | None = None
    window_end: int | None = None
    service_time: int = 0


@dataclass(frozen=True)
class VehicleType:
    """``count`` identical vehicles based at ``depot``.

    ``capacity_weight`` / ``capacity_volume`` of None means no limit in that dimension; ``max_duration``
    (seconds, depot to depot including waiting and unloading) of None means only the depot hours bind.
    ``distance_cost`` is charged per distance unit driven and ``fixed_cost`` once per vehicle used, both
    in the same cost units. ``speed_kmh`` turns distance into driving time when no time matrix is given.
    """

    id: str
    depot: str
    count: int = 1
    capacity_weight: float | None = None
    capacity_volume: float | None = None
    max_duration: int | None = None
    distance_cost: int = 1
    fixed_cost: int = 0
    speed_kmh: float = 30.0


@dataclass
class RoutingProblem:
    """One day's routing problem.

    Matrices, when given, are square over the nodes in the order ``depots`` then ``stops``; a distance
    matrix without a time matrix gets times from each vehicle type's speed (the matrix then in metres).
    ``road_factor`` scales straight-line distances to road distances when distances come from points.
    ``allow_unserved`` lets the solver leave out stops the fleet cannot fit (reported, with a reason);
    without it every feasible-looking stop is required and an overfull plan comes back infeasible.
    """

    depots: list[Depot]
    stops: list[Stop]
    vehicle_types: list[VehicleType]
    distance_matrix: np.ndarray | None = None
    time_matrix: np.ndarray | None = None
    road_factor: float = 1.3
    allow_unserved: bool = True
    #: Times are seconds since midnight (reasons show them as hh:mm); False for other time units.
    clock_times: bool = True


@dataclass(frozen=True)
class Visit:
    """A stop on a route: when the vehicle gets there, starts and finishes, and its load after it."""

    stop_id: str
    arrival: int
    service_start: int
    departure: int
    load_weight: float
    load_volume: float


@dataclass(frozen=True)
class Route:
    """One vehicle's trip: leaves ``depot_id`` at ``start_time``, visits in order, is back at ``end_time``."""

    vehicle_type: str
    vehicle_index: int
    depot_id: str
    visits: list[Visit]
    start_time: int
    end_time: int
    distance: int
    duration: int
    load_weight: float
    load_volume: float
    cost: int

    @property
    def stop_ids(self) -> list[str]:
        return [v.stop_id for v in self.visits]


@dataclass(frozen=True)
class UnservedStop:
    stop_id: str
    code: str
    reason: str


@dataclass
class RoutingResult:
    """The plan. ``feasible``: every route keeps capacities, windows and hours; ``complete``: and no stop
    is left out (the left-out ones are in ``unserved``, each with its reason)."""

    routes: list[Route]
    unserved: list[UnservedStop]
    total_cost: int
    total_distance: int
    total_duration: int
    feasible: bool
    runtime_seconds: float
    iterations: int = 0
    #: Index in ``problem.stops`` of each served stop id (handy for callers that number stops).
    stop_index: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.unserved
