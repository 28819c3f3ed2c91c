"""Tracking events from the API (one or a batch), carrier webhooks and CSV files.

Every event is stored (nothing received is lost), once: a carrier's event id seen before is a duplicate
and ignored. Events are applied to the freight status in time order: pending -> picked_up -> in_transit ->
out_for_delivery -> delivered, forward jumps allowed (carriers skip scans), ``exception`` at any point.
An event never moves the status backwards: a step behind (or equal to) the current one, arriving late
or not, is stored with ``applied = false``; a late event that is still a step forward counts (scanners'
clocks differ). An exception, and recovery from one, count only when newer than the last applied event.
Delivered is final. Applied events drive the order: pickup ships
the packed fulfilment record, delivery confirms it (with who signed), an exception raises an alert.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize
from qudao.common.actor import Actor
from qudao.db import utcnow
from qudao.errors import Conflict, FieldError, Forbidden, Invalid, Unauthorized, invalid
from qudao.logistics import carriers, secrets, service
from qudao.logistics.models import FreightShipment, TrackingEvent
from qudao.logistics.schemas import CarrierEventIn, TrackingEventIn, TrackingResult
from qudao.orders import alerts, fulfilment
from qudao.orders.schemas import ShipmentAdvance
from qudao.partners.models import Partner

RANK = {"pending": 0, "picked_up": 1, "in_transit": 2, "out_for_delivery": 3, "delivered": 4}
MAX_ERRORS = 50
CSV_COLUMNS = ("tracking_number", "status", "occurred_at")


def applies(current: str, last_at: datetime | None, status: str, at: datetime) -> bool:
    """Whether an event moves the status (see the module docstring)."""
    if current == "delivered":
        return False
    if status == "exception" or current == "exception":
        return last_at is None or at >= last_at
    return RANK[status] > RANK[current]


def add_events(session: Session, actor: Actor, freight_id: int, events: Sequence[TrackingEventIn],
               source: str = "api") -> TrackingResult:
    """Events for one freight shipment (staff, or the user of the carrier that carries it)."""
    authorize(actor, "logistics:write")
    _check_count(events)
    freight = service.get_freight(session, actor, freight_id)
    if actor.is_partner and freight.carrier_id != actor.partner_id:
        raise Forbidden(detail=f"only the carrier of freight shipment {freight.id} may report its tracking events")
    return _ingest(session, actor, [(freight, e) for e in events], source)


def add_shipment_events(session: Session, actor: Actor, shipment_id: int, events: Sequence[TrackingEventIn],
                        source: str = "api") -> TrackingResult:
    """Events addressed by the sales-order shipment (orders' fulfilment record) the freight belongs to."""
    authorize(actor, "logistics:write")
    freight = service.freight_of_shipment(session, actor, shipment_id)
    return add_events(session, actor, freight.id, events, source)


def add_events_for_carrier(session: Session, actor: Actor, carrier_code: str,
                           events: Sequence[CarrierEventIn]) -> TrackingResult:
    """A batch by tracking number for one carrier: staff, or that carrier's own user."""
    authorize(actor, "logistics:write")
    carrier = carriers.carrier_by_code(session, carrier_code)
    if actor.is_partner and carrier.id != actor.partner_id:
        raise invalid("carrier_code", "a carrier may report only its own events")
    return add_carrier_events(session, actor, carrier, events, "api")


def _check_count(events: Sequence[Any]) -> None:
    if not events:
        raise invalid("body", "send one event or a non-empty list of events")
    if len(events) > 1000:
        raise invalid("body", "at most 1000 events per call")


def add_carrier_events(session: Session, actor: Actor, carrier: Partner, events: Sequence[CarrierEventIn],
                       source: str) -> TrackingResult:
    """Events a carrier sends by tracking number; an unknown tracking number rejects the whole batch,
    naming each row, so the carrier can correct and resend it (nothing half-applied)."""
    authorize(actor, "logistics:write")
    numbers = {e.tracking_number for e in events}
    found = {f.tracking_number: f for f in session.scalars(select(FreightShipment).where(
        FreightShipment.carrier_id == carrier.id, FreightShipment.tracking_number.in_(numbers)))}
    errors = [FieldError(f"events[{n}].tracking_number", f"no shipment of carrier {carrier.code} has tracking "
                         f"number {e.tracking_number!r}", row=n) for n, e in enumerate(events)
              if e.tracking_number not in found]
    if errors:
        raise Invalid(detail=f"{len(errors)} event(s) name an unknown tracking number; nothing was stored",
                      errors=errors[:MAX_ERRORS])
    return _ingest(session, actor, [(found[e.tracking_number], e) for e in events], source)


def may_import(actor: Actor) -> None:
    authorize(actor, "logistics:write")


def import_csv(session: Session, actor: Actor, content: bytes, carrier_code: str | None = None) -> TrackingResult:
    """CSV with columns tracking_number, status, occurred_at (ISO 8601 with offset) and optionally
    carrier_code, event_id, place, message, signed_by, pod_reference, eta. A carrier user imports its own
    events only."""
    authorize(actor, "logistics:write")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid("file", "not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise invalid("file", f"missing column(s): {', '.join(missing)}")
    rows: list[tuple[int, str, CarrierEventIn]] = []
    errors: list[FieldError] = []
    for n, raw in enumerate(reader, start=2):  # row 1 is the header
        code = (raw.get("carrier_code") or carrier_code or "").strip()
        values = {k: (raw.get(k) or "").strip() for k in ("tracking_number", "status", "occurred_at", "place",
                                                          "message", "signed_by")}
        for optional in ("event_id", "eta", "pod_reference"):
            if (raw.get(optional) or "").strip():
                values[optional] = raw[optional].strip()
        try:
            rows.append((n, code, CarrierEventIn(**values)))
        except ValidationError as exc:
            for err in exc.errors():
                errors.append(FieldError(".".join(str(p) for p in err["loc"]) or "row", err["msg"], row=n))
        if not code:
            errors.append(FieldError("carrier_code", "give the carrier (column or parameter)", row=n))
    if errors:
        raise Invalid(detail=f"{len(errors)} problem(s) in the file; nothing was stored", errors=errors[:MAX_ERRORS])
    partners = {p.code: p for p in session.scalars(select(Partner).where(Partner.code.in_({c for _, c, _ in rows})))}
    items: list[tuple[FreightShipment, CarrierEventIn]] = []
    keys = {(partners[c].id, e.tracking_number) for _, c, e in rows if c in partners}
    freights = {(f.carrier_id, f.tracking_number): f for f in session.scalars(select(FreightShipment).where(
        tuple_(FreightShipment.carrier_id, FreightShipment.tracking_number).in_(keys)))} if keys else {}
    for n, code, event in rows:
        carrier = partners.get(code)
        if carrier is None:
            errors.append(FieldError("carrier_code", f"unknown carrier {code!r}", row=n))
        elif actor.is_partner and carrier.id != actor.partner_id:
            errors.append(FieldError("carrier_code", "a carrier may import only its own events", row=n))
        elif (carrier.id, event.tracking_number) not in freights:
            errors.append(FieldError("tracking_number", f"no shipment of carrier {code} has tracking number "
                                     f"{event.tracking_number!r}", row=n))
        else:
            items.append((freights[(carrier.id, event.tracking_number)], event))
    if errors:
        raise Invalid(detail=f"{len(errors)} problem(s) in the file; nothing was stored", errors=errors[:MAX_ERRORS])
    return _ingest(session, actor, items, "csv")


def _ingest(session: Session, actor: Actor, items: list[tuple[FreightShipment, Any]], source: str) -> TrackingResult:
    wanted = {(f.carrier_id, e.event_id) for f, e in items if e.event_id}
    seen: set[tuple[Any, str]] = set()
    if wanted:
        seen = {(row[0], row[1]) for row in session.execute(
            select(TrackingEvent.carrier_id, TrackingEvent.carrier_event_id).where(
                tuple_(TrackingEvent.carrier_id, TrackingEvent.carrier_event_id).in_(wanted)))}
    per_freight: dict[int, list[Any]] = defaultdict(list)
    by_id: dict[int, FreightShipment] = {}
    duplicates = 0
    for freight, event in items:
        if event.event_id:
            key = (freight.carrier_id, event.event_id)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
        per_freight[freight.id].append(event)
        by_id[freight.id] = freight
    applied = 0
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for freight_id, events in per_freight.items():
        freight = by_id[freight_id]
        before = freight.status
        for event in sorted(events, key=lambda e: e.occurred_at):
            moved = applies(freight.status, freight.last_event_at, event.status, event.occurred_at)
            rows.append(dict(freight_shipment_id=freight.id, carrier_id=freight.carrier_id,
                             carrier_event_id=event.event_id, status=event.status, occurred_at=event.occurred_at,
                             received_at=now, place=event.place, message=event.message, source=source,
                             applied=moved, signed_by=event.signed_by))
            if moved:
                applied += 1
                freight.status = event.status
                freight.last_event_at = max(freight.last_event_at or event.occurred_at, event.occurred_at)
                if event.eta is not None:
                    freight.eta = event.eta  # the carrier's new estimate
                if event.status == "delivered":
                    freight.delivered_at = event.occurred_at
                    freight.pod_signed_by = event.signed_by
                    freight.pod_reference = getattr(event, "pod_reference", "")
        if freight.status != before:
            _follow_up(session, actor, freight, before)
    if by_id:
        service.mark_late(session, actor, freight_ids=list(by_id))
    try:
        if rows:  # every event kept, in one bulk statement
            session.execute(insert(TrackingEvent), rows)
        session.flush()
    except IntegrityError:
        # The same carrier event id arrived twice at once (a retried webhook): the later call is refused
        # whole; sent again, it is counted as a duplicate.
        raise Conflict(detail="an event of this batch is being recorded by another request; send it again") from None
    return TrackingResult(received=len(items), duplicates=duplicates, applied=applied,
                          status={f.id: f.status for f in by_id.values()})


def _follow_up(session: Session, actor: Actor, freight: FreightShipment, before: str) -> None:
    """What the new status means for the order: ship, deliver, raise or clear alerts."""
    staff = service.fulfilment_actor(actor)
    if freight.status == "exception":
        freight.exception_flagged = True
        if freight.order_id is not None:
            alerts.raise_alert(session, staff, freight.order_id, "shipment_exception",
                               f"carrier reports an exception on freight {freight.id} "
                               f"({freight.tracking_number or ''})", freight.id)
        return
    if before == "exception" and freight.order_id is not None:
        alerts.clear_alert(session, staff, freight.order_id, "shipment_exception", freight.id,
                           f"freight {freight.id} moving again ({freight.status})")
    if freight.order_shipment_id is None:
        return
    shipment = fulfilment.get_shipment(session, staff, freight.order_shipment_id)
    carrier = session.get(Partner, freight.carrier_id) if freight.carrier_id else None
    if shipment.status == "packed":
        fulfilment.advance_shipment(session, staff, shipment.id, "shipped", ShipmentAdvance(
            carrier=carrier.code if carrier else None, tracking_number=freight.tracking_number))
        shipment = fulfilment.get_shipment(session, staff, shipment.id)
    if freight.status != "delivered":
        return
    if shipment.status == "shipped":
        fulfilment.advance_shipment(session, staff, shipment.id, "delivered",
                                    ShipmentAdvance(received_by=freight.pod_signed_by or None))
    elif shipment.status != "delivered" and freight.order_id is not None:
        alerts.raise_alert(session, staff, freight.order_id, "shipment_exception",
                           f"carrier reports freight {freight.id} delivered but shipment {shipment.id} is still "
                           f"{shipment.status} in the warehouse", freight.id)
    if freight.order_id is None:
        return
    due = min((d for d in (freight.eta, freight.promised_date) if d is not None), default=None)
    delivered_on = freight.delivered_at.date() if freight.delivered_at else None
    if due is not None and delivered_on is not None and delivered_on > due:
        alerts.raise_alert(session, staff, freight.order_id, "shipment_late",
                           f"freight {freight.id} delivered {delivered_on.isoformat()}, "
                           f"{(delivered_on - due).days} day(s) after {due.isoformat()}", freight.id)
    elif freight.late_flagged:
        alerts.clear_alert(session, staff, freight.order_id, "shipment_late", freight.id,
                           f"freight {freight.id} delivered")


def events_of(session: Session, actor: Actor, freight_id: int) -> list[TrackingEvent]:
    """The tracking timeline, in the order things happened (received-late events included, marked)."""
    service.get_freight(session, actor, freight_id)
    return list(session.scalars(select(TrackingEvent).where(TrackingEvent.freight_shipment_id == freight_id)
                                .order_by(TrackingEvent.occurred_at, TrackingEvent.id)).all())


def carrier_for_webhook(session: Session, carrier_code: str, server_key: str, body: bytes, signature: str) -> Partner:
    """Check the signature of a webhook call; any failure is the same 'not authenticated' answer."""
    found = carriers.webhook_secret(session, carrier_code, server_key)
    if found is None or not signature or not secrets.signature_matches(found[1], body, signature):
        raise Unauthorized(detail="webhook signature missing or not valid for this carrier")
    return found[0]
