"""Plumbing shared by every page: templates, the signed-in actor from the session cookie, CSRF tokens,
and the route class that turns domain errors into HTML pages instead of problem+json."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from qudao.api.deps import SessionDep, SettingsDep
from qudao.auth import service as auth_service
from qudao.auth.permissions import can
from qudao.common.actor import Actor
from qudao.errors import Forbidden, QudaoError, Unauthorized, invalid
from qudao.web.forms import decimal_text
from qudao.web.i18n import LANGUAGES, request_language, translate

SESSION_COOKIE = "qudao_session"
CSRF_COOKIE = "qudao_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

SECURITY_HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


@pass_context
def _t(context: Any, key: str, default: str | None = None, **values: object) -> str:
    return translate(context.get("lang", "en"), key, default, **values)


@pass_context
def _local_name(context: Any, obj: Any) -> str:
    """The record's name in the page language: name_zh / name_en, or a partner's name / name_en."""
    english = context.get("lang") == "en"
    if hasattr(obj, "name_zh"):
        return obj.name_en if english and obj.name_en else obj.name_zh
    if english and getattr(obj, "name_en", ""):
        return obj.name_en
    return getattr(obj, "name", "")


def _vendor(name: str) -> bool:
    return (STATIC_DIR / "vendor" / name).is_file()


templates.env.globals.update(t=_t, local_name=_local_name, can=can, vendor=_vendor, languages=LANGUAGES)
templates.env.filters["urlkey"] = lambda key: quote(str(key), safe="")


def _shown(value: Any) -> Any:
    """Decimals without storage padding, timestamps to the second in UTC."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return value


templates.env.filters["shown"] = _shown


class LoginRequired(Exception):
    """No valid session cookie: the page sends the browser to the login form."""


def local_path(target: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after login or a language switch (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


# ---- CSRF: a random nonce in an HttpOnly cookie, the form carries HMAC(secret, nonce) ---------------


def _csrf_nonce(request: Request) -> str:
    nonce = getattr(request.state, "csrf_nonce", None) or request.cookies.get(CSRF_COOKIE)
    if not nonce or len(nonce) < 20:
        nonce = secrets.token_urlsafe(24)
    request.state.csrf_nonce = nonce
    return nonce


def csrf_token(request: Request) -> str:
    secret = request.app.state.settings.resolved_secret_key().encode()
    return hmac.new(secret, b"csrf:" + _csrf_nonce(request).encode(), hashlib.sha256).hexdigest()


def reject_nul(request: Request) -> None:
    """PostgreSQL cannot store a NUL character: name the parameter instead of failing later."""
    for name, value in [*request.query_params.multi_items(), *request.path_params.items()]:
        if "\x00" in str(value):
            raise invalid(name, "must not contain NUL characters")


async def check_csrf(request: Request) -> None:
    """Every POST form must echo the token matching its own cookie; a forged cross-site form cannot."""
    form = await request.form()
    for name, value in form.multi_items():
        if isinstance(value, str) and "\x00" in value:
            raise invalid(name, "must not contain NUL characters")
    sent = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
    nonce = request.cookies.get(CSRF_COOKIE)
    if not nonce:
        raise Forbidden(detail="the form's security token is missing; reload the page and try again")
    secret = request.app.state.settings.resolved_secret_key().encode()
    expected = hmac.new(secret, b"csrf:" + nonce.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sent, expected):
        raise Forbidden(detail="the form's security token is invalid or expired; reload the page and retry")


CsrfChecked = Depends(check_csrf)


# ---- the signed-in actor -----------------------------------------------------------------------------


def page_actor(request: Request, session: SessionDep, settings: SettingsDep) -> Actor:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired
    try:
        actor = auth_service.actor_from_credentials(session, settings, token)
    except Unauthorized as exc:
        raise LoginRequired from exc
    request.state.actor = actor
    return actor


PageActor = Annotated[Actor, Depends(page_actor)]


# ---- rendering -------------------------------------------------------------------------------------


def is_htmx(request: Request) -> bool:
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"


def query_string(request: Request, **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else "?"


def render(
    request: Request, template: str, actor: Actor | None = None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    lang = request_language(request)
    token = csrf_token(request)
    response = templates.TemplateResponse(
        request,
        template,
        {"lang": lang, "actor": actor, "csrf_token": token, "csrf_field": CSRF_FIELD,
         "qs": lambda **changes: query_string(request, **changes), **context},
        status_code=status_code,
    )
    if request.cookies.get(CSRF_COOKIE) != request.state.csrf_nonce:
        response.set_cookie(CSRF_COOKIE, request.state.csrf_nonce, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path="/")
    response.headers["Vary"] = "HX-Request, Cookie, Accept-Language"
    response.headers.update(SECURITY_HEADERS)
    return response


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = "/login?" + urlencode({"next": target})
    if request.headers.get("hx-request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


class PageRoute(APIRoute):
    """Routes of the web shell: a missing session redirects to /login and domain errors render as HTML.

    The request's unit of work has already been rolled back when an error reaches this wrapper."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return _login_redirect(request)
            except QudaoError as exc:
                return render(request, "error.html", getattr(request.state, "actor", None),
                              status_code=exc.status, error=exc)
            except RequestValidationError as exc:
                detail = "; ".join(
                    f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', 'invalid')}"
                    for e in exc.errors()[:5]
                )
                return render(request, "error.html", getattr(request.state, "actor", None), status_code=422,
                              error=QudaoError(detail=detail or "invalid request"))

        return page_handler
