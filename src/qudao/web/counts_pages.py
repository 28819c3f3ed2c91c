"""Cycle-count pages: open a count at a location, enter the counted quantities, submit, approve the
variances (posted by the counts service as count-correction movements) or cancel."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from qudao.api.deps import SessionDep
from qudao.auth.permissions import can
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.errors import NotFound
from qudao.inventory import counts
from qudao.inventory.schemas import CountCreate, CountEntriesIn
from qudao.locations import service as locations
from qudao.web.common import PageActor, PageRoute, reject_nul, render
from qudao.web.forms import FormState
from qudao.web.masterdata import PostedForm
from qudao.web.ops_forms import REF_PAGE_SIZE, Code, attempt, field_text

COUNT_STATUSES = ("open", "submitted", "approved", "cancelled")
COUNT_STEPS = {"submit": counts.submit_count, "approve": counts.approve_count, "cancel": counts.cancel_count}
SKU_LIST = re.compile(r"[,\s]+")


def _render_list(request: Request, session: Session, actor: Actor, state: FormState | None = None,
                 status: str = "", location: str = "", status_code: int = 200) -> HTMLResponse:
    rows = counts.list_counts(session, actor, status=status or None, location=location or None)
    return render(request, "inventory/counts.html", actor, status_code=status_code, rows=rows, status=status,
                  location=location, statuses=COUNT_STATUSES, st=state or FormState(),
                  may_write=can(actor, "inventory:write"),
                  locations=locations.list_locations(session, actor, ListParams(page_size=REF_PAGE_SIZE))[0])


def _render_count(request: Request, session: Session, actor: Actor, code: str, state: FormState | None = None,
                  status_code: int = 200) -> HTMLResponse:
    count = counts.get_count(session, actor, code)
    return render(request, "inventory/count.html", actor, status_code=status_code, count=count,
                  st=state or FormState(), may_write=can(actor, "inventory:write"))


def _code(code: str) -> str:
    if len(code) > 40:
        raise NotFound(detail=f"count {code[:40]} not found")
    return code


CountCode = Annotated[str, Depends(_code)]


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @pages.get("/inventory/counts", response_class=HTMLResponse)
    def count_list(request: Request, session: SessionDep, actor: PageActor,
                   status: Annotated[str | None, Query(max_length=20)] = None, location: Code = None) -> HTMLResponse:
        return _render_list(request, session, actor, status=status or "", location=location or "")

    @pages.post("/inventory/counts")
    def count_create(request: Request, session: SessionDep, actor: PageActor, form: PostedForm) -> Response:
        values = {"location_code": field_text(form, "location_code", 40), "skus": field_text(form, "skus", 20_000),
                  "note": field_text(form, "note", 300)}
        skus = [s for s in SKU_LIST.split(values["skus"]) if s]

        def create() -> Any:
            data = CountCreate.model_validate({"location_code": values["location_code"], "note": values["note"],
                                               "skus": skus or None})
            return counts.create_count(session, actor, data)

        created, state, status = attempt(session, create, values)
        if created is None:
            assert state is not None
            return _render_list(request, session, actor, state, status_code=status)
        return RedirectResponse(f"/inventory/counts/{created.code}", status_code=303)

    @pages.get("/inventory/counts/{code}", response_class=HTMLResponse)
    def count_detail(request: Request, session: SessionDep, actor: PageActor, code: CountCode) -> HTMLResponse:
        return _render_count(request, session, actor, code)

    @pages.post("/inventory/counts/{code}/lines")
    def count_record(request: Request, session: SessionDep, actor: PageActor, code: CountCode,
                     form: PostedForm) -> Response:
        lines, rows, values = [], [], {}
        for name, value in form.multi_items():
            if name.startswith("counted-") and isinstance(value, str) and value.strip():
                index = name.removeprefix("counted-")
                lines.append({"sku": field_text(form, f"sku-{index}", 40), "counted": value.strip()})
                rows.append(index)
                values[name] = value.strip()
        then_submit = form.get("then") == "submit"

        def record() -> Any:
            result = counts.record_counts(session, actor, code, CountEntriesIn.model_validate({"lines": lines}))
            return counts.submit_count(session, actor, code) if then_submit else result

        done, state, status = attempt(session, record, values, rows, first_field="counted")
        if done is None:
            return _render_count(request, session, actor, code, state, status_code=status)
        return RedirectResponse(f"/inventory/counts/{code}", status_code=303)

    @pages.post("/inventory/counts/{code}/{step}")
    def count_step(request: Request, session: SessionDep, actor: PageActor, code: CountCode, step: str,
                   form: PostedForm) -> Response:
        use_case = COUNT_STEPS.get(step)
        if use_case is None:
            raise NotFound(detail=f"no count step {step!r}")
        done, state, status = attempt(session, lambda: use_case(session, actor, code), {})
        if done is None:
            return _render_count(request, session, actor, code, state, status_code=status)
        return RedirectResponse(f"/inventory/counts/{code}", status_code=303)

    return pages
