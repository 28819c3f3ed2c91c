"""Manufacturing in the planning run: BOM explosion, rough-cut capacity overload, work orders on approval,
and a BOM cycle refused with its items named (hand-worked, weekly buckets from Monday 2026-11-30, horizon 4).

    CMP (bought from MF-SUP, 1 wk, 150 on hand) --2 per FG--> FG made at MF-PLANT (1 wk, line MF-LINE:
    8 h x 5 days = 40 h/wk, setup 2 h + 0.5 h/unit) --transfer 1 wk--> MF-DC (demand 100/wk, on hand 100)

  DC: POH 0 after week 0, then needs 100 in weeks 1..3 -> transfers released weeks 0, 1, 2.
  FG@PLANT: gross 100 in weeks 0..2, nothing on hand -> production due weeks 0, 1, 2, released weeks -1 (past
      due), 0, 1. Load of week 0: (100 + 100) x 0.5 + 2 = 102 h (overload 62); week 1: 50 + 2 = 52 h (12).
  Pre-build (run hours only): week 1 needs 50 h of 40, so 20 units are advised to be built in week 0.
  CMP@PLANT: gross 2 x releases = 400 in week 0 (the past-due release counts now), 200 in week 1; 150 on hand
      -> purchases of 250 due week 0 (past due) and 200 due week 1.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from qudao.common.actor import SYSTEM
from qudao.demand.models import SellThrough
from qudao.planning import approval, queries, service
from qudao.planning.schemas import ParameterIn, RunCreate, SourcingIn
from qudao.production import service as production
from qudao.production.models import BomLine, WorkOrder
from qudao.production.schemas import BomLineCreate, ResourceCreate, RoutingCreate
from tests import factories

START = date(2026, 11, 30)


def week(n: int) -> date:
    return START + timedelta(days=7 * n)


def seed(session: Session, cmp_bought: bool = True) -> None:
    fg = factories.product(session, sku="MF-FG")
    cmp = factories.product(session, sku="MF-CMP")
    channel = factories.channel(session, code="MF-CH")
    factories.partner(session, code="MF-SUP", roles=["supplier"])
    plant = factories.location(session, code="MF-PLANT", kind="plant")
    dc = factories.location(session, code="MF-DC", kind="distribution_centre")
    factories.stock(session, fg, dc, 100)
    factories.stock(session, cmp, plant, 150)
    production.create_resource(session, SYSTEM, ResourceCreate(code="MF-LINE", name="Line", location_code="MF-PLANT",
                                                               hours_per_day=Decimal(8), weekdays_off=[5, 6]))
    production.create_routing(session, SYSTEM, RoutingCreate(sku="MF-FG", resource_code="MF-LINE",
                                                             setup_hours=Decimal(2), run_hours_per_unit=Decimal("0.5")))
    production.create_bom_line(session, SYSTEM, BomLineCreate(parent_sku="MF-FG", component_sku="MF-CMP",
                                                              quantity_per=Decimal(2)))
    session.execute(insert(SellThrough), [
        {"day": START - timedelta(days=3 + 7 * k), "product_id": fg.id, "location_id": dc.id,
         "channel_id": channel.id, "quantity": Decimal(100), "revenue": Decimal(0)} for k in range(4)])
    service.save_sourcing(session, SYSTEM, SourcingIn(sku="MF-FG", location_code="MF-DC", rules=[
        {"kind": "transfer", "source_location_code": "MF-PLANT", "lead_time_days": 7}]))
    service.save_sourcing(session, SYSTEM, SourcingIn(sku="MF-FG", location_code="MF-PLANT", rules=[
        {"kind": "make", "lead_time_days": 7}]))
    if cmp_bought:
        service.save_sourcing(session, SYSTEM, SourcingIn(sku="MF-CMP", location_code="MF-PLANT", rules=[
            {"kind": "buy", "supplier_code": "MF-SUP", "lead_time_days": 7}]))
    service.save_parameters(session, SYSTEM, [ParameterIn(sku="MF-FG", location_code="MF-DC")])
    session.flush()


def run(session: Session, factory):  # type: ignore[no-untyped-def]
    created = service.start_run(session, SYSTEM, RunCreate(start=START, horizon=4, history_days=28))
    session.commit()
    return service.execute_run(factory, created.id, SYSTEM)


def test_bom_explosion_capacity_overload_and_work_orders(session: Session, session_factory) -> None:
    seed(session)
    done = run(session, session_factory)
    assert done.status == "succeeded", done.error
    rows, _ = queries.list_proposals(session, SYSTEM, run_id=done.id, page_size=100)
    got = sorted((p.kind, p.sku, p.from_location_code or p.supplier_code, p.to_location_code, float(p.quantity),
                  p.release_date, p.due_date) for p in rows)
    assert got == sorted([
        *[("transfer", "MF-FG", "MF-PLANT", "MF-DC", 100.0, week(t - 1), week(t)) for t in (1, 2, 3)],
        *[("production", "MF-FG", None, "MF-PLANT", 100.0, week(t - 1), week(t)) for t in (0, 1, 2)],
        ("purchase", "MF-CMP", "MF-SUP", "MF-PLANT", 250.0, week(-1), week(0)),
        ("purchase", "MF-CMP", "MF-SUP", "MF-PLANT", 200.0, week(0), week(1)),
    ])
    overloads = queries.list_exceptions(session, SYSTEM, run_id=done.id, kind="overload")
    assert [(e.resource, e.sku, e.bucket_date, e.quantity) for e in overloads] == [
        ("MF-LINE", None, week(0), 62.0), ("MF-LINE", "MF-FG", week(0), 20.0), ("MF-LINE", None, week(1), 12.0)]
    # Pre-build advice (run hours only: week 1 needs 50 h of 40): build 20 of week 1's units in week 0.
    assert overloads[1].message.startswith("pre-build 20.0 of MF-FG@MF-PLANT in 1 move(s); largest: pre-built in "
                                           "bucket 0 for bucket 1")
    first = queries.list_exceptions(session, SYSTEM, run_id=done.id)
    assert [e.kind for e in first].index("overload") < [e.kind for e in first].index("late")

    purchases = [p for p in rows if p.kind == "purchase"]
    pegs = [queries.pegs_of(session, SYSTEM, p.id) for p in purchases]
    assert [sum(g.quantity for g in peg) for peg in pegs] == [Decimal(250), Decimal(200)]
    assert {g.demand_kind for peg in pegs for g in peg} == {"proposal"}

    made = [p.id for p in rows if p.kind == "production"]
    approved, codes = approval.approve_proposals(session, SYSTEM, made)
    orders = list(session.scalars(select(WorkOrder).where(WorkOrder.code.in_(codes))))
    assert sorted((o.source_proposal_id, o.quantity, o.due_date) for o in orders) == sorted(
        (p.id, Decimal(100), p.due_date) for p in approved)


def test_bom_cycle_writes_nothing_and_names_the_items(session: Session, session_factory) -> None:
    seed(session, cmp_bought=False)
    ids = dict(session.execute(select(factories.Product.sku, factories.Product.id)
                               .where(factories.Product.sku.in_(["MF-FG", "MF-CMP"]))).all())
    # Bad data that bypassed the BOM service's own cycle check (e.g. a bulk import): CMP needs FG.
    session.execute(insert(BomLine), [{"parent_id": ids["MF-CMP"], "component_id": ids["MF-FG"],
                                       "quantity_per": Decimal(1), "scrap_pct": Decimal(0)}])
    session.flush()
    done = run(session, session_factory)
    assert done.status == "failed"
    assert "bom" in done.error and "MF-FG@MF-PLANT" in done.error and "MF-CMP@MF-PLANT" in done.error
    assert queries.list_proposals(session, SYSTEM, run_id=done.id)[1] == 0
