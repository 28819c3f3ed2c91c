"""Vendor-managed inventory in the planning run (hand-worked, weekly buckets, horizon 6).

VM-STORE is replenished from VM-DC (1 week) within the agreed min 20 / max 60; it holds 25 and sells 10 a
week. A delivery shipped in week 0 arrives in week 1 and would find 25 - 10 = 15 < 20, so 60 - 15 = 45 is
shipped; later arrivals find 50, 40, 30, 20 (not below 20): one delivery. It is a demand on the centre in
its ship week, so the centre (on hand 10, buys in 1 week) needs 35 more in week 0.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from qudao.common.actor import SYSTEM
from qudao.demand.models import SellThrough
from qudao.planning import queries, service
from qudao.planning.schemas import ParameterIn, RunCreate, SourcingIn
from tests import factories
from tests.integration.test_planning_run import START, week


def test_vmi_location_gets_min_max_deliveries(session: Session, session_factory) -> None:
    x = factories.product(session, sku="VM-X")
    channel = factories.channel(session, code="VM-CH")
    factories.partner(session, code="VM-SUP", roles=["supplier"])
    dc = factories.location(session, code="VM-DC", kind="distribution_centre")
    store = factories.location(session, code="VM-STORE", kind="store")
    factories.stock(session, x, dc, 10)
    factories.stock(session, x, store, 25)
    session.execute(insert(SellThrough), [
        {"day": START - timedelta(days=3 + 7 * k), "product_id": x.id, "location_id": store.id,
         "channel_id": channel.id, "quantity": Decimal(10), "revenue": Decimal(0)} for k in range(4)])
    service.save_parameters(session, SYSTEM, [ParameterIn(sku="VM-X", location_code="VM-STORE",
                                                          vmi_min=Decimal(20), vmi_max=Decimal(60))])
    service.save_sourcing(session, SYSTEM, SourcingIn(sku="VM-X", location_code="VM-STORE", rules=[
        {"kind": "transfer", "source_location_code": "VM-DC", "lead_time_days": 7}]))
    service.save_sourcing(session, SYSTEM, SourcingIn(sku="VM-X", location_code="VM-DC", rules=[
        {"kind": "buy", "supplier_code": "VM-SUP", "lead_time_days": 7}]))
    created = service.start_run(session, SYSTEM, RunCreate(start=START, horizon=6, history_days=28))
    session.commit()
    done = service.execute_run(session_factory, created.id, SYSTEM)
    assert done.status == "succeeded", done.error
    assert done.summary["vmi_locations"] == 1
    rows, _ = queries.list_proposals(session, SYSTEM, run_id=done.id)
    got = sorted((p.kind, p.to_location_code, float(p.quantity), p.release_date, p.due_date) for p in rows)
    assert got == [("purchase", "VM-DC", 35.0, week(-1), week(0)),
                   ("transfer", "VM-STORE", 45.0, week(0), week(1))]
    vmi = next(p for p in rows if p.to_location_code == "VM-STORE")
    assert "below the agreed minimum 20" in vmi.reason and "maximum 60" in vmi.reason
    chart = queries.projection(session, SYSTEM, run_id=done.id, sku="VM-X", location_code="VM-STORE")
    assert chart.projected == [15.0, 50.0, 40.0, 30.0, 20.0, 10.0]
