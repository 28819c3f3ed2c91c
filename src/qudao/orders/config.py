"""Order configuration: channel price lists, priority rules and the ship-from policy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, require_staff
from qudao.catalog.models import Product
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.common.records import snapshot
from qudao.engines import allocation as engine
from qudao.errors import Conflict, FieldError, Invalid, invalid
from qudao.orders.intake import MAX_ERRORS
from qudao.orders.models import (
    AllocationPolicy,
    PriceList,
    PriceListItem,
    PriorityRule,
)
from qudao.orders.schemas import PriceListIn, PriorityRuleIn


def create_price_list(session: Session, actor: Actor, data: PriceListIn) -> PriceList:
    authorize(actor, "orders:write")
    require_staff(actor, "manage price lists")
    if session.scalar(select(PriceList.id).where(PriceList.code == data.code)) is not None:
        raise Conflict(detail=f"price list {data.code} already exists")
    channel = session.scalar(select(Channel).where(Channel.code == data.channel_code, Channel.archived_at.is_(None)))
    if channel is None:
        raise invalid("channel_code", f"no active channel {data.channel_code!r}")
    skus = [i.sku for i in data.items]
    products = dict(session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all())
    errors = [FieldError(f"items[{n}].sku", f"unknown SKU {i.sku!r}") for n, i in enumerate(data.items)
              if i.sku not in products]
    errors += [FieldError(f"items[{n}].price", "must satisfy min_price <= price <= max_price")
               for n, i in enumerate(data.items) if not i.min_price <= i.price <= i.max_price]
    if len(set(skus)) != len(skus):
        errors.append(FieldError("items", "a SKU appears more than once"))
    if errors:
        raise Invalid(detail="; ".join(f"{e.field}: {e.reason}" for e in errors[:5]), errors=errors[:MAX_ERRORS])
    price_list = PriceList(code=data.code, channel_id=channel.id, currency=data.currency, items=[
        PriceListItem(product_id=products[i.sku], price=i.price, min_price=i.min_price, max_price=i.max_price)
        for i in data.items])
    session.add(price_list)
    audit.record_create(session, actor, price_list)
    return price_list


def list_priority_rules(session: Session, actor: Actor) -> list[PriorityRule]:
    authorize(actor, "orders:read")
    return list(session.scalars(select(PriorityRule).order_by(PriorityRule.kind)).all())


def set_priority_rule(session: Session, actor: Actor, data: PriorityRuleIn) -> PriorityRule:
    """Create or replace the rule of one kind (once any rule exists, only configured rules apply)."""
    authorize(actor, "orders:write")
    require_staff(actor, "configure order priority")
    if data.kind == "channel" and data.scores:
        known = set(session.scalars(select(Channel.code).where(Channel.code.in_(list(data.scores)))).all())
        missing = sorted(set(data.scores) - known)
        if missing:
            raise invalid("scores", f"unknown channel code(s): {', '.join(missing)}")
    rule = session.scalar(select(PriorityRule).where(PriorityRule.kind == data.kind))
    if rule is None:
        rule = PriorityRule(kind=data.kind, weight=data.weight, scores=data.scores, horizon_days=data.horizon_days,
                            active=data.active)
        session.add(rule)
        audit.record_create(session, actor, rule)
        return rule
    before = snapshot(rule)
    rule.weight, rule.scores, rule.horizon_days, rule.active = data.weight, data.scores, data.horizon_days, data.active
    audit.record_update(session, actor, rule, before)
    return rule


def set_allocation_policy(session: Session, actor: Actor, *, ship_from_rule: str,
                          channel_code: str | None = None) -> AllocationPolicy:
    authorize(actor, "orders:write")
    require_staff(actor, "configure allocation")
    if ship_from_rule not in (engine.ShipFromRule.nearest, engine.ShipFromRule.priority):
        raise invalid("ship_from_rule", "use 'nearest' or 'priority'")
    channel_id = None
    if channel_code is not None:
        channel_id = session.scalar(select(Channel.id).where(Channel.code == channel_code))
        if channel_id is None:
            raise invalid("channel_code", f"unknown channel {channel_code!r}")
    policy = session.scalar(select(AllocationPolicy).where(
        AllocationPolicy.channel_id.is_(None) if channel_id is None else AllocationPolicy.channel_id == channel_id))
    if policy is None:
        policy = AllocationPolicy(channel_id=channel_id, ship_from_rule=ship_from_rule)
        session.add(policy)
        audit.record_create(session, actor, policy)
    else:
        before = snapshot(policy)
        policy.ship_from_rule = ship_from_rule
        audit.record_update(session, actor, policy, before)
    return policy
