"""The production page in headless Chromium, in English and Chinese: work orders, the capacity load with the
overloaded week, the schedule as a Gantt chart with the late order, the BOM tree with exact requirements,
a release and a refused output report (components short), and a rush order made from the page jumping to
the front. The module seeds its own server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest

from qudao import migrate
from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory, unit_of_work
from qudao.production import service, work_orders
from qudao.production.schemas import BomLineCreate, ResourceCreate, RoutingCreate
from tests import factories
from tests.e2e.conftest import CHROMIUM, serve
from tests.factories import PASSWORD

if not CHROMIUM.exists():
    pytest.skip(f"headless browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def _seed(url: str) -> None:
    factory = make_session_factory(make_engine(url))
    today = date.today()
    with unit_of_work(factory) as session:
        factories.location(session, code="PLANT-E", kind="plant")
        for sku in ("JAM", "JUICE", "JAR", "GLASS", "FRUIT"):
            factories.product(session, sku=sku)
        # 8 h every day (no rest days, so the test does not depend on the weekday): 56 h a week.
        service.create_resource(session, SYSTEM, ResourceCreate(code="FILL", name="Filler", location_code="PLANT-E",
                                                                hours_per_day=Decimal(8)))
        for sku, family in (("JAM", "RED"), ("JUICE", "CLEAR")):
            service.create_routing(session, SYSTEM, RoutingCreate(sku=sku, resource_code="FILL", family=family,
                                                                  run_hours_per_unit=Decimal(1)))
        for parent, component, qty, scrap in (("JAM", "JAR", "1", "2"), ("JAR", "GLASS", "0.3", "0"),
                                              ("JAM", "FRUIT", "0.5", "10")):
            service.create_bom_line(session, SYSTEM, BomLineCreate(
                parent_sku=parent, component_sku=component, quantity_per=Decimal(qty), scrap_pct=Decimal(scrap)))
        # 10 h then 20 h both due tomorrow: the second ends on day 3, late; 60 h due in 3 days overloads a week.
        work_orders.create_work_orders(session, [
            {"code": "WO-A", "sku": "JAM", "location_code": "PLANT-E", "quantity": "10",
             "due_date": today + timedelta(days=1)},
            {"code": "WO-B", "sku": "JUICE", "location_code": "PLANT-E", "quantity": "20",
             "due_date": today + timedelta(days=1)},
            {"code": "WO-BIG", "sku": "JAM", "location_code": "PLANT-E", "quantity": "60",
             "due_date": today + timedelta(days=3)},
            {"code": "WO-C", "sku": "JUICE", "location_code": "PLANT-E", "quantity": "4",
             "due_date": today + timedelta(days=30)}], SYSTEM)
        factories.user(session, "planner", username="pe-planner")
    factory.kw["bind"].dispose()


@pytest.fixture(scope="module")
def production_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("e2e-production")
    url = f"sqlite:///{state / 'production.db'}"
    migrate.upgrade(url)
    _seed(url)
    with serve(url, state, "e2e-production-secret-0123456789-0123456789") as base_url:
        yield base_url


@pytest.fixture
def tab(browser, production_server: str) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=production_server, locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def _log_in(page: Page) -> None:
    page.goto("/login?next=/production")
    page.get_by_label("Username").fill("pe-planner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/production$"))


def test_production_page_in_english_then_a_rush_order(tab: Page) -> None:
    _log_in(tab)
    expect(tab.locator("aside.sidebar").get_by_role("link", name="Production", exact=True)).to_be_visible()
    orders = tab.get_by_test_id("wo-table")
    for code in ("WO-A", "WO-B", "WO-BIG", "WO-C"):
        expect(orders).to_contain_text(code)
    overloads = tab.get_by_test_id("overloads")
    expect(overloads).to_contain_text("FILL")
    expect(overloads).to_contain_text("Overloaded weeks")
    expect(tab.locator("#load-charts canvas").first).to_be_visible()
    expect(tab.locator("#gantt canvas").first).to_be_visible()
    schedule = tab.get_by_test_id("schedule-table")
    expect(schedule.locator("tbody tr").first).to_contain_text("WO-A")
    expect(schedule.locator("tr[data-code='WO-B']")).to_have_class("late")
    # BOM tree: 1 JAM -> JAR 1 x 1.02 = 1.02 -> GLASS 1.02 x 0.3 = 0.306; FRUIT 0.5 x 1.1 = 0.55
    tab.get_by_test_id("bom-quantity").fill("100")
    tab.get_by_test_id("explode").click()
    expect(tab.get_by_test_id("required-JAR-1")).to_have_text("102.00")
    expect(tab.get_by_test_id("required-GLASS-2")).to_have_text("30.60")
    expect(tab.get_by_test_id("required-FRUIT-1")).to_have_text("55.00")

    # Released, then output reported with no jars or fruit in stock: refused, naming both, nothing moves.
    tab.get_by_test_id("release-WO-A").click()
    expect(orders.locator("tr[data-code='WO-A'] td[data-status]")).to_have_attribute("data-status", "released")
    report = tab.get_by_test_id("report-WO-A")
    report.get_by_role("textbox").fill("2")
    report.get_by_role("button").click()
    expect(tab.get_by_test_id("form-error")).to_contain_text("JAR")
    expect(tab.get_by_test_id("form-error")).to_contain_text("FRUIT")
    expect(orders.locator("tr[data-code='WO-A'] td[data-status]")).to_have_attribute("data-status", "released")

    tab.get_by_test_id("rush-WO-C").click()
    expect(tab).to_have_url(re.compile(r"/production\?resource=FILL$"))
    first = tab.get_by_test_id("schedule-table").locator("tbody tr").first
    expect(first).to_contain_text("WO-C")
    expect(first).to_contain_text("rush")
    expect(tab.get_by_test_id("rush-WO-C")).to_have_count(0)


def test_production_page_in_chinese(tab: Page) -> None:
    _log_in(tab)
    tab.goto("/lang/zh-CN?next=/production")
    expect(tab.get_by_role("heading", name="生产排程")).to_be_visible()
    expect(tab.get_by_role("heading", name="物料清单")).to_be_visible()
    expect(tab.get_by_role("heading", name="各资源产能负荷")).to_be_visible()
    expect(tab.locator("aside.sidebar").get_by_role("link", name="生产", exact=True)).to_be_visible()
    expect(tab.get_by_test_id("overloads")).to_contain_text("超负荷周")
    expect(tab.get_by_test_id("wo-table")).to_contain_text("已计划")
    expect(tab.get_by_test_id("bom-tree")).to_contain_text("损耗率")
