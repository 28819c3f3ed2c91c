"""REST routes: channel conflicts, channel performance, MAP prices and partner territories."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from qudao.api.deps import ActorDep, IdPath, SessionDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.channelperf import rules, service
from qudao.channelperf.schemas import (
    ConflictReport,
    MapPriceCreate,
    MapPriceOut,
    MapPriceUpdate,
    PerformanceReport,
    TerritoryCreate,
    TerritoryOut,
)

router = APIRouter(tags=["channels"], responses=PROBLEM_RESPONSES)

Kind = Literal["map", "territory", "cannibalisation"]


@router.get("/channel-conflicts", response_model=ConflictReport)
def list_channel_conflicts(session: SessionDep, actor: ActorDep, start: date, end: date,
                           kind: Annotated[list[Kind] | None, Query()] = None) -> ConflictReport:
    return service.detect_conflicts(session, actor, start=start, end=end, kinds=list(kind) if kind else None)


@router.get("/channel-performance", response_model=PerformanceReport)
def get_channel_performance(
    session: SessionDep, actor: ActorDep, start: date, end: date, by: Literal["channel", "partner"] = "channel",
    weights: Annotated[str | None, Query(max_length=300,
                                         description="e.g. growth=0.25,margin=0.2,sell_through_rate=0.25,"
                                                     "fill_rate=0.15,share=0.15 (must sum to 1)")] = None,
) -> PerformanceReport:
    return service.channel_performance(session, actor, by=by, start=start, end=end,
                                       weights=service.parse_weights(weights))


@router.get("/map-prices", response_model=list[MapPriceOut])
def list_map_prices(session: SessionDep, actor: ActorDep, sku: str | None = None,
                    channel_code: str | None = None) -> list[MapPriceOut]:
    return rules.list_map_prices(session, actor, sku=sku, channel_code=channel_code)


@router.post("/map-prices", response_model=MapPriceOut, status_code=status.HTTP_201_CREATED)
def create_map_price(session: SessionDep, actor: ActorDep, body: MapPriceCreate) -> MapPriceOut:
    return rules.create_map_price(session, actor, body)


@router.get("/map-prices/{map_id}", response_model=MapPriceOut)
def get_map_price(session: SessionDep, actor: ActorDep, map_id: IdPath) -> MapPriceOut:
    return rules.get_map_price(session, actor, map_id)


@router.patch("/map-prices/{map_id}", response_model=MapPriceOut)
def update_map_price(session: SessionDep, actor: ActorDep, map_id: IdPath, body: MapPriceUpdate) -> MapPriceOut:
    return rules.update_map_price(session, actor, map_id, body)


@router.delete("/map-prices/{map_id}", response_model=MapPriceOut)
def delete_map_price(session: SessionDep, actor: ActorDep, map_id: IdPath) -> MapPriceOut:
    return rules.delete_map_price(session, actor, map_id)


@router.get("/territories", response_model=list[TerritoryOut])
def list_territories(session: SessionDep, actor: ActorDep, partner_code: str | None = None) -> list[TerritoryOut]:
    return rules.list_territories(session, actor, partner_code=partner_code)


@router.post("/territories", response_model=TerritoryOut, status_code=status.HTTP_201_CREATED)
def create_territory(session: SessionDep, actor: ActorDep, body: TerritoryCreate) -> TerritoryOut:
    return rules.create_territory(session, actor, body)


@router.delete("/territories/{territory_id}", response_model=TerritoryOut)
def delete_territory(session: SessionDep, actor: ActorDep, territory_id: IdPath) -> TerritoryOut:
    return rules.delete_territory(session, actor, territory_id)
