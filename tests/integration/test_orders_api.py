"""Orders over HTTP: intake (single, duplicate, Idempotency-Key, batch, CSV import), partner scoping,
pick-pack-ship-deliver with partial shipments, returns with restock and scrap, timeline, exceptions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from qudao.db import utcnow
from qudao.inventory import service as inventory
from qudao.orders.models import SalesOrder
from tests import factories


@pytest.fixture
def net(session):  # type: ignore[no-untyped-def]
    class Net:
        channel = factories.channel(session, code=factories.unique("TMALL"))
        customer = factories.partner(session, tier="A")
        other = factories.partner(session)
        store = factories.location(session, kind="store", owner_partner_code=customer.code, latitude=31.2,
                                   longitude=121.5)
        other_store = factories.location(session, kind="store", owner_partner_code=other.code)
        dc = factories.location(session, latitude=30.3, longitude=120.2)
        tea = factories.product(session)
        cup = factories.product(session)

    factories.stock(session, Net.tea, Net.dc, 10)
    factories.stock(session, Net.cup, Net.dc, 4)
    return Net


def body(net, external_id: str = "", **overrides):  # type: ignore[no-untyped-def]
    return {"channel_code": net.channel.code, "external_order_id": external_id or factories.unique("EXT"),
            "customer_code": net.customer.code, "ship_to_code": net.store.code,
            "lines": [{"sku": net.tea.sku, "quantity": "2"}], **overrides}


def test_create_duplicate_and_idempotency_key(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    h = factories.headers(settings, factories.user(session, "sales"))
    first = client.post("/api/v1/orders", json=body(net, "JD-1"), headers=h)
    assert first.status_code == 201, first.text
    order = first.json()
    assert order["status"] == "allocated" and order["number"] == f"SO{order['id']:08d}" and not order["duplicate"]
    assert Decimal(order["lines"][0]["allocations"][0]["quantity"]) == 2
    again = client.post("/api/v1/orders", json=body(net, "JD-1"), headers=h)
    assert again.status_code == 200 and again.json()["id"] == order["id"] and again.json()["duplicate"]
    keyed = {**h, "Idempotency-Key": "k-123"}
    r1 = client.post("/api/v1/orders", json=body(net, "JD-2"), headers=keyed)
    r2 = client.post("/api/v1/orders", json=body(net, "JD-2"), headers=keyed)
    assert r1.status_code == r2.status_code == 201 and r2.headers.get("Idempotent-Replayed") == "true"
    assert r1.json()["id"] == r2.json()["id"]
    avail = inventory.available_by_location(session, [net.tea.id], [net.dc.id])[(net.tea.id, net.dc.id)]
    assert avail == 6  # two orders of 2, not four


def test_validation_problems_name_field_and_order(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    h = factories.headers(settings, factories.user(session, "sales"))
    bad = client.post("/api/v1/orders", json=body(net, lines=[{"sku": net.tea.sku, "quantity": "-1"}]), headers=h)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0] == {"field": "lines[0].quantity", "reason": "must be greater than 0", "row": 0}
    missing = client.post("/api/v1/orders", json={**body(net), "lines": []}, headers=h)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "lines"
    viewer = factories.headers(settings, factories.user(session, "viewer"))
    assert client.post("/api/v1/orders", json=body(net), headers=viewer).status_code == 403


def test_batch_intake_allocates_in_priority_order(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    h = factories.headers(settings, factories.user(session, "sales"))
    orders = [body(net, f"B-{i}", lines=[{"sku": net.cup.sku, "quantity": "2"}]) for i in range(3)]
    orders[2]["rush"] = True
    r = client.post("/api/v1/orders/batch", json={"orders": orders}, headers=h)
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["created"], result["lines"], result["allocated_lines"]) == (3, 3, 2)
    assert Decimal(result["allocated_quantity"]) == 4 and Decimal(result["backordered_quantity"]) == 2
    # 4 cups for three orders of 2: the rush order and the oldest-by-id plain order win.
    assert [i["status"] for i in result["items"]] == ["allocated", "backordered", "allocated"]
    replay = client.post("/api/v1/orders/batch", json={"orders": orders}, headers=h).json()
    assert replay["created"] == 0 and replay["duplicates"] == 3


def test_csv_import_reports_file_rows(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    h = factories.headers(settings, factories.user(session, "sales"))
    header = "channel,external_order_id,customer,ship_to,sku,quantity,unit_price,promised_date,rush\n"
    good = (f"{net.channel.code},IMP-1,{net.customer.code},{net.store.code},{net.tea.sku},1,,2030-01-01,no\n"
            f"{net.channel.code},IMP-1,{net.customer.code},{net.store.code},{net.cup.sku},1,,2030-01-01,no\n"
            f"{net.channel.code},IMP-2,{net.customer.code},{net.store.code},{net.tea.sku},3,,,yes\n")
    r = client.post("/api/v1/orders/import", files={"file": ("orders.csv", header + good, "text/csv")}, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["lines"]) == (2, 3)
    bad = (f"{net.channel.code},IMP-3,{net.customer.code},{net.store.code},{net.tea.sku},1,,,no\n"
           f"{net.channel.code},IMP-4,{net.customer.code},{net.store.code},NOPE,1,,,no\n")
    r = client.post("/api/v1/orders/import", files={"file": ("orders.csv", header + bad, "text/csv")}, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["row"] == 3 and r.json()["errors"][0]["field"] == "lines[0].sku"


def test_partner_sees_only_its_orders(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    staff = factories.headers(settings, factories.user(session, "sales"))
    mine = client.post("/api/v1/orders", json=body(net), headers=staff).json()
    to_me = client.post("/api/v1/orders", json=body(net, customer_code=net.other.code), headers=staff).json()
    theirs = client.post("/api/v1/orders", json=body(net, customer_code=net.other.code,
                                                     ship_to_code=net.other_store.code), headers=staff).json()
    portal = factories.headers(settings, factories.user(session, "partner", partner_code=net.customer.code))
    listed = {o["id"] for o in client.get("/api/v1/orders", headers=portal).json()["items"]}
    assert listed == {mine["id"], to_me["id"]}  # placed by it, or shipping to its store
    assert client.get(f"/api/v1/orders/{theirs['id']}", headers=portal).status_code == 404
    assert client.get(f"/api/v1/orders/{to_me['id']}/timeline", headers=portal).status_code == 200
    placed = client.post("/api/v1/orders", json={k: v for k, v in body(net).items() if k != "customer_code"},
                         headers=portal)
    assert placed.status_code == 201 and placed.json()["partner_id"] == net.customer.id
    assert placed.json()["source"] == "portal"
    forged = client.post("/api/v1/orders", json=body(net, customer_code=net.other.code), headers=portal)
    assert forged.status_code == 422 and forged.json()["errors"][0]["field"] == "customer_code"
    elsewhere = client.post("/api/v1/orders", json={**body(net), "customer_code": None,
                                                    "ship_to_code": net.other_store.code}, headers=portal)
    assert elsewhere.status_code == 422 and elsewhere.json()["errors"][0]["field"] == "ship_to_code"


def test_pick_pack_ship_partial_deliver_and_return(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    h = factories.headers(settings, factories.user(session, "warehouse"))
    sales = factories.headers(settings, factories.user(session, "sales"))
    order = client.post("/api/v1/orders", json=body(net, lines=[{"sku": net.tea.sku, "quantity": "5"}]),
                        headers=sales).json()
    first = client.post(f"/api/v1/orders/{order['id']}/shipments",
                        json={"location_code": net.dc.code, "lines": [{"line_no": 1, "quantity": "3"}]}, headers=h)
    assert first.status_code == 201, first.text
    sid = first.json()["id"]
    too_much = client.post(f"/api/v1/orders/{order['id']}/shipments",
                           json={"location_code": net.dc.code, "lines": [{"line_no": 1, "quantity": "3"}]}, headers=h)
    assert too_much.status_code == 422  # only 2 left to pick
    assert client.post(f"/api/v1/shipments/{sid}/ship", headers=h).status_code == 409  # must pick and pack first
    for step in ("pick", "pack"):
        assert client.post(f"/api/v1/shipments/{sid}/{step}", headers=h).status_code == 200
    shipped = client.post(f"/api/v1/shipments/{sid}/ship", json={"carrier": "SF", "tracking_number": "SF123"},
                          headers=h)
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    now = client.get(f"/api/v1/orders/{order['id']}", headers=h).json()
    assert now["status"] == "partially_shipped"
    assert (Decimal(now["lines"][0]["shipped_qty"]), Decimal(now["lines"][0]["allocated_qty"])) == (3, 2)
    bal = inventory.available_by_location(session, [net.tea.id], [net.dc.id])[(net.tea.id, net.dc.id)]
    assert bal == 5  # 10 on hand - 3 shipped = 7, of which 2 still reserved
    second = client.post(f"/api/v1/orders/{order['id']}/shipments", json={"location_code": net.dc.code},
                         headers=h).json()
    for step in ("pick", "pack", "ship"):
        assert client.post(f"/api/v1/shipments/{second['id']}/{step}", headers=h).status_code == 200
    assert client.get(f"/api/v1/orders/{order['id']}", headers=h).json()["status"] == "shipped"
    client.post(f"/api/v1/shipments/{sid}/deliver", json={"received_by": "Li Wei"}, headers=h)
    assert client.get(f"/api/v1/orders/{order['id']}", headers=h).json()["status"] == "shipped"
    client.post(f"/api/v1/shipments/{second['id']}/deliver", headers=h)
    assert client.get(f"/api/v1/orders/{order['id']}", headers=h).json()["status"] == "delivered"

    portal = factories.headers(settings, factories.user(session, "partner", partner_code=net.customer.code))
    rma = client.post("/api/v1/returns", json={"order_id": order["id"], "reason": "damaged",
                                               "lines": [{"line_no": 1, "quantity": "2"}]}, headers=portal)
    assert rma.status_code == 201, rma.text
    over = client.post("/api/v1/returns", json={"order_id": order["id"], "reason": "other",
                                                "lines": [{"line_no": 1, "quantity": "4"}]}, headers=portal)
    assert over.status_code == 422  # 5 shipped, 2 already being returned
    rid = rma.json()["id"]
    assert client.post(f"/api/v1/returns/{rid}/receive", headers=portal).status_code == 403
    assert client.post(f"/api/v1/returns/{rid}/receive", headers=h).json()["status"] == "received"
    closed = client.post(f"/api/v1/returns/{rid}/inspect",
                         json={"lines": [{"line_no": 1, "disposition": "restock", "condition": "box dented"}]},
                         headers=h)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert Decimal(closed.json()["lines"][0]["restocked_qty"]) == 2
    bal = inventory.available_by_location(session, [net.tea.id], [net.dc.id])[(net.tea.id, net.dc.id)]
    assert bal == 7  # 5 left after shipping + 2 restocked

    timeline = client.get(f"/api/v1/orders/{order['id']}/timeline", headers=portal).json()
    kinds = [e["kind"] for e in timeline]
    assert kinds[:2] == ["created", "allocated"]
    assert kinds.count("shipment_shipped") == 2 and kinds.count("shipment_delivered") == 2
    assert kinds[-3:] == ["return_authorized", "return_received", "return_closed"]


def test_return_scrap_does_not_restock(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    h = factories.headers(settings, factories.user(session, "admin"))
    order = client.post("/api/v1/orders", json=body(net, lines=[{"sku": net.cup.sku, "quantity": "1"}]),
                        headers=h).json()
    sid = client.post(f"/api/v1/orders/{order['id']}/shipments", json={"location_code": net.dc.code},
                      headers=h).json()["id"]
    for step in ("pick", "pack", "ship"):
        client.post(f"/api/v1/shipments/{sid}/{step}", headers=h)
    rid = client.post("/api/v1/returns", json={"order_id": order["id"], "reason": "defective",
                                               "lines": [{"line_no": 1, "quantity": "1"}]}, headers=h).json()["id"]
    client.post(f"/api/v1/returns/{rid}/receive", headers=h)
    done = client.post(f"/api/v1/returns/{rid}/inspect", json={"lines": [{"line_no": 1, "disposition": "scrap"}]},
                       headers=h).json()
    assert Decimal(done["lines"][0]["scrapped_qty"]) == 1
    assert inventory.available_by_location(session, [net.cup.id], [net.dc.id])[(net.cup.id, net.dc.id)] == 3


def test_exceptions_queue_lists_each_kind_with_an_action(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    h = factories.headers(settings, factories.user(session, "admin"))
    poor = factories.partner(session, credit_limit="1")
    held = client.post("/api/v1/orders", json=body(net, customer_code=poor.code), headers=h).json()
    late = client.post("/api/v1/orders", json=body(net, promised_date=(utcnow().date() - timedelta(days=3))
                                                   .isoformat(), lines=[{"sku": net.cup.sku, "quantity": "9"}]),
                       headers=h).json()
    short = client.post("/api/v1/orders", json=body(net, lines=[{"sku": net.tea.sku, "quantity": "12"}]),
                        headers=h).json()
    sid = client.post(f"/api/v1/orders/{short['id']}/shipments", json={"location_code": net.dc.code},
                      headers=h).json()["id"]
    for step in ("pick", "pack", "ship"):
        client.post(f"/api/v1/shipments/{sid}/{step}", headers=h)
    stuck = client.post("/api/v1/orders", json=body(net, lines=[{"sku": net.cup.sku, "quantity": "1"}]),
                        headers=h).json()
    session.execute(update(SalesOrder).where(SalesOrder.id == stuck["id"]).values(
        status_changed_at=utcnow() - timedelta(hours=72)))
    queue = client.get("/api/v1/orders/exceptions", headers=h).json()
    kinds = {(e["kind"], e["order_id"]) for e in queue}
    assert {("on_hold", held["id"]), ("late", late["id"]), ("short_shipped", short["id"]),
            ("stuck", stuck["id"])} <= kinds
    hold = next(e for e in queue if e["order_id"] == held["id"])
    assert f"/orders/{held['id']}/release-hold" in hold["action"]


def test_cancel_and_reallocate_over_http(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    sales = factories.headers(settings, factories.user(session, "sales"))
    planner = factories.headers(settings, factories.user(session, "planner"))
    other_dc = factories.location(session, latitude=39.9, longitude=116.4)
    factories.stock(session, net.tea, other_dc, 5)
    order = client.post("/api/v1/orders", json=body(net), headers=sales).json()
    assert order["lines"][0]["allocations"][0]["location_id"] == net.dc.id
    assert client.post(f"/api/v1/orders/{order['id']}/cancel", headers=planner).status_code == 403
    moved = client.post(f"/api/v1/orders/{order['id']}/reallocate", json={"location_code": other_dc.code},
                        headers=planner)
    assert moved.status_code == 200, moved.text
    assert [a["location_id"] for a in moved.json()["lines"][0]["allocations"] if Decimal(a["quantity"])] == [
        other_dc.id]
    cancelled = client.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "duplicate"}, headers=sales)
    assert cancelled.json()["status"] == "cancelled"
    assert inventory.available_by_location(session, [net.tea.id], [other_dc.id])[(net.tea.id, other_dc.id)] == 5


def test_excel_import_books_orders(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    import io
    from datetime import date

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Channel", "External_Order_ID", "Customer", "Ship_To", "SKU", "Quantity", "Promised_Date",
                  "Allow_Split"])
    sheet.append([net.channel.code, "XL-1", net.customer.code, net.store.code, net.tea.sku, 4, date(2030, 5, 1),
                  "yes"])
    sheet.append([net.channel.code, "XL-1", net.customer.code, net.store.code, net.cup.sku, 5, date(2030, 5, 1),
                  "yes"])
    buffer = io.BytesIO()
    book.save(buffer)
    h = factories.headers(settings, factories.user(session, "sales"))
    r = client.post("/api/v1/orders/import", files={"file": ("orders.xlsx", buffer.getvalue(),
                                                              "application/vnd.openxmlformats-officedocument"
                                                              ".spreadsheetml.sheet")}, headers=h)
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["created"], result["lines"]) == (1, 2)
    assert Decimal(result["allocated_quantity"]) == 8 and Decimal(result["backordered_quantity"]) == 1
    order = client.get(f"/api/v1/orders/{result['items'][0]['id']}", headers=h).json()
    assert order["promised_date"] == "2030-05-01" and order["allow_split"] and order["source"] == "import"
    assert order["status"] == "partially_allocated"
    not_a_book = client.post("/api/v1/orders/import", files={"file": ("x.xlsx", b"nope", "application/zip")},
                             headers=h)
    assert not_a_book.status_code == 422 and not_a_book.json()["errors"][0]["field"] == "file"
