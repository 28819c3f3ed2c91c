"""Who may do what: the role matrix and the one place partner scoping is decided.

Permissions are ``area:verb`` strings. A partner user additionally only ever reaches rows owned by
its own partner organisation: services call ``partner_filter`` when listing and ``ensure_own`` when
reading or changing one row, so the rule lives here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import ColumnElement, true

from qudao.common.actor import Actor, Role
from qudao.errors import Forbidden, NotFound

BUSINESS_AREAS = (
    "catalog",
    "partners",
    "channels",
    "locations",
    "inventory",
    "orders",
    "purchasing",
    "demand",
    "planning",
    "logistics",
    "crm",
    "kpi",
)


def _read(*areas: str) -> set[str]:
    return {f"{area}:read" for area in areas}


def _write(*areas: str) -> set[str]:
    return {f"{area}:write" for area in areas}


ALL_READ = _read(*BUSINESS_AREAS)

PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.admin: frozenset({"*"}),
    Role.planner: frozenset(
        ALL_READ | _write("catalog", "channels", "locations", "demand", "planning", "purchasing", "inventory")
        | {"orders:allocate"}  # planners move order reservations between locations (reallocation)
        | {"planning:report"}  # report production against work orders (also warehouse)
        | {"imports:write", "exports:read"}  # bulk master-data files (CSV/Excel)
    ),
    Role.sales: frozenset(ALL_READ | _write("partners", "orders", "crm", "demand")),
    Role.warehouse: frozenset(ALL_READ | _write("inventory", "orders", "logistics", "purchasing")
                              | {"planning:report"}),  # report production against work orders
    Role.viewer: frozenset(ALL_READ),
    # Partners read the shared catalogue and channel tree, and their own records in the rest.
    Role.partner: frozenset(
        _read("catalog", "channels", "partners", "locations", "orders", "inventory", "demand", "crm")
        | _write("partners", "locations", "orders", "demand", "crm")
        # logistics: a customer follows its freight; a carrier reports tracking events for what it carries
        | _read("logistics") | _write("logistics")
    ),
}


def can(actor: Actor, permission: str) -> bool:
    granted = PERMISSIONS.get(actor.role, frozenset())
    return "*" in granted or permission in granted


def authorize(actor: Actor, permission: str) -> None:
    if not can(actor, permission):
        raise Forbidden(detail=f"role {actor.role} may not {permission.replace(':', ' ')}")


def partner_filter(actor: Actor, owner_column: Any) -> ColumnElement[bool]:
    """Condition restricting a query to the actor's own partner's rows (always true for staff)."""
    if actor.is_partner:
        return owner_column == actor.partner_id
    return true()


def ensure_own(actor: Actor, owner_partner_id: int | None, *, entity: str, key: Any) -> None:
    """A partner user reaching another partner's row sees 'not found', so ids leak nothing."""
    if actor.is_partner and owner_partner_id != actor.partner_id:
        raise NotFound(detail=f"{entity} {key} not found")


def require_staff(actor: Actor, what: str) -> None:
    if actor.is_partner:
        raise Forbidden(detail=f"partner users may not {what}")


# ---- the supplier portal ---------------------------------------------------------------------------------
# The role matrix gives partner users no purchasing rights. A partner user whose organisation holds the
# supplier role gets exactly these, and only through the portal's use cases (qudao.suppliers), which call
# ``authorize_supplier`` and then scope rows with ``partner_filter`` / ``ensure_own`` on the supplier column:
# it reads the purchase orders, shipping notices and scorecard of its own organisation, confirms its own
# order lines and sends notices for them. Every other purchasing route still refuses partner users.
SUPPLIER_ROLE = "supplier"
SUPPLIER_PORTAL_PERMISSIONS = frozenset({"purchasing:read", "purchasing:write"})


def authorize_supplier(actor: Actor, permission: str, partner_roles: Callable[[], Iterable[str]]) -> None:
    """Staff need ``permission`` itself; a partner user needs a portal permission and the supplier role
    (``partner_roles`` is only called for partner users, so staff calls cost no query)."""
    if not actor.is_partner:
        authorize(actor, permission)
        return
    if permission not in SUPPLIER_PORTAL_PERMISSIONS or SUPPLIER_ROLE not in set(partner_roles()):
        raise Forbidden(detail=f"only supplier organisations may {permission.replace(':', ' ')} (supplier portal)")
