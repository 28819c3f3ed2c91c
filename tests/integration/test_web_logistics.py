"""The logistics page on both databases: what staff and a partner see, the quote form's answers and
errors, and a trip that is not there."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from qudao.common.actor import SYSTEM
from qudao.config import Settings
from qudao.logistics import routes, tracking
from qudao.logistics.schemas import RoutePlanIn, TrackingEventIn, VehicleIn
from tests import factories
from tests.integration import logistics_world as lw
from tests.integration.test_web_pages import sign_in

DAY = date(2026, 3, 10)


def test_logistics_page_for_staff_and_partner(client: TestClient, session: Session, settings: Settings) -> None:
    world = lw.build(session)
    mine = lw.route_day(session, world, DAY, [None, (540, 600)], [10, 20])
    theirs = lw.freight(session, world, world.south_customer, world.south_store, service_code="LG-EXP")
    routes.create_vehicle(session, SYSTEM, VehicleIn(code="W-VAN", depot_code=world.dc.code,
                                                     capacity_weight_kg=Decimal(100), capacity_volume_m3=Decimal(5)))
    plan = routes.plan_routes(session, SYSTEM, RoutePlanIn(depot_code=world.dc.code, plan_date=DAY),
                              max_iterations=50)
    tracking.add_events(session, SYSTEM, mine[0].id, [
        TrackingEventIn(status="picked_up", occurred_at=datetime(2026, 3, 10, 1, tzinfo=UTC), place="LG-DC")])
    sign_in(client, settings, factories.user(session, "warehouse"))
    page = client.get("/logistics", params={"freight": mine[0].id})
    assert page.status_code == 200
    assert f'data-freight="{theirs.id}"' in page.text and 'data-testid="timeline"' in page.text
    assert 'data-testid="trip-plot"' in page.text and f"Trip {plan.trips[0].id}" in page.text
    quoted = client.get("/logistics", params={"origin": "Shanghai", "destination": "Zhejiang", "weight": "12",
                                              "volume": "0.03"})
    assert "LG-STD" in quoted.text and "25.62" in quoted.text  # 10 + 1.20 x 12 = 24.40, + 5 % fuel
    bad = client.get("/logistics", params={"origin": "Shanghai", "destination": "Zhejiang", "weight": "-1"})
    assert bad.status_code == 200 and 'data-testid="quote-error"' in bad.text
    assert client.get("/logistics", params={"plan": 999999}).status_code == 404

    sign_in(client, settings, factories.user(session, "partner", partner_code=world.east_customer.code))
    page = client.get("/logistics", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and "物流" in page.text
    assert f'data-freight="{mine[0].id}"' in page.text and f'data-freight="{theirs.id}"' not in page.text
    assert 'data-testid="trip-plot"' not in page.text
    assert client.get("/logistics", params={"freight": theirs.id}).status_code == 404
