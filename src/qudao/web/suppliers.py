"""Supplier pages: scorecards with their monthly trend and weights, sourcing rules with single-source items,
and the supplier portal (my purchase orders, confirm lines, send a shipping notice, my scorecard).
Every read and write is one call to the suppliers services; a refused form is shown again with the message."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from qudao.api.deps import SessionDep
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.engines.scorecard import GRADES, METRICS, TIERS
from qudao.errors import NotFound, QudaoError
from qudao.suppliers import portal, service, sourcing
from qudao.suppliers.schemas import ConfirmIn, NoticeIn, RefreshIn, SourcingIn, WeightsIn
from qudao.web.common import PageActor, PageRoute, reject_nul, render
from qudao.web.forms import decimal_text
from qudao.web.masterdata import PostedForm

PAGE_SIZE = 25
Search = Annotated[str | None, Query(max_length=200)]
Choice = Annotated[str | None, Query(max_length=20)]
PageNo = Annotated[int, Query(ge=1, le=1_000_000)]


def _code(code: str) -> str:
    if len(code) > 40:
        raise NotFound(detail=f"{code[:40]} not found")
    return code


def _sku(sku: str) -> str:
    return _code(sku)


Code = Annotated[str, Depends(_code)]
Sku = Annotated[str, Depends(_sku)]


def _pages(total: int) -> int:
    return max(1, math.ceil(total / PAGE_SIZE))


def _message(exc: ValidationError | QudaoError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
                         for e in exc.errors()[:5])
    return str(exc)


def _trend_json(trend: list[Any]) -> str:
    def num(value: Any) -> float | None:
        return None if value is None else float(value)

    return json.dumps({"periods": [t.period for t in trend], "score": [num(t.score) for t in trend],
                       **{m: [num(getattr(t, f"{m}_score")) for t in trend] for m in METRICS}})


def _scorecard(request: Request, actor: Actor, current: Any, trend: list[Any], *, own: bool) -> HTMLResponse:
    return render(request, "suppliers/scorecard.html", actor, card=current, trend=trend, metrics=METRICS,
                  trend_json=_trend_json(trend), own=own)


RULE_FIELDS = ("supplier_code", "priority", "share_pct", "min_order_qty", "pack_size", "contract_price",
               "lead_time_days", "valid_from", "valid_to")
MAX_RULES = 8


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return decimal_text(value) if isinstance(value, Decimal) else str(value)


def _rule_row(rule: Any) -> dict[str, str]:
    return {f: _as_text(getattr(rule, f)) for f in RULE_FIELDS}


def _sourcing_form(request: Request, actor: Actor, sku: str, rows: list[dict[str, str]], *, error: str | None = None,
                   status_code: int = 200) -> HTMLResponse:
    blank = {f: "" for f in RULE_FIELDS}
    rows = (rows + [blank] * MAX_RULES)[:MAX_RULES]
    return render(request, "suppliers/sourcing_form.html", actor, status_code=status_code, sku=sku, rows=rows,
                  fields=RULE_FIELDS, error=error)


def _posted_lines(form: FormData, prefix: str, order: Any) -> list[tuple[int, str, str]]:
    """(line_no, quantity, date) typed for each order line; lines left blank are skipped."""
    found = []
    for line in order.lines:
        qty = str(form.get(f"{prefix}_qty_{line.line_no}") or "").strip()
        day = str(form.get(f"{prefix}_date_{line.line_no}") or "").strip()
        if qty or day:
            found.append((line.line_no, qty, day))
    return found


def _order_page(request: Request, session: Session, actor: Actor, code: str, *, error: str | None = None,
                form: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    order = portal.get_order(session, actor, code)
    notices, _ = portal.list_notices(session, actor, ListParams(page_size=100), order_code=code)
    return render(request, "suppliers/portal_order.html", actor, status_code=status_code, order=order,
                  notices=notices, error=error, form=form or {})


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @pages.get("/suppliers", response_class=HTMLResponse)
    def scorecards_page(request: Request, session: SessionDep, actor: PageActor, q: Search = None,
                        grade: Choice = None, tier: Choice = None, page: PageNo = 1) -> Response:
        if actor.is_partner:
            return RedirectResponse("/suppliers/portal", status_code=303)
        return _scorecards(request, session, actor, q=q or "", grade=grade or "", tier=tier or "", page=page)

    def _scorecards(request: Request, session: Session, actor: Actor, *, q: str = "", grade: str = "",
                    tier: str = "", page: int = 1, weights: dict[str, Any] | None = None, error: str | None = None,
                    status_code: int = 200) -> HTMLResponse:
        rows, total = service.list_scorecards(session, actor, ListParams(q=q or None, page=page,
                                                                         page_size=PAGE_SIZE),
                                              grade=grade if grade in GRADES else None,
                                              tier=tier if tier in TIERS else None)
        return render(request, "suppliers/scorecards.html", actor, status_code=status_code, rows=rows,
                      total=total, page=page, pages=_pages(total), q=q, grade=grade, tier=tier, grades=GRADES,
                      tiers=TIERS, metrics=METRICS, weights=weights or service.get_weights(session, actor),
                      error=error)

    @pages.post("/suppliers/refresh")
    def refresh(request: Request, session: SessionDep, actor: PageActor, form: PostedForm) -> Response:
        service.refresh_scorecards(session, actor, RefreshIn())
        return RedirectResponse("/suppliers", status_code=303)

    @pages.post("/suppliers/weights")
    def set_weights(request: Request, session: SessionDep, actor: PageActor, form: PostedForm) -> Response:
        typed = {m: str(form.get(m) or "").strip() for m in METRICS}
        try:
            service.set_weights(session, actor, WeightsIn.model_validate(typed))
        except (ValidationError, QudaoError) as exc:
            if isinstance(exc, QudaoError) and exc.status in (401, 403):
                raise
            session.rollback()
            return _scorecards(request, session, actor, weights=typed, error=_message(exc), status_code=422)
        return RedirectResponse("/suppliers", status_code=303)

    @pages.get("/suppliers/scorecards/{code}", response_class=HTMLResponse)
    def scorecard_page(request: Request, session: SessionDep, actor: PageActor, code: Code) -> HTMLResponse:
        current, trend = service.get_scorecard(session, actor, code)
        return _scorecard(request, actor, current, trend, own=False)

    @pages.get("/suppliers/sourcing", response_class=HTMLResponse)
    def sourcing_page(request: Request, session: SessionDep, actor: PageActor, sku: Search = None,
                      supplier: Search = None, item: Annotated[str | None, Query(max_length=40)] = None,
                      page: PageNo = 1) -> Response:
        if item and item.strip():  # the "edit an item's sources" box
            return RedirectResponse(f"/suppliers/sourcing/{quote(item.strip(), safe='')}", status_code=303)
        rows, total = sourcing.list_rules(session, actor, ListParams(page=page, page_size=PAGE_SIZE),
                                          sku=sku or None, supplier=supplier or None)
        return render(request, "suppliers/sourcing.html", actor, rows=rows, total=total, page=page,
                      pages=_pages(total), sku=sku or "", supplier=supplier or "",
                      single=sourcing.single_source_items(session, actor))

    @pages.get("/suppliers/sourcing/{sku}", response_class=HTMLResponse)
    def sourcing_item(request: Request, session: SessionDep, actor: PageActor, sku: Sku) -> HTMLResponse:
        rules, _ = sourcing.list_rules(session, actor, ListParams(page_size=100), sku=sku)
        return _sourcing_form(request, actor, sku, [_rule_row(r) for r in rules])

    @pages.post("/suppliers/sourcing/{sku}")
    def sourcing_save(request: Request, session: SessionDep, actor: PageActor, sku: Sku,
                      form: PostedForm) -> Response:
        rows = [{f: str(form.get(f"{f}_{i}") or "").strip() for f in RULE_FIELDS} for i in range(MAX_RULES)]
        chosen = [{k: v for k, v in row.items() if v} for row in rows if row["supplier_code"]]
        try:
            if chosen:
                sourcing.replace_sourcing(session, actor, sku, SourcingIn.model_validate({"suppliers": chosen}))
            else:
                sourcing.delete_sourcing(session, actor, sku)
        except (ValidationError, QudaoError) as exc:
            if isinstance(exc, QudaoError) and exc.status in (401, 403):
                raise
            session.rollback()
            return _sourcing_form(request, actor, sku, [r for r in rows if any(r.values())], error=_message(exc),
                                  status_code=422)
        return RedirectResponse(f"/suppliers/sourcing?sku={sku}", status_code=303)

    @pages.get("/suppliers/portal", response_class=HTMLResponse)
    def portal_page(request: Request, session: SessionDep, actor: PageActor, q: Search = None,
                    page: PageNo = 1) -> HTMLResponse:
        rows, total = portal.list_orders(session, actor, ListParams(q=q or None, page=page, page_size=PAGE_SIZE))
        return render(request, "suppliers/portal.html", actor, rows=rows, total=total, page=page,
                      pages=_pages(total), q=q or "")

    @pages.get("/suppliers/portal/scorecard", response_class=HTMLResponse)
    def my_scorecard(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
        current, trend = service.my_scorecard(session, actor)
        return _scorecard(request, actor, current, trend, own=True)

    @pages.get("/suppliers/portal/orders/{code}", response_class=HTMLResponse)
    def portal_order(request: Request, session: SessionDep, actor: PageActor, code: Code) -> HTMLResponse:
        return _order_page(request, session, actor, code)

    @pages.post("/suppliers/portal/orders/{code}/confirm")
    def portal_confirm(request: Request, session: SessionDep, actor: PageActor, code: Code,
                       form: PostedForm) -> Response:
        order = portal.get_order(session, actor, code)
        typed = {k: str(v) for k, v in form.items() if k.startswith("confirm_")}
        lines = [{"line_no": n, "quantity": qty, "promised_date": day}
                 for n, qty, day in _posted_lines(form, "confirm", order)]
        try:
            portal.confirm_order(session, actor, code, ConfirmIn.model_validate({"lines": lines}))
        except (ValidationError, QudaoError) as exc:
            if isinstance(exc, QudaoError) and exc.status in (401, 403, 404):
                raise
            session.rollback()
            return _order_page(request, session, actor, code, error=_message(exc), form=typed, status_code=422)
        return RedirectResponse(f"/suppliers/portal/orders/{code}", status_code=303)

    @pages.post("/suppliers/portal/orders/{code}/notices")
    def portal_notice(request: Request, session: SessionDep, actor: PageActor, code: Code,
                      form: PostedForm) -> Response:
        order = portal.get_order(session, actor, code)
        typed = {k: str(v) for k, v in form.items() if k != "csrf_token"}
        lines = [{"line_no": n, "quantity": qty} for n, qty, _ in _posted_lines(form, "ship", order) if qty]
        header = {k: typed.get(k, "").strip() for k in ("ship_date", "expected_arrival", "carrier",
                                                        "tracking_number", "note")}
        try:
            data = NoticeIn.model_validate({**{k: v for k, v in header.items() if v}, "lines": lines})
            portal.create_notice(session, actor, code, data)
        except (ValidationError, QudaoError) as exc:
            if isinstance(exc, QudaoError) and exc.status in (401, 403, 404):
                raise
            session.rollback()
            return _order_page(request, session, actor, code, error=_message(exc), form=typed, status_code=422)
        return RedirectResponse(f"/suppliers/portal/orders/{code}", status_code=303)

    return pages
