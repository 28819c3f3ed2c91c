"""The planning run from database to written proposals on a small hand-worked network, and approval.

Network (one product, weekly buckets from Monday 2026-11-30, horizon 6):

    SUP (supplier) --buy, 2 wk, min 30--> PLANT --1 wk--> DC --1 wk--> D1 (demand 10/wk, on hand 25, SS 5)
                                                             \\--2 wk--> D2 (demand 20/wk, on hand 30, SS 10,
                                                                          min 50, multiple 25, 20 in transit
                                                                          arriving in week 1)
    DC on hand 100 (120 received, 20 shipped to D2); PLANT on hand 0 with an open PO of 15 due in week 2.

Worked by hand (POH = projected on hand at the end of a week):
  D1: POH 15, 5, then short 5 below SS each week -> receipts 10 in weeks 2..5, released weeks 1..4.
  D2: POH 10, 10 (transit 20), week 2: need 20 -> min 50 -> POH 40; week 3 20; week 4 need 10 -> 50 -> POH
      50; week 5 30. Receipts 50 in weeks 2 and 4, released weeks 0 and 2.
  DC: gross = D1 + D2 releases = 50, 10, 60, 10, 10, 0. POH 50, 40, then needs 20, 10, 10 in weeks 2, 3, 4
      -> releases weeks 1, 2, 3 (transfers from the plant).
  PLANT: gross 0, 20, 10, 10. Week 1 needs 20 -> min 30 (POH 10); week 2 10 + 15 - 10 = 15; week 3 5.
      The 30 due in week 1 should have been released in week -1: past due (late) and, with nothing able to
      arrive within 2 weeks, a shortage of 20 in week 1.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from qudao.common.actor import SYSTEM
from qudao.demand.models import SellThrough
from qudao.planning import approval, queries, service
from qudao.planning.models import PlanningPeg, PlanningProposal, PlanningRun, SourcingRule
from qudao.planning.schemas import ChangeIn, ParameterIn, RunCreate, SourcingIn
from qudao.purchasing import service as purchasing
from qudao.purchasing.models import PurchaseOrder, Transfer
from qudao.purchasing.schemas import PurchaseOrderCreate, TransferCreate
from tests import factories

START = date(2026, 11, 30)
D = Decimal


def week(n: int) -> date:
    return START + timedelta(days=7 * n)


def seed(session: Session) -> dict[str, object]:
    sku = factories.product(session, sku="PL-TEA")
    channel = factories.channel(session, code="PL-CH")
    sup = factories.partner(session, code="PL-SUP", roles=["supplier"])
    plant = factories.location(session, code="PL-PLANT", kind="plant")
    dc = factories.location(session, code="PL-DC", kind="distribution_centre")
    d1 = factories.location(session, code="PL-D1", kind="partner_warehouse")
    d2 = factories.location(session, code="PL-D2", kind="partner_warehouse")
    factories.stock(session, sku, dc, 120)
    factories.stock(session, sku, d1, 25)
    factories.stock(session, sku, d2, 30)
    t = purchasing.create_transfer(session, SYSTEM, TransferCreate(
        from_location_code="PL-DC", to_location_code="PL-D2", expected_date=week(1),
        lines=[{"sku": "PL-TEA", "quantity": "20"}]))
    purchasing.confirm_transfer(session, SYSTEM, t.code)
    po = purchasing.create_purchase_order(session, SYSTEM, PurchaseOrderCreate(
        supplier_code="PL-SUP", location_code="PL-PLANT", expected_date=week(2),
        lines=[{"sku": "PL-TEA", "quantity": "15", "unit_cost": "4"}]))
    purchasing.confirm_purchase_order(session, SYSTEM, po.code)
    # Four weeks of history before the start: 40 at D1 (10/wk), 80 at D2 (20/wk).
    rows = []
    for loc, per_day in ((d1, 10), (d2, 20)):
        for k in range(4):
            rows.append({"day": START - timedelta(days=3 + 7 * k), "product_id": sku.id, "location_id": loc.id,
                         "channel_id": channel.id, "quantity": D(per_day), "revenue": D(0)})
    session.execute(insert(SellThrough), rows)
    service.save_parameters(session, SYSTEM, [
        ParameterIn(sku="PL-TEA", location_code="PL-D1", safety_stock=D(5)),
        ParameterIn(sku="PL-TEA", location_code="PL-D2", safety_stock=D(10), min_quantity=D(50), multiple=D(25)),
        ParameterIn(sku="PL-TEA", location_code="PL-PLANT", min_quantity=D(30)),
    ])
    for loc, src, days in (("PL-D1", "PL-DC", 7), ("PL-D2", "PL-DC", 14), ("PL-DC", "PL-PLANT", 7)):
        service.save_sourcing(session, SYSTEM, SourcingIn(sku="PL-TEA", location_code=loc, rules=[
            {"kind": "transfer", "source_location_code": src, "lead_time_days": days}]))
    service.save_sourcing(session, SYSTEM, SourcingIn(sku="PL-TEA", location_code="PL-PLANT", rules=[
        {"kind": "buy", "supplier_code": "PL-SUP", "lead_time_days": 14}]))
    session.flush()
    return {"sku": sku, "plant": plant, "dc": dc, "d1": d1, "d2": d2, "sup": sup}


def run(session: Session, factory: sessionmaker[Session], **options: object) -> PlanningRun:
    created = service.start_run(session, SYSTEM, RunCreate(start=START, horizon=6, history_days=28, **options))
    session.commit()
    return service.execute_run(factory, created.id, SYSTEM)


def proposals_of(session: Session, run_id: int) -> list[tuple[str, str, str, float, date, date, bool]]:
    rows, _ = queries.list_proposals(session, SYSTEM, run_id=run_id, page_size=500)
    return sorted((p.kind, p.from_location_code or p.supplier_code, p.to_location_code, float(p.quantity),
                   p.release_date, p.due_date, p.past_due) for p in rows)


def test_hand_worked_network_gives_exact_proposals(session: Session, session_factory) -> None:
    seed(session)
    done = run(session, session_factory)
    assert done.status == "succeeded", done.error
    assert proposals_of(session, done.id) == sorted([
        *[("transfer", "PL-DC", "PL-D1", 10.0, week(t - 1), week(t), False) for t in (2, 3, 4, 5)],
        ("transfer", "PL-DC", "PL-D2", 50.0, week(0), week(2), False),
        ("transfer", "PL-DC", "PL-D2", 50.0, week(2), week(4), False),
        ("transfer", "PL-PLANT", "PL-DC", 20.0, week(1), week(2), False),
        ("transfer", "PL-PLANT", "PL-DC", 10.0, week(2), week(3), False),
        ("transfer", "PL-PLANT", "PL-DC", 10.0, week(3), week(4), False),
        ("purchase", "PL-SUP", "PL-PLANT", 30.0, week(-1), week(1), True),
    ])
    assert done.summary["proposals"] == 10 and done.summary["past_due"] == 1

    exceptions = queries.list_exceptions(session, SYSTEM, run_id=done.id)
    assert [(e.kind, e.location_code, e.quantity, e.bucket_date) for e in exceptions[:2]] == [
        ("shortage", "PL-PLANT", 20.0, week(1)), ("late", "PL-PLANT", 30.0, week(0))]

    chart = queries.projection(session, SYSTEM, run_id=done.id, sku="PL-TEA", location_code="PL-D2")
    assert chart.projected == [10.0, 10.0, 40.0, 20.0, 50.0, 30.0]
    assert chart.scheduled == [0.0, 20.0, 0.0, 0.0, 0.0, 0.0]
    assert chart.dates[0] == START and chart.safety_stock == 10.0


def test_pegging_sums(session: Session, session_factory) -> None:
    seed(session)
    done = run(session, session_factory)
    ids = {p.to_location_code: [] for p in queries.list_proposals(session, SYSTEM, run_id=done.id)[0]}
    for p in queries.list_proposals(session, SYSTEM, run_id=done.id)[0]:
        ids[p.to_location_code].append(p)
    pegged = dict(session.execute(select(PlanningPeg.proposal_id, func.sum(PlanningPeg.quantity))
                                  .where(PlanningPeg.run_id == done.id).group_by(PlanningPeg.proposal_id)).all())
    # D1: on hand 25 serves weeks 0, 1 and half of 2; lot-for-lot receipts serve the rest (5 is safety stock).
    assert sorted(float(pegged[p.id]) for p in ids["PL-D1"]) == [5.0, 10.0, 10.0, 10.0]
    # Every DC -> D1/D2 transfer proposal is a demand on the DC; the DC's proposals serve exactly those.
    dc_pegs = session.execute(select(PlanningPeg.demand_kind, func.sum(PlanningPeg.quantity)).where(
        PlanningPeg.proposal_id.in_([p.id for p in ids["PL-DC"]])).group_by(PlanningPeg.demand_kind)).all()
    assert [(k, float(q)) for k, q in dc_pegs] == [("proposal", 40.0)]
    for p in queries.list_proposals(session, SYSTEM, run_id=done.id)[0]:
        assert float(pegged.get(p.id, 0)) <= float(p.quantity) + 1e-9
    served = queries.pegs_of(session, SYSTEM, ids["PL-PLANT"][0].id)
    assert {s.demand_kind for s in served} == {"proposal"} and sum(s.quantity for s in served) == D(30)


def test_pegs_computed_on_request_equal_the_stored_ones(session: Session, session_factory) -> None:
    seed(session)
    stored = run(session, session_factory, peg=True)
    asked = run(session, session_factory, peg=False)
    assert (stored.summary["pegging"], asked.summary["pegging"]) == ("stored", "on request")

    def by_key(run_id: int) -> dict:
        rows, _ = queries.list_proposals(session, SYSTEM, run_id=run_id, page_size=500)
        return {(p.kind, p.to_location_code, p.due_date): p.id for p in rows}

    a, b = by_key(stored.id), by_key(asked.id)
    assert a.keys() == b.keys()
    ref = {pid: key for key, pid in a.items()} | {pid: key for key, pid in b.items()}
    for key in a:
        def pegs(pid: int) -> list:
            return [(g.demand_kind, ref.get(int(g.demand_ref)) if g.demand_kind == "proposal" else g.demand_ref,
                     g.demand_date, g.quantity) for g in queries.pegs_of(session, SYSTEM, pid)]
        assert pegs(a[key]) == pegs(b[key]), key


def test_approval_creates_exactly_the_orders(session: Session, session_factory) -> None:
    seed(session)
    done = run(session, session_factory)
    rows, _ = queries.list_proposals(session, SYSTEM, run_id=done.id, page_size=500)
    d2 = [p for p in rows if p.to_location_code == "PL-D2"]
    approval.change_proposals(session, SYSTEM, ChangeIn(changes=[{"id": d2[0].id, "quantity": "75"}]))
    rejected = [p.id for p in rows if p.to_location_code == "PL-D1"][:1]
    approval.reject_proposals(session, SYSTEM, rejected, "not needed")
    before_po = session.scalar(select(func.count()).select_from(PurchaseOrder))
    before_tr = session.scalar(select(func.count()).select_from(Transfer))
    approved, codes = approval.approve_proposals(session, SYSTEM, [p.id for p in rows if p.id not in rejected])
    assert len(approved) == 9
    pos = list(session.scalars(select(PurchaseOrder).where(PurchaseOrder.id > 0).order_by(PurchaseOrder.id)))
    assert len(pos) - before_po == 1
    new_po = pos[-1]
    assert (new_po.supplier_code, new_po.location_code, new_po.expected_date, new_po.status) == (
        "PL-SUP", "PL-PLANT", week(1), "draft")
    assert [(line.sku, line.quantity) for line in new_po.lines] == [("PL-TEA", D(30))]
    transfers = list(session.scalars(select(Transfer).where(Transfer.code.in_(codes))))
    assert session.scalar(select(func.count()).select_from(Transfer)) - before_tr == len(transfers) == 8
    lanes = sorted((t.from_location_code, t.to_location_code, t.expected_date, t.lines[0].quantity)
                   for t in transfers)
    assert ("PL-DC", "PL-D2", week(2), D(75)) in lanes and len([x for x in lanes if x[1] == "PL-D1"]) == 3
    statuses = dict(session.execute(select(PlanningProposal.status, func.count()).where(
        PlanningProposal.run_id == done.id).group_by(PlanningProposal.status)).all())
    assert statuses == {"approved": 9, "rejected": 1}
    assert all(p.order_reference for p in approved)
    with pytest.raises(Exception, match="already approved"):
        approval.approve_proposals(session, SYSTEM, [approved[0].id])


def test_sourcing_cycle_writes_nothing_and_names_the_items(session: Session, session_factory) -> None:
    seed(session)
    service.save_sourcing(session, SYSTEM, SourcingIn(sku="PL-TEA", location_code="PL-PLANT", rules=[
        {"kind": "transfer", "source_location_code": "PL-D1", "lead_time_days": 7}]))
    done = run(session, session_factory)
    assert done.status == "failed"
    assert "cycle" in done.error and "PL-TEA@PL-PLANT" in done.error and "PL-TEA@PL-D1" in done.error
    assert session.scalar(select(func.count()).select_from(PlanningProposal).where(
        PlanningProposal.run_id == done.id)) == 0


@pytest.mark.parametrize(("change", "field", "item"), [
    ("missing_lead_time", "lead_time", "PL-TEA@PL-D1"),
    ("service_level", "service_level", "PL-TEA@PL-D2"),
    ("shares", "share", "PL-TEA@PL-DC"),
])
def test_bad_input_is_refused_naming_the_item(session: Session, session_factory, change: str, field: str,
                                              item: str) -> None:
    seed(session)
    if change == "missing_lead_time":
        session.execute(SourcingRule.__table__.update().where(
            SourcingRule.location_id == select(SourcingRule.location_id).join_from(
                SourcingRule, factories.Location, SourcingRule.location_id == factories.Location.id)
            .where(factories.Location.code == "PL-D1").scalar_subquery()).values(lead_time_days=None))
    elif change == "service_level":
        service.save_parameters(session, SYSTEM, [ParameterIn(sku="PL-TEA", location_code="PL-D2",
                                                              service_level=1.2)])
    else:
        service.save_sourcing(session, SYSTEM, SourcingIn(sku="PL-TEA", location_code="PL-DC", rules=[
            {"kind": "transfer", "source_location_code": "PL-PLANT", "lead_time_days": 7, "share": "0.5"},
            {"kind": "buy", "supplier_code": "PL-SUP", "lead_time_days": 7, "share": "0.3"}]))
    done = run(session, session_factory)
    assert done.status == "failed", done.summary
    assert field in done.error and item in done.error
    assert session.scalar(select(func.count()).select_from(PlanningProposal).where(
        PlanningProposal.run_id == done.id)) == 0
