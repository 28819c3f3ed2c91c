"""Idempotency-Key on POST: a retried create returns the first result and writes nothing new."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qudao.audit.models import AuditRecord
from qudao.catalog.models import Product
from qudao.config import Settings
from qudao.partners.models import Partner
from tests import factories


def count(session: Session, model: type, *where) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_retry_with_same_key_and_body_replays_the_first_response(
    client: TestClient, session: Session, settings: Settings
) -> None:
    h = {**factories.headers(settings, factories.user(session, "sales")), "Idempotency-Key": "order-7f3a"}
    body = {"code": "IDEM-1", "name": "Retry Ltd", "roles": ["retailer"], "credit_limit": "1000.00"}
    audits = count(session, AuditRecord)
    first = client.post("/api/v1/partners", json=body, headers=h)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    for _ in range(2):
        again = client.post("/api/v1/partners", json=body, headers=h)
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json() and again.json()["id"] == first.json()["id"]
        assert again.headers["content-type"] == first.headers["content-type"]
    assert count(session, Partner, Partner.code == "IDEM-1") == 1
    assert count(session, AuditRecord) == audits + 1
    # Without the key a second create is an ordinary duplicate.
    plain = {k: v for k, v in h.items() if k != "Idempotency-Key"}
    assert client.post("/api/v1/partners", json=body, headers=plain).status_code == 409


def test_same_key_with_a_different_body_is_refused(client: TestClient, session: Session, settings: Settings) -> None:
    h = {**factories.headers(settings, factories.user(session, "planner")), "Idempotency-Key": "k-1"}
    assert client.post("/api/v1/products", json={"sku": "IDEM-A", "name_zh": "甲", "name_en": "A"},
                       headers=h).status_code == 201
    other = client.post("/api/v1/products", json={"sku": "IDEM-B", "name_zh": "乙", "name_en": "B"}, headers=h)
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert count(session, Product, Product.sku == "IDEM-B") == 0


def test_keys_are_private_to_each_client_and_each_path(
    client: TestClient, session: Session, settings: Settings
) -> None:
    first = {**factories.headers(settings, factories.user(session, "planner")), "Idempotency-Key": "shared"}
    second = {**factories.headers(settings, factories.user(session, "planner")), "Idempotency-Key": "shared"}
    a = client.post("/api/v1/products", json={"sku": "IDEM-U1", "name_zh": "甲", "name_en": "A"}, headers=first)
    b = client.post("/api/v1/products", json={"sku": "IDEM-U2", "name_zh": "乙", "name_en": "B"}, headers=second)
    assert a.status_code == b.status_code == 201
    assert "idempotent-replayed" not in b.headers and a.json()["id"] != b.json()["id"]
    # The same body from the second user is its own request: a real duplicate, not a replay of the first.
    dup = client.post("/api/v1/products", json={"sku": "IDEM-U1", "name_zh": "甲", "name_en": "A"},
                      headers={**second, "Idempotency-Key": "another"})
    assert dup.status_code == 409
    # The same key on another path is another request.
    cat = client.post("/api/v1/categories", json={"code": "IDEM-C", "name_zh": "类", "name_en": "C"}, headers=first)
    assert cat.status_code == 201 and "idempotent-replayed" not in cat.headers


def test_failed_requests_are_not_remembered(client: TestClient, session: Session, settings: Settings) -> None:
    h = {**factories.headers(settings, factories.user(session, "planner")), "Idempotency-Key": "fix-and-retry"}
    bad = client.post("/api/v1/products", json={"sku": "IDEM-F", "name_zh": "甲"}, headers=h)
    assert bad.status_code == 422
    fixed = client.post("/api/v1/products", json={"sku": "IDEM-F", "name_zh": "甲", "name_en": "A"}, headers=h)
    assert fixed.status_code == 201 and "idempotent-replayed" not in fixed.headers
    too_long = client.post("/api/v1/products", json={"sku": "IDEM-G", "name_zh": "甲", "name_en": "A"},
                           headers={**h, "Idempotency-Key": "x" * 201})
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "Idempotency-Key"
    assert count(session, Product, Product.sku == "IDEM-G") == 0
