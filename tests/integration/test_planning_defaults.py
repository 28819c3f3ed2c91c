"""Defaults from master data when a planner has set nothing: a warehouse is replenished from the nearest
distribution centre, a centre from the nearest plant, a plant buys what it has no BOM or routing for (and
approval then asks for a supplier); lot for lot, whole units (pack size 1), 7/7/14-day lead times.

DF-WH (20 a week, nothing on hand) sits next to DF-DC2, far from DF-DC1. Weekly buckets, horizon 3:
  WH needs 20 in weeks 0..2 -> transfers from DC2 released weeks -1 (past due), 0, 1.
  DC2 (nothing on hand): the warehouse's releases of weeks 0 and 1 (its past-due one is reported late, not
  required again) -> transfers from the plant of 20 due weeks 0 and 1, released weeks -1 and 0.
  PLANT: the centre's week-0 release -> one purchase of 20 due week 0, released week -2 (past due).
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


def test_default_sourcing_from_location_master_data(session: Session, session_factory) -> None:
    x = factories.product(session, sku="DF-X")
    channel = factories.channel(session, code="DF-CH")
    factories.location(session, code="DF-PLANT", kind="plant", latitude=31.0, longitude=121.0)
    factories.location(session, code="DF-DC1", kind="distribution_centre", latitude=40.0, longitude=116.0)
    factories.location(session, code="DF-DC2", kind="distribution_centre", latitude=23.0, longitude=113.0)
    wh = factories.location(session, code="DF-WH", kind="partner_warehouse", latitude=23.1, longitude=113.3)
    session.execute(insert(SellThrough), [
        {"day": START - timedelta(days=3 + 7 * k), "product_id": x.id, "location_id": wh.id,
         "channel_id": channel.id, "quantity": Decimal(20), "revenue": Decimal(0)} for k in range(4)])
    created = service.start_run(session, SYSTEM, RunCreate(start=START, horizon=3, history_days=28))
    session.commit()
    done = service.execute_run(session_factory, created.id, SYSTEM)
    assert done.status == "succeeded", done.error
    rows, _ = queries.list_proposals(session, SYSTEM, run_id=done.id)
    got = sorted((p.kind, p.from_location_code, p.to_location_code, float(p.quantity), p.release_date, p.due_date)
                 for p in rows)
    assert got == sorted([
        *[("transfer", "DF-DC2", "DF-WH", 20.0, week(t - 1), week(t)) for t in (0, 1, 2)],
        *[("transfer", "DF-PLANT", "DF-DC2", 20.0, week(t - 1), week(t)) for t in (0, 1)],
        ("purchase", None, "DF-PLANT", 20.0, week(-2), week(0)),
    ])
    purchase = next(p for p in rows if p.kind == "purchase")
    with pytest.raises(Invalid, match="has no supplier"):
        approval.approve_proposals(session, SYSTEM, [purchase.id])
