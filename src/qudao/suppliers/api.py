"""REST routes for supplier scorecards, lead times, contract prices, inspections, sourcing and the portal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from qudao.api.deps import ActorDep, ListParamsDep, SessionDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.common.listing import Page
from qudao.engines.scorecard import GRADES, TIERS
from qudao.purchasing.models import OrderStatus
from qudao.suppliers import portal, service, sourcing
from qudao.suppliers.models import SourcingRule
from qudao.suppliers.schemas import (
    ConfirmIn,
    ContractPriceIn,
    ContractPriceOut,
    InspectionIn,
    InspectionOut,
    LeadTimeOut,
    NoticeIn,
    NoticeOut,
    PortalOrderOut,
    RefreshIn,
    RefreshOut,
    ScorecardDetail,
    ScorecardOut,
    SingleSourceOut,
    SourceOut,
    SourcingCreate,
    SourcingIn,
    SourcingOut,
    WeightsIn,
    WeightsOut,
)

router = APIRouter(tags=["suppliers"], responses=PROBLEM_RESPONSES)
Code = Annotated[str | None, Query(max_length=40)]


def _detail(current: object, trend: list[object]) -> ScorecardDetail:
    base = ScorecardOut.model_validate(current).model_dump()
    return ScorecardDetail(**base, trend=[ScorecardOut.model_validate(t) for t in trend])


@router.get("/supplier-scorecards", response_model=Page[ScorecardOut])
def list_scorecards(session: SessionDep, actor: ActorDep, params: ListParamsDep,
                    grade: Annotated[str | None, Query(pattern=f"^({'|'.join(GRADES)})$")] = None,
                    tier: Annotated[str | None, Query(pattern=f"^({'|'.join(TIERS)})$")] = None) -> Page[ScorecardOut]:
    rows, total = service.list_scorecards(session, actor, params, grade=grade, tier=tier)
    return Page(items=[ScorecardOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.get("/supplier-scorecards/weights", response_model=WeightsOut)
def get_weights(session: SessionDep, actor: ActorDep) -> WeightsOut:
    return WeightsOut(**service.get_weights(session, actor))


@router.put("/supplier-scorecards/weights", response_model=WeightsOut)
def set_weights(session: SessionDep, actor: ActorDep, body: WeightsIn) -> WeightsOut:
    return WeightsOut(**service.set_weights(session, actor, body))


@router.post("/supplier-scorecards/refresh", response_model=RefreshOut)
def refresh_scorecards(session: SessionDep, actor: ActorDep, body: RefreshIn | None = None) -> RefreshOut:
    return service.refresh_scorecards(session, actor, body or RefreshIn())


@router.get("/supplier-scorecards/{code}", response_model=ScorecardDetail)
def get_scorecard(session: SessionDep, actor: ActorDep, code: str) -> ScorecardDetail:
    return _detail(*service.get_scorecard(session, actor, code))


@router.get("/lead-time-stats", response_model=list[LeadTimeOut])
def lead_time_stats(session: SessionDep, actor: ActorDep, supplier: Code = None, sku: Code = None
                    ) -> list[LeadTimeOut]:
    frame = service.lead_time_stats(session, actor, supplier_codes=[supplier] if supplier else None,
                                    skus=[sku] if sku else None)
    return [LeadTimeOut(**row) for row in frame.iter_rows(named=True)]


@router.get("/contract-prices", response_model=Page[ContractPriceOut])
def list_contract_prices(session: SessionDep, actor: ActorDep, params: ListParamsDep, supplier: Code = None,
                         sku: Code = None) -> Page[ContractPriceOut]:
    rows, total = service.list_contract_prices(session, actor, params, supplier=supplier, sku=sku)
    return Page(items=[ContractPriceOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.post("/contract-prices", response_model=ContractPriceOut, status_code=status.HTTP_201_CREATED)
def create_contract_price(session: SessionDep, actor: ActorDep, body: ContractPriceIn) -> ContractPriceOut:
    return ContractPriceOut.model_validate(service.create_contract_price(session, actor, body))


@router.delete("/contract-prices/{price_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_contract_price(session: SessionDep, actor: ActorDep,
                          price_id: Annotated[int, Path(ge=1, le=2**63 - 1)]) -> Response:
    service.delete_contract_price(session, actor, price_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/receipt-inspections", response_model=Page[InspectionOut])
def list_inspections(session: SessionDep, actor: ActorDep, params: ListParamsDep,
                     order: Code = None) -> Page[InspectionOut]:
    rows, total = service.list_inspections(session, actor, params, order_code=order)
    return Page(items=[InspectionOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.post("/receipt-inspections", response_model=InspectionOut, status_code=status.HTTP_201_CREATED)
def record_inspection(session: SessionDep, actor: ActorDep, body: InspectionIn) -> InspectionOut:
    return InspectionOut.model_validate(service.record_inspection(session, actor, body))


# ---- sourcing ----------------------------------------------------------------------------------------


def _sourcing_out(sku: str, rules: list[SourcingRule]) -> SourcingOut:
    return SourcingOut(sku=sku, single_source=sourcing.is_single_source(rules),
                       suppliers=[SourceOut.model_validate(r) for r in rules])


@router.get("/sourcing-rules", response_model=Page[SourceOut])
def list_sourcing_rules(session: SessionDep, actor: ActorDep, params: ListParamsDep, sku: Code = None,
                        supplier: Code = None) -> Page[SourceOut]:
    rows, total = sourcing.list_rules(session, actor, params, sku=sku, supplier=supplier)
    return Page(items=[SourceOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.post("/sourcing-rules", response_model=SourcingOut, status_code=status.HTTP_201_CREATED)
def create_sourcing(session: SessionDep, actor: ActorDep, body: SourcingCreate) -> SourcingOut:
    return _sourcing_out(body.sku, sourcing.create_sourcing(session, actor, body))


@router.get("/sourcing-rules/single-source", response_model=list[SingleSourceOut])
def single_source_items(session: SessionDep, actor: ActorDep) -> list[SingleSourceOut]:
    return [SingleSourceOut(sku=sku, supplier_code=code) for sku, code in sourcing.single_source_items(session, actor)]


@router.get("/sourcing-rules/{sku}", response_model=SourcingOut)
def get_sourcing(session: SessionDep, actor: ActorDep, sku: str) -> SourcingOut:
    return _sourcing_out(sku, sourcing.get_sourcing(session, actor, sku))


@router.put("/sourcing-rules/{sku}", response_model=SourcingOut)
def replace_sourcing(session: SessionDep, actor: ActorDep, sku: str, body: SourcingIn) -> SourcingOut:
    return _sourcing_out(sku, sourcing.replace_sourcing(session, actor, sku, body))


@router.delete("/sourcing-rules/{sku}", status_code=status.HTTP_204_NO_CONTENT)
def delete_sourcing(session: SessionDep, actor: ActorDep, sku: str) -> Response:
    sourcing.delete_sourcing(session, actor, sku)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---- supplier portal ---------------------------------------------------------------------------------


@router.get("/supplier-portal/purchase-orders", response_model=Page[PortalOrderOut])
def portal_orders(session: SessionDep, actor: ActorDep, params: ListParamsDep,
                  status: OrderStatus | None = None) -> Page[PortalOrderOut]:
    rows, total = portal.list_orders(session, actor, params, status=status)
    return Page(items=rows, total=total, page=params.page, page_size=params.page_size)


@router.get("/supplier-portal/purchase-orders/{code}", response_model=PortalOrderOut)
def portal_order(session: SessionDep, actor: ActorDep, code: str) -> PortalOrderOut:
    return portal.get_order(session, actor, code)


@router.post("/supplier-portal/purchase-orders/{code}/confirm", response_model=PortalOrderOut)
def portal_confirm(session: SessionDep, actor: ActorDep, code: str, body: ConfirmIn) -> PortalOrderOut:
    return portal.confirm_order(session, actor, code, body)


@router.post("/supplier-portal/purchase-orders/{code}/notices", response_model=NoticeOut,
             status_code=status.HTTP_201_CREATED)
def portal_create_notice(session: SessionDep, actor: ActorDep, code: str, body: NoticeIn) -> NoticeOut:
    return NoticeOut.model_validate(portal.create_notice(session, actor, code, body))


@router.get("/supplier-portal/notices", response_model=Page[NoticeOut])
def portal_notices(session: SessionDep, actor: ActorDep, params: ListParamsDep, order: Code = None
                   ) -> Page[NoticeOut]:
    rows, total = portal.list_notices(session, actor, params, order_code=order)
    return Page(items=[NoticeOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.get("/supplier-portal/notices/{code}", response_model=NoticeOut)
def portal_notice(session: SessionDep, actor: ActorDep, code: str) -> NoticeOut:
    return NoticeOut.model_validate(portal.get_notice(session, actor, code))


@router.get("/supplier-portal/scorecard", response_model=ScorecardDetail)
def portal_scorecard(session: SessionDep, actor: ActorDep) -> ScorecardDetail:
    return _detail(*service.my_scorecard(session, actor))
