"""Purchase orders and transfers through the API: on order, partial receipts, tolerance, in transit, audit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient

from qudao.common.actor import SYSTEM
from qudao.inventory import service as inventory
from tests import factories

D = Decimal


def _balance(client: TestClient, h: dict[str, str], sku: str, location: str) -> dict[str, D]:
    items = client.get("/api/v1/inventory/balances", params={"sku": sku, "location": location, "include_zero": True},
                       headers=h).json()["items"]
    assert len(items) == 1, items
    return {k: D(v) for k, v in items[0].items() if k in {"on_hand", "reserved", "available", "in_transit",
                                                          "on_order", "value", "expired"}}


def test_purchase_order_confirm_receive_partially_with_tolerance_and_close(client: TestClient, session,
                                                                           settings) -> None:
    h = factories.headers(settings, factories.user(session, "warehouse"))
    factories.partner(session, code="SUP1", roles=["supplier"])
    factories.location(session, code="DC1")
    factories.product(session, sku="RICE")
    factories.product(session, sku="OIL", shelf_life_days=365)
    body = {"code": "PO-1", "supplier_code": "SUP1", "location_code": "DC1", "over_receipt_tolerance_pct": "5",
            "lines": [{"sku": "RICE", "quantity": "100", "unit_cost": "4.5"},
                      {"sku": "OIL", "quantity": "20", "unit_cost": "30"}]}
    created = client.post("/api/v1/purchase-orders", json=body, headers=h)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft"
    confirmed = client.post("/api/v1/purchase-orders/PO-1/confirm", headers=h)
    assert confirmed.json()["status"] == "confirmed"
    assert _balance(client, h, "RICE", "DC1")["on_order"] == D(100)

    # 106 of 100 exceeds the 5% tolerance; 60 is a partial receipt.
    over = client.post("/api/v1/purchase-orders/PO-1/receipts", json={"lines": [{"sku": "RICE", "quantity": "106"}]},
                       headers=h)
    assert over.status_code == 422 and over.json()["errors"][0]["field"] == "lines[0].quantity"
    part = client.post("/api/v1/purchase-orders/PO-1/receipts",
                       json={"lines": [{"line_no": 1, "quantity": "60"},
                                       {"sku": "OIL", "quantity": "20", "lot": "OIL-A", "expiry": "2999-01-31"}]},
                       headers=h)
    assert part.status_code == 200, part.text
    assert part.json()["status"] == "partially_received"
    rice = _balance(client, h, "RICE", "DC1")
    assert (rice["on_hand"], rice["on_order"], rice["value"]) == (D(60), D(40), D(270))
    # 45 more: 105 in all is within tolerance; on order cannot go below zero.
    done = client.post("/api/v1/purchase-orders/PO-1/receipts", json={"lines": [{"sku": "RICE", "quantity": "45"}]},
                       headers=h)
    assert done.json()["status"] == "received"
    rice = _balance(client, h, "RICE", "DC1")
    assert (rice["on_hand"], rice["on_order"]) == (D(105), D(0))
    lots = client.get("/api/v1/inventory/lots", params={"sku": "OIL"}, headers=h).json()
    assert [(lot["lot"], lot["expiry"], D(lot["on_hand"])) for lot in lots] == [("OIL-A", "2999-01-31", D(20))]

    closed = client.post("/api/v1/purchase-orders/PO-1/close", headers=h)
    assert closed.json()["status"] == "closed"
    again = client.post("/api/v1/purchase-orders/PO-1/receipts", json={"lines": [{"sku": "RICE", "quantity": "1"}]},
                        headers=h)
    assert again.status_code == 409
    admin = factories.headers(settings, factories.user(session, "admin"))
    trail = client.get("/api/v1/audit", params={"entity": "purchase_orders"}, headers=admin).json()["items"]
    assert [r["action"] for r in trail][::-1] == ["create", "confirm", "receive", "receive", "close"]
    assert client.get("/api/v1/inventory/verify", headers=h).json() == {"ok": True, "drift": []}


def test_closing_a_partly_received_order_takes_the_rest_off_order(client: TestClient, session, settings) -> None:
    h = factories.headers(settings, factories.user(session, "planner"))
    factories.partner(session, code="SUP2", roles=["supplier"])
    factories.location(session, code="DC2")
    factories.product(session, sku="SALT")
    client.post("/api/v1/purchase-orders", json={"code": "PO-2", "supplier_code": "SUP2", "location_code": "DC2",
                                                 "lines": [{"sku": "SALT", "quantity": "10", "unit_cost": "1"}]},
                headers=h)
    client.post("/api/v1/purchase-orders/PO-2/confirm", headers=h)
    client.post("/api/v1/purchase-orders/PO-2/receipts", json={"lines": [{"sku": "SALT", "quantity": "4"}]},
                headers=h)
    cancel = client.post("/api/v1/purchase-orders/PO-2/cancel", headers=h)
    assert cancel.status_code == 409
    client.post("/api/v1/purchase-orders/PO-2/close", json={"reason": "supplier short"}, headers=h)
    salt = _balance(client, h, "SALT", "DC2")
    assert (salt["on_hand"], salt["on_order"]) == (D(4), D(0))
    bad = client.post("/api/v1/purchase-orders", json={"supplier_code": "NOPE", "location_code": "DC2",
                                                       "lines": [{"sku": "SALT", "quantity": "1", "unit_cost": "1"}]},
                      headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "supplier_code"


def test_transfer_ships_in_transit_and_receives_lots_at_shipped_cost(client: TestClient, session,
                                                                      settings) -> None:
    h = factories.headers(settings, factories.user(session, "warehouse"))
    origin, _dest = factories.location(session, code="TR-A"), factories.location(session, code="TR-B")
    milk = factories.product(session, sku="MILK", shelf_life_days=20)
    factories.stock(session, milk, origin, 6, "2", lot="M1", expiry=date(2999, 1, 1))
    factories.stock(session, milk, origin, 6, "3", lot="M0", expiry=date(2998, 1, 1))
    created = client.post("/api/v1/transfers", json={"code": "TR-1", "from_location_code": "TR-A",
                                                     "to_location_code": "TR-B",
                                                     "lines": [{"sku": "MILK", "quantity": "8"}]}, headers=h)
    assert created.status_code == 201, created.text
    shipped = client.post("/api/v1/transfers/TR-1/confirm", headers=h)
    assert shipped.status_code == 200, shipped.text
    line = shipped.json()["lines"][0]
    # FIFO cost: 6 @ 2 + 2 @ 3 = 18 for 8 units; FEFO lots: M0 (earlier expiry) first.
    assert D(line["unit_cost"]) == D("2.25")
    assert [(lot["lot"], D(lot["quantity"])) for lot in line["lots"]] == [("M0", D(6)), ("M1", D(2))]
    assert _balance(client, h, "MILK", "TR-A")["on_hand"] == D(4)
    assert _balance(client, h, "MILK", "TR-B")["in_transit"] == D(8)

    part = client.post("/api/v1/transfers/TR-1/receipts", json={"lines": [{"sku": "MILK", "quantity": "7"}]},
                       headers=h)
    assert part.json()["status"] == "partially_received"
    b = _balance(client, h, "MILK", "TR-B")
    assert (b["on_hand"], b["in_transit"], b["value"]) == (D(7), D(1), D("15.75"))
    lots = {(lot["lot"], lot["location_code"]): D(lot["on_hand"])
            for lot in client.get("/api/v1/inventory/lots", params={"sku": "MILK"}, headers=h).json()}
    assert lots[("M0", "TR-B")] == D(6) and lots[("M1", "TR-B")] == D(1)
    too_many = client.post("/api/v1/transfers/TR-1/receipts", json={"lines": [{"sku": "MILK", "quantity": "2"}]},
                           headers=h)
    assert too_many.status_code == 422
    closed = client.post("/api/v1/transfers/TR-1/close", json={"reason": "one broken"}, headers=h)
    assert closed.json()["status"] == "closed"
    assert _balance(client, h, "MILK", "TR-B")["in_transit"] == D(0)
    assert inventory.verify_ledger(session, SYSTEM) == []


def test_transfer_of_more_than_available_fails_whole(client: TestClient, session, settings) -> None:
    h = factories.headers(settings, factories.user(session, "warehouse"))
    a, b = factories.location(session, code="X-A"), factories.location(session, code="X-B")
    p = factories.product(session, sku="TEA")
    factories.stock(session, p, a, 3)
    client.post("/api/v1/transfers", json={"code": "TR-2", "from_location_code": "X-A", "to_location_code": "X-B",
                                           "lines": [{"sku": "TEA", "quantity": "5"}]}, headers=h)
    r = client.post("/api/v1/transfers/TR-2/confirm", headers=h)
    assert r.status_code == 409 and r.json()["title"] == "Insufficient stock"
    assert client.get("/api/v1/transfers/TR-2", headers=h).json()["status"] == "draft"
    assert _balance(client, h, "TEA", "X-A")["on_hand"] == D(3)
    assert b is not None


def test_partner_and_viewer_permissions(client: TestClient, session, settings) -> None:
    partner = factories.partner(session, code="PTN")
    factories.location(session, code="P-OWN", owner_partner_code="PTN")
    own = factories.location(session, code="P-OTHER")
    p = factories.product(session, sku="SOAP")
    factories.stock(session, p, own, 5)
    ph = factories.headers(settings, factories.user(session, "partner", partner_code="PTN"))
    assert client.get("/api/v1/purchase-orders", headers=ph).status_code == 403
    assert client.get("/api/v1/inventory/balances", params={"sku": "SOAP"}, headers=ph).json()["total"] == 0
    vh = factories.headers(settings, factories.user(session, "viewer"))
    assert client.get("/api/v1/inventory/balances", params={"sku": "SOAP"}, headers=vh).json()["total"] == 1
    assert client.post("/api/v1/transfers", json={"from_location_code": "P-OTHER", "to_location_code": "P-OWN",
                                                  "lines": [{"sku": "SOAP", "quantity": "1"}]},
                       headers=vh).status_code == 403
    assert partner is not None
