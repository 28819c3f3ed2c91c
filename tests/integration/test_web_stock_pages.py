"""Stock pages through a TestClient: text search and location/category filters on balances and movements,
lots in first-expiry-first-out order with expired stock flagged, value at a past date, stock health, and
a cycle count from opening to approved variances (refused for roles without the right)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient

from tests import factories
from tests.integration.test_web_pages import csrf, sign_in


def _skus(page: str) -> list[str]:
    return re.findall(r'<tr data-sku="([^"]+)"', page)


def test_balances_and_movements_search_by_name_and_filter_by_location_and_category(client: TestClient, session,
                                                                                   settings) -> None:
    tea = factories.category(session)
    sub_tea = factories.category(session, parent_code=tea.code)
    other = factories.category(session)
    jasmine = factories.product(session, name_en="Jasmine pearls", name_zh="茉莉龙珠", category_code=sub_tea.code)
    beans = factories.product(session, name_en="Coffee beans", name_zh="咖啡豆", category_code=other.code)
    dc, store = factories.location(session), factories.location(session)
    factories.stock(session, jasmine, dc, "4")
    factories.stock(session, jasmine, store, "6")
    factories.stock(session, beans, dc, "9")
    session.flush()
    sign_in(client, settings, factories.user(session, "viewer"))

    assert _skus(client.get("/inventory", params={"q": "jasmine"}).text) == [jasmine.sku, jasmine.sku]
    assert _skus(client.get("/inventory", params={"q": "龙珠", "location": store.code}).text) == [jasmine.sku]
    # A category includes its sub-categories.
    assert set(_skus(client.get("/inventory", params={"category": tea.code}).text)) == {jasmine.sku}
    assert _skus(client.get("/inventory", params={"category": other.code, "location": dc.code}).text) == [beans.sku]
    unknown = client.get("/inventory", params={"category": "NO-SUCH"})
    assert unknown.status_code == 422 and 'data-error-for="category"' in unknown.text

    moves = client.get("/inventory/movements", params={"q": "coffee"}).text
    assert moves.count('<tr data-type="receipt">') == 1 and beans.sku in moves and jasmine.sku not in moves
    by_category = client.get("/inventory/movements", params={"category": tea.code, "location": store.code}).text
    assert by_category.count('<tr data-type="receipt">') == 1 and "6.00" in by_category


def test_lots_come_first_expiry_first_and_expired_stock_is_flagged(client: TestClient, session, settings) -> None:
    milk = factories.product(session, shelf_life_days=30)
    dc = factories.location(session)
    today = date.today()
    factories.stock(session, milk, dc, "5", lot="LATE", expiry=today + timedelta(days=20))
    factories.stock(session, milk, dc, "3", lot="SOON", expiry=today + timedelta(days=5))
    factories.stock(session, milk, dc, "2", lot="GONE", expiry=today - timedelta(days=1))
    session.flush()
    sign_in(client, settings, factories.user(session, "warehouse"))
    page = client.get("/inventory/lots", params={"sku": milk.sku}).text
    assert re.findall(r'<tr data-lot="([^"]+)"', page) == ["GONE", "SOON", "LATE"]
    assert re.search(r'<tr data-lot="GONE"[^>]*data-expired="true"', page)
    assert not re.search(r'<tr data-lot="SOON"[^>]*data-expired', page)
    # The expired 2 are on hand but not available: 10 on hand, 8 available.
    stock = client.get("/inventory", params={"sku": milk.sku}).text
    assert 'data-field="on_hand">10.00<' in stock and 'data-field="available">8.00<' in stock


def test_valuation_at_a_past_date_and_stock_health(client: TestClient, session, settings) -> None:
    category = factories.category(session)
    product = factories.product(session, category_code=category.code)
    dc = factories.location(session)
    factories.stock(session, product, dc, "12.5", unit_cost="4")  # 12.5 x 4 = 50.00
    session.flush()
    sign_in(client, settings, factories.user(session, "planner"))
    now = client.get("/inventory/valuation", params={"group_by": "location"}).text
    assert re.search(rf'<tr data-group="{dc.code}">.*?data-field="value">50\.00<', now, re.S)
    by_category = client.get("/inventory/valuation", params={"group_by": "category",
                                                             "as_of": date.today().isoformat()}).text
    assert re.search(rf'<tr data-group="{category.code}">.*?data-field="quantity">12\.50<', by_category, re.S)
    # Before the receipt nothing of it was on the books.
    before = client.get("/inventory/valuation", params={"as_of": "2001-01-01"}).text
    assert f'data-group="{dc.code}"' not in before
    bad = client.get("/inventory/valuation", params={"as_of": "2026-02-31"})
    assert bad.status_code == 422 and 'data-error-for="as_of"' in bad.text
    wrong_group = client.get("/inventory/valuation", params={"group_by": "planet"})
    assert wrong_group.status_code == 422 and 'data-error-for="group_by"' in wrong_group.text

    health = client.get("/inventory/analytics", params={"location": dc.code}).text
    row = re.search(rf'<tr data-sku="{product.sku}" data-location="{dc.code}">.*?</tr>', health, re.S)
    assert row and 'data-flag="dead"' in row.group(0)  # stock, and nothing issued in 90 days
    assert re.search(rf'<tr data-group="{dc.code}">', health)
    assert f'<tr data-group="{category.code}">' in client.get("/inventory/analytics",
                                                              params={"group_by": "category"}).text
    alerts = client.get("/inventory/analytics", params={"location": dc.code, "alerts": "1"}).text
    assert product.sku in alerts
    short = client.get("/inventory/analytics", params={"window_days": 3})
    assert short.status_code == 422 and 'data-error-for="window_days"' in short.text


def test_cycle_count_from_opening_to_approved_variance(client: TestClient, session, settings) -> None:
    product, spare = factories.product(session), factories.product(session)
    dc = factories.location(session)
    factories.stock(session, product, dc, "12.5")
    factories.stock(session, spare, dc, "3")
    session.flush()
    sign_in(client, settings, factories.user(session, "viewer"))
    assert 'data-testid="count-form"' not in client.get("/inventory/counts").text
    token = csrf(client, "/inventory/counts")
    assert client.post("/inventory/counts", data={"csrf_token": token, "location_code": dc.code}).status_code == 403

    sign_in(client, settings, factories.user(session, "warehouse"))
    token = csrf(client, "/inventory/counts")
    unknown = client.post("/inventory/counts", data={"csrf_token": token, "location_code": dc.code,
                                                     "skus": "NOT-A-SKU"})
    assert unknown.status_code == 422 and 'data-error-for="skus"' in unknown.text
    opened = client.post("/inventory/counts", data={"csrf_token": token, "location_code": dc.code,
                                                    "skus": f"{product.sku}, {spare.sku}", "note": "aisle 3"},
                         follow_redirects=False)
    assert opened.status_code == 303
    url = opened.headers["location"]
    page = client.get(url).text
    assert re.search(rf'<tr data-sku="{product.sku}">.*?data-field="expected">12\.50<', page, re.S)
    negative = client.post(f"{url}/lines", data={"csrf_token": token, "sku-0": product.sku, "counted-0": "-1",
                                                 "sku-1": spare.sku, "counted-1": "3"})
    assert negative.status_code == 422 and 'data-error-for="counted-0"' in negative.text
    # Submitting with a line not counted yet is refused and nothing is kept.
    partial = client.post(f"{url}/lines", data={"csrf_token": token, "sku-0": product.sku, "counted-0": "10",
                                                "then": "submit"})
    assert partial.status_code == 422 and "has not been counted yet" in partial.text
    assert 'data-testid="counted-' in client.get(url).text and "10.00" not in client.get(url).text
    saved = client.post(f"{url}/lines", data={"csrf_token": token, "sku-0": product.sku, "counted-0": "10",
                                              "sku-1": spare.sku, "counted-1": "3", "then": "submit"},
                        follow_redirects=False)
    assert saved.status_code == 303
    page = client.get(url).text
    assert 'data-testid="status">Submitted<' in page
    # Counted 10 against 12.5 on the books: -2.5 at 5.00 each = -12.50.
    assert re.search(rf'<tr data-sku="{product.sku}">.*?data-field="variance">-2\.50<.*?'
                     r'data-field="variance_value">-12\.50<', page, re.S)

    sign_in(client, settings, factories.user(session, "sales"))  # may read stock, not approve counts
    token = csrf(client, url)
    assert client.post(f"{url}/approve", data={"csrf_token": token}).status_code == 403
    sign_in(client, settings, factories.user(session, "planner"))
    token = csrf(client, url)
    assert client.post(f"{url}/approve", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert 'data-testid="status">Approved<' in client.get(url).text
    again = client.post(f"{url}/approve", data={"csrf_token": token})
    assert again.status_code == 409 and "only a submitted count can be approved" in again.text
    stock = client.get("/inventory", params={"sku": product.sku}).text
    assert 'data-field="on_hand">10.00<' in stock
    moves = client.get("/inventory/movements", params={"sku": product.sku, "movement_type": "count_correction"}).text
    assert moves.count('<tr data-type="count_correction">') == 1 and "-2.50" in moves


def test_a_partner_sees_lots_value_health_and_counts_of_its_own_locations_only(client: TestClient, session,
                                                                               settings) -> None:
    mine, other = factories.partner(session), factories.partner(session)
    my_store = factories.location(session, owner_partner_code=mine.code, kind="store")
    other_store = factories.location(session, owner_partner_code=other.code, kind="store")
    product = factories.product(session)
    factories.stock(session, product, my_store, "3", lot="MINE", expiry=date.today() + timedelta(days=9))
    factories.stock(session, product, other_store, "4", lot="THEIRS", expiry=date.today() + timedelta(days=9))
    session.flush()
    sign_in(client, settings, factories.user(session, "partner", partner_code=mine.code))
    lots = client.get("/inventory/lots").text
    assert 'data-lot="MINE"' in lots and 'data-lot="THEIRS"' not in lots
    value = client.get("/inventory/valuation").text
    assert f'data-group="{my_store.code}"' in value and f'data-group="{other_store.code}"' not in value
    health = client.get("/inventory/analytics").text
    assert f'data-location="{my_store.code}"' in health and f'data-location="{other_store.code}"' not in health
    counts = client.get("/inventory/counts")
    assert counts.status_code == 200 and 'data-testid="count-form"' not in counts.text
    token = csrf(client, "/inventory/counts")
    refused = client.post("/inventory/counts", data={"csrf_token": token, "location_code": my_store.code})
    assert refused.status_code == 403
