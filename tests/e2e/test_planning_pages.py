"""The planner's page in headless Chromium, in English and Chinese, on the hand-worked network of
test_planning_run: a run started from the page (polled until it finishes and the page reloads), exceptions
first, the projected-inventory chart, the pegging drill-down, and two proposals approved into transfers.
The module seeds its own server, with one run already planned so each test stands alone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from qudao import migrate
from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory, unit_of_work
from qudao.planning import service
from qudao.planning.schemas import RunCreate
from tests import factories
from tests.e2e.conftest import CHROMIUM, serve
from tests.factories import PASSWORD
from tests.integration.test_planning_run import START, seed

if not CHROMIUM.exists():
    pytest.skip(f"headless browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def _seed(url: str) -> None:
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as session:
        seed(session)
        factories.user(session, "planner", username="pl-planner")
        run = service.start_run(session, SYSTEM, RunCreate(start=START, horizon=6, history_days=28))
        session.flush()
        run_id = run.id
    assert service.execute_run(factory, run_id, SYSTEM).status == "succeeded"
    factory.kw["bind"].dispose()


@pytest.fixture(scope="module")
def planning_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("e2e-planning")
    url = f"sqlite:///{state / 'planning.db'}"
    migrate.upgrade(url)
    _seed(url)
    with serve(url, state, "e2e-planning-secret-0123456789-0123456789") as base_url:
        yield base_url


@pytest.fixture
def tab(browser, planning_server: str) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=planning_server, locale="en-US", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    context.close()


def _log_in(page: Page) -> None:
    page.goto("/login?next=/planning")
    page.get_by_label("Username").fill("pl-planner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/planning$"))


def _approve_two(page: Page, location: str) -> None:
    """Filter the open transfers to ``location``, tick the first two, approve; two transfers are created."""
    filters = page.get_by_test_id("proposal-filters")
    filters.get_by_test_id("p-kind").select_option("transfer")
    filters.get_by_test_id("p-status").select_option("proposed")
    filters.get_by_test_id("p-loc").fill(location)
    filters.get_by_role("button").click()
    rows = page.get_by_test_id("proposals").locator("tbody tr[data-status='proposed']")
    expect(rows.first).to_be_visible()
    for i in range(2):
        rows.nth(i).locator("input[type=checkbox]").check()
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("result")).to_be_visible()
    expect(page.get_by_test_id("order-code")).to_have_count(2)
    expect(page.get_by_test_id("order-code").first).to_have_text(re.compile(r"^TR-"))


def test_start_a_run_see_exceptions_chart_and_approve_in_english(tab: Page) -> None:
    _log_in(tab)
    expect(tab.locator("aside.sidebar").get_by_role("link", name="Planning", exact=True)).to_be_visible()
    before = tab.get_by_test_id("runs").locator("tbody tr").count()
    form = tab.get_by_test_id("start-run")
    form.get_by_test_id("run-start").fill(START.isoformat())
    form.get_by_test_id("run-horizon").fill("6")
    form.get_by_test_id("run-history").fill("28")
    form.get_by_test_id("start").click()
    # The new run is listed, polled while it runs, and the page shows it once it has succeeded.
    expect(tab.get_by_test_id("runs").locator("tbody tr")).to_have_count(before + 1)
    expect(tab.get_by_test_id("runs").locator("tbody tr").first).to_have_attribute("data-status", "succeeded",
                                                                                   timeout=60_000)
    tab.reload()
    expect(tab.get_by_test_id("run-caption")).to_contain_text(f"from {START.isoformat()}, 6 buckets")
    exceptions = tab.get_by_test_id("exceptions")
    expect(exceptions.locator("tbody tr").first).to_have_attribute("data-kind", "shortage")
    expect(exceptions).to_contain_text("PL-PLANT")
    # The chart of one SKU x location, picked from the exceptions table.
    exceptions.get_by_role("link", name="PL-TEA").first.click()
    expect(tab.get_by_test_id("chart-caption")).to_contain_text("PL-TEA at PL-PLANT")
    expect(tab.locator("#projection-chart canvas").first).to_be_visible()
    tab.get_by_test_id("chart-loc").fill("PL-D1")
    tab.get_by_test_id("show-chart").click()
    expect(tab.get_by_test_id("chart-caption")).to_contain_text("PL-TEA at PL-D1: 25.00 available at the start, "
                                                                "safety stock 5.00")
    expect(tab.locator("#projection-chart canvas").first).to_be_visible()
    # Pegging drill-down: the first D1 transfer serves forecast buckets.
    tab.get_by_test_id("p-loc").fill("PL-D1")
    tab.get_by_test_id("proposal-filters").get_by_role("button").click()
    tab.get_by_test_id("proposals").locator("tbody tr button").first.click()
    expect(tab.get_by_test_id("pegs")).to_contain_text("Forecast bucket")
    _approve_two(tab, "PL-D1")
    expect(tab.get_by_test_id("result")).to_contain_text("Approved 2 proposals.")
    expect(tab.get_by_test_id("result")).to_contain_text("2 orders created")


def test_exceptions_chart_and_approval_in_chinese(tab: Page) -> None:
    _log_in(tab)
    tab.goto("/lang/zh-CN?next=/planning")
    expect(tab.get_by_role("heading", name="供应计划")).to_be_visible()
    expect(tab.locator("aside.sidebar").get_by_role("link", name="计划", exact=True)).to_be_visible()
    expect(tab.get_by_role("heading", name="异常")).to_be_visible()
    expect(tab.get_by_test_id("exceptions").locator("tbody tr").first).to_contain_text("缺货")
    expect(tab.get_by_role("heading", name="预计库存")).to_be_visible()
    expect(tab.locator("#projection-chart canvas").first).to_be_visible()
    expect(tab.get_by_role("heading", name="短缺供应的分配")).to_be_visible()
    tab.get_by_test_id("tick-all").check()  # every open proposal shown is ticked, then all untick again
    expect(tab.locator("#decide input[name=ids]:checked")).to_have_count(
        tab.locator("#decide input[name=ids]").count())
    tab.get_by_test_id("tick-all").uncheck()
    expect(tab.locator("#decide input[name=ids]:checked")).to_have_count(0)
    _approve_two(tab, "PL-D2")
    expect(tab.get_by_test_id("result")).to_contain_text("已批准 2 条建议。")
    expect(tab.get_by_test_id("result")).to_contain_text("已创建 2 张单据")
