"""Search, filters, sorting and pagination shared by every list endpoint and page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from qudao.errors import invalid

T = TypeVar("T")


class ListParams(BaseModel):
    q: str | None = Field(default=None, description="Free-text search", max_length=200)
    sort: str | None = Field(default=None, description="Field name, '-' prefix for descending", max_length=64)
    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=50, ge=1, le=500)
    include_archived: bool = False


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


def paginate(
    session: Session,
    stmt: Select[Any],
    params: ListParams,
    *,
    search: Sequence[InstrumentedAttribute[Any]] = (),
    sortable: Mapping[str, InstrumentedAttribute[Any]],
    default_sort: str,
    filters: Sequence[ColumnElement[bool]] = (),
) -> tuple[list[Any], int]:
    """Apply search, filters and sort to ``stmt``, return one page of rows and the total count."""
    for condition in filters:
        stmt = stmt.where(condition)
    if params.q:
        pattern = f"%{params.q.strip().lower()}%"
        stmt = stmt.where(or_(*(func.lower(column).like(pattern) for column in search)))
    sort = params.sort or default_sort
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in sortable:
        raise invalid("sort", f"unknown sort field {key!r}; use one of {', '.join(sorted(sortable))}")
    column = sortable[key]
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    order = column.desc() if descending else column.asc()
    # A unique tiebreaker keeps pages stable when many rows share the sort value.
    primary_key = sortable.get("id")
    ordering = [order] if primary_key is None or key == "id" else [order, primary_key.asc()]
    rows = session.scalars(
        stmt.order_by(*ordering).limit(params.page_size).offset((params.page - 1) * params.page_size)
    ).all()
    return list(rows), int(total)
