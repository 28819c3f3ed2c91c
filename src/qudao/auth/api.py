"""Login, the current user, user administration and API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from qudao.api.deps import ActorDep, IdPath, ListParamsDep, SessionDep, SettingsDep
from qudao.api.problems import PROBLEM_RESPONSES, problem
from qudao.auth import service
from qudao.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut, Me, Token, UserCreate, UserOut, UserUpdate
from qudao.common.listing import Page

router = APIRouter(responses=PROBLEM_RESPONSES)


@router.post("/auth/token", response_model=Token, tags=["auth"],
             )
def issue_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token | JSONResponse:
    client = request.client.host if request.client else None
    result = service.login(session, settings, form.username, form.password, client)
    if result.token is None:
        # Returned, not raised, so the failed attempt is committed and counts towards throttling.
        return problem(401, "Login failed", result.failure or "login failed",
                       [{"field": "password", "reason": "incorrect username or password"}],
                       headers={"WWW-Authenticate": "Bearer"})
    return Token(access_token=result.token, expires_in=result.expires_in)


@router.get("/auth/me", response_model=Me, tags=["auth"])
def me(actor: ActorDep) -> Me:
    return Me(username=actor.username, role=actor.role, partner_id=actor.partner_id)


@router.get("/users", response_model=Page[UserOut], tags=["users"])
def list_users(session: SessionDep, actor: ActorDep, params: ListParamsDep) -> Page[UserOut]:
    rows, total = service.list_users(session, actor, params)
    return Page(items=[UserOut.model_validate(r) for r in rows], total=total,
                page=params.page, page_size=params.page_size)


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED, tags=["users"])
def create_user(session: SessionDep, actor: ActorDep, body: UserCreate) -> UserOut:
    return UserOut.model_validate(service.create_user(session, actor, body))


@router.get("/users/{username}", response_model=UserOut, tags=["users"])
def get_user(session: SessionDep, actor: ActorDep, username: str) -> UserOut:
    return UserOut.model_validate(service.get_user(session, actor, username))


@router.patch("/users/{username}", response_model=UserOut, tags=["users"])
def update_user(session: SessionDep, actor: ActorDep, username: str, body: UserUpdate) -> UserOut:
    return UserOut.model_validate(service.update_user(session, actor, username, body))


@router.delete("/users/{username}", response_model=UserOut, tags=["users"])
def disable_user(session: SessionDep, actor: ActorDep, username: str) -> UserOut:
    return UserOut.model_validate(service.disable_user(session, actor, username))


@router.post("/users/{username}/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED,
             tags=["users"])
def create_api_key(session: SessionDep, actor: ActorDep, username: str, body: ApiKeyCreate) -> ApiKeyCreated:
    key, secret = service.create_api_key(session, actor, username, body.name)
    return ApiKeyCreated(**ApiKeyOut.model_validate(key).model_dump(), key=secret)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut, tags=["users"])
def revoke_api_key(session: SessionDep, actor: ActorDep, key_id: IdPath) -> ApiKeyOut:
    return ApiKeyOut.model_validate(service.revoke_api_key(session, actor, key_id))
