"""Helpers shared by the operations pages (orders, returns, stock, counts, purchasing): paging, ids from
the path, posted line tables, and turning a refused service call into messages next to the fields."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, TypeVar

from fastapi import Query
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from qudao.errors import NotFound, QudaoError, invalid
from qudao.web.common import local_path
from qudao.web.forms import FormState

PAGE_SIZE = 25
REF_PAGE_SIZE = 500
Search = Annotated[str | None, Query(max_length=200)]
Code = Annotated[str | None, Query(max_length=40)]
PageNo = Annotated[int, Query(ge=1, le=1_000_000)]
LINE_FIELD = re.compile(r"lines\[?\.?(\d+)\]?(?:\.(\w+))?")
T = TypeVar("T")


def page_count(total: int) -> int:
    return max(1, math.ceil(total / PAGE_SIZE))


def path_id(value: str, entity: str) -> int:
    """A numeric id from the path: digits within the BIGINT range, otherwise the page is not found."""
    if not value.isdigit() or not 1 <= int(value) <= 2**63 - 1:
        raise NotFound(detail=f"{entity} {value} not found")
    return int(value)


def field_text(form: FormData, name: str, limit: int = 500) -> str:
    return str(form.get(name) or "").strip()[:limit]


def checked(form: FormData, name: str) -> bool:
    return form.get(name) in ("on", "true", "1")


def next_path(form: FormData, default: str) -> str:
    """Where to go after an action: a same-site ``next`` field (e.g. back to the exceptions queue)."""
    return local_path(field_text(form, "next", 300) or None, default)


def end_of_day(value: str, field: str) -> datetime | None:
    """A date typed into a form as the last instant of that day in UTC (blank = now)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise invalid(field, "use a date like 2026-03-31") from None
    return datetime.combine(day, time.max, tzinfo=UTC)


def posted_lines(form: FormData, keys: Sequence[str], fields: Sequence[str]) -> tuple[list[dict[str, str]], list[str]]:
    """Rows of a line table named ``<field>-<key>``; a row whose first field is blank is skipped.

    Returns the rows and, per row, the key of the form row it came from (to place errors)."""
    rows, names = [], []
    for key in keys:
        row = {f: field_text(form, f"{f}-{key}", 100) for f in fields}
        if row[fields[0]]:
            rows.append(row)
            names.append(key)
    return rows, names


def refusal(session: Session, exc: Exception, values: dict[str, Any], rows: Sequence[str] = (),
            first_field: str = "quantity") -> FormState:
    """The form's state after the service said no: invalid input (422) or a conflict (409).

    Not allowed (401/403) and not found (404) are re-raised so the error page shows instead. The
    transaction is rolled back, so nothing of the refused action is kept. An error on ``lines[i].x``
    is placed on the form row ``rows[i]`` as ``x-<row>``."""
    if isinstance(exc, QudaoError) and exc.status in (401, 403, 404):
        raise exc
    session.rollback()
    state = FormState(values=values)

    def place(name: str, reason: str) -> None:
        match = LINE_FIELD.fullmatch(name)
        if match and int(match.group(1)) < len(rows):
            name = f"{match.group(2) or first_field}-{rows[int(match.group(1))]}"
        state.errors.setdefault(name, reason)

    if isinstance(exc, ValidationError):
        for error in exc.errors():
            loc = [str(p) for p in error.get("loc", ())]
            name = loc[0] if loc else "form"
            if name == "lines" and len(loc) >= 2:
                name = f"lines[{loc[1]}]" + (f".{loc[2]}" if len(loc) > 2 else "")
            place(name, str(error.get("msg", "invalid")).removeprefix("Value error, "))
    elif isinstance(exc, QudaoError):
        for item in exc.errors:
            place(item.field, item.reason)
        if not exc.errors:
            state.message = exc.detail
    return state


def status_of(exc: Exception) -> int:
    return exc.status if isinstance(exc, QudaoError) else 422


def attempt(session: Session, action: Callable[[], T], values: dict[str, Any], rows: Sequence[str] = (),
            first_field: str = "quantity") -> tuple[T | None, FormState | None, int]:
    """Run one service call; on a refusal return the form state and the HTTP status to show it with."""
    try:
        return action(), None, 200
    except (ValidationError, QudaoError) as exc:
        return None, refusal(session, exc, values, rows, first_field), status_of(exc)
