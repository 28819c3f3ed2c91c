"""Supplier scorecards from real purchase orders, receipts, confirmations and inspections, through the API.

The hand-worked case of tests/unit/test_scorecard_engine.py, built with the purchasing service. The stock
ledger is immutable and stamps receipts with the time they are posted, so every receipt happens today (T)
and the orders are dated back from it: 100, 50 and 200 RICE sent at T-9, T-12 and T-15 days, confirmed
after 12, 48 and 120 hours for T+1, T-2 (so the second is late) and T+3; 4 and 3 rejected; paid 10.00,
10.70 and 10.00 against a contract price of 10.00. By hand: OTIF 2/3 = 66.6667 %, rejection 7/350 = 2 %,
price variance 35/3500 = +1 %, lead time 9, 12, 15 -> 12 +- 3 days, response 60 h; components 66.67, 80,
95, 75, 75; score 76.33, grade C, tier preferred. (The monthly trend arithmetic is in the engine test.)
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qudao.common.actor import SYSTEM
from qudao.db import utcnow
from qudao.purchasing import service as purchasing
from qudao.purchasing.models import PurchaseOrder
from qudao.purchasing.schemas import PurchaseOrderCreate, ReceiptIn
from qudao.suppliers import portal, service
from qudao.suppliers.models import LineConfirmation
from qudao.suppliers.schemas import ConfirmIn, ContractPriceIn, InspectionIn
from tests import factories

D = Decimal


def place_order(session: Session, code: str, qty: str, cost: str, lead_days: int, reply_hours: int,
                promised_offset: int, receipts: list[str], rejected: str, supplier: str = "SC-SUP") -> None:
    """An order sent ``lead_days`` ago, answered ``reply_hours`` after sending with a promised date
    ``promised_offset`` days from today, received today in ``receipts`` parts, then inspected."""
    now = utcnow()
    sent = now - timedelta(days=lead_days)
    purchasing.create_purchase_order(session, SYSTEM, PurchaseOrderCreate(
        code=code, supplier_code=supplier, location_code="SC-DC",
        lines=[{"sku": "SC-RICE", "quantity": qty, "unit_cost": cost}]))
    purchasing.confirm_purchase_order(session, SYSTEM, code)
    order_id = session.scalar(select(PurchaseOrder.id).where(PurchaseOrder.code == code))
    session.execute(update(PurchaseOrder).where(PurchaseOrder.id == order_id).values(confirmed_at=sent))
    promised = now.date() + timedelta(days=promised_offset)
    portal.confirm_order(session, SYSTEM, code, ConfirmIn(lines=[{"line_no": 1, "quantity": qty,
                                                                  "promised_date": promised}]))
    replied = sent + timedelta(hours=reply_hours)
    session.execute(update(LineConfirmation).where(LineConfirmation.order_id == order_id)
                    .values(first_confirmed_at=replied, confirmed_at=replied))
    for quantity in receipts:
        purchasing.receive_purchase_order(session, SYSTEM, code, ReceiptIn(lines=[{"line_no": 1,
                                                                                   "quantity": quantity}]))
    if D(rejected):
        service.record_inspection(session, SYSTEM, InspectionIn(order_code=code, line_no=1, inspected_quantity=qty,
                                                                rejected_quantity=rejected))
    session.flush()


def hand_worked_case(session: Session) -> None:
    factories.partner(session, code="SC-SUP", name="Rice Co", roles=["supplier"])
    factories.location(session, code="SC-DC")
    factories.product(session, sku="SC-RICE")
    service.create_contract_price(session, SYSTEM, ContractPriceIn(supplier_code="SC-SUP", sku="SC-RICE",
                                                                   price=D("10.00"), valid_from=date(2025, 1, 1)))
    place_order(session, "SC-PO1", "100", "10.00", 9, 12, 1, ["100"], "4")
    place_order(session, "SC-PO2", "50", "10.70", 12, 48, -2, ["30", "20"], "3")
    place_order(session, "SC-PO3", "200", "10.00", 15, 120, 3, ["200"], "0")


def test_hand_worked_scorecard_through_the_api(client, session, settings) -> None:
    hand_worked_case(session)
    h = factories.headers(settings, factories.user(session, "planner"))
    refreshed = client.post("/api/v1/supplier-scorecards/refresh", headers=h)
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["suppliers"] == 1
    card = client.get("/api/v1/supplier-scorecards/SC-SUP", headers=h).json()
    assert D(card["otif_pct"]) == D("66.6667")
    assert D(card["rejection_pct"]) == D("2")
    assert D(card["price_variance_pct"]) == D("1")
    assert (D(card["lead_time_mean_days"]), D(card["lead_time_std_days"])) == (D(12), D(3))
    assert D(card["response_hours"]) == D(60)
    assert [D(card[f"{m}_score"]) for m in ("otif", "quality", "price", "lead_time", "responsiveness")] == [
        D("66.6667"), D(80), D(95), D(75), D(75)]
    assert (D(card["score"]), card["grade"], card["tier"]) == (D("76.33"), "C", "preferred")
    today = utcnow()
    months = sorted({f"{today - timedelta(days=d):%Y-%m}" for d in (9, 12, 15)})
    assert [t["period"] for t in card["trend"]] == months
    assert sum(t["lines"] for t in card["trend"]) == 3
    listed = client.get("/api/v1/supplier-scorecards", params={"grade": "C"}, headers=h).json()
    assert [c["supplier_code"] for c in listed["items"]] == ["SC-SUP"]

    stats = client.get("/api/v1/lead-time-stats", params={"supplier": "SC-SUP"}, headers=h).json()
    assert stats == [{"supplier_code": "SC-SUP", "sku": "SC-RICE", "mean_days": 12.0, "std_days": 3.0, "n": 3,
                      "last_days": 9.0}]  # the latest order sent (SC-PO1)


def test_weights_change_the_score_and_inspections_stay_within_receipts(client, session, settings) -> None:
    hand_worked_case(session)
    h = factories.headers(settings, factories.user(session, "planner"))
    assert client.get("/api/v1/supplier-scorecards/weights", headers=h).json()["otif"] == 0.35
    bad = client.put("/api/v1/supplier-scorecards/weights", headers=h, json={
        "otif": "0.5", "quality": "0.25", "price": "0.15", "lead_time": "0.15", "responsiveness": "0.1"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "weights"
    # All weight on OTIF: the score is the OTIF percentage.
    good = client.put("/api/v1/supplier-scorecards/weights", headers=h, json={
        "otif": "1", "quality": "0", "price": "0", "lead_time": "0", "responsiveness": "0"})
    assert good.status_code == 200, good.text
    client.post("/api/v1/supplier-scorecards/refresh", headers=h)
    card = client.get("/api/v1/supplier-scorecards/SC-SUP", headers=h).json()
    assert (D(card["score"]), card["grade"], card["tier"]) == (D("66.67"), "C", "approved")
    viewer = factories.headers(settings, factories.user(session, "viewer"))
    assert client.put("/api/v1/supplier-scorecards/weights", headers=viewer, json=good.json()).status_code == 403

    # Inspections cannot go beyond what was received.
    h = factories.headers(settings, factories.user(session, "warehouse"))
    # SC-PO1 received 100, of which 100 are already inspected.
    more = client.post("/api/v1/receipt-inspections", headers=h, json={
        "order_code": "SC-PO1", "line_no": 1, "inspected_quantity": "1", "rejected_quantity": "1"})
    assert more.status_code == 422 and more.json()["errors"][0]["field"] == "inspected_quantity"
    wrong_line = client.post("/api/v1/receipt-inspections", headers=h, json={
        "order_code": "SC-PO3", "line_no": 9, "inspected_quantity": "1", "rejected_quantity": "0"})
    assert wrong_line.status_code == 422 and wrong_line.json()["errors"][0]["field"] == "line_no"
    listed = client.get("/api/v1/receipt-inspections", params={"order": "SC-PO1"}, headers=h).json()
    assert [(i["sku"], D(i["rejected_quantity"])) for i in listed["items"]] == [("SC-RICE", D(4))]


def test_lead_time_stats_for_planning_as_a_frame(session) -> None:
    hand_worked_case(session)
    frame = service.lead_time_stats(session, SYSTEM, skus=["SC-RICE"])
    assert frame.select("supplier_code", "sku", "mean_days", "std_days", "n", "last_days").rows() == [
        ("SC-SUP", "SC-RICE", 12.0, 3.0, 3, 9.0)]
