"""Request-scoped dependencies: one unit of work per request and the authenticated actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.orm import Session

from qudao.auth import service as auth_service
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.config import Settings
from qudao.errors import Unauthorized


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed once after the route returns, rolled back on error."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response is sent, so a failed commit is reported, not hidden.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)


def current_actor(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Actor:
    credential = api_key or token
    if not credential:
        raise Unauthorized(detail="send a bearer token (POST /api/v1/auth/token) or an X-API-Key header")
    return auth_service.actor_from_credentials(session, settings, credential)


ActorDep = Annotated[Actor, Depends(current_actor)]


def list_params(
    q: Annotated[str | None, Query(max_length=200, description="Free-text search")] = None,
    sort: Annotated[str | None, Query(max_length=64, description="Field, '-' prefix for descending")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    include_archived: bool = False,
) -> ListParams:
    return ListParams(q=q, sort=sort, page=page, page_size=page_size, include_archived=include_archived)


ListParamsDep = Annotated[ListParams, Depends(list_params)]
