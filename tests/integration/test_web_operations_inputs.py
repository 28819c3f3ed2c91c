"""Odd input to every operations page and form (huge, negative, non-numeric, not a date, unknown codes)
is answered with a page naming the problem (4xx), never a server error, and books nothing."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests import factories
from tests.integration.test_web_pages import csrf, sign_in

ODD = ["", "-1", "abc", "1e400", "NaN", "9" * 30, "2026-02-31", "x" * 300]


def test_odd_input_never_gives_a_server_error(client: TestClient, session, settings) -> None:
    channel, customer = factories.channel(session), factories.partner(session)
    store = factories.location(session, owner_partner_code=customer.code, kind="store")
    dc = factories.location(session)
    product = factories.product(session)
    factories.stock(session, product, dc, "10")
    order = factories.sales_order(session, channel, customer, store, [(product, 2)])
    session.flush()
    sign_in(client, settings, factories.user(session, "admin"))
    token = csrf(client, "/inventory/counts")
    count = client.post("/inventory/counts", data={"csrf_token": token, "location_code": dc.code,
                                                   "skus": product.sku}, follow_redirects=False)
    count_url = count.headers["location"]
    po_url = client.post("/purchase-orders/new", data={
        "csrf_token": token, "supplier_code": customer.code, "location_code": dc.code, "sku-0": product.sku,
        "quantity-0": "5", "unit_cost-0": "1"}, follow_redirects=False).headers["location"]
    client.post(f"{po_url}/confirm", data={"csrf_token": token})
    url = f"/orders/{order.id}"

    gets = ["/inventory?category={v}", "/inventory?q={v}&location={v}", "/inventory/movements?category={v}",
            "/inventory/lots?sku={v}", "/inventory/valuation?as_of={v}", "/inventory/valuation?group_by={v}",
            "/inventory/analytics?window_days={v}", "/inventory/analytics?group_by={v}&category={v}",
            "/purchase-orders?status={v}", "/transfers?q={v}", "/returns?status={v}", "/inventory/counts/{v}",
            "/orders/{v}", "/purchase-orders/{v}"]
    posts = [(f"{url}/shipments", lambda v: {"location_code": dc.code, "quantity-1": v, "carrier": v}),
             (f"{url}/shipments", lambda v: {"location_code": v, "quantity-1": "1"}),
             (f"{url}/shipments/1/shipped", lambda v: {"carrier": v, "tracking_number": v}),
             (f"{url}/reallocate", lambda v: {"ship_from_rule": v, "location_code": v}),
             (f"{url}/returns", lambda v: {"reason": v, "quantity-1": v}),
             (f"{url}/release-hold", lambda v: {"note": v}),
             ("/inventory/counts", lambda v: {"location_code": v, "skus": v}),
             (f"{count_url}/lines", lambda v: {"sku-0": product.sku, "counted-0": v}),
             (f"{count_url}/lines", lambda v: {"sku-0": v, "counted-0": "1"}),
             (f"{po_url}/receive", lambda v: {"quantity-1": v, "lot-1": v, "expiry-1": v}),
             ("/purchase-orders/new", lambda v: {"supplier_code": v, "location_code": v, "currency": v,
                                                 "over_receipt_tolerance_pct": v, "expected_date": v,
                                                 "sku-0": v, "quantity-0": v, "unit_cost-0": v}),
             ("/transfers/new", lambda v: {"from_location_code": dc.code, "to_location_code": v, "code": v,
                                           "sku-0": product.sku, "quantity-0": v})]
    for value in ODD:
        for path in gets:
            response = client.get(path.format(v=value))
            assert response.status_code < 500, (path, value)
        for path, data in posts:
            response = client.post(path, data={"csrf_token": token, **data(value)})
            assert response.status_code < 500, (path, value, response.text[-500:])
    # None of it moved stock: 10 on hand, 2 reserved for the order, nothing received on the purchase order.
    stock = client.get("/inventory", params={"sku": product.sku, "location": dc.code}).text
    assert re.search(r'data-field="on_hand">10\.00<.*data-field="reserved">2\.00<', stock, re.S)
    assert 'data-field="received">0.00<' in client.get(po_url).text
