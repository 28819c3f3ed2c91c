"""Login, bearer tokens, throttling, API keys and password storage through the HTTP API."""

from __future__ import annotations

import jwt
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qudao.audit.models import AuditRecord
from qudao.auth import security
from qudao.auth.models import ApiKey, User
from qudao.config import Settings
from tests import factories

TOKEN = "/api/v1/auth/token"


def login(client: TestClient, username: str, password: str = factories.PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(TOKEN, data={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_password_form_returns_a_bearer_token_that_identifies_the_user(client: TestClient, session: Session) -> None:
    user = factories.user(session, "planner", username="ana")
    response = login(client, "ana")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["access_token"] and body["expires_in"] > 0
    me = client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == {"username": "ana", "role": "planner", "partner_id": None}
    session.refresh(user)
    assert user.last_login_at is not None


def test_login_takes_the_oauth2_form_not_json(client: TestClient, session: Session) -> None:
    factories.user(session, "viewer", username="form-only")
    response = client.post(TOKEN, json={"username": "form-only", "password": factories.PASSWORD})
    body = assert_problem(response, 422)
    assert {e["field"] for e in body["errors"]} >= {"username", "password"}


def test_wrong_password_and_unknown_user_get_the_same_401_problem(client: TestClient, session: Session) -> None:
    factories.user(session, "viewer", username="bob")
    wrong = assert_problem(login(client, "bob", "not-the-password"), 401)
    assert wrong["errors"] == [{"field": "password", "reason": "incorrect username or password", "row": None}]
    assert login(client, "bob", "not-the-password").headers["www-authenticate"] == "Bearer"
    unknown = assert_problem(login(client, "nobody-here", "whatever-123"), 401)
    assert unknown["detail"] == wrong["detail"], "the reply must not reveal whether the username exists"


def test_disabled_user_cannot_log_in_and_its_token_stops_working(
    client: TestClient, session: Session, settings: Settings
) -> None:
    admin = factories.headers(settings, factories.user(session, "admin"))
    factories.user(session, "sales", username="carol")
    token = login(client, "carol").json()["access_token"]
    assert client.get("/api/v1/partners", headers=bearer(token)).status_code == 200

    disabled = client.delete("/api/v1/users/carol", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["is_active"] is False
    assert_problem(client.get("/api/v1/partners", headers=bearer(token)), 401)
    assert_problem(login(client, "carol"), 401)

    enabled = client.patch("/api/v1/users/carol", json={"is_active": True}, headers=admin)
    assert enabled.status_code == 200
    assert client.get("/api/v1/partners", headers=bearer(token)).status_code == 200


def test_repeated_failures_are_throttled_even_with_the_right_password(
    client: TestClient, session: Session, settings: Settings
) -> None:
    factories.user(session, "viewer", username="dave")
    for _ in range(settings.login_max_failures):
        assert login(client, "dave", "wrong-password").status_code == 401
    throttled = login(client, "dave")
    body = assert_problem(throttled, 429)
    assert "dave" in body["detail"]
    assert int(throttled.headers["retry-after"]) > 0
    # Throttling is per username: another account is unaffected.
    factories.user(session, "viewer", username="erin")
    assert login(client, "erin").status_code == 200


def test_a_success_before_the_limit_resets_the_failure_count(
    client: TestClient, session: Session, settings: Settings
) -> None:
    factories.user(session, "viewer", username="fay")
    for _round in range(3):
        for _ in range(settings.login_max_failures - 1):
            assert login(client, "fay", "wrong-password").status_code == 401
        assert login(client, "fay").status_code == 200


def test_api_key_works_in_both_headers_until_revoked(client: TestClient, session: Session, settings: Settings) -> None:
    user = factories.user(session, "warehouse", username="gus")
    own = factories.headers(settings, user)
    created = client.post("/api/v1/users/gus/api-keys", json={"name": "scanner"}, headers=own)
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert key.startswith("qk_") and created.json()["prefix"] in key
    stored = session.get(ApiKey, created.json()["id"])
    assert stored is not None and stored.key_hash == security.digest(key) and key not in stored.key_hash

    for headers in ({"X-API-Key": key}, bearer(key)):
        me = client.get("/api/v1/auth/me", headers=headers)
        assert me.status_code == 200 and me.json()["username"] == "gus"

    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert_problem(client.get("/api/v1/auth/me", headers={"X-API-Key": forged}), 401)
    assert_problem(client.get("/api/v1/auth/me", headers={"X-API-Key": "qk_nothing"}), 401)

    revoked = client.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=own)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert_problem(client.get("/api/v1/auth/me", headers={"X-API-Key": key}), 401)
    assert_problem(client.get("/api/v1/auth/me", headers=bearer(key)), 401)
    assert_problem(client.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=own), 409)
    assert_problem(client.delete("/api/v1/api-keys/999999", headers=own), 404)


def test_api_keys_of_other_users_need_admin_rights(client: TestClient, session: Session, settings: Settings) -> None:
    factories.user(session, "viewer", username="hal")
    other = factories.headers(settings, factories.user(session, "planner"))
    admin = factories.headers(settings, factories.user(session, "admin"))
    assert_problem(client.post("/api/v1/users/hal/api-keys", json={"name": "x"}, headers=other), 403)
    issued = client.post("/api/v1/users/hal/api-keys", json={"name": "x"}, headers=admin)
    assert issued.status_code == 201
    assert_problem(client.delete(f"/api/v1/api-keys/{issued.json()['id']}", headers=other), 403)
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": issued.json()["key"]}).json()["username"] == "hal"


def test_expired_foreign_and_garbage_tokens_are_401(client: TestClient, session: Session, settings: Settings) -> None:
    user = factories.user(session, "viewer")
    secret = settings.resolved_secret_key()
    expired = security.issue_token(secret, user_id=user.id, username=user.username, minutes=-1)
    foreign = security.issue_token("another-secret-another-secret-0123456789", user_id=user.id,
                                   username=user.username, minutes=60)
    unsigned = jwt.encode({"sub": str(user.id), "exp": 4102444800}, key=None, algorithm="none")  # type: ignore[arg-type]
    missing_user = security.issue_token(secret, user_id=987654, username="ghost", minutes=60)
    for token in (expired, foreign, unsigned, missing_user, "garbage", "a.b.c", ""):
        response = client.get("/api/v1/auth/me", headers=bearer(token))
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
    valid = security.issue_token(secret, user_id=user.id, username=user.username, minutes=5)
    assert client.get("/api/v1/auth/me", headers=bearer(valid)).status_code == 200


def test_passwords_are_argon2_and_never_leave_the_server(
    client: TestClient, session: Session, settings: Settings
) -> None:
    admin = factories.headers(settings, factories.user(session, "admin"))
    created = client.post("/api/v1/users", json={"username": "ivy", "password": "secret-passw0rd",
                                                 "role": "viewer", "full_name": "Ivy"}, headers=admin)
    assert created.status_code == 201, created.text
    user = session.scalar(select(User).where(User.username == "ivy"))
    assert user is not None and user.password_hash.startswith("$argon2id$")
    assert "secret-passw0rd" not in user.password_hash

    changed = client.patch("/api/v1/users/ivy", json={"password": "another-passw0rd"}, headers=admin)
    assert changed.status_code == 200
    session.refresh(user)
    assert security.verify_password(user.password_hash, "another-passw0rd")
    assert login(client, "ivy", "another-passw0rd").status_code == 200

    token = login(client, "ivy", "another-passw0rd").json()["access_token"]
    responses = [created, changed, client.get("/api/v1/users", headers=admin),
                 client.get("/api/v1/users/ivy", headers=admin), client.get("/api/v1/auth/me", headers=bearer(token)),
                 client.delete("/api/v1/users/ivy", headers=admin)]
    for response in responses:
        assert response.status_code == 200 or response.status_code == 201
        assert "password" not in response.text and "$argon2" not in response.text

    trail = client.get("/api/v1/audit", params={"entity": "users", "entity_id": str(user.id)}, headers=admin)
    assert trail.status_code == 200
    assert [r["action"] for r in trail.json()["items"]] == ["update", "update", "create"]
    assert "$argon2" not in trail.text and "password_hash" not in trail.text
    update = trail.json()["items"][1]
    assert update["after"].get("password") == "changed"
    rows = session.scalars(select(AuditRecord).where(AuditRecord.entity == "users")).all()
    assert all("password_hash" not in (r.after or {}) and "password_hash" not in (r.before or {}) for r in rows)


def test_user_administration_errors_name_the_field(client: TestClient, session: Session, settings: Settings) -> None:
    admin = factories.headers(settings, factories.user(session, "admin"))
    factories.partner(session, code="UA-P")
    before = session.scalar(select(func.count()).select_from(User))
    cases = [
        ({"username": "u1", "password": "long-enough-1", "role": "emperor"}, 422, "role"),
        ({"username": "u2", "password": "short", "role": "viewer"}, 422, "password"),
        ({"username": "u3", "password": "long-enough-1", "role": "partner"}, 422, "partner_code"),
        ({"username": "u4", "password": "long-enough-1", "role": "partner", "partner_code": "NOPE"}, 422,
         "partner_code"),
        ({"username": "u5", "password": "long-enough-1", "role": "viewer", "partner_code": "UA-P"}, 422,
         "partner_code"),
        ({"username": "u6", "password": "long-enough-1", "role": "viewer", "shoe_size": 9}, 422, "shoe_size"),
        ({"username": "bad name", "password": "long-enough-1", "role": "viewer"}, 422, "username"),
    ]
    for body, status, field in cases:
        response = client.post("/api/v1/users", json=body, headers=admin)
        problem = assert_problem(response, status)
        assert problem["errors"][0]["field"] == field, (body, problem)
    assert session.scalar(select(func.count()).select_from(User)) == before

    ok = client.post("/api/v1/users", json={"username": "pu", "password": "long-enough-1", "role": "partner",
                                            "partner_code": "UA-P"}, headers=admin)
    assert ok.status_code == 201 and ok.json()["partner_id"] is not None
    assert_problem(client.post("/api/v1/users", json={"username": "pu", "password": "long-enough-1",
                                                      "role": "viewer"}, headers=admin), 409)
    crossing = client.patch("/api/v1/users/pu", json={"role": "admin"}, headers=admin)
    assert assert_problem(crossing, 422)["errors"][0]["field"] == "role"
    assert_problem(client.get("/api/v1/users/nobody", headers=admin), 404)
