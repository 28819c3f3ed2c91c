"""The channel tree through the HTTP API: CRUD, moves, bad input and audit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qudao.audit.models import AuditRecord
from qudao.channels.models import Channel
from qudao.config import Settings
from tests import factories

C = "/api/v1/channels"


def problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def counts(session: Session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(Channel)) or 0,
            session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def test_channel_tree_lifecycle_and_audit(client: TestClient, session: Session, settings: Settings) -> None:
    planner = factories.user(session, "planner")
    h = factories.headers(settings, planner)
    admin = factories.headers(settings, factories.user(session, "admin"))
    root = client.post(C, json={"code": "CT-ALL", "name_zh": "全渠道", "name_en": "All channels", "kind": "hybrid"},
                       headers=h)
    assert root.status_code == 201, root.text
    child = client.post(C, json={"code": "CT-ECOM", "name_zh": "电商", "name_en": "E-commerce", "kind": "ecommerce",
                                 "parent_code": "CT-ALL"}, headers=h)
    assert child.status_code == 201 and child.json()["parent_id"] == root.json()["id"]
    leaf = client.post(C, json={"code": "CT-TMALL", "name_zh": "天猫", "name_en": "Tmall", "kind": "ecommerce",
                                "parent_code": "CT-ECOM"}, headers=h)
    assert leaf.status_code == 201

    listed = client.get(C, params={"parent": "CT-ECOM"}, headers=h).json()
    assert [c["code"] for c in listed["items"]] == ["CT-TMALL"]
    assert [c["code"] for c in client.get(C, params={"kind": "ecommerce", "q": "ct-"}, headers=h).json()["items"]] == [
        "CT-ECOM", "CT-TMALL"]

    renamed = client.patch(f"{C}/CT-ECOM", json={"name_en": "Online", "kind": "ecommerce"}, headers=h)
    assert renamed.status_code == 200 and renamed.json()["name_en"] == "Online"
    # The tree refuses a cycle and an archive that would orphan children.
    cycle = problem(client.patch(f"{C}/CT-ALL", json={"parent_code": "CT-TMALL"}, headers=h), 422)
    assert cycle["errors"][0]["field"] == "parent_code"
    assert problem(client.patch(f"{C}/CT-ALL", json={"parent_code": "CT-ALL"}, headers=h), 422)
    busy = problem(client.delete(f"{C}/CT-ALL", headers=h), 409)
    assert "CT-ECOM" in busy["detail"]
    assert client.delete(f"{C}/CT-TMALL", headers=h).status_code == 200
    problem(client.delete(f"{C}/CT-TMALL", headers=h), 409)
    # An archived channel cannot become a parent.
    archived_parent = problem(client.patch(f"{C}/CT-ECOM", json={"parent_code": "CT-TMALL"}, headers=h), 422)
    assert archived_parent["errors"][0]["field"] == "parent_code"

    trail = client.get("/api/v1/audit", params={"entity": "channels", "entity_id": str(child.json()["id"])},
                       headers=admin).json()["items"]
    assert [(r["action"], r["actor_name"]) for r in trail] == [("update", planner.username),
                                                                ("create", planner.username)]
    assert trail[0]["before"] == {"name_en": "E-commerce"} and trail[0]["after"] == {"name_en": "Online"}
    assert trail[1]["after"]["code"] == "CT-ECOM"


def test_bad_channel_input_names_the_field_and_writes_nothing(
    client: TestClient, session: Session, settings: Settings
) -> None:
    h = factories.headers(settings, factories.user(session, "admin"))
    factories.channel(session, code="CT-DUP")
    before = counts(session)
    good = {"code": "CT-NEW", "name_zh": "新", "name_en": "New", "kind": "retail"}
    for body, field in [
        ({**good, "kind": "telepathy"}, "kind"),
        ({**good, "colour": "red"}, "colour"),
        ({**good, "name_en": ""}, "name_en"),
        ({**good, "name_zh": 5}, "name_zh"),
        ({**good, "parent_code": "NOPE"}, "parent_code"),
        ({k: v for k, v in good.items() if k != "kind"}, "kind"),
    ]:
        response = problem(client.post(C, json=body, headers=h), 422)
        assert response["errors"][0]["field"] == field, (body, response)
    assert "CT-DUP" in problem(client.post(C, json={**good, "code": "CT-DUP"}, headers=h), 409)["detail"]
    assert problem(client.patch(f"{C}/CT-DUP", json={"kind": None}, headers=h), 422)["errors"][0]["field"] == "kind"
    problem(client.patch(f"{C}/CT-MISSING", json={"name_en": "x"}, headers=h), 404)
    problem(client.post(C, content=b"{not json", headers={**h, "Content-Type": "application/json"}), 422)
    assert counts(session) == before


def test_channel_writes_need_the_channels_permission(client: TestClient, session: Session, settings: Settings) -> None:
    factories.channel(session, code="CT-RO")
    for role in ("sales", "warehouse", "viewer"):
        h = factories.headers(settings, factories.user(session, role))
        assert client.get(f"{C}/CT-RO", headers=h).status_code == 200
        problem(client.patch(f"{C}/CT-RO", json={"name_en": "x"}, headers=h), 403)
        problem(client.delete(f"{C}/CT-RO", headers=h), 403)
