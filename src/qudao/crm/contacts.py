"""Customer contacts, CRM side: roles, tags, marketing consent with its grant/withdraw history, duplicate
refusal on create and the merge of duplicates.

Contacts themselves belong to ``partners`` and are created and removed through its service. Duplicates
are contacts of the same customer sharing an email (case-insensitive) or a phone number (digits only);
checking within the customer keeps other customers' contacts invisible to partner users.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, require_staff
from qudao.common.actor import Actor
from qudao.crm.customers import resolve_customer
from qudao.crm.models import ConsentEvent, ContactProfile, Interaction, NpsResponse, Ticket
from qudao.crm.schemas import ConsentEventOut, ConsentIn, CrmContactCreate, CrmContactOut
from qudao.db import utcnow
from qudao.errors import Conflict, NotFound, invalid
from qudao.partners import service as partners
from qudao.partners.models import Contact, Partner
from qudao.partners.schemas import ContactIn

# Rows that point at a contact and move to the survivor on merge.
CONTACT_REFERENCES = {"tickets": Ticket, "interactions": Interaction, "nps_responses": NpsResponse,
                      "consent_events": ConsentEvent}


def _email(value: str | None) -> str | None:
    return value.strip().lower() if value else None


def _phone(value: str | None) -> str | None:
    digits = re.sub(r"\D", "", value or "")
    return digits or None


def find_duplicate(partner: Partner, email: str | None, phone: str | None, *,
                   exclude: int | None = None) -> Contact | None:
    for contact in partner.contacts:
        if contact.id == exclude:
            continue
        if (_email(email) and _email(contact.email) == _email(email)) or (
                _phone(phone) and _phone(contact.phone) == _phone(phone)):
            return contact
    return None


def _contact(session: Session, actor: Actor, contact_id: int) -> tuple[Partner, Contact]:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(detail=f"contact {contact_id} not found")
    try:
        partner = partners.get_partner(session, actor, session.get(Partner, contact.partner_id).code)  # type: ignore[union-attr]
    except NotFound:
        raise NotFound(detail=f"contact {contact_id} not found") from None
    return partner, contact


def _profile(session: Session, contact_id: int) -> ContactProfile:
    profile = session.get(ContactProfile, contact_id)
    if profile is None:
        profile = ContactProfile(contact_id=contact_id, roles=[], tags=[], marketing_consent=False)
        session.add(profile)
    return profile


def contact_out(session: Session, contact: Contact, *, history: bool = False) -> CrmContactOut:
    profile = session.get(ContactProfile, contact.id)
    events: list[ConsentEventOut] = []
    if history:
        rows = session.query(ConsentEvent).filter(ConsentEvent.contact_id == contact.id).order_by(
            ConsentEvent.at, ConsentEvent.id)
        events = [ConsentEventOut.model_validate(r) for r in rows]
    return CrmContactOut(id=contact.id, partner_id=contact.partner_id, name=contact.name, title=contact.title,
                         email=contact.email, phone=contact.phone, roles=list(profile.roles) if profile else [],
                         tags=list(profile.tags) if profile else [],
                         marketing_consent=bool(profile and profile.marketing_consent),
                         consent_changed_at=profile.consent_changed_at if profile else None,
                         consent_history=events)


def create_contact(session: Session, actor: Actor, data: CrmContactCreate) -> Contact:
    """A contact with roles and tags; one sharing an email or phone with the customer's others is refused."""
    authorize(actor, "crm:write")
    customer = resolve_customer(session, actor, data.customer_code)
    duplicate = find_duplicate(customer, data.email, data.phone)
    if duplicate is not None:
        same = "email" if data.email and _email(duplicate.email) == _email(data.email) else "phone"
        raise Conflict(detail=f"contact {duplicate.id} of {customer.code} has the same {same}; "
                              "update or merge it instead of adding a duplicate")
    fields = data.model_dump(include=set(ContactIn.model_fields))
    contact = partners.add_contact(session, actor, customer.code, ContactIn(**fields))
    session.flush()
    profile = _profile(session, contact.id)
    profile.roles, profile.tags = sorted(set(data.roles)), sorted(set(data.tags))
    session.flush()
    audit.record(session, actor, action="create", entity=ContactProfile.__tablename__, entity_id=contact.id,
                 after={"roles": profile.roles, "tags": profile.tags})
    return contact


def get_contact(session: Session, actor: Actor, contact_id: int) -> Contact:
    authorize(actor, "crm:read")
    return _contact(session, actor, contact_id)[1]


def list_contacts(session: Session, actor: Actor, customer_code: str) -> list[Contact]:
    authorize(actor, "crm:read")
    return list(resolve_customer(session, actor, customer_code).contacts)


def set_consent(session: Session, actor: Actor, contact_id: int, data: ConsentIn) -> Contact:
    """Grant or withdraw marketing consent; every change is kept with its date and source."""
    authorize(actor, "crm:write")
    _, contact = _contact(session, actor, contact_id)
    at = data.at or utcnow()
    profile = _profile(session, contact.id)
    if profile.consent_changed_at is not None and at < profile.consent_changed_at:
        raise invalid("at", "earlier than the last recorded consent change")
    profile.marketing_consent, profile.consent_changed_at = data.granted, at
    event = ConsentEvent(contact_id=contact.id, granted=data.granted, at=at, source=data.source,
                         recorded_by_user_id=actor.user_id)
    session.add(event)
    audit.record_create(session, actor, event)
    return contact


def merge_contacts(session: Session, actor: Actor, survivor_id: int, duplicate_id: int,
                   *, now: datetime | None = None) -> tuple[Contact, dict[str, int]]:
    """Move everything that points at the duplicate to the survivor, fill the survivor's missing email and
    phone, union roles and tags, keep the newer consent, then remove the duplicate; one transaction, audited."""
    authorize(actor, "crm:write")
    require_staff(actor, "merge contacts")
    if survivor_id == duplicate_id:
        raise invalid("duplicate_id", "must differ from survivor_id")
    partner, survivor = _contact(session, actor, survivor_id)
    _, duplicate = _contact(session, actor, duplicate_id)
    if duplicate.partner_id != survivor.partner_id:
        raise invalid("duplicate_id", "contacts of different customers cannot be merged")
    moved: dict[str, int] = {}
    for name, model in CONTACT_REFERENCES.items():
        result = session.execute(update(model).where(model.contact_id == duplicate.id).values(contact_id=survivor.id)
                                 .execution_options(synchronize_session=False))
        moved[name] = result.rowcount or 0  # type: ignore[attr-defined]
    before: dict[str, Any] = {"email": survivor.email, "phone": survivor.phone}
    survivor.email = survivor.email or duplicate.email
    survivor.phone = survivor.phone or duplicate.phone
    kept, gone = _profile(session, survivor.id), session.get(ContactProfile, duplicate.id)
    if gone is not None:
        kept.roles = sorted(set(kept.roles) | set(gone.roles))
        kept.tags = sorted(set(kept.tags) | set(gone.tags))
        if gone.consent_changed_at and (kept.consent_changed_at is None
                                        or gone.consent_changed_at > kept.consent_changed_at):
            kept.marketing_consent, kept.consent_changed_at = gone.marketing_consent, gone.consent_changed_at
        session.delete(gone)
    session.flush()
    session.expire_all()  # rows moved by bulk updates
    partners.remove_contact(session, actor, partner.code, duplicate_id)
    audit.record(session, actor, action="contact.merge", entity="contacts", entity_id=survivor_id,
                 before={**before, "duplicate_id": duplicate_id},
                 after={"email": survivor.email, "phone": survivor.phone, "moved": moved})
    return survivor, moved


def consent_history(session: Session, actor: Actor, contact_id: int) -> CrmContactOut:
    get_contact(session, actor, contact_id)
    return contact_out(session, session.get(Contact, contact_id), history=True)  # type: ignore[arg-type]


