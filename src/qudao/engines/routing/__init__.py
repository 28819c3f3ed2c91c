"""Delivery route optimisation: daily routes from depots with capacities, time windows and shift limits.

Pure engine on PyVRP: plain dataclasses in (:class:`RoutingProblem`), plain dataclasses out
(:class:`RoutingResult`). ``vrplib_io`` reads and writes the VRPLIB benchmark format.
"""

from qudao.engines.routing.distances import DEFAULT_ROAD_FACTOR, haversine_matrix, road_distance_matrix
from qudao.engines.routing.model import (
    CANNOT_RETURN,
    DEMAND_ABOVE_CAPACITY,
    FLEET_EXHAUSTED,
    WINDOW_EMPTY,
    WINDOW_UNREACHABLE,
    Depot,
    Point,
    Route,
    RoutingProblem,
    RoutingResult,
    Stop,
    UnservedStop,
    VehicleType,
    Visit,
)
from qudao.engines.routing.prepare import precheck, validate
from qudao.engines.routing.solve import solve

__all__ = [
    "CANNOT_RETURN",
    "DEFAULT_ROAD_FACTOR",
    "DEMAND_ABOVE_CAPACITY",
    "FLEET_EXHAUSTED",
    "WINDOW_EMPTY",
    "WINDOW_UNREACHABLE",
    "Depot",
    "Point",
    "Route",
    "RoutingProblem",
    "RoutingResult",
    "Stop",
    "UnservedStop",
    "VehicleType",
    "Visit",
    "haversine_matrix",
    "precheck",
    "road_distance_matrix",
    "solve",
    "validate",
]
