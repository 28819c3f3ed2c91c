"""Sourcing: the approved suppliers of each item with priority, split share and ordering terms.

For planning (and the inventory policy): ``sourcing_frame(session, actor, skus=None, on=None)`` returns
one row per item x approved supplier valid on ``on`` with ``share_pct``, ``priority``, ``min_order_qty``,
``pack_size``, ``contract_price`` (the rule's, else the contract price in force) and ``lead_time_days``
(the rule's override, else the measured mean rounded up) with ``lead_time_std_days`` (measured).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Float, and_, cast, delete, func, or_, select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import SUPPLIER_ROLE, authorize
from qudao.catalog.models import Product
from qudao.common import crud
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.db import utcnow
from qudao.errors import Conflict, NotFound, invalid
from qudao.partners.models import Partner, PartnerRoleAssignment
from qudao.suppliers import queries
from qudao.suppliers import service as suppliers
from qudao.suppliers.models import SourcingRule
from qudao.suppliers.queries import plain
from qudao.suppliers.schemas import SourcingCreate, SourcingIn

HUNDRED = Decimal(100)


def share_gaps(rules: Sequence[tuple[Decimal, date | None, date | None]]) -> list[tuple[date | None, Decimal]]:
    """Days on which the shares of the rules in force do not add up to 100 % (checked where any rule
    starts or one has just ended; ``None`` stands for 'from the beginning')."""
    starts = {valid_from for _, valid_from, _ in rules}
    starts |= {valid_to + timedelta(days=1) for _, _, valid_to in rules if valid_to is not None and valid_to < date.max}
    gaps = []
    for day in sorted(starts, key=lambda d: d or date.min):
        point = day or date.min
        active = [share for share, start, end in rules
                  if (start or date.min) <= point <= (end or date.max)]
        if active and sum(active) != HUNDRED:
            gaps.append((day, sum(active)))
    return gaps


def _active_on(day: date) -> Any:
    return and_(or_(SourcingRule.valid_from.is_(None), SourcingRule.valid_from <= day),
                or_(SourcingRule.valid_to.is_(None), SourcingRule.valid_to >= day))


def _rules_for(session: Session, product_id: int) -> list[SourcingRule]:
    return list(session.scalars(select(SourcingRule).where(SourcingRule.product_id == product_id)
                                .order_by(SourcingRule.priority, SourcingRule.id)))


def _check(session: Session, data: SourcingIn) -> list[int]:
    """Validate a rule set; returns the supplier ids in input order."""
    ids: list[int] = []
    for i, source in enumerate(data.suppliers):
        field = f"suppliers[{i}]"
        if source.valid_from and source.valid_to and source.valid_to < source.valid_from:
            raise invalid(f"{field}.valid_to", "must be on or after valid_from")
        supplier_id = crud.resolve_ref(session, Partner, Partner.code, source.supplier_code,
                                       field=f"{field}.supplier_code")
        assert supplier_id is not None
        if supplier_id in ids:
            raise invalid(f"{field}.supplier_code", f"{source.supplier_code} is listed twice")
        ids.append(supplier_id)
    suppliers_with_role = set(session.scalars(select(PartnerRoleAssignment.partner_id).where(
        PartnerRoleAssignment.partner_id.in_(ids), PartnerRoleAssignment.role == SUPPLIER_ROLE)))
    for i, supplier_id in enumerate(ids):
        if supplier_id not in suppliers_with_role:
            raise invalid(f"suppliers[{i}].supplier_code",
                          f"{data.suppliers[i].supplier_code} does not hold the supplier role")
    gaps = share_gaps([(s.share_pct, s.valid_from, s.valid_to) for s in data.suppliers])
    if gaps:
        day, total = gaps[0]
        when = f"on {day}" if day else "from the start"
        raise invalid("suppliers", f"shares add up to {plain(total)} % {when}; they must add up to 100 %")
    return ids


def _replace(session: Session, actor: Actor, product_id: int, data: SourcingIn) -> list[SourcingRule]:
    supplier_ids = _check(session, data)
    before = [_snapshot(r) for r in _rules_for(session, product_id)]
    session.execute(delete(SourcingRule).where(SourcingRule.product_id == product_id))
    now = utcnow()
    for supplier_id, source in zip(supplier_ids, data.suppliers, strict=True):
        session.add(SourcingRule(product_id=product_id, supplier_id=supplier_id, created_at=now, updated_at=now,
                                 **source.model_dump(exclude={"supplier_code"})))
    session.flush()
    rules = _rules_for(session, product_id)
    audit.record(session, actor, action="update" if before else "create", entity=SourcingRule.__tablename__,
                 entity_id=product_id, before={"rules": before} if before else None,
                 after={"rules": [_snapshot(r) for r in rules]})
    return rules


def _snapshot(rule: SourcingRule) -> dict[str, Any]:
    return {"supplier": rule.supplier_code, "priority": rule.priority, "share_pct": str(rule.share_pct),
            "valid_from": rule.valid_from.isoformat() if rule.valid_from else None,
            "valid_to": rule.valid_to.isoformat() if rule.valid_to else None}


def _product_id(session: Session, sku: str) -> int:
    return crud.get_by(session, Product, Product.sku, sku, entity="product").id


def list_rules(session: Session, actor: Actor, params: ListParams, *, sku: str | None = None,
               supplier: str | None = None) -> tuple[list[SourcingRule], int]:
    authorize(actor, "purchasing:read")
    filters = []
    if sku:
        filters.append(SourcingRule.product_id.in_(select(Product.id).where(Product.sku == sku)))
    if supplier:
        filters.append(SourcingRule.supplier_id.in_(select(Partner.id).where(Partner.code == supplier)))
    return paginate(session, select(SourcingRule), params,
                    sortable={"id": SourcingRule.id, "priority": SourcingRule.priority}, default_sort="id",
                    filters=filters)


def get_sourcing(session: Session, actor: Actor, sku: str) -> list[SourcingRule]:
    authorize(actor, "purchasing:read")
    rules = _rules_for(session, _product_id(session, sku))
    if not rules:
        raise NotFound(detail=f"item {sku} has no sourcing rules")
    return rules


def create_sourcing(session: Session, actor: Actor, data: SourcingCreate) -> list[SourcingRule]:
    authorize(actor, "purchasing:write")
    product_id = crud.resolve_ref(session, Product, Product.sku, data.sku, field="sku")
    assert product_id is not None
    if _rules_for(session, product_id):
        raise Conflict(detail=f"item {data.sku} already has sourcing rules; replace them with PUT")
    return _replace(session, actor, product_id, data)


def replace_sourcing(session: Session, actor: Actor, sku: str, data: SourcingIn) -> list[SourcingRule]:
    """Replace the item's approved suppliers as a whole (shares are only meaningful together)."""
    authorize(actor, "purchasing:write")
    return _replace(session, actor, _product_id(session, sku), data)


def delete_sourcing(session: Session, actor: Actor, sku: str) -> None:
    authorize(actor, "purchasing:write")
    rules = get_sourcing(session, actor, sku)
    audit.record(session, actor, action="delete", entity=SourcingRule.__tablename__, entity_id=rules[0].product_id,
                 before={"rules": [_snapshot(r) for r in rules]})
    session.execute(delete(SourcingRule).where(SourcingRule.product_id == rules[0].product_id))


def is_single_source(rules: Sequence[SourcingRule], on: date | None = None) -> bool:
    on = on or utcnow().date()
    active = [r for r in rules if (r.valid_from or date.min) <= on <= (r.valid_to or date.max)]
    return len(active) == 1


def single_source_items(session: Session, actor: Actor, on: date | None = None) -> list[tuple[str, str]]:
    """Items with exactly one approved supplier in force on ``on`` (today): (sku, supplier code)."""
    authorize(actor, "purchasing:read")
    on = on or utcnow().date()
    single = (select(SourcingRule.product_id, func.min(SourcingRule.supplier_id).label("supplier_id"))
              .where(_active_on(on)).group_by(SourcingRule.product_id)
              .having(func.count(SourcingRule.id) == 1).subquery())
    rows = session.execute(select(Product.sku, Partner.code).join(single, single.c.product_id == Product.id)
                           .join(Partner, Partner.id == single.c.supplier_id).order_by(Product.sku)).all()
    return [(sku, code) for sku, code in rows]


def sourcing_frame(session: Session, actor: Actor, *, skus: list[str] | None = None,
                   on: date | None = None) -> pl.DataFrame:
    """Approved suppliers per item in force on ``on`` with terms and planning lead times (see module doc)."""
    authorize(actor, "purchasing:read")
    on = on or utcnow().date()
    stmt = (select(SourcingRule.product_id, Product.sku, SourcingRule.supplier_id, Partner.code,
                   SourcingRule.priority, cast(SourcingRule.share_pct, Float), cast(SourcingRule.min_order_qty, Float),
                   cast(SourcingRule.pack_size, Float), cast(SourcingRule.contract_price, Float),
                   SourcingRule.lead_time_days)
            .join(Product, Product.id == SourcingRule.product_id).join(Partner, Partner.id == SourcingRule.supplier_id)
            .where(_active_on(on)).order_by(Product.sku, SourcingRule.priority))
    if skus is not None:
        stmt = stmt.where(Product.sku.in_(skus))
    rules = pl.DataFrame([tuple(r) for r in session.execute(stmt).all()], schema=RULE_SCHEMA, orient="row")
    if rules.is_empty():
        return pl.DataFrame(schema=SOURCING_SCHEMA)
    stats = suppliers.lead_time_stats(session, actor, skus=rules["sku"].unique().to_list(), as_of=on).select(
        "supplier_id", "product_id", "mean_days", pl.col("std_days").alias("lead_time_std_days"))
    prices = (queries.contract_price_frame(session)
              .filter((pl.col("valid_from") <= on) & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= on)))
              .sort("valid_from").group_by(["supplier_id", "product_id"]).agg(pl.col("price").last()))
    keys = ["supplier_id", "product_id"]
    return (rules.join(stats, on=keys, how="left").join(prices, on=keys, how="left").with_columns(
        pl.coalesce("rule_price", "price").alias("contract_price"),
        pl.coalesce("lead_time_override", pl.col("mean_days").ceil().cast(pl.Int64)).alias("lead_time_days"),
        pl.when(pl.col("lead_time_override").is_not_null()).then(pl.lit("override"))
        .when(pl.col("mean_days").is_not_null()).then(pl.lit("measured")).alias("lead_time_source"),
    ).select(list(SOURCING_SCHEMA)).cast(SOURCING_SCHEMA))


RULE_SCHEMA = {"product_id": pl.Int64, "sku": pl.Utf8, "supplier_id": pl.Int64, "supplier_code": pl.Utf8,
               "priority": pl.Int64, "share_pct": pl.Float64, "min_order_qty": pl.Float64, "pack_size": pl.Float64,
               "rule_price": pl.Float64, "lead_time_override": pl.Int64}


SOURCING_SCHEMA = {"product_id": pl.Int64, "sku": pl.Utf8, "supplier_id": pl.Int64, "supplier_code": pl.Utf8,
                   "priority": pl.Int64, "share_pct": pl.Float64, "min_order_qty": pl.Float64,
                   "pack_size": pl.Float64, "contract_price": pl.Float64, "lead_time_days": pl.Int64,
                   "lead_time_source": pl.Utf8, "lead_time_std_days": pl.Float64}

