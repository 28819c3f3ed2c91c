"""Supplier pages through a TestClient: scorecards with weights, detail with trend, sourcing with the
single-source list, and the portal (confirm lines, send a notice, refused over-quantity) scoped to the
signed-in supplier; another supplier's order or scorecard is a 404 page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from qudao.common.actor import SYSTEM
from qudao.purchasing import service as purchasing
from qudao.purchasing.schemas import PurchaseOrderCreate
from qudao.suppliers import service, sourcing
from qudao.suppliers.schemas import RefreshIn, SourcingCreate
from tests import factories
from tests.integration.test_supplier_scorecards import hand_worked_case
from tests.integration.test_web_pages import csrf, sign_in


def _world(session) -> None:  # type: ignore[no-untyped-def]
    hand_worked_case(session)  # SC-SUP: score 76.33, grade C
    service.refresh_scorecards(session, SYSTEM, RefreshIn())
    factories.partner(session, code="WS-OTHER", roles=["supplier"])
    for code, supplier in (("WS-PO-MINE", "SC-SUP"), ("WS-PO-OTHER", "WS-OTHER")):
        purchasing.create_purchase_order(session, SYSTEM, PurchaseOrderCreate(
            code=code, supplier_code=supplier, location_code="SC-DC",
            lines=[{"sku": "SC-RICE", "quantity": "40", "unit_cost": "10"}]))
        purchasing.confirm_purchase_order(session, SYSTEM, code)
    sourcing.create_sourcing(session, SYSTEM, SourcingCreate(sku="SC-RICE", suppliers=[
        {"supplier_code": "SC-SUP", "share_pct": "100"}]))


def test_staff_pages(client: TestClient, session, settings) -> None:
    _world(session)
    sign_in(client, settings, factories.user(session, "planner"))
    listing = client.get("/suppliers").text
    assert 'data-supplier="SC-SUP"' in listing and ">76.33<" in listing
    detail = client.get("/suppliers/scorecards/SC-SUP")
    assert detail.status_code == 200 and 'id="trend-data"' in detail.text and ">C</mark>" in detail.text
    assert 'data-sku="SC-RICE"' in client.get("/suppliers/sourcing").text
    token = csrf(client, "/suppliers")
    weights = {"csrf_token": token, "otif": "0.5", "quality": "0.5", "price": "0.5", "lead_time": "0",
               "responsiveness": "0"}
    refused = client.post("/suppliers/weights", data=weights)
    assert refused.status_code == 422 and "must sum to 1" in refused.text
    saved = client.post("/suppliers/weights", data={**weights, "price": "0"}, follow_redirects=False)
    assert saved.status_code == 303
    assert client.post("/suppliers/refresh", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    # OTIF 66.67 and quality 80 at half each: 73.33.
    assert ">73.33<" in client.get("/suppliers").text


def test_portal_pages_for_a_supplier_user(client: TestClient, session, settings) -> None:
    _world(session)
    sign_in(client, settings, factories.user(session, "partner", partner_code="SC-SUP"))
    assert client.get("/suppliers", follow_redirects=False).headers["location"] == "/suppliers/portal"
    orders = client.get("/suppliers/portal").text
    assert 'data-code="WS-PO-MINE"' in orders and "WS-PO-OTHER" not in orders
    assert client.get("/suppliers/portal/orders/WS-PO-OTHER").status_code == 404
    assert client.get("/suppliers/scorecards/WS-OTHER").status_code == 404
    assert client.get("/suppliers/scorecards/SC-SUP").status_code == 200
    assert client.get("/suppliers/sourcing").status_code == 403
    url = "/suppliers/portal/orders/WS-PO-MINE"
    token = csrf(client, url)
    confirmed = client.post(f"{url}/confirm", data={"csrf_token": token, "confirm_qty_1": "40",
                                                    "confirm_date_1": "2999-02-01"}, follow_redirects=False)
    assert confirmed.status_code == 303
    assert 'value="2999-02-01"' in client.get(url).text
    notice = {"csrf_token": token, "ship_date": "2999-01-28", "expected_arrival": "2999-02-01",
              "carrier": "SF", "tracking_number": "SF-1", "ship_qty_1": "41"}
    over = client.post(f"{url}/notices", data=notice)
    assert over.status_code == 422 and "40 open to ship" in over.text and 'value="41"' in over.text
    sent = client.post(f"{url}/notices", data={**notice, "ship_qty_1": "40"}, follow_redirects=False)
    assert sent.status_code == 303
    page = client.get(url).text
    assert "SF-1" in page and 'data-field="open">0' in page
    mine = client.get("/suppliers/portal/scorecard")
    assert mine.status_code == 200 and "SC-SUP" in mine.text and "WS-OTHER" not in mine.text
    assert client.post("/suppliers/portal/orders/WS-PO-OTHER/confirm", data={
        "csrf_token": token, "confirm_qty_1": "1", "confirm_date_1": "2999-02-01"}).status_code == 404


def test_sourcing_rules_edited_on_the_page(client: TestClient, session, settings) -> None:
    _world(session)
    factories.partner(session, code="WS-ALT", roles=["supplier"])
    sign_in(client, settings, factories.user(session, "planner"))
    assert client.get("/suppliers/sourcing", params={"item": "SC-RICE"},
                      follow_redirects=False).headers["location"] == "/suppliers/sourcing/SC-RICE"
    url = "/suppliers/sourcing/SC-RICE"
    page = client.get(url).text
    assert 'name="supplier_code_0" value="SC-SUP"' in page
    token = csrf(client, url)
    split = {"csrf_token": token, "supplier_code_0": "SC-SUP", "share_pct_0": "70", "priority_0": "1",
             "supplier_code_1": "WS-ALT", "share_pct_1": "20", "priority_1": "2", "lead_time_days_1": "9"}
    refused = client.post(url, data=split)
    assert refused.status_code == 422 and "add up to 90" in refused.text and 'value="WS-ALT"' in refused.text
    saved = client.post(url, data={**split, "share_pct_1": "30"}, follow_redirects=False)
    assert saved.status_code == 303
    listing = client.get("/suppliers/sourcing").text
    assert 'data-supplier="WS-ALT"' in listing and 'data-sku="SC-RICE"' not in listing.split("single-source")[1]
    page = client.get(url).text
    assert 'name="lead_time_days_1" value="9"' in page
