"""Returns (RMA) from the order page: authorise a return of shipped lines (a partner may for its own
orders), receive it, inspect it line by line with restock or scrap; and the list of returns."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from qudao.api.deps import SessionDep
from qudao.errors import NotFound
from qudao.orders import fulfilment
from qudao.orders import queries as order_queries
from qudao.orders.schemas import InspectionIn, ReturnCreate
from qudao.web.common import PageActor, PageRoute, reject_nul, render
from qudao.web.masterdata import PostedForm
from qudao.web.ops_forms import field_text, path_id
from qudao.web.orders_pages import OrderId, act, quantities

RETURN_STATUSES = ("authorized", "received", "closed")


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @pages.get("/returns", response_class=HTMLResponse)
    def return_list(request: Request, session: SessionDep, actor: PageActor,
                    status: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
        rows = fulfilment.list_returns(session, actor, status=status or None)
        return render(request, "orders/returns.html", actor, rows=rows, status=status or "",
                      statuses=RETURN_STATUSES, codes=order_queries.ReferenceCodes(session))

    @pages.post("/orders/{order_id}/returns")
    def return_create(request: Request, session: SessionDep, actor: PageActor, order_id: OrderId,
                      form: PostedForm) -> Response:
        values = {"reason": field_text(form, "reason", 40), "notes": field_text(form, "notes", 2000),
                  "location_code": field_text(form, "location_code", 40)}
        lines, rows = quantities(form, "quantity")
        values.update({f"quantity-{r['line_no']}": r["quantity"] for r in lines})

        def create() -> Any:
            payload = {"order_id": order_id, "reason": values["reason"], "notes": values["notes"], "lines": lines}
            if values["location_code"]:
                payload["location_code"] = values["location_code"]
            return fulfilment.create_return(session, actor, ReturnCreate.model_validate(payload))

        return act(request, session, actor, order_id, form, "return", create, values, rows)

    def _rma(session: Any, actor: Any, order_id: int, rma_id: str) -> int:
        rid = path_id(rma_id, "return")
        if fulfilment.get_return(session, actor, rid).order_id != order_id:
            raise NotFound(detail=f"return {rid} not found on order {order_id}")
        return rid

    @pages.post("/orders/{order_id}/returns/{rma_id}/receive")
    def return_receive(request: Request, session: SessionDep, actor: PageActor, order_id: OrderId, rma_id: str,
                       form: PostedForm) -> Response:
        rid = _rma(session, actor, order_id, rma_id)
        return act(request, session, actor, order_id, form, f"rma-{rid}",
                   lambda: fulfilment.receive_return(session, actor, rid))

    @pages.post("/orders/{order_id}/returns/{rma_id}/inspect")
    def return_inspect(request: Request, session: SessionDep, actor: PageActor, order_id: OrderId, rma_id: str,
                       form: PostedForm) -> Response:
        rid = _rma(session, actor, order_id, rma_id)
        lines, rows, values = [], [], {}
        for name, value in form.multi_items():
            if name.startswith("disposition-") and isinstance(value, str):
                line_no = name.removeprefix("disposition-")
                condition = field_text(form, f"condition-{line_no}", 40)
                lines.append({"line_no": line_no, "disposition": value.strip(), "condition": condition})
                rows.append(line_no)
                values.update({name: value.strip(), f"condition-{line_no}": condition})

        def inspect() -> Any:
            return fulfilment.inspect_return(session, actor, rid, InspectionIn.model_validate({"lines": lines}))

        return act(request, session, actor, order_id, form, f"rma-{rid}", inspect, values, rows)

    return pages
