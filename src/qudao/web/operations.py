"""Pages for sales orders: the order list, order entry and the exceptions queue (the order page and its
actions are in ``orders_pages``, returns in ``returns_pages``, stock in ``inventory_pages``). Every read
and write goes through the orders services."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from qudao.api.deps import SessionDep
from qudao.auth.permissions import can
from qudao.channels import service as channels
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.db import utcnow
from qudao.errors import QudaoError
from qudao.locations import service as locations
from qudao.orders import queries as order_queries
from qudao.orders import service as orders
from qudao.orders.models import OrderStatus
from qudao.orders.schemas import OrderCreate
from qudao.partners import service as partners
from qudao.web.common import PageActor, PageRoute, is_htmx, reject_nul, render
from qudao.web.forms import FormState
from qudao.web.masterdata import PostedForm
from qudao.web.ops_forms import PAGE_SIZE, REF_PAGE_SIZE, PageNo, Search, page_count

LINE_ROWS = 5
ORDER_FIELDS = ("channel_code", "external_order_id", "customer_code", "ship_to_code", "promised_date", "notes")


def _entry_options(session: Session, actor: Actor) -> dict[str, list[Any]]:
    """Choices for the order form, through the master-data list services (partners see their own)."""
    params = ListParams(page_size=REF_PAGE_SIZE)
    return {"channels": channels.list_channels(session, actor, params)[0],
            "customers": [] if actor.is_partner else partners.list_partners(session, actor, params)[0],
            "locations": locations.list_locations(session, actor, params)[0]}


def _read_order_form(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: str(form.get(name) or "").strip() for name in ORDER_FIELDS}
    values["rush"] = form.get("rush") in ("on", "true", "1")
    values["allow_split"] = form.get("allow_split") in ("on", "true", "1")
    values["lines"] = [{"sku": str(form.get(f"lines[{n}].sku") or "").strip(),
                        "quantity": str(form.get(f"lines[{n}].quantity") or "").strip()} for n in range(LINE_ROWS)]
    return values


def _payload(values: dict[str, Any]) -> dict[str, Any]:
    """The schema's input: blank optional fields left out, blank line rows skipped (their index kept)."""
    payload = {k: values[k] for k in ORDER_FIELDS if values[k]}
    payload.update(rush=values["rush"], allow_split=values["allow_split"])
    payload["lines"] = [line for line in values["lines"] if line["sku"] or line["quantity"]]
    return payload


def _line_index(values: dict[str, Any]) -> list[int]:
    return [n for n, line in enumerate(values["lines"]) if line["sku"] or line["quantity"]]


def _order_errors(exc: Exception, values: dict[str, Any]) -> FormState:
    """Field messages keyed like the inputs (``lines[2].sku``), whichever row of the form they came from."""
    rows = _line_index(values)
    state = FormState(values=values)

    def place(name: str, reason: str) -> None:
        match = re.fullmatch(r"lines\[?\.?(\d+)\]?\.?(\w+)?", name)
        if match and int(match.group(1)) < len(rows):
            name = f"lines[{rows[int(match.group(1))]}].{match.group(2) or 'sku'}"
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
    known = {*ORDER_FIELDS, "rush", "allow_split", *(f"lines[{n}].{f}" for n in range(LINE_ROWS)
                                                      for f in ("sku", "quantity"))}
    unplaced = [f"{k}: {v}" for k, v in state.errors.items() if k not in known]
    if unplaced:
        state.message = "; ".join([*([state.message] if state.message else []), *unplaced])
    return state


def _render_entry(request: Request, session: Session, actor: Actor, state: FormState,
                  status_code: int = 200) -> HTMLResponse:
    return render(request, "orders/form.html", actor, status_code=status_code, state=state,
                  options=_entry_options(session, actor), line_rows=range(LINE_ROWS))


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @pages.get("/orders", response_class=HTMLResponse)
    def order_list(request: Request, session: SessionDep, actor: PageActor, q: Search = None,
                   status: Annotated[str | None, Query(max_length=24)] = None, page: PageNo = 1) -> HTMLResponse:
        rows, total = order_queries.list_orders(session, actor, ListParams(q=q or None, page=page,
                                                                           page_size=PAGE_SIZE),
                                                status=status or None)
        template = "orders/_table.html" if is_htmx(request) else "orders/list.html"
        return render(request, template, actor, rows=rows, total=total, page=page, pages=page_count(total),
                      q=q or "", status=status or "", statuses=OrderStatus.ALL,
                      codes=order_queries.ReferenceCodes(session))

    @pages.get("/orders/new", response_class=HTMLResponse)
    def order_new(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
        values = {name: "" for name in ORDER_FIELDS}
        values.update(rush=False, allow_split=False, lines=[{"sku": "", "quantity": ""}] * LINE_ROWS,
                      external_order_id=f"WEB-{utcnow():%Y%m%d%H%M%S}-{actor.user_id or 0}")
        return _render_entry(request, session, actor, FormState(values=values))

    @pages.post("/orders/new")
    def order_create(request: Request, session: SessionDep, actor: PageActor, form: PostedForm) -> Response:
        values = _read_order_form(form)
        try:
            data = OrderCreate.model_validate(_payload(values))
            order, _ = orders.create_order(session, actor, data, source="portal" if actor.is_partner else "web")
        except (ValidationError, QudaoError) as exc:
            if isinstance(exc, QudaoError) and exc.status in (401, 403):
                raise  # not allowed at all: the error page, not the form
            session.rollback()  # nothing of a refused order is kept
            return _render_entry(request, session, actor, _order_errors(exc, values), status_code=422)
        return RedirectResponse(f"/orders/{order.id}", status_code=303)

    @pages.get("/orders/exceptions", response_class=HTMLResponse)
    def order_exceptions(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
        rows = order_queries.exceptions(session, actor)
        staff = not actor.is_partner
        return render(request, "orders/exceptions.html", actor, rows=rows,
                      staff_write=staff and can(actor, "orders:write"),
                      may_reallocate=staff and (can(actor, "orders:write") or can(actor, "orders:allocate")))

    return pages

