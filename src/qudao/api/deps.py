"""Request-scoped dependencies: one unit of work per request and the authenticated actor."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Query, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from qudao.auth import security
from qudao.auth import service as auth_service
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.config import Settings
from qudao.errors import Unauthorized, invalid

T = TypeVar("T")


async def get_settings(request: Request) -> Settings:
    # async: no I/O, so FastAPI calls it inline instead of sending it to the thread pool.
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


async def credential(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> str:
    """The request's bearer token or API key. What needs no database is checked here, before the body is
    (a bearer token's signature and expiry): a bad credential is a 401 whatever the body holds, as with
    ``ActorDep``. The user (active?) and API keys are checked by ``in_unit_of_work``."""
    found = api_key or token
    if not found:
        raise Unauthorized(detail="send a bearer token (POST /api/v1/auth/token) or an X-API-Key header")
    if not found.startswith(security.API_KEY_PREFIX):
        settings: Settings = request.app.state.settings
        if security.read_token(settings.resolved_secret_key(), found) is None:
            raise Unauthorized(detail="invalid or expired credentials")
    return found


CredentialDep = Annotated[str, Depends(credential)]


async def in_unit_of_work(request: Request, credential: str, work: Callable[[Session, Actor], T]) -> T:
    """For hot write routes (single-order intake): check the credential, run ``work(session, actor)`` and
    commit, all in ONE worker-thread hop. ``SessionDep`` + ``ActorDep`` + a sync route cost four hops
    (session open, actor, route, session close) plus one for response validation, which on two cores
    is a visible share of a request that itself needs only a few milliseconds. Same rules: the commit
    happens before the response is sent, any error rolls back."""
    settings: Settings = request.app.state.settings
    factory = request.app.state.session_factory

    def run() -> T:
        session: Session = factory()
        try:
            result = work(session, auth_service.actor_from_credentials(session, settings, credential))
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    return await run_in_threadpool(run)


def list_params(
    q: Annotated[str | None, Query(max_length=200, description="Free-text search")] = None,
    sort: Annotated[str | None, Query(max_length=64, description="Field, '-' prefix for descending")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    include_archived: bool = False,
) -> ListParams:
    return ListParams(q=q, sort=sort, page=page, page_size=page_size, include_archived=include_archived)


ListParamsDep = Annotated[ListParams, Depends(list_params)]

# Row ids in paths: bounded to the BIGINT range so an absurd id is a 422, not a database overflow.
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]

NUL = "\x00"
# NUL and lone UTF-16 surrogates (which JSON can smuggle in as "\\ud83d") cannot be stored as text in
# PostgreSQL nor written to UTF-8 files, so they are refused at the door instead of failing later.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNSTORABLE_IN_JSON = re.compile(rb"\x00|\\u0000|\\u[dD][89abcdefABCDEF]")
REASON = "must not contain NUL characters or unpaired surrogates"


def _bad(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


def _nul_field(value: Any, path: str) -> str | None:
    """Dotted path of the first string holding an unstorable character inside a parsed JSON value."""
    if isinstance(value, str):
        return path if _bad(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and _bad(key):
            return f"{path}.{key!r}".lstrip(".")
        found = _nul_field(item, f"{path}.{key}".lstrip("."))
        if found:
            return found
    return None


async def reject_nul_characters(request: Request) -> None:
    """Unstorable characters (NUL, unpaired surrogates) are refused everywhere, naming the field."""
    if _bad(request.url.path):
        raise invalid("path", REASON)
    for key, value in request.query_params.multi_items():
        if _bad(key) or _bad(value):
            raise invalid(key.replace(NUL, "\\0"), REASON)
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        # The route has parsed the form already (request.form() is cached; the raw stream is gone).
        for key, value in (await request.form()).multi_items():
            if _bad(key) or (isinstance(value, str) and _bad(value)):
                raise invalid(key.replace(NUL, "\\0"), REASON)
        return
    body = await request.body()
    if _UNSTORABLE_IN_JSON.search(body) is None:
        return
    try:
        parsed = json.loads(body)
    except ValueError:
        return  # not JSON: the route's own validation reports it
    field = _nul_field(parsed, "")
    if field is not None:
        raise invalid(field or "body", REASON)
