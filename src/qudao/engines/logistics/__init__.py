"""Freight rating (rate cards, chargeable weight, carrier choice) and freight emissions, as pure functions."""

from qudao.engines.logistics.emissions import (
    DEFAULT_FACTORS,
    DISTANCE_FACTORS,
    EmissionFactor,
    co2e_kg,
    great_circle_km,
    transport_distance_km,
)
from qudao.engines.logistics.rating import (
    Consignment,
    Lane,
    Quote,
    RateBreak,
    RatingResult,
    ServiceRates,
    chargeable_weight,
    choose,
    rate_all,
    rate_service,
)

__all__ = [
    "DEFAULT_FACTORS",
    "DISTANCE_FACTORS",
    "Consignment",
    "EmissionFactor",
    "Lane",
    "Quote",
    "RateBreak",
    "RatingResult",
    "ServiceRates",
    "chargeable_weight",
    "choose",
    "co2e_kg",
    "great_circle_km",
    "rate_all",
    "rate_service",
    "transport_distance_km",
]
