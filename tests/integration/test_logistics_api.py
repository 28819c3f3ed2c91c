"""Logistics through the API on both databases: rate cards and quotes, freight of orders and transfers,
tracking (transitions, out-of-order events, unknown shipments), signed webhooks, CSV import, order alerts,
freight cost and CO2e per channel, and who sees what."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.audit.models import AuditRecord
from qudao.common.actor import SYSTEM
from qudao.config import Settings
from qudao.db import utcnow
from qudao.logistics import secrets
from qudao.logistics.models import TrackingEvent
from qudao.orders import service as orders
from tests import factories
from tests.integration import logistics_world as lw

API = "/api/v1"
D = Decimal


def _staff(session: Session, settings: Settings, role: str = "warehouse") -> dict[str, str]:
    return factories.headers(settings, factories.user(session, role))


def test_rate_cards_and_quotes_on_hand_worked_numbers(client: TestClient, session: Session,
                                                       settings: Settings) -> None:
    lw.build(session)
    h = _staff(session, settings, "admin")
    bad = client.post(f"{API}/rate-cards", headers=h, json={
        "code": "LG-BAD", "service_code": "LG-EXP", "valid_from": "2026-01-01",
        "lanes": [{"origin": "*", "destination": "*", "breaks": [{"min_quantity": "5", "unit_price": "1"}]}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "lanes[0].breaks"
    body = {"origin_province": "Shanghai", "destination_province": "Zhejiang", "weight_kg": "12",
            "volume_m3": "0.03", "ship_date": "2026-03-02"}
    # STD: max(12, 30000/5000) = 12 kg: 10 + 1.20 x 12 = 24.40, fuel 5 % 1.22 -> 25.62 in 3 days
    # EXP: max(12, 30000/6000) = 12 kg: 8 + 1.50 x 12 = 26.00, fuel 10 % 2.60 -> 28.60 next day
    quote = client.post(f"{API}/freight-quotes", headers=h, json=body).json()
    assert [(q["service_code"], D(q["total"])) for q in quote["quotes"]] == [("LG-STD", D("25.62")),
                                                                              ("LG-EXP", D("28.60"))]
    assert quote["chosen"]["service_code"] == "LG-STD" and quote["rule"] == "cheapest"
    in_time = client.post(f"{API}/freight-quotes", headers=h,
                          json=body | {"promised_date": "2026-03-04", "choose_by": "promised_date"}).json()
    assert (in_time["chosen"]["service_code"], in_time["chosen"]["eta"], in_time["rule"]) == (
        "LG-EXP", "2026-03-03", "in_time")
    none = client.post(f"{API}/freight-quotes", headers=h, json=body | {"choose_by": "promised_date"})
    assert none.status_code == 422 and none.json()["errors"][0]["field"] == "promised_date"
    withdrawn = client.patch(f"{API}/rate-cards/LG-STD-2026", headers=h, json={"active": False})
    assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False
    only_express = client.post(f"{API}/freight-quotes", headers=h, json=body).json()
    assert [q["service_code"] for q in only_express["quotes"]] == ["LG-EXP"]
    assert {"service_code": "LG-STD", "reason": "no active rate card valid on 2026-03-02"} in only_express["unrated"]
    assert client.patch(f"{API}/rate-cards/NOPE", headers=h, json={"active": False}).status_code == 404
    carriers = client.get(f"{API}/carriers", headers=h).json()
    assert {c["code"] for c in carriers} >= {"LG-SF", "LG-ZTO"}


def test_freight_booking_tracking_transitions_and_delivery(client: TestClient, session: Session,
                                                            settings: Settings) -> None:
    world = lw.build(session)
    shipment = lw.packed_shipment(session, world, world.east_customer, world.east_store)
    h = _staff(session, settings)
    booked = client.post(f"{API}/freight/shipments", headers=h, json={
        "shipment_id": shipment.id, "choose_by": "cheapest", "tracking_number": "ZT0001"})
    assert booked.status_code == 201, booked.text
    freight = booked.json()
    # 8 x 0.5 kg = 4 kg, 0.016 m³. STD: 10 + 1.20 x 4 = 14.80 < minimum 15 -> 15, fuel 0.75 -> 15.75
    assert (D(freight["weight_kg"]), D(freight["freight_cost"]), D(freight["units"])) == (D(4), D("15.75"), D(8))
    assert freight["carrier_id"] == world.zto.id and freight["status"] == "pending"
    assert freight["eta"] == (utcnow().date() + timedelta(days=3)).isoformat()
    km = D(freight["distance_km"])
    assert D(200) < km < D(230)  # Shanghai-Hangzhou about 164 km straight, x 1.3 by road
    assert D(freight["co2e_kg"]) == (km * D(4) / 1000 * D("0.14993")).quantize(D("0.001"))
    again = client.post(f"{API}/freight/shipments", headers=h, json={"shipment_id": shipment.id})
    assert again.status_code == 409

    url = f"{API}/shipments/{shipment.id}/tracking-events"
    one = client.post(url, headers=h, json={"status": "picked_up", "occurred_at": "2026-03-02T09:00:00+08:00",
                                            "place": "Shanghai DC"})
    assert one.status_code == 200 and one.json()["applied"] == 1
    assert client.get(f"{API}/shipments/{shipment.id}", headers=h).json()["status"] == "shipped"
    # A batch arriving out of order: sorted by time, the late picked_up (older) is stored, not applied.
    batch = client.post(url, headers=h, json=[
        {"status": "out_for_delivery", "occurred_at": "2026-03-03T08:00:00+08:00"},
        {"status": "in_transit", "occurred_at": "2026-03-02T18:00:00+08:00"},
        {"status": "picked_up", "occurred_at": "2026-03-02T08:59:00+08:00"}])
    assert batch.json()["applied"] == 2 and batch.json()["status"] == {str(freight["id"]): "out_for_delivery"}
    stale = client.post(url, headers=h, json={"status": "in_transit", "occurred_at": "2026-03-03T09:00:00+08:00"})
    assert stale.json()["applied"] == 0  # a step backwards is kept but does not regress the status
    done = client.post(url, headers=h, json={"status": "delivered", "occurred_at": "2026-03-03T11:30:00+08:00",
                                             "signed_by": "Ms Li", "pod_reference": "photo-77"})
    assert done.json()["applied"] == 1
    after = client.post(url, headers=h, json={"status": "exception", "occurred_at": "2026-03-04T08:00:00+08:00"})
    assert after.json()["applied"] == 0  # delivered is final
    shown = client.get(f"{API}/freight/shipments/{freight['id']}", headers=h).json()
    assert (shown["status"], shown["pod_signed_by"], shown["pod_reference"]) == ("delivered", "Ms Li", "photo-77")
    order_shipment = client.get(f"{API}/shipments/{shipment.id}", headers=h).json()
    assert (order_shipment["status"], order_shipment["received_by"]) == ("delivered", "Ms Li")
    assert orders.get_order(session, SYSTEM, shipment.order_id).status == "delivered"
    timeline = client.get(url, headers=h).json()
    assert [(e["status"], e["applied"]) for e in timeline] == [
        ("picked_up", False), ("picked_up", True), ("in_transit", True), ("out_for_delivery", True),
        ("in_transit", False), ("delivered", True), ("exception", False)]


def test_unknown_shipments_tracking_numbers_and_csv_rows_are_named(client: TestClient, session: Session,
                                                          settings: Settings) -> None:
    world = lw.build(session)
    freight = lw.freight(session, world, world.east_customer, world.east_store, service_code="LG-STD",
                         tracking_number="ZT0100")
    h = _staff(session, settings)
    event = {"status": "in_transit", "occurred_at": "2026-03-02T10:00:00+00:00"}
    assert client.post(f"{API}/shipments/999999/tracking-events", headers=h, json=event).status_code == 404
    assert client.post(f"{API}/freight/shipments/999999/tracking-events", headers=h, json=event).status_code == 404
    naive = client.post(f"{API}/tracking/events", headers=h, params={"carrier_code": "LG-ZTO"},
                        json={"events": [event | {"tracking_number": "ZT0100", "occurred_at": "2026-03-02T10:00"}]})
    assert naive.status_code == 422
    unknown = client.post(f"{API}/tracking/events", headers=h, params={"carrier_code": "LG-ZTO"}, json={"events": [
        event | {"tracking_number": "ZT0100"}, event | {"tracking_number": "NOPE-1"}]})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "events[1].tracking_number"
    assert session.scalar(select(TrackingEvent.id)) is None  # nothing of the rejected batch was stored
    # CSV: bad rows are named by line number and nothing is stored; a good file applies in time order.
    bad = ("tracking_number,carrier_code,status,occurred_at\nZT0100,LG-ZTO,teleported,2026-03-02T10:00:00+00:00\n"
           "ZT-NONE,LG-ZTO,in_transit,2026-03-02T10:00:00+00:00\n")
    answer = client.post(f"{API}/tracking/import", headers=h, files={"file": ("events.csv", bad, "text/csv")})
    assert answer.status_code == 422 and answer.json()["errors"][0]["row"] == 2
    good = ("tracking_number,carrier_code,status,occurred_at,event_id\n"
            "ZT0100,LG-ZTO,in_transit,2026-03-02T10:00:00+00:00,e1\nZT0100,LG-ZTO,picked_up,2026-03-02T08:00:00+00:00,e0\n")
    done = client.post(f"{API}/tracking/import", headers=h, files={"file": ("events.csv", good, "text/csv")}).json()
    assert (done["received"], done["applied"], done["status"]) == (2, 2, {str(freight.id): "in_transit"})


def test_webhook_signature_good_bad_and_replayed(client: TestClient, session: Session, settings: Settings) -> None:
    world = lw.build(session)
    freight = lw.freight(session, world, world.east_customer, world.east_store, service_code="LG-EXP",
                         tracking_number="SF123")
    admin = _staff(session, settings, "admin")
    made = client.post(f"{API}/carriers/LG-SF/webhook-secret", headers=admin)
    assert made.status_code == 201
    secret = made.json()["secret"]
    assert made.json()["fingerprint"] == secrets.fingerprint(secret)
    body = json.dumps({"events": [{"tracking_number": "SF123", "event_id": "sf-ev-1", "status": "picked_up",
                                   "occurred_at": "2026-03-02T09:00:00+08:00"}]}).encode()
    url = f"{API}/carrier-webhooks/LG-SF"
    good = {"X-Qudao-Signature": "sha256=" + secrets.signature(secret, body), "Content-Type": "application/json"}
    first = client.post(url, content=body, headers=good)
    assert first.status_code == 200, first.text
    assert (first.json()["received"], first.json()["duplicates"], first.json()["applied"]) == (1, 0, 1)
    replay = client.post(url, content=body, headers=good)
    assert (replay.json()["duplicates"], replay.json()["applied"]) == (1, 0)
    tampered = body.replace(b"picked_up", b"delivered")
    assert client.post(url, content=tampered, headers=good).status_code == 401
    assert client.post(url, content=body, headers={"Content-Type": "application/json"}).status_code == 401
    assert client.post(f"{API}/carrier-webhooks/LG-ZTO", content=body, headers=good).status_code == 401
    garbage = b"not json"
    signed_garbage = {"X-Qudao-Signature": secrets.signature(secret, garbage)}
    assert client.post(url, content=garbage, headers=signed_garbage).status_code == 422
    wrong_number = json.dumps({"events": [{"tracking_number": "SF999", "status": "in_transit",
                                           "occurred_at": "2026-03-02T10:00:00+08:00"}]}).encode()
    signed = {"X-Qudao-Signature": secrets.signature(secret, wrong_number)}
    assert client.post(url, content=wrong_number, headers=signed).status_code == 422
    assert session.scalar(select(TrackingEvent.id).where(TrackingEvent.freight_shipment_id == freight.id)
                          .where(TrackingEvent.status == "delivered")) is None
    trail = json.dumps([r.after for r in session.scalars(select(AuditRecord)).all()])
    assert secret not in trail


def test_exception_and_late_shipments_raise_order_exceptions(client: TestClient, session: Session,
                                                             settings: Settings) -> None:
    world = lw.build(session)
    yesterday = utcnow().date() - timedelta(days=1)
    late = lw.freight(session, world, world.east_customer, world.east_store, service_code="LG-STD",
                      tracking_number="ZT-LATE", promised_date=yesterday)
    broken = lw.freight(session, world, world.south_customer, world.south_store, service_code="LG-STD",
                        tracking_number="ZT-BROKEN")
    moving_late = lw.freight(session, world, world.east_customer, world.east_store, service_code="LG-EXP",
                             tracking_number="SF-LATE", promised_date=yesterday)
    h = _staff(session, settings)
    # News of an overdue shipment flags it at once, without waiting for the daily check.
    client.post(f"{API}/freight/shipments/{moving_late.id}/tracking-events", headers=h,
                json={"status": "in_transit", "occurred_at": "2026-03-02T10:00:00+00:00"})
    assert client.get(f"{API}/freight/shipments/{moving_late.id}", headers=h).json()["late_flagged"] is True
    client.post(f"{API}/freight/shipments/{broken.id}/tracking-events", headers=h, json=[
        {"status": "in_transit", "occurred_at": "2026-03-02T10:00:00+00:00"},
        {"status": "exception", "occurred_at": "2026-03-02T12:00:00+00:00", "message": "box damaged"}])
    assert client.post(f"{API}/freight/late-check", headers=h).json() == {"flagged": 1}
    assert client.post(f"{API}/freight/late-check", headers=h).json() == {"flagged": 0}
    queue = client.get(f"{API}/orders/exceptions", headers=h).json()
    kinds = {(row["kind"], row["order_id"]) for row in queue}
    assert ("shipment_late", late.order_id) in kinds and ("shipment_exception", broken.order_id) in kinds
    assert ("shipment_late", moving_late.order_id) in kinds
    # The carrier moves it again: the exception alert is cleared.
    client.post(f"{API}/freight/shipments/{broken.id}/tracking-events", headers=h,
                json={"status": "in_transit", "occurred_at": "2026-03-02T15:00:00+00:00"})
    queue = client.get(f"{API}/orders/exceptions", headers=h).json()
    assert ("shipment_exception", broken.order_id) not in {(r["kind"], r["order_id"]) for r in queue}


def test_freight_from_a_transfer_and_cost_and_co2e_per_channel(client: TestClient, session: Session,
                                                               settings: Settings) -> None:
    world = lw.build(session)
    a = lw.freight(session, world, world.east_customer, world.east_store, 8, service_code="LG-STD")
    b = lw.freight(session, world, world.south_customer, world.south_store, 12, service_code="LG-EXP")
    h = _staff(session, settings)
    transfer = client.post(f"{API}/transfers", headers=_staff(session, settings, "admin"), json={
        "from_location_code": world.dc.code, "to_location_code": world.south_store.code,
        "lines": [{"sku": world.product.sku, "quantity": "20"}]})
    assert transfer.status_code == 201, transfer.text
    moved = client.post(f"{API}/freight/shipments", headers=h, json={
        "transfer_code": transfer.json()["code"], "service_code": "LG-STD",
        "packages": [{"weight_kg": "10", "volume_m3": "0.04"}, {"weight_kg": "2.5"}]})
    assert moved.status_code == 201, moved.text
    # 12.5 kg: 10 + 1.20 x 12.5 = 25.00, fuel 1.25 -> 26.25
    assert (D(moved.json()["weight_kg"]), D(moved.json()["freight_cost"])) == (D("12.5"), D("26.25"))
    events = f"{API}/freight/shipments/{moved.json()['id']}/tracking-events"
    client.post(events, headers=h, json={"status": "in_transit", "occurred_at": "2026-03-02T10:00:00+00:00",
                                         "eta": "2026-03-09"})
    done = client.post(events, headers=h, json={"status": "delivered", "occurred_at": "2026-03-03T10:00:00+00:00",
                                                "signed_by": "Store 9"})
    assert done.json()["applied"] == 1  # a transfer has no order to confirm: the freight record says it
    shown = client.get(f"{API}/freight/shipments/{moved.json()['id']}", headers=h).json()
    assert (shown["status"], shown["eta"], shown["pod_signed_by"]) == ("delivered", "2026-03-09", "Store 9")
    rows = {r["channel_code"]: r for r in client.get(f"{API}/freight/by-channel", headers=h).json()}
    channel = rows[world.channel.code]
    # a: 15.75 for 8 units; b: 6 kg to Guangdong by EXP: 4 x 6 = 24 < 30 -> 30 + 3.00 = 33.00 for 12 units
    assert (D(channel["freight_cost"]), D(channel["units"]), channel["shipments"]) == (D("48.75"), D(20), 2)
    assert D(channel["cost_per_unit"]) == D("2.4375")  # 48.75 / 20
    assert D(channel["co2e_kg"]) == a.co2e_kg + b.co2e_kg
    # b by air: (great circle + 95 km) x 0.006 t x 1.58
    assert b.co2e_kg == (b.distance_km * D(6) / 1000 * D("1.58")).quantize(D("0.001"))
    assert D(rows[None]["freight_cost"]) == D("26.25") and rows[None]["shipments"] == 1


def test_partners_see_only_their_freight(client: TestClient, session: Session, settings: Settings) -> None:
    world = lw.build(session)
    east = lw.freight(session, world, world.east_customer, world.east_store, service_code="LG-STD",
                      tracking_number="ZT-E")
    south = lw.freight(session, world, world.south_customer, world.south_store, service_code="LG-EXP",
                       tracking_number="SF-S")
    distributor = factories.headers(settings, factories.user(session, "partner", partner_code=world.east_customer.code))
    carrier = factories.headers(settings, factories.user(session, "partner", partner_code=world.sf.code))
    assert [f["id"] for f in client.get(f"{API}/freight/shipments", headers=distributor).json()] == [east.id]
    assert [f["id"] for f in client.get(f"{API}/freight/shipments", headers=carrier).json()] == [south.id]
    assert client.get(f"{API}/freight/shipments/{south.id}", headers=distributor).status_code == 404
    assert client.get(f"{API}/freight/shipments/{east.id}", headers=carrier).status_code == 404
    event = {"status": "in_transit", "occurred_at": "2026-03-02T10:00:00+00:00"}
    assert client.post(f"{API}/freight/shipments/{south.id}/tracking-events", headers=carrier,
                       json=event).json()["applied"] == 1
    assert client.post(f"{API}/freight/shipments/{east.id}/tracking-events", headers=carrier,
                       json=event).status_code == 404
    assert client.post(f"{API}/freight/shipments/{east.id}/tracking-events", headers=distributor,
                       json=event).status_code == 403
    assert client.post(f"{API}/tracking/events", headers=carrier, params={"carrier_code": "LG-ZTO"},
                       json={"events": [event | {"tracking_number": "ZT-E"}]}).status_code == 422
    assert [c["code"] for c in client.get(f"{API}/carriers", headers=carrier).json()] == ["LG-SF"]
    assert client.get(f"{API}/rate-cards", headers=carrier).status_code == 403
    by_channel = client.get(f"{API}/freight/by-channel", headers=distributor).json()
    assert [(r["channel_code"], r["shipments"]) for r in by_channel] == [(world.channel.code, 1)]
