"""Supply planning engine (issue 5): pure functions on numpy arrays and polars frames.

Time-phased netting with lot sizing and lead-time offsetting (``netting``, ``lot_sizing``), multi-echelon
sourcing with split percentages (``network``), bills of materials with low-level codes (``bom``), rough-cut
load, overload report and finite sequencing with changeovers and rush orders (``capacity``), pre-build
ahead of peaks (``prebuild``), fair allocation of scarce supply (``fair_share``), VMI min/max (``vmi``) and
pegging (``pegging``). Bad input raises PlanningInputError naming the item before any result is built.
"""

from .bom import Bom, BomPlan, bill_of_materials, explode, plan_bom
from .capacity import (
    Changeovers,
    WorkOrder,
    bucket_usage,
    check_capacity,
    insert_rush_order,
    overload_report,
    rough_cut_load,
    sequence,
)
from .errors import PlanningInputError
from .fair_share import MAX_MARGIN, PRIORITY, PROPORTIONAL, Allocation, allocate_scarce
from .graph import topological_levels
from .lot_sizing import FIXED, LOT_FOR_LOT, PERIODS, LotSizing, eoq_quantity, lot_sizing, size_lots
from .netting import MRPRecord, gross_requirements, net_requirements, offset, plan_items
from .network import (
    BUY,
    MAKE,
    TRANSFER,
    NetworkPlan,
    Sourcing,
    network_levels,
    plan_from_demand,
    plan_network,
    sourcing_rules,
)
from .options import PlanOptions
from .pegging import peg, peg_items, peg_network
from .prebuild import Prebuild, prebuild
from .safety import safety_stock_for
from .vmi import vmi_replenishment

__all__ = [
    "BUY",
    "FIXED",
    "LOT_FOR_LOT",
    "MAKE",
    "MAX_MARGIN",
    "PERIODS",
    "PRIORITY",
    "PROPORTIONAL",
    "TRANSFER",
    "Allocation",
    "Bom",
    "BomPlan",
    "Changeovers",
    "LotSizing",
    "MRPRecord",
    "NetworkPlan",
    "PlanOptions",
    "PlanningInputError",
    "Prebuild",
    "Sourcing",
    "WorkOrder",
    "allocate_scarce",
    "bill_of_materials",
    "bucket_usage",
    "check_capacity",
    "eoq_quantity",
    "explode",
    "gross_requirements",
    "insert_rush_order",
    "lot_sizing",
    "net_requirements",
    "network_levels",
    "offset",
    "overload_report",
    "peg",
    "peg_items",
    "peg_network",
    "plan_bom",
    "plan_from_demand",
    "plan_items",
    "plan_network",
    "prebuild",
    "rough_cut_load",
    "safety_stock_for",
    "sequence",
    "size_lots",
    "sourcing_rules",
    "topological_levels",
    "vmi_replenishment",
]
