"""Scarce supply shared out in the planning run (hand-worked, weekly buckets, horizon 4).

AL-DC holds 30 and buys with a 2-week lead time, so nothing new arrives in weeks 0-1. AL-D1 (priority 10)
and AL-D2 (priority 20) sell 20 a week from nothing, with a 1-week transfer lead time: each releases
transfers of 20 in weeks -1 (past due), 0 and 1 on the centre, 60 each in its 2-week window, 120 for 30.

* proportional: 15 and 15;  priority: 30 and 0;
* max_margin (weights 1/priority) with a 20 % minimum service: 12 (20 % of 60) to D2, the other 18 to D1.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.orm import Session

from qudao.common.actor import SYSTEM
from qudao.config import Settings
from qudao.demand.models import SellThrough
from qudao.planning import queries, service
from qudao.planning.schemas import RunCreate, SourcingIn
from tests import factories
from tests.integration.test_planning_run import START


def seed(session: Session) -> None:
    x = factories.product(session, sku="AL-X")
    channel = factories.channel(session, code="AL-CH")
    factories.partner(session, code="AL-SUP", roles=["supplier"])
    dc = factories.location(session, code="AL-DC", kind="distribution_centre")
    d1 = factories.location(session, code="AL-D1", kind="partner_warehouse", priority=10)
    d2 = factories.location(session, code="AL-D2", kind="partner_warehouse", priority=20)
    factories.stock(session, x, dc, 30)
    session.execute(insert(SellThrough), [
        {"day": START - timedelta(days=3 + 7 * k), "product_id": x.id, "location_id": loc.id,
         "channel_id": channel.id, "quantity": Decimal(20), "revenue": Decimal(0)}
        for k in range(4) for loc in (d1, d2)])
    service.save_sourcing(session, SYSTEM, SourcingIn(sku="AL-X", location_code="AL-DC", rules=[
        {"kind": "buy", "supplier_code": "AL-SUP", "lead_time_days": 14}]))
    for d in ("AL-D1", "AL-D2"):
        service.save_sourcing(session, SYSTEM, SourcingIn(sku="AL-X", location_code=d, rules=[
            {"kind": "transfer", "source_location_code": "AL-DC", "lead_time_days": 7}]))
    session.flush()


@pytest.mark.parametrize(("policy", "min_service", "expected"), [
    ("proportional", 0.0, {"AL-D1": 15.0, "AL-D2": 15.0}),
    ("priority", 0.0, {"AL-D1": 30.0, "AL-D2": 0.0}),
    ("max_margin", 0.2, {"AL-D1": 18.0, "AL-D2": 12.0}),
])
def test_scarce_supply_is_shared_by_policy(session: Session, session_factory, policy: str, min_service: float,
                                           expected: dict[str, float]) -> None:
    seed(session)
    created = service.start_run(session, SYSTEM, RunCreate(start=START, horizon=4, history_days=28,
                                                           allocation_policy=policy, min_service=min_service))
    session.commit()
    done = service.execute_run(session_factory, created.id, SYSTEM)
    assert done.status == "succeeded", done.error
    rows = queries.list_allocations(session, SYSTEM, run_id=done.id, sku="AL-X", location_code="AL-DC")
    assert {r.to_location_code: (r.demand, r.allocated) for r in rows} == {
        k: (60.0, pytest.approx(v, abs=1e-6)) for k, v in expected.items()}
    assert sum(r.shortfall for r in rows) == pytest.approx(90.0)


def test_allocations_through_the_api(client: TestClient, session: Session, settings: Settings) -> None:
    seed(session)
    planner = factories.user(session, "planner")
    session.commit()
    h = factories.headers(settings, planner)
    run_id = client.post("/api/v1/planning-runs", headers=h, json={
        "start": START.isoformat(), "horizon": 4, "history_days": 28, "allocation_policy": "priority"}).json()["id"]
    got = client.get(f"/api/v1/planning-runs/{run_id}/allocations", params={"location": "AL-DC"}, headers=h).json()
    assert [(a["to_location_code"], a["allocated"], a["shortfall"]) for a in got] == [
        ("AL-D2", 0.0, 60.0), ("AL-D1", 30.0, 30.0)]
