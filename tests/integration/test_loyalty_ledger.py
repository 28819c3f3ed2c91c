"""Loyalty ledger on hand-worked numbers: accrual on orders, FIFO expiry, tiers by rolling points,
statements, refusals that change nothing, and partner isolation (both databases)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from qudao.common.actor import SYSTEM
from qudao.errors import Conflict
from qudao.loyalty import ledger, rules, service
from qudao.loyalty.models import LoyaltyEntry, LoyaltyTierChange
from qudao.loyalty.schemas import AdjustmentIn, MemberCreate, ProgrammeCreate, RedemptionIn
from qudao.orders.models import SalesOrder
from tests import factories

T = date.today()


def _order_on(session, net, quantity: int, day: date) -> SalesOrder:  # type: ignore[no-untyped-def]
    """An order worth quantity x 10 (the factory's list price), dated ``day``."""
    channel, customer, ship_to, product = net
    order = factories.sales_order(session, channel, customer, ship_to, [(product, quantity)])
    session.execute(update(SalesOrder).where(SalesOrder.id == order.id)
                    .values(created_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC)))
    session.expire_all()
    return order


@pytest.fixture
def net(session):  # type: ignore[no-untyped-def]
    customer = factories.partner(session, roles=["end_customer"])
    ship_to = factories.location(session, owner_partner_code=customer.code)
    return factories.channel(session), customer, ship_to, factories.product(session)


@pytest.fixture
def member(session, net):  # type: ignore[no-untyped-def]
    code = factories.unique("LP")
    service.create_programme(session, SYSTEM, ProgrammeCreate(
        code=code, name="Points", points_per_unit=Decimal(1), expiry_months=12, base_tier="member",
        tiers=[{"code": "silver", "min_points": 1000}, {"code": "gold", "min_points": 3000}]))
    return service.enroll_member(session, SYSTEM, MemberCreate(programme=code, partner=net[1].code))


def test_rules_by_hand() -> None:
    assert rules.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert rules.add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert rules.points_for_amount(Decimal("99.99"), Decimal("1.5")) == 149  # 149.985 rounded down
    tiers = [{"code": "silver", "min_points": 1000}, {"code": "gold", "min_points": 3000}]
    assert [rules.tier_for(p, tiers, "member") for p in (999, 1000, 2999, 3000)] == ["member", "silver", "silver",
                                                                                     "gold"]
    credits = [rules.Credit(600, date(2025, 1, 1), date(2026, 1, 1), 1),
               rules.Credit(500, date(2025, 6, 1), date(2026, 6, 1), 2)]
    assert rules.points_to_expire(credits, 200, date(2026, 1, 1)) == 400  # 600 oldest, 200 already spent from it
    assert rules.points_to_expire(credits, 700, date(2026, 1, 1)) == 0  # the old credit is used up


def test_ledger_accrual_fifo_expiry_tiers_and_statement(session, net, member) -> None:  # type: ignore[no-untyped-def]
    a, b, c = (_order_on(session, net, q, T - timedelta(days=d)) for q, d in ((60, 400), (50, 100), (70, 10)))
    for order in (a, b, c):
        service.accrue_for_order(session, order.id, SYSTEM)
    again = service.accrue_for_order(session, b.id, SYSTEM)  # a repeat credits nothing
    assert again.points == 500
    assert (member.balance, member.tier) == (1800, "silver")  # rolling 12 months: 500 + 700 (A is older)
    changes = list(session.scalars(select(LoyaltyTierChange).where(LoyaltyTierChange.member_id == member.id)))
    assert [(ch.from_tier, ch.to_tier, ch.rolling_points) for ch in changes] == [("member", "silver", 1200)]

    service.redeem_points(session, SYSTEM, member.id, RedemptionIn(points=200, reason="voucher"))
    result = ledger.expire_points(session, SYSTEM, T)  # A (600) expired; 200 of it already spent -> 400 lapse
    assert (result.members_expired, result.points_expired) == (1, 400)
    assert ledger.expire_points(session, SYSTEM, T).points_expired == 0  # nothing left to lapse twice
    session.refresh(member)
    assert member.balance == 1200 == ledger.ledger_sum(session, member.id)

    stmt = ledger.statement(session, SYSTEM, member.id, T - timedelta(days=120), T)
    assert (stmt["opening_balance"], stmt["closing_balance"]) == (600, 1200)
    assert stmt["totals"] == {"accrual": 1200, "redemption": -200, "expiry": -400, "adjustment": 0}

    later = ledger.expire_points(session, SYSTEM, T + timedelta(days=300))  # B lapses: 1100 due - 600 debited
    assert later.points_expired == 500
    session.refresh(member)
    assert (member.balance, member.tier) == (700, "member")  # only C (700) in the rolling window now
    assert ledger.ledger_sum(session, member.id) == 700


def test_redemption_beyond_balance_changes_nothing(session, net, member) -> None:  # type: ignore[no-untyped-def]
    service.adjust_points(session, SYSTEM, member.id, AdjustmentIn(points=300, reason="welcome"))
    count = session.scalar(select(func.count()).select_from(LoyaltyEntry).where(LoyaltyEntry.member_id == member.id))
    with pytest.raises(Conflict):
        service.redeem_points(session, SYSTEM, member.id, RedemptionIn(points=301))
    with pytest.raises(Conflict):
        service.adjust_points(session, SYSTEM, member.id, AdjustmentIn(points=-301, reason="typo"))
    session.refresh(member)
    assert member.balance == 300 == ledger.ledger_sum(session, member.id)
    assert session.scalar(select(func.count()).select_from(LoyaltyEntry)
                          .where(LoyaltyEntry.member_id == member.id)) == count


def test_api_refusal_and_partner_isolation(client: TestClient, session, settings, net, member) -> None:  # type: ignore[no-untyped-def]
    staff = factories.headers(settings, factories.user(session, "sales"))
    owner = factories.headers(settings, factories.user(session, "partner", partner_code=net[1].code))
    other = factories.partner(session)
    stranger = factories.headers(settings, factories.user(session, "partner", partner_code=other.code))
    session.flush()
    base = f"/api/v1/loyalty/members/{member.id}"
    assert client.post(f"{base}/adjustments", json={"points": 50, "reason": "gift"}, headers=staff).status_code == 201
    refused = client.post(f"{base}/redemptions", json={"points": 51}, headers=owner)
    assert refused.status_code == 409 and refused.headers["content-type"].startswith("application/problem+json")
    assert client.get(base, headers=owner).json()["balance"] == 50
    assert client.post(f"{base}/redemptions", json={"points": 20}, headers=owner).status_code == 201
    assert client.get(base, headers=stranger).status_code == 404
    assert client.post(f"{base}/redemptions", json={"points": 1}, headers=stranger).status_code == 404
    assert client.get("/api/v1/loyalty/members", headers=stranger).json()["total"] == 0
    assert client.post(f"{base}/adjustments", json={"points": 5, "reason": "x"}, headers=owner).status_code == 403
    statement = client.get(f"{base}/statement", params={"start": T.isoformat(), "end": T.isoformat()}, headers=owner)
    assert statement.status_code == 200
    assert statement.json()["closing_balance"] == 30 and statement.json()["totals"]["redemption"] == -20


def test_backfill_credits_each_uncredited_order_once(session, net, member) -> None:  # type: ignore[no-untyped-def]
    first = _order_on(session, net, 30, T - timedelta(days=20))
    _order_on(session, net, 80, T - timedelta(days=5))
    service.accrue_for_order(session, first.id, SYSTEM)  # already credited: the backfill skips it
    result = ledger.backfill_accruals(session, SYSTEM, as_of=T)
    assert (result["orders"], result["points"], result["tier_changes"]) == (1, 800, 1)  # 300 + 800 -> silver
    assert ledger.backfill_accruals(session, SYSTEM, as_of=T)["orders"] == 0
    session.refresh(member)
    assert (member.balance, member.tier) == (1100, "silver") and ledger.ledger_sum(session, member.id) == 1100
