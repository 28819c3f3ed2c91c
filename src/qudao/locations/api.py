"""REST routes for locations."""

from __future__ import annotations

from fastapi import APIRouter, status

from qudao.api.deps import ActorDep, ListParamsDep, SessionDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.common.enums import LocationKind
from qudao.common.listing import Page
from qudao.locations import service
from qudao.locations.schemas import LocationCreate, LocationOut, LocationUpdate

router = APIRouter(tags=["locations"], responses=PROBLEM_RESPONSES)


@router.get("/locations", response_model=Page[LocationOut])
def list_locations(
    session: SessionDep, actor: ActorDep, params: ListParamsDep,
    kind: LocationKind | None = None, owner: str | None = None, province: str | None = None,
) -> Page[LocationOut]:
    rows, total = service.list_locations(session, actor, params, kind=kind, owner=owner, province=province)
    return Page(items=[LocationOut.model_validate(r) for r in rows], total=total,
                page=params.page, page_size=params.page_size)


@router.post("/locations", response_model=LocationOut, status_code=status.HTTP_201_CREATED)
def create_location(session: SessionDep, actor: ActorDep, body: LocationCreate) -> LocationOut:
    return LocationOut.model_validate(service.create_location(session, actor, body))


@router.get("/locations/{code}", response_model=LocationOut)
def get_location(session: SessionDep, actor: ActorDep, code: str) -> LocationOut:
    return LocationOut.model_validate(service.get_location(session, actor, code))


@router.patch("/locations/{code}", response_model=LocationOut)
def update_location(session: SessionDep, actor: ActorDep, code: str, body: LocationUpdate) -> LocationOut:
    return LocationOut.model_validate(service.update_location(session, actor, code, body))


@router.delete("/locations/{code}", response_model=LocationOut)
def archive_location(session: SessionDep, actor: ActorDep, code: str) -> LocationOut:
    return LocationOut.model_validate(service.archive_location(session, actor, code))
