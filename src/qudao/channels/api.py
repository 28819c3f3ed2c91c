"""REST routes for channels."""

from __future__ import annotations

from fastapi import APIRouter, status

from qudao.api.deps import ActorDep, ListParamsDep, SessionDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.channels import service
from qudao.channels.schemas import ChannelCreate, ChannelOut, ChannelUpdate
from qudao.common.enums import ChannelKind
from qudao.common.listing import Page

router = APIRouter(tags=["channels"], responses=PROBLEM_RESPONSES)


@router.get("/channels", response_model=Page[ChannelOut])
def list_channels(
    session: SessionDep, actor: ActorDep, params: ListParamsDep,
    kind: ChannelKind | None = None, parent: str | None = None,
) -> Page[ChannelOut]:
    rows, total = service.list_channels(session, actor, params, kind=kind, parent=parent)
    return Page(items=[ChannelOut.model_validate(r) for r in rows], total=total,
                page=params.page, page_size=params.page_size)


@router.post("/channels", response_model=ChannelOut, status_code=status.HTTP_201_CREATED)
def create_channel(session: SessionDep, actor: ActorDep, body: ChannelCreate) -> ChannelOut:
    return ChannelOut.model_validate(service.create_channel(session, actor, body))


@router.get("/channels/{code}", response_model=ChannelOut)
def get_channel(session: SessionDep, actor: ActorDep, code: str) -> ChannelOut:
    return ChannelOut.model_validate(service.get_channel(session, actor, code))


@router.patch("/channels/{code}", response_model=ChannelOut)
def update_channel(session: SessionDep, actor: ActorDep, code: str, body: ChannelUpdate) -> ChannelOut:
    return ChannelOut.model_validate(service.update_channel(session, actor, code, body))


@router.delete("/channels/{code}", response_model=ChannelOut)
def archive_channel(session: SessionDep, actor: ActorDep, code: str) -> ChannelOut:
    return ChannelOut.model_validate(service.archive_channel(session, actor, code))
