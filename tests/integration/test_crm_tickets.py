"""Service tickets: SLA clocks through the service on hand-worked timestamps (pause, breach, escalation),
links to orders and shipments (another customer's order is 404), CSAT and NPS arithmetic, partner isolation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from qudao.audit.models import AuditRecord
from qudao.common.actor import SYSTEM
from qudao.crm import service as tickets
from qudao.crm.schemas import CsatIn, NpsIn, TicketAction, TicketCreate
from qudao.errors import Conflict, Forbidden, Invalid, NotFound
from tests import factories


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    class World:
        channel = factories.channel(session)
        customer = factories.partner(session, roles=["retailer"])
        other = factories.partner(session, roles=["retailer"])
        store = factories.location(session, kind="store", owner_partner_code=customer.code)
        other_store = factories.location(session, kind="store", owner_partner_code=other.code)
        dc = factories.location(session)
        tea = factories.product(session)

    factories.stock(session, World.tea, World.dc, 20)
    World.order = factories.sales_order(session, World.channel, World.customer, World.store, [(World.tea, 2)])
    World.other_order = factories.sales_order(session, World.channel, World.other, World.other_store,
                                              [(World.tea, 1)])
    return World


def ticket(session, world, priority: str = "high", opened: datetime | None = None, **kw):  # type: ignore[no-untyped-def]
    data = TicketCreate(customer_code=world.customer.code, subject="Broken box", category="quality",
                        priority=priority, **kw)
    return tickets.open_ticket(session, SYSTEM, data, now=opened or at(2, 9))


def act(session, row, action: str, when: datetime):  # type: ignore[no-untyped-def]
    return tickets.act_on_ticket(session, SYSTEM, row.id, TicketAction(action=action), now=when)


def test_sla_clocks_pause_while_waiting_on_the_customer(session, world) -> None:  # type: ignore[no-untyped-def]
    row = ticket(session, world, order_id=world.order.id)
    act(session, row, "wait_customer", at(2, 10))  # first response at 10:00, clocks stop
    first, resolution = tickets.ticket_timers(row, at(2, 12))
    assert first.stopped and first.elapsed.total_seconds() == 3600 and resolution.due_at is None
    act(session, row, "resume", at(2, 16))
    act(session, row, "resolve", at(3, 14))
    first, resolution = tickets.ticket_timers(row, at(5, 0))
    assert resolution.elapsed.total_seconds() == 23 * 3600 and not resolution.breached  # 29 h - 6 h paused
    out = tickets.timer_out(resolution)
    assert out.elapsed_hours == 23 and out.remaining_hours == 1 and out.stopped
    with pytest.raises(Conflict):
        tickets.rate_ticket(session, SYSTEM, row.id, CsatIn(score=5))  # not closed yet
    act(session, row, "close", at(3, 15))
    assert tickets.rate_ticket(session, SYSTEM, row.id, CsatIn(score=4)).csat_score == 4
    with pytest.raises(Conflict):
        act(session, row, "resume", at(3, 16))


def test_escalation_raises_level_per_breached_target_once(session, world) -> None:  # type: ignore[no-untyped-def]
    urgent = ticket(session, world, "urgent", at(2, 9))
    calm = ticket(session, world, "low", at(2, 9))
    checked, escalated = tickets.escalate_breached(session, SYSTEM, now=at(2, 10, 30))  # 1.5 h > 1 h response
    assert urgent.id in escalated and calm.id not in escalated and checked >= 2
    assert urgent.escalation_level == 1 and urgent.escalated_at == at(2, 10, 30)
    assert urgent.id not in tickets.escalate_breached(session, SYSTEM, now=at(2, 11))[1]  # nothing new
    tickets.escalate_breached(session, SYSTEM, now=at(2, 17, 30))  # 8.5 h > 8 h resolution
    assert urgent.escalation_level == 2
    audited = session.query(AuditRecord).filter_by(entity="crm_tickets", entity_id=str(urgent.id),
                                                   action="ticket.escalate").count()
    assert audited == 2


def test_ticket_on_another_customers_order_or_shipment_is_not_found(session, world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        ticket(session, world, order_id=world.other_order.id)
    partner_user = factories.actor(factories.user(session, "partner", partner_code=world.customer.code))
    data = TicketCreate(subject="Where is it", category="delivery", order_id=world.other_order.id)
    with pytest.raises(NotFound):
        tickets.open_ticket(session, partner_user, data)
    own = tickets.open_ticket(session, partner_user, data.model_copy(update={"order_id": world.order.id}))
    assert own.partner_id == world.customer.id and own.order_id == world.order.id
    with pytest.raises(Forbidden):  # partner users cannot answer their own tickets as staff
        tickets.act_on_ticket(session, partner_user, own.id, TicketAction(action="resolve"))


def test_nps_and_csat_arithmetic(session, world) -> None:  # type: ignore[no-untyped-def]
    for score in (10, 9, 9, 8, 7, 6, 3, 10):  # 4 promoters, 2 passives, 2 detractors of 8
        tickets.record_nps(session, SYSTEM, NpsIn(customer_code=world.customer.code, score=score))
    for score in (5, 4, 2):
        row = ticket(session, world)
        for action in ("respond", "resolve", "close"):
            act(session, row, action, at(2, 10))
        tickets.rate_ticket(session, SYSTEM, row.id, CsatIn(score=score))
    summary = tickets.survey_summary(session, SYSTEM, customer_id=world.customer.id)
    assert (summary.promoters, summary.passives, summary.detractors) == (4, 2, 2)
    assert summary.nps == 25.0  # 50 % - 25 %
    assert summary.csat_responses == 3 and summary.csat_average == 3.67 and summary.csat_satisfied_percent == 66.7


def test_tickets_api_and_partner_isolation(client: TestClient, session, settings, world) -> None:  # type: ignore[no-untyped-def]
    sales = factories.headers(settings, factories.user(session, "sales"))
    mine = factories.headers(settings, factories.user(session, "partner", partner_code=world.customer.code))
    theirs = factories.headers(settings, factories.user(session, "partner", partner_code=world.other.code))
    viewer = factories.headers(settings, factories.user(session, "viewer"))
    body = {"subject": "Late", "category": "delivery", "priority": "urgent", "order_id": world.order.id}
    created = client.post("/api/v1/crm/tickets", json=body, headers=mine)
    assert created.status_code == 201, created.text
    tid = created.json()["id"]
    assert created.json()["first_response"]["target_hours"] == 1
    assert client.get(f"/api/v1/crm/tickets/{tid}", headers=theirs).status_code == 404
    assert client.post(f"/api/v1/crm/tickets/{tid}/csat", json={"score": 5}, headers=theirs).status_code == 404
    assert client.get("/api/v1/crm/tickets", headers=theirs).json()["total"] == 0
    wrong = client.post("/api/v1/crm/tickets", json={**body, "order_id": world.order.id}, headers=theirs)
    assert wrong.status_code == 404
    assert client.post("/api/v1/crm/tickets", json={**body, "customer_code": world.customer.code},
                       headers=viewer).status_code == 403
    answered = client.post(f"/api/v1/crm/tickets/{tid}/actions", json={"action": "respond"}, headers=sales)
    assert answered.status_code == 200 and answered.json()["first_response"]["stopped"]
    bad = client.post(f"/api/v1/crm/tickets/{tid}/actions", json={"action": "close"}, headers=sales)
    assert bad.status_code == 409
    assert client.post("/api/v1/crm/tickets/escalate", headers=mine).status_code == 403
    assert client.post("/api/v1/crm/tickets/escalate", headers=sales).status_code == 200
    assert client.get("/api/v1/crm/surveys/summary", headers=mine).status_code == 200


def test_ticket_on_a_shipment_takes_its_order_and_refuses_another_customers(session, world) -> None:  # type: ignore[no-untyped-def]
    from qudao.orders import fulfilment
    from qudao.orders.schemas import ShipmentCreate

    own = fulfilment.create_shipment(session, SYSTEM, world.order.id, ShipmentCreate(location_code=world.dc.code))
    other = fulfilment.create_shipment(session, SYSTEM, world.other_order.id,
                                       ShipmentCreate(location_code=world.dc.code))
    row = ticket(session, world, shipment_id=own.id)
    assert row.order_id == world.order.id and row.shipment_id == own.id
    with pytest.raises(NotFound):
        ticket(session, world, shipment_id=other.id)
    with pytest.raises(Invalid, match="not part of order"):
        ticket(session, world, shipment_id=own.id, order_id=world.other_order.id)
