"""One-call makers of valid objects for tests (each goes through the real service)."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from qudao.auth import security
from qudao.auth import service as auth_service
from qudao.auth.models import User
from qudao.auth.schemas import UserCreate
from qudao.catalog import service as catalog
from qudao.catalog.models import Category, Product
from qudao.catalog.schemas import CategoryIn, ProductCreate
from qudao.channels import service as channels
from qudao.channels.models import Channel
from qudao.channels.schemas import ChannelCreate
from qudao.common.actor import SYSTEM, Actor
from qudao.config import Settings
from qudao.locations import service as locations
from qudao.locations.models import Location
from qudao.locations.schemas import LocationCreate
from qudao.partners import service as partners
from qudao.partners.models import Partner
from qudao.partners.schemas import PartnerCreate

_seq = itertools.count(1)
PASSWORD = "correct-horse-9"


def unique(prefix: str) -> str:
    return f"{prefix}{next(_seq):05d}"


def category(session: Session, **overrides: Any) -> Category:
    code = overrides.pop("code", unique("CAT"))
    data = {"code": code, "name_zh": f"品类{code}", "name_en": f"Category {code}", **overrides}
    return catalog.create_category(session, SYSTEM, CategoryIn(**data))


def product(session: Session, **overrides: Any) -> Product:
    sku = overrides.pop("sku", unique("SKU"))
    data = {"sku": sku, "name_zh": f"产品{sku}", "name_en": f"Product {sku}", "list_price": Decimal("10.00"),
            "standard_cost": Decimal("6.00"), **overrides}
    return catalog.create_product(session, SYSTEM, ProductCreate(**data))


def channel(session: Session, **overrides: Any) -> Channel:
    code = overrides.pop("code", unique("CH"))
    data = {"code": code, "name_zh": f"渠道{code}", "name_en": f"Channel {code}", "kind": "distribution",
            **overrides}
    return channels.create_channel(session, SYSTEM, ChannelCreate(**data))


def partner(session: Session, **overrides: Any) -> Partner:
    code = overrides.pop("code", unique("P"))
    data = {"code": code, "name": f"伙伴{code}", "roles": ["distributor"], **overrides}
    return partners.create_partner(session, SYSTEM, PartnerCreate(**data))


def location(session: Session, **overrides: Any) -> Location:
    code = overrides.pop("code", unique("LOC"))
    data = {"code": code, "name": f"Location {code}", "kind": "distribution_centre", **overrides}
    return locations.create_location(session, SYSTEM, LocationCreate(**data))


def stock(session: Session, product_row: Product, location_row: Location, quantity: Any,
          unit_cost: Any = "5", **kwargs: Any) -> Any:
    """Receive ``quantity`` of a product at a location through the stock ledger (returns the movement)."""
    from qudao.inventory import service as inventory

    return inventory.receive(session, SYSTEM, product_id=product_row.id, location_id=location_row.id,
                             quantity=Decimal(str(quantity)), unit_cost=Decimal(str(unit_cost)),
                             reference=kwargs.pop("reference", "test stock"), **kwargs)


def sales_order(session: Session, channel_row: Channel, customer: Partner, ship_to: Location,
                lines: list[tuple[Product, Any]], actor_: Actor = SYSTEM, **overrides: Any) -> Any:
    """Book an order through the orders service (returns the order; lines are (product, quantity))."""
    from qudao.orders import service as orders
    from qudao.orders.schemas import OrderCreate

    data = {"channel_code": channel_row.code, "external_order_id": overrides.pop("external_order_id", unique("EXT")),
            "customer_code": customer.code, "ship_to_code": ship_to.code,
            "lines": [{"sku": p.sku, "quantity": str(q)} for p, q in lines], **overrides}
    order, _ = orders.create_order(session, actor_, OrderCreate(**data))
    return order


def user(session: Session, role: str = "admin", partner_code: str | None = None, **overrides: Any) -> User:
    username = overrides.pop("username", unique(f"{role}_"))
    data = UserCreate(username=username, password=PASSWORD, role=role, partner_code=partner_code, **overrides)
    return auth_service.create_user(session, SYSTEM, data)


def actor(user_row: User) -> Actor:
    return auth_service.actor_for(user_row)


def headers(settings: Settings, user_row: User) -> dict[str, str]:
    """Bearer headers for a user, signed with the test settings' key."""
    token = security.issue_token(settings.resolved_secret_key(), user_id=user_row.id,
                                 username=user_row.username, minutes=60)
    return {"Authorization": f"Bearer {token}"}
