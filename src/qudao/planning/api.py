"""REST routes for planning runs, their proposals, exceptions and projected inventory, and the planner's
inputs (parameters, sourcing rules)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Body, Query, Request, Response, status

from qudao.api.deps import ActorDep, IdPath, ListParamsDep, SessionDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.common.listing import Page
from qudao.planning import approval, queries, service
from qudao.planning.schemas import (
    AllocationOut,
    ChangeIn,
    DecisionOut,
    ExceptionOut,
    ParameterIn,
    PegOut,
    ProjectionOut,
    ProposalIds,
    ProposalOut,
    RejectIn,
    RunAccepted,
    RunCreate,
    RunOut,
    SourcingIn,
)

router = APIRouter(tags=["planning"], responses=PROBLEM_RESPONSES)
Code = Annotated[str, Query(min_length=1, max_length=40)]
OptCode = Annotated[str | None, Query(min_length=1, max_length=40)]
RunQuery = Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Default: the latest successful run")]


@router.post("/planning-runs", response_model=RunAccepted, status_code=status.HTTP_202_ACCEPTED)
def start_planning_run(request: Request, response: Response, background: BackgroundTasks, session: SessionDep,
                       actor: ActorDep, body: RunCreate | None = None) -> RunAccepted:
    """Queue a run; it executes in a background thread with its own sessions after this request commits."""
    run = service.start_run(session, actor, body or RunCreate())
    session.flush()
    url = f"/api/v1/planning-runs/{run.id}"
    response.headers["Location"] = url
    background.add_task(service.execute_run, request.app.state.session_factory, run.id, actor)
    return RunAccepted(id=run.id, status=run.status, url=url)


@router.get("/planning-runs", response_model=Page[RunOut])
def list_planning_runs(session: SessionDep, actor: ActorDep, params: ListParamsDep,
                       status: Literal["queued", "running", "succeeded", "failed"] | None = None) -> Page[RunOut]:
    rows, total = queries.list_runs(session, actor, params, status=status)
    return Page(items=[RunOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.get("/planning-runs/{run_id}", response_model=RunOut)
def get_planning_run(session: SessionDep, actor: ActorDep, run_id: IdPath) -> RunOut:
    return RunOut.model_validate(service.get_run(session, actor, run_id))


@router.get("/planning-runs/{run_id}/exceptions", response_model=list[ExceptionOut])
def list_planning_exceptions(session: SessionDep, actor: ActorDep, run_id: IdPath,
                             kind: Literal["shortage", "overload", "late", "excess"] | None = None,
                             limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                             offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> list[ExceptionOut]:
    """Shortages first, then overloads, late supply and excess; the biggest first within a kind."""
    return queries.list_exceptions(session, actor, run_id=run_id, kind=kind, limit=limit, offset=offset)


@router.get("/planning-runs/{run_id}/projection", response_model=ProjectionOut)
def get_projected_inventory(session: SessionDep, actor: ActorDep, run_id: IdPath, sku: Code,
                            location: Code) -> ProjectionOut:
    return queries.projection(session, actor, run_id=run_id, sku=sku, location_code=location)


@router.get("/planning-runs/{run_id}/allocations", response_model=list[AllocationOut])
def list_planning_allocations(session: SessionDep, actor: ActorDep, run_id: IdPath, sku: OptCode = None,
                              location: OptCode = None, limit: Annotated[int, Query(ge=1, le=1000)] = 500,
                              offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> list[AllocationOut]:
    """Scarce supply shared out: each asking location's demand, allocation and shortfall."""
    return queries.list_allocations(session, actor, run_id=run_id, sku=sku, location_code=location, limit=limit,
                                    offset=offset)


@router.get("/planning-proposals", response_model=Page[ProposalOut])
def list_planning_proposals(
    session: SessionDep, actor: ActorDep, run_id: RunQuery = None,
    kind: Literal["purchase", "production", "transfer"] | None = None,
    status: Literal["proposed", "changed", "approved", "rejected"] | None = None,
    sku: OptCode = None, location: OptCode = None, past_due: bool | None = None,
    sort: Annotated[str, Query(pattern=r"^-?(id|due_date|release_date|quantity|kind|status)$")] = "release_date",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1, page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[ProposalOut]:
    items, total = queries.list_proposals(session, actor, run_id=run_id, kind=kind, status=status, sku=sku,
                                          location_code=location, past_due=past_due, sort=sort, page=page,
                                          page_size=page_size)
    return Page(items=items, total=total, page=page, page_size=page_size)


@router.get("/planning-proposals/{proposal_id}/pegs", response_model=list[PegOut])
def list_proposal_pegs(session: SessionDep, actor: ActorDep, proposal_id: IdPath) -> list[PegOut]:
    """The demands the proposal serves."""
    return queries.pegs_of(session, actor, proposal_id)


@router.post("/planning-proposals/approve", response_model=DecisionOut)
def approve_planning_proposals(session: SessionDep, actor: ActorDep, body: ProposalIds) -> DecisionOut:
    """Approve in bulk: creates draft purchase orders (per supplier, location and date), transfers (per lane
    and date) and work orders; all or nothing."""
    rows, codes = approval.approve_proposals(session, actor, body.ids)
    return DecisionOut(status="approved", proposals=len(rows), orders=codes)


@router.post("/planning-proposals/reject", response_model=DecisionOut)
def reject_planning_proposals(session: SessionDep, actor: ActorDep, body: RejectIn) -> DecisionOut:
    rows = approval.reject_proposals(session, actor, body.ids, body.reason)
    return DecisionOut(status="rejected", proposals=len(rows), orders=[])


@router.post("/planning-proposals/change", response_model=DecisionOut)
def change_planning_proposals(session: SessionDep, actor: ActorDep, body: ChangeIn) -> DecisionOut:
    rows = approval.change_proposals(session, actor, body)
    return DecisionOut(status="changed", proposals=len(rows), orders=[])


@router.put("/planning-parameters", response_model=dict[str, int])
def save_planning_parameters(
    session: SessionDep, actor: ActorDep, body: Annotated[list[ParameterIn], Body(min_length=1, max_length=5000)]
) -> dict[str, int]:
    """Create or replace the policy of each SKU x location given."""
    return {"saved": len(service.save_parameters(session, actor, body))}


@router.put("/planning-sourcing-rules", response_model=dict[str, int])
def save_sourcing_rules(session: SessionDep, actor: ActorDep, body: SourcingIn) -> dict[str, int]:
    """Replace the sourcing rules of one SKU x location (no sku: of every product at the location)."""
    return {"saved": len(service.save_sourcing(session, actor, body))}
