"""Operations pages in headless Chromium, in Chinese and in English: a partial pick / pack / ship of an
order, a purchase-order receipt (the tolerance error first, then a partial receipt) and a cycle count
up to approved variances. What each flow needs is booked through the REST API as the admin."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import CHROMIUM
from tests.factories import PASSWORD

if not CHROMIUM.exists():
    pytest.skip(f"headless browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Page, expect

from tests.e2e.test_web_shell import log_in

pytestmark = pytest.mark.e2e
LANGS = ["zh-CN", "en"]
# Labels the flows check, per language (from the message catalogues).
TEXT = {
    "zh-CN": {"partially_shipped": "部分发运", "partially_received": "部分收货", "approved": "已批准",
              "pick": "开始拣货", "receive": "收货"},
    "en": {"partially_shipped": "Partially shipped", "partially_received": "Partially received",
           "approved": "Approved", "pick": "Start picking", "receive": "Receive"},
}


@pytest.fixture(scope="module")
def api(live_server: str) -> Iterator[httpx.Client]:
    """The REST API as the seeded admin, for booking what a flow starts from."""
    with httpx.Client(base_url=f"{live_server}/api/v1", timeout=30) as client:
        token = client.post("/auth/token", data={"username": "admin", "password": PASSWORD})
        assert token.status_code == 200, token.text
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield client


def _post(api: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


def _signed_in(page: Page, lang: str, start: str) -> None:
    log_in(page, "admin", start=f"/login?next={start}")
    expect(page.get_by_test_id("who")).to_be_visible()
    page.goto(f"/lang/{lang}?next={start}")
    expect(page.locator("html")).to_have_attribute("lang", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_ship_part_of_an_order(page: Page, api: httpx.Client, lang: str) -> None:
    _post(api, "/inventory/receipts", {"sku": "TEA-001", "location_code": "DC-01", "quantity": "20",
                                       "unit_cost": "4"})
    order = _post(api, "/orders", {"channel_code": "DIST", "external_order_id": f"E2E-{uuid.uuid4().hex[:8]}",
                                   "customer_code": "P-EAST", "ship_to_code": "LOC-EAST",
                                   "lines": [{"sku": "TEA-001", "quantity": "8"}]})
    _signed_in(page, lang, f"/orders/{order['id']}")
    quantity = page.get_by_test_id("ship-qty-1")
    expect(quantity).to_have_value("8.00")
    quantity.fill("3")
    page.get_by_role("button", name=TEXT[lang]["pick"]).click()
    shipments = page.get_by_test_id("shipments")
    expect(shipments).to_contain_text("TEA-001 × 3.00")
    expect(page.get_by_test_id("ship-qty-1")).to_have_value("5.00")  # 8 allocated, 3 in the pick
    for step in ("picked", "packed"):
        shipments.locator(f'button[data-step="{step}"]').click()
    shipments.locator('input[name="carrier"]').fill("SF Express")
    shipments.get_by_label(re.compile("Tracking|运单号")).fill("SF-E2E-1")
    shipments.locator('button[data-step="shipped"]').click()
    expect(page.get_by_test_id("status")).to_have_text(TEXT[lang]["partially_shipped"])
    expect(page.locator('tr[data-line="1"] [data-field="shipped"]')).to_have_text("3.00")
    expect(page.locator('tr[data-line="1"] [data-field="allocated"]')).to_have_text("5.00")
    expect(page.get_by_test_id("timeline").locator('li[data-kind="shipment_shipped"]')).to_contain_text(
        "shipped with SF Express SF-E2E-1")


@pytest.mark.parametrize("lang", LANGS)
def test_receive_a_purchase_order_in_part(page: Page, api: httpx.Client, lang: str) -> None:
    po = _post(api, "/purchase-orders", {"supplier_code": "P-WEST", "location_code": "DC-01",
                                         "over_receipt_tolerance_pct": "5",
                                         "lines": [{"sku": "COF-001", "quantity": "40", "unit_cost": "30"}]})
    _post(api, f"/purchase-orders/{po['code']}/confirm", {})
    _signed_in(page, lang, f"/purchase-orders/{po['code']}")
    received = page.get_by_test_id("receive-qty-1")
    received.fill("43")  # 40 ordered + 5 % = at most 42
    page.get_by_test_id("receive").click()
    expect(page.locator('[data-error-for="quantity-1"]')).to_contain_text("tolerance allows at most")
    expect(page.get_by_test_id("receive-qty-1")).to_have_value("43")
    page.get_by_test_id("receive-qty-1").fill("25")
    page.get_by_test_id("receive").click()
    expect(page.get_by_test_id("status")).to_have_text(TEXT[lang]["partially_received"])
    expect(page.locator('tr[data-line="1"] [data-field="received"]')).to_have_text("25.00")
    expect(page.locator('tr[data-line="1"] [data-field="outstanding"]')).to_have_text("15.00")


@pytest.mark.parametrize("lang", LANGS)
def test_count_and_approve_the_variance(page: Page, api: httpx.Client, lang: str) -> None:
    location = f"CNT-{lang}"
    _post(api, "/locations", {"code": location, "name": f"Count bay {lang}", "kind": "distribution_centre"})
    _post(api, "/inventory/receipts", {"sku": "TEA-002", "location_code": location, "quantity": "12",
                                       "unit_cost": "2.5"})
    _signed_in(page, lang, "/inventory/counts")
    form = page.get_by_test_id("count-form")
    form.locator('select[name="location_code"]').select_option(location)
    form.locator('textarea[name="skus"]').fill("TEA-002")
    page.get_by_test_id("open-count").click()
    expect(page).to_have_url(re.compile(r"/inventory/counts/CC-"))
    expect(page.locator('tr[data-sku="TEA-002"] [data-field="expected"]')).to_have_text("12.00")
    page.get_by_test_id("counted-TEA-002").fill("10")
    page.get_by_test_id("submit-count").click()
    # 10 counted against 12 on the books at 2.50 each: -2 units, -5.00.
    expect(page.locator('tr[data-sku="TEA-002"] [data-field="variance"]')).to_have_text("-2.00")
    expect(page.locator('tr[data-sku="TEA-002"] [data-field="variance_value"]')).to_have_text("-5.00")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("status")).to_have_text(TEXT[lang]["approved"])
    page.goto(f"/inventory?sku=TEA-002&location={location}")
    expect(page.locator('tr[data-sku="TEA-002"] [data-field="on_hand"]')).to_have_text("10.00")
