"""The segments and loyalty pages in headless Chromium, in English and Chinese: tier and segment charts, the
filtered list and its export link, a run started from the page; a partner's own loyalty statement.
The module seeds its own server so the shared e2e database stays untouched."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from qudao import migrate
from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory, unit_of_work
from qudao.loyalty import service as loyalty
from qudao.loyalty.schemas import AdjustmentIn, MemberCreate, ProgrammeCreate, RedemptionIn
from qudao.orders.models import SalesOrder
from qudao.segments import service as segments
from qudao.segments.schemas import SegmentationRunCreate
from tests import factories
from tests.e2e.conftest import CHROMIUM, serve
from tests.factories import PASSWORD
from tests.integration.test_segments import PLAN, T

if not CHROMIUM.exists():
    pytest.skip(f"headless browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def crm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("e2e-segments")
    url = f"sqlite:///{state / 'segments.db'}"
    migrate.upgrade(url)
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as session:
        channel, product, ship_to = factories.channel(session), factories.product(session), factories.location(session)
        for name, (days, units) in PLAN.items():
            partner = factories.partner(session, code=f"SE-{name}", roles=["end_customer"])
            for d in days:
                order = factories.sales_order(session, channel, partner, ship_to, [(product, units)])
                day = T - timedelta(days=d)
                session.execute(update(SalesOrder).where(SalesOrder.id == order.id)
                                .values(created_at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC)))
        loyalty.create_programme(session, SYSTEM, ProgrammeCreate(code="SE-POINTS", name="Points"))
        member = loyalty.enroll_member(session, SYSTEM, MemberCreate(programme="SE-POINTS", partner="SE-A"))
        loyalty.adjust_points(session, SYSTEM, member.id, AdjustmentIn(points=500, reason="welcome"))
        loyalty.redeem_points(session, SYSTEM, member.id, RedemptionIn(points=120, reason="voucher"))
        loyalty.enroll_member(session, SYSTEM, MemberCreate(programme="SE-POINTS", partner="SE-B"))
        factories.user(session, "admin", username="se-admin")
        factories.user(session, "partner", partner_code="SE-A", username="se-partner")
        run_id = segments.start_run(session, SYSTEM, SegmentationRunCreate(as_of=T)).id
    segments.execute_run(lambda: unit_of_work(factory), SYSTEM, run_id)
    factory.kw["bind"].dispose()
    with serve(url, state, "e2e-segments-secret-0123456789-0123456789") as base_url:
        yield base_url


@pytest.fixture
def tab(browser, crm_server: str) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=crm_server, locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, username: str, start: str) -> None:
    page.goto(f"/login?next={start}")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('button[type="submit"]').click()


def test_segments_charts_filter_export_and_a_new_run_in_english(tab: Page) -> None:
    log_in(tab, "se-admin", "/segments")
    expect(tab.get_by_role("heading", name="Segments", exact=True)).to_be_visible()
    expect(tab.get_by_test_id("tier-chart").locator("canvas").first).to_be_visible()
    expect(tab.get_by_test_id("segment-chart").locator("canvas").first).to_be_visible()
    bars = tab.evaluate("echarts.getInstanceByDom(document.getElementById('tier-chart')).getOption().series[0].data")
    assert bars == [2, 1, 2]  # high, middle, low (see tests/integration/test_segments.py)
    expect(tab.get_by_test_id("segment-row")).to_have_count(5)
    tab.get_by_test_id("tier").select_option("high")
    tab.get_by_test_id("filter").click()
    expect(tab.get_by_test_id("segment-row")).to_have_count(2)
    expect(tab.get_by_test_id("segment-row").first).to_contain_text("SE-E")
    expect(tab.get_by_test_id("export")).to_have_attribute("href", "/segments/export.csv?tier=high")
    runs = tab.get_by_test_id("runs").locator("tbody tr")
    expect(runs).to_have_count(1)
    tab.get_by_test_id("start").click()
    expect(runs).to_have_count(2)


def test_partner_statement_in_chinese(tab: Page) -> None:
    log_in(tab, "se-partner", "/loyalty")
    tab.locator('[data-lang="zh-CN"]').click()
    expect(tab.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(tab.get_by_role("heading", name="会员积分")).to_be_visible()
    expect(tab.get_by_test_id("member-row")).to_have_count(1)  # only its own membership
    expect(tab.get_by_test_id("balance")).to_have_text("380")
    tab.get_by_test_id("statement-link").click()
    expect(tab.get_by_test_id("closing")).to_have_text("380")
    expect(tab.get_by_test_id("entry-row")).to_have_count(2)
    expect(tab.get_by_test_id("entries")).to_contain_text("兑换")
    expect(tab.get_by_role("link", name="客户细分")).to_have_count(0)  # segments are staff-only
