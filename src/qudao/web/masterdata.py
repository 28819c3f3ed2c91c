"""List, detail, create, edit and archive pages for the master data (one set of routes per resource)."""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from qudao.api.deps import SessionDep
from qudao.audit import service as audit_service
from qudao.auth.permissions import can
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.errors import QudaoError
from qudao.web.common import PageActor, PageRoute, check_csrf, is_htmx, reject_nul, render
from qudao.web.forms import FormField, FormState, current_values, error_state, read_form
from qudao.web.resources import REF_LOADERS, RESOURCES, Refs, Resource

PAGE_SIZE = 25
REF_PAGE_SIZE = 500


async def checked_form(request: Request) -> FormData:
    await check_csrf(request)
    return await request.form()


PostedForm = Annotated[FormData, Depends(checked_form)]


def load_refs(session: Session, actor: Actor, res: Resource) -> tuple[Refs, dict[str, list[Any]]]:
    """Reference lists for the resource's selects, through the owning areas' list services."""
    refs: Refs = {}
    options: dict[str, list[Any]] = {}
    for name in res.refs:
        rows, _ = REF_LOADERS[name](session, actor, ListParams(page_size=REF_PAGE_SIZE))
        options[name] = rows
        refs[name] = {row.id: row.code for row in rows}
    return refs, options


def form_fields(res: Resource, actor: Actor, *, creating: bool) -> list[FormField]:
    fields = [f for f in res.fields if not (f.staff_only and actor.is_partner)]
    if not creating:
        fields = [f for f in fields if not f.create_only]
        if actor.is_partner and res.partner_editable is not None:
            fields = [f for f in fields if f.name in res.partner_editable]
    return fields


def detail_url(res: Resource, key: str) -> str:
    return f"/{res.name}/{quote(key, safe='')}"


def _render_form(request: Request, actor: Actor, session: Session, res: Resource, *, obj: Any | None,
                 state: FormState, status_code: int = 200) -> HTMLResponse:
    refs, options = load_refs(session, actor, res)
    fields = form_fields(res, actor, creating=obj is None)
    if obj is not None and not state.values:
        state.values = current_values(obj, fields, refs)
    return render(request, "md/form.html", actor, status_code=status_code, res=res, obj=obj, fields=fields,
                  state=state, options=options)


def install_resource(router: APIRouter, res: Resource) -> None:
    base = f"/{res.name}"

    def list_page(
        request: Request,
        session: SessionDep,
        actor: PageActor,
        q: Annotated[str | None, Query(max_length=200)] = None,
        sort: Annotated[str | None, Query(max_length=64)] = None,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        include_archived: bool = False,
    ) -> HTMLResponse:
        chosen = {f.name: request.query_params.get(f.name) or None for f in res.filters}
        params = ListParams(q=q or None, sort=sort or None, page=page, page_size=PAGE_SIZE,
                            include_archived=include_archived)
        rows, total = res.list_rows(session, actor, params, **chosen)
        refs, options = load_refs(session, actor, res)
        template = "md/_table.html" if is_htmx(request) else "md/list.html"
        return render(request, template, actor, res=res, rows=rows, total=total, page=page,
                      pages=max(1, math.ceil(total / PAGE_SIZE)), q=q or "", sort=sort or "", chosen=chosen,
                      include_archived=include_archived, refs=refs, options=options)

    def new_page(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
        return _render_form(request, actor, session, res, obj=None, state=FormState())

    def create(request: Request, session: SessionDep, actor: PageActor, form: PostedForm) -> Response:
        payload = read_form(form, form_fields(res, actor, creating=True))
        try:
            data = res.create_schema.model_validate({k: v for k, v in payload.items() if v is not None})
            obj = res.create(session, actor, data)
        except (ValidationError, QudaoError) as exc:
            session.rollback()  # nothing of a refused change is kept
            return _render_form(request, actor, session, res, obj=None, state=error_state(exc, payload),
                                status_code=422)
        return RedirectResponse(detail_url(res, getattr(obj, res.key)), status_code=303)

    def detail_page(request: Request, session: SessionDep, actor: PageActor, key: str) -> HTMLResponse:
        obj = res.get(session, actor, key)
        refs, _ = load_refs(session, actor, res)
        trail: list[Any] = []
        if can(actor, "audit:read"):
            trail, _ = audit_service.list_records(session, actor, ListParams(page_size=50),
                                                  entity=res.entity, entity_id=str(obj.id))
        values = current_values(obj, list(res.fields), refs)
        return render(request, "md/detail.html", actor, res=res, obj=obj, values=values, refs=refs,
                      trail=trail)

    def edit_page(request: Request, session: SessionDep, actor: PageActor, key: str) -> HTMLResponse:
        obj = res.get(session, actor, key)
        return _render_form(request, actor, session, res, obj=obj, state=FormState())

    def update(request: Request, session: SessionDep, actor: PageActor, key: str,
               form: PostedForm) -> Response:
        payload = read_form(form, form_fields(res, actor, creating=False))
        try:
            data = res.update_schema.model_validate(payload)
            obj = res.update(session, actor, key, data)
        except (ValidationError, QudaoError) as exc:
            session.rollback()
            obj = res.get(session, actor, key)
            return _render_form(request, actor, session, res, obj=obj, state=error_state(exc, payload),
                                status_code=422)
        return RedirectResponse(detail_url(res, getattr(obj, res.key)), status_code=303)

    def archive(request: Request, session: SessionDep, actor: PageActor, key: str,
                form: PostedForm) -> Response:
        res.archive(session, actor, key)
        return RedirectResponse(base, status_code=303)

    router.add_api_route(base, list_page, methods=["GET"], name=f"{res.name}_list")
    router.add_api_route(f"{base}/new", new_page, methods=["GET"], name=f"{res.name}_new")
    router.add_api_route(f"{base}/new", create, methods=["POST"], name=f"{res.name}_create")
    router.add_api_route(base + "/{key:path}/edit", edit_page, methods=["GET"], name=f"{res.name}_edit")
    router.add_api_route(base + "/{key:path}/edit", update, methods=["POST"], name=f"{res.name}_update")
    router.add_api_route(base + "/{key:path}/archive", archive, methods=["POST"], name=f"{res.name}_archive")
    router.add_api_route(base + "/{key:path}", detail_page, methods=["GET"], name=f"{res.name}_detail")


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])
    for res in RESOURCES.values():
        install_resource(pages, res)
    return pages
