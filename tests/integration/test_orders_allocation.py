"""Orders against the stock ledger: ship-from rules, split, partial + backorder, fill order, cancel,
reallocation, intake validation, credit hold and duplicate external ids."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from qudao.common.actor import SYSTEM
from qudao.db import utcnow
from qudao.errors import Invalid
from qudao.inventory import service as inventory
from qudao.orders import config as order_config
from qudao.orders import service as orders
from qudao.orders.models import OrderEvent, SalesOrder
from qudao.orders.schemas import OrderCreate, PriceListIn, PriorityRuleIn, ReallocateIn
from tests import factories

# Ship-to in Shanghai; DCs in Hangzhou (~165 km), Beijing (~1067 km) and Guangzhou (~1212 km).
SHANGHAI = {"latitude": 31.23, "longitude": 121.47}
HANGZHOU = {"latitude": 30.27, "longitude": 120.16}
BEIJING = {"latitude": 39.90, "longitude": 116.41}
GUANGZHOU = {"latitude": 23.13, "longitude": 113.26}


@pytest.fixture
def net(session):  # type: ignore[no-untyped-def]
    class Net:
        channel = factories.channel(session)
        customer = factories.partner(session, tier="B")
        store = factories.location(session, kind="store", owner_partner_code=customer.code, **SHANGHAI)
        hz = factories.location(session, priority=50, **HANGZHOU)
        bj = factories.location(session, priority=10, **BEIJING)
        gz = factories.location(session, priority=30, **GUANGZHOU)
        tea = factories.product(session)
        cup = factories.product(session)

    return Net


def allocations(order: SalesOrder) -> list[tuple[int, int, Decimal]]:
    return sorted((line.line_no, a.location_id, a.quantity) for line in order.lines for a in line.allocations
                  if a.quantity)


def available(session, product, location) -> Decimal:  # type: ignore[no-untyped-def]
    return inventory.available_by_location(session, [product.id], [location.id]).get((product.id, location.id),
                                                                                     Decimal(0))


def test_nearest_location_with_stock_ships_the_order(session, net) -> None:  # type: ignore[no-untyped-def]
    factories.stock(session, net.tea, net.hz, 3)
    factories.stock(session, net.tea, net.bj, 20)
    factories.stock(session, net.tea, net.gz, 20)
    near = factories.sales_order(session, net.channel, net.customer, net.store, [(net.tea, 2)])
    assert near.status == "allocated"
    assert allocations(near) == [(1, net.hz.id, Decimal(2))]
    # Hangzhou has 1 left: a 5-unit order without split goes to the next nearest with full cover (Beijing).
    far = factories.sales_order(session, net.channel, net.customer, net.store, [(net.tea, 5)])
    assert allocations(far) == [(1, net.bj.id, Decimal(5))]
    assert available(session, net.tea, net.hz) == 1 and available(session, net.tea, net.bj) == 15


def test_location_priority_policy_and_split(session, net) -> None:  # type: ignore[no-untyped-def]
    order_config.set_allocation_policy(session, SYSTEM, ship_from_rule="priority", channel_code=net.channel.code)
    factories.stock(session, net.tea, net.hz, 10)
    factories.stock(session, net.tea, net.bj, 4)
    factories.stock(session, net.tea, net.gz, 4)
    # Priority: Beijing (10) < Guangzhou (30) < Hangzhou (50); split takes 4 + 4 + 2.
    split = factories.sales_order(session, net.channel, net.customer, net.store, [(net.tea, 10)], allow_split=True)
    assert split.status == "allocated"
    assert allocations(split) == sorted([(1, net.bj.id, Decimal(4)), (1, net.gz.id, Decimal(4)),
                                         (1, net.hz.id, Decimal(2))])
    # Without split, only Hangzhou (8 left) can cover 6 in full.
    whole = factories.sales_order(session, net.channel, net.customer, net.store, [(net.tea, 6)])
    assert allocations(whole) == [(1, net.hz.id, Decimal(6))]


def test_partial_allocation_backorders_the_rest(session, net) -> None:  # type: ignore[no-untyped-def]
    factories.stock(session, net.tea, net.hz, 3)
    factories.stock(session, net.cup, net.hz, 10)
    order = factories.sales_order(session, net.channel, net.customer, net.store, [(net.tea, 5), (net.cup, 4)])
    assert order.status == "partially_allocated"
    tea, cup = order.lines
    assert (tea.allocated_qty, tea.backorder_qty) == (Decimal(3), Decimal(2))
    assert (cup.allocated_qty, cup.backorder_qty) == (Decimal(4), Decimal(0))
    nothing = factories.sales_order(session, net.channel, net.customer, net.store, [(net.tea, 1)])
    assert nothing.status == "backordered" and nothing.lines[0].backorder_qty == 1


def test_backorders_fill_in_priority_order_when_stock_arrives(session, net) -> None:  # type: ignore[no-untyped-def]
    gold = factories.partner(session, tier="A")
    bronze = factories.partner(session, tier="C")
    plain = factories.sales_order(session, net.channel, net.customer, net.store, [(net.tea, 2)])        # B
    vip = factories.sales_order(session, net.channel, gold, net.store, [(net.tea, 2)])                 # A
    low = factories.sales_order(session, net.channel, bronze, net.store, [(net.tea, 2)])               # C
    rushed = factories.sales_order(session, net.channel, bronze, net.store, [(net.tea, 2)], rush=True)  # C + rush
    assert {o.status for o in (plain, vip, low, rushed)} == {"backordered"}
    # 5 units arrive: rush (2) -> tier A (2) -> tier B gets the last 1; tier C waits.
    factories.stock(session, net.tea, net.hz, 5)
    got = {o.id: session.get(SalesOrder, o.id, populate_existing=True).lines[0].allocated_qty
           for o in (plain, vip, low, rushed)}
    assert got == {rushed.id: 2, vip.id: 2, plain.id: 1, low.id: 0}
    assert session.get(SalesOrder, plain.id).status == "partially_allocated"
    kinds = session.scalars(select(OrderEvent.kind).where(OrderEvent.order_id == vip.id)).all()
    assert "backorder_filled" in kinds
    # More stock: the rest of tier B first, then tier C.
    factories.stock(session, net.tea, net.hz, 2)
    assert session.get(SalesOrder, plain.id, populate_existing=True).status == "allocated"
    low_now = session.get(SalesOrder, low.id, populate_existing=True)
    assert low_now.lines[0].allocated_qty == 1 and low_now.status == "partially_allocated"


def test_configured_rules_promised_date_beats_tier(session, net) -> None:  # type: ignore[no-untyped-def]
    order_config.set_priority_rule(session, SYSTEM, PriorityRuleIn(kind="promised_date", weight=100, horizon_days=10))
    order_config.set_priority_rule(session, SYSTEM, PriorityRuleIn(kind="tier", weight=10, scores={"A": 3, "B": 1}))
    gold = factories.partner(session, tier="A")
    relaxed = factories.sales_order(session, net.channel, gold, net.store, [(net.tea, 1)])
    urgent = factories.sales_order(session, net.channel, net.customer, net.store, [(net.tea, 1)],
                                   promised_date=(utcnow().date() + timedelta(days=1)).isoformat())
    # urgent: 100*(10-1)/10 + 10*1 = 100; relaxed: 10*3 = 30.
    factories.stock(session, net.tea, net.bj, 1)
    assert session.get(SalesOrder, urgent.id, populate_existing=True).status == "allocated"
    assert session.get(SalesOrder, relaxed.id, populate_existing=True).status == "backordered"


def test_cancel_releases_reservation_to_waiting_backorder(session, net) -> None:  # type: ignore[no-untyped-def]
    factories.stock(session, net.tea, net.hz, 4)
    first = factories.sales_order(session, net.channel, net.customer, net.store, [(net.tea, 4)])
    waiting = factories.sales_order(session, net.channel, net.customer, net.store, [(net.tea, 3)])
    assert waiting.status == "backordered"
    cancelled = orders.cancel_order(session, SYSTEM, first.id, reason="customer changed mind")
    assert cancelled.status == "cancelled"
    assert cancelled.lines[0].cancelled_qty == 4 and cancelled.lines[0].allocated_qty == 0
    assert session.get(SalesOrder, waiting.id, populate_existing=True).status == "allocated"
    assert available(session, net.tea, net.hz) == 1


def test_planner_reallocates_to_another_location(session, net) -> None:  # type: ignore[no-untyped-def]
    factories.stock(session, net.tea, net.hz, 5)
    factories.stock(session, net.tea, net.gz, 5)
    order = factories.sales_order(session, net.channel, net.customer, net.store, [(net.tea, 3)])
    assert allocations(order) == [(1, net.hz.id, Decimal(3))]
    planner = factories.actor(factories.user(session, "planner"))
    moved = orders.reallocate_order(session, planner, order.id, ReallocateIn(location_code=net.gz.code))
    assert allocations(moved) == [(1, net.gz.id, Decimal(3))]
    assert available(session, net.tea, net.hz) == 5 and available(session, net.tea, net.gz) == 2


def _order(net, **overrides) -> OrderCreate:  # type: ignore[no-untyped-def]
    data = {"channel_code": net.channel.code, "external_order_id": factories.unique("X"),
            "customer_code": net.customer.code, "ship_to_code": net.store.code,
            "lines": [{"sku": net.tea.sku, "quantity": "1"}], **overrides}
    return OrderCreate(**data)


def test_intake_validation_names_each_field(session, net) -> None:  # type: ignore[no-untyped-def]
    old = factories.product(session, lifecycle="discontinued")
    kg = factories.product(session, allows_fractional=True, uom="KG")
    bad = [
        _order(net, lines=[{"sku": "NOPE", "quantity": "1"}]),
        _order(net, lines=[{"sku": old.sku, "quantity": "1"}]),
        _order(net, lines=[{"sku": net.tea.sku, "quantity": "1.5"}]),
        _order(net, lines=[{"sku": net.tea.sku, "quantity": "0"}]),
        _order(net, ship_to_code="NOWHERE"),
    ]
    with pytest.raises(Invalid) as caught:
        orders.create_orders(session, SYSTEM, bad)
    found = [(e.row, e.field) for e in caught.value.errors]
    assert found == [(0, "lines[0].sku"), (1, "lines[0].sku"), (2, "lines[0].quantity"), (3, "lines[0].quantity"),
                     (4, "ship_to_code")]
    assert session.scalar(select(SalesOrder.id).where(SalesOrder.channel_id == net.channel.id)) is None
    ok = orders.create_orders(session, SYSTEM, [_order(net, lines=[{"sku": kg.sku, "quantity": "1.25"}])])
    assert ok.created == 1


def test_price_outside_channel_price_list_is_rejected(session, net) -> None:  # type: ignore[no-untyped-def]
    price_list = PriceListIn(code=factories.unique("PL"), channel_code=net.channel.code,
                             items=[{"sku": net.tea.sku, "price": "10", "min_price": "9", "max_price": "12"}])
    order_config.create_price_list(session, SYSTEM, price_list)
    with pytest.raises(Invalid) as caught:
        orders.create_orders(session, SYSTEM, [_order(net, lines=[{"sku": net.tea.sku, "quantity": "1",
                                                                   "unit_price": "8.99"}])])
    assert caught.value.errors[0].field == "lines[0].unit_price"
    with pytest.raises(Invalid) as off_list:
        orders.create_orders(session, SYSTEM, [_order(net, lines=[{"sku": net.cup.sku, "quantity": "1"}])])
    assert "price list" in off_list.value.errors[0].reason
    priced, _ = orders.create_order(session, SYSTEM, _order(net, lines=[{"sku": net.tea.sku, "quantity": "3"}]))
    assert priced.lines[0].unit_price == 10 and priced.total_amount == 30


def test_credit_limit_puts_order_on_hold_without_reservation(session, net) -> None:  # type: ignore[no-untyped-def]
    buyer = factories.partner(session, credit_limit="100")
    factories.stock(session, net.tea, net.hz, 50)
    first = factories.sales_order(session, net.channel, buyer, net.store, [(net.tea, 6)])   # 60 of 100
    second = factories.sales_order(session, net.channel, buyer, net.store, [(net.tea, 5)])  # 60 + 50 > 100
    assert first.status == "allocated"
    assert second.status == "on_hold" and second.hold_reason == "credit" and second.credit_hold
    assert second.lines[0].allocated_qty == 0 and available(session, net.tea, net.hz) == 44
    released = orders.release_hold(session, SYSTEM, second.id, note="credit approved")
    assert released.status == "allocated" and available(session, net.tea, net.hz) == 39


def test_same_external_id_is_never_booked_twice(session, net) -> None:  # type: ignore[no-untyped-def]
    factories.stock(session, net.tea, net.hz, 10)
    data = _order(net, external_order_id="TMALL-42", lines=[{"sku": net.tea.sku, "quantity": "2"}])
    first, dup1 = orders.create_order(session, SYSTEM, data)
    again, dup2 = orders.create_order(session, SYSTEM, data)
    assert (dup1, dup2) == (False, True) and again.id == first.id
    batch = orders.create_orders(session, SYSTEM, [data, _order(net, external_order_id="TMALL-43"),
                                                   _order(net, external_order_id="TMALL-43")])
    assert batch.order_ids[0] == first.id and batch.order_ids[1] == batch.order_ids[2]
    assert batch.duplicate == [True, False, True] and batch.created == 1
    assert available(session, net.tea, net.hz) == 7  # 2 + 1 reserved, never more


def test_promised_date_is_kept(session, net) -> None:  # type: ignore[no-untyped-def]
    order = factories.sales_order(session, net.channel, net.customer, net.store, [(net.tea, 1)],
                                  promised_date="2030-01-31")
    assert order.promised_date == date(2030, 1, 31)


def test_manual_rush_jumps_the_backorder_queue(session, net) -> None:  # type: ignore[no-untyped-def]
    gold = factories.partner(session, tier="A")
    vip = factories.sales_order(session, net.channel, gold, net.store, [(net.tea, 1)])
    plain = factories.sales_order(session, net.channel, net.customer, net.store, [(net.tea, 1)])
    orders.set_rush(session, SYSTEM, plain.id, rush=True)
    factories.stock(session, net.tea, net.hz, 1)
    assert session.get(SalesOrder, plain.id, populate_existing=True).status == "allocated"
    assert session.get(SalesOrder, vip.id, populate_existing=True).status == "backordered"
