"""Set-based reads and writes of master-data tables for import and export.

Imports write the areas' tables directly with bulk statements instead of calling each area's one-row
``create_*`` service: 100,000 products through the one-row path take minutes (see bench/master_data.py),
in bulk seconds. The rules those services enforce are re-checked before writing: field rules by the same
Pydantic schemas, references and uniqueness set-wise in ``qudao.imports.service``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, NamedTuple

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, aliased

from qudao.catalog.models import Category, Product, product_substitutes
from qudao.channels.models import Channel
from qudao.db import utcnow
from qudao.imports.schemas import TransferKind
from qudao.locations.models import Location
from qudao.partners.models import Partner, PartnerRoleAssignment

BATCH = 10_000
K = TransferKind
MODELS: dict[TransferKind, Any] = {K.products: Product, K.categories: Category, K.partners: Partner,
                                   K.channels: Channel, K.locations: Location}


class Known(NamedTuple):
    id: int
    archived: bool


class Lookups:
    """Key -> (id, archived) per table, one query each, loaded on first use."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[TransferKind, dict[str, Known]] = {}

    def get(self, kind: TransferKind) -> dict[str, Known]:
        if kind not in self._cache:
            model = MODELS[kind]
            key = model.sku if kind == K.products else model.code
            self._cache[kind] = {k: Known(int(i), a is not None)
                                 for k, i, a in self.session.execute(select(key, model.id, model.archived_at))}
        return self._cache[kind]

    def ids(self, kind: TransferKind) -> dict[str, int]:
        self._cache.pop(kind, None)
        return {k: v.id for k, v in self.get(kind).items()}


Written = Callable[[int], None]


def _rows(objs: list[Any], model: Any, exclude: set[str]) -> list[dict[str, Any]]:
    """Plain column dicts with the table's defaults for unset values, identical keys in every row."""
    now = utcnow()
    table = model.__table__
    defaults = {c.name: c.default.arg for c in table.columns
                if c.default is not None and c.default.is_scalar and not c.nullable}
    out = []
    for obj in objs:
        row = {k: (v.value if isinstance(v, Enum) else v) for k, v in obj.model_dump(exclude=exclude).items()}
        for name, value in defaults.items():
            if row.get(name) is None:
                row[name] = value
        row["created_at"] = row["updated_at"] = now
        out.append(row)
    return out


def _insert(session: Session, model: Any, rows: list[dict[str, Any]], written: Written) -> None:
    for first in range(0, len(rows), BATCH):
        session.execute(insert(model.__table__), rows[first:first + BATCH])
        written(min(first + BATCH, len(rows)))


def _link_parents(session: Session, model: Any, objs: list[Any], ids: dict[str, int], field: str = "parent_code",
                  column: str = "parent_id", key: str = "code") -> None:
    links = [{"id": ids[getattr(o, key)], column: ids[getattr(o, field)]} for o in objs if getattr(o, field)]
    for first in range(0, len(links), BATCH):
        session.execute(update(model), links[first:first + BATCH])


def write_products(session: Session, objs: list[Any], lookups: Lookups, written: Written) -> int:
    categories = lookups.get(K.categories)
    rows = _rows(objs, Product, {"category_code", "successor_sku", "substitute_skus"})
    for row, obj in zip(rows, objs, strict=True):
        row["category_id"] = categories[obj.category_code].id if obj.category_code else None
    _insert(session, Product, rows, written)
    ids = lookups.ids(K.products)
    _link_parents(session, Product, objs, ids, field="successor_sku", column="successor_id", key="sku")
    pairs = [{"product_id": ids[o.sku], "substitute_id": ids[s]}
             for o in objs for s in sorted(set(o.substitute_skus or []))]
    for first in range(0, len(pairs), BATCH):
        session.execute(insert(product_substitutes), pairs[first:first + BATCH])
    return len(rows)


def write_categories(session: Session, objs: list[Any], lookups: Lookups, written: Written) -> int:
    paths = dict(session.execute(select(Category.code, Category.path)).all())
    parents = {o.code: o.parent_code for o in objs}

    def path_of(code: str) -> str:
        if code not in paths:
            # Iterative walk up to a known path (the import has already rejected cycles).
            chain = [code]
            while parents.get(chain[-1]) and parents[chain[-1]] not in paths:
                chain.append(parents[chain[-1]])
            top = parents.get(chain[-1])
            prefix = paths[top] if top else "/"
            for c in reversed(chain):
                prefix = paths[c] = prefix + c + "/"
        return paths[code]

    rows = _rows(objs, Category, {"parent_code"})
    for row in rows:
        row["path"] = path_of(row["code"])
    _insert(session, Category, rows, written)
    _link_parents(session, Category, objs, lookups.ids(K.categories))
    return len(rows)


def write_channels(session: Session, objs: list[Any], lookups: Lookups, written: Written) -> int:
    rows = _rows(objs, Channel, {"parent_code"})
    _insert(session, Channel, rows, written)
    _link_parents(session, Channel, objs, lookups.ids(K.channels))
    return len(rows)


def write_partners(session: Session, objs: list[Any], lookups: Lookups, written: Written) -> int:
    channels = lookups.get(K.channels)
    rows = _rows(objs, Partner, {"parent_code", "channel_code", "roles", "contacts"})
    for row, obj in zip(rows, objs, strict=True):
        row["channel_id"] = channels[obj.channel_code].id if obj.channel_code else None
    _insert(session, Partner, rows, written)
    ids = lookups.ids(K.partners)
    _link_parents(session, Partner, objs, ids)
    roles = [{"partner_id": ids[o.code], "role": r} for o in objs for r in sorted({str(x) for x in o.roles})]
    for first in range(0, len(roles), BATCH):
        session.execute(insert(PartnerRoleAssignment.__table__), roles[first:first + BATCH])
    return len(rows)


def write_locations(session: Session, objs: list[Any], lookups: Lookups, written: Written) -> int:
    partners, channels = lookups.get(K.partners), lookups.get(K.channels)
    rows = _rows(objs, Location, {"owner_partner_code", "channel_code"})
    for row, obj in zip(rows, objs, strict=True):
        row["owner_partner_id"] = partners[obj.owner_partner_code].id if obj.owner_partner_code else None
        row["channel_id"] = channels[obj.channel_code].id if obj.channel_code else None
    _insert(session, Location, rows, written)
    return len(rows)


WRITERS: dict[TransferKind, Callable[[Session, list[Any], Lookups, Written], int]] = {
    K.products: write_products, K.categories: write_categories, K.partners: write_partners,
    K.channels: write_channels, K.locations: write_locations,
}


# ---- export reads: one query per table (plus one for list columns), codes instead of ids -------------


def read_products(session: Session) -> list[dict[str, Any]]:
    successor = aliased(Product)
    cols = [c for c in Product.__table__.columns if c.name not in ("id", "category_id", "successor_id")]
    stmt = (select(*cols, Product.id, Category.code.label("category_code"), successor.sku.label("successor_sku"))
            .outerjoin(Category, Product.category_id == Category.id)
            .outerjoin(successor, Product.successor_id == successor.id)
            .where(Product.archived_at.is_(None)).order_by(Product.sku))
    rows = [dict(r._mapping) for r in session.execute(stmt)]
    substitute = aliased(Product)
    subs: dict[int, list[str]] = {}
    for pid, sku in session.execute(select(product_substitutes.c.product_id, substitute.sku)
                                    .join(substitute, substitute.id == product_substitutes.c.substitute_id)):
        subs.setdefault(pid, []).append(sku)
    for row in rows:
        row["substitute_skus"] = sorted(subs.get(row["id"], []))
    return rows


def _read_tree(session: Session, model: Any, order: Any) -> list[dict[str, Any]]:
    parent = aliased(model)
    stmt = (select(model, parent.code.label("parent_code")).outerjoin(parent, model.parent_id == parent.id)
            .where(model.archived_at.is_(None)).order_by(order))
    return [{**{c.name: getattr(obj, c.name) for c in model.__table__.columns}, "parent_code": code}
            for obj, code in session.execute(stmt)]


def read_categories(session: Session) -> list[dict[str, Any]]:
    return _read_tree(session, Category, Category.path)


def read_channels(session: Session) -> list[dict[str, Any]]:
    return _read_tree(session, Channel, Channel.code)


def read_partners(session: Session) -> list[dict[str, Any]]:
    rows = _read_tree(session, Partner, Partner.code)
    channel_codes = dict(session.execute(select(Channel.id, Channel.code)).all())
    roles: dict[int, list[str]] = {}
    for pid, role in session.execute(select(PartnerRoleAssignment.partner_id, PartnerRoleAssignment.role)):
        roles.setdefault(pid, []).append(role)
    for row in rows:
        row["roles"] = sorted(roles.get(row["id"], []))
        row["channel_code"] = channel_codes.get(row["channel_id"])
    return rows


def read_locations(session: Session) -> list[dict[str, Any]]:
    owner = aliased(Partner)
    cols = [c for c in Location.__table__.columns if c.name not in ("owner_partner_id", "channel_id")]
    stmt = (select(*cols, owner.code.label("owner_partner_code"), Channel.code.label("channel_code"))
            .outerjoin(owner, Location.owner_partner_id == owner.id)
            .outerjoin(Channel, Location.channel_id == Channel.id)
            .where(Location.archived_at.is_(None)).order_by(Location.code))
    return [dict(r._mapping) for r in session.execute(stmt)]


READERS: dict[TransferKind, Callable[[Session], list[dict[str, Any]]]] = {
    K.products: read_products, K.categories: read_categories, K.partners: read_partners,
    K.channels: read_channels, K.locations: read_locations,
}
