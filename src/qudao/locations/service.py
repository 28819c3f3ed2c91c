"""Use cases for locations. A partner user manages only locations its organisation owns."""

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
from qudao.errors import Conflict, Forbidden, invalid
from qudao.locations.models import Location
from qudao.locations.schemas import LocationCreate, LocationUpdate
from qudao.partners.models import Partner

LOCATION_SORTS = {
    "id": Location.id,
    "code": Location.code,
    "name": Location.name,
    "kind": Location.kind,
    "city": Location.city,
    "priority": Location.priority,
    "created_at": Location.created_at,
}


def list_locations(
    session: Session,
    actor: Actor,
    params: ListParams,
    *,
    kind: str | None = None,
    owner: str | None = None,
    province: str | None = None,
) -> tuple[list[Location], int]:
    authorize(actor, "locations:read")
    filters: list[Any] = [partner_filter(actor, Location.owner_partner_id)]
    if not params.include_archived:
        filters.append(Location.archived_at.is_(None))
    if kind:
        filters.append(Location.kind == kind)
    if owner:
        filters.append(Location.owner_partner_id.in_(select(Partner.id).where(Partner.code == owner)))
    if province:
        filters.append(Location.province == province)
    return paginate(
        session,
        select(Location),
        params,
        search=(Location.code, Location.name, Location.city, Location.province, Location.address),
        sortable=LOCATION_SORTS,
        default_sort="code",
        filters=filters,
    )


def get_location(session: Session, actor: Actor, code: str) -> Location:
    authorize(actor, "locations:read")
    location = crud.get_by(session, Location, Location.code, code, entity="location")
    ensure_own(actor, location.owner_partner_id, entity="location", key=code)
    return location


def create_location(session: Session, actor: Actor, data: LocationCreate) -> Location:
    authorize(actor, "locations:write")
    if session.scalar(select(Location.id).where(Location.code == data.code)) is not None:
        raise Conflict(detail=f"location code {data.code} already exists")
    fields = data.model_dump(exclude_unset=True, exclude={"code"})
    fields["kind"] = data.kind
    location = Location(code=data.code)
    _apply_location_fields(session, actor, location, fields)
    if actor.is_partner:
        # A partner's new location always belongs to that partner.
        if location.owner_partner_id not in (None, actor.partner_id):
            raise Forbidden(detail="partner users may only create locations their organisation owns")
        location.owner_partner_id = actor.partner_id
    session.add(location)
    audit.record_create(session, actor, location)
    return location


def update_location(session: Session, actor: Actor, code: str, data: LocationUpdate) -> Location:
    authorize(actor, "locations:write")
    location = get_location(session, actor, code)
    changes = data.model_dump(exclude_unset=True)
    if actor.is_partner and "owner_partner_code" in changes:
        raise Forbidden(detail="partner users may not change a location's owner")
    before = snapshot(location)
    _apply_location_fields(session, actor, location, changes)
    audit.record_update(session, actor, location, before)
    return location


def archive_location(session: Session, actor: Actor, code: str) -> Location:
    authorize(actor, "locations:write")
    return crud.archive(session, actor, get_location(session, actor, code))


NON_NULL = {"name", "kind", "address", "city", "province", "country", "priority"}


def _apply_location_fields(session: Session, actor: Actor, location: Location, fields: dict[str, Any]) -> None:
    for name in NON_NULL & fields.keys():
        if fields[name] is None:
            raise invalid(name, "must not be null")
    if "owner_partner_code" in fields:
        location.owner_partner_id = crud.resolve_ref(
            session, Partner, Partner.code, fields.pop("owner_partner_code"), field="owner_partner_code"
        )
    if "channel_code" in fields:
        location.channel_id = crud.resolve_ref(
            session, Channel, Channel.code, fields.pop("channel_code"), field="channel_code"
        )
    if fields.get("kind") is not None:
        fields["kind"] = str(fields["kind"])
    apply_changes(location, fields)
