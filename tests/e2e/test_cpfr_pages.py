"""The CPFR page in headless Chromium, in English (a planner: exceptions first, an override with its reason,
a refused override without one, the event uplift per type) and Chinese (a partner user: its own lines only,
a forecast file uploaded from the page as a new version, a bulk accept of its numbers). The module seeds its
own server so the shared e2e database stays untouched."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import insert

from qudao import migrate
from qudao.common.actor import SYSTEM
from qudao.cpfr.schemas import PartnerForecastRowIn
from qudao.cpfr.service import submit_partner_forecast
from qudao.db import make_engine, make_session_factory, unit_of_work, utcnow
from qudao.demand.models import EventUplift
from qudao.forecasting.models import ForecastRun, ForecastValue
from tests import factories
from tests.e2e.conftest import CHROMIUM, serve
from tests.factories import PASSWORD

if not CHROMIUM.exists():
    pytest.skip(f"headless browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e
TODAY = utcnow().date()
MONDAY = TODAY + timedelta(days=7 - TODAY.weekday())


def _seed(session) -> None:  # type: ignore[no-untyped-def]
    channel = factories.channel(session, code="CP-CH")
    mine = factories.partner(session, code="CP-MINE")
    other = factories.partner(session, code="CP-OTHER")
    wh = factories.location(session, code="CP-WH", kind="partner_warehouse", owner_partner_code=mine.code)
    other_wh = factories.location(session, code="CP-WH2", kind="partner_warehouse", owner_partner_code=other.code)
    category = factories.category(session)
    tea = factories.product(session, sku="CP-TEA", category_code=category.code)
    factories.product(session, sku="CP-CUP", category_code=category.code)
    factories.user(session, "planner", username="cp-planner")
    factories.user(session, "partner", partner_code=mine.code, username="cp-partner")
    run = ForecastRun(status="succeeded", grain="day", horizon=28, scope={}, requested_by="seed")
    session.add(run)
    session.flush()
    session.execute(insert(ForecastValue), [
        {"run_id": run.id, "product_id": tea.id, "location_id": place.id, "channel_id": channel.id,
         "ds": MONDAY + timedelta(days=i), "forecast": 10.0, "lo_80": 5.0, "hi_80": 15.0, "lo_95": 2.0,
         "hi_95": 18.0, "model": "seed"} for i in range(28) for place in (wh, other_wh)])
    week = lambda n: (MONDAY + timedelta(days=7 * n)).isoformat()  # noqa: E731
    rows = [PartnerForecastRowIn(sku="CP-TEA", location_code="CP-WH", channel_code="CP-CH", period_start=week(0),
                                 quantity="100"),
            PartnerForecastRowIn(sku="CP-TEA", location_code="CP-WH", channel_code="CP-CH", period_start=week(1),
                                 quantity="72")]
    submit_partner_forecast(session, SYSTEM, rows)
    submit_partner_forecast(session, SYSTEM, [PartnerForecastRowIn(
        sku="CP-TEA", location_code="CP-WH2", channel_code="CP-CH", period_start=week(0), quantity="300")])
    session.execute(insert(EventUplift), [{"kind": "double_11", "channel_id": None, "uplift": 1.8, "observations": 12,
                                           "event_days": 36, "event_demand": 540.0, "baseline_demand": 300.0,
                                           "computed_at": utcnow()}])


@pytest.fixture(scope="module")
def cpfr_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("e2e-cpfr")
    url = f"sqlite:///{state / 'cpfr.db'}"
    migrate.upgrade(url)
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as session:
        _seed(session)
    factory.kw["bind"].dispose()
    with serve(url, state, "e2e-cpfr-secret-0123456789-0123456789-01") as base_url:
        yield base_url


@pytest.fixture
def tab(browser, cpfr_server: str) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=cpfr_server, locale="en-US", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, username: str, lang: str) -> None:
    page.goto(f"/lang/{lang}?next=/login%3Fnext%3D/cpfr")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/cpfr")


def test_planner_overrides_an_exception_in_english(tab: Page) -> None:
    log_in(tab, "cp-planner", "en")
    expect(tab.locator("aside.sidebar").get_by_role("link", name="CPFR", exact=True)).to_be_visible()
    expect(tab.get_by_role("heading", name="Exceptions")).to_be_visible()
    # 100 vs 70 (10 a day) at CP-WH and 300 vs 70 at CP-WH2 are exceptions; 72 vs 70 is not.
    expect(tab.get_by_test_id("exceptions-total")).to_have_text("2")
    row = tab.locator("[data-testid=exceptions] tbody tr").filter(has_text="CP-WH2")
    expect(row.get_by_test_id("statistical")).to_have_text("70.0")
    expect(row.get_by_test_id("gap")).to_contain_text("+230.0")
    mine = tab.locator("[data-testid=exceptions] tbody tr").filter(has_text="CP-MINE")
    expect(mine.get_by_test_id("partner-qty")).to_have_text("100.0")
    form = mine.get_by_test_id("override-form")
    form.locator("input[name=quantity]").fill("90")
    form.get_by_test_id("override").click()  # no reason: refused, nothing kept
    expect(tab.get_by_test_id("form-error")).to_contain_text("reason")
    mine = tab.locator("[data-testid=exceptions] tbody tr").filter(has_text="CP-MINE")
    form = mine.get_by_test_id("override-form")
    form.locator("input[name=quantity]").fill("90")
    form.locator("input[name=reason]").fill("new store opens")
    form.get_by_test_id("override").click()
    expect(tab.get_by_test_id("notice")).to_have_text("The consensus was overridden.")
    mine = tab.locator("[data-testid=exceptions] tbody tr").filter(has_text="CP-MINE")
    expect(mine.get_by_test_id("consensus")).to_contain_text("90.0 override")
    expect(tab.get_by_test_id("lines")).to_contain_text("new store opens")
    uplift = tab.get_by_test_id("uplift").locator("tr[data-kind=double_11]")
    expect(uplift).to_contain_text("Double 11")
    expect(uplift.get_by_test_id("uplift-factor")).to_have_text("1.80×")


def test_partner_uploads_and_accepts_in_chinese(tab: Page) -> None:
    log_in(tab, "cp-partner", "zh-CN")
    expect(tab.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(tab.get_by_role("heading", name="我方预测行")).to_be_visible()
    expect(tab.get_by_test_id("lines")).not_to_contain_text("CP-OTHER")
    expect(tab.get_by_test_id("exceptions-total")).to_have_text("1")
    week2 = (MONDAY + timedelta(days=14)).isoformat()
    content = f"sku,location_code,channel_code,grain,period_start,quantity\nCP-TEA,CP-WH,CP-CH,week,{week2},95\n"
    tab.get_by_test_id("file").set_input_files(files=[{"name": "forecast.csv", "mimeType": "text/csv",
                                                       "buffer": content.encode()}])
    tab.get_by_test_id("upload").click()
    expect(tab.get_by_test_id("notice")).to_have_text("预测文件已作为新版本接受。")
    expect(tab.get_by_test_id("versions").locator("tbody tr").first).to_contain_text("cp-partner")
    expect(tab.get_by_test_id("exceptions-total")).to_have_text("2")  # 95 vs 70: a new exception
    # A file naming another partner's location is refused whole, with the line number.
    bad = "sku,location_code,channel_code,period_start,quantity\nCP-TEA,CP-WH2,CP-CH," + week2 + ",5\n"
    tab.get_by_test_id("file").set_input_files(files=[{"name": "bad.csv", "mimeType": "text/csv",
                                                       "buffer": bad.encode()}])
    tab.get_by_test_id("upload").click()
    expect(tab.get_by_test_id("form-error")).to_contain_text("location_code (row 2)")
    # Accept its own numbers on both exceptions.
    for box in tab.locator("[data-testid=exceptions] input[name=ids]").all():
        box.check()
    bulk = tab.get_by_test_id("bulk-accept")
    bulk.locator("select[name=source]").select_option("partner")
    bulk.locator("input[name=reason]").fill("门店促销计划")
    bulk.get_by_test_id("accept").click()
    expect(tab.get_by_test_id("notice")).to_have_text("所选行已更新。")
    consensus = tab.locator("[data-testid=exceptions] [data-testid=consensus]")
    expect(consensus.first).to_contain_text("调整")
    expect(tab.get_by_test_id("lines")).to_contain_text("门店促销计划")
