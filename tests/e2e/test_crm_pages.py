"""The CRM page in headless Chromium, in English and Chinese: staff see the ticket queue with SLA timers,
the pipeline by stage and a customer 360, and open a ticket through the form; a partner sees only its own
tickets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM, open_page, serve

if not CHROMIUM.exists():
    pytest.skip(f"headless browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Page, expect

from qudao import migrate
from qudao.common.actor import SYSTEM
from qudao.crm import contacts, pipeline
from qudao.crm import service as tickets
from qudao.crm.schemas import CrmContactCreate, OpportunityCreate, TicketCreate
from qudao.db import make_engine, make_session_factory, unit_of_work, utcnow
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def _seed(url: str) -> dict[str, int]:
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as session:
        mine = factories.partner(session, code="CRM-MINE", name="东方茶行", roles=["retailer"])
        theirs = factories.partner(session, code="CRM-THEIRS", name="南方商贸", roles=["retailer"])
        late = tickets.open_ticket(session, SYSTEM, TicketCreate(customer_code=mine.code, subject="Late van",
                                                                 category="delivery", priority="urgent"),
                                   now=utcnow() - timedelta(hours=2))
        other = tickets.open_ticket(session, SYSTEM, TicketCreate(customer_code=theirs.code, subject="Other's",
                                                                  category="billing"))
        contacts.create_contact(session, SYSTEM, CrmContactCreate(customer_code=mine.code, name="Zhao Min",
                                                                  email="zhao@mine.cn", tags=["vip"]))
        pipeline.create_opportunity(session, SYSTEM, OpportunityCreate(
            customer_code=mine.code, name="Autumn range", stage="proposal", amount=Decimal(800),
            expected_close=date(2031, 9, 15)))
        factories.user(session, "sales", username="crm_sales")
        factories.user(session, "partner", partner_code=mine.code, username="crm_mine")
        ids = {"late": late.id, "other": other.id}
    factory.kw["bind"].dispose()
    return ids


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    state: Path = tmp_path_factory.mktemp("e2e-crm")
    url = f"sqlite:///{state / 'crm.db'}"
    migrate.upgrade(url)
    ids = _seed(url)
    with serve(url, state, "e2e-crm-secret-0123456789abcdef0123") as base_url:
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
    page.goto(f"/lang/{lang}?next=/login%3Fnext%3D/crm")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/crm")


def test_staff_page_in_english(page_en: Page, server: tuple[str, dict[str, int]]) -> None:
    ids = server[1]
    _log_in(page_en, "crm_sales", "en")
    expect(page_en.locator("aside.sidebar").get_by_role("link", name="CRM", exact=True)).to_be_visible()
    queue = page_en.get_by_test_id("ticket-queue")
    late = queue.locator(f"tr[data-ticket='{ids['late']}']")
    expect(late).to_contain_text("breached by 1.0 h")  # urgent: first response due after 1 h, open 2 h
    expect(late).to_contain_text("Urgent")
    expect(queue.locator(f"tr[data-ticket='{ids['other']}']")).to_have_count(1)
    expect(page_en.get_by_test_id("pipeline").locator("tr[data-stage='proposal']")).to_contain_text("400")
    page_en.locator("select[name=customer]").select_option("CRM-MINE")
    page_en.get_by_test_id("show-customer").click()
    expect(page_en.get_by_test_id("customer-name")).to_contain_text("CRM-MINE")
    expect(page_en.get_by_test_id("contacts")).to_contain_text("Zhao Min")
    expect(page_en.get_by_test_id("opportunities")).to_contain_text("Autumn range")
    page_en.locator("details summary").click()
    form = page_en.get_by_test_id("ticket-form")
    form.locator("select[name=customer_code]").select_option("CRM-MINE")
    form.locator("input[name=subject]").fill("Cracked lids")
    form.locator("select[name=category]").select_option("quality")
    form.locator("button[type=submit]").click()
    expect(page_en.get_by_test_id("ticket-queue")).to_contain_text("Cracked lids")
    expect(page_en.get_by_test_id("timeline")).to_contain_text("Cracked lids")


def test_partner_page_in_chinese(page_zh: Page, server: tuple[str, dict[str, int]]) -> None:
    ids = server[1]
    _log_in(page_zh, "crm_mine", "zh-CN")
    expect(page_zh.locator("h2")).to_have_text("客户关系管理")
    queue = page_zh.get_by_test_id("ticket-queue")
    expect(queue.locator(f"tr[data-ticket='{ids['late']}']")).to_contain_text("紧急")
    expect(queue.locator(f"tr[data-ticket='{ids['other']}']")).to_have_count(0)  # another customer's ticket
    expect(page_zh.get_by_test_id("pipeline")).to_have_count(0)  # the pipeline is staff's
    expect(page_zh.get_by_test_id("customer-name")).to_contain_text("东方茶行")
