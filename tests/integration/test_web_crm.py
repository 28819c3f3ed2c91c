"""The CRM page on both databases: staff see the queue with SLA timers, the pipeline and a customer 360;
a partner sees only its own tickets and timeline; the open-ticket form refuses another customer's order."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from qudao.common.actor import SYSTEM
from qudao.config import Settings
from qudao.crm import contacts, pipeline
from qudao.crm import service as tickets
from qudao.crm.schemas import CrmContactCreate, OpportunityCreate, TicketCreate
from qudao.db import utcnow
from tests import factories
from tests.integration.test_web_pages import csrf, sign_in


def test_crm_page_for_staff_and_partner(client: TestClient, session: Session, settings: Settings) -> None:
    channel = factories.channel(session)
    mine, theirs = factories.partner(session, roles=["retailer"]), factories.partner(session, roles=["retailer"])
    store = factories.location(session, kind="store", owner_partner_code=mine.code)
    other_store = factories.location(session, kind="store", owner_partner_code=theirs.code)
    dc = factories.location(session)
    tea = factories.product(session)
    factories.stock(session, tea, dc, 10)
    order = factories.sales_order(session, channel, mine, store, [(tea, 1)])
    other_order = factories.sales_order(session, channel, theirs, other_store, [(tea, 1)])
    late = tickets.open_ticket(session, SYSTEM, TicketCreate(customer_code=mine.code, subject="Late van",
                                                             category="delivery", priority="urgent"),
                               now=utcnow() - timedelta(hours=2))
    hidden = tickets.open_ticket(session, SYSTEM, TicketCreate(customer_code=theirs.code, subject="Other's",
                                                               category="other"))
    contacts.create_contact(session, SYSTEM, CrmContactCreate(customer_code=mine.code, name="Zhao Min",
                                                              email="zhao@mine.cn", tags=["vip"]))
    pipeline.create_opportunity(session, SYSTEM, OpportunityCreate(
        customer_code=mine.code, name="Autumn range", stage="proposal", amount=Decimal(800),
        expected_close=date(2031, 9, 15)))

    sign_in(client, settings, factories.user(session, "sales"))
    page = client.get("/crm", params={"customer": mine.code})
    assert page.status_code == 200
    assert f'data-ticket="{late.id}"' in page.text and f'data-ticket="{hidden.id}"' in page.text
    assert "breached by 1.0 h" in page.text  # urgent: 1 h to first response, 2 h open
    assert 'data-stage="proposal"' in page.text and "2031-09" in page.text and "400" in page.text  # 800 x 50 %
    assert "Zhao Min" in page.text and "vip" in page.text and "Autumn range" in page.text
    token = csrf(client, "/crm")
    refused = client.post("/crm/tickets", data={"csrf_token": token, "customer_code": mine.code, "subject": "Wrong",
                                                "category": "delivery", "order_id": str(other_order.id)})
    assert refused.status_code == 404 and 'data-testid="form-error"' in refused.text
    made = client.post("/crm/tickets", data={"csrf_token": token, "customer_code": mine.code, "subject": "Dented",
                                             "category": "quality", "order_id": str(order.id)},
                       follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].startswith(f"/crm?customer={mine.code}#ticket-")

    sign_in(client, settings, factories.user(session, "partner", partner_code=mine.code))
    page = client.get("/crm", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and "服务工单队列" in page.text and "客户全景" in page.text
    assert f'data-ticket="{late.id}"' in page.text and f'data-ticket="{hidden.id}"' not in page.text
    assert 'data-testid="pipeline"' not in page.text and "Autumn range" not in page.text
    assert client.get("/crm", params={"customer": theirs.code}).status_code == 404


def test_ticket_actions_from_the_queue(client: TestClient, session: Session, settings: Settings) -> None:
    customer = factories.partner(session)
    row = tickets.open_ticket(session, SYSTEM, TicketCreate(customer_code=customer.code, subject="Slow",
                                                            category="question"))
    sign_in(client, settings, factories.user(session, "sales"))
    token = csrf(client, "/crm")
    asked = client.post(f"/crm/tickets/{row.id}/wait_customer", data={"csrf_token": token}, follow_redirects=False)
    assert asked.status_code == 303
    session.refresh(row)
    assert row.status == "waiting_customer" and row.first_response_at is not None and len(row.pauses) == 1
    page = client.get("/crm")
    assert "paused," in page.text and f'data-testid="resume-{row.id}"' in page.text
    assert client.post(f"/crm/tickets/{row.id}/wait_customer", data={"csrf_token": token}).status_code == 409
    assert client.post(f"/crm/tickets/{row.id}/explode", data={"csrf_token": token}).status_code == 404
    sign_in(client, settings, factories.user(session, "viewer"))
    assert client.post(f"/crm/tickets/{row.id}/resume", data={"csrf_token": csrf(client, "/crm")}).status_code == 403
