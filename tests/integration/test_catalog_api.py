"""Products and categories through the HTTP API: CRUD, search, sort, paging, errors and audit."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from tests import factories


def test_product_lifecycle_create_read_update_archive(client: TestClient, session, settings) -> None:
    admin = factories.user(session, "admin")
    h = factories.headers(settings, admin)
    factories.category(session, code="FOOD")
    body = {"sku": "TEA-001", "name_zh": "绿茶", "name_en": "Green tea", "category_code": "FOOD",
            "list_price": "12.50", "standard_cost": "7.25", "shelf_life_days": 365, "uom": "BOX"}
    created = client.post("/api/v1/products", json=body, headers=h)
    assert created.status_code == 201, created.text
    assert created.json()["category_code"] == "FOOD"
    assert Decimal(created.json()["list_price"]) == Decimal("12.5")

    patched = client.patch("/api/v1/products/TEA-001", json={"list_price": "13.00", "lifecycle": "phase_out"},
                           headers=h)
    assert patched.status_code == 200
    assert patched.json()["lifecycle"] == "phase_out"

    archived = client.delete("/api/v1/products/TEA-001", headers=h)
    assert archived.status_code == 200 and archived.json()["archived_at"] is not None
    listed = client.get("/api/v1/products", headers=h).json()
    assert "TEA-001" not in [p["sku"] for p in listed["items"]]
    with_archived = client.get("/api/v1/products", params={"include_archived": True}, headers=h).json()
    assert "TEA-001" in [p["sku"] for p in with_archived["items"]]

    trail = client.get("/api/v1/audit", params={"entity": "products"}, headers=h).json()["items"]
    actions = [(r["action"], r["actor_name"]) for r in trail if r["entity_id"] == str(created.json()["id"])]
    assert actions == [("archive", admin.username), ("update", admin.username), ("create", admin.username)]
    update = next(r for r in trail if r["action"] == "update")
    assert Decimal(update["before"]["list_price"]) == 12.5 and Decimal(update["after"]["list_price"]) == 13


def test_duplicate_sku_is_409_and_unknown_field_is_422(client: TestClient, session, settings) -> None:
    h = factories.headers(settings, factories.user(session, "planner"))
    body = {"sku": "DUP-1", "name_zh": "甲", "name_en": "A"}
    assert client.post("/api/v1/products", json=body, headers=h).status_code == 201
    dup = client.post("/api/v1/products", json=body, headers=h)
    assert dup.status_code == 409
    assert dup.headers["content-type"].startswith("application/problem+json")
    assert "DUP-1" in dup.json()["detail"]

    bad = client.post("/api/v1/products", json={**body, "sku": "X-2", "colour": "red"}, headers=h)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "colour"
    negative = client.post("/api/v1/products", json={**body, "sku": "X-3", "list_price": "-1"}, headers=h)
    assert negative.status_code == 422 and negative.json()["errors"][0]["field"] == "list_price"
    unknown_category = client.post("/api/v1/products", json={**body, "sku": "X-4", "category_code": "NOPE"},
                                   headers=h)
    assert unknown_category.status_code == 422
    assert unknown_category.json()["errors"][0]["field"] == "category_code"


def test_search_sort_filter_and_pagination(client: TestClient, session, settings) -> None:
    h = factories.headers(settings, factories.user(session, "viewer"))
    factories.category(session, code="DRINK")
    factories.category(session, code="JUICE", parent_code="DRINK")
    for i, price in enumerate(["5", "3", "9", "1", "7"]):
        factories.product(session, sku=f"PG-{i}", list_price=price, category_code="JUICE" if i % 2 else None,
                          brand="Acme" if i < 3 else "Other")
    page = client.get("/api/v1/products", params={"q": "pg-", "sort": "-list_price", "page_size": 2},
                      headers=h).json()
    assert page["total"] == 5
    assert [p["sku"] for p in page["items"]] == ["PG-2", "PG-4"]
    page3 = client.get("/api/v1/products", params={"q": "pg-", "sort": "-list_price", "page_size": 2, "page": 3},
                       headers=h).json()
    assert [p["sku"] for p in page3["items"]] == ["PG-3"]
    in_tree = client.get("/api/v1/products", params={"category": "DRINK"}, headers=h).json()
    assert sorted(p["sku"] for p in in_tree["items"]) == ["PG-1", "PG-3"]
    brand = client.get("/api/v1/products", params={"brand": "Other", "q": "PG"}, headers=h).json()
    assert sorted(p["sku"] for p in brand["items"]) == ["PG-3", "PG-4"]
    bad_sort = client.get("/api/v1/products", params={"sort": "colour"}, headers=h)
    assert bad_sort.status_code == 422 and bad_sort.json()["errors"][0]["field"] == "sort"


def test_substitutes_and_successor_links(client: TestClient, session, settings) -> None:
    h = factories.headers(settings, factories.user(session, "admin"))
    factories.product(session, sku="OLD-1")
    factories.product(session, sku="NEW-1")
    factories.product(session, sku="ALT-1")
    r = client.patch("/api/v1/products/OLD-1", json={"successor_sku": "NEW-1", "substitute_skus": ["ALT-1"]},
                     headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["successor_sku"] == "NEW-1" and r.json()["substitute_skus"] == ["ALT-1"]
    self_link = client.patch("/api/v1/products/OLD-1", json={"successor_sku": "OLD-1"}, headers=h)
    assert self_link.status_code == 422


def test_category_tree_move_rewrites_paths_and_refuses_cycles(client: TestClient, session, settings) -> None:
    h = factories.headers(settings, factories.user(session, "admin"))
    for code, parent in [("A", None), ("B", "A"), ("C", "B"), ("X", None)]:
        assert client.post("/api/v1/categories", json={"code": code, "name_zh": code, "name_en": code,
                                                       "parent_code": parent}, headers=h).status_code == 201
    assert client.get("/api/v1/categories/C", headers=h).json()["path"] == "/A/B/C/"
    moved = client.patch("/api/v1/categories/B", json={"parent_code": "X"}, headers=h)
    assert moved.status_code == 200 and moved.json()["path"] == "/X/B/"
    assert client.get("/api/v1/categories/C", headers=h).json()["path"] == "/X/B/C/"
    cycle = client.patch("/api/v1/categories/X", json={"parent_code": "C"}, headers=h)
    assert cycle.status_code == 422 and cycle.json()["errors"][0]["field"] == "parent_code"
    busy = client.delete("/api/v1/categories/X", headers=h)
    assert busy.status_code == 409


def test_unpaired_surrogate_is_refused_but_escaped_emoji_is_kept(client: TestClient, session, settings) -> None:
    """JSON may carry a lone UTF-16 surrogate ("\\ud83d"); it cannot be stored or exported, so it is a 422."""
    h = {**factories.headers(settings, factories.user(session, "admin")), "content-type": "application/json"}
    lone = b'{"sku": "EMO-1", "name_zh": "x\\ud83dy", "name_en": "A"}'
    refused = client.post("/api/v1/products", content=lone, headers=h)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "name_zh"
    pair = b'{"sku": "EMO-2", "name_zh": "\\ud83d\\ude00", "name_en": "A"}'
    kept = client.post("/api/v1/products", content=pair, headers=h)
    assert kept.status_code == 201 and kept.json()["name_zh"] == "\U0001f600"
    assert client.get("/api/v1/products/EMO-1", headers=h).status_code == 404
