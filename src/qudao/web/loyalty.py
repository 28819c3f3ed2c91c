"""The loyalty page: members with balance and tier (a partner user sees only its own membership) and a
member's statement for a period (opening balance, rows, totals per kind, closing balance)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from qudao.api.deps import SessionDep
from qudao.common.listing import ListParams
from qudao.errors import invalid
from qudao.loyalty import ledger, service
from qudao.web.common import PageActor, PageRoute, reject_nul, render

MemberId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Tier = Annotated[str | None, Query(max_length=40)]


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @pages.get("/loyalty", response_class=HTMLResponse)
    def loyalty_page(request: Request, session: SessionDep, actor: PageActor, tier: Tier = None) -> HTMLResponse:
        members, total = service.list_members(session, actor, ListParams(page_size=200, sort="-balance"),
                                              tier=tier or None)
        programmes = {p.id: p for p in service.list_programmes(session, actor)}
        names = service.partner_labels(session, actor, [m.partner_id for m in members])
        return render(request, "loyalty/page.html", actor, members=members, total=total, programmes=programmes,
                      partners=names, tier=tier or "")

    @pages.get("/loyalty/members/{member_id}", response_class=HTMLResponse)
    def statement_page(request: Request, session: SessionDep, actor: PageActor, member_id: MemberId,
                       start: date | None = None, end: date | None = None) -> HTMLResponse:
        end = end or date.today()
        start = start or end - timedelta(days=365)
        if start > end:
            raise invalid("start", "must be on or before end")
        statement = ledger.statement(session, actor, member_id, start, end)
        member = statement["member"]
        return render(request, "loyalty/statement.html", actor, s=statement, member=member,
                      partner=service.partner_labels(session, actor, [member.partner_id]).get(member.partner_id),
                      tier_changes=ledger.list_tier_changes(session, actor, member_id))

    return pages
