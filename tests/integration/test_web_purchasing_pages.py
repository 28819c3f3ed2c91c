"""Purchase-order and transfer pages through a TestClient: create with field errors, confirm, partial
receipts with the over-receipt tolerance refused on its line, a transfer shipped and received in parts,
and the roles that may not (partner users have no purchasing pages at all)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests import factories
from tests.integration.test_web_pages import csrf, sign_in


def _field(page: str, line: int, field: str) -> str:
    match = re.search(rf'<tr data-line="{line}">.*?data-field="{field}">([\d.]+)<', page, re.S)
    assert match, (line, field)
    return match.group(1)


def _stock(client: TestClient, sku: str, location: str) -> dict[str, str]:
    page = client.get("/inventory", params={"sku": sku, "location": location}).text
    return dict(re.findall(r'data-field="(\w+)">([\d.\-]+)<', page))


def test_purchase_order_create_confirm_and_receive_within_tolerance(client: TestClient, session, settings) -> None:
    supplier = factories.partner(session, roles=["supplier"])
    dc = factories.location(session)
    product = factories.product(session)
    session.flush()
    sign_in(client, settings, factories.user(session, "warehouse"))
    token = csrf(client, "/purchase-orders/new")
    form = {"csrf_token": token, "supplier_code": supplier.code, "location_code": dc.code, "currency": "CNY",
            "over_receipt_tolerance_pct": "10", "sku-0": product.sku, "quantity-0": "100", "unit_cost-0": "2.5"}
    missing = client.post("/purchase-orders/new", data={**form, "supplier_code": ""})
    assert missing.status_code == 422 and 'data-error-for="supplier_code"' in missing.text
    # The unknown SKU is on the second row of the form: its message is placed there.
    bad_sku = client.post("/purchase-orders/new", data={**form, "sku-1": "NO-SUCH", "quantity-1": "1",
                                                        "unit_cost-1": "1"})
    assert bad_sku.status_code == 422 and 'data-error-for="sku-1"' in bad_sku.text and 'value="NO-SUCH"' in bad_sku.text
    bad_qty = client.post("/purchase-orders/new", data={**form, "quantity-0": "0"})
    assert bad_qty.status_code == 422 and 'data-error-for="quantity-0"' in bad_qty.text
    assert "Total: 0" in client.get("/purchase-orders").text

    created = client.post("/purchase-orders/new", data=form, follow_redirects=False)
    assert created.status_code == 303
    url = created.headers["location"]
    code = url.rsplit("/", 1)[1]
    assert f'href="{url}"' in client.get("/purchase-orders", params={"q": code}).text
    assert 'data-testid="receive"' not in client.get(url).text  # a draft is not received
    assert client.post(f"{url}/confirm", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert _stock(client, product.sku, dc.code)["on_order"] == "100.00"
    page = client.get(url).text
    assert 'data-testid="status">Confirmed<' in page
    again = client.post(f"{url}/confirm", data={"csrf_token": token})
    assert again.status_code == 409 and "only a draft can be confirmed" in again.text

    first = client.post(f"{url}/receive", data={"csrf_token": token, "quantity-1": "60", "lot-1": "L-1"},
                        follow_redirects=False)
    assert first.status_code == 303
    page = client.get(url).text
    assert 'data-testid="status">Partially received<' in page
    assert _field(page, 1, "received") == "60.00" and _field(page, 1, "outstanding") == "40.00"
    # 60 received + 51 = 111 > 100 x 110% = 110: refused on the line, nothing received.
    over = client.post(f"{url}/receive", data={"csrf_token": token, "quantity-1": "51"})
    assert over.status_code == 422
    assert re.search(r'data-error-for="quantity-1">line 1 \(\S+\) would receive 111(\.0+)? of 100(\.0+)? ordered; '
                     r"tolerance allows at most", over.text)
    assert 'value="51"' in over.text and _field(over.text, 1, "received") == "60.00"
    bad_expiry = client.post(f"{url}/receive", data={"csrf_token": token, "quantity-1": "1", "expiry-1": "soon"})
    assert bad_expiry.status_code == 422 and 'data-error-for="expiry-1"' in bad_expiry.text
    done = client.post(f"{url}/receive", data={"csrf_token": token, "quantity-1": "50"}, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(url).text
    assert 'data-testid="status">Received<' in page and _field(page, 1, "received") == "110.00"
    stock = _stock(client, product.sku, dc.code)
    assert stock["on_hand"] == "110.00" and stock["on_order"] == "0.00"


def test_transfer_ships_on_confirm_and_is_received_in_parts(client: TestClient, session, settings) -> None:
    origin, destination = factories.location(session), factories.location(session)
    product = factories.product(session)
    factories.stock(session, product, origin, "30", unit_cost="3")
    session.flush()
    sign_in(client, settings, factories.user(session, "warehouse"))
    token = csrf(client, "/transfers/new")
    form = {"csrf_token": token, "from_location_code": origin.code, "to_location_code": origin.code,
            "sku-0": product.sku, "quantity-0": "10"}
    same = client.post("/transfers/new", data=form)
    assert same.status_code == 422 and 'data-error-for="to_location_code"' in same.text
    created = client.post("/transfers/new", data={**form, "to_location_code": destination.code},
                          follow_redirects=False)
    assert created.status_code == 303
    url = created.headers["location"]
    assert client.post(f"{url}/confirm", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    page = client.get(url).text
    assert _field(page, 1, "shipped") == "10.00" and _field(page, 1, "in_transit") == "10.00"
    # 30 - 10 shipped = 20 at the origin; 10 in transit towards the destination.
    assert _stock(client, product.sku, origin.code)["on_hand"] == "20.00"
    assert client.post(f"{url}/receive", data={"csrf_token": token, "quantity-1": "4"},
                       follow_redirects=False).status_code == 303
    page = client.get(url).text
    assert 'data-testid="status">Partially received<' in page and _field(page, 1, "in_transit") == "6.00"
    over = client.post(f"{url}/receive", data={"csrf_token": token, "quantity-1": "7"})
    assert over.status_code == 422 and re.search(r'data-error-for="quantity-1">line 1 \(\S+\) has only 6', over.text)
    arrived = _stock(client, product.sku, destination.code)
    assert arrived["on_hand"] == "4.00" and arrived["in_transit"] == "6.00" and arrived["value"] == "12.00"
    assert client.post(f"{url}/close", data={"csrf_token": token, "reason": "lost"},
                       follow_redirects=False).status_code == 303
    assert 'data-testid="status">Closed<' in client.get(url).text


def test_purchasing_pages_refuse_roles_without_the_right(client: TestClient, session, settings) -> None:
    supplier = factories.partner(session, roles=["supplier"])
    dc = factories.location(session)
    product = factories.product(session)
    session.flush()
    sign_in(client, settings, factories.user(session, "planner"))
    token = csrf(client, "/purchase-orders/new")
    url = client.post("/purchase-orders/new", data={
        "csrf_token": token, "supplier_code": supplier.code, "location_code": dc.code, "sku-0": product.sku,
        "quantity-0": "5", "unit_cost-0": "1"}, follow_redirects=False).headers["location"]

    sign_in(client, settings, factories.user(session, "viewer"))
    listing = client.get("/purchase-orders").text
    assert f'href="{url}"' in listing and 'data-testid="new"' not in listing
    assert 'data-testid="confirm"' not in client.get(url).text
    assert client.get("/purchase-orders/new").status_code == 403
    token = csrf(client, url)
    assert client.post(f"{url}/confirm", data={"csrf_token": token}).status_code == 403
    assert client.post(f"{url}/receive", data={"csrf_token": token, "quantity-1": "1"}).status_code == 403
    assert client.get("/purchase-orders/NO-SUCH-PO").status_code == 404

    sign_in(client, settings, factories.user(session, "sales"))  # sales may read but not buy
    token = csrf(client, url)
    assert client.post(f"{url}/cancel", data={"csrf_token": token}).status_code == 403

    partner_user = factories.user(session, "partner", partner_code=supplier.code)
    sign_in(client, settings, partner_user)
    for path in ("/purchase-orders", url, "/transfers"):
        assert client.get(path).status_code == 403, path
    assert 'href="/purchase-orders"' not in client.get("/").text
