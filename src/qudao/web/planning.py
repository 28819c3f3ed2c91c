"""The planner's page: planning runs (started here, polled while they run), exceptions first (shortages,
overloads, late supply, excess), the projected inventory of one SKU x location as a chart, the approval
screen (proposals with inline quantity/date changes, bulk approve/reject, pegging drill-down) and the fair
share of scarce supply. Every read and write goes through the planning area's queries and services."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from qudao.api.deps import SessionDep
from qudao.auth.permissions import authorize
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.errors import NotFound, QudaoError
from qudao.planning import page_queries, queries, service
from qudao.planning.models import RunStatus
from qudao.planning.schemas import RunCreate
from qudao.web.common import PageActor, PageRoute, is_htmx, reject_nul, render
from qudao.web.masterdata import PostedForm
from qudao.web.planning_decisions import decide

RUNS_SHOWN = 10
PAGE_SIZE = 50
EXCEPTIONS_SHOWN = 200
ALLOCATIONS_SHOWN = 100
RUN_FIELDS = ("bucket", "horizon", "start", "history_days", "allocation_policy", "min_service")
Code = Annotated[str | None, Query(max_length=40)]
RunId = Annotated[int | None, Query(ge=1, le=2**63 - 1)]
ProposalId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@dataclass
class View:
    """What the page shows: the run, the filters of each section, and a form's errors or a result."""

    run: int | None = None
    ex_kind: str | None = None
    ex_sku: str | None = None
    ex_loc: str | None = None
    sku: str | None = None
    loc: str | None = None
    p_kind: str | None = None
    p_status: str | None = None
    p_sku: str | None = None
    p_loc: str | None = None
    p_page: int = 1
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    result: dict[str, Any] | None = None
    run_form: dict[str, str] = field(default_factory=dict)
    edits: dict[str, str] = field(default_factory=dict)


def _runs(session: Session, actor: Actor) -> dict[str, Any]:
    rows, total = queries.list_runs(session, actor, ListParams(page_size=RUNS_SHOWN))
    # The running run's step and share done live in memory (read, not written back to its row).
    live = {r.id: service.live_progress(r.id) or (r.step, r.progress) for r in rows if r.status == RunStatus.running}
    return {"runs": rows, "live": live, "runs_total": total,
            "active": any(r.status in (RunStatus.queued, RunStatus.running) for r in rows)}


def _chart(session: Session, actor: Actor, run_id: int, sku: str, loc: str) -> dict[str, Any] | None:
    try:
        p = queries.projection(session, actor, sku=sku, location_code=loc, run_id=run_id)
    except NotFound:
        return None
    return {"sku": p.sku, "location": p.location_code, "dates": [d.isoformat() for d in p.dates],
            "projected": p.projected, "safety_stock": [p.safety_stock] * len(p.dates), "gross": p.gross,
            "scheduled": p.scheduled, "planned": p.planned, "on_hand": p.on_hand}


def _current_run(session: Session, actor: Actor, v: View) -> tuple[Any, str | None]:
    """The run shown (asked for, else the latest successful one) and why its results are absent."""
    if v.run is None:
        latest = queries.latest_run_id(session)
        if latest is None:
            return None, "no_run"
        return service.get_run(session, actor, latest), None
    run = service.get_run(session, actor, v.run)  # 404 page for an unknown id
    return run, None if run.status == RunStatus.succeeded else "not_succeeded"


def page(request: Request, session: Session, actor: Actor, v: View, status_code: int = 200) -> HTMLResponse:
    run, absent = _current_run(session, actor, v)
    ctx: dict[str, Any] = {"v": v, "run": run, "absent": absent, "exceptions": [], "pairs": [], "chart": None,
                           "proposals": [], "proposals_total": 0, "pages": 1, "allocations": [],
                           "exception_counts": {}, "proposal_counts": {}}
    if run is not None and absent is None:
        rid = run.id
        ctx["exception_counts"] = page_queries.exception_counts(session, actor, rid)
        ctx["exceptions"] = page_queries.filtered_exceptions(session, actor, rid, kind=v.ex_kind, sku=v.ex_sku,
                                                             location_code=v.ex_loc, limit=EXCEPTIONS_SHOWN)
        pairs = page_queries.planned_pairs(session, actor, rid)
        ctx["pairs"] = pairs
        if not (v.sku and v.loc) and pairs:
            v.sku, v.loc = pairs[0]
        if v.sku and v.loc:
            ctx["chart"] = _chart(session, actor, rid, v.sku, v.loc)
        ctx["proposal_counts"] = page_queries.proposal_counts(session, actor, rid)
        items, total = queries.list_proposals(session, actor, run_id=rid, kind=v.p_kind, status=v.p_status,
                                              sku=v.p_sku, location_code=v.p_loc, page=v.p_page,
                                              page_size=PAGE_SIZE)
        ctx.update(proposals=items, proposals_total=total, pages=max(1, -(-total // PAGE_SIZE)),
                   allocations=queries.list_allocations(session, actor, run_id=rid, limit=ALLOCATIONS_SHOWN))
    ctx["chart_json"] = json.dumps(ctx["chart"]) if ctx["chart"] else "null"
    return render(request, "planning/page.html", actor, status_code=status_code, **ctx, **_runs(session, actor))


def _positive(text: str | None, digits: int) -> int | None:
    if text and text.isascii() and text.isdigit() and len(text) <= digits and int(text) > 0:
        return int(text)
    return None


def _view_from_form(form: Any) -> View:
    """The filters the decision form carried along (odd values dropped), so the page comes back as the
    planner left it."""
    def field_value(name: str, allowed: tuple[str, ...] | None = None) -> str | None:
        value = str(form.get(name) or "").strip()[:40] or None
        return value if allowed is None or value in allowed else None

    return View(run=_positive(field_value("run"), 18),
                p_kind=field_value("p_kind", ("purchase", "production", "transfer")),
                p_status=field_value("p_status", ("proposed", "changed", "approved", "rejected")),
                p_sku=field_value("p_sku"), p_loc=field_value("p_loc"),
                p_page=_positive(field_value("p_page"), 6) or 1)


def _run_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for e in exc.errors():
        name = str(e["loc"][0]) if e.get("loc") else "form"
        errors.setdefault(name if name in RUN_FIELDS else "form", str(e["msg"]).removeprefix("Value error, "))
    return errors


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @pages.get("/planning", response_class=HTMLResponse)
    def planning_page(
        request: Request, session: SessionDep, actor: PageActor, run: RunId = None,
        ex_kind: Literal["shortage", "overload", "late", "excess", ""] = "", ex_sku: Code = None,
        ex_loc: Code = None, sku: Code = None, loc: Code = None,
        p_kind: Literal["purchase", "production", "transfer", ""] = "",
        p_status: Literal["proposed", "changed", "approved", "rejected", ""] = "",
        p_sku: Code = None, p_loc: Code = None, p_page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        decided: Literal["approved", "rejected", "changed", ""] = "",
        count: Annotated[int, Query(ge=0, le=1_000_000)] = 0, changed: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        orders: Annotated[str | None, Query(max_length=2000)] = None,
    ) -> HTMLResponse:
        result = None
        if decided:
            codes = [c for c in (orders or "").split(",") if c]
            result = {"status": decided, "count": count, "changed": changed, "orders": codes}
        v = View(run=run, ex_kind=ex_kind or None, ex_sku=ex_sku or None, ex_loc=ex_loc or None, sku=sku or None,
                 loc=loc or None, p_kind=p_kind or None, p_status=p_status or None, p_sku=p_sku or None,
                 p_loc=p_loc or None, p_page=p_page, result=result)
        return page(request, session, actor, v)

    @pages.get("/planning/runs", response_class=HTMLResponse)
    def runs_fragment(request: Request, session: SessionDep, actor: PageActor,
                      watch: Annotated[int, Query(ge=0, le=1)] = 0) -> Response:
        """The runs table alone, polled by htmx while a run is queued or running; once the watched run has
        finished the page reloads to show its results."""
        runs = _runs(session, actor)
        if watch and not runs["active"] and is_htmx(request):
            return Response(status_code=200, headers={"HX-Refresh": "true"})
        return render(request, "planning/_runs.html", actor, **runs)

    @pages.post("/planning/runs")
    def start_run(request: Request, background: BackgroundTasks, session: SessionDep, actor: PageActor,
                  form: PostedForm) -> Response:
        authorize(actor, "planning:write")
        values = {name: str(form.get(name) or "").strip()[:40] for name in RUN_FIELDS}
        try:
            data = RunCreate(**{k: val for k, val in values.items() if val})
            run = service.start_run(session, actor, data)
            session.flush()
        except (ValidationError, QudaoError) as exc:
            if isinstance(exc, QudaoError) and exc.status in (401, 403):
                raise
            session.rollback()
            if isinstance(exc, ValidationError):
                errors = _run_errors(exc)
            else:
                errors = {e.field: e.reason for e in exc.errors if e.field in RUN_FIELDS} or {"form": exc.detail}
            return page(request, session, actor, View(errors=errors, run_form=values), status_code=422)
        background.add_task(service.execute_run, request.app.state.session_factory, run.id, actor)
        return RedirectResponse("/planning", status_code=303)

    @pages.get("/planning/proposals/{proposal_id}/pegs", response_class=HTMLResponse)
    def pegs_fragment(request: Request, session: SessionDep, actor: PageActor,
                      proposal_id: ProposalId) -> HTMLResponse:
        """What the proposal serves (sales order lines, forecast buckets, downstream proposals)."""
        pegs = queries.pegs_of(session, actor, proposal_id)
        return render(request, "planning/_pegs.html", actor, proposal_id=proposal_id, pegs=pegs)

    @pages.post("/planning/proposals")
    def decide_proposals(request: Request, session: SessionDep, actor: PageActor, form: PostedForm) -> Response:
        """Approve, reject or change the ticked proposals (edited quantities and dates are saved first)."""
        authorize(actor, "planning:write")
        v = _view_from_form(form)
        try:
            outcome = decide(session, actor, form)
        except QudaoError as exc:
            if exc.status in (401, 403):
                raise
            session.rollback()  # nothing of a refused decision is kept
            v.errors, v.message = {e.field: e.reason for e in exc.errors}, exc.detail
            v.edits = {k: str(val) for k, val in form.multi_items() if k.startswith(("qty-", "due-"))}
            v.edits.update({f"ids-{i}": "on" for i in form.getlist("ids")})
            return page(request, session, actor, v, status_code=exc.status)
        params = {k: val for k, val in {
            "run": v.run, "p_kind": v.p_kind, "p_status": v.p_status, "p_sku": v.p_sku, "p_loc": v.p_loc,
            "decided": outcome.status, "count": outcome.count, "changed": outcome.changed,
            "orders": ",".join(outcome.orders[:50])}.items() if val}
        return RedirectResponse("/planning?" + urlencode(params) + "#approval", status_code=303)

    return pages
