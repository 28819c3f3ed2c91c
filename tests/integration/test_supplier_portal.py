"""The supplier portal: a supplier's user sees and answers its own purchase orders only; notices cannot
announce more than is open; another supplier's order, notice or scorecard is 'not found' on every route."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from qudao.common.actor import SYSTEM
from qudao.purchasing import service as purchasing
from qudao.purchasing.schemas import PurchaseOrderCreate, ReceiptIn
from qudao.suppliers import service
from qudao.suppliers.schemas import RefreshIn
from tests import factories

D = Decimal
API = "/api/v1/supplier-portal"


def _world(session: Session, settings) -> dict[str, dict[str, str]]:
    factories.partner(session, code="PT-A", roles=["supplier"])
    factories.partner(session, code="PT-B", roles=["supplier", "manufacturer"])
    factories.partner(session, code="PT-R", roles=["retailer"])
    factories.location(session, code="PT-DC")
    factories.product(session, sku="PT-TEA")
    factories.product(session, sku="PT-CUP")
    for code, supplier in (("PT-PO-A", "PT-A"), ("PT-PO-B", "PT-B"), ("PT-PO-A2", "PT-A")):
        purchasing.create_purchase_order(session, SYSTEM, PurchaseOrderCreate(
            code=code, supplier_code=supplier, location_code="PT-DC", over_receipt_tolerance_pct=D(10),
            lines=[{"sku": "PT-TEA", "quantity": "100", "unit_cost": "3"},
                   {"sku": "PT-CUP", "quantity": "20", "unit_cost": "1"}]))
        if code != "PT-PO-A2":  # PT-PO-A2 stays a draft: not sent, so the supplier does not see it
            purchasing.confirm_purchase_order(session, SYSTEM, code)
    return {name: factories.headers(settings, factories.user(session, "partner", partner_code=partner))
            for name, partner in (("a", "PT-A"), ("b", "PT-B"), ("retailer", "PT-R"))} | {
        "buyer": factories.headers(settings, factories.user(session, "warehouse"))}


def test_supplier_sees_confirms_and_notifies_its_own_orders(client: TestClient, session, settings) -> None:
    h = _world(session, settings)
    mine = client.get(f"{API}/purchase-orders", headers=h["a"]).json()
    assert [o["code"] for o in mine["items"]] == ["PT-PO-A"]
    staff = client.get(f"{API}/purchase-orders", headers=h["buyer"]).json()
    assert {o["code"] for o in staff["items"]} >= {"PT-PO-A", "PT-PO-B"}

    confirmed = client.post(f"{API}/purchase-orders/PT-PO-A/confirm", headers=h["a"], json={"lines": [
        {"line_no": 1, "quantity": "90", "promised_date": "2999-01-10"},
        {"line_no": 2, "quantity": "20", "promised_date": "2999-01-12"}]})
    assert confirmed.status_code == 200, confirmed.text
    lines = confirmed.json()["lines"]
    assert [(D(ln["confirmed_quantity"]), ln["promised_date"]) for ln in lines] == [
        (D(90), "2999-01-10"), (D(20), "2999-01-12")]
    # Beyond the ordered quantity plus the 10 % tolerance.
    too_many = client.post(f"{API}/purchase-orders/PT-PO-A/confirm", headers=h["a"], json={"lines": [
        {"line_no": 1, "quantity": "111", "promised_date": "2999-01-10"}]})
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "lines[0].quantity"

    # 30 of the 100 tea arrive; 60 are announced; then only 10 are open to ship.
    purchasing.receive_purchase_order(session, SYSTEM, "PT-PO-A", ReceiptIn(lines=[{"line_no": 1, "quantity": "30"}]))
    notice = client.post(f"{API}/purchase-orders/PT-PO-A/notices", headers=h["a"], json={
        "code": "ASN-PT-1", "ship_date": "2999-01-08", "expected_arrival": "2999-01-10", "carrier": "SF Express",
        "tracking_number": "SF123", "lines": [{"line_no": 1, "quantity": "60"}]})
    assert notice.status_code == 201, notice.text
    assert [(n["line_no"], n["sku"], D(n["quantity"])) for n in notice.json()["lines"]] == [(1, "PT-TEA", D(60))]
    order = client.get(f"{API}/purchase-orders/PT-PO-A", headers=h["a"]).json()
    assert [D(x) for x in (order["lines"][0]["notified_quantity"], order["lines"][0]["open_to_ship"])] == [
        D(60), D(40)]
    over = client.post(f"{API}/purchase-orders/PT-PO-A/notices", headers=h["a"], json={
        "ship_date": "2999-01-09", "expected_arrival": "2999-01-11",
        "lines": [{"line_no": 1, "quantity": "30"}, {"line_no": 1, "quantity": "11"}]})
    assert over.status_code == 422 and over.json()["errors"][0]["field"] == "lines[1].quantity"
    assert "40 open to ship" in over.json()["errors"][0]["reason"]
    backwards = client.post(f"{API}/purchase-orders/PT-PO-A/notices", headers=h["a"], json={
        "ship_date": "2999-01-09", "expected_arrival": "2999-01-01", "lines": [{"line_no": 2, "quantity": "1"}]})
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "expected_arrival"
    listed = client.get(f"{API}/notices", headers=h["a"]).json()
    assert [n["code"] for n in listed["items"]] == ["ASN-PT-1"]


def test_another_suppliers_records_are_not_found_on_every_route(client: TestClient, session, settings) -> None:
    h = _world(session, settings)
    client.post(f"{API}/purchase-orders/PT-PO-B/notices", headers=h["b"], json={
        "code": "ASN-PT-B", "ship_date": "2999-01-08", "expected_arrival": "2999-01-10",
        "lines": [{"line_no": 1, "quantity": "5"}]})
    factories.partner(session, code="PT-EMPTY", roles=["supplier"])
    service.refresh_scorecards(session, SYSTEM, RefreshIn())
    confirm = {"lines": [{"line_no": 1, "quantity": "1", "promised_date": "2999-01-10"}]}
    notice = {"ship_date": "2999-01-08", "expected_arrival": "2999-01-10", "lines": [{"line_no": 1, "quantity": "1"}]}
    a = h["a"]
    assert client.get(f"{API}/purchase-orders/PT-PO-B", headers=a).status_code == 404
    assert client.get(f"{API}/purchase-orders/PT-PO-A2", headers=a).status_code == 404  # a draft: not sent
    assert client.post(f"{API}/purchase-orders/PT-PO-B/confirm", headers=a, json=confirm).status_code == 404
    assert client.post(f"{API}/purchase-orders/PT-PO-B/notices", headers=a, json=notice).status_code == 404
    assert client.get(f"{API}/notices/ASN-PT-B", headers=a).status_code == 404
    assert client.get(f"{API}/notices", params={"order": "PT-PO-B"}, headers=a).json()["items"] == []
    assert client.get("/api/v1/supplier-scorecards/PT-B", headers=a).status_code == 404
    assert client.get("/api/v1/supplier-scorecards/PT-A", headers=a).status_code == 200
    assert [c["supplier_code"] for c in client.get("/api/v1/supplier-scorecards", headers=a).json()["items"]] == [
        "PT-A"]
    assert client.get(f"{API}/scorecard", headers=a).json()["supplier_code"] == "PT-A"
    assert client.get(f"{API}/scorecard", headers=h["b"]).json()["supplier_code"] == "PT-B"
    # B's order is untouched by A's attempts; B itself may answer it.
    assert client.get(f"{API}/purchase-orders/PT-PO-B", headers=h["b"]).json()["lines"][0]["confirmed_quantity"] \
        is None
    assert client.post(f"{API}/purchase-orders/PT-PO-B/confirm", headers=h["b"], json=confirm).status_code == 200

    # A partner that is not a supplier has no portal; nor does a supplier reach staff-only purchasing routes.
    for url in (f"{API}/purchase-orders", f"{API}/notices", f"{API}/scorecard", "/api/v1/supplier-scorecards"):
        assert client.get(url, headers=h["retailer"]).status_code == 403, url
    for url in ("/api/v1/purchase-orders", "/api/v1/purchase-orders/PT-PO-A", "/api/v1/sourcing-rules",
                "/api/v1/lead-time-stats", "/api/v1/contract-prices", "/api/v1/receipt-inspections",
                "/api/v1/supplier-scorecards/weights"):
        assert client.get(url, headers=a).status_code == 403, url
    assert client.post("/api/v1/supplier-scorecards/refresh", headers=a).status_code == 403
    assert client.post("/api/v1/purchase-orders/PT-PO-A/receipts", headers=a,
                       json={"lines": [{"line_no": 1, "quantity": "1"}]}).status_code == 403
