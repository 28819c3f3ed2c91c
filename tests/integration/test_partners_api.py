"""Partners through the HTTP API: CRUD, contacts, hierarchy, bad input, audit, and partner isolation."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qudao.audit.models import AuditRecord
from qudao.auth.models import User
from qudao.catalog.models import Product
from qudao.config import Settings
from qudao.locations.models import Location
from qudao.partners.models import Contact, Partner
from tests import factories

P = "/api/v1/partners"


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def trail(client: TestClient, headers: dict[str, str], entity: str, entity_id: int) -> list[dict]:
    response = client.get("/api/v1/audit", params={"entity": entity, "entity_id": str(entity_id)}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_partner_lifecycle_with_contacts_and_audit(client: TestClient, session: Session, settings: Settings) -> None:
    sales = factories.user(session, "sales")
    h = factories.headers(settings, sales)
    admin = factories.headers(settings, factories.user(session, "admin"))
    factories.channel(session, code="GT")
    factories.partner(session, code="BRAND", roles=["brand"])
    body = {"code": "DIST-N", "name": "华北分销", "name_en": "North Distribution",
            "roles": ["distributor", "wholesaler"], "parent_code": "BRAND", "channel_code": "GT",
            "region": "North", "tier": "A",
            "credit_limit": "250000.50", "payment_terms_days": 45,
            "contacts": [{"name": "王芳", "email": "wang@example.cn", "is_primary": True}]}
    created = client.post(P, json=body, headers=h)
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["roles"] == ["distributor", "wholesaler"]
    assert Decimal(out["credit_limit"]) == Decimal("250000.50")
    assert out["contacts"][0]["name"] == "王芳" and out["status"] == "active"

    patched = client.patch(f"{P}/DIST-N", json={"credit_limit": "300000", "tier": "B", "region": "North"}, headers=h)
    assert patched.status_code == 200 and patched.json()["tier"] == "B"
    contact = client.post(f"{P}/DIST-N/contacts", json={"name": "李雷", "is_primary": True}, headers=h)
    assert contact.status_code == 201
    again = client.get(f"{P}/DIST-N", headers=h).json()
    assert [c["is_primary"] for c in again["contacts"]] == [False, True]
    removed = client.delete(f"{P}/DIST-N/contacts/{contact.json()['id']}", headers=h)
    assert removed.status_code == 200
    problem(client.delete(f"{P}/DIST-N/contacts/{contact.json()['id']}", headers=h), 404)

    archived = client.delete(f"{P}/DIST-N", headers=h)
    assert archived.status_code == 200 and archived.json()["archived_at"] is not None
    problem(client.delete(f"{P}/DIST-N", headers=h), 409)
    assert "DIST-N" not in [p["code"] for p in client.get(P, headers=h).json()["items"]]
    assert "DIST-N" in [p["code"] for p in client.get(P, params={"include_archived": True}, headers=h).json()["items"]]

    rows = trail(client, admin, "partners", out["id"])
    assert [(r["action"], r["actor_name"], r["actor_role"]) for r in rows] == [
        ("archive", sales.username, "sales"), ("update", sales.username, "sales"), ("create", sales.username, "sales")]
    update = rows[1]
    # Only the fields that changed (region and tier names stayed or changed as sent), never the untouched ones.
    assert set(update["after"]) == {"credit_limit", "tier"}
    assert Decimal(update["before"]["credit_limit"]) == Decimal("250000.5")
    assert Decimal(update["after"]["credit_limit"]) == Decimal("300000")
    assert update["before"]["tier"] == "A" and update["after"]["tier"] == "B"
    assert set(rows[0]["after"]) == {"archived_at"} and rows[0]["before"] == {"archived_at": None}
    assert rows[2]["before"] is None and rows[2]["after"]["code"] == "DIST-N"


def test_list_filters_search_and_sort(client: TestClient, session: Session, settings: Settings) -> None:
    h = factories.headers(settings, factories.user(session, "viewer"))
    factories.channel(session, code="MT")
    factories.partner(session, code="LF-1", name="Alpha Retail", roles=["retailer"], region="East", channel_code="MT")
    factories.partner(session, code="LF-2", name="Beta Retail", roles=["retailer"], region="West", tier="A")
    factories.partner(session, code="LF-3", name="Gamma Supply", roles=["supplier"], region="East",
                      status="on_hold")
    codes = lambda **params: [p["code"] for p in client.get(P, params=params, headers=h).json()["items"]]  # noqa: E731
    assert codes(q="lf-", role="retailer") == ["LF-1", "LF-2"]
    assert codes(q="lf-", region="East") == ["LF-1", "LF-3"]
    assert codes(q="lf-", status="on_hold") == ["LF-3"]
    assert codes(q="lf-", channel="MT") == ["LF-1"]
    assert codes(q="lf-", sort="-code") == ["LF-3", "LF-2", "LF-1"]
    assert codes(q="retail", sort="-tier") == ["LF-1", "LF-2"]
    assert problem(client.get(P, params={"sort": "colour"}, headers=h), 422)["errors"][0]["field"] == "sort"
    assert problem(client.get(P, params={"role": "emperor"}, headers=h), 422)["errors"][0]["field"] == "role"


def test_bad_partner_input_names_the_field_and_writes_nothing(
    client: TestClient, session: Session, settings: Settings
) -> None:
    h = factories.headers(settings, factories.user(session, "admin"))
    factories.partner(session, code="EXISTS")
    factories.partner(session, code="OLD")
    factories.channel(session, code="CH-OK")
    assert client.delete(f"{P}/OLD", headers=h).status_code == 200
    partners, contacts, audits = count(session, Partner), count(session, Contact), count(session, AuditRecord)
    good = {"code": "NEW-1", "name": "New", "roles": ["retailer"]}
    cases = [
        ({**good, "colour": "red"}, 422, "colour"),
        ({**good, "roles": ["emperor"]}, 422, "roles.0"),
        ({**good, "roles": []}, 422, "roles"),
        ({**good, "credit_limit": "lots"}, 422, "credit_limit"),
        ({**good, "credit_limit": "-5"}, 422, "credit_limit"),
        ({**good, "payment_terms_days": "soon"}, 422, "payment_terms_days"),
        ({**good, "currency": "yuan"}, 422, "currency"),
        ({**good, "code": "bad code!"}, 422, "code"),
        ({**good, "parent_code": "NOPE"}, 422, "parent_code"),
        ({**good, "parent_code": "OLD"}, 422, "parent_code"),
        ({**good, "channel_code": "NOPE"}, 422, "channel_code"),
        ({**good, "contacts": [{"name": "X", "email": "not-an-email"}]}, 422, "contacts.0.email"),
        ({"name": "No code", "roles": ["retailer"]}, 422, "code"),
    ]
    for body, status, field in cases:
        body_problem = problem(client.post(P, json=body, headers=h), status)
        assert body_problem["errors"][0]["field"] == field, (body, body_problem)
        assert field in body_problem["detail"]
    duplicate = problem(client.post(P, json={**good, "code": "EXISTS"}, headers=h), 409)
    assert "EXISTS" in duplicate["detail"]
    assert problem(client.patch(f"{P}/EXISTS", json={"name": None}, headers=h), 422)["errors"][0]["field"] == "name"
    assert problem(client.patch(f"{P}/EXISTS", json={"parent_code": "EXISTS"}, headers=h), 422)["errors"][0][
        "field"] == "parent_code"
    assert problem(client.patch(f"{P}/MISSING", json={"name": "x"}, headers=h), 404)
    assert (count(session, Partner), count(session, Contact), count(session, AuditRecord)) == (
        partners, contacts, audits)


def test_partner_hierarchy_refuses_cycles(client: TestClient, session: Session, settings: Settings) -> None:
    h = factories.headers(settings, factories.user(session, "sales"))
    factories.partner(session, code="HB", roles=["brand"])
    factories.partner(session, code="HD", parent_code="HB")
    factories.partner(session, code="HR", roles=["retailer"], parent_code="HD")
    cycle = problem(client.patch(f"{P}/HB", json={"parent_code": "HR"}, headers=h), 422)
    assert cycle["errors"][0]["field"] == "parent_code"
    assert client.patch(f"{P}/HR", json={"parent_code": "HB"}, headers=h).status_code == 200


def test_partner_user_sees_and_changes_only_its_own_organisation(
    client: TestClient, session: Session, settings: Settings
) -> None:
    admin = factories.headers(settings, factories.user(session, "admin"))
    p1 = factories.partner(session, code="ISO-P1", credit_limit="1000", tier="B",
                           contacts=[{"name": "P1 contact"}])
    p2 = factories.partner(session, code="ISO-P2", contacts=[{"name": "P2 contact"}])
    factories.location(session, code="ISO-L1", owner_partner_code="ISO-P1")
    factories.location(session, code="ISO-L2", owner_partner_code="ISO-P2")
    factories.location(session, code="ISO-DC")  # the brand's own warehouse
    u1 = factories.headers(settings, factories.user(session, "partner", partner_code="ISO-P1"))
    u2 = factories.headers(settings, factories.user(session, "partner", partner_code="ISO-P2"))

    listed = client.get(P, params={"include_archived": True}, headers=u1).json()
    assert [p["code"] for p in listed["items"]] == ["ISO-P1"] and listed["total"] == 1
    assert [p["code"] for p in client.get(P, params={"q": "ISO-P2"}, headers=u1).json()["items"]] == []
    locations = client.get("/api/v1/locations", params={"include_archived": True}, headers=u1).json()
    assert [loc["code"] for loc in locations["items"]] == ["ISO-L1"] and locations["total"] == 1
    assert client.get("/api/v1/locations", params={"owner": "ISO-P2"}, headers=u1).json()["items"] == []

    # Another partner's records do not exist for it: 404, never 403 (which would confirm they exist).
    for method, url, body in [
        ("GET", f"{P}/ISO-P2", None), ("PATCH", f"{P}/ISO-P2", {"name": "Hijacked"}),
        ("DELETE", f"{P}/ISO-P2", None), ("POST", f"{P}/ISO-P2/contacts", {"name": "Spy"}),
        ("DELETE", f"{P}/ISO-P2/contacts/{p2.contacts[0].id}", None),
        ("GET", "/api/v1/locations/ISO-L2", None), ("PATCH", "/api/v1/locations/ISO-L2", {"name": "Mine"}),
        ("DELETE", "/api/v1/locations/ISO-L2", None),
        ("GET", "/api/v1/locations/ISO-DC", None), ("PATCH", "/api/v1/locations/ISO-DC", {"name": "Mine"}),
        ("DELETE", "/api/v1/locations/ISO-DC", None),
    ]:
        response = client.request(method, url, json=body, headers=u1)
        assert problem(response, 404), (method, url)
        assert "ISO-P2" not in response.text or "not found" in response.text
    # The other partner's own data is untouched.
    assert client.get(f"{P}/ISO-P2", headers=u2).json()["name"] == p2.name
    assert client.get("/api/v1/locations/ISO-L2", headers=u2).json()["name"] == "Location ISO-L2"
    assert client.get("/api/v1/locations/ISO-DC", headers=admin).json()["archived_at"] is None

    # Its own profile: descriptive fields yes, commercial terms no (403 naming the field).
    mine = client.patch(f"{P}/ISO-P1", json={"name": "P1 renamed", "tax_id": "91310000X"}, headers=u1)
    assert mine.status_code == 200 and mine.json()["name"] == "P1 renamed"
    for field, value in [("credit_limit", "9999999"), ("tier", "A"), ("status", "inactive"),
                         ("payment_terms_days", 90), ("parent_code", "ISO-P2")]:
        refused = problem(client.patch(f"{P}/ISO-P1", json={field: value}, headers=u1), 403)
        assert field in refused["detail"]
    session.refresh(p1)
    assert (p1.credit_limit, p1.tier, p1.status) == (Decimal("1000"), "B", "active")
    problem(client.delete(f"{P}/ISO-P1", headers=u1), 403)
    problem(client.post(P, json={"code": "ISO-P3", "name": "Mine too", "roles": ["retailer"]}, headers=u1), 403)
    assert client.post(f"{P}/ISO-P1/contacts", json={"name": "New colleague"}, headers=u1).status_code == 201

    # A new location always belongs to the partner's own organisation.
    forced = client.post("/api/v1/locations", json={"code": "ISO-L3", "name": "Store", "kind": "store"}, headers=u1)
    assert forced.status_code == 201 and forced.json()["owner_partner_id"] == p1.id
    problem(client.post("/api/v1/locations", json={"code": "ISO-L4", "name": "Store", "kind": "store",
                                                   "owner_partner_code": "ISO-P2"}, headers=u1), 403)
    problem(client.patch("/api/v1/locations/ISO-L1", json={"owner_partner_code": "ISO-P2"}, headers=u1), 403)
    assert session.scalar(select(Location.id).where(Location.code == "ISO-L4")) is None

    # Staff-only areas.
    users_before, products_before = count(session, User), count(session, Product)
    problem(client.post("/api/v1/users", json={"username": "sneaky", "password": "long-enough-1", "role": "admin"},
                        headers=u1), 403)
    problem(client.get("/api/v1/users", headers=u1), 403)
    problem(client.get("/api/v1/audit", headers=u1), 403)
    problem(client.post("/api/v1/products", json={"sku": "ISO-SKU", "name_zh": "甲", "name_en": "A"}, headers=u1), 403)
    problem(client.post("/api/v1/channels", json={"code": "ISO-CH", "name_zh": "甲", "name_en": "A",
                                                  "kind": "retail"}, headers=u1), 403)
    assert (count(session, User), count(session, Product)) == (users_before, products_before)
    # Shared master data stays readable.
    assert client.get("/api/v1/products", headers=u1).status_code == 200
    assert client.get("/api/v1/channels", headers=u1).status_code == 200

    # Its changes are audited under its own name and partner.
    rows = trail(client, admin, "partners", p1.id)
    assert rows[0]["action"] == "update" and rows[0]["actor_role"] == "partner"
    assert rows[0]["actor_partner_id"] == p1.id
    assert set(rows[0]["after"]) == {"name", "tax_id"}


def test_nul_characters_and_unparsable_bodies_are_clean_4xx(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """PostgreSQL cannot store NUL in text: refused up front on both databases, naming the field."""
    h = factories.headers(settings, factories.user(session, "admin"))
    partners = count(session, Partner)
    body = problem(client.post(P, json={"code": "NUL-1", "name": "a\x00b", "roles": ["retailer"]}, headers=h), 422)
    assert body["errors"][0]["field"] == "name"
    nested = problem(client.post(P, json={"code": "NUL-2", "name": "ok", "roles": ["retailer"],
                                          "contacts": [{"name": "x\x00"}]}, headers=h), 422)
    assert nested["errors"][0]["field"] == "contacts.0.name"
    assert problem(client.get(P, params={"q": "\x00"}, headers=h), 422)["errors"][0]["field"] == "q"
    assert problem(client.get(f"{P}/A%00B", headers=h), 422)["errors"][0]["field"] == "path"
    login = problem(client.post("/api/v1/auth/token", data={"username": "x\x00", "password": "y"}), 422)
    assert login["errors"][0]["field"] == "username"
    garbled = problem(client.post(P, content=b"\xff\xfe{", headers={**h, "Content-Type": "application/json"}), 400)
    assert garbled["errors"][0]["field"] == "body"
    assert problem(client.delete(f"{P}/X/contacts/99999999999999999999", headers=h), 422)["errors"][0][
        "field"] == "contact_id"
    assert count(session, Partner) == partners
