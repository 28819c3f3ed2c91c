"""The web pages through a TestClient: login, CSRF, form errors naming the field, partner isolation."""

from __future__ import annotations

import re
from decimal import Decimal

from fastapi.testclient import TestClient

from qudao.api.app import create_app
from qudao.catalog import service as catalog
from qudao.common.actor import SYSTEM
from tests import factories

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf(client: TestClient, path: str = "/login") -> str:
    match = TOKEN.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: TestClient, username: str, password: str = factories.PASSWORD) -> None:
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf(client), "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text


def sign_in(client: TestClient, settings, user) -> None:  # type: ignore[no-untyped-def]
    """The session cookie the login form would set (skips the deliberately slow password check)."""
    client.cookies.set("qudao_session", factories.headers(settings, user)["Authorization"].split()[1])


def test_pages_redirect_to_login_when_not_authenticated(client: TestClient) -> None:
    response = client.get("/products?q=tea", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fproducts%3Fq%3Dtea"
    client.cookies.set("qudao_session", "not-a-token")
    assert client.get("/partners", follow_redirects=False).headers["location"].startswith("/login")
    # An htmx request is told to navigate rather than swapping a login page into the table.
    hx = client.get("/products", headers={"HX-Request": "true"}, follow_redirects=False)
    assert hx.headers["HX-Redirect"] == "/login?next=%2Fproducts"


def test_login_wrong_then_right_password_sets_an_httponly_session_cookie(client: TestClient, session) -> None:
    admin = factories.user(session, "admin")
    token = csrf(client)
    wrong = client.post("/login", data={"username": admin.username, "password": "nope-nope-9",
                                        "csrf_token": token}, follow_redirects=False)
    assert wrong.status_code == 401
    assert "Incorrect username or password" in wrong.text
    right = client.post("/login", data={"username": admin.username, "password": factories.PASSWORD,
                                        "csrf_token": token, "next": "/products"}, follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "/products"
    cookie = right.headers["set-cookie"].lower()
    assert "qudao_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    home = client.get("/")
    assert home.status_code == 200 and admin.username in home.text
    # An open redirect is refused: only same-site paths are followed after login.
    log_in_elsewhere = client.post("/login", data={"username": admin.username, "password": factories.PASSWORD,
                                                   "csrf_token": token, "next": "//evil.example"},
                                   follow_redirects=False)
    assert log_in_elsewhere.headers["location"] == "/"


def test_post_forms_without_a_valid_csrf_token_are_rejected(client: TestClient, session) -> None:
    admin = factories.user(session, "admin")
    product = factories.product(session, list_price=Decimal("10"))
    no_token = client.post("/login", data={"username": admin.username, "password": factories.PASSWORD})
    assert no_token.status_code == 403
    log_in(client, admin.username)
    body = {"name_zh": product.name_zh, "name_en": product.name_en, "list_price": "99", "uom": "EA",
            "currency": "CNY", "pack_size": "1", "lifecycle": "active", "standard_cost": "6"}
    missing = client.post(f"/products/{product.sku}/edit", data=body)
    forged = client.post(f"/products/{product.sku}/edit", data={**body, "csrf_token": "0" * 64})
    assert missing.status_code == 403 and forged.status_code == 403
    assert "security token" in forged.text
    assert catalog.get_product(session, SYSTEM, product.sku).list_price == Decimal("10")
    # A token bound to another browser's cookie is refused too.
    token = csrf(client, "/products")
    client.cookies.set("qudao_csrf", "another-browser-nonce-123456")
    assert client.post(f"/products/{product.sku}/archive", data={"csrf_token": token}).status_code == 403


def test_form_errors_are_shown_next_to_the_field_they_name(client: TestClient, session, settings) -> None:
    planner = factories.user(session, "planner")
    product = factories.product(session, list_price=Decimal("10"))
    sign_in(client, settings, planner)
    token = csrf(client, f"/products/{product.sku}/edit")
    body = {"csrf_token": token, "name_zh": product.name_zh, "name_en": product.name_en, "uom": "EA",
            "currency": "CNY", "pack_size": "1", "lifecycle": "active", "standard_cost": "6"}
    negative = client.post(f"/products/{product.sku}/edit", data={**body, "list_price": "-1"})
    assert negative.status_code == 422
    assert re.search(r'data-error-for="list_price">[^<]*greater than or equal to 0', negative.text)
    assert 'id="f-list_price" name="list_price"' in negative.text and 'value="-1"' in negative.text
    # A domain error (unknown reference) is placed next to its field the same way.
    unknown = client.post(f"/products/{product.sku}/edit",
                          data={**body, "list_price": "12", "category_code": "NO-SUCH"})
    assert unknown.status_code == 422
    assert re.search(r'data-error-for="category_code">no record with code', unknown.text)
    assert catalog.get_product(session, SYSTEM, product.sku).list_price == Decimal("10")
    # A missing required field on create names the field too.
    created = client.post("/products/new",
                          data={"csrf_token": token, "sku": "NEW-1", "name_en": "Only English"})
    assert created.status_code == 422 and 'data-error-for="name_zh"' in created.text


def test_an_edit_is_saved_and_shown_in_the_audit_trail(client: TestClient, session, settings) -> None:
    admin = factories.user(session, "admin")
    product = factories.product(session, list_price=Decimal("10"))
    sign_in(client, settings, admin)
    token = csrf(client, f"/products/{product.sku}/edit")
    saved = client.post(f"/products/{product.sku}/edit", follow_redirects=False, data={
        "csrf_token": token, "name_zh": product.name_zh, "name_en": product.name_en, "uom": "EA",
        "currency": "CNY", "pack_size": "1", "lifecycle": "active", "standard_cost": "6",
        "list_price": "12.50", "brand": ""})
    assert saved.status_code == 303 and saved.headers["location"] == f"/products/{product.sku}"
    detail = client.get(saved.headers["location"]).text
    assert re.search(r'data-field="list_price">12\.5', detail)
    assert re.search(r"<code>list_price</code>: 10\.0+ → 12\.50*", detail)


def test_partner_users_see_only_their_own_records(client: TestClient, session, settings) -> None:
    mine, other = factories.partner(session), factories.partner(session)
    own_loc = factories.location(session, owner_partner_code=mine.code)
    other_loc = factories.location(session, owner_partner_code=other.code)
    user = factories.user(session, "partner", partner_code=mine.code)
    sign_in(client, settings, user)

    locations = client.get("/locations").text
    assert own_loc.code in locations and other_loc.code not in locations
    assert client.get(f"/locations/{other_loc.code}").status_code == 404
    assert client.get(f"/locations/{other_loc.code}/edit").status_code == 404
    partners = client.get("/partners").text
    assert mine.code in partners and other.code not in partners
    assert client.get(f"/partners/{other.code}").status_code == 404
    # The partner's own edit form offers only what the service lets it change.
    form = client.get(f"/partners/{mine.code}/edit").text
    assert 'name="tax_id"' in form and 'name="credit_limit"' not in form
    # The admin pages are not theirs.
    assert client.get("/audit").status_code == 403
    assert "/users" not in client.get("/").text


def test_language_comes_from_the_browser_then_from_the_switch(client: TestClient, session, settings) -> None:
    admin = factories.user(session, "admin")
    product = factories.product(session, name_zh="乌龙茶", name_en="Oolong tea")
    sign_in(client, settings, admin)
    zh = client.get("/products", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}).text
    assert '<html lang="zh-CN"' in zh and "商品编码" in zh and "乌龙茶" in zh and "Oolong tea" not in zh
    en = client.get("/products", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert '<html lang="en"' in en and "Oolong tea" in en
    switched = client.get("/lang/zh-CN?next=/products", follow_redirects=False)
    assert switched.headers["location"] == "/products"
    page = client.get(f"/products/{product.sku}", headers={"Accept-Language": "en"}).text
    assert '<html lang="zh-CN"' in page and "标价" in page


def test_create_and_archive_through_the_forms(client: TestClient, session, settings) -> None:
    planner = factories.user(session, "planner")
    parent = factories.category(session)
    sign_in(client, settings, planner)
    token = csrf(client, "/categories/new")
    created = client.post("/categories/new", follow_redirects=False, data={
        "csrf_token": token, "code": "SNACK", "name_zh": "零食", "name_en": "Snacks",
        "parent_code": parent.code})
    assert created.status_code == 303 and created.headers["location"] == "/categories/SNACK"
    assert catalog.get_category(session, SYSTEM, "SNACK").path == f"/{parent.code}/SNACK/"
    duplicate = client.post("/categories/new", data={"csrf_token": token, "code": "SNACK", "name_zh": "零食",
                                                      "name_en": "Snacks"})
    assert duplicate.status_code == 422 and "category code SNACK already exists" in duplicate.text

    product = factories.product(session)
    archived = client.post(f"/products/{product.sku}/archive", data={"csrf_token": token},
                           follow_redirects=False)
    assert archived.status_code == 303 and archived.headers["location"] == "/products"
    assert product.sku not in client.get("/products").text
    assert product.sku in client.get("/products", params={"include_archived": "true"}).text
    # A refused archive (the category still holds a product) is explained, not a traceback.
    factories.product(session, category_code="SNACK")
    refused = client.post("/categories/SNACK/archive", data={"csrf_token": token})
    assert refused.status_code == 409 and "still holds active products" in refused.text


def test_admin_lists_users_and_others_may_not(client: TestClient, session, settings) -> None:
    admin = factories.user(session, "admin")
    viewer = factories.user(session, "viewer")
    session.flush()  # the audit row of the last change is still pending in the test's session
    sign_in(client, settings, admin)
    users = client.get("/users")
    assert users.status_code == 200 and viewer.username in users.text
    audit = client.get("/audit", params={"entity": "users"})
    assert audit.status_code == 200 and f"Users #{viewer.id}" in audit.text
    client.cookies.clear()
    sign_in(client, settings, viewer)
    assert client.get("/users").status_code == 403
    assert 'data-testid="new"' not in client.get("/products").text  # viewers cannot write the catalogue


def test_pages_are_not_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert all(path.startswith("/api/") for path in paths)


def test_nul_characters_are_refused_naming_the_field(client: TestClient, session, settings) -> None:
    admin = factories.user(session, "admin")
    product = factories.product(session)
    sign_in(client, settings, admin)
    search = client.get("/products", params={"q": "tea\x00"})
    assert search.status_code == 422 and "q: must not contain NUL characters" in search.text
    token = csrf(client, f"/products/{product.sku}/edit")
    edit = client.post(f"/products/{product.sku}/edit", data={"csrf_token": token, "name_zh": "茶\x00"})
    assert edit.status_code == 422 and "name_zh: must not contain NUL characters" in edit.text


def test_lists_page_and_sort_through_the_service(client: TestClient, session, settings) -> None:
    viewer = factories.user(session, "viewer")
    for n in range(30):
        factories.product(session, sku=f"PG-{n:02d}", brand="Paging", list_price=Decimal(n))
    sign_in(client, settings, viewer)
    first = client.get("/products", params={"q": "PG-", "sort": "-list_price"}).text
    assert first.count('href="/products/PG-') == 25
    assert first.index("PG-29") < first.index("PG-28") and "PG-04" not in first
    assert "page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/products", params={"q": "PG-", "sort": "-list_price", "page": 2}).text
    assert second.count('href="/products/PG-') == 5 and "PG-00" in second and "PG-29" not in second
    # The htmx request for the same list receives only the table.
    partial = client.get("/products", params={"q": "PG-2"}, headers={"HX-Request": "true"}).text
    assert "<html" not in partial and partial.count('href="/products/PG-') == 10
    bad_sort = client.get("/products", params={"sort": "colour"})
    assert bad_sort.status_code == 422 and "unknown sort field" in bad_sort.text


def test_logout_and_login_throttling(client: TestClient, session, settings, session_factory) -> None:
    admin = factories.user(session, "admin")
    log_in(client, admin.username)
    token = csrf(client, "/")
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303

    strict = settings.model_copy(update={"login_max_failures": 1})
    with TestClient(create_app(strict, session_factory)) as other:
        token = csrf(other)
        form = {"username": admin.username, "password": "wrong-password-1", "csrf_token": token}
        assert other.post("/login", data=form).status_code == 401
        locked = other.post("/login", data={**form, "password": factories.PASSWORD})
        assert locked.status_code == 429 and "too many failed logins" in locked.text


def test_pages_render_without_the_vendored_front_end_files(client: TestClient, session, settings,
                                                           monkeypatch, tmp_path) -> None:
    import qudao.web.common as web_common

    monkeypatch.setattr(web_common, "STATIC_DIR", tmp_path)  # as on a checkout before `make assets`
    sign_in(client, settings, factories.user(session, "viewer"))
    product = factories.product(session)
    page = client.get("/products")
    assert page.status_code == 200 and product.sku in page.text
    assert "/static/vendor/" not in page.text and "/static/qudao.css" in page.text
