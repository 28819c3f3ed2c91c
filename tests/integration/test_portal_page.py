"""The partner portal home: a partner user sees its own orders, stock, sell-through, forecast submissions and
scorecard, never another partner's rows; staff are refused; the page renders in English and Chinese."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.orm import Session

from qudao.channelperf import portal
from qudao.common.actor import SYSTEM
from qudao.config import Settings
from qudao.demand.models import SellThrough
from qudao.errors import Forbidden
from tests import factories
from tests.integration.test_web_pages import sign_in


def seed(session: Session):  # type: ignore[no-untyped-def]
    class Net:
        channel = factories.channel(session)
        a = factories.partner(session, roles=["retailer"])
        b = factories.partner(session, roles=["retailer"])
        a_store = factories.location(session, kind="store", owner_partner_code=a.code)
        b_store = factories.location(session, kind="store", owner_partner_code=b.code)
        dc = factories.location(session)
        tea = factories.product(session)

    factories.stock(session, Net.tea, Net.a_store, 7)
    factories.stock(session, Net.tea, Net.b_store, 9)
    Net.a_order = factories.sales_order(session, Net.channel, Net.a, Net.a_store, [(Net.tea, 1)])
    Net.b_order = factories.sales_order(session, Net.channel, Net.b, Net.b_store, [(Net.tea, 2)])
    today = date.today()
    session.execute(insert(SellThrough), [
        {"day": today, "product_id": Net.tea.id, "location_id": loc.id, "channel_id": Net.channel.id,
         "partner_id": p.id, "quantity": Decimal(q), "revenue": Decimal(q * 10)}
        for p, loc, q in ((Net.a, Net.a_store, 3), (Net.b, Net.b_store, 4))])
    session.flush()
    return Net


def test_portal_shows_only_the_partners_own_rows(client: TestClient, session: Session, settings: Settings) -> None:
    net = seed(session)
    user_a = factories.user(session, "partner", net.a.code)
    home = portal.portal_home(session, factories.actor(user_a))
    assert [o.id for o in home.orders] == [net.a_order.id]
    assert {b.location_code for b in home.stock} == {net.a_store.code}
    assert [s["location_code"] for s in home.sell_through] == [net.a_store.code]
    assert home.scorecard is not None and home.scorecard.key == net.a.code

    sign_in(client, settings, user_a)
    page = client.get("/portal")
    assert page.status_code == 200, page.text
    text = page.text
    assert f'data-order="{net.a_order.id}"' in text and f'data-order="{net.b_order.id}"' not in text
    assert net.a_store.code in text and net.b_store.code not in text and net.b.code not in text
    assert 'href="/portal"' in text and "My portal" in text
    client.cookies.set("lang", "zh-CN")
    assert "伙伴门户" in client.get("/portal").text


def test_staff_are_refused_the_portal(client: TestClient, session: Session, settings: Settings) -> None:
    try:
        portal.portal_home(session, SYSTEM)
        raise AssertionError("staff reached the portal")
    except Forbidden:
        pass
    sign_in(client, settings, factories.user(session, "admin"))
    response = client.get("/portal", follow_redirects=False)
    assert response.status_code == 403
    assert 'href="/portal"' not in client.get("/orders").text
