"""REST routes: segmentation runs (start, poll, list) and customer segments (filter, distribution, CSV)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from qudao.api.deps import ActorDep, IdPath, ListParamsDep, SessionDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.common.listing import Page
from qudao.segments import queries, runner, service
from qudao.segments.queries import SegmentFilter
from qudao.segments.schemas import CustomerSegmentOut, SegmentationRunCreate, SegmentationRunOut

router = APIRouter(tags=["segments"], responses=PROBLEM_RESPONSES)
Tier = Annotated[str | None, Query(pattern="^(high|middle|low)$")]
Rfm = Annotated[str | None, Query(pattern="^[1-5]{3}$", description="RFM code, e.g. 555")]
Segment = Annotated[str | None, Query(min_length=1, max_length=30)]
ChurnMin = Annotated[float | None, Query(ge=0, le=1)]
Bucket = Annotated[str | None, Query(pattern="^(low|medium|high)$")]
RunId = Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Run (default: latest succeeded)")]


@router.post("/segmentation-runs", response_model=SegmentationRunOut, status_code=status.HTTP_202_ACCEPTED)
def start_segmentation_run(request: Request, response: Response, background: BackgroundTasks, session: SessionDep,
                           actor: ActorDep, body: SegmentationRunCreate) -> SegmentationRunOut:
    """Queue a run; it executes in a background thread after this request commits. Poll the Location."""
    run = service.start_run(session, actor, body)
    session.flush()
    response.headers["Location"] = f"/api/v1/segmentation-runs/{run.id}"
    background.add_task(runner.launch, request.app.state.session_factory, actor, run.id)
    return SegmentationRunOut.model_validate(run)


@router.get("/segmentation-runs", response_model=Page[SegmentationRunOut])
def list_segmentation_runs(session: SessionDep, actor: ActorDep, params: ListParamsDep) -> Page[SegmentationRunOut]:
    rows, total = service.list_runs(session, actor, params)
    return Page(items=[SegmentationRunOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.get("/segmentation-runs/{run_id}", response_model=SegmentationRunOut)
def get_segmentation_run(session: SessionDep, actor: ActorDep, run_id: IdPath) -> SegmentationRunOut:
    return SegmentationRunOut.model_validate(service.get_run(session, actor, run_id))


@router.get("/customer-segments", response_model=Page[CustomerSegmentOut])
def list_customer_segments(session: SessionDep, actor: ActorDep, params: ListParamsDep, run_id: RunId = None,
                           tier: Tier = None, rfm: Rfm = None, segment: Segment = None, churn_min: ChurnMin = None,
                           churn_bucket: Bucket = None) -> Page[CustomerSegmentOut]:
    """Filter a run's customers: ``?tier=high&rfm=555&churn_min=0.7`` (sort: -monetary by default)."""
    f = SegmentFilter(run_id, tier, rfm, segment, churn_min, churn_bucket)
    rows, total = queries.list_segments(session, actor, f, params)
    return Page(items=[CustomerSegmentOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.get("/customer-segments/distribution")
def segment_distribution(session: SessionDep, actor: ActorDep, run_id: RunId = None) -> dict[str, Any]:
    """Customers per value tier, RFM segment, R x F cell and churn bucket."""
    return queries.distribution(session, actor, run_id)


@router.get("/customer-segments/export", response_class=StreamingResponse)
def export_customer_segments(session: SessionDep, actor: ActorDep, run_id: RunId = None, tier: Tier = None,
                             rfm: Rfm = None, segment: Segment = None, churn_min: ChurnMin = None,
                             churn_bucket: Bucket = None) -> StreamingResponse:
    """The filtered list as CSV (same filters as the list)."""
    f = SegmentFilter(run_id, tier, rfm, segment, churn_min, churn_bucket)
    chunks = list(queries.export_csv(session, actor, f))  # read inside the request's transaction
    return StreamingResponse(iter(chunks), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="customer-segments.csv"'})
