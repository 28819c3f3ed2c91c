"""Order and stock pages through a TestClient: entry, detail with timeline, field errors, exceptions,
stock by location, movements, partner isolation and both languages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests import factories
from tests.integration.test_web_pages import csrf, sign_in

ROW = re.compile(r'<a href="/orders/\d+">')


def _network(session):  # type: ignore[no-untyped-def]
    """A channel, a customer with its own store, a distribution centre holding 40 of one SKU."""
    channel = factories.channel(session)
    customer = factories.partner(session)
    store = factories.location(session, owner_partner_code=customer.code, kind="store")
    dc = factories.location(session)
    product = factories.product(session)
    factories.stock(session, product, dc, "40")
    return channel, customer, store, dc, product


def _order_form(token: str, channel, customer, store, lines) -> dict[str, str]:  # type: ignore[no-untyped-def]
    form = {"csrf_token": token, "channel_code": channel.code, "external_order_id": factories.unique("WEB"),
            "customer_code": customer.code, "ship_to_code": store.code, "promised_date": "2030-01-15",
            "allow_split": "on"}
    for n, (sku, quantity) in enumerate(lines):
        form[f"lines[{n}].sku"] = sku
        form[f"lines[{n}].quantity"] = quantity
    return form


def test_order_entry_books_the_order_and_shows_it_with_its_timeline(client: TestClient, session,
                                                                    settings) -> None:
    channel, customer, store, dc, product = _network(session)
    sales = factories.user(session, "sales")
    sign_in(client, settings, sales)
    form_page = client.get("/orders/new")
    assert form_page.status_code == 200 and 'name="lines[4].sku"' in form_page.text
    token = csrf(client, "/orders/new")
    created = client.post("/orders/new", data=_order_form(token, channel, customer, store, [(product.sku, "15")]),
                          follow_redirects=False)
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    assert re.fullmatch(r"/orders/\d+", location)
    detail = client.get(location).text
    assert 'data-testid="status">Allocated<' in detail
    assert f'data-field="customer">{customer.code}<' in detail and f'data-field="ship_to">{store.code}<' in detail
    # 15 of 40 reserved at the distribution centre, nothing backordered.
    assert re.search(rf"<td>{product.sku}</td>\s*<td class=\"num\">15\.00</td>", detail)
    assert f"{dc.code}: 15.00" in detail and 'data-field="backorder">0.00<' in detail
    assert '<li data-kind="created">' in detail and '<li data-kind="allocated">' in detail
    assert 'data-testid="cancel"' in detail
    # The list shows it; the stock page shows the reservation.
    listing = client.get("/orders", params={"status": "allocated"}).text
    assert f'href="{location}"' in listing
    stock = client.get("/inventory", params={"location": dc.code}).text
    assert re.search(r'data-field="on_hand">40\.00<.*data-field="reserved">15\.00<.*data-field="available">25\.00<',
                     stock, re.S)
    # Cancelling through the page releases the reservation and records it on the timeline.
    cancelled = client.post(f"{location}/cancel", data={"csrf_token": token, "reason": "customer changed mind"},
                            follow_redirects=False)
    assert cancelled.status_code == 303
    after = client.get(location).text
    assert 'data-testid="status">Cancelled<' in after and "customer changed mind" in after
    assert 'data-testid="cancel"' not in after


def test_an_unknown_sku_is_shown_next_to_its_line_and_nothing_is_booked(client: TestClient, session,
                                                                        settings) -> None:
    channel, customer, store, _, product = _network(session)
    sign_in(client, settings, factories.user(session, "sales"))
    token = csrf(client, "/orders/new")
    # The bad SKU is on the third row of the form, after a blank row: the message is placed on that row.
    form = _order_form(token, channel, customer, store, [(product.sku, "2"), ("", ""), ("NO-SUCH-SKU", "1")])
    refused = client.post("/orders/new", data=form)
    assert refused.status_code == 422
    assert re.search(r'data-error-for="lines\[2\]\.sku">unknown SKU &#39;NO-SUCH-SKU&#39;', refused.text)
    assert 'value="NO-SUCH-SKU"' in refused.text and 'data-testid="form-error"' in refused.text
    bad_quantity = client.post("/orders/new", data={**form, "lines[2].sku": product.sku, "lines[2].quantity": "-3"})
    assert bad_quantity.status_code == 422
    assert re.search(r'data-error-for="lines\[2\]\.quantity">must be greater than 0', bad_quantity.text)
    not_a_number = client.post("/orders/new", data={**form, "lines[2].sku": product.sku, "lines[2].quantity": "lots",
                                                     "promised_date": "2030-02-31"})
    assert not_a_number.status_code == 422
    assert 'data-error-for="lines[2].quantity"' in not_a_number.text
    assert 'data-error-for="promised_date"' in not_a_number.text and 'value="2030-02-31"' in not_a_number.text
    no_channel = client.post("/orders/new", data={**form, "channel_code": ""})
    assert no_channel.status_code == 422 and 'data-error-for="channel_code"' in no_channel.text
    assert "Total: 0" in client.get("/orders").text


def test_exceptions_page_lists_a_credit_hold_order_with_its_action(client: TestClient, session, settings) -> None:
    channel = factories.channel(session)
    poor = factories.partner(session, credit_limit="5")
    store = factories.location(session, owner_partner_code=poor.code, kind="store")
    product = factories.product(session)
    order = factories.sales_order(session, channel, poor, store, [(product, 3)])
    assert order.status == "on_hold"
    session.flush()
    sign_in(client, settings, factories.user(session, "sales"))
    page = client.get("/orders/exceptions")
    assert page.status_code == 200
    row = re.search(rf'<tr data-kind="on_hold">\s*<td><a href="/orders/{order.id}">{order.number}</a></td>.*?</tr>',
                    page.text, re.S)
    assert row and "on hold (credit)" in row.group(0) and "check the customer&#39;s credit" in row.group(0)


def test_stock_and_movement_pages_show_a_receipt(client: TestClient, session, settings) -> None:
    dc = factories.location(session)
    product = factories.product(session)
    factories.stock(session, product, dc, "12.5", reference="GRN-77")
    session.flush()
    sign_in(client, settings, factories.user(session, "warehouse"))
    stock = client.get("/inventory", params={"sku": product.sku}).text
    assert re.search(rf'<tr data-sku="{product.sku}" data-location="{dc.code}">.*?data-field="on_hand">12\.50<',
                     stock, re.S)
    assert client.get("/inventory", params={"sku": "NOT-THERE"}).text.count("data-sku=") == 0
    assert f'href="/inventory/movements?sku={product.sku}&amp;location={dc.code}"' in stock
    moves = client.get("/inventory/movements", params={"sku": product.sku, "movement_type": "receipt"}).text
    assert '<tr data-type="receipt">' in moves and "GRN-77" in moves and "12.50" in moves
    assert "GRN-77" not in client.get("/inventory/movements", params={"sku": product.sku,
                                                                      "movement_type": "issue"}).text
    partial = client.get("/inventory", params={"sku": product.sku}, headers={"HX-Request": "true"}).text
    assert "<html" not in partial and "12.50" in partial
    bad = client.get("/inventory/movements", params={"movement_type": "teleport"})
    assert bad.status_code == 422 and "movement_type" in bad.text


def test_partner_sees_only_its_orders_and_stock_at_its_locations(client: TestClient, session, settings) -> None:
    channel = factories.channel(session)
    mine, other = factories.partner(session), factories.partner(session)
    my_store = factories.location(session, owner_partner_code=mine.code, kind="store")
    other_store = factories.location(session, owner_partner_code=other.code, kind="store")
    product = factories.product(session)
    factories.stock(session, product, my_store, "7")
    factories.stock(session, product, other_store, "9")
    my_order = factories.sales_order(session, channel, mine, my_store, [(product, 1)])
    other_order = factories.sales_order(session, channel, other, other_store, [(product, 2)])
    # Placed by another partner but shipping to my store: visible to me too.
    to_me = factories.sales_order(session, channel, other, my_store, [(product, 1)])
    session.flush()
    sign_in(client, settings, factories.user(session, "partner", partner_code=mine.code))

    listing = client.get("/orders").text
    assert f'href="/orders/{my_order.id}"' in listing and f'href="/orders/{to_me.id}"' in listing
    assert f'href="/orders/{other_order.id}"' not in listing
    assert client.get(f"/orders/{my_order.id}").status_code == 200
    hidden = client.get(f"/orders/{other_order.id}")
    assert hidden.status_code == 404 and "not found" in hidden.text and "<html" in hidden.text
    assert client.get("/orders/not-a-number").status_code == 404
    assert f"/orders/{other_order.id}" not in client.get("/orders/exceptions").text
    stock = client.get("/inventory").text
    assert f'data-location="{my_store.code}"' in stock and f'data-location="{other_store.code}"' not in stock
    moves = client.get("/inventory/movements").text
    assert my_store.code in moves and other_store.code not in moves
    # The partner's order form has no customer choice and offers only its own locations.
    form = client.get("/orders/new").text
    assert 'name="customer_code"' not in form and my_store.code in form and other_store.code not in form
    token = csrf(client, "/orders/new")
    refused = client.post("/orders/new", data={
        "csrf_token": token, "channel_code": channel.code, "external_order_id": "P-1",
        "ship_to_code": other_store.code, "lines[0].sku": product.sku, "lines[0].quantity": "1"})
    assert refused.status_code == 422 and 'data-error-for="ship_to_code"' in refused.text


def test_the_new_pages_render_in_both_languages(client: TestClient, session, settings) -> None:
    channel, customer, store, _, product = _network(session)
    order = factories.sales_order(session, channel, customer, store, [(product, 2)])
    session.flush()
    sign_in(client, settings, factories.user(session, "admin"))
    zh = {"Accept-Language": "zh-CN"}
    en = {"Accept-Language": "en"}
    home = client.get("/", headers=zh).text
    assert 'href="/orders"' in home and 'href="/inventory"' in home
    for path, zh_label, en_label in [("/orders", "订单号", "Order no."), ("/orders/new", "收货地点", "Ship to"),
                                     (f"/orders/{order.id}", "订单时间线", "Timeline"),
                                     ("/orders/exceptions", "建议处理", "Suggested action"),
                                     ("/inventory", "在途", "In transit"), ("/inventory/movements", "变动类型",
                                                                           "Movement type")]:
        zh_page, en_page = client.get(path, headers=zh), client.get(path, headers=en)
        assert zh_page.status_code == 200 and en_page.status_code == 200, path
        assert zh_label in zh_page.text and en_label not in zh_page.text, path
        assert en_label in en_page.text, path


def test_order_list_searches_filters_and_pages(client: TestClient, session, settings) -> None:
    channel, customer, store, _, product = _network(session)
    for n in range(27):
        factories.sales_order(session, channel, customer, store, [(product, 1)], external_order_id=f"PAGE-{n:02d}")
    session.flush()
    viewer = factories.user(session, "viewer")
    sign_in(client, settings, viewer)
    first = client.get("/orders", params={"q": "PAGE-"}).text
    assert len(ROW.findall(first)) == 25 and "page 1 of 2" in first and 'rel="next"' in first
    assert "PAGE-26" in first and "PAGE-01" not in first  # newest first
    second = client.get("/orders", params={"q": "PAGE-", "page": 2}).text
    assert len(ROW.findall(second)) == 2 and "PAGE-00" in second
    partial = client.get("/orders", params={"q": "PAGE-1"}, headers={"HX-Request": "true"}).text
    assert "<html" not in partial and len(ROW.findall(partial)) == 10
    assert "Total: 0" in client.get("/orders", params={"q": "PAGE-", "status": "delivered"}).text
    # A viewer sees no entry button and is refused when posting the form anyway.
    assert 'data-testid="new"' not in first
    token = csrf(client, "/orders")
    refused = client.post("/orders/new", data=_order_form(token, channel, customer, store, [(product.sku, "1")]))
    assert refused.status_code == 403
