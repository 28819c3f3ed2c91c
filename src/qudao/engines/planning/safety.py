"""Safety stock inputs for netting, from the inventory policy engine (not re-derived here)."""

from __future__ import annotations

import numpy as np

from ..inventory import PolicyInputError, safety_stock
from .errors import PlanningInputError, label


def safety_stock_for(demand_std, lead_time, service_level, demand_mean=0.0, lead_time_std=0.0, items=None):
    """Safety stock per item for a cycle service level in (0, 1): k sigma_DL with
    sigma_DL = sqrt(L sigma_d^2 + d^2 sigma_L^2), computed by ``qudao.engines.inventory.safety_stock``
    (Silver, Pyke & Thomas 2017, Ch. 6). A service level outside (0, 1) names the item."""
    try:
        ss = safety_stock(demand_mean, demand_std, lead_time, service_level, lead_time_std=lead_time_std)
    except PolicyInputError as exc:
        idx = exc.index[0] if isinstance(exc.index, tuple) else exc.index
        raise PlanningInputError(exc.field, exc.reason, None if idx is None else label(items, idx)) from exc
    return np.asarray(ss, dtype=float)
