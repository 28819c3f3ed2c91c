"""REST routes for purchase orders and transfers."""

from __future__ import annotations

from fastapi import APIRouter, status

from qudao.api.deps import ActorDep, ListParamsDep, SessionDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.common.listing import Page
from qudao.purchasing import service
from qudao.purchasing.models import OrderStatus
from qudao.purchasing.schemas import (
    CloseIn,
    PurchaseOrderCreate,
    PurchaseOrderOut,
    ReceiptIn,
    TransferCreate,
    TransferOut,
    TransferReceiptIn,
)

router = APIRouter(tags=["purchasing"], responses=PROBLEM_RESPONSES)


@router.get("/purchase-orders", response_model=Page[PurchaseOrderOut])
def list_purchase_orders(session: SessionDep, actor: ActorDep, params: ListParamsDep,
                         status: OrderStatus | None = None, supplier: str | None = None) -> Page[PurchaseOrderOut]:
    rows, total = service.list_purchase_orders(session, actor, params, status=status, supplier=supplier)
    return Page(items=[PurchaseOrderOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.post("/purchase-orders", response_model=PurchaseOrderOut, status_code=status.HTTP_201_CREATED)
def create_purchase_order(session: SessionDep, actor: ActorDep, body: PurchaseOrderCreate) -> PurchaseOrderOut:
    return PurchaseOrderOut.model_validate(service.create_purchase_order(session, actor, body))


@router.get("/purchase-orders/{code}", response_model=PurchaseOrderOut)
def get_purchase_order(session: SessionDep, actor: ActorDep, code: str) -> PurchaseOrderOut:
    return PurchaseOrderOut.model_validate(service.get_purchase_order(session, actor, code))


@router.post("/purchase-orders/{code}/confirm", response_model=PurchaseOrderOut)
def confirm_purchase_order(session: SessionDep, actor: ActorDep, code: str) -> PurchaseOrderOut:
    return PurchaseOrderOut.model_validate(service.confirm_purchase_order(session, actor, code))


@router.post("/purchase-orders/{code}/receipts", response_model=PurchaseOrderOut)
def receive_purchase_order(session: SessionDep, actor: ActorDep, code: str, body: ReceiptIn) -> PurchaseOrderOut:
    return PurchaseOrderOut.model_validate(service.receive_purchase_order(session, actor, code, body))


@router.post("/purchase-orders/{code}/close", response_model=PurchaseOrderOut)
def close_purchase_order(session: SessionDep, actor: ActorDep, code: str, body: CloseIn | None = None
                         ) -> PurchaseOrderOut:
    reason = body.reason if body else ""
    return PurchaseOrderOut.model_validate(service.close_purchase_order(session, actor, code, reason))


@router.post("/purchase-orders/{code}/cancel", response_model=PurchaseOrderOut)
def cancel_purchase_order(session: SessionDep, actor: ActorDep, code: str, body: CloseIn | None = None
                          ) -> PurchaseOrderOut:
    reason = body.reason if body else ""
    return PurchaseOrderOut.model_validate(service.cancel_purchase_order(session, actor, code, reason))


@router.get("/transfers", response_model=Page[TransferOut])
def list_transfers(session: SessionDep, actor: ActorDep, params: ListParamsDep,
                   status: OrderStatus | None = None) -> Page[TransferOut]:
    rows, total = service.list_transfers(session, actor, params, status=status)
    return Page(items=[TransferOut.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@router.post("/transfers", response_model=TransferOut, status_code=status.HTTP_201_CREATED)
def create_transfer(session: SessionDep, actor: ActorDep, body: TransferCreate) -> TransferOut:
    return TransferOut.model_validate(service.create_transfer(session, actor, body))


@router.get("/transfers/{code}", response_model=TransferOut)
def get_transfer(session: SessionDep, actor: ActorDep, code: str) -> TransferOut:
    return TransferOut.model_validate(service.get_transfer(session, actor, code))


@router.post("/transfers/{code}/confirm", response_model=TransferOut)
def confirm_transfer(session: SessionDep, actor: ActorDep, code: str) -> TransferOut:
    return TransferOut.model_validate(service.confirm_transfer(session, actor, code))


@router.post("/transfers/{code}/receipts", response_model=TransferOut)
def receive_transfer(session: SessionDep, actor: ActorDep, code: str, body: TransferReceiptIn) -> TransferOut:
    return TransferOut.model_validate(service.receive_transfer(session, actor, code, body))


@router.post("/transfers/{code}/close", response_model=TransferOut)
def close_transfer(session: SessionDep, actor: ActorDep, code: str, body: CloseIn | None = None) -> TransferOut:
    return TransferOut.model_validate(service.close_transfer(session, actor, code, body.reason if body else ""))


@router.post("/transfers/{code}/cancel", response_model=TransferOut)
def cancel_transfer(session: SessionDep, actor: ActorDep, code: str, body: CloseIn | None = None) -> TransferOut:
    return TransferOut.model_validate(service.cancel_transfer(session, actor, code, body.reason if body else ""))
