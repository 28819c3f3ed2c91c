"""The partner portal in headless Chromium, in English and Chinese: a partner user reaches /portal from the nav
and sees its own order (linking to the order page), stock, sell-through and scorecard, never the other
partner's; staff get 403."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert

from tests.e2e.conftest import CHROMIUM, open_page, serve

if not CHROMIUM.exists():
    pytest.skip(f"headless browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Page, expect

from qudao import migrate
from qudao.db import make_engine, make_session_factory, unit_of_work
from qudao.demand.models import SellThrough
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def _seed(url: str) -> dict[str, int]:
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as session:
        channel = factories.channel(session, code="PT-CH")
        mine = factories.partner(session, code="PT-MINE", name="东方茶行", roles=["retailer"])
        theirs = factories.partner(session, code="PT-THEIRS", name="南方商贸", roles=["retailer"])
        my_store = factories.location(session, code="PT-MY-STORE", kind="store", owner_partner_code=mine.code)
        their_store = factories.location(session, code="PT-THEIR-STORE", kind="store",
                                         owner_partner_code=theirs.code)
        tea = factories.product(session, sku="PT-TEA")
        factories.stock(session, tea, my_store, 7)
        factories.stock(session, tea, their_store, 9)
        my_order = factories.sales_order(session, channel, mine, my_store, [(tea, 1)])
        their_order = factories.sales_order(session, channel, theirs, their_store, [(tea, 2)])
        session.execute(insert(SellThrough), [
            {"day": date.today(), "product_id": tea.id, "location_id": loc.id, "channel_id": channel.id,
             "partner_id": p.id, "quantity": Decimal(3), "revenue": Decimal(30)}
            for p, loc in ((mine, my_store), (theirs, their_store))])
        factories.user(session, "partner", partner_code=mine.code, username="pt_mine")
        factories.user(session, "admin", username="pt_admin")
        ids = {"mine": my_order.id, "theirs": their_order.id}
    factory.kw["bind"].dispose()
    return ids


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    state: Path = tmp_path_factory.mktemp("e2e-portal")
    url = f"sqlite:///{state / 'portal.db'}"
    migrate.upgrade(url)
    ids = _seed(url)
    with serve(url, state, "e2e-portal-secret-0123456789abcdef01") as base_url:
        yield base_url, ids


def _page(browser, server: tuple[str, dict[str, int]], locale: str) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    yield from open_page(browser, server[0], locale, 900)


@pytest.fixture
def page_en(browser, server) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    yield from _page(browser, server, "en-US")


@pytest.fixture
def page_zh(browser, server) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    yield from _page(browser, server, "zh-CN")


def _log_in(page: Page, username: str, lang: str, target: str = "/") -> None:
    page.goto(f"/lang/{lang}?next=/login%3Fnext%3D{target}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"**{target}")


def test_partner_portal_in_english(page_en: Page, server: tuple[str, dict[str, int]]) -> None:
    ids = server[1]
    _log_in(page_en, "pt_mine", "en")
    page_en.locator("aside.sidebar").get_by_role("link", name="My portal", exact=True).click()
    page_en.wait_for_url("**/portal")
    expect(page_en.locator("h2")).to_contain_text("Partner portal")
    orders = page_en.get_by_test_id("portal-orders")
    expect(orders.locator(f"tr[data-order='{ids['mine']}']")).to_have_count(1)
    expect(orders.locator(f"tr[data-order='{ids['theirs']}']")).to_have_count(0)
    expect(page_en.get_by_test_id("portal-stock")).to_contain_text("PT-MY-STORE")
    expect(page_en.get_by_test_id("portal-stock")).not_to_contain_text("PT-THEIR-STORE")
    expect(page_en.get_by_test_id("portal-sell-through").locator("tr[data-location='PT-MY-STORE']")).to_have_count(1)
    expect(page_en.get_by_test_id("portal-sell-through")).not_to_contain_text("PT-THEIR-STORE")
    expect(page_en.get_by_test_id("portal-scorecard").get_by_test_id("score")).to_be_visible()
    orders.locator(f"tr[data-order='{ids['mine']}'] a").click()
    page_en.wait_for_url(f"**/orders/{ids['mine']}")


def test_partner_portal_in_chinese_and_staff_refused(page_zh: Page, server: tuple[str, dict[str, int]]) -> None:
    _log_in(page_zh, "pt_mine", "zh-CN", "/portal")
    expect(page_zh.locator("h2")).to_contain_text("伙伴门户")
    expect(page_zh.get_by_test_id("portal-stock")).to_contain_text("我的库存")
    page_zh.context.clear_cookies()
    _log_in(page_zh, "pt_admin", "zh-CN")
    response = page_zh.goto("/portal")
    assert response is not None and response.status == 403
    expect(page_zh.locator("aside.sidebar a[data-nav='portal']")).to_have_count(0)
