"""Pages for sales orders and stock: order list, entry, detail with timeline, exceptions queue, stock by
location and the movement ledger. Every read and write goes through the orders and inventory services."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from qudao.api.deps import SessionDep
from qudao.channels import service as channels
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.db import utcnow
from qudao.errors import NotFound, QudaoError
from qudao.inventory import queries as inventory_queries
from qudao.inventory.models import MovementType
from qudao.locations import service as locations
from qudao.orders import fulfilment
from qudao.orders import queries as order_queries
from qudao.orders import service as orders
from qudao.orders.models import OrderStatus
from qudao.orders.schemas import OrderCreate
from qudao.partners import service as partners
from qudao.web.common import PageActor, PageRoute, is_htmx, reject_nul, render
from qudao.web.forms import FormState
from qudao.web.masterdata import PostedForm

PAGE_SIZE = 25
REF_PAGE_SIZE = 500
LINE_ROWS = 5
ORDER_FIELDS = ("channel_code", "external_order_id", "customer_code", "ship_to_code", "promised_date", "notes")
Search = Annotated[str | None, Query(max_length=200)]
Code = Annotated[str | None, Query(max_length=40)]
PageNo = Annotated[int, Query(ge=1, le=1_000_000)]


def _pages(total: int) -> int:
    return max(1, math.ceil(total / PAGE_SIZE))


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
        return render(request, template, actor, rows=rows, total=total, page=page, pages=_pages(total),
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
        return render(request, "orders/exceptions.html", actor, rows=rows)

    @pages.get("/orders/{order_id}", response_class=HTMLResponse)
    def order_detail(request: Request, session: SessionDep, actor: PageActor,
                     order_id: Annotated[int, Depends(_order_id)]) -> HTMLResponse:
        order = orders.get_order(session, actor, order_id)
        events = order_queries.timeline(session, actor, order_id)
        shipments = fulfilment.list_shipments(session, actor, order_id)
        return render(request, "orders/detail.html", actor, order=order, events=events, shipments=shipments,
                      codes=order_queries.ReferenceCodes(session), open_statuses=OrderStatus.OPEN)

    @pages.post("/orders/{order_id}/cancel")
    def order_cancel(request: Request, session: SessionDep, actor: PageActor,
                     order_id: Annotated[int, Depends(_order_id)], form: PostedForm) -> Response:
        orders.cancel_order(session, actor, order_id, reason=str(form.get("reason") or "").strip()[:500])
        return RedirectResponse(f"/orders/{order_id}", status_code=303)

    @pages.get("/inventory", response_class=HTMLResponse)
    def stock_page(request: Request, session: SessionDep, actor: PageActor, sku: Code = None,
                   location: Code = None, page: PageNo = 1) -> HTMLResponse:
        rows, total = inventory_queries.list_balances(
            session, actor, ListParams(page=page, page_size=PAGE_SIZE), sku=sku or None, location=location or None)
        template = "inventory/_balances.html" if is_htmx(request) else "inventory/balances.html"
        return render(request, template, actor, rows=rows, total=total, page=page, pages=_pages(total),
                      sku=sku or "", location=location or "",
                      locations=locations.list_locations(session, actor, ListParams(page_size=REF_PAGE_SIZE))[0])

    @pages.get("/inventory/movements", response_class=HTMLResponse)
    def movements_page(request: Request, session: SessionDep, actor: PageActor, sku: Code = None,
                       location: Code = None, movement_type: Annotated[str | None, Query(max_length=30)] = None,
                       page: PageNo = 1) -> HTMLResponse:
        rows, total = inventory_queries.list_movements(
            session, actor, ListParams(page=page, page_size=PAGE_SIZE), sku=sku or None, location=location or None,
            movement_type=movement_type or None)
        template = "inventory/_movements.html" if is_htmx(request) else "inventory/movements.html"
        return render(request, template, actor, rows=rows, total=total, page=page, pages=_pages(total),
                      sku=sku or "", location=location or "", movement_type=movement_type or "",
                      types=MovementType.ALL,
                      locations=locations.list_locations(session, actor, ListParams(page_size=REF_PAGE_SIZE))[0])

    return pages


def _order_id(order_id: str) -> int:
    """An order id from the path: digits within the BIGINT range, otherwise the page is not found."""
    if not order_id.isdigit() or not 1 <= int(order_id) <= 2**63 - 1:
        raise NotFound(detail=f"order {order_id} not found")
    return int(order_id)
