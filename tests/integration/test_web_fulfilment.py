"""The order page's actions through a TestClient: partial pick / pack / ship / delivery, returns with
inspection, credit-hold release, rush and reallocation; each refused for a role without the right, and a
partner touching another partner's order gets 404. Quantities are worked by hand in the comments."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests import factories
from tests.integration.test_web_pages import csrf, sign_in


def _network(session):  # type: ignore[no-untyped-def]
    """A customer's store, a distribution centre holding 40 of one SKU and an order for 15 of it."""
    channel = factories.channel(session)
    customer = factories.partner(session)
    store = factories.location(session, owner_partner_code=customer.code, kind="store")
    dc = factories.location(session)
    product = factories.product(session)
    factories.stock(session, product, dc, "40")
    order = factories.sales_order(session, channel, customer, store, [(product, 15)])
    session.flush()
    return channel, customer, store, dc, product, order


def _balance(client: TestClient, sku: str, location: str) -> dict[str, str]:
    page = client.get("/inventory", params={"sku": sku, "location": location}).text
    return dict(re.findall(r'data-field="(\w+)">([\d.\-]+)<', page))


def _line(detail: str, field: str) -> str:
    match = re.search(rf'<tr data-line="1">.*?data-field="{field}">([\d.]+)<', detail, re.S)
    assert match, field
    return match.group(1)


def test_partial_pick_pack_ship_and_delivery(client: TestClient, session, settings) -> None:
    _, _, _, dc, product, order = _network(session)
    sign_in(client, settings, factories.user(session, "warehouse"))
    url = f"/orders/{order.id}"
    detail = client.get(url).text
    # The pick form at the DC offers the whole allocation (15) per line.
    assert f'data-testid="ship-form-{dc.code}"' in detail
    assert re.search(r'name="quantity-1"[^>]*value="15.00"', detail)
    token = csrf(client, url)

    started = client.post(f"{url}/shipments", data={"csrf_token": token, "location_code": dc.code,
                                                    "quantity-1": "6", "carrier": "SF"}, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"] == url
    detail = client.get(url).text
    shipment_id = int(re.search(r'<tr data-shipment="(\d+)" data-status="picking">', detail).group(1))
    assert f"{product.sku} × 6.00" in detail
    # 15 allocated, 6 in the open pick: 9 are left to pick, so a second pick of 10 is refused on its line.
    assert re.search(r'name="quantity-1"[^>]*value="9.00"', detail)
    too_many = client.post(f"{url}/shipments", data={"csrf_token": token, "location_code": dc.code,
                                                     "quantity-1": "10"})
    assert too_many.status_code == 422
    assert re.search(r'data-error-for="quantity-1">only 9(\.0+)? of line 1', too_many.text)
    assert 'value="10"' in too_many.text  # the typed quantity is kept
    not_a_number = client.post(f"{url}/shipments", data={"csrf_token": token, "location_code": dc.code,
                                                         "quantity-1": "six"})
    assert not_a_number.status_code == 422 and 'data-error-for="quantity-1"' in not_a_number.text

    base = f"{url}/shipments/{shipment_id}"
    # Steps must come in order: shipping a shipment still being picked is a conflict shown on the page.
    early = client.post(f"{base}/shipped", data={"csrf_token": token})
    assert early.status_code == 409 and "next step: picked" in early.text
    for step in ("picked", "packed"):
        assert client.post(f"{base}/{step}", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    shipped = client.post(f"{base}/shipped", data={"csrf_token": token, "carrier": "SF", "tracking_number": "SF123"},
                          follow_redirects=False)
    assert shipped.status_code == 303
    detail = client.get(url).text
    assert 'data-testid="status">Partially shipped<' in detail
    assert _line(detail, "shipped") == "6.00" and _line(detail, "allocated") == "9.00"
    assert "SF123" in detail and '<li data-kind="shipment_shipped">' in detail
    # 40 on hand - 6 shipped = 34; 15 reserved - 6 = 9; available 34 - 9 = 25.
    balance = _balance(client, product.sku, dc.code)
    assert (balance["on_hand"], balance["reserved"], balance["available"]) == ("34.00", "9.00", "25.00")
    delivered = client.post(f"{base}/delivered", data={"csrf_token": token, "received_by": "Wang Li"},
                            follow_redirects=False)
    assert delivered.status_code == 303
    detail = client.get(url).text
    assert f'<tr data-shipment="{shipment_id}" data-status="delivered">' in detail and "Wang Li" in detail


def test_a_return_is_authorised_received_and_restocked(client: TestClient, session, settings) -> None:
    _, customer, _, dc, product, order = _network(session)
    warehouse = factories.user(session, "warehouse")
    partner_user = factories.user(session, "partner", partner_code=customer.code)
    sign_in(client, settings, warehouse)
    url = f"/orders/{order.id}"
    token = csrf(client, url)
    client.post(f"{url}/shipments", data={"csrf_token": token, "location_code": dc.code, "quantity-1": "6"})
    sid = re.search(r'data-shipment="(\d+)"', client.get(url).text).group(1)
    for step in ("picked", "packed", "shipped"):
        client.post(f"{url}/shipments/{sid}/{step}", data={"csrf_token": token})

    # The customer's own user asks to return 2 of the 6 shipped; 5 more would exceed the 4 left.
    sign_in(client, settings, partner_user)
    token = csrf(client, url)
    page = client.get(url).text
    assert 'data-testid="return-form"' in page and 'data-testid="start-pick"' not in page
    created = client.post(f"{url}/returns", data={"csrf_token": token, "reason": "damaged", "quantity-1": "2"},
                          follow_redirects=False)
    assert created.status_code == 303
    refused = client.post(f"{url}/returns", data={"csrf_token": token, "reason": "damaged", "quantity-1": "5"})
    assert refused.status_code == 422
    assert re.search(r'data-error-for="quantity-1">only 4(\.0+)? of line 1', refused.text)
    bad_reason = client.post(f"{url}/returns", data={"csrf_token": token, "reason": "bored", "quantity-1": "1"})
    assert bad_reason.status_code == 422 and 'data-error-for="reason"' in bad_reason.text
    rma_id = re.search(r'<article class="rma" data-rma="(\d+)" data-status="authorized">', client.get(url).text
                       ).group(1)
    # A partner may not receive the goods into the warehouse.
    assert client.post(f"{url}/returns/{rma_id}/receive", data={"csrf_token": token}).status_code == 403

    sign_in(client, settings, warehouse)
    token = csrf(client, url)
    inspect_first = client.post(f"{url}/returns/{rma_id}/inspect",
                                data={"csrf_token": token, "disposition-1": "restock"})
    assert inspect_first.status_code == 409 and "receive it before inspecting" in inspect_first.text
    assert client.post(f"{url}/returns/{rma_id}/receive", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    bad = client.post(f"{url}/returns/{rma_id}/inspect", data={"csrf_token": token, "disposition-1": "burn"})
    assert bad.status_code == 422 and 'data-error-for="disposition-1"' in bad.text
    done = client.post(f"{url}/returns/{rma_id}/inspect", data={"csrf_token": token, "disposition-1": "restock",
                                                                 "condition-1": "like new"}, follow_redirects=False)
    assert done.status_code == 303
    detail = client.get(url).text
    assert f'data-rma="{rma_id}" data-status="closed"' in detail and _line(detail, "returned") == "2.00"
    # 40 - 6 shipped + 2 restocked = 36 on hand at the DC.
    assert _balance(client, product.sku, dc.code)["on_hand"] == "36.00"
    listing = client.get("/returns", params={"status": "closed"}).text
    assert f'data-rma="{rma_id}"' in listing


def test_roles_without_the_right_are_refused_and_see_no_buttons(client: TestClient, session, settings) -> None:
    channel, _, _, dc, product, order = _network(session)
    other = factories.partner(session)
    other_store = factories.location(session, owner_partner_code=other.code, kind="store")
    others_order = factories.sales_order(session, channel, other, other_store, [(product, 1)])
    session.flush()
    url = f"/orders/{order.id}"
    ship = {"location_code": dc.code, "quantity-1": "1"}

    sign_in(client, settings, factories.user(session, "viewer"))
    page = client.get(url).text
    for testid in ("start-pick", "cancel", "rush", "reallocate", "return-form"):
        assert f'data-testid="{testid}"' not in page, testid
    token = csrf(client, url)
    for path, data in [(f"{url}/shipments", ship), (f"{url}/rush", {}), (f"{url}/cancel", {}),
                       (f"{url}/reallocate", {}), (f"{url}/returns", {"reason": "other", "quantity-1": "1"})]:
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path

    # A planner may reallocate but not pick.
    sign_in(client, settings, factories.user(session, "planner"))
    page = client.get(url).text
    assert 'data-testid="reallocate"' in page and 'data-testid="start-pick"' not in page
    token = csrf(client, url)
    assert client.post(f"{url}/shipments", data={"csrf_token": token, **ship}).status_code == 403

    # A partner user can read its own order but not pick it, and another partner's order does not exist for it.
    sign_in(client, settings, factories.user(session, "partner", partner_code=order_partner_code(session, order)))
    token = csrf(client, url)
    assert client.post(f"{url}/shipments", data={"csrf_token": token, **ship}).status_code == 403
    for path in (f"/orders/{others_order.id}/returns", f"/orders/{others_order.id}/cancel"):
        refused = client.post(path, data={"csrf_token": token, "reason": "other", "quantity-1": "1"})
        assert refused.status_code == 404 and "not found" in refused.text, path
    assert client.get(f"/orders/{others_order.id}").status_code == 404
    # Without the form's security token nothing happens.
    assert client.post(f"{url}/cancel", data={}).status_code == 403
    assert client.get(url).status_code == 200 and 'data-testid="status">Allocated<' in client.get(url).text


def order_partner_code(session, order) -> str:  # type: ignore[no-untyped-def]
    from qudao.partners.models import Partner

    return session.get(Partner, order.partner_id).code


def test_release_hold_rush_and_reallocate(client: TestClient, session, settings) -> None:
    channel = factories.channel(session)
    poor = factories.partner(session, credit_limit="5")
    store = factories.location(session, owner_partner_code=poor.code, kind="store")
    dc, dc2 = factories.location(session, priority=1), factories.location(session, priority=2)
    product = factories.product(session)
    factories.stock(session, product, dc, "10")
    factories.stock(session, product, dc2, "10")
    held = factories.sales_order(session, channel, poor, store, [(product, 3)])
    assert held.status == "on_hold"
    session.flush()
    url = f"/orders/{held.id}"

    sign_in(client, settings, factories.user(session, "partner", partner_code=poor.code))
    assert 'data-testid="release-hold"' not in client.get(url).text
    token = csrf(client, url)
    assert client.post(f"{url}/release-hold", data={"csrf_token": token}).status_code == 403

    sign_in(client, settings, factories.user(session, "sales"))
    queue = client.get("/orders/exceptions").text
    assert f'data-testid="release-{held.id}"' in queue
    token = csrf(client, url)
    released = client.post(f"{url}/release-hold", data={"csrf_token": token, "note": "credit approved",
                                                        "next": "/orders/exceptions"}, follow_redirects=False)
    assert released.status_code == 303 and released.headers["location"] == "/orders/exceptions"
    detail = client.get(url).text
    assert 'data-testid="status">Allocated<' in detail and "credit approved" in detail
    again = client.post(f"{url}/release-hold", data={"csrf_token": token})
    assert again.status_code == 409 and "is not on hold" in again.text
    assert client.post(f"{url}/rush", data={"csrf_token": token, "rush": "true"}).status_code == 200
    assert 'data-testid="rush-mark"' in client.get(url).text

    # The planner moves the whole order to the second DC.
    sign_in(client, settings, factories.user(session, "planner"))
    token = csrf(client, url)
    unknown = client.post(f"{url}/reallocate", data={"csrf_token": token, "location_code": "NOPE"})
    assert unknown.status_code == 422 and 'data-error-for="location_code"' in unknown.text
    moved = client.post(f"{url}/reallocate", data={"csrf_token": token, "location_code": dc2.code},
                        follow_redirects=False)
    assert moved.status_code == 303
    detail = client.get(url).text
    assert f"{dc2.code}: 3.00" in detail and f"{dc.code}: 3.00" not in detail
    assert _balance(client, product.sku, dc2.code)["reserved"] == "3.00"


def test_late_order_in_the_exceptions_queue_is_reallocated_from_its_button(client: TestClient, session,
                                                                           settings) -> None:
    channel = factories.channel(session)
    customer = factories.partner(session)
    store = factories.location(session, owner_partner_code=customer.code, kind="store")
    product = factories.product(session)  # no stock anywhere: the order waits on backorder
    late = factories.sales_order(session, channel, customer, store, [(product, 2)], promised_date="2020-01-15")
    session.flush()
    sign_in(client, settings, factories.user(session, "viewer"))
    queue = client.get("/orders/exceptions").text
    assert re.search(rf'<tr data-kind="late">\s*<td><a href="/orders/{late.id}">', queue)
    assert f'data-testid="reallocate-{late.id}"' not in queue

    sign_in(client, settings, factories.user(session, "planner"))
    queue = client.get("/orders/exceptions").text
    assert f'data-testid="reallocate-{late.id}"' in queue and f'data-testid="release-{late.id}"' not in queue
    dc = factories.location(session)
    factories.stock(session, product, dc, "5")
    session.flush()
    token = csrf(client, "/orders/exceptions")
    done = client.post(f"/orders/{late.id}/reallocate", data={"csrf_token": token, "next": "/orders/exceptions"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/orders/exceptions"
    detail = client.get(f"/orders/{late.id}").text
    assert f"{dc.code}: 2.00" in detail and '<li data-kind="reallocated">' in detail
    # A link to somewhere else after the action is not followed: the order page is shown instead.
    elsewhere = client.post(f"/orders/{late.id}/reallocate", data={"csrf_token": token,
                                                                   "next": "https://evil.example"},
                            follow_redirects=False)
    assert elsewhere.headers["location"] == f"/orders/{late.id}"


def test_a_pick_is_cancelled_and_a_shipment_of_another_order_is_not_found(client: TestClient, session,
                                                                          settings) -> None:
    channel, customer, store, dc, product, order = _network(session)
    second = factories.sales_order(session, channel, customer, store, [(product, 4)])
    session.flush()
    sign_in(client, settings, factories.user(session, "warehouse"))
    url = f"/orders/{order.id}"
    token = csrf(client, url)
    client.post(f"{url}/shipments", data={"csrf_token": token, "location_code": dc.code, "quantity-1": "15"})
    detail = client.get(url).text
    sid = re.search(r'<tr data-shipment="(\d+)" data-status="picking">', detail).group(1)
    assert 'data-testid="ship-form-' not in detail  # all 15 are in the pick: nothing left to pick
    # The shipment belongs to the first order: reached through the second it does not exist.
    assert client.post(f"/orders/{second.id}/shipments/{sid}/cancel", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{url}/shipments/{sid}/teleport", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{url}/shipments/{sid}/cancel", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    detail = client.get(url).text
    assert f'<tr data-shipment="{sid}" data-status="cancelled">' in detail
    assert re.search(r'name="quantity-1"[^>]*value="15.00"', detail)  # back on offer, still reserved
    assert _balance(client, product.sku, dc.code)["reserved"] == "19.00"  # 15 + 4 of the second order
