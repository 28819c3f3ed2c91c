"""The order page and what staff do from it: cancel, release a credit hold, rush, reallocate (planners),
pick / pack / ship with partial quantities per line, and delivery confirmation.

Every action is one call to the orders services; a refusal (invalid input, a conflict) re-renders the
order page with the message next to the field of the form that was posted (422 / 409)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from qudao.api.deps import SessionDep
from qudao.auth.permissions import can
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.errors import NotFound
from qudao.locations import service as locations
from qudao.orders import fulfilment
from qudao.orders import fulfilment_queries as picks
from qudao.orders import queries as order_queries
from qudao.orders import service as orders
from qudao.orders.models import OrderStatus, SalesOrder
from qudao.orders.schemas import RETURN_REASONS, ReallocateIn, ShipmentAdvance, ShipmentCreate
from qudao.web.common import PageActor, PageRoute, reject_nul, render
from qudao.web.forms import FormState
from qudao.web.masterdata import PostedForm
from qudao.web.ops_forms import REF_PAGE_SIZE, attempt, field_text, next_path, path_id

# Display only: which statuses offer the reallocate form (the service decides for real).
REALLOCATABLE = (OrderStatus.backordered, OrderStatus.partially_allocated, OrderStatus.allocated,
                 OrderStatus.partially_shipped)
SHIPMENT_STEPS = ("picked", "packed", "shipped", "delivered")
SHIP_FROM_RULES = ("nearest", "priority")


def _order_id(order_id: str) -> int:
    return path_id(order_id, "order")


OrderId = Annotated[int, Depends(_order_id)]


def allowed(actor: Actor, order: SalesOrder) -> dict[str, bool]:
    """Which action forms the page offers this actor (the services check again when one is posted)."""
    staff = not actor.is_partner
    write = can(actor, "orders:write")
    return {
        "cancel": write and order.status in OrderStatus.OPEN,
        "release": write and staff and order.status == OrderStatus.on_hold,
        "rush": write and staff and order.status in OrderStatus.OPEN,
        "reallocate": staff and (write or can(actor, "orders:allocate")) and order.status in REALLOCATABLE,
        "ship": write and staff,
        "return": write,
        "inspect": write and staff,
    }


def detail_context(session: Session, actor: Actor, order_id: int,
                   forms: dict[str, FormState] | None = None) -> dict[str, Any]:
    order = orders.get_order(session, actor, order_id)
    may = allowed(actor, order)
    return {
        "order": order, "may": may, "forms": forms or {},
        "events": order_queries.timeline(session, actor, order_id),
        "shipments": fulfilment.list_shipments(session, actor, order_id),
        "sites": picks.pick_sites(session, actor, order_id) if may["ship"] else [],
        "returnable": picks.returnable(session, actor, order_id),
        "returns": picks.returns_of_order(session, actor, order_id),
        "codes": order_queries.ReferenceCodes(session), "open_statuses": OrderStatus.OPEN,
        "next_step": fulfilment.NEXT_STEP, "open_shipment": fulfilment.OPEN_SHIPMENT,
        "reasons": RETURN_REASONS, "rules": SHIP_FROM_RULES,
        "ship_from": (locations.list_locations(session, actor, ListParams(page_size=REF_PAGE_SIZE))[0]
                      if may["reallocate"] or (may["return"] and not actor.is_partner) else []),
    }


def render_detail(request: Request, session: Session, actor: Actor, order_id: int,
                  forms: dict[str, FormState] | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "orders/detail.html", actor, status_code=status_code,
                  **detail_context(session, actor, order_id, forms))


def act(request: Request, session: Session, actor: Actor, order_id: int, form: FormData, form_key: str,
        action: Any, values: dict[str, Any] | None = None, rows: list[str] | None = None) -> Response:
    """Run the action; go on to ``next`` (default: the order) or show the order with the form's errors."""
    _, state, status = attempt(session, action, values or {}, rows or [])
    if state is None:
        return RedirectResponse(next_path(form, f"/orders/{order_id}"), status_code=303)
    return render_detail(request, session, actor, order_id, {form_key: state}, status_code=status)


def quantities(form: FormData, prefix: str) -> tuple[list[dict[str, str]], list[str]]:
    """Posted ``<prefix>-<line_no>`` quantities that are filled in and not zero, with their line numbers."""
    lines, rows = [], []
    for name, value in form.multi_items():
        if not name.startswith(prefix + "-") or not isinstance(value, str):
            continue
        key, quantity = name[len(prefix) + 1:], value.strip()
        if quantity and quantity not in ("0", "0.0", "0.00") and key.isdigit():
            lines.append({"line_no": key, "quantity": quantity})
            rows.append(key)
    return lines, rows


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @pages.get("/orders/{order_id}", response_class=HTMLResponse)
    def order_detail(request: Request, session: SessionDep, actor: PageActor, order_id: OrderId) -> HTMLResponse:
        return render_detail(request, session, actor, order_id)

    @pages.post("/orders/{order_id}/cancel")
    def order_cancel(request: Request, session: SessionDep, actor: PageActor, order_id: OrderId,
                     form: PostedForm) -> Response:
        reason = field_text(form, "reason")
        return act(request, session, actor, order_id, form, "cancel",
                   lambda: orders.cancel_order(session, actor, order_id, reason=reason), {"reason": reason})

    @pages.post("/orders/{order_id}/release-hold")
    def order_release(request: Request, session: SessionDep, actor: PageActor, order_id: OrderId,
                      form: PostedForm) -> Response:
        note = field_text(form, "note", 200)
        return act(request, session, actor, order_id, form, "release",
                   lambda: orders.release_hold(session, actor, order_id, note=note), {"note": note})

    @pages.post("/orders/{order_id}/rush")
    def order_rush(request: Request, session: SessionDep, actor: PageActor, order_id: OrderId,
                   form: PostedForm) -> Response:
        rush = field_text(form, "rush") != "false"
        return act(request, session, actor, order_id, form, "rush",
                   lambda: orders.set_rush(session, actor, order_id, rush=rush))

    @pages.post("/orders/{order_id}/reallocate")
    def order_reallocate(request: Request, session: SessionDep, actor: PageActor, order_id: OrderId,
                         form: PostedForm) -> Response:
        values = {"ship_from_rule": field_text(form, "ship_from_rule", 20),
                  "location_code": field_text(form, "location_code", 40)}
        payload = {k: v for k, v in values.items() if v}
        return act(request, session, actor, order_id, form, "reallocate",
                   lambda: orders.reallocate_order(session, actor, order_id, ReallocateIn.model_validate(payload)),
                   values)

    @pages.post("/orders/{order_id}/shipments")
    def shipment_create(request: Request, session: SessionDep, actor: PageActor, order_id: OrderId,
                        form: PostedForm) -> Response:
        location_code, carrier = field_text(form, "location_code", 40), field_text(form, "carrier", 100)
        lines, rows = quantities(form, "quantity")
        values = {"carrier": carrier, **{f"quantity-{r['line_no']}": r["quantity"] for r in lines}}

        def create() -> Any:
            data = ShipmentCreate.model_validate({"location_code": location_code, "carrier": carrier, "lines": lines})
            return fulfilment.create_shipment(session, actor, order_id, data)

        return act(request, session, actor, order_id, form, f"ship-{location_code}", create, values, rows)

    @pages.post("/orders/{order_id}/shipments/{shipment_id}/{step}")
    def shipment_step(request: Request, session: SessionDep, actor: PageActor, order_id: OrderId,
                      shipment_id: str, step: str, form: PostedForm) -> Response:
        sid = path_id(shipment_id, "shipment")
        if step not in (*SHIPMENT_STEPS, "cancel"):
            raise NotFound(detail=f"no shipment step {step!r}")
        if fulfilment.get_shipment(session, actor, sid).order_id != order_id:
            raise NotFound(detail=f"shipment {sid} not found on order {order_id}")
        values = {k: field_text(form, k, 200) for k in ("carrier", "tracking_number", "received_by")}

        def advance() -> Any:
            if step == "cancel":
                return fulfilment.cancel_shipment(session, actor, sid)
            data = ShipmentAdvance.model_validate({k: v for k, v in values.items() if v})
            return fulfilment.advance_shipment(session, actor, sid, step, data)

        return act(request, session, actor, order_id, form, f"shipment-{sid}", advance, values)

    return pages
