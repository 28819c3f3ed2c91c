"""Supplier pages in headless Chromium, in English and Chinese: staff see the scorecards (score, grade,
trend chart) and sourcing; a supplier's user sees only its own orders, confirms a line, is refused a
shipping notice above the open quantity, sends one, and sees its own scorecard only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM, open_page, serve

if not CHROMIUM.exists():
    pytest.skip(f"headless browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Page, expect

from qudao import migrate
from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory, unit_of_work
from qudao.purchasing import service as purchasing
from qudao.purchasing.schemas import PurchaseOrderCreate
from qudao.suppliers import service, sourcing
from qudao.suppliers.schemas import RefreshIn, SourcingCreate
from qudao.web.common import STATIC_DIR
from tests import factories
from tests.factories import PASSWORD
from tests.integration.test_supplier_scorecards import hand_worked_case

pytestmark = pytest.mark.e2e


def _seed(url: str) -> None:
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as session:
        hand_worked_case(session)  # SC-SUP: score 76.33, grade C, tier preferred
        service.refresh_scorecards(session, SYSTEM, RefreshIn())
        factories.partner(session, code="E2E-OTHER", roles=["supplier"])
        for code, supplier in (("E2E-PO-MINE", "SC-SUP"), ("E2E-PO-OTHER", "E2E-OTHER")):
            purchasing.create_purchase_order(session, SYSTEM, PurchaseOrderCreate(
                code=code, supplier_code=supplier, location_code="SC-DC",
                lines=[{"sku": "SC-RICE", "quantity": "40", "unit_cost": "10"}]))
            purchasing.confirm_purchase_order(session, SYSTEM, code)
        sourcing.create_sourcing(session, SYSTEM, SourcingCreate(sku="SC-RICE", suppliers=[
            {"supplier_code": "SC-SUP", "share_pct": "100"}]))
        factories.user(session, "planner", username="sup_planner")
        factories.user(session, "partner", partner_code="SC-SUP", username="sup_rice")
    factory.kw["bind"].dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (STATIC_DIR / "vendor" / "echarts.min.js").is_file():
        pytest.fail("the front-end packages are missing: run `make assets` first")
    state: Path = tmp_path_factory.mktemp("e2e-suppliers")
    url = f"sqlite:///{state / 'suppliers.db'}"
    migrate.upgrade(url)
    _seed(url)
    with serve(url, state, "e2e-suppliers-secret-0123456789abcdef") as base_url:
        yield base_url


def _page(browser, server: str, locale: str) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    yield from open_page(browser, server, locale, 900)


@pytest.fixture
def page_en(browser, server) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    yield from _page(browser, server, "en-US")


@pytest.fixture
def page_zh(browser, server) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    yield from _page(browser, server, "zh-CN")


def _log_in(page: Page, username: str, lang: str, target: str) -> None:
    page.goto(f"/lang/{lang}?next=/login%3Fnext%3D{target}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"**{target}")


def test_scorecards_and_sourcing_in_english(page_en: Page) -> None:
    _log_in(page_en, "sup_planner", "en", "/suppliers")
    expect(page_en.locator("aside.sidebar").get_by_role("link", name="Suppliers", exact=True)).to_be_visible()
    row = page_en.get_by_test_id("scorecards").locator("tr[data-supplier='SC-SUP']")
    expect(row.locator("[data-field=score]")).to_have_text("76.33")
    expect(row.get_by_test_id("grade")).to_have_text("C")
    expect(row.locator("[data-field=tier]")).to_have_text("Preferred")
    row.get_by_role("link", name="SC-SUP").click()
    expect(page_en.locator("h2")).to_contain_text("Scorecard: SC-SUP")
    expect(page_en.get_by_test_id("trend-chart").locator("canvas")).to_have_count(1)
    expect(page_en.get_by_test_id("trend").locator("tbody tr")).not_to_have_count(0)
    page_en.get_by_role("link", name="Sourcing rules").click()
    expect(page_en.get_by_test_id("single-source").locator("li[data-sku='SC-RICE']")).to_contain_text("SC-SUP")


def test_supplier_portal_in_chinese(page_zh: Page) -> None:
    _log_in(page_zh, "sup_rice", "zh-CN", "/suppliers/portal")
    expect(page_zh.locator("aside.sidebar").get_by_role("link", name="供应商门户")).to_be_visible()
    orders = page_zh.get_by_test_id("orders")
    expect(orders.locator("tr[data-code='E2E-PO-MINE']")).to_be_visible()
    expect(orders.locator("tr[data-code='E2E-PO-OTHER']")).to_have_count(0)
    orders.get_by_role("link", name="E2E-PO-MINE").click()
    page_zh.locator("input[name=confirm_qty_1]").fill("40")
    page_zh.locator("input[name=confirm_date_1]").fill("2999-02-01")
    page_zh.get_by_test_id("confirm").click()
    expect(page_zh.locator("input[name=confirm_date_1]")).to_have_value("2999-02-01")
    form = page_zh.get_by_test_id("notice-form")
    form.locator("input[name=ship_date]").fill("2999-01-28")
    form.locator("input[name=expected_arrival]").fill("2999-02-01")
    form.locator("input[name=carrier]").fill("顺丰")
    form.locator("input[name=tracking_number]").fill("SF-E2E")
    form.locator("input[name=ship_qty_1]").fill("41")
    form.get_by_test_id("send-notice").click()
    expect(page_zh.get_by_test_id("error")).to_contain_text("40 open to ship")
    page_zh.get_by_test_id("notice-form").locator("input[name=ship_qty_1]").fill("40")
    page_zh.get_by_test_id("send-notice").click()
    expect(page_zh.get_by_test_id("notices")).to_contain_text("SF-E2E")
    expect(page_zh.get_by_test_id("lines").locator("[data-field=open]")).to_have_text("0.00")
    page_zh.get_by_role("link", name="我的评分卡").click()
    expect(page_zh.locator("h2")).to_contain_text("评分卡: SC-SUP")
    expect(page_zh.get_by_test_id("trend-chart").locator("canvas")).to_have_count(1)
    assert page_zh.goto("/suppliers/scorecards/E2E-OTHER").status == 404
    assert page_zh.goto("/suppliers/portal/orders/E2E-PO-OTHER").status == 404
