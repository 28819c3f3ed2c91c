"""Defaults from master data when a planner has set nothing: a warehouse is replenished from the nearest
distribution centre, a centre from the nearest plant, a plant buys what it has no BOM or routing for (and
approval then asks for a supplier); lot for lot, whole units (pack size 1), 7/7/14-day lead times.

DF-WH (20 a week, nothing on hand) sits next to DF-DC2, far from DF-DC1. Weekly buckets, horizon 3:
  WH needs 20 in weeks 0..2 -> transfers from DC2 released weeks -1 (past due), 0, 1.
  DC2 (nothing on hand) owes the warehouse's past-due 20 now plus its releases of weeks 0 and 1 -> transfers
  from the plant of 40 due week 0 (released week -1, past due) and 20 due week 1 (released week 0).
  PLANT: DC2's past-due 40 and its week-0 release of 20 -> one purchase of 60 due week 0, released week -2.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from qudao.common.actor import SYSTEM
from qudao.demand.models import SellThrough
from qudao.errors import Invalid
from qudao.planning import approval, queries, service
from qudao.planning.schemas import RunCreate
from tests import factories
from tests.integration.test_planning_run import START, week


def seed(session: Session) -> None:
    x = factories.product(session, sku="DF-X")
    channel = factories.channel(session, code="DF-CH")
    factories.location(session, code="DF-PLANT", kind="plant", latitude=31.0, longitude=121.0)
    factories.location(session, code="DF-DC1", kind="distribution_centre", latitude=40.0, longitude=116.0)
    factories.location(session, code="DF-DC2", kind="distribution_centre", latitude=23.0, longitude=113.0)
    wh = factories.location(session, code="DF-WH", kind="partner_warehouse", latitude=23.1, longitude=113.3)
    session.execute(insert(SellThrough), [
        {"day": START - timedelta(days=3 + 7 * k), "product_id": x.id, "location_id": wh.id,
         "channel_id": channel.id, "quantity": Decimal(20), "revenue": Decimal(0)} for k in range(4)])


def plan(session: Session, factory, peg: bool | None = None):  # type: ignore[no-untyped-def]
    created = service.start_run(session, SYSTEM, RunCreate(start=START, horizon=3, history_days=28, peg=peg))
    session.commit()
    return service.execute_run(factory, created.id, SYSTEM)


def test_default_sourcing_from_location_master_data(session: Session, session_factory) -> None:
    seed(session)
    done = plan(session, session_factory)
    assert done.status == "succeeded", done.error
    rows, _ = queries.list_proposals(session, SYSTEM, run_id=done.id)
    got = sorted((p.kind, p.from_location_code, p.to_location_code, float(p.quantity), p.release_date, p.due_date)
                 for p in rows)
    assert got == sorted([
        *[("transfer", "DF-DC2", "DF-WH", 20.0, week(t - 1), week(t)) for t in (0, 1, 2)],
        ("transfer", "DF-PLANT", "DF-DC2", 40.0, week(-1), week(0)),
        ("transfer", "DF-PLANT", "DF-DC2", 20.0, week(0), week(1)),
        ("purchase", None, "DF-PLANT", 60.0, week(-2), week(0)),
    ])
    purchase = next(p for p in rows if p.kind == "purchase")
    with pytest.raises(Invalid, match="has no supplier"):
        approval.approve_proposals(session, SYSTEM, [purchase.id])


def test_pegs_on_request_match_stored_ones_with_past_due_transfers(session: Session, session_factory) -> None:
    seed(session)
    runs = [plan(session, session_factory, peg=True), plan(session, session_factory, peg=False)]

    def pegs_by_key(run_id: int) -> dict:
        rows, _ = queries.list_proposals(session, SYSTEM, run_id=run_id)
        key = {p.id: (p.kind, p.to_location_code, p.due_date) for p in rows}
        return {key[p.id]: sorted((g.demand_kind, key.get(int(g.demand_ref)) if g.demand_kind == "proposal"
                                   else g.demand_ref, g.demand_date, g.quantity)
                                  for g in queries.pegs_of(session, SYSTEM, p.id)) for p in rows}

    stored, asked = (pegs_by_key(r.id) for r in runs)
    assert stored == asked
    assert sum(q for *_, q in stored[("transfer", "DF-DC2", week(0))]) == Decimal(40)
