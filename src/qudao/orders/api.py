"""REST routes for orders, shipments, returns and order configuration (thin: parse, call, render).

``POST /orders`` answers 201 with a new order, or 200 with ``duplicate: true`` and the order already
booked for the same channel and external order id (a retried or double-sent order is never booked twice).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile, status

from qudao.api.deps import ActorDep, CredentialDep, ListParamsDep, SessionDep, SettingsDep, in_unit_of_work
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.common.listing import Page
from qudao.errors import invalid
from qudao.orders import booking, config, fulfilment, importing, queries, service
from qudao.orders.schemas import (
    BatchResult,
    BatchResultItem,
    CancelIn,
    ExceptionOut,
    InspectionIn,
    OrderBatchIn,
    OrderCreate,
    OrderEventOut,
    OrderOut,
    OrderSummary,
    PriceListIn,
    PriceListOut,
    PriorityRuleIn,
    PriorityRuleOut,
    ReallocateIn,
    ReturnCreate,
    ReturnOut,
    RushIn,
    ShipmentAdvance,
    ShipmentCreate,
    ShipmentOut,
)

router = APIRouter(tags=["orders"], responses=PROBLEM_RESPONSES)
# Single-order intake, the hottest route: its own router, included first under /api/v1, because matching a
# request walks the routes in order and walking the ~300 routes before it costs about 0.5 ms per order.
intake_router = APIRouter(tags=["orders"], responses=PROBLEM_RESPONSES)
# Row ids in paths stay inside the BIGINT range, so an absurd id is a 422 rather than a database error.
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _batch_result(result: service.IntakeResult, externals: list[str]) -> BatchResult:
    return BatchResult(
        orders=len(result.order_ids), created=result.created, duplicates=sum(result.duplicate), lines=result.lines,
        allocated_lines=result.allocated_lines, allocated_quantity=result.allocated_quantity,
        backordered_quantity=result.backordered_quantity, on_hold=result.on_hold,
        items=[BatchResultItem(index=i, id=oid, external_order_id=ext, status=st, duplicate=dup)
               for i, (oid, ext, st, dup) in enumerate(zip(result.order_ids, externals, result.statuses,
                                                           result.duplicate, strict=True))])


@router.get("/orders", response_model=Page[OrderSummary])
def list_orders(session: SessionDep, actor: ActorDep, params: ListParamsDep, status: str | None = None,
                channel: str | None = None, customer: str | None = None) -> Page[OrderSummary]:
    rows, total = queries.list_orders(session, actor, params, status=status, channel=channel, customer=customer)
    return Page(items=[OrderSummary.model_validate(r) for r in rows], total=total, page=params.page,
                page_size=params.page_size)


@intake_router.post("/orders", response_model=OrderOut, status_code=status.HTTP_201_CREATED,
                    responses={200: {"model": OrderOut, "description": "Already booked (duplicate external order id)"}})
async def create_order(request: Request, credential: CredentialDep, body: OrderCreate, response: Response) -> OrderOut:
    # The hot intake route: authentication, booking and commit in one worker-thread hop, and the answer
    # is built from what was written (see qudao.orders.booking).
    order, duplicate = await in_unit_of_work(request, credential, lambda session, actor: booking.book_order(
        session, actor, body, source="portal" if actor.is_partner else "api"))
    if duplicate:
        response.status_code = status.HTTP_200_OK
    return order


@router.post("/orders/batch", response_model=BatchResult)
def create_orders(session: SessionDep, actor: ActorDep, body: OrderBatchIn) -> BatchResult:
    result = service.create_orders(session, actor, body.orders, source="batch")
    return _batch_result(result, [o.external_order_id for o in body.orders])


@router.post("/orders/import", response_model=BatchResult)
async def import_orders(session: SessionDep, actor: ActorDep, settings: SettingsDep,
                        file: UploadFile = File(...)) -> BatchResult:
    content = await file.read(settings.import_max_bytes + 1)
    if len(content) > settings.import_max_bytes:
        raise invalid("file", f"larger than {settings.import_max_bytes} bytes")
    result = importing.import_orders(session, actor, content, file.filename or "upload.csv")
    return _batch_result(result, [""] * len(result.order_ids))


@router.get("/orders/exceptions", response_model=list[ExceptionOut])
def order_exceptions(session: SessionDep, actor: ActorDep,
                     stuck_hours: Annotated[float, Query(gt=0, le=87_600)] = 48) -> list[ExceptionOut]:
    return queries.exceptions(session, actor, stuck_hours=stuck_hours)


@router.get("/orders/priority-rules", response_model=list[PriorityRuleOut])
def list_priority_rules(session: SessionDep, actor: ActorDep) -> list[PriorityRuleOut]:
    return [PriorityRuleOut.model_validate(r) for r in config.list_priority_rules(session, actor)]


@router.put("/orders/priority-rules", response_model=PriorityRuleOut)
def set_priority_rule(session: SessionDep, actor: ActorDep, body: PriorityRuleIn) -> PriorityRuleOut:
    return PriorityRuleOut.model_validate(config.set_priority_rule(session, actor, body))


@router.put("/orders/allocation-policy", response_model=dict[str, str | None])
def set_allocation_policy(session: SessionDep, actor: ActorDep, ship_from_rule: Literal["nearest", "priority"],
                          channel: str | None = None) -> dict[str, str | None]:
    policy = config.set_allocation_policy(session, actor, ship_from_rule=ship_from_rule, channel_code=channel)
    return {"channel": channel, "ship_from_rule": policy.ship_from_rule}


@router.post("/price-lists", response_model=PriceListOut, status_code=status.HTTP_201_CREATED)
def create_price_list(session: SessionDep, actor: ActorDep, body: PriceListIn) -> PriceListOut:
    return PriceListOut.model_validate(config.create_price_list(session, actor, body))


@router.get("/orders/{order_id}", response_model=OrderOut)
def get_order(session: SessionDep, actor: ActorDep, order_id: RowId) -> OrderOut:
    return OrderOut.model_validate(service.get_order(session, actor, order_id))


@router.get("/orders/{order_id}/timeline", response_model=list[OrderEventOut])
def order_timeline(session: SessionDep, actor: ActorDep, order_id: RowId) -> list[OrderEventOut]:
    return [OrderEventOut.model_validate(e) for e in queries.timeline(session, actor, order_id)]


@router.post("/orders/{order_id}/cancel", response_model=OrderOut)
def cancel_order(session: SessionDep, actor: ActorDep, order_id: RowId, body: CancelIn | None = None) -> OrderOut:
    return OrderOut.model_validate(service.cancel_order(session, actor, order_id, reason=body.reason if body else ""))


@router.post("/orders/{order_id}/rush", response_model=OrderOut)
def set_rush(session: SessionDep, actor: ActorDep, order_id: RowId, body: RushIn) -> OrderOut:
    return OrderOut.model_validate(service.set_rush(session, actor, order_id, rush=body.rush))


@router.post("/orders/{order_id}/release-hold", response_model=OrderOut)
def release_hold(session: SessionDep, actor: ActorDep, order_id: RowId, body: CancelIn | None = None) -> OrderOut:
    return OrderOut.model_validate(service.release_hold(session, actor, order_id, note=body.reason if body else ""))


@router.post("/orders/{order_id}/reallocate", response_model=OrderOut)
def reallocate_order(session: SessionDep, actor: ActorDep, order_id: RowId, body: ReallocateIn) -> OrderOut:
    return OrderOut.model_validate(service.reallocate_order(session, actor, order_id, body))


@router.get("/orders/{order_id}/shipments", response_model=list[ShipmentOut])
def list_shipments(session: SessionDep, actor: ActorDep, order_id: RowId) -> list[ShipmentOut]:
    return [ShipmentOut.model_validate(s) for s in fulfilment.list_shipments(session, actor, order_id)]


@router.post("/orders/{order_id}/shipments", response_model=ShipmentOut, status_code=status.HTTP_201_CREATED)
def create_shipment(session: SessionDep, actor: ActorDep, order_id: RowId, body: ShipmentCreate) -> ShipmentOut:
    return ShipmentOut.model_validate(fulfilment.create_shipment(session, actor, order_id, body))


@router.get("/shipments/{shipment_id}", response_model=ShipmentOut)
def get_shipment(session: SessionDep, actor: ActorDep, shipment_id: RowId) -> ShipmentOut:
    return ShipmentOut.model_validate(fulfilment.get_shipment(session, actor, shipment_id))


@router.post("/shipments/{shipment_id}/{step}", response_model=ShipmentOut)
def advance_shipment(session: SessionDep, actor: ActorDep, shipment_id: RowId,
                     step: Literal["pick", "pack", "ship", "deliver", "cancel"],
                     body: ShipmentAdvance | None = None) -> ShipmentOut:
    if step == "cancel":
        return ShipmentOut.model_validate(fulfilment.cancel_shipment(session, actor, shipment_id))
    to_status = {"pick": "picked", "pack": "packed", "ship": "shipped", "deliver": "delivered"}[step]
    return ShipmentOut.model_validate(fulfilment.advance_shipment(session, actor, shipment_id, to_status, body))


@router.get("/returns", response_model=list[ReturnOut])
def list_returns(session: SessionDep, actor: ActorDep, status: str | None = None) -> list[ReturnOut]:
    return [ReturnOut.model_validate(r) for r in fulfilment.list_returns(session, actor, status=status)]


@router.post("/returns", response_model=ReturnOut, status_code=status.HTTP_201_CREATED)
def create_return(session: SessionDep, actor: ActorDep, body: ReturnCreate) -> ReturnOut:
    return ReturnOut.model_validate(fulfilment.create_return(session, actor, body))


@router.get("/returns/{rma_id}", response_model=ReturnOut)
def get_return(session: SessionDep, actor: ActorDep, rma_id: RowId) -> ReturnOut:
    return ReturnOut.model_validate(fulfilment.get_return(session, actor, rma_id))


@router.post("/returns/{rma_id}/receive", response_model=ReturnOut)
def receive_return(session: SessionDep, actor: ActorDep, rma_id: RowId) -> ReturnOut:
    return ReturnOut.model_validate(fulfilment.receive_return(session, actor, rma_id))


@router.post("/returns/{rma_id}/inspect", response_model=ReturnOut)
def inspect_return(session: SessionDep, actor: ActorDep, rma_id: RowId, body: InspectionIn) -> ReturnOut:
    return ReturnOut.model_validate(fulfilment.inspect_return(session, actor, rma_id, body))
