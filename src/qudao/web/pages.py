"""The web shell: login, logout, language switch, home, admin lists; mounts master-data pages and /static."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from qudao.api.deps import SessionDep, SettingsDep
from qudao.audit import service as audit_service
from qudao.auth import service as auth_service
from qudao.common.listing import ListParams
from qudao.errors import TooManyRequests
from qudao.web import (
    counts_pages,
    inventory_pages,
    masterdata,
    operations,
    orders_pages,
    purchasing_pages,
    returns_pages,
)
from qudao.web import cpfr as cpfr_pages
from qudao.web import crm as crm_pages
from qudao.web import forecasting as forecasting_pages
from qudao.web import logistics as logistics_pages
from qudao.web import loyalty as loyalty_pages
from qudao.web import planning as planning_pages
from qudao.web import portal as portal_pages
from qudao.web import production as production_pages
from qudao.web import segments as segments_pages
from qudao.web import suppliers as supplier_pages
from qudao.web.common import (
    SESSION_COOKIE,
    STATIC_DIR,
    PageActor,
    PageRoute,
    local_path,
    reject_nul,
    render,
)
from qudao.web.i18n import LANG_COOKIE, LANGUAGES, request_language, translate
from qudao.web.masterdata import PostedForm

PAGE_SIZE = 25
LANG_COOKIE_SECONDS = 365 * 24 * 3600


def shell_router() -> APIRouter:
    router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @router.get("/", response_class=HTMLResponse)
    def home(request: Request, actor: PageActor) -> HTMLResponse:
        return render(request, "home.html", actor)

    @router.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/") -> HTMLResponse:
        return render(request, "login.html", None, next=local_path(next), username="", error=None)

    @router.post("/login")
    def login(request: Request, session: SessionDep, settings: SettingsDep, form: PostedForm) -> Response:
        username = str(form.get("username") or "").strip()
        password = str(form.get("password") or "")
        target = local_path(str(form.get("next") or "/"))
        lang = request_language(request)
        client = request.client.host if request.client else None
        if not username or not password:
            return render(request, "login.html", None, status_code=422, next=target, username=username,
                          error=translate(lang, "login.missing"))
        try:
            result = auth_service.login(session, settings, username, password, client)
        except TooManyRequests as exc:
            return render(request, "login.html", None, status_code=429, next=target, username=username,
                          error=exc.detail)
        if result.token is None:
            # Returned, not raised: the failed attempt is committed and counts towards throttling.
            return render(request, "login.html", None, status_code=401, next=target, username=username,
                          error=translate(lang, "login.failed"))
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, result.token, max_age=result.expires_in, httponly=True,
                            samesite="lax", secure=request.url.scheme == "https", path="/")
        return response

    @router.post("/logout")
    def logout(request: Request, form: PostedForm) -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get("/lang/{code}")
    def switch_language(request: Request, code: str, next: str = "/") -> Response:
        """Remember the chosen language (a preference cookie, not a protected change)."""
        response = RedirectResponse(local_path(next), status_code=303)
        if code in LANGUAGES:
            response.set_cookie(LANG_COOKIE, code, max_age=LANG_COOKIE_SECONDS, samesite="lax", path="/")
        return response

    @router.get("/users", response_class=HTMLResponse)
    def users_page(
        request: Request,
        session: SessionDep,
        actor: PageActor,
        q: Annotated[str | None, Query(max_length=200)] = None,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    ) -> HTMLResponse:
        rows, total = auth_service.list_users(session, actor, ListParams(q=q or None, page=page,
                                                                          page_size=PAGE_SIZE))
        return render(request, "admin/users.html", actor, rows=rows, total=total, page=page, q=q or "",
                      pages=max(1, math.ceil(total / PAGE_SIZE)))

    @router.get("/audit", response_class=HTMLResponse)
    def audit_page(
        request: Request,
        session: SessionDep,
        actor: PageActor,
        q: Annotated[str | None, Query(max_length=200)] = None,
        entity: Annotated[str | None, Query(max_length=60)] = None,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    ) -> HTMLResponse:
        rows, total = audit_service.list_records(session, actor, ListParams(q=q or None, page=page,
                                                                              page_size=PAGE_SIZE),
                                                 entity=entity or None)
        return render(request, "admin/audit.html", actor, rows=rows, total=total, page=page, q=q or "",
                      entity=entity or "", pages=max(1, math.ceil(total / PAGE_SIZE)))

    return router


def install(app: FastAPI) -> None:
    """Mount the pages at / and the static files (own CSS, vendored htmx/pico/echarts) at /static."""
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR), check_dir=False), name="static")
    app.include_router(shell_router())
    app.include_router(masterdata.router())
    app.include_router(operations.router())  # before orders_pages: /orders/new is not an order id
    app.include_router(orders_pages.router())
    app.include_router(returns_pages.router())
    app.include_router(inventory_pages.router())
    app.include_router(counts_pages.router())
    app.include_router(purchasing_pages.router())
    app.include_router(forecasting_pages.router())
    app.include_router(production_pages.router())
    app.include_router(planning_pages.router())
    app.include_router(cpfr_pages.router())
    app.include_router(logistics_pages.router())
    app.include_router(crm_pages.router())
    app.include_router(segments_pages.router())
    app.include_router(loyalty_pages.router())
    app.include_router(supplier_pages.router())
    app.include_router(portal_pages.router())

