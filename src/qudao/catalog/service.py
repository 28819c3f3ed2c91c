"""Use cases for products and the category tree. Every write is audited; callers own the transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize
from qudao.catalog.models import Category, Product
from qudao.catalog.schemas import CategoryIn, CategoryUpdate, ProductCreate, ProductUpdate
from qudao.common import crud
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.common.records import apply_changes, snapshot
from qudao.errors import Conflict, invalid

PRODUCT_SORTS = {
    "id": Product.id,
    "sku": Product.sku,
    "name_zh": Product.name_zh,
    "name_en": Product.name_en,
    "brand": Product.brand,
    "list_price": Product.list_price,
    "lifecycle": Product.lifecycle,
    "created_at": Product.created_at,
    "updated_at": Product.updated_at,
}


# ---- categories -------------------------------------------------------------------------------


def list_categories(session: Session, actor: Actor, params: ListParams) -> tuple[list[Category], int]:
    authorize(actor, "catalog:read")
    filters = [] if params.include_archived else [Category.archived_at.is_(None)]
    return paginate(
        session,
        select(Category),
        params,
        search=(Category.code, Category.name_zh, Category.name_en),
        sortable={"id": Category.id, "code": Category.code, "path": Category.path},
        default_sort="path",
        filters=filters,
    )


def get_category(session: Session, actor: Actor, code: str) -> Category:
    authorize(actor, "catalog:read")
    return crud.get_by(session, Category, Category.code, code, entity="category")


def create_category(session: Session, actor: Actor, data: CategoryIn) -> Category:
    authorize(actor, "catalog:write")
    if session.scalar(select(Category.id).where(Category.code == data.code)) is not None:
        raise Conflict(detail=f"category code {data.code} already exists")
    parent = _parent_category(session, data.parent_code)
    category = Category(
        code=data.code,
        name_zh=data.name_zh,
        name_en=data.name_en,
        parent_id=parent.id if parent else None,
        path=(parent.path if parent else "/") + data.code + "/",
    )
    session.add(category)
    audit.record_create(session, actor, category)
    return category


def update_category(session: Session, actor: Actor, code: str, data: CategoryUpdate) -> Category:
    authorize(actor, "catalog:write")
    category = get_category(session, actor, code)
    before = snapshot(category)
    changes = data.model_dump(exclude_unset=True, exclude={"parent_code"})
    if any(v is None for v in changes.values()):
        raise invalid(next(k for k, v in changes.items() if v is None), "must not be null")
    apply_changes(category, changes)
    if "parent_code" in data.model_fields_set:
        parent = _parent_category(session, data.parent_code)
        new_path = (parent.path if parent else "/") + category.code + "/"
        if parent is not None and parent.path.startswith(category.path):
            raise invalid("parent_code", "a category cannot move under itself or its own descendant")
        old_path = category.path
        category.parent_id = parent.id if parent else None
        # Re-root the whole subtree in one statement.
        session.execute(
            update(Category)
            .where(Category.path.startswith(old_path))
            .values(path=new_path + func.substr(Category.path, len(old_path) + 1))
            .execution_options(synchronize_session="fetch")
        )
    audit.record_update(session, actor, category, before)
    return category


def archive_category(session: Session, actor: Actor, code: str) -> Category:
    authorize(actor, "catalog:write")
    category = get_category(session, actor, code)
    in_use = session.scalar(
        select(Product.sku).where(Product.category_id == category.id, Product.archived_at.is_(None)).limit(1)
    )
    if in_use:
        raise Conflict(detail=f"category {code} still holds active products (e.g. {in_use})")
    child = session.scalar(
        select(Category.code).where(Category.parent_id == category.id, Category.archived_at.is_(None)).limit(1)
    )
    if child:
        raise Conflict(detail=f"category {code} still has active sub-categories (e.g. {child})")
    return crud.archive(session, actor, category)


def _parent_category(session: Session, code: str | None) -> Category | None:
    if code is None:
        return None
    parent = session.scalar(select(Category).where(Category.code == code))
    if parent is None or parent.archived_at is not None:
        raise invalid("parent_code", f"no active category with code {code!r}")
    return parent


# ---- products ---------------------------------------------------------------------------------


def list_products(
    session: Session,
    actor: Actor,
    params: ListParams,
    *,
    category: str | None = None,
    lifecycle: str | None = None,
    brand: str | None = None,
) -> tuple[list[Product], int]:
    authorize(actor, "catalog:read")
    filters: list[Any] = [] if params.include_archived else [Product.archived_at.is_(None)]
    if category:
        root = get_category(session, actor, category)
        subtree = select(Category.id).where(Category.path.startswith(root.path))
        filters.append(Product.category_id.in_(subtree))
    if lifecycle:
        filters.append(Product.lifecycle == lifecycle)
    if brand:
        filters.append(Product.brand == brand)
    return paginate(
        session,
        select(Product),
        params,
        search=(Product.sku, Product.name_zh, Product.name_en, Product.brand, Product.barcode),
        sortable=PRODUCT_SORTS,
        default_sort="sku",
        filters=filters,
    )


def get_product(session: Session, actor: Actor, sku: str) -> Product:
    authorize(actor, "catalog:read")
    return crud.get_by(session, Product, Product.sku, sku, entity="product")


def create_product(session: Session, actor: Actor, data: ProductCreate) -> Product:
    authorize(actor, "catalog:write")
    if session.scalar(select(Product.id).where(Product.sku == data.sku)) is not None:
        raise Conflict(detail=f"sku {data.sku} already exists")
    product = Product(sku=data.sku)
    _apply_product_fields(session, product, data.model_dump(exclude_unset=True, exclude={"sku"}))
    session.add(product)
    audit.record_create(session, actor, product)
    return product


def update_product(session: Session, actor: Actor, sku: str, data: ProductUpdate) -> Product:
    authorize(actor, "catalog:write")
    product = get_product(session, actor, sku)
    before = snapshot(product)
    before["substitute_skus"] = product.substitute_skus
    _apply_product_fields(session, product, data.model_dump(exclude_unset=True))
    audit.record_update(session, actor, product, before)
    return product


def archive_product(session: Session, actor: Actor, sku: str) -> Product:
    authorize(actor, "catalog:write")
    return crud.archive(session, actor, get_product(session, actor, sku))


REQUIRED_PRODUCT_FIELDS = {"name_zh", "name_en", "uom", "allows_fractional", "pack_size", "list_price",
                           "standard_cost", "currency", "lifecycle", "brand"}


def _apply_product_fields(session: Session, product: Product, fields: dict[str, Any]) -> None:
    for name in REQUIRED_PRODUCT_FIELDS & fields.keys():
        if fields[name] is None:
            raise invalid(name, "must not be null")
    if "category_code" in fields:
        category_id = crud.resolve_ref(
            session, Category, Category.code, fields.pop("category_code"), field="category_code"
        )
        # Assign the related object (not just the id) so the loaded relationship stays in step.
        product.category = session.get(Category, category_id) if category_id else None
    if "successor_sku" in fields:
        successor_sku = fields.pop("successor_sku")
        if successor_sku is not None and successor_sku == product.sku:
            raise invalid("successor_sku", "a product cannot succeed itself")
        successor_id = crud.resolve_ref(session, Product, Product.sku, successor_sku, field="successor_sku")
        product.successor = session.get(Product, successor_id) if successor_id else None
    if "substitute_skus" in fields:
        skus = sorted(set(fields.pop("substitute_skus") or []))
        if product.sku in skus:
            raise invalid("substitute_skus", "a product cannot substitute itself")
        found = session.scalars(select(Product).where(Product.sku.in_(skus), Product.archived_at.is_(None))).all()
        missing = sorted(set(skus) - {p.sku for p in found})
        if missing:
            raise invalid("substitute_skus", f"unknown or archived sku(s): {', '.join(missing)}")
        product.substitutes = list(found)
    if "lifecycle" in fields and fields["lifecycle"] is not None:
        fields["lifecycle"] = str(fields["lifecycle"])
    apply_changes(product, fields)
