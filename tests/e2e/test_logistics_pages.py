"""The logistics page in headless Chromium, in Chinese and English: freight with its tracking timeline,
a trip's stop list and coordinate plot, and a rate quote; a partner sees only its own freight."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM, open_page, serve

if not CHROMIUM.exists():
    pytest.skip(f"headless browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Page, expect

from qudao import migrate
from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory, unit_of_work
from qudao.logistics import routes, tracking
from qudao.logistics.schemas import RoutePlanIn, TrackingEventIn, VehicleIn
from tests import factories
from tests.factories import PASSWORD
from tests.integration import logistics_world as lw

pytestmark = pytest.mark.e2e
DAY = date(2026, 3, 10)


def _seed(url: str) -> dict[str, int]:
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as session:
        world = lw.build(session, "E2E")
        freight = lw.route_day(session, world, DAY, [None, (540, 600), None], [10, 20, 30])
        other = lw.freight(session, world, world.south_customer, world.south_store, service_code="E2E-EXP",
                           tracking_number="SF-SOUTH")
        routes.create_vehicle(session, SYSTEM, VehicleIn(code="E2E-VAN", depot_code=world.dc.code,
                                                         capacity_weight_kg=Decimal(100),
                                                         capacity_volume_m3=Decimal(5)))
        routes.plan_routes(session, SYSTEM, RoutePlanIn(depot_code=world.dc.code, plan_date=DAY), max_iterations=100)
        tracking.add_events(session, SYSTEM, freight[0].id, [
            TrackingEventIn(status="picked_up", occurred_at=datetime(2026, 3, 10, 1, tzinfo=UTC), place="E2E-DC"),
            TrackingEventIn(status="in_transit", occurred_at=datetime(2026, 3, 10, 3, tzinfo=UTC), place="Pudong")])
        factories.user(session, "admin", username="lg_admin")
        factories.user(session, "partner", partner_code=world.east_customer.code, username="lg_east")
        ids = {"first": freight[0].id, "other": other.id}
    factory.kw["bind"].dispose()
    return ids


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    state: Path = tmp_path_factory.mktemp("e2e-logistics")
    url = f"sqlite:///{state / 'logistics.db'}"
    migrate.upgrade(url)
    ids = _seed(url)
    with serve(url, state, "e2e-logistics-secret-0123456789abcdef") as base_url:
        yield base_url, ids


def _page(browser, server: tuple[str, dict[str, int]], locale: str) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    yield from open_page(browser, server[0], locale, 900)


@pytest.fixture
def page_en(browser, server) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    yield from _page(browser, server, "en-US")


@pytest.fixture
def page_zh(browser, server) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    yield from _page(browser, server, "zh-CN")


def _log_in(page: Page, username: str, lang: str) -> None:
    page.goto(f"/lang/{lang}?next=/login%3Fnext%3D/logistics")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/logistics")


def test_staff_page_in_english(page_en: Page, server: tuple[str, dict[str, int]]) -> None:
    ids = server[1]
    _log_in(page_en, "lg_admin", "en")
    expect(page_en.locator("aside.sidebar").get_by_role("link", name="Logistics", exact=True)).to_be_visible()
    rows = page_en.get_by_test_id("freight-list")
    expect(rows.locator(f"tr[data-freight='{ids['first']}']")).to_contain_text("In transit")
    rows.get_by_test_id(f"freight-{ids['first']}").click()
    timeline = page_en.get_by_test_id("timeline")
    expect(timeline.locator("li")).to_have_count(2)
    expect(timeline).to_contain_text("Picked up")
    expect(timeline).to_contain_text("Pudong")
    expect(page_en.get_by_test_id("plan-summary")).to_contain_text("3 stop(s) in 1 trip(s)")
    expect(page_en.get_by_test_id("stops").locator("tbody tr")).to_have_count(3)
    expect(page_en.get_by_test_id("trip-plot").locator("canvas")).to_have_count(1)
    points = page_en.evaluate("window.qudaoTripChart.getOption().series[2].data.length")
    assert points == 3
    page_en.get_by_test_id("origin").fill("Shanghai")
    page_en.get_by_test_id("destination").fill("Zhejiang")
    page_en.get_by_test_id("weight").fill("12")
    page_en.get_by_test_id("volume").fill("0.03")
    page_en.get_by_test_id("quote").click()
    # E2E-STD: 10 + 1.20 x 12 = 24.40, fuel 5 % -> 25.62 (cheaper than E2E-EXP's 28.60)
    expect(page_en.get_by_test_id("quote-chosen")).to_contain_text("E2E-STD")
    expect(page_en.get_by_test_id("quote-chosen")).to_contain_text("25.62")
    expect(page_en.get_by_test_id("quotes").locator("tbody tr")).to_have_count(2)


def test_partner_page_in_chinese(page_zh: Page, server: tuple[str, dict[str, int]]) -> None:
    ids = server[1]
    _log_in(page_zh, "lg_east", "zh-CN")
    expect(page_zh.locator("h2")).to_have_text("物流")
    rows = page_zh.get_by_test_id("freight-list")
    expect(rows.locator(f"tr[data-freight='{ids['first']}']")).to_contain_text("运输中")
    expect(rows.locator(f"tr[data-freight='{ids['other']}']")).to_have_count(0)  # another customer's freight
    expect(page_zh.get_by_test_id("trip-plot")).to_have_count(0)  # route plans are staff's
    rows.get_by_test_id(f"freight-{ids['first']}").click()
    expect(page_zh.get_by_test_id("timeline")).to_contain_text("已揽收")
    page_zh.get_by_test_id("origin").fill("Shanghai")
    page_zh.get_by_test_id("destination").fill("Zhejiang")
    page_zh.get_by_test_id("weight").fill("abc")
    page_zh.get_by_test_id("quote").click()
    expect(page_zh.get_by_test_id("quote-error")).to_be_visible()
    expect(page_zh.get_by_test_id("by-channel")).to_contain_text("E2E-CH")
