"""Finding the customer (a partner) a CRM record belongs to, through the partners service."""

from __future__ import annotations

from qudao.common.actor import Actor
from qudao.errors import NotFound, invalid
from qudao.partners import service as partners
from qudao.partners.models import Contact, Partner


def resolve_customer(session, actor: Actor, customer_code: str | None) -> Partner:  # type: ignore[no-untyped-def]
    """The named customer (404 for another partner's code); a partner user may omit it (its own)."""
    if customer_code is None:
        if not actor.is_partner or actor.partner_id is None:
            raise invalid("customer_code", "required")
        partner = session.get(Partner, actor.partner_id)
        if partner is None:
            raise NotFound(detail="partner not found")
        return partner
    return partners.get_partner(session, actor, customer_code)


def contact_of(partner: Partner, contact_id: int | None) -> Contact | None:
    """One of the customer's contacts; another customer's contact id is refused (field named)."""
    if contact_id is None:
        return None
    contact = next((c for c in partner.contacts if c.id == contact_id), None)
    if contact is None:
        raise invalid("contact_id", f"contact {contact_id} is not a contact of {partner.code}")
    return contact
