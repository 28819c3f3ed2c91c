"""Sourcing rules: approved suppliers per item whose split shares add up to 100 % on every day; items with
one supplier are flagged; planning gets the rules with contract prices and lead times as a frame."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient

from qudao.common.actor import SYSTEM
from qudao.db import utcnow
from qudao.suppliers import sourcing
from qudao.suppliers.schemas import SourcingCreate
from qudao.suppliers.sourcing import share_gaps
from tests import factories
from tests.integration.test_supplier_scorecards import hand_worked_case

API = "/api/v1/sourcing-rules"


def test_share_gaps_are_found_where_rules_start_and_end() -> None:
    jan, feb, mar = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
    assert share_gaps([(Decimal(60), None, None), (Decimal(40), None, None)]) == []
    # A 70/30 split until February, then one supplier alone: fine.
    assert share_gaps([(Decimal(70), None, date(2026, 1, 31)), (Decimal(30), None, date(2026, 1, 31)),
                       (Decimal(100), feb, None)]) == []
    # The second supplier stops at the end of January but the first keeps only 60 %.
    assert share_gaps([(Decimal(60), jan, None), (Decimal(40), jan, date(2026, 1, 31))]) == [(feb, Decimal(60))]
    # A second supplier joins in March: before that the first alone has only 50 %.
    assert share_gaps([(Decimal(50), None, None), (Decimal(50), mar, None)]) == [(None, Decimal(50))]


def test_sourcing_crud_share_validation_and_single_source(client: TestClient, session, settings) -> None:
    h = factories.headers(settings, factories.user(session, "planner"))
    for code in ("SR-A", "SR-B"):
        factories.partner(session, code=code, roles=["supplier"])
    factories.partner(session, code="SR-SHOP", roles=["retailer"])
    for sku in ("SR-TEA", "SR-CUP"):
        factories.product(session, sku=sku)

    uneven = client.post(API, headers=h, json={"sku": "SR-TEA", "suppliers": [
        {"supplier_code": "SR-A", "share_pct": "70"}, {"supplier_code": "SR-B", "share_pct": "20", "priority": 2}]})
    assert uneven.status_code == 422 and uneven.json()["errors"][0]["field"] == "suppliers"
    assert "90" in uneven.json()["errors"][0]["reason"]
    not_supplier = client.post(API, headers=h, json={"sku": "SR-TEA", "suppliers": [
        {"supplier_code": "SR-SHOP", "share_pct": "100"}]})
    assert not_supplier.status_code == 422
    assert not_supplier.json()["errors"][0]["field"] == "suppliers[0].supplier_code"
    twice = client.post(API, headers=h, json={"sku": "SR-TEA", "suppliers": [
        {"supplier_code": "SR-A", "share_pct": "50"}, {"supplier_code": "SR-A", "share_pct": "50"}]})
    assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "suppliers[1].supplier_code"

    split = client.post(API, headers=h, json={"sku": "SR-TEA", "suppliers": [
        {"supplier_code": "SR-A", "share_pct": "70", "min_order_qty": "100", "pack_size": "12",
         "contract_price": "3.5", "lead_time_days": 7},
        {"supplier_code": "SR-B", "share_pct": "30", "priority": 2}]})
    assert split.status_code == 201, split.text
    assert split.json()["single_source"] is False
    assert client.post(API, headers=h, json={"sku": "SR-TEA", "suppliers": [
        {"supplier_code": "SR-A", "share_pct": "100"}]}).status_code == 409
    single = client.post(API, headers=h, json={"sku": "SR-CUP", "suppliers": [
        {"supplier_code": "SR-B", "share_pct": "100"}]})
    assert single.json()["single_source"] is True
    flagged = client.get(f"{API}/single-source", headers=h).json()
    assert {"sku": "SR-CUP", "supplier_code": "SR-B"} in flagged
    assert all(item["sku"] != "SR-TEA" for item in flagged)

    # Replace the tea rules: B stops after today, so A alone carries 100 % from tomorrow.
    today = utcnow().date()
    replaced = client.put(f"{API}/SR-TEA", headers=h, json={"suppliers": [
        {"supplier_code": "SR-A", "share_pct": "50", "valid_to": today.isoformat()},
        {"supplier_code": "SR-B", "share_pct": "50", "valid_to": today.isoformat()},
        {"supplier_code": "SR-A", "share_pct": "100", "valid_from": (today + timedelta(days=1)).isoformat()}]})
    assert replaced.status_code == 422  # SR-A twice: one rule per supplier and item
    replaced = client.put(f"{API}/SR-TEA", headers=h, json={"suppliers": [
        {"supplier_code": "SR-A", "share_pct": "60"}, {"supplier_code": "SR-B", "share_pct": "40", "priority": 2}]})
    assert replaced.status_code == 200
    assert [(r["supplier_code"], r["share_pct"]) for r in replaced.json()["suppliers"]] == [
        ("SR-A", "60.0000"), ("SR-B", "40.0000")]
    assert sorted(r["sku"] for r in client.get(API, params={"supplier": "SR-B"}, headers=h).json()["items"]) == [
        "SR-CUP", "SR-TEA"]
    assert client.delete(f"{API}/SR-CUP", headers=h).status_code == 204
    assert client.get(f"{API}/SR-CUP", headers=h).status_code == 404
    viewer = factories.headers(settings, factories.user(session, "viewer"))
    assert client.put(f"{API}/SR-TEA", headers=viewer, json={"suppliers": [
        {"supplier_code": "SR-A", "share_pct": "100"}]}).status_code == 403


def test_planning_frame_uses_overrides_then_measured_lead_times(session) -> None:
    hand_worked_case(session)  # SC-SUP delivers SC-RICE in 9, 12 and 15 days; contract price 10.00
    factories.partner(session, code="SC-ALT", roles=["supplier"])
    sourcing.create_sourcing(session, SYSTEM, SourcingCreate(sku="SC-RICE", suppliers=[
        {"supplier_code": "SC-SUP", "share_pct": "80"},
        {"supplier_code": "SC-ALT", "share_pct": "20", "priority": 2, "lead_time_days": 30,
         "contract_price": "11"}]))
    frame = sourcing.sourcing_frame(session, SYSTEM, skus=["SC-RICE"])
    assert frame.select("supplier_code", "share_pct", "contract_price", "lead_time_days", "lead_time_source",
                        "lead_time_std_days").rows() == [
        ("SC-SUP", 80.0, 10.0, 12, "measured", 3.0), ("SC-ALT", 20.0, 11.0, 30, "override", None)]
