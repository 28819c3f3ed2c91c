"""Use cases for partner organisations and their contacts.

A partner user reaches only its own organisation, and may change only its descriptive fields
(names, tax id, contacts), never commercial terms such as credit limit, tier or status.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, ensure_own, partner_filter
from qudao.channels.models import Channel
from qudao.common import crud
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.common.records import apply_changes, snapshot
from qudao.errors import Conflict, Forbidden, NotFound, invalid
from qudao.partners.models import Contact, Partner, PartnerRoleAssignment
from qudao.partners.schemas import ContactIn, PartnerCreate, PartnerUpdate

PARTNER_SELF_SERVICE_FIELDS = {"name", "name_en", "tax_id"}
PARTNER_SORTS = {
    "id": Partner.id,
    "code": Partner.code,
    "name": Partner.name,
    "region": Partner.region,
    "tier": Partner.tier,
    "credit_limit": Partner.credit_limit,
    "created_at": Partner.created_at,
}


def list_partners(
    session: Session,
    actor: Actor,
    params: ListParams,
    *,
    role: str | None = None,
    status: str | None = None,
    region: str | None = None,
    channel: str | None = None,
) -> tuple[list[Partner], int]:
    authorize(actor, "partners:read")
    filters: list[Any] = [partner_filter(actor, Partner.id)]
    if not params.include_archived:
        filters.append(Partner.archived_at.is_(None))
    if role:
        with_role = select(PartnerRoleAssignment.partner_id).where(PartnerRoleAssignment.role == role)
        filters.append(Partner.id.in_(with_role))
    if status:
        filters.append(Partner.status == status)
    if region:
        filters.append(Partner.region == region)
    if channel:
        filters.append(Partner.channel_id.in_(select(Channel.id).where(Channel.code == channel)))
    return paginate(
        session,
        select(Partner),
        params,
        search=(Partner.code, Partner.name, Partner.name_en, Partner.region, Partner.territory),
        sortable=PARTNER_SORTS,
        default_sort="code",
        filters=filters,
    )


def get_partner(session: Session, actor: Actor, code: str) -> Partner:
    authorize(actor, "partners:read")
    partner = crud.get_by(session, Partner, Partner.code, code, entity="partner")
    ensure_own(actor, partner.id, entity="partner", key=code)
    return partner


def create_partner(session: Session, actor: Actor, data: PartnerCreate) -> Partner:
    authorize(actor, "partners:write")
    if actor.is_partner:
        raise Forbidden(detail="partner users may not create partner organisations")
    if session.scalar(select(Partner.id).where(Partner.code == data.code)) is not None:
        raise Conflict(detail=f"partner code {data.code} already exists")
    partner = Partner(code=data.code)
    fields = data.model_dump(exclude_unset=True, exclude={"code", "contacts"})
    fields["roles"] = data.roles
    _apply_partner_fields(session, partner, fields)
    partner.contacts = [Contact(**c.model_dump()) for c in data.contacts]
    session.add(partner)
    audit.record_create(session, actor, partner)
    return partner


def update_partner(session: Session, actor: Actor, code: str, data: PartnerUpdate) -> Partner:
    authorize(actor, "partners:write")
    partner = get_partner(session, actor, code)
    changes = data.model_dump(exclude_unset=True)
    if actor.is_partner:
        forbidden = sorted(set(changes) - PARTNER_SELF_SERVICE_FIELDS)
        if forbidden:
            raise Forbidden(detail=f"partner users may not change {', '.join(forbidden)}")
    before = snapshot(partner)
    before["roles"] = partner.roles
    _apply_partner_fields(session, partner, changes)
    audit.record_update(session, actor, partner, before)
    return partner


def archive_partner(session: Session, actor: Actor, code: str) -> Partner:
    authorize(actor, "partners:write")
    partner = get_partner(session, actor, code)  # another partner's organisation: 404, like every other call
    if actor.is_partner:
        raise Forbidden(detail="partner users may not archive partner organisations")
    return crud.archive(session, actor, partner)


def add_contact(session: Session, actor: Actor, code: str, data: ContactIn) -> Contact:
    authorize(actor, "partners:write")
    partner = get_partner(session, actor, code)
    if data.is_primary:
        for other in partner.contacts:
            other.is_primary = False
    contact = Contact(partner_id=partner.id, **data.model_dump())
    partner.contacts.append(contact)
    audit.record_create(session, actor, contact)
    return contact


def remove_contact(session: Session, actor: Actor, code: str, contact_id: int) -> Contact:
    authorize(actor, "partners:write")
    partner = get_partner(session, actor, code)
    contact = next((c for c in partner.contacts if c.id == contact_id), None)
    if contact is None:
        raise NotFound(detail=f"contact {contact_id} not found for partner {code}")
    audit.record(session, actor, action="delete", entity="contacts", entity_id=contact.id, before=snapshot(contact))
    partner.contacts.remove(contact)
    session.flush()
    return contact


NON_NULL = {"name", "name_en", "region", "territory", "tier", "credit_limit", "payment_terms_days",
            "currency", "status", "roles"}


def _apply_partner_fields(session: Session, partner: Partner, fields: dict[str, Any]) -> None:
    for name in NON_NULL & fields.keys():
        if fields[name] is None:
            raise invalid(name, "must not be null")
    if "roles" in fields:
        roles = sorted({str(r) for r in fields.pop("roles")})
        current = {r.role: r for r in partner.role_rows}
        partner.role_rows = [current.get(r) or PartnerRoleAssignment(role=r) for r in roles]
    if "parent_code" in fields:
        parent_code = fields.pop("parent_code")
        if parent_code is not None and parent_code == partner.code:
            raise invalid("parent_code", "a partner cannot be its own parent")
        partner.parent_id = crud.resolve_ref(session, Partner, Partner.code, parent_code, field="parent_code")
        creates_cycle = partner.id is not None and partner.parent_id is not None and _has_ancestor(
            session, partner.parent_id, partner.id
        )
        if creates_cycle:
            raise invalid("parent_code", "that parent would create a cycle in the channel hierarchy")
    if "channel_code" in fields:
        partner.channel_id = crud.resolve_ref(session, Channel, Channel.code, fields.pop("channel_code"),
                                              field="channel_code")
    if fields.get("status") is not None:
        fields["status"] = str(fields["status"])
    apply_changes(partner, fields)


def _has_ancestor(session: Session, start_id: int, ancestor_id: int) -> bool:
    seen: set[int] = set()
    current: int | None = start_id
    while current is not None and current not in seen:
        if current == ancestor_id:
            return True
        seen.add(current)
        current = session.scalar(select(Partner.parent_id).where(Partner.id == current))
    return False
