"""The partner portal home (/portal): a partner user's own orders (linking to the order pages), stock at its
locations, its sell-through reports, its CPFR forecast submissions and its scorecard. One service call;
staff are refused with 403 (the service decides)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from qudao.api.deps import SessionDep
from qudao.channelperf import portal
from qudao.engines.channels import SCORE_COMPONENTS
from qudao.web.common import PageActor, PageRoute, reject_nul, render


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(reject_nul)])

    @pages.get("/portal", response_class=HTMLResponse)
    def portal_page(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
        home = portal.portal_home(session, actor)
        trend = home.scorecard.trend if home.scorecard else []
        trend_json = json.dumps({"months": [t["month"] for t in trend], "revenue": [t["revenue"] for t in trend]})
        return render(request, "portal/home.html", actor, home=home, components=SCORE_COMPONENTS,
                      trend_json=trend_json)

    return pages
