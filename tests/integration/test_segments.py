"""Segmentation runs on hand-worked data through the service and the API (both databases).

Five customers, as of day T, products at 10 with a standard cost of 6 (margin 4 a unit):

    customer  order days (T - d)   units/order  recency  frequency  monetary  R F M  segment             tier
    A         1, 30, 60            50           1        3          1500      5 5 4  champions           high
    B         5, 40                20           5        2           400      4 3 3  potential_loyalist  middle
    C         100                  10           100      1           100      2 1 2  hibernating         low
    D         10 (+ a cancelled)   5            10       1            50      3 1 1  about_to_sleep      low
    E         200, 300             100          200      2          2000      1 3 5  at_risk             high

Scores with n = 5 are the rank (ties share the lower rank: B and E have F = 3, C and D F = 1). Tiers: revenue
4050 in all; E (share before it 0) and A (2000/4050 = 0.49) are high, B (3500/4050 = 0.86) middle, C (0.96)
and D low; margin is 40 % of revenue for everyone, so the margin tiers agree.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from qudao.common.actor import SYSTEM
from qudao.orders import service as orders
from qudao.orders.models import SalesOrder
from qudao.segments import service
from qudao.segments.schemas import SegmentationRunCreate
from tests import factories

T = date(2026, 6, 30)
PLAN = {"A": ((1, 30, 60), 50), "B": ((5, 40), 20), "C": ((100,), 10), "D": ((10,), 5), "E": ((200, 300), 100)}


@pytest.fixture
def customers(session):  # type: ignore[no-untyped-def]
    channel, product, ship_to = factories.channel(session), factories.product(session), factories.location(session)
    made = {}
    for name, (days, units) in PLAN.items():
        partner = factories.partner(session, roles=["end_customer"])
        made[name] = partner
        for d in days:
            order = factories.sales_order(session, channel, partner, ship_to, [(product, units)])
            _date(session, order.id, T - timedelta(days=d))
    cancelled = factories.sales_order(session, channel, made["D"], ship_to, [(product, 1000)])
    orders.cancel_order(session, SYSTEM, cancelled.id)
    _date(session, cancelled.id, T - timedelta(days=2))
    late = factories.sales_order(session, channel, made["C"], ship_to, [(product, 999)])
    _date(session, late.id, T + timedelta(days=1))  # after the as-of day: not seen
    session.flush()
    return made


def _date(session, order_id: int, day: date) -> None:  # type: ignore[no-untyped-def]
    session.execute(update(SalesOrder).where(SalesOrder.id == order_id)
                    .values(created_at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC)))


def test_rfm_and_tiers_by_hand_through_the_service(session, customers) -> None:  # type: ignore[no-untyped-def]
    run = service.start_run(session, SYSTEM, SegmentationRunCreate(as_of=T))
    assert service.execute_run(lambda: nullcontext(session), SYSTEM, run.id) == "succeeded"
    from qudao.common.listing import ListParams
    from qudao.segments.queries import SegmentFilter, list_segments

    rows, total = list_segments(session, SYSTEM, SegmentFilter(run_id=run.id), ListParams(page_size=500))
    by_partner = {r["partner_id"]: r for r in rows}
    got = {name: by_partner[p.id] for name, p in customers.items()}
    expected = {"A": (1, 3, 1500, 600, "554", "champions", "high"), "B": (5, 2, 400, 160, "433", "potential_loyalist",
                "middle"), "C": (100, 1, 100, 40, "212", "hibernating", "low"), "D": (10, 1, 50, 20, "311",
                "about_to_sleep", "low"), "E": (200, 2, 2000, 800, "135", "at_risk", "high")}
    for name, (recency, frequency, monetary, margin, code, segment, tier) in expected.items():
        row = got[name]
        assert (row["recency_days"], row["frequency"], row["monetary"], row["margin"]) == (recency, frequency,
                                                                                          monetary, margin), name
        assert (row["rfm_code"], row["rfm_segment"], row["value_tier"], row["revenue_tier"], row["margin_tier"]) == (
            code, segment, tier, tier, tier), name
    assert total == 5
    assert service.get_run(session, SYSTEM, run.id).summary["counts"]["value_tier"] == {"high": 2, "low": 2,
                                                                                          "middle": 1}


def test_api_run_filters_export_and_staff_only(client: TestClient, session, settings, customers) -> None:  # type: ignore[no-untyped-def]
    staff = factories.headers(settings, factories.user(session, "sales"))
    partner = factories.headers(settings, factories.user(session, "partner", partner_code=customers["A"].code))
    session.flush()
    started = client.post("/api/v1/segmentation-runs", json={"as_of": T.isoformat()}, headers=staff)
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    assert started.headers["location"] == f"/api/v1/segmentation-runs/{run_id}"
    assert client.get(f"/api/v1/segmentation-runs/{run_id}", headers=staff).json()["status"] == "succeeded"

    high = client.get("/api/v1/customer-segments", params={"run_id": run_id, "tier": "high"}, headers=staff).json()
    assert [r["partner_code"] for r in high["items"]] == [customers["E"].code, customers["A"].code]  # by revenue
    champions = client.get("/api/v1/customer-segments", params={"run_id": run_id, "rfm": "554"}, headers=staff)
    assert [r["partner_code"] for r in champions.json()["items"]] == [customers["A"].code]
    assert client.get("/api/v1/customer-segments", params={"rfm": "9x9"}, headers=staff).status_code == 422
    exported = client.get("/api/v1/customer-segments/export", params={"run_id": run_id, "tier": "low"},
                          headers=staff)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.strip().splitlines()
    assert lines[0].startswith("partner_code,partner_name,value_tier") and len(lines) == 3
    assert lines[1].split(",")[0] == customers["C"].code  # C (100) before D (50)
    dist = client.get("/api/v1/customer-segments/distribution", params={"run_id": run_id}, headers=staff).json()
    assert dist["tiers"] == {"high": 2, "low": 2, "middle": 1}

    for url in ("/api/v1/customer-segments", f"/api/v1/segmentation-runs/{run_id}", "/api/v1/customer-segments/export"):
        assert client.get(url, headers=partner).status_code == 403
    assert client.post("/api/v1/segmentation-runs", json={}, headers=partner).status_code == 403
    bad = client.post("/api/v1/segmentation-runs", json={"high_share": 0.9, "middle_share": 0.8}, headers=staff)
    assert bad.status_code == 422
