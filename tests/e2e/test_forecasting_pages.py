"""The forecasting page in headless Chromium, in English and Chinese: the chart of history, forecast and
80/95% bands for a SKU and a roll-up, a run started from the page and polled to its end, the accuracy trend.
The module seeds its own server (history and one finished run) so the shared e2e database stays untouched."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from qudao import migrate
from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory, unit_of_work
from qudao.forecasting import service
from qudao.forecasting.accuracy import measure_accuracy
from qudao.forecasting.schemas import ForecastRunCreate
from tests import factories
from tests.e2e.conftest import CHROMIUM, serve
from tests.factories import PASSWORD
from tests.integration.test_forecast_runs import START, seed_history

if not CHROMIUM.exists():
    pytest.skip(f"headless browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def forecast_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("e2e-forecast")
    url = f"sqlite:///{state / 'forecast.db'}"
    migrate.upgrade(url)
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as session:
        seed_history(session, prefix="FE")
        factories.user(session, "admin", username="fe-admin")
        run = service.start_run(session, SYSTEM, ForecastRunCreate(grain="day", horizon=7,
                                                                   history_end=START + timedelta(days=62)))
        session.flush()
        run_id = run.id
    service.execute_run(lambda: unit_of_work(factory), SYSTEM, run_id)
    with unit_of_work(factory) as session:
        measure_accuracy(session, SYSTEM, run_id)
    factory.kw["bind"].dispose()
    with serve(url, state, "e2e-forecast-secret-0123456789-0123456789") as base_url:
        yield base_url


@pytest.fixture
def tab(browser, forecast_server: str) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=forecast_server, locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, start: str) -> None:
    page.goto(f"/login?next={start}")
    page.locator('input[name="username"]').fill("fe-admin")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('button[type="submit"]').click()


def chart_series(page: Page) -> list[str]:
    return page.evaluate("echarts.getInstanceByDom(document.getElementById('forecast-chart'))"
                         ".getOption().series.map(s => s.name)")


def test_chart_of_a_sku_and_a_roll_up_in_english(tab: Page) -> None:
    log_in(tab, "/forecasting%3Fgrain%3Dday%26sku%3DFE-SEASONAL%26location%3DFE-L-EAST")
    expect(tab.get_by_role("heading", name="History and forecast")).to_be_visible()
    expect(tab.get_by_test_id("chart").locator("canvas").first).to_be_visible()
    expect(tab.get_by_test_id("chart-caption")).to_contain_text("1 series")
    names = chart_series(tab)
    assert names.count("95% interval") == 2 and names.count("80% interval") == 2
    assert "History" in names and "Forecast" in names
    # The stored forecast repeats the weekly pattern; the chart's last seven forecast points show it.
    forecast = tab.evaluate("JSON.parse(document.getElementById('chart-data').textContent).forecast.slice(-7)")
    assert [round(v) for v in forecast] == [10, 12, 14, 16, 18, 30, 40]
    if shots := os.environ.get("QUDAO_E2E_SCREENSHOTS"):
        tab.screenshot(path=str(Path(shots) / "qudao-forecasting-en.png"), full_page=True)
    # A roll-up: the whole category (three series), with the roll-up note.
    tab.get_by_test_id("sku").fill("")
    tab.get_by_label("Location").select_option("")
    tab.get_by_label("Category").select_option("FE-CAT")
    tab.get_by_test_id("show").click()
    expect(tab.get_by_test_id("chart-caption")).to_contain_text("3 series")
    expect(tab.get_by_test_id("chart-caption")).to_contain_text("Roll-up")
    expect(tab.get_by_test_id("chart").locator("canvas").first).to_be_visible()
    # The accuracy trend by demand class lists the measured run.
    expect(tab.get_by_test_id("trend")).to_contain_text("Smooth")
    expect(tab.get_by_test_id("trend")).to_contain_text("Intermittent")


def test_a_run_started_on_the_page_is_polled_to_its_end_in_chinese(tab: Page) -> None:
    log_in(tab, "/forecasting")
    tab.locator('[data-lang="zh-CN"]').click()
    expect(tab.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(tab.get_by_role("heading", name="历史与预测")).to_be_visible()
    runs_before = tab.locator("[data-testid=runs] tbody tr[data-run]").count()
    form = tab.get_by_test_id("start-run")
    form.locator('select[name="grain"]').select_option("day")
    form.locator('input[name="horizon"]').fill("3")
    form.get_by_test_id("start").click()
    rows = tab.locator("[data-testid=runs] tbody tr[data-run]")
    expect(rows).to_have_count(runs_before + 1)
    newest = rows.first
    # htmx polls the table every 2 s while the run is queued or running; it ends as succeeded.
    expect(newest).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(newest).to_contain_text("成功")
    expect(tab.locator("#runs")).to_have_attribute("data-active", "false")
    tab.goto("/forecasting?grain=day&sku=FE-SPARSE")
    expect(tab.get_by_test_id("chart").locator("canvas").first).to_be_visible()
    assert "95% 区间" in chart_series(tab)
    expect(tab).to_have_url(re.compile(r"sku=FE-SPARSE"))
