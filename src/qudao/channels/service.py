"""Use cases for the channel tree."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize
from qudao.channels.models import Channel
from qudao.channels.schemas import ChannelCreate, ChannelUpdate
from qudao.common import crud
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.common.records import apply_changes, snapshot
from qudao.errors import Conflict, invalid


def list_channels(
    session: Session, actor: Actor, params: ListParams, *, kind: str | None = None, parent: str | None = None
) -> tuple[list[Channel], int]:
    authorize(actor, "channels:read")
    filters = [] if params.include_archived else [Channel.archived_at.is_(None)]
    if kind:
        filters.append(Channel.kind == kind)
    if parent:
        filters.append(Channel.parent_id == get_channel(session, actor, parent).id)
    return paginate(
        session,
        select(Channel),
        params,
        search=(Channel.code, Channel.name_zh, Channel.name_en),
        sortable={"id": Channel.id, "code": Channel.code, "kind": Channel.kind, "name_en": Channel.name_en},
        default_sort="code",
        filters=filters,
    )


def get_channel(session: Session, actor: Actor, code: str) -> Channel:
    authorize(actor, "channels:read")
    return crud.get_by(session, Channel, Channel.code, code, entity="channel")


def create_channel(session: Session, actor: Actor, data: ChannelCreate) -> Channel:
    authorize(actor, "channels:write")
    if session.scalar(select(Channel.id).where(Channel.code == data.code)) is not None:
        raise Conflict(detail=f"channel code {data.code} already exists")
    channel = Channel(
        code=data.code,
        name_zh=data.name_zh,
        name_en=data.name_en,
        kind=data.kind.value,
        parent_id=crud.resolve_ref(session, Channel, Channel.code, data.parent_code, field="parent_code"),
    )
    session.add(channel)
    audit.record_create(session, actor, channel)
    return channel


def update_channel(session: Session, actor: Actor, code: str, data: ChannelUpdate) -> Channel:
    authorize(actor, "channels:write")
    channel = get_channel(session, actor, code)
    before = snapshot(channel)
    changes = data.model_dump(exclude_unset=True)
    for name in ("name_zh", "name_en", "kind"):
        if name in changes and changes[name] is None:
            raise invalid(name, "must not be null")
    if "parent_code" in changes:
        parent_id = crud.resolve_ref(session, Channel, Channel.code, changes.pop("parent_code"), field="parent_code")
        if parent_id is not None and _is_descendant_or_self(session, parent_id, channel.id):
            raise invalid("parent_code", "a channel cannot move under itself or its own descendant")
        channel.parent_id = parent_id
    if changes.get("kind") is not None:
        changes["kind"] = changes["kind"].value
    apply_changes(channel, changes)
    audit.record_update(session, actor, channel, before)
    return channel


def archive_channel(session: Session, actor: Actor, code: str) -> Channel:
    authorize(actor, "channels:write")
    channel = get_channel(session, actor, code)
    child = session.scalar(
        select(Channel.code).where(Channel.parent_id == channel.id, Channel.archived_at.is_(None)).limit(1)
    )
    if child:
        raise Conflict(detail=f"channel {code} still has active sub-channels (e.g. {child})")
    return crud.archive(session, actor, channel)


def _is_descendant_or_self(session: Session, candidate_id: int, channel_id: int) -> bool:
    """Walk up from the candidate parent; channel trees are shallow, so a few lookups at most."""
    seen: set[int] = set()
    current: int | None = candidate_id
    while current is not None and current not in seen:
        if current == channel_id:
            return True
        seen.add(current)
        current = session.scalar(select(Channel.parent_id).where(Channel.id == current))
    return False
