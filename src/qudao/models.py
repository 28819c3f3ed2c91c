"""Imports every area's tables so ``Base.metadata`` is complete (for Alembic and tests)."""

from qudao.audit import models as audit_models
from qudao.auth import models as auth_models
from qudao.catalog import models as catalog_models
from qudao.channelperf import models as channelperf_models
from qudao.channels import models as channels_models
from qudao.common import idempotency
from qudao.cpfr import models as cpfr_models
from qudao.crm import models as crm_models
from qudao.demand import models as demand_models
from qudao.forecasting import models as forecasting_models
from qudao.inventory import models as inventory_models
from qudao.locations import models as locations_models
from qudao.logistics import models as logistics_models
from qudao.loyalty import models as loyalty_models
from qudao.orders import models as orders_models
from qudao.partners import models as partners_models
from qudao.planning import models as planning_models
from qudao.production import models as production_models
from qudao.purchasing import models as purchasing_models
from qudao.segments import models as segments_models
from qudao.suppliers import models as suppliers_models

__all__ = [
    "audit_models",
    "auth_models",
    "catalog_models",
    "channelperf_models",
    "channels_models",
    "cpfr_models",
    "crm_models",
    "demand_models",
    "forecasting_models",
    "idempotency",
    "inventory_models",
    "locations_models",
    "logistics_models",
    "loyalty_models",
    "orders_models",
    "partners_models",
    "planning_models",
    "production_models",
    "purchasing_models",
    "segments_models",
    "suppliers_models",
]
