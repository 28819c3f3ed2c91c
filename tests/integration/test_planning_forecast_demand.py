"""The planning run plans from the stored forecast (and CPFR consensus), orders consume it, and buying
follows the suppliers' sourcing where the planner set no rule.

Network: one partner warehouse WH (owned by partner FD-P, so CPFR lines can exist), weekly buckets from
Monday 2026-11-30, horizon 4 (6 for the sourcing case), no stock anywhere.

* FD-A: planner rule "buy from FD-S1, 7 days". Forecast run (weekly) over two channels: C1 6, 12, 18, 24 and
  C2 4, 8, 12, 16 -> 10, 20, 30, 40 a week. An older succeeded run (99 a week) and a newer failed run (77)
  are ignored. Lot for lot, lead one week: purchases of exactly 10, 20, 30, 40 due weeks 0..3.
* FD-B: a daily run of 2 a day -> 14 a week (days summed into Monday weeks).
* FD-C: no forecast; 4 weeks of sell-through history of 10 a week -> the fallback, 10 a week.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from qudao.common.actor import SYSTEM
from qudao.demand.models import SellThrough
from qudao.forecasting.bulk import planning_forecast
from qudao.forecasting.models import ForecastRun, ForecastSeries, ForecastValue
from qudao.planning import queries, service
from qudao.planning.models import PlanningRun
from qudao.planning.schemas import RunCreate, SourcingIn
from tests import factories

START = date(2026, 11, 30)  # a Monday
D = Decimal


def week(n: int) -> date:
    return START + timedelta(days=7 * n)


def store_run(session: Session, grain: str, values: list[tuple[object, object, object, date, float]],
              status: str = "succeeded") -> int:
    """A forecast run with its series and values (product, location, channel, ds, forecast); 80 % bounds
    +- 2 around each value."""
    run = ForecastRun(status=status, grain=grain, horizon=28, requested_by="test", summary={}, scope={})
    session.add(run)
    session.flush()
    series = {(p.id, loc.id, ch.id) for p, loc, ch, _, _ in values}
    session.execute(insert(ForecastSeries), [
        {"run_id": run.id, "product_id": p, "location_id": loc, "channel_id": ch, "demand_class": "smooth",
         "model": "test", "periods": 52} for p, loc, ch in sorted(series)])
    session.execute(insert(ForecastValue), [
        {"run_id": run.id, "product_id": p.id, "location_id": loc.id, "channel_id": ch.id, "ds": ds,
         "forecast": q, "lo_80": q - 2, "hi_80": q + 2, "lo_95": q - 3, "hi_95": q + 3, "model": "test"}
        for p, loc, ch, ds, q in values])
    return run.id


def seed(session: Session) -> dict[str, object]:
    partner = factories.partner(session, code="FD-P", roles=["distributor"])
    s1 = factories.partner(session, code="FD-S1", roles=["supplier"])
    factories.partner(session, code="FD-S2", roles=["supplier"])
    wh = factories.location(session, code="FD-WH", kind="partner_warehouse", owner_partner_code=partner.code)
    c1 = factories.channel(session, code="FD-C1")
    c2 = factories.channel(session, code="FD-C2")
    a = factories.product(session, sku="FD-A")
    b = factories.product(session, sku="FD-B")
    c = factories.product(session, sku="FD-C")
    store_run(session, "week", [(a, wh, c1, week(t), 99.0) for t in range(4)])  # older: ignored
    store_run(session, "week", [(a, wh, ch, week(t), q) for t in range(4)
                                for ch, q in ((c1, 6.0 * (t + 1)), (c2, 4.0 * (t + 1)))])
    store_run(session, "week", [(a, wh, c1, week(t), 77.0) for t in range(4)], status="failed")
    store_run(session, "day", [(b, wh, c1, START + timedelta(days=d), 2.0) for d in range(28)])
    session.execute(insert(SellThrough), [
        {"day": START - timedelta(days=3 + 7 * k), "product_id": c.id, "location_id": wh.id, "channel_id": c1.id,
         "quantity": D(10), "revenue": D(0)} for k in range(4)])
    service.save_sourcing(session, SYSTEM, SourcingIn(sku="FD-A", location_code="FD-WH", rules=[
        {"kind": "buy", "supplier_code": "FD-S1", "lead_time_days": 7}]))
    session.flush()
    return {"a": a, "b": b, "c": c, "wh": wh, "c1": c1, "c2": c2, "partner": partner, "s1": s1}


def run(session: Session, factory: sessionmaker[Session], horizon: int = 4) -> PlanningRun:
    created = service.start_run(session, SYSTEM, RunCreate(start=START, horizon=horizon, history_days=28))
    session.commit()
    done = service.execute_run(factory, created.id, SYSTEM)
    assert done.status == "succeeded", done.error
    return done


def purchases(session: Session, run_id: int, sku: str) -> list[tuple[str, float, date, date]]:
    rows, _ = queries.list_proposals(session, SYSTEM, run_id=run_id, page_size=500)
    return sorted(((p.supplier_code, float(p.quantity), p.release_date, p.due_date)
                   for p in rows if p.sku == sku and p.kind == "purchase"), key=lambda r: (r[3], r[0] or ""))


def test_bulk_forecast_sums_channels_and_days_into_weeks(session: Session) -> None:
    s = seed(session)
    f = planning_forecast(session, SYSTEM, start=START, bucket="week", horizon=4)
    got = {(r["product_id"], r["bucket"]): r["forecast"] for r in f.iter_rows(named=True)}
    assert [got[(s["a"].id, t)] for t in range(4)] == [10.0, 20.0, 30.0, 40.0]
    assert [got[(s["b"].id, t)] for t in range(4)] == [14.0] * 4
    # variance: two channels, each sigma = 2 / 1.2816 -> 2 x (2 / 1.2816)^2; seven days of one channel: 7x
    of_a = f.filter(f["product_id"] == s["a"].id)
    assert of_a["variance"][0] == pytest.approx(2 * (2 / 1.2815516) ** 2)
    assert of_a["consensus"].to_list() == [False] * 4
    # day buckets: the daily run gives 2 a day, a week value is spread evenly over its seven days
    days = planning_forecast(session, SYSTEM, start=START, bucket="day", horizon=3)
    assert days.filter(days["product_id"] == s["b"].id)["forecast"].to_list() == [2.0, 2.0, 2.0]
    assert days.filter(days["product_id"] == s["a"].id).height == 0  # no daily run for FD-A


def test_proposals_follow_the_forecast_and_orders_consume_it(session: Session, session_factory) -> None:
    s = seed(session)
    done = run(session, session_factory)
    assert purchases(session, done.id, "FD-A") == [
        ("FD-S1", q, week(t - 1), week(t)) for t, q in enumerate((10.0, 20.0, 30.0, 40.0))]
    assert [q for _, q, _, _ in purchases(session, done.id, "FD-B")] == [14.0] * 4
    assert [q for _, q, _, _ in purchases(session, done.id, "FD-C")] == [10.0] * 4  # history fallback
    assert done.summary["demand_sources"] == {"consensus": 0, "forecast": 2, "fallback": 1, "none": 0}

    # An order of 50 due in week 1 (forecast 20) wins there; an order of 5 in week 2 (forecast 30) is
    # consumed by the forecast and adds nothing.
    factories.sales_order(session, s["c1"], s["partner"], s["wh"], [(s["a"], 50)], promised_date=week(1))
    factories.sales_order(session, s["c1"], s["partner"], s["wh"], [(s["a"], 5)], promised_date=week(2))
    session.flush()
    again = run(session, session_factory)
    assert [q for _, q, _, _ in purchases(session, again.id, "FD-A")] == [10.0, 50.0, 30.0, 40.0]


def test_consensus_override_changes_the_plan(session: Session, session_factory) -> None:
    pytest.importorskip("qudao.cpfr.service")
    from qudao.cpfr.models import ConsensusLine
    from qudao.cpfr.schemas import ConsensusOverrideIn, PartnerForecastRowIn
    from qudao.cpfr.service import override_consensus, submit_partner_forecast

    seed(session)
    submit_partner_forecast(session, SYSTEM, [PartnerForecastRowIn(
        sku="FD-A", location_code="FD-WH", channel_code="FD-C1", grain="week", period_start=week(2),
        quantity=D(60))])
    session.flush()
    line = session.query(ConsensusLine).one()
    # Until someone overrides, the consensus is the statistical number (18): the plan does not move.
    before = run(session, session_factory)
    assert [q for _, q, _, _ in purchases(session, before.id, "FD-A")] == [10.0, 20.0, 30.0, 40.0]
    assert before.summary["demand_sources"]["consensus"] == 1
    override_consensus(session, SYSTEM, line.id, ConsensusOverrideIn(quantity=D(100), reason="promotion"))
    session.flush()
    after = run(session, session_factory)
    # week 2: C1 takes the consensus 100, C2 keeps its statistical 12
    assert [q for _, q, _, _ in purchases(session, after.id, "FD-A")] == [10.0, 20.0, 112.0, 40.0]


def test_buying_follows_the_suppliers_sourcing(session: Session, session_factory) -> None:
    """FD-E, 20 a week at WH, no planner rule (the default would buy with 14 days and no supplier). The
    suppliers' sourcing: FD-S1 60 % (min 30, pack 10) and FD-S2 40 %, both 21 days. Lot: need 20 -> min 30
    (multiple 10 holds). POH after each week: 10, 20 (need 10 -> 30), 0 (no order), 10, 20, 0 -> receipts of
    30 in weeks 0, 1, 3, 4 split 18 / 12, released three weeks before (weeks 0..2 already past due).
    FD-A keeps the planner's own rule (FD-S1, 7 days) though the suppliers' sourcing names FD-S2."""
    pytest.importorskip("qudao.suppliers.sourcing")
    from qudao.suppliers.schemas import SourcingCreate
    from qudao.suppliers.sourcing import create_sourcing

    s = seed(session)
    e = factories.product(session, sku="FD-E")
    store_run(session, "week", [(e, s["wh"], s["c1"], week(t), 20.0) for t in range(6)])
    create_sourcing(session, SYSTEM, SourcingCreate(sku="FD-E", suppliers=[
        {"supplier_code": "FD-S1", "priority": 1, "share_pct": "60", "min_order_qty": "30", "pack_size": "10",
         "lead_time_days": 21},
        {"supplier_code": "FD-S2", "priority": 2, "share_pct": "40", "lead_time_days": 21}]))
    create_sourcing(session, SYSTEM, SourcingCreate(sku="FD-A", suppliers=[
        {"supplier_code": "FD-S2", "share_pct": "100", "lead_time_days": 30}]))
    session.flush()
    done = run(session, session_factory, horizon=6)
    expected = [(supplier, q, week(t) - timedelta(days=21), week(t))
                for t in (0, 1, 3, 4) for supplier, q in (("FD-S1", 18.0), ("FD-S2", 12.0))]
    assert purchases(session, done.id, "FD-E") == expected
    # FD-A: the planner's rule; past the forecast's 4 weeks its average (25 a week) continues
    assert purchases(session, done.id, "FD-A") == [
        ("FD-S1", q, week(t - 1), week(t)) for t, q in enumerate((10.0, 20.0, 30.0, 40.0, 25.0, 25.0))]


def test_reserved_orders_consume_the_forecast_once(session: Session, session_factory) -> None:
    """An order of 5 for WH due in week 0 is reserved from 8 on hand at the company's DC (the DC keeps 3
    available). WH's week 0 demand is max(forecast 10, orders 5) = 10, of which the reserved 5 is already
    spoken for: WH buys 5, not 10 (the order is not counted twice)."""
    s = seed(session)
    dc = factories.location(session, code="FD-DC", kind="distribution_centre")
    factories.stock(session, s["a"], dc, 8)
    order = factories.sales_order(session, s["c1"], s["partner"], s["wh"], [(s["a"], 5)], promised_date=week(0))
    session.flush()
    assert (float(order.lines[0].allocated_qty), float(order.lines[0].backorder_qty)) == (5.0, 0.0)
    done = run(session, session_factory)
    # (the DC buys for its own history fallback: the order counts as ordered demand history there)
    assert [q for sup, q, _, _ in purchases(session, done.id, "FD-A") if sup == "FD-S1"] == [5.0, 20.0, 30.0, 40.0]
