"""Who is acting: every service call receives an ``Actor`` resolved by the adapter."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    planner = "planner"
    sales = "sales"
    warehouse = "warehouse"
    viewer = "viewer"
    partner = "partner"


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    role: Role
    partner_id: int | None = None

    @property
    def is_partner(self) -> bool:
        return self.role == Role.partner


# Used by the CLI and by jobs run on the operator's own machine: full rights, audited by name.
SYSTEM = Actor(user_id=None, username="system", role=Role.admin)
