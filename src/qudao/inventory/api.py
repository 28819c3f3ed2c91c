"""REST routes for stock: balances, movements, lots, value, corrections, counts and the ledger check."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, status

from qudao.api.deps import ActorDep, ListParamsDep, SessionDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.common.listing import Page
from qudao.inventory import analytics, counts, queries, service
from qudao.inventory.schemas import (
    AdjustmentIn,
    BalanceOut,
    CountCreate,
    CountEntriesIn,
    CountOut,
    DriftOut,
    HealthOut,
    LotBalanceOut,
    MovementOut,
    ReceiptIn,
    ScrapIn,
    ValuationOut,
    VerifyOut,
)

router = APIRouter(prefix="/inventory", tags=["inventory"], responses=PROBLEM_RESPONSES)


@router.get("/balances", response_model=Page[BalanceOut])
def list_balances(session: SessionDep, actor: ActorDep, params: ListParamsDep, sku: str | None = None,
                  location: str | None = None, category: str | None = None,
                  include_zero: bool = False) -> Page[BalanceOut]:
    rows, total = queries.list_balances(session, actor, params, sku=sku, location=location, category=category,
                                        nonzero=not include_zero)
    return Page(items=[BalanceOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.get("/movements", response_model=Page[MovementOut])
def list_movements(session: SessionDep, actor: ActorDep, params: ListParamsDep, sku: str | None = None,
                   location: str | None = None, movement_type: str | None = None, reference: str | None = None,
                   since: datetime | None = None, until: datetime | None = None) -> Page[MovementOut]:
    rows, total = queries.list_movements(session, actor, params, sku=sku, location=location,
                                         movement_type=movement_type, reference=reference, since=since, until=until)
    return Page(items=[MovementOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.get("/lots", response_model=list[LotBalanceOut])
def list_lots(session: SessionDep, actor: ActorDep, sku: str | None = None,
              location: str | None = None) -> list[LotBalanceOut]:
    return queries.list_lots(session, actor, sku=sku, location=location)


@router.get("/valuation", response_model=ValuationOut)
def valuation(session: SessionDep, actor: ActorDep, as_of: datetime | None = None,
              group_by: str = "location") -> ValuationOut:
    return queries.valuation(session, actor, as_of=as_of, group_by=group_by)


@router.post("/adjustments", response_model=list[MovementOut], status_code=status.HTTP_201_CREATED)
def post_adjustment(session: SessionDep, actor: ActorDep, body: AdjustmentIn) -> list[MovementOut]:
    return [MovementOut.model_validate(m) for m in service.post_adjustment(session, actor, body)]


@router.post("/receipts", response_model=list[MovementOut], status_code=status.HTTP_201_CREATED)
def post_receipt(session: SessionDep, actor: ActorDep, body: ReceiptIn) -> list[MovementOut]:
    return [MovementOut.model_validate(m) for m in service.post_receipt(session, actor, body)]


@router.post("/scrap", response_model=list[MovementOut], status_code=status.HTTP_201_CREATED)
def post_scrap(session: SessionDep, actor: ActorDep, body: ScrapIn) -> list[MovementOut]:
    return [MovementOut.model_validate(m) for m in service.post_scrap(session, actor, body)]


@router.get("/verify", response_model=VerifyOut)
def verify(session: SessionDep, actor: ActorDep) -> VerifyOut:
    drift = service.verify_ledger(session, actor)
    return VerifyOut(ok=not drift, drift=[DriftOut.model_validate(d) for d in drift])


@router.get("/counts", response_model=list[CountOut])
def list_counts(session: SessionDep, actor: ActorDep, status: str | None = None, location: str | None = None,
                limit: int = Query(100, ge=1, le=500)) -> list[CountOut]:
    return counts.list_counts(session, actor, status=status, location=location, limit=limit)


@router.post("/counts", response_model=CountOut, status_code=status.HTTP_201_CREATED)
def create_count(session: SessionDep, actor: ActorDep, body: CountCreate) -> CountOut:
    return counts.create_count(session, actor, body)


@router.get("/counts/{code}", response_model=CountOut)
def get_count(session: SessionDep, actor: ActorDep, code: str) -> CountOut:
    return counts.get_count(session, actor, code)


@router.put("/counts/{code}/lines", response_model=CountOut)
def record_counts(session: SessionDep, actor: ActorDep, code: str, body: CountEntriesIn) -> CountOut:
    return counts.record_counts(session, actor, code, body)


@router.post("/counts/{code}/submit", response_model=CountOut)
def submit_count(session: SessionDep, actor: ActorDep, code: str) -> CountOut:
    return counts.submit_count(session, actor, code)


@router.post("/counts/{code}/approve", response_model=CountOut)
def approve_count(session: SessionDep, actor: ActorDep, code: str) -> CountOut:
    return counts.approve_count(session, actor, code)


@router.post("/counts/{code}/cancel", response_model=CountOut)
def cancel_count(session: SessionDep, actor: ActorDep, code: str) -> CountOut:
    return counts.cancel_count(session, actor, code)


@router.get("/analytics", response_model=HealthOut)
def stock_health(session: SessionDep, actor: ActorDep, group_by: str = "location", window_days: int = 90,
                 lead_time_days: int = 14, excess_days: int = 180, location: str | None = None,
                 category: str | None = None) -> HealthOut:
    return analytics.stock_health(session, actor, window_days=window_days, lead_time_days=lead_time_days,
                                  excess_days=excess_days, group_by=group_by, location=location, category=category)
