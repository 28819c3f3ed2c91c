"""Demand history from order lines and sell-through, by hand: daily, weekly and monthly totals, stockout
and promotion flags, partner scoping (both databases)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert, update

from qudao.common.actor import SYSTEM
from qudao.demand.history import load_history
from qudao.demand.models import RetailEvent, SellThrough
from qudao.errors import Invalid
from qudao.orders.models import SalesOrder
from tests import factories

MON = date(2026, 3, 2)  # a Monday
WED = date(2026, 3, 4)
NEXT_TUE = date(2026, 3, 10)
APRIL = date(2026, 4, 1)


@pytest.fixture
def net(session):  # type: ignore[no-untyped-def]
    class Net:
        channel = factories.channel(session)
        customer = factories.partner(session)
        other = factories.partner(session)
        store = factories.location(session, kind="store", owner_partner_code=customer.code)
        warehouse = factories.location(session, kind="partner_warehouse", owner_partner_code=customer.code)
        other_wh = factories.location(session, kind="partner_warehouse", owner_partner_code=other.code)
        dc = factories.location(session)
        tea = factories.product(session)

    factories.stock(session, Net.tea, Net.dc, 5)

    def order(day: date, quantity: int) -> None:
        placed = factories.sales_order(session, Net.channel, Net.customer, Net.store, [(Net.tea, quantity)])
        session.execute(update(SalesOrder).where(SalesOrder.id == placed.id)
                        .values(created_at=datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC)))

    order(MON, 3)  # allocated at the DC (2 left)
    order(MON, 4)  # 2 allocated at the DC, 2 backordered: a stockout day at the DC
    order(NEXT_TUE, 6)  # nothing left: wholly backordered, counted at the ship-to store
    session.flush()

    def sold(location_id: int, partner_id: int | None, day: date, qty: int, *, stockout: bool = False,
             promo: bool = False) -> dict[str, object]:
        return dict(day=day, product_id=Net.tea.id, location_id=location_id, channel_id=Net.channel.id,
                    partner_id=partner_id, quantity=Decimal(qty), revenue=Decimal(qty * 10), on_promotion=promo,
                    stockout=stockout)

    session.execute(insert(SellThrough), [
        sold(Net.warehouse.id, Net.customer.id, MON, 5),
        sold(Net.warehouse.id, Net.customer.id, date(2026, 3, 3), 0, stockout=True),
        sold(Net.warehouse.id, Net.customer.id, WED, 7, promo=True),
        sold(Net.warehouse.id, Net.customer.id, NEXT_TUE, 2),
        sold(Net.warehouse.id, Net.customer.id, APRIL, 9),
        sold(Net.other_wh.id, Net.other.id, MON, 11),
        sold(Net.dc.id, None, MON, 1),  # the brand's own sell-through at the DC, merged with its orders
    ])
    session.flush()
    return Net


def rows(frame, net) -> list[tuple]:  # type: ignore[no-untyped-def]
    names = {net.dc.id: "dc", net.store.id: "store", net.warehouse.id: "wh", net.other_wh.id: "other"}
    return [(names[r["location_id"]], r["ds"], r["y"], r["stockout"], r["on_promotion"])
            for r in frame.sort("location_id", "ds").iter_rows(named=True)]


def test_daily_history_adds_orders_and_sell_through_with_stockout_flags(session, net) -> None:  # type: ignore[no-untyped-def]
    frame = load_history(session, SYSTEM, product_ids=[net.tea.id])
    assert frame.columns == ["product_id", "location_id", "channel_id", "ds", "y", "stockout", "on_promotion"]
    assert set(frame["channel_id"].to_list()) == {net.channel.id}
    expected = sorted([
        ("dc", MON, 8.0, True, False),  # 3 + 4 ordered (the second order waited for 2) + 1 sold
        ("store", NEXT_TUE, 6.0, True, False),  # wholly backordered: at the ship-to location
        ("wh", MON, 5.0, False, False),
        ("wh", date(2026, 3, 3), 0.0, True, False),
        ("wh", WED, 7.0, False, True),
        ("wh", NEXT_TUE, 2.0, False, False),
        ("wh", APRIL, 9.0, False, False),
        ("other", MON, 11.0, False, False),
    ], key=lambda r: ({"dc": net.dc.id, "store": net.store.id, "wh": net.warehouse.id,
                       "other": net.other_wh.id}[r[0]], r[1]))
    assert rows(frame, net) == expected


def test_weekly_and_monthly_roll_ups(session, net) -> None:  # type: ignore[no-untyped-def]
    weekly = load_history(session, SYSTEM, grain="week", product_ids=[net.tea.id], location_ids=[net.warehouse.id])
    assert rows(weekly, net) == [("wh", MON, 12.0, True, True), ("wh", date(2026, 3, 9), 2.0, False, False),
                                 ("wh", date(2026, 3, 30), 9.0, False, False)]
    dc_weekly = load_history(session, SYSTEM, grain="week", product_ids=[net.tea.id], location_ids=[net.dc.id])
    assert rows(dc_weekly, net) == [("dc", MON, 8.0, True, False)]  # orders and sell-through grouped in SQL
    monthly = load_history(session, SYSTEM, grain="month", product_ids=[net.tea.id],
                           start=date(2026, 3, 3), end=date(2026, 4, 30))
    by_location = {r[0]: [] for r in rows(monthly, net)}
    for r in rows(monthly, net):
        by_location[r[0]].append(r[1:])
    assert by_location == {
        "store": [(date(2026, 3, 1), 6.0, True, False)],
        "wh": [(date(2026, 3, 1), 9.0, True, True), (APRIL, 9.0, False, False)],  # 0 (stockout) + 7 + 2
    }  # the orders of Monday 2 March and the other partner's sale fall before the start


def test_promotion_event_of_a_parent_channel_flags_its_children(session, net) -> None:  # type: ignore[no-untyped-def]
    child = factories.channel(session, parent_code=net.channel.code)
    session.execute(insert(SellThrough), [dict(day=NEXT_TUE, product_id=net.tea.id, location_id=net.warehouse.id,
                                               channel_id=child.id, partner_id=net.customer.id, quantity=Decimal(1),
                                               revenue=Decimal(10), on_promotion=False, stockout=False)])
    session.execute(insert(RetailEvent), [dict(code=factories.unique("PROMO"), name_zh="促销", name_en="Promo",
                                               kind="promotion", starts_on=NEXT_TUE, ends_on=NEXT_TUE,
                                               channel_id=net.channel.id)])
    frame = load_history(session, SYSTEM, product_ids=[net.tea.id], start=NEXT_TUE, end=NEXT_TUE,
                         location_ids=[net.warehouse.id])
    assert sorted(frame.select("channel_id", "on_promotion").iter_rows()) == sorted(
        [(net.channel.id, True), (child.id, True)])


def test_partner_sees_its_own_history_only(session, net) -> None:  # type: ignore[no-untyped-def]
    mine = factories.actor(factories.user(session, role="partner", partner_code=net.customer.code))
    frame = load_history(session, mine, product_ids=[net.tea.id])
    assert {r[0] for r in rows(frame, net)} == {"dc", "store", "wh"}
    theirs = factories.actor(factories.user(session, role="partner", partner_code=net.other.code))
    assert rows(load_history(session, theirs, product_ids=[net.tea.id]), net) == [("other", MON, 11.0, False, False)]


def test_refusals(session, net) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid):
        load_history(session, SYSTEM, grain="year")  # type: ignore[arg-type]
    with pytest.raises(Invalid):
        load_history(session, SYSTEM, start=WED, end=MON)
    warehouse_user = factories.actor(factories.user(session, role="warehouse"))
    load_history(session, warehouse_user, product_ids=[net.tea.id])  # every staff role reads demand
    viewer = factories.actor(factories.user(session, role="viewer"))
    assert load_history(session, viewer, product_ids=[-1]).height == 0
    assert load_history(session, viewer, product_ids=[], grain="week").height == 0  # an empty selection
    assert load_history(session, viewer, location_ids=[], channel_ids=[]).height == 0


def test_hierarchy_history_sums_every_node(session, net) -> None:  # type: ignore[no-untyped-def]
    from qudao.demand.queries import hierarchy_history

    history, tree = hierarchy_history(session, SYSTEM, grain="week", product_ids=[net.tea.id])
    by_node = {(r.unique_id, r.ds.date()): r.y for r in history.itertuples()}
    assert by_node[("all", MON)] == 31.0  # DC 8 + warehouse 12 + other warehouse 11
    assert by_node[("all", date(2026, 3, 9))] == 8.0  # the store's backorder 6 + warehouse 2
    channel_node = f"all/{net.channel.code}"
    assert by_node[(channel_node, MON)] == 31.0
    leaf = f"all/-/{net.tea.sku}/{net.channel.code}/{net.warehouse.code}"
    assert by_node[(leaf, date(2026, 3, 30))] == 9.0
    assert len(tree.bottom_ids) == 4  # the SKU in one channel at four locations
    assert set(tree.tags) == {"total", "total/category", "total/channel", "total/category/channel",
                              "total/category/sku", "total/category/sku/channel",
                              "total/category/sku/channel/location"}
