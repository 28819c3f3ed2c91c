"""REST routes for logistics (thin: parse, call a service, render).

``POST /carrier-webhooks/{carrier_code}`` is the one route authenticated by signature instead of a user:
the carrier signs the raw body with HMAC-SHA256 and its secret (header ``X-Qudao-Signature:
sha256=<hex>``); a missing or wrong signature is 401, a replayed event id is counted as a duplicate.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Header, Query, Request, UploadFile, status
from pydantic import ValidationError

from qudao.api.deps import ActorDep, IdPath, SessionDep, SettingsDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.common.actor import Actor, Role
from qudao.errors import FieldError, Invalid, invalid
from qudao.logistics import carriers, queries, routes, service, tracking
from qudao.logistics.schemas import (
    CarrierOut,
    ChannelFreightOut,
    FreightIn,
    FreightOut,
    QuoteIn,
    QuoteOut,
    QuoteResult,
    RateCardActive,
    RateCardIn,
    RateCardOut,
    RoutePlanIn,
    RoutePlanOut,
    ServiceIn,
    ServiceOut,
    TrackingEventIn,
    TrackingEventOut,
    TrackingResult,
    TripOut,
    Unrated,
    VehicleIn,
    VehicleOut,
    WebhookIn,
    WebhookSecretOut,
)

router = APIRouter(tags=["logistics"], responses=PROBLEM_RESPONSES)
Code = Annotated[str, Query(min_length=1, max_length=40)]
Events = TrackingEventIn | list[TrackingEventIn]


def _events(body: Events) -> list[TrackingEventIn]:
    return body if isinstance(body, list) else [body]


# ---- carriers, services, rate cards, quotes --------------------------------------------------------


@router.get("/carriers", response_model=list[CarrierOut])
def list_carriers(session: SessionDep, actor: ActorDep) -> list[CarrierOut]:
    return [CarrierOut(code=c.code, name=c.name, services=[ServiceOut.model_validate(s) for s in services],
                       webhook_secret_fingerprint=printed)
            for c, services, printed in carriers.list_carriers(session, actor)]


@router.post("/carriers/services", response_model=ServiceOut, status_code=status.HTTP_201_CREATED)
def create_service(session: SessionDep, actor: ActorDep, body: ServiceIn) -> ServiceOut:
    return ServiceOut.model_validate(carriers.create_service(session, actor, body))


@router.post("/carriers/{carrier_code}/webhook-secret", response_model=WebhookSecretOut,
             status_code=status.HTTP_201_CREATED)
def set_webhook_secret(session: SessionDep, actor: ActorDep, settings: SettingsDep,
                       carrier_code: str) -> WebhookSecretOut:
    secret, printed = carriers.set_webhook_secret(session, actor, carrier_code, settings.resolved_secret_key())
    return WebhookSecretOut(carrier_code=carrier_code, secret=secret, fingerprint=printed)


@router.get("/rate-cards", response_model=list[RateCardOut])
def list_rate_cards(session: SessionDep, actor: ActorDep) -> list[RateCardOut]:
    return [RateCardOut.model_validate(c) for c in carriers.list_rate_cards(session, actor)]


@router.post("/rate-cards", response_model=RateCardOut, status_code=status.HTTP_201_CREATED)
def create_rate_card(session: SessionDep, actor: ActorDep, body: RateCardIn) -> RateCardOut:
    return RateCardOut.model_validate(carriers.create_rate_card(session, actor, body))


@router.get("/rate-cards/{code}", response_model=RateCardOut)
def get_rate_card(session: SessionDep, actor: ActorDep, code: str) -> RateCardOut:
    return RateCardOut.model_validate(carriers.get_rate_card(session, actor, code))


@router.patch("/rate-cards/{code}", response_model=RateCardOut)
def update_rate_card(session: SessionDep, actor: ActorDep, code: str, body: RateCardActive) -> RateCardOut:
    """Withdraw a rate card (``active: false``) or bring it back; a newer card starts by its valid_from."""
    return RateCardOut.model_validate(carriers.set_rate_card_active(session, actor, code, body.active))


@router.post("/freight-quotes", response_model=QuoteResult)
def freight_quote(session: SessionDep, actor: ActorDep, body: QuoteIn) -> QuoteResult:
    """Rate a consignment on every carrier service (a read: nothing is stored)."""
    result = carriers.quote(session, actor, body)
    return QuoteResult(quotes=[QuoteOut.model_validate(q) for q in result.quotes],
                       chosen=QuoteOut.model_validate(result.chosen) if result.chosen else None, rule=result.rule,
                       unrated=[Unrated(service_code=c, reason=r) for c, r in result.unrated])


# ---- freight shipments and tracking --------------------------------------------------------------


@router.get("/freight/shipments", response_model=list[FreightOut])
def list_freight(session: SessionDep, actor: ActorDep, status: Code | None = None,
                 order_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None) -> list[FreightOut]:
    return [FreightOut.model_validate(f) for f in service.list_freight(session, actor, status=status,
                                                                       order_id=order_id)]


@router.post("/freight/shipments", response_model=FreightOut, status_code=status.HTTP_201_CREATED)
def create_freight(session: SessionDep, actor: ActorDep, body: FreightIn) -> FreightOut:
    return FreightOut.model_validate(service.create_freight(session, actor, body))


@router.get("/freight/shipments/{freight_id}", response_model=FreightOut)
def get_freight(session: SessionDep, actor: ActorDep, freight_id: IdPath) -> FreightOut:
    return FreightOut.model_validate(service.get_freight(session, actor, freight_id))


@router.get("/freight/shipments/{freight_id}/tracking-events", response_model=list[TrackingEventOut])
def freight_events(session: SessionDep, actor: ActorDep, freight_id: IdPath) -> list[TrackingEventOut]:
    return [TrackingEventOut.model_validate(e) for e in tracking.events_of(session, actor, freight_id)]


@router.post("/freight/shipments/{freight_id}/tracking-events", response_model=TrackingResult)
def add_freight_events(session: SessionDep, actor: ActorDep, freight_id: IdPath, body: Events) -> TrackingResult:
    return tracking.add_events(session, actor, freight_id, _events(body))


@router.get("/freight/by-channel", response_model=list[ChannelFreightOut])
def freight_by_channel(session: SessionDep, actor: ActorDep, since: date | None = None,
                       until: date | None = None) -> list[ChannelFreightOut]:
    return queries.freight_by_channel(session, actor, since=since, until=until)


@router.post("/freight/late-check", response_model=dict[str, int])
def late_check(session: SessionDep, actor: ActorDep) -> dict[str, int]:
    """Flag freight past its ETA or promised date and raise "late" on its orders."""
    return {"flagged": service.flag_late(session, actor)}


# The fulfilment record's id (orders' shipment) also works: POST /shipments/{id}/tracking-events.
@router.get("/shipments/{shipment_id}/tracking-events", response_model=list[TrackingEventOut])
def shipment_events(session: SessionDep, actor: ActorDep, shipment_id: IdPath) -> list[TrackingEventOut]:
    freight = service.freight_of_shipment(session, actor, shipment_id)
    return [TrackingEventOut.model_validate(e) for e in tracking.events_of(session, actor, freight.id)]


@router.post("/shipments/{shipment_id}/tracking-events", response_model=TrackingResult)
def add_shipment_events(session: SessionDep, actor: ActorDep, shipment_id: IdPath, body: Events) -> TrackingResult:
    return tracking.add_shipment_events(session, actor, shipment_id, _events(body))


@router.post("/tracking/events", response_model=TrackingResult)
def add_carrier_events(session: SessionDep, actor: ActorDep, body: WebhookIn,
                       carrier_code: Code) -> TrackingResult:
    """A batch of events by tracking number for one carrier (staff, or that carrier's own user)."""
    return tracking.add_events_for_carrier(session, actor, carrier_code, body.events)


@router.post("/tracking/import", response_model=TrackingResult)
async def import_events(session: SessionDep, actor: ActorDep, settings: SettingsDep, file: UploadFile = File(...),
                        carrier_code: Code | None = None) -> TrackingResult:
    tracking.may_import(actor)  # refuse before reading the upload
    content = await file.read(settings.import_max_bytes + 1)
    if len(content) > settings.import_max_bytes:
        raise invalid("file", f"larger than {settings.import_max_bytes} bytes")
    return tracking.import_csv(session, actor, content, carrier_code)


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@router.post("/carrier-webhooks/{carrier_code}", response_model=TrackingResult,
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"$ref": "#/components/schemas/WebhookIn"}}}}})
def carrier_webhook(session: SessionDep, settings: SettingsDep, carrier_code: str,
                    body: Annotated[bytes, Depends(_raw_body)],
                    x_qudao_signature: Annotated[str, Header()] = "") -> TrackingResult:
    carrier = tracking.carrier_for_webhook(session, carrier_code, settings.resolved_secret_key(), body,
                                           x_qudao_signature)
    try:
        payload = WebhookIn.model_validate_json(body)
    except ValidationError as exc:
        errors = [FieldError(".".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in exc.errors()[:50]]
        raise Invalid(detail="the webhook body is not valid", errors=errors) from None
    # The signature authenticated the carrier; it acts as its own integration user for these events.
    actor = Actor(user_id=None, username=f"carrier-webhook:{carrier.code}", role=Role.warehouse)
    return tracking.add_carrier_events(session, actor, carrier, payload.events, "webhook")


# ---- vehicles, route plans, trips -----------------------------------------------------------------


@router.get("/vehicles", response_model=list[VehicleOut])
def list_vehicles(session: SessionDep, actor: ActorDep) -> list[VehicleOut]:
    return [VehicleOut.model_validate(v) for v in routes.list_vehicles(session, actor)]


@router.post("/vehicles", response_model=VehicleOut, status_code=status.HTTP_201_CREATED)
def create_vehicle(session: SessionDep, actor: ActorDep, body: VehicleIn) -> VehicleOut:
    return VehicleOut.model_validate(routes.create_vehicle(session, actor, body))


@router.post("/route-plans", response_model=RoutePlanOut, status_code=status.HTTP_201_CREATED)
def plan_routes(session: SessionDep, actor: ActorDep, body: RoutePlanIn) -> RoutePlanOut:
    return RoutePlanOut.model_validate(routes.plan_routes(session, actor, body))


@router.get("/route-plans", response_model=list[RoutePlanOut])
def list_plans(session: SessionDep, actor: ActorDep, plan_date: date | None = None) -> list[RoutePlanOut]:
    return [RoutePlanOut.model_validate(p) for p in routes.list_plans(session, actor, plan_date=plan_date)]


@router.get("/route-plans/{plan_id}", response_model=RoutePlanOut)
def get_plan(session: SessionDep, actor: ActorDep, plan_id: IdPath) -> RoutePlanOut:
    return RoutePlanOut.model_validate(routes.get_plan(session, actor, plan_id))


@router.get("/trips", response_model=list[TripOut])
def list_trips(session: SessionDep, actor: ActorDep,
               plan_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None) -> list[TripOut]:
    return [TripOut.model_validate(t) for t in routes.list_trips(session, actor, plan_id=plan_id)]


@router.get("/trips/{trip_id}", response_model=TripOut)
def get_trip(session: SessionDep, actor: ActorDep, trip_id: IdPath) -> TripOut:
    return TripOut.model_validate(routes.get_trip(session, actor, trip_id))

