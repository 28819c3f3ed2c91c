"""Locations through the HTTP API: CRUD, owners, bad input and audit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qudao.audit.models import AuditRecord
from qudao.config import Settings
from qudao.locations.models import Location
from tests import factories

L = "/api/v1/locations"


def problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def counts(session: Session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(Location)) or 0,
            session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def test_location_lifecycle_and_audit(client: TestClient, session: Session, settings: Settings) -> None:
    planner = factories.user(session, "planner")
    h = factories.headers(settings, planner)
    admin = factories.headers(settings, factories.user(session, "admin"))
    owner = factories.partner(session, code="LC-OWN")
    factories.channel(session, code="LC-CH")
    body = {"code": "LC-SH", "name": "上海配送中心", "kind": "distribution_centre", "owner_partner_code": "LC-OWN",
            "channel_code": "LC-CH", "city": "上海", "province": "上海", "latitude": 31.23, "longitude": 121.47,
            "priority": 10}
    created = client.post(L, json=body, headers=h)
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["owner_partner_id"] == owner.id and out["country"] == "CN" and out["latitude"] == 31.23

    moved = client.patch(f"{L}/LC-SH", json={"priority": 20, "owner_partner_code": None, "city": "上海"}, headers=h)
    assert moved.status_code == 200 and moved.json()["owner_partner_id"] is None
    factories.location(session, code="LC-BJ", kind="warehouse", province="北京")
    by_kind = client.get(L, params={"kind": "warehouse", "q": "lc-"}, headers=h).json()
    assert [loc["code"] for loc in by_kind["items"]] == ["LC-BJ"]
    assert [loc["code"] for loc in client.get(L, params={"q": "lc-", "sort": "-priority"}, headers=h).json()[
        "items"]] == ["LC-BJ", "LC-SH"]

    assert client.delete(f"{L}/LC-SH", headers=h).status_code == 200
    problem(client.delete(f"{L}/LC-SH", headers=h), 409)
    assert "LC-SH" not in [loc["code"] for loc in client.get(L, params={"q": "lc-"}, headers=h).json()["items"]]

    trail = client.get("/api/v1/audit", params={"entity": "locations", "entity_id": str(out["id"])},
                       headers=admin).json()["items"]
    assert [(r["action"], r["actor_name"]) for r in trail] == [
        ("archive", planner.username), ("update", planner.username), ("create", planner.username)]
    assert trail[1]["before"] == {"priority": 10, "owner_partner_id": owner.id}
    assert trail[1]["after"] == {"priority": 20, "owner_partner_id": None}
    assert trail[2]["after"]["code"] == "LC-SH" and trail[2]["before"] is None


def test_bad_location_input_names_the_field_and_writes_nothing(
    client: TestClient, session: Session, settings: Settings
) -> None:
    h = factories.headers(settings, factories.user(session, "admin"))
    factories.location(session, code="LC-DUP")
    factories.partner(session, code="LC-GONE")
    assert client.delete("/api/v1/partners/LC-GONE", headers=h).status_code == 200
    before = counts(session)
    good = {"code": "LC-NEW", "name": "New", "kind": "store"}
    for body, field in [
        ({**good, "owner_partner_code": "LC-GONE"}, "owner_partner_code"),
        ({**good, "owner_partner_code": "NOPE"}, "owner_partner_code"),
        ({**good, "channel_code": "NOPE"}, "channel_code"),
        ({**good, "kind": "castle"}, "kind"),
        ({**good, "latitude": 91}, "latitude"),
        ({**good, "priority": "high"}, "priority"),
        ({**good, "country": "China"}, "country"),
        ({**good, "shelves": 3}, "shelves"),
        ({"name": "No code", "kind": "store"}, "code"),
    ]:
        response = problem(client.post(L, json=body, headers=h), 422)
        assert response["errors"][0]["field"] == field, (body, response)
    assert "LC-DUP" in problem(client.post(L, json={**good, "code": "LC-DUP"}, headers=h), 409)["detail"]
    gone = problem(client.patch(f"{L}/LC-DUP", json={"owner_partner_code": "LC-GONE"}, headers=h), 422)
    assert gone["errors"][0]["field"] == "owner_partner_code" and "archived" in gone["errors"][0]["reason"]
    assert problem(client.patch(f"{L}/LC-DUP", json={"name": None}, headers=h), 422)["errors"][0]["field"] == "name"
    problem(client.get(f"{L}/LC-MISSING", headers=h), 404)
    assert counts(session) == before


def test_location_writes_need_the_locations_permission(
    client: TestClient, session: Session, settings: Settings
) -> None:
    factories.location(session, code="LC-RO")
    for role in ("sales", "warehouse", "viewer"):
        h = factories.headers(settings, factories.user(session, role))
        assert client.get(f"{L}/LC-RO", headers=h).status_code == 200
        problem(client.post(L, json={"code": f"LC-{role}", "name": "x", "kind": "store"}, headers=h), 403)
        problem(client.delete(f"{L}/LC-RO", headers=h), 403)
