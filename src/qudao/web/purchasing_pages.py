"""Purchase-order and transfer pages: list, create, detail, confirm (a transfer ships on confirm), receive
partially (the over-receipt tolerance error shown next to the line), close and cancel. Every change is
one call to the purchasing service; a refusal re-renders the form with the message (422 / 409)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from qudao.api.deps import SessionDep
from qudao.auth.permissions import authorize, can
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.errors import NotFound
from qudao.locations import service as locations
from qudao.partners import service as partners
from qudao.purchasing import service as purchasing
from qudao.purchasing.models import OrderStatus
from qudao.purchasing.schemas import PurchaseOrderCreate, ReceiptIn, TransferCreate, TransferReceiptIn
from qudao.web.common import PageActor, PageRoute, is_htmx, reject_nul, render
from qudao.web.forms import FormState
from qudao.web.masterdata import PostedForm
from qudao.web.ops_forms import PAGE_SIZE, REF_PAGE_SIZE, PageNo, Search, attempt, field_text, page_count, posted_lines

LINE_ROWS = [str(n) for n in range(6)]
STATUSES = tuple(s.value for s in OrderStatus)
PO_FIELDS = ("code", "supplier_code", "location_code", "currency", "expected_date", "over_receipt_tolerance_pct",
             "note")
TRANSFER_FIELDS = ("code", "from_location_code", "to_location_code", "expected_date", "note")


@dataclass(frozen=True)
class DocumentKind:
    """The purchasing use cases and input schemas behind one set of pages."""

    get: Callable[..., Any]
    list: Callable[..., Any]
    create: Callable[..., Any]
    create_schema: type[BaseModel]
    header_fields: tuple[str, ...]
    line_fields: tuple[str, ...]
    receive: Callable[..., Any]
    receipt_schema: type[BaseModel]
    steps: dict[str, Callable[..., Any]]  # confirm (a transfer ships), close, cancel


KINDS = {
    "purchase-orders": DocumentKind(
        purchasing.get_purchase_order, purchasing.list_purchase_orders, purchasing.create_purchase_order,
        PurchaseOrderCreate, PO_FIELDS, ("sku", "quantity", "unit_cost"), purchasing.receive_purchase_order,
        ReceiptIn, {"confirm": purchasing.confirm_purchase_order, "close": purchasing.close_purchase_order,
                    "cancel": purchasing.cancel_purchase_order}),
    "transfers": DocumentKind(
        purchasing.get_transfer, purchasing.list_transfers, purchasing.create_transfer, TransferCreate,
        TRANSFER_FIELDS, ("sku", "quantity"), purchasing.receive_transfer, TransferReceiptIn,
        {"confirm": purchasing.confirm_transfer, "close": purchasing.close_transfer,
         "cancel": purchasing.cancel_transfer}),
}


def _code(code: str) -> str:
    if len(code) > 40:
        raise NotFound(detail=f"{code[:40]} not found")
    return code


DocCode = Annotated[str, Depends(_code)]


def _options(session: Session, actor: Actor, kind: str) -> dict[str, list[Any]]:
    params = ListParams(page_size=REF_PAGE_SIZE)
    return {"locations": locations.list_locations(session, actor, params)[0],
            "suppliers": partners.list_partners(session, actor, params)[0] if kind == "purchase-orders" else []}


def _render_form(request: Request, session: Session, actor: Actor, kind: str, state: FormState,
                 status_code: int = 200) -> HTMLResponse:
    return render(request, f"purchasing/{kind}_form.html", actor, status_code=status_code, st=state, kind=kind,
                  line_rows=LINE_ROWS, **_options(session, actor, kind))


def _render_detail(request: Request, session: Session, actor: Actor, kind: str, code: str,
                   forms: dict[str, FormState] | None = None, status_code: int = 200) -> HTMLResponse:
    document = KINDS[kind].get(session, actor, code)
    return render(request, "purchasing/detail.html", actor, status_code=status_code, doc=document, kind=kind,
                  forms=forms or {}, may_write=can(actor, "purchasing:write"), open_for_receipt=(
                      OrderStatus.confirmed, OrderStatus.partially_received))


def _receipt_lines(form: FormData, kind: str) -> tuple[list[dict[str, str]], list[str], dict[str, str]]:
    """Posted ``quantity-<line_no>`` (with ``lot-``/``expiry-`` for purchase orders); blank rows skipped."""
    lines, rows, values = [], [], {}
    for name, value in form.multi_items():
        if not name.startswith("quantity-") or not isinstance(value, str) or not value.strip():
            continue
        line_no = name.removeprefix("quantity-")
        line: dict[str, str] = {"line_no": line_no, "quantity": value.strip()}
        values[name] = value.strip()
        if kind == "purchase-orders":
            for extra in ("lot", "expiry"):
                if entry := field_text(form, f"{extra}-{line_no}", 60):
                    line[extra] = values[f"{extra}-{line_no}"] = entry
        lines.append(line)
        rows.append(line_no)
    return lines, rows, values


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    for kind in KINDS:
        _routes(pages, kind)
    return pages


def _routes(pages: APIRouter, kind: str) -> None:
    spec = KINDS[kind]

    @pages.get(f"/{kind}", response_class=HTMLResponse, name=f"{kind}-list")
    def doc_list(request: Request, session: SessionDep, actor: PageActor, q: Search = None,
                 status: Annotated[str | None, Query(max_length=20)] = None, page: PageNo = 1) -> HTMLResponse:
        rows, total = spec.list(session, actor, ListParams(q=q or None, page=page, page_size=PAGE_SIZE),
                                status=status or None)
        template = "purchasing/_table.html" if is_htmx(request) else "purchasing/list.html"
        return render(request, template, actor, rows=rows, total=total, page=page, pages=page_count(total),
                      q=q or "", status=status or "", statuses=STATUSES, kind=kind,
                      may_write=can(actor, "purchasing:write"))

    @pages.get(f"/{kind}/new", response_class=HTMLResponse, name=f"{kind}-new")
    def doc_new(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
        authorize(actor, "purchasing:write")
        defaults = {"currency": "CNY", "over_receipt_tolerance_pct": "0"} if kind == "purchase-orders" else {}
        return _render_form(request, session, actor, kind, FormState(values=defaults))

    @pages.post(f"/{kind}/new", name=f"{kind}-create")
    def doc_create(request: Request, session: SessionDep, actor: PageActor, form: PostedForm) -> Response:
        values: dict[str, Any] = {name: field_text(form, name, 500) for name in spec.header_fields}
        lines, rows = posted_lines(form, LINE_ROWS, spec.line_fields)
        values.update({f"{f}-{n}": field_text(form, f"{f}-{n}", 100) for n in LINE_ROWS for f in spec.line_fields})

        def make() -> Any:
            payload = {k: v for k, v in values.items() if k in spec.header_fields and v}
            return spec.create(session, actor, spec.create_schema.model_validate({**payload, "lines": lines}))

        created, state, status = attempt(session, make, values, rows, first_field="sku")
        if created is None:
            assert state is not None
            return _render_form(request, session, actor, kind, state, status_code=status)
        return RedirectResponse(f"/{kind}/{created.code}", status_code=303)

    @pages.get(f"/{kind}/{{code}}", response_class=HTMLResponse, name=f"{kind}-detail")
    def doc_detail(request: Request, session: SessionDep, actor: PageActor, code: DocCode) -> HTMLResponse:
        return _render_detail(request, session, actor, kind, code)

    @pages.post(f"/{kind}/{{code}}/receive", name=f"{kind}-receive")
    def doc_receive(request: Request, session: SessionDep, actor: PageActor, code: DocCode,
                    form: PostedForm) -> Response:
        lines, rows, values = _receipt_lines(form, kind)
        done, state, status = attempt(
            session, lambda: spec.receive(session, actor, code, spec.receipt_schema.model_validate({"lines": lines})),
            values, rows)
        if done is None:
            assert state is not None
            return _render_detail(request, session, actor, kind, code, {"receive": state}, status_code=status)
        return RedirectResponse(f"/{kind}/{code}", status_code=303)

    @pages.post(f"/{kind}/{{code}}/{{step}}", name=f"{kind}-step")
    def doc_step(request: Request, session: SessionDep, actor: PageActor, code: DocCode, step: str,
                 form: PostedForm) -> Response:
        use_case = spec.steps.get(step)
        if use_case is None:
            raise NotFound(detail=f"no step {step!r}")
        reason = field_text(form, "reason", 200)
        if step == "confirm":
            action: Any = lambda: use_case(session, actor, code)  # noqa: E731
        else:
            action = lambda: use_case(session, actor, code, reason)  # noqa: E731
        done, state, status = attempt(session, action, {"reason": reason})
        if done is None:
            assert state is not None
            return _render_detail(request, session, actor, kind, code, {step: state}, status_code=status)
        return RedirectResponse(f"/{kind}/{code}", status_code=303)

