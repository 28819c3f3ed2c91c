"""Order priority and ship-from allocation: hand-worked cases for every rule."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from qudao.engines.allocation import (
    LineDemand,
    OrderDemand,
    OrderFacts,
    PriorityRule,
    RuleKind,
    ShipFromRule,
    Site,
    haversine_km,
    plan_allocation,
    priority_score,
    rank_orders,
    rank_sites,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_haversine_one_degree_on_the_equator_and_a_quarter_meridian() -> None:
    # One degree of arc is 2*pi*R/360 = 2*pi*6371.0088/360 = 111.1951 km.
    assert haversine_km(0, 0, 0, 1) == pytest.approx(111.1951, abs=1e-3)
    # Equator to pole along a meridian is a quarter circle: pi*R/2 = 10007.543 km.
    assert haversine_km(0, 30, 90, 30) == pytest.approx(math.pi * 6371.0088 / 2, abs=1e-6)
    assert haversine_km(31.2, 121.5, 31.2, 121.5) == 0


def test_priority_score_adds_weighted_factors_by_hand() -> None:
    rules = [
        PriorityRule(RuleKind.rush, 1000),
        PriorityRule(RuleKind.tier, 10, {"A": 3, "B": 2, "C": 1}),
        PriorityRule(RuleKind.channel, 4, {"7": 1.5}),
        PriorityRule(RuleKind.promised_date, 20, horizon_days=10),
        PriorityRule(RuleKind.order_age, 5, horizon_days=4),
    ]
    order = OrderFacts(order_id=1, created_at=NOW - timedelta(days=1), tier="A", channel_id=7,
                       promised_date=date(2026, 11, 29), rush=False)
    # tier 10*3 = 30; channel 4*1.5 = 6; promised in 4 days: 20*(10-4)/10 = 12; age 1 day: 5*1/4 = 1.25
    assert priority_score(order, rules, NOW) == pytest.approx(49.25)
    rushed = OrderFacts(order_id=2, created_at=NOW, tier="C", rush=True)
    # rush 1000 + tier 10*1; no channel, no date, age 0
    assert priority_score(rushed, rules, NOW) == pytest.approx(1010)
    late = OrderFacts(order_id=3, created_at=NOW - timedelta(days=40), tier="Z", promised_date=date(2026, 11, 1))
    # overdue clips to 1 (20), age clips to 1 (5), unknown tier 0
    assert priority_score(late, rules, NOW) == pytest.approx(25)


def test_rank_orders_rush_then_score_then_age_then_id() -> None:
    rules = [PriorityRule(RuleKind.rush, 1000), PriorityRule(RuleKind.tier, 10, {"A": 3, "B": 2})]
    orders = [
        OrderFacts(1, NOW - timedelta(hours=5), tier="B"),
        OrderFacts(2, NOW - timedelta(hours=1), tier="A"),
        OrderFacts(3, NOW, tier="B", rush=True),
        OrderFacts(4, NOW - timedelta(hours=9), tier="B"),
        OrderFacts(5, NOW - timedelta(hours=9), tier="B"),
    ]
    # 3 (rush 1020) > 2 (30) > B orders by age: 4 and 5 equally old -> lower id first, then 1
    assert rank_orders(orders, rules, NOW) == [3, 2, 4, 5, 1]


SH = (31.23, 121.47)  # ship-to in Shanghai
SITES = [
    Site(10, priority=1, latitude=39.90, longitude=116.41),   # Beijing, preferred by priority
    Site(20, priority=5, latitude=30.27, longitude=120.16),   # Hangzhou, ~165 km from Shanghai
    Site(30, priority=5, latitude=23.13, longitude=113.26),   # Guangzhou
    Site(40, priority=2),                                     # no coordinates
]


def _order(order_id: int, lines: list[tuple[int, int, str]], split: bool = False) -> OrderDemand:
    return OrderDemand(order_id, [LineDemand(lid, order_id, pid, Decimal(q)) for lid, pid, q in lines],
                       ship_to_lat=SH[0], ship_to_lon=SH[1], allow_split=split)


def test_rank_sites_nearest_and_by_priority() -> None:
    nearest = [s.location_id for s in rank_sites(SITES, ShipFromRule.nearest, *SH)]
    assert nearest == [20, 10, 30, 40]  # Hangzhou, Beijing (~1070 km), Guangzhou (~1210 km), unknown last
    by_priority = [s.location_id for s in rank_sites(SITES, ShipFromRule.priority, *SH)]
    assert by_priority == [10, 40, 20, 30]  # 1, 2, then the two priority-5 sites nearest first


def test_nearest_with_stock_ships_whole_order_from_one_place() -> None:
    stock = {(1, 20): Decimal(2), (1, 10): Decimal(10), (2, 10): Decimal(10), (2, 20): Decimal(10)}
    plan = plan_allocation([_order(1, [(100, 1, "5"), (101, 2, "3")])], stock, SITES, ShipFromRule.nearest)
    # Hangzhou is nearest but has only 2 of product 1; Beijing covers both lines in full.
    assert [(p.line_id, p.location_id, p.quantity) for p in plan.picks] == [
        (100, 10, Decimal(5)), (101, 10, Decimal(3))]
    assert plan.backorder == {}
    assert stock[(1, 10)] == Decimal(10)  # input untouched


def test_no_split_partial_from_best_cover_and_backorder_rest() -> None:
    stock = {(1, 20): Decimal(4), (1, 10): Decimal(6)}
    plan = plan_allocation([_order(1, [(100, 1, "8")])], stock, SITES, ShipFromRule.nearest)
    # Nobody covers 8: Beijing covers most (6); 2 backordered.
    assert [(p.location_id, p.quantity) for p in plan.picks] == [(10, Decimal(6))]
    assert plan.backorder == {100: Decimal(2)}


def test_split_takes_in_ranked_order_and_draws_stock_down_across_orders() -> None:
    stock = {(1, 20): Decimal(4), (1, 10): Decimal(6), (1, 30): Decimal(1)}
    orders = [_order(1, [(100, 1, "8")], split=True), _order(2, [(200, 1, "5")], split=True)]
    plan = plan_allocation(orders, stock, SITES, ShipFromRule.nearest)
    # Order 1: Hangzhou 4 + Beijing 4. Order 2 (lower priority): Beijing's remaining 2 + Guangzhou 1 -> 2 short.
    assert [(p.order_id, p.location_id, p.quantity) for p in plan.picks] == [
        (1, 20, Decimal(4)), (1, 10, Decimal(4)), (2, 10, Decimal(2)), (2, 30, Decimal(1))]
    assert plan.backorder == {200: Decimal(2)}
    assert plan.allocated(100) == Decimal(8)


def test_priority_rule_prefers_low_priority_number_even_when_far() -> None:
    stock = {(1, 20): Decimal(10), (1, 10): Decimal(10)}
    plan = plan_allocation([_order(1, [(100, 1, "3")])], stock, SITES, ShipFromRule.priority)
    assert [(p.location_id, p.quantity) for p in plan.picks] == [(10, Decimal(3))]


def test_fractional_quantities_and_pinned_location() -> None:
    stock = {(1, 20): Decimal("2.5"), (1, 10): Decimal("9.75")}
    order = OrderDemand(1, [LineDemand(100, 1, 1, Decimal("4.25"))], ship_to_lat=SH[0], ship_to_lon=SH[1],
                        pinned_location_id=20)
    plan = plan_allocation([order], stock, SITES, ShipFromRule.nearest)
    assert [(p.location_id, p.quantity) for p in plan.picks] == [(20, Decimal("2.5"))]
    assert plan.backorder == {100: Decimal("1.75")}


def test_no_stock_anywhere_backorders_everything() -> None:
    plan = plan_allocation([_order(1, [(100, 1, "1"), (101, 2, "2")])], {}, SITES)
    assert plan.picks == [] and plan.backorder == {100: Decimal(1), 101: Decimal(2)}
