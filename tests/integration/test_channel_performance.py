"""Channel and partner scorecards on hand-worked numbers (March 2026 against the 31 days before it).

ECOM (partner A): orders of 10 x 20 (8 shipped) and 5 x 20 (5 shipped) in March, 150 in February.
  revenue 300, cost 15 x 6 = 90 -> margin 0.7; growth (300-150)/150 = 1; fill 13/15; sell-through 6.5/13 = 0.5
DIST (partner B): 10 x 10, all shipped, nothing in February; cost 60 -> margin 0.4; sell-through 10/10 = 1.
Shares of 400: 0.75 and 0.25.
Components (0-100) ECOM: growth 100, margin 70, sell-through 50, fill 86.667, share 100
                   DIST: growth 0 (no prior), margin 40, sell-through 100, fill 100, share 33.333
Default weights .25/.2/.25/.15/.15: ECOM 25+14+12.5+13+15 = 79.5; DIST 0+8+25+15+5 = 53.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from qudao.channelperf import service
from qudao.common.actor import SYSTEM
from qudao.demand.models import SellThrough
from qudao.orders.models import SalesOrder, SalesOrderLine
from tests import factories


def place(session, channel, customer, ship_to, product, qty, price, shipped, at):  # type: ignore[no-untyped-def]
    order = factories.sales_order(session, channel, customer, ship_to, [(product, qty)])
    session.execute(update(SalesOrderLine).where(SalesOrderLine.order_id == order.id)
                    .values(unit_price=Decimal(price), shipped_qty=Decimal(shipped)))
    session.execute(update(SalesOrder).where(SalesOrder.id == order.id).values(created_at=at))


@pytest.fixture
def net(session):  # type: ignore[no-untyped-def]
    class Net:
        ecom = factories.channel(session, kind="ecommerce")
        dist = factories.channel(session)
        a = factories.partner(session)
        b = factories.partner(session)
        a_loc = factories.location(session, kind="store", owner_partner_code=a.code)
        b_loc = factories.location(session, kind="store", owner_partner_code=b.code)
        tea = factories.product(session)  # standard cost 6

    place(session, Net.ecom, Net.a, Net.a_loc, Net.tea, 10, 20, 8, datetime(2026, 3, 2, 8, tzinfo=UTC))
    place(session, Net.ecom, Net.a, Net.a_loc, Net.tea, 5, 20, 5, datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    place(session, Net.ecom, Net.a, Net.a_loc, Net.tea, 5, 30, 5, datetime(2026, 2, 14, tzinfo=UTC))  # prior
    place(session, Net.ecom, Net.a, Net.a_loc, Net.tea, 9, 30, 0, datetime(2026, 4, 1, tzinfo=UTC))  # after
    place(session, Net.dist, Net.b, Net.b_loc, Net.tea, 10, 10, 10, datetime(2026, 3, 15, tzinfo=UTC))
    session.execute(insert(SellThrough), [
        {"day": date(2026, 3, 20), "product_id": Net.tea.id, "location_id": Net.a_loc.id, "channel_id": Net.ecom.id,
         "partner_id": Net.a.id, "quantity": Decimal("6.5"), "revenue": Decimal(0)},
        {"day": date(2026, 3, 21), "product_id": Net.tea.id, "location_id": Net.b_loc.id, "channel_id": Net.dist.id,
         "partner_id": Net.b.id, "quantity": Decimal("10"), "revenue": Decimal(0)},
        {"day": date(2026, 2, 21), "product_id": Net.tea.id, "location_id": Net.b_loc.id, "channel_id": Net.dist.id,
         "partner_id": Net.b.id, "quantity": Decimal("99"), "revenue": Decimal(0)},  # outside the period
    ])
    session.flush()
    return Net


def test_channel_scorecard_matches_hand_worked_numbers(session, net) -> None:  # type: ignore[no-untyped-def]
    report = service.channel_performance(session, SYSTEM, by="channel", start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert report.prior_start == date(2026, 1, 29)
    ecom, dist = report.items
    assert ecom.key == net.ecom.code and dist.key == net.dist.code  # best score first
    assert (ecom.revenue, ecom.prior_revenue, ecom.growth) == (300, 150, 1)
    assert ecom.cost == 90 and ecom.margin == pytest.approx(0.7) and ecom.share == 0.75
    assert (ecom.ordered_qty, ecom.shipped_qty, ecom.sell_in_qty, ecom.sell_through_qty) == (15, 13, 13, 6.5)
    assert ecom.fill_rate == pytest.approx(13 / 15) and ecom.sell_through_rate == pytest.approx(0.5)
    assert ecom.components == pytest.approx({"growth": 100, "margin": 70, "sell_through_rate": 50,
                                             "fill_rate": 86.6667, "share": 100}, abs=1e-3)
    assert ecom.score == pytest.approx(79.5)
    assert ecom.trend == [{"month": "2026-03", "revenue": 300}]
    assert dist.growth is None and dist.prior_revenue is None and dist.margin == pytest.approx(0.4)
    assert dist.sell_through_rate == 1 and dist.fill_rate == 1 and dist.share == 0.25
    assert dist.score == pytest.approx(53)


def test_partner_scorecard_custom_weights_and_isolation(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    url = "/api/v1/channel-performance?start=2026-03-01&end=2026-03-31&by=partner"
    staff = factories.headers(settings, factories.user(session, "viewer"))
    growth_only = client.get(url + "&weights=growth=1", headers=staff)
    assert growth_only.status_code == 200, growth_only.text
    assert [(r["key"], r["score"]) for r in growth_only.json()["items"]] == [(net.a.code, 100), (net.b.code, 0)]
    bad = client.get(url + "&weights=growth=0.5,margin=0.4", headers=staff)
    assert bad.status_code == 422 and "sum to 1" in bad.text and "weights" in bad.text
    unknown = client.get(url + "&weights=speed=1", headers=staff)
    assert unknown.status_code == 422 and "speed" in unknown.text
    ancient = client.get("/api/v1/channel-performance?start=0001-01-01&end=0001-01-02", headers=staff)
    assert ancient.status_code == 422 and "start" in ancient.text  # no date arithmetic overflow (500)
    mine = client.get(url, headers=factories.headers(settings, factories.user(session, "partner", net.b.code)))
    assert mine.status_code == 200
    (row,) = mine.json()["items"]
    assert row["key"] == net.b.code and row["revenue"] == 100 and row["sell_through_qty"] == 10


def test_uncosted_product_leaves_margin_unknown(session, net) -> None:  # type: ignore[no-untyped-def]
    free = factories.product(session, standard_cost=Decimal(0))
    place(session, net.dist, net.b, net.b_loc, free, 1, 5, 1, datetime(2026, 3, 16, tzinfo=UTC))
    report = service.channel_performance(session, SYSTEM, by="channel", start=date(2026, 3, 1), end=date(2026, 3, 31))
    dist = next(r for r in report.items if r.key == net.dist.code)
    assert dist.revenue == 105 and dist.cost is None and dist.margin is None and dist.components["margin"] == 0
