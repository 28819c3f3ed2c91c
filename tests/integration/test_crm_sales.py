"""The sales side of the CRM: customer timeline (interactions + orders + tickets), tasks and the overdue
list, opportunities with stage probabilities, expected revenue by month (hand-worked), quotes booked as
orders through the orders service, and the `qudao crm` jobs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from qudao.cli import context
from qudao.common.actor import SYSTEM
from qudao.crm import interactions, pipeline
from qudao.crm import service as tickets
from qudao.crm.schemas import (
    InteractionCreate,
    OpportunityClose,
    OpportunityCreate,
    OpportunityUpdate,
    QuoteCreate,
    QuoteToOrder,
    TaskCreate,
    TicketCreate,
)
from qudao.db import unit_of_work, utcnow
from qudao.errors import Conflict, Forbidden
from qudao.orders import service as orders
from tests import factories
from tests.cli import run_cli as run


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    class World:
        channel = factories.channel(session)
        customer = factories.partner(session, roles=["distributor"])
        store = factories.location(session, kind="store", owner_partner_code=customer.code)
        dc = factories.location(session)
        tea = factories.product(session, list_price=Decimal("12.00"))
        cup = factories.product(session)  # list price 10.00

    factories.stock(session, World.tea, World.dc, 20)
    factories.stock(session, World.cup, World.dc, 20)
    return World


def test_timeline_merges_interactions_orders_and_tickets(session, world) -> None:  # type: ignore[no-untyped-def]
    t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
    call = interactions.log_interaction(session, SYSTEM, InteractionCreate(
        customer_code=world.customer.code, kind="call", subject="Spring listing", occurred_at=t0))
    order = factories.sales_order(session, world.channel, world.customer, world.store, [(world.tea, 1)])
    ticket = tickets.open_ticket(session, SYSTEM, TicketCreate(customer_code=world.customer.code, subject="Dent",
                                                               category="quality", order_id=order.id))
    entries = interactions.timeline(session, SYSTEM, world.customer.code)
    assert [(e.kind, e.ref_id) for e in entries][-1] == ("call", call.id)  # the oldest last
    assert {("order", order.id), ("ticket", ticket.id)} <= {(e.kind, e.ref_id) for e in entries}
    partner = factories.actor(factories.user(session, "partner", partner_code=world.customer.code))
    assert "call" not in {e.kind for e in interactions.timeline(session, partner, world.customer.code)}
    with pytest.raises(Forbidden):
        interactions.log_interaction(session, partner, InteractionCreate(
            customer_code=world.customer.code, kind="note", subject="x"))


def test_tasks_overdue_list_and_done(session, world) -> None:  # type: ignore[no-untyped-def]
    rep = factories.user(session, "sales")
    actor = factories.actor(rep)
    late = interactions.create_task(session, actor, TaskCreate(title="Call back", due_date=date(2026, 3, 1),
                                                               customer_code=world.customer.code))
    soon = interactions.create_task(session, actor, TaskCreate(title="Send samples", due_date=date(2026, 3, 9),
                                                               remind_at=utcnow() - timedelta(minutes=1)))
    overdue = interactions.list_tasks(session, actor, assignee=rep.username, overdue_on=date(2026, 3, 5))
    assert [t.id for t in overdue] == [late.id]
    assert soon.id in [t.id for t in interactions.due_reminders(session, actor)]
    interactions.complete_task(session, actor, late.id)
    assert interactions.list_tasks(session, actor, assignee=rep.username, overdue_on=date(2026, 3, 5)) == []
    with pytest.raises(Conflict):
        interactions.complete_task(session, actor, late.id)


def test_expected_revenue_by_month_is_amount_times_probability(session, world) -> None:  # type: ignore[no-untyped-def]
    def opp(name: str, amount: str, stage: str, close: date, probability: str | None = None):  # type: ignore[no-untyped-def]
        return pipeline.create_opportunity(session, SYSTEM, OpportunityCreate(
            customer_code=world.customer.code, name=name, stage=stage, amount=Decimal(amount),
            expected_close=close, probability=None if probability is None else Decimal(probability)))

    a = opp("A", "1000", "proposal", date(2031, 4, 10))  # default 50 % -> 500
    opp("B", "2000", "prospecting", date(2031, 4, 28), "30")  # overridden 30 % -> 600
    c = opp("C", "400", "qualification", date(2031, 5, 2))  # 25 %, then negotiation 75 % -> 300
    lost = opp("D", "9000", "proposal", date(2031, 5, 20))
    assert a.probability == 50
    pipeline.update_opportunity(session, SYSTEM, c.id, OpportunityUpdate(stage="negotiation"))
    assert c.probability == 75
    pipeline.close_opportunity(session, SYSTEM, lost.id, OpportunityClose(outcome="lost", reason="price"))
    assert lost.stage == "lost" and lost.outcome_reason == "price" and lost.probability == 0
    months = pipeline.expected_revenue_by_month(session, SYSTEM, start=date(2031, 4, 1), end=date(2031, 5, 31))
    assert [(m.month, m.opportunities, m.pipeline_amount, m.expected_revenue) for m in months] == [
        ("2031-04", 2, Decimal(3000), Decimal("1100.00")), ("2031-05", 1, Decimal(400), Decimal("300.00"))]
    with pytest.raises(Conflict):
        pipeline.update_opportunity(session, SYSTEM, lost.id, OpportunityUpdate(amount=Decimal(1)))


def test_quote_becomes_an_order_once_and_wins_the_opportunity(session, world) -> None:  # type: ignore[no-untyped-def]
    opp = pipeline.create_opportunity(session, SYSTEM, OpportunityCreate(
        customer_code=world.customer.code, name="Listing", amount=Decimal(60), expected_close=date(2026, 4, 1)))
    quote = pipeline.create_quote(session, SYSTEM, QuoteCreate(
        customer_code=world.customer.code, opportunity_id=opp.id,
        lines=[{"sku": world.tea.sku, "quantity": "3", "unit_price": "12.50"},
               {"sku": world.cup.sku, "quantity": "2"}]))
    assert quote.total_amount == Decimal("57.50")  # 3 x 12.50 + 2 x 10.00 list price
    to_order = QuoteToOrder(channel_code=world.channel.code, ship_to_code=world.store.code)
    quote, booked = pipeline.order_quote(session, SYSTEM, quote.id, to_order)
    order = orders.get_order(session, SYSTEM, booked.id)
    assert quote.status == "ordered" and quote.order_id == order.id and order.source == "crm"
    assert order.external_order_id == quote.number and order.total_amount == Decimal("57.50")
    assert [(ln.quantity, ln.unit_price) for ln in order.lines] == [(3, Decimal("12.50")), (2, Decimal("10.00"))]
    assert opp.stage == "won" and opp.outcome_reason == f"quote {quote.number} ordered"
    with pytest.raises(Conflict):
        pipeline.order_quote(session, SYSTEM, quote.id, to_order)


def test_pipeline_api_refuses_partner_users(client: TestClient, session, settings, world) -> None:  # type: ignore[no-untyped-def]
    sales = factories.headers(settings, factories.user(session, "sales"))
    partner = factories.headers(settings, factories.user(session, "partner", partner_code=world.customer.code))
    body = {"customer_code": world.customer.code, "lines": [{"sku": world.tea.sku, "quantity": "1"}]}
    created = client.post("/api/v1/crm/quotes", json=body, headers=sales)
    assert created.status_code == 201 and created.json()["total_amount"] == "12.0000"
    unknown = client.post("/api/v1/crm/quotes", json={**body, "lines": [{"sku": "NOPE", "quantity": "1"}]},
                          headers=sales)
    assert unknown.status_code == 422 and "lines.0.sku" in unknown.text
    assert client.get("/api/v1/crm/quotes", headers=partner).status_code == 403
    assert client.get("/api/v1/crm/opportunities/expected-revenue", headers=sales).status_code == 200


def test_crm_cli_escalates_and_lists_overdue_tasks(cli_db: str) -> None:
    with unit_of_work(context.session_factory()) as session:
        customer = factories.partner(session)
        row = tickets.open_ticket(session, SYSTEM, TicketCreate(customer_code=customer.code, subject="Down",
                                                                category="other", priority="urgent"),
                                  now=utcnow() - timedelta(hours=2))
        ticket_id = row.id
        rep = factories.user(session, "sales")
        interactions.create_task(session, factories.actor(rep), TaskCreate(title="Late call",
                                                                           due_date=date(2026, 1, 5)))
    code, out = run("crm", "escalate")
    assert code == 0 and out.startswith("1 active ticket(s) checked, 1 escalated") and f"TK{ticket_id:08d}" in out
    assert run("crm", "escalate")[1].startswith("1 active ticket(s) checked, 0 escalated")
    code, out = run("crm", "overdue-tasks", "--on", "2026-01-06")
    assert code == 0 and "1 overdue task(s)" in out and "Late call" in out
    assert run("crm", "overdue-tasks", "--on", "soon")[0] == 2


def test_sales_routes_over_http(client: TestClient, session, settings, world) -> None:  # type: ignore[no-untyped-def]
    sales = factories.headers(settings, factories.user(session, "sales"))
    lead = client.post("/api/v1/crm/leads", json={"name": "Ms Qian", "company": "Qian Tea", "source": "fair"},
                       headers=sales)
    assert lead.status_code == 201 and lead.json()["status"] == "new"
    opp = client.post("/api/v1/crm/opportunities", headers=sales, json={
        "customer_code": world.customer.code, "lead_id": lead.json()["id"], "name": "Fair deal", "stage": "negotiation",
        "amount": "1000", "expected_close": "2031-06-30"})
    assert opp.status_code == 201 and Decimal(opp.json()["probability"]) == 75
    assert client.get("/api/v1/crm/leads", params={"status": "converted"}, headers=sales).json()[0]["id"] == \
        lead.json()["id"]
    moved = client.patch(f"/api/v1/crm/opportunities/{opp.json()['id']}", json={"probability": "90"}, headers=sales)
    assert moved.status_code == 200 and Decimal(moved.json()["probability"]) == 90
    lost = client.post(f"/api/v1/crm/opportunities/{opp.json()['id']}/close", headers=sales,
                       json={"outcome": "lost", "reason": "competitor cheaper"})
    assert lost.json()["stage"] == "lost" and lost.json()["outcome_reason"] == "competitor cheaper"
    note = client.post("/api/v1/crm/interactions", headers=sales, json={
        "customer_code": world.customer.code, "kind": "email", "subject": "Price list sent"})
    assert note.status_code == 201
    timeline = client.get(f"/api/v1/crm/customers/{world.customer.code}/timeline", headers=sales).json()
    assert timeline[0]["kind"] == "email" and timeline[0]["title"] == "Price list sent"
    task = client.post("/api/v1/crm/tasks", json={"title": "Follow up", "due_date": "2026-01-02"}, headers=sales)
    assert task.status_code == 201
    overdue = client.get("/api/v1/crm/tasks", params={"overdue_on": "2026-01-03"}, headers=sales).json()
    assert task.json()["id"] in [t["id"] for t in overdue]
    assert client.post(f"/api/v1/crm/tasks/{task.json()['id']}/done", headers=sales).json()["done_at"]
    assert client.post("/api/v1/crm/tasks", json={"title": "x", "due_date": "2026-01-02", "assignee": "nobody"},
                       headers=sales).status_code == 422
