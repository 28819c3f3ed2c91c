"""Inventory policy engine: pure, vectorised functions, each citing its source.

Every function accepts scalars or numpy arrays (broadcast together) and raises PolicyInputError, a
ValueError naming the argument and the item index, on bad input.
"""

from ._checks import PolicyInputError
from .eoq import (
    BackorderEOQ,
    DiscountEOQ,
    eoq,
    eoq_all_units_discount,
    eoq_cost,
    eoq_with_backorders,
    eoq_with_backorders_cost,
)
from .guaranteed_service import GSMResult, guaranteed_service, serial_guaranteed_service
from .newsvendor import Newsvendor, critical_ratio, newsvendor_empirical, newsvendor_normal
from .normal import inverse_normal_loss, normal_loss
from .policy_defaults import DEFAULT_CLASS_POLICIES, ClassPolicy, PolicyDefaults, policy_defaults
from .review import (
    BaseStock,
    RQPolicy,
    SSPolicy,
    base_stock_level,
    order_up_to_level,
    rq_cost,
    rq_hadley_whitin,
    ss_poisson_optimal,
    ss_power_approximation,
)
from .safety_stock import (
    CYCLE,
    FILL_RATE,
    ProtectionStock,
    cycle_service_factor,
    demand_std_over_lead_time,
    expected_fill_rate,
    fill_rate_factor,
    protection_stock,
    reorder_point,
    safety_stock,
    safety_stock_from_quantiles,
)

__all__ = [
    "CYCLE",
    "DEFAULT_CLASS_POLICIES",
    "FILL_RATE",
    "BackorderEOQ",
    "BaseStock",
    "ClassPolicy",
    "DiscountEOQ",
    "GSMResult",
    "Newsvendor",
    "PolicyDefaults",
    "PolicyInputError",
    "ProtectionStock",
    "RQPolicy",
    "SSPolicy",
    "base_stock_level",
    "critical_ratio",
    "cycle_service_factor",
    "demand_std_over_lead_time",
    "eoq",
    "eoq_all_units_discount",
    "eoq_cost",
    "eoq_with_backorders",
    "eoq_with_backorders_cost",
    "expected_fill_rate",
    "fill_rate_factor",
    "guaranteed_service",
    "inverse_normal_loss",
    "newsvendor_empirical",
    "newsvendor_normal",
    "normal_loss",
    "order_up_to_level",
    "policy_defaults",
    "protection_stock",
    "reorder_point",
    "rq_cost",
    "rq_hadley_whitin",
    "safety_stock",
    "safety_stock_from_quantiles",
    "serial_guaranteed_service",
    "ss_poisson_optimal",
    "ss_power_approximation",
]
