"""Declarative form fields: turn posted form data into a service's input schema, and validation
errors (Pydantic or domain) into messages shown next to the fields they name."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from qudao.errors import QudaoError


@dataclass(frozen=True)
class FormField:
    name: str
    kind: str = "text"  # text | number | select | checks | checkbox | list | textarea
    choices: str | tuple[str, ...] | None = None  # enum values, or the name of a reference list
    choice_prefix: str = ""  # catalogue key prefix for enum labels, e.g. "lifecycle."
    empty: Any = None  # what an empty input means: None (unset value) or "" (blank text)
    required: bool = False
    create_only: bool = False  # identifying codes cannot change after creation
    staff_only: bool = False  # hidden from partner users (the service refuses them anyway)
    step: str = "any"
    value: Callable[[Any, dict[str, dict[int, str]]], Any] | None = None  # current value for the edit form


@dataclass
class FormState:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None


def decimal_text(value: Decimal) -> str:
    """A stored decimal as people write it: no trailing zeros beyond two places (15.8000 -> 15.80)."""
    if not value.is_finite():
        return str(value)
    normal = value.normalize()
    places = max(2, -normal.as_tuple().exponent) if isinstance(normal.as_tuple().exponent, int) else 2
    return f"{value:.{places}f}"


def current_values(obj: Any, fields: list[FormField], refs: dict[str, dict[int, str]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in fields:
        raw = f.value(obj, refs) if f.value else getattr(obj, f.name, None)
        if isinstance(raw, list):
            values[f.name] = [str(v) for v in raw]
        elif isinstance(raw, bool) or raw is None:
            values[f.name] = raw
        elif isinstance(raw, Decimal):
            values[f.name] = decimal_text(raw)
        else:
            values[f.name] = str(raw)
    return values


def read_form(form: FormData, fields: list[FormField]) -> dict[str, Any]:
    """Posted values as the schema expects them; an empty input becomes the field's ``empty`` value."""
    payload: dict[str, Any] = {}
    for f in fields:
        if f.kind == "checkbox":
            payload[f.name] = form.get(f.name) in ("on", "true", "1")
        elif f.kind == "checks":
            payload[f.name] = [str(v) for v in form.getlist(f.name)]
        elif f.kind == "list":
            payload[f.name] = [s for s in re.split(r"[,\s]+", str(form.get(f.name) or "")) if s]
        else:
            raw = str(form.get(f.name) or "").strip()
            payload[f.name] = raw if raw else f.empty
    return payload


def error_state(exc: Exception, payload: dict[str, Any]) -> FormState:
    """Field messages from a Pydantic ValidationError or a domain error (Invalid, Conflict, ...)."""
    state = FormState(values=payload)
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            loc = error.get("loc", ())
            name = str(loc[0]) if loc else "form"
            state.errors.setdefault(name, _pydantic_message(error))
    elif isinstance(exc, QudaoError):
        for item in exc.errors:
            state.errors.setdefault(item.field, item.reason)
        if not exc.errors:
            state.message = exc.detail
    unplaced = [f"{k}: {v}" for k, v in state.errors.items() if k not in payload]
    if unplaced:
        state.message = "; ".join([*([state.message] if state.message else []), *unplaced])
    return state


def _pydantic_message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "invalid"))
    return message.removeprefix("Value error, ")
