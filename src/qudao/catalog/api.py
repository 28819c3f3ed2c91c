"""REST routes for products and categories (thin: parse, call the service, render)."""

from __future__ import annotations

from fastapi import APIRouter, status

from qudao.api.deps import ActorDep, ListParamsDep, SessionDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.catalog import service
from qudao.catalog.schemas import (
    CategoryIn,
    CategoryOut,
    CategoryUpdate,
    ProductCreate,
    ProductOut,
    ProductUpdate,
)
from qudao.common.enums import Lifecycle
from qudao.common.listing import Page

router = APIRouter(tags=["catalog"], responses=PROBLEM_RESPONSES)


@router.get("/products", response_model=Page[ProductOut])
def list_products(
    session: SessionDep,
    actor: ActorDep,
    params: ListParamsDep,
    category: str | None = None,
    lifecycle: Lifecycle | None = None,
    brand: str | None = None,
) -> Page[ProductOut]:
    rows, total = service.list_products(
        session, actor, params, category=category, lifecycle=lifecycle, brand=brand
    )
    return Page(items=[ProductOut.model_validate(r) for r in rows], total=total,
                page=params.page, page_size=params.page_size)


@router.post("/products", response_model=ProductOut, status_code=status.HTTP_201_CREATED)
def create_product(session: SessionDep, actor: ActorDep, body: ProductCreate) -> ProductOut:
    return ProductOut.model_validate(service.create_product(session, actor, body))


@router.get("/products/{sku}", response_model=ProductOut)
def get_product(session: SessionDep, actor: ActorDep, sku: str) -> ProductOut:
    return ProductOut.model_validate(service.get_product(session, actor, sku))


@router.patch("/products/{sku}", response_model=ProductOut)
def update_product(session: SessionDep, actor: ActorDep, sku: str, body: ProductUpdate) -> ProductOut:
    return ProductOut.model_validate(service.update_product(session, actor, sku, body))


@router.delete("/products/{sku}", response_model=ProductOut)
def archive_product(session: SessionDep, actor: ActorDep, sku: str) -> ProductOut:
    return ProductOut.model_validate(service.archive_product(session, actor, sku))


@router.get("/categories", response_model=Page[CategoryOut])
def list_categories(session: SessionDep, actor: ActorDep, params: ListParamsDep) -> Page[CategoryOut]:
    rows, total = service.list_categories(session, actor, params)
    return Page(items=[CategoryOut.model_validate(r) for r in rows], total=total,
                page=params.page, page_size=params.page_size)


@router.post("/categories", response_model=CategoryOut, status_code=status.HTTP_201_CREATED)
def create_category(session: SessionDep, actor: ActorDep, body: CategoryIn) -> CategoryOut:
    return CategoryOut.model_validate(service.create_category(session, actor, body))


@router.get("/categories/{code}", response_model=CategoryOut)
def get_category(session: SessionDep, actor: ActorDep, code: str) -> CategoryOut:
    return CategoryOut.model_validate(service.get_category(session, actor, code))


@router.patch("/categories/{code}", response_model=CategoryOut)
def update_category(session: SessionDep, actor: ActorDep, code: str, body: CategoryUpdate) -> CategoryOut:
    return CategoryOut.model_validate(service.update_category(session, actor, code, body))


@router.delete("/categories/{code}", response_model=CategoryOut)
def archive_category(session: SessionDep, actor: ActorDep, code: str) -> CategoryOut:
    return CategoryOut.model_validate(service.archive_category(session, actor, code))
