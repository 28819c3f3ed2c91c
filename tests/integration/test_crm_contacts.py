"""Contacts in the CRM: roles and tags, marketing consent with its history, duplicates refused on create,
and a merge that moves every reference to the survivor in one audited transaction (no orphans)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from qudao.audit.models import AuditRecord
from qudao.common.actor import SYSTEM
from qudao.crm import contacts, interactions
from qudao.crm import service as tickets
from qudao.crm.models import ConsentEvent, ContactProfile, Interaction, NpsResponse, Ticket
from qudao.crm.schemas import ConsentIn, CrmContactCreate, InteractionCreate, NpsIn, TicketCreate
from qudao.errors import Conflict, Forbidden, Invalid, NotFound
from qudao.partners import service as partners
from qudao.partners.models import Contact
from qudao.partners.schemas import ContactIn
from tests import factories


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 9, tzinfo=UTC)


def new_contact(session, customer, **kw):  # type: ignore[no-untyped-def]
    data = {"customer_code": customer.code, "name": "Li Wei", **kw}
    return contacts.create_contact(session, SYSTEM, CrmContactCreate(**data))


def test_duplicate_email_or_phone_is_refused(session) -> None:  # type: ignore[no-untyped-def]
    customer = factories.partner(session, roles=["end_customer"])
    first = new_contact(session, customer, email="Li.Wei@Example.com", phone="138-0013-8000",
                        roles=["buyer"], tags=["vip", "tea"])
    assert contacts.contact_out(session, first).tags == ["tea", "vip"]
    with pytest.raises(Conflict, match="same email"):
        new_contact(session, customer, email="li.wei@example.com")
    with pytest.raises(Conflict, match="same phone"):
        new_contact(session, customer, phone="(138) 0013 8000")
    other = factories.partner(session)
    assert new_contact(session, other, email="li.wei@example.com").partner_id == other.id  # another customer
    count = session.scalar(select(func.count()).select_from(Contact).where(Contact.partner_id == customer.id))
    assert count == 1


def test_consent_history_keeps_every_grant_and_withdrawal(session) -> None:  # type: ignore[no-untyped-def]
    customer = factories.partner(session)
    contact = new_contact(session, customer, email="a@b.cn")
    contacts.set_consent(session, SYSTEM, contact.id, ConsentIn(granted=True, source="web_form", at=at(1)))
    contacts.set_consent(session, SYSTEM, contact.id, ConsentIn(granted=False, source="phone", at=at(5)))
    out = contacts.consent_history(session, SYSTEM, contact.id)
    assert not out.marketing_consent and out.consent_changed_at == at(5)
    assert [(e.granted, e.source, e.at) for e in out.consent_history] == [(True, "web_form", at(1)),
                                                                          (False, "phone", at(5))]
    with pytest.raises(Invalid):
        contacts.set_consent(session, SYSTEM, contact.id, ConsentIn(granted=True, source="event", at=at(3)))


def test_merge_moves_everything_to_the_survivor_and_leaves_no_orphan(session) -> None:  # type: ignore[no-untyped-def]
    customer = factories.partner(session)
    survivor = new_contact(session, customer, email="wang@shop.cn", tags=["vip"])
    # the duplicate came in before the check existed (straight through the partners service)
    duplicate = partners.add_contact(session, SYSTEM, customer.code, ContactIn(name="Wang F.", phone="139 0000 1111"))
    session.flush()
    contacts.set_consent(session, SYSTEM, duplicate.id, ConsentIn(granted=True, source="event", at=at(2)))
    tickets.open_ticket(session, SYSTEM, TicketCreate(customer_code=customer.code, contact_id=duplicate.id,
                                                      subject="Leak", category="quality"))
    interactions.log_interaction(session, SYSTEM, InteractionCreate(customer_code=customer.code, kind="visit",
                                                                    contact_id=duplicate.id, subject="Visit"))
    tickets.record_nps(session, SYSTEM, NpsIn(customer_code=customer.code, contact_id=duplicate.id, score=9))
    dup_id = duplicate.id
    kept, moved = contacts.merge_contacts(session, SYSTEM, survivor.id, dup_id)
    assert moved == {"tickets": 1, "interactions": 1, "nps_responses": 1, "consent_events": 1}
    for model in (Ticket, Interaction, NpsResponse, ConsentEvent):
        assert session.scalar(select(func.count()).select_from(model).where(model.contact_id == dup_id)) == 0
        assert session.scalar(select(func.count()).select_from(model).where(model.contact_id == survivor.id)) == 1
    assert session.get(Contact, dup_id) is None and session.get(ContactProfile, dup_id) is None
    out = contacts.contact_out(session, kept)
    assert out.phone == "139 0000 1111" and out.email == "wang@shop.cn" and out.marketing_consent
    assert session.query(AuditRecord).filter_by(action="contact.merge", entity_id=str(survivor.id)).count() == 1
    with pytest.raises(NotFound):
        contacts.merge_contacts(session, SYSTEM, survivor.id, dup_id)


def test_merge_refusals_and_partner_isolation(client: TestClient, session, settings) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = factories.partner(session), factories.partner(session)
    a = new_contact(session, mine, email="a@mine.cn")
    b = new_contact(session, theirs, email="b@theirs.cn")
    with pytest.raises(Invalid):
        contacts.merge_contacts(session, SYSTEM, a.id, b.id)
    partner_actor = factories.actor(factories.user(session, "partner", partner_code=mine.code))
    with pytest.raises(Forbidden):
        contacts.merge_contacts(session, partner_actor, a.id, a.id)
    h = factories.headers(settings, factories.user(session, "partner", partner_code=mine.code))
    assert client.get(f"/api/v1/crm/contacts/{b.id}", headers=h).status_code == 404
    assert client.post(f"/api/v1/crm/contacts/{b.id}/consent", json={"granted": True, "source": "web"},
                       headers=h).status_code == 404
    own = client.post(f"/api/v1/crm/contacts/{a.id}/consent", json={"granted": True, "source": "web"}, headers=h)
    assert own.status_code == 200 and own.json()["marketing_consent"]
    dup = client.post("/api/v1/crm/contacts", json={"name": "Again", "email": "A@mine.cn", "customer_code": mine.code},
                      headers=h)
    assert dup.status_code == 409
    assert client.post("/api/v1/crm/contacts", json={"name": "X", "customer_code": theirs.code},
                       headers=h).status_code == 404
    listed = client.get(f"/api/v1/crm/customers/{mine.code}/contacts", headers=h)
    assert [c["id"] for c in listed.json()] == [a.id]
