"""Carriers (partners with the logistics_provider role), their services and rate cards, webhook secrets,
and freight quotes (rated by ``qudao.engines.logistics.rating``)."""

from __future__ import annotations

import secrets as random_secrets
from datetime import date

from cryptography.exceptions import InvalidTag
from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, require_staff
from qudao.common.actor import Actor
from qudao.common.records import snapshot
from qudao.db import utcnow
from qudao.engines.logistics import rating
from qudao.errors import Conflict, FieldError, Invalid, NotFound, invalid
from qudao.logistics import secrets
from qudao.logistics.models import CarrierService, CarrierWebhookSecret, RateBreak, RateCard, RateLane, RateZone
from qudao.logistics.schemas import QuoteIn, RateCardIn, ServiceIn
from qudao.partners.models import Partner, PartnerRoleAssignment

CARRIER_ROLE = "logistics_provider"


def carrier_by_code(session: Session, code: str, field: str = "carrier_code") -> Partner:
    partner = session.scalar(select(Partner).where(Partner.code == code, Partner.archived_at.is_(None)))
    if partner is None or CARRIER_ROLE not in partner.roles:
        raise invalid(field, f"no active logistics provider {code!r} (a partner with role {CARRIER_ROLE})")
    return partner


def list_carriers(session: Session, actor: Actor) -> list[tuple[Partner, list[CarrierService], str | None]]:
    """Logistics providers with their services (a partner user sees only its own organisation)."""
    authorize(actor, "logistics:read")
    stmt = (select(Partner).join(PartnerRoleAssignment, PartnerRoleAssignment.partner_id == Partner.id)
            .where(PartnerRoleAssignment.role == CARRIER_ROLE, Partner.archived_at.is_(None)))
    if actor.is_partner:
        stmt = stmt.where(Partner.id == actor.partner_id)
    carriers = list(session.scalars(stmt.order_by(Partner.code)).all())
    ids = [c.id for c in carriers]
    services = list(session.scalars(select(CarrierService).where(CarrierService.carrier_id.in_(ids))
                                    .order_by(CarrierService.code)).all()) if ids else []
    prints = dict(session.execute(select(CarrierWebhookSecret.carrier_id, CarrierWebhookSecret.fingerprint)
                                  .where(CarrierWebhookSecret.carrier_id.in_(ids))).all()) if ids else {}
    return [(c, [s for s in services if s.carrier_id == c.id], prints.get(c.id)) for c in carriers]


def create_service(session: Session, actor: Actor, data: ServiceIn) -> CarrierService:
    authorize(actor, "logistics:write")
    require_staff(actor, "define carrier services")
    carrier = carrier_by_code(session, data.carrier_code)
    if session.scalar(select(CarrierService.id).where(CarrierService.code == data.code)) is not None:
        raise Conflict(detail=f"carrier service {data.code} already exists")
    service = CarrierService(carrier_id=carrier.id, **data.model_dump(exclude={"carrier_code"}))
    session.add(service)
    audit.record_create(session, actor, service)
    return service


def service_by_code(session: Session, code: str, field: str = "service_code") -> CarrierService:
    service = session.scalar(select(CarrierService).where(CarrierService.code == code))
    if service is None:
        raise invalid(field, f"unknown carrier service {code!r}")
    return service


def create_rate_card(session: Session, actor: Actor, data: RateCardIn) -> RateCard:
    """A rate card for one service: zone table, lanes and their breaks; every lane prices from 0 up."""
    authorize(actor, "logistics:write")
    require_staff(actor, "manage rate cards")
    service = service_by_code(session, data.service_code)
    errors: list[FieldError] = []
    if data.valid_to is not None and data.valid_to < data.valid_from:
        errors.append(FieldError("valid_to", "must not be before valid_from"))
    seen_provinces: dict[str, str] = {}
    for z, zone in enumerate(data.zones):
        for p, province in enumerate(zone.provinces):
            if province in seen_provinces:
                errors.append(FieldError(f"zones[{z}].provinces[{p}]",
                                         f"{province} is already in zone {seen_provinces[province]}"))
            seen_provinces[province] = zone.zone
    for n, lane in enumerate(data.lanes):
        mins = [b.min_quantity for b in lane.breaks]
        if min(mins) != 0:
            errors.append(FieldError(f"lanes[{n}].breaks", "the first break must start at 0 so every "
                                     "quantity has a price"))
        if len(set(mins)) != len(mins):
            errors.append(FieldError(f"lanes[{n}].breaks", "two breaks start at the same quantity"))
    if errors:
        raise Invalid(detail="; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors)
    if session.scalar(select(RateCard.id).where(RateCard.code == data.code)) is not None:
        raise Conflict(detail=f"rate card {data.code} already exists")
    card = RateCard(
        code=data.code, service_id=service.id, currency=data.currency, min_charge=data.min_charge,
        fuel_surcharge_pct=data.fuel_surcharge_pct, valid_from=data.valid_from, valid_to=data.valid_to,
        zones=[RateZone(zone=z.zone, province=p) for z in data.zones for p in z.provinces],
        lanes=[RateLane(origin=ln.origin, destination=ln.destination, basis=ln.basis, min_charge=ln.min_charge,
                        transit_days=ln.transit_days,
                        breaks=[RateBreak(min_quantity=b.min_quantity, unit_price=b.unit_price,
                                          flat_charge=b.flat_charge) for b in ln.breaks])
               for ln in data.lanes])
    session.add(card)
    audit.record_create(session, actor, card)
    return card


def list_rate_cards(session: Session, actor: Actor) -> list[RateCard]:
    authorize(actor, "logistics:read")
    require_staff(actor, "read rate cards")
    return list(session.scalars(select(RateCard).order_by(RateCard.code)).all())


def get_rate_card(session: Session, actor: Actor, code: str) -> RateCard:
    authorize(actor, "logistics:read")
    require_staff(actor, "read rate cards")
    card = session.scalar(select(RateCard).where(RateCard.code == code))
    if card is None:
        raise NotFound(detail=f"rate card {code} not found")
    return card


def set_rate_card_active(session: Session, actor: Actor, code: str, active: bool) -> RateCard:
    """Withdraw a rate card (or bring it back); quotes and bookings use only active cards."""
    authorize(actor, "logistics:write")
    require_staff(actor, "manage rate cards")
    card = get_rate_card(session, actor, code)
    if card.active != active:
        before = snapshot(card)
        card.active = active
        audit.record_update(session, actor, card, before, action="activate" if active else "deactivate")
    return card


def set_webhook_secret(session: Session, actor: Actor, carrier_code: str, server_key: str) -> tuple[str, str]:
    """Generate (or rotate) the carrier's webhook secret; returns (secret, fingerprint) — the only time the
    secret is shown. Only the ciphertext and the fingerprint are stored; the audit row has the fingerprint."""
    authorize(actor, "logistics:write")
    require_staff(actor, "manage carrier webhook secrets")
    carrier = carrier_by_code(session, carrier_code)
    secret = random_secrets.token_urlsafe(32)
    sealed, printed = secrets.encrypt(server_key, secret, carrier.code), secrets.fingerprint(secret)
    row = session.scalar(select(CarrierWebhookSecret).where(CarrierWebhookSecret.carrier_id == carrier.id))
    before = None if row is None else {"fingerprint": row.fingerprint}
    if row is None:
        session.add(CarrierWebhookSecret(carrier_id=carrier.id, ciphertext=sealed, fingerprint=printed))
    else:
        row.ciphertext, row.fingerprint, row.updated_at = sealed, printed, utcnow()
    audit.record(session, actor, action="webhook_secret", entity="partners", entity_id=carrier.id, before=before,
                 after={"fingerprint": printed})
    return secret, printed


def webhook_secret(session: Session, carrier_code: str, server_key: str) -> tuple[Partner, str] | None:
    """The carrier and its secret in clear, for checking a signature (None: unknown carrier or no secret)."""
    carrier = session.scalar(select(Partner).where(Partner.code == carrier_code))
    if carrier is None:
        return None
    row = session.scalar(select(CarrierWebhookSecret).where(CarrierWebhookSecret.carrier_id == carrier.id))
    if row is None:
        return None
    try:
        return carrier, secrets.decrypt(server_key, row.ciphertext, carrier.code)
    except (InvalidTag, ValueError):
        # Sealed under another server key (the key was rotated): the carrier needs a new secret.
        return None


# ---- rating ------------------------------------------------------------------------------------------


def load_service_rates(session: Session, on: date, service_ids: list[int] | None = None) -> dict[int,
                                                                                               rating.ServiceRates]:
    """Active services with the rate card valid on ``on`` (the latest starting card wins), as engine input."""
    stmt = (select(RateCard, CarrierService, Partner.code)
            .join(CarrierService, CarrierService.id == RateCard.service_id)
            .join(Partner, Partner.id == CarrierService.carrier_id)
            .where(RateCard.active.is_(True), CarrierService.active.is_(True), RateCard.valid_from <= on,
                   (RateCard.valid_to.is_(None)) | (RateCard.valid_to >= on)))
    if service_ids is not None:
        stmt = stmt.where(CarrierService.id.in_(service_ids))
    chosen: dict[int, tuple[RateCard, CarrierService, str]] = {}
    for card, service, carrier_code in session.execute(stmt.order_by(RateCard.valid_from, RateCard.id)):
        chosen[service.id] = (card, service, carrier_code)
    return {sid: _engine_rates(card, service, code) for sid, (card, service, code) in chosen.items()}


def _engine_rates(card: RateCard, service: CarrierService, carrier_code: str) -> rating.ServiceRates:
    lanes = tuple(rating.Lane(ln.origin, ln.destination,
                              tuple(rating.RateBreak(b.min_quantity, b.unit_price, b.flat_charge) for b in ln.breaks),
                              ln.basis, ln.min_charge, ln.transit_days) for ln in card.lanes)
    return rating.ServiceRates(service.code, carrier_code, lanes, service.level, service.mode, service.volume_divisor,
                               card.fuel_surcharge_pct, card.min_charge, service.transit_days, card.currency,
                               {z.province: z.zone for z in card.zones})


def quote(session: Session, actor: Actor, data: QuoteIn) -> rating.RatingResult:
    """Rate a consignment on every service and choose one (cheapest, or by the promised date)."""
    authorize(actor, "logistics:read")
    ship_date = data.ship_date or utcnow().date()
    if data.choose_by == "promised_date" and data.promised_date is None:
        raise invalid("promised_date", "required when choosing by promised date")
    consignment = rating.Consignment(data.origin_province, data.destination_province, data.weight_kg,
                                     data.volume_m3, ship_date, data.promised_date)
    rates = load_service_rates(session, ship_date)
    result = rating.rate(rates.values(), consignment, data.choose_by)
    without = session.scalars(select(CarrierService.code).where(CarrierService.active.is_(True),
                                                                CarrierService.id.not_in(list(rates) or [0]))
                              .order_by(CarrierService.code))
    result.unrated += [(code, f"no active rate card valid on {ship_date.isoformat()}") for code in without]
    return result
