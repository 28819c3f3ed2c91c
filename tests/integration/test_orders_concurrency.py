"""Never oversell: many orders race from real threads with real commits for 10 units, on SQLite and
PostgreSQL; and the same external order id sent by every thread at once is booked exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from qudao.audit.models import AuditRecord
from qudao.catalog.models import Product
from qudao.channels.models import Channel
from qudao.common.actor import SYSTEM
from qudao.db import make_session_factory, unit_of_work
from qudao.inventory.models import LotBalance, StockBalance, StockMovement, ValuationLayer
from qudao.locations.models import Location
from qudao.orders import service as orders
from qudao.orders.models import Allocation, OrderEvent, SalesOrder, SalesOrderLine
from qudao.orders.schemas import OrderCreate
from qudao.partners.models import Partner, PartnerRoleAssignment
from tests import factories

pytestmark = pytest.mark.concurrency
THREADS = 8
ORDERS_PER_THREAD = 5
STOCK = 10


@dataclass
class World:
    channel: str
    customer: str
    ship_to: str
    sku: str
    product_id: int
    dc_id: int


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        channel = factories.channel(s)
        customer = factories.partner(s)
        store = factories.location(s, kind="store", owner_partner_code=customer.code, latitude=31.2, longitude=121.5)
        dc = factories.location(s, latitude=30.3, longitude=120.2)
        product = factories.product(s)
        factories.stock(s, product, dc, STOCK)
        w = World(channel.code, customer.code, store.code, product.sku, product.id, dc.id)
        ids = {"channel": channel.id, "partner": customer.id, "locations": [store.id, dc.id], "product": product.id}
    yield w
    with unit_of_work(factory) as s:
        order_ids = select(SalesOrder.id).where(SalesOrder.channel_id == ids["channel"])
        booked = [str(i) for i in s.scalars(order_ids).all()]
        s.execute(delete(AuditRecord).where(AuditRecord.entity == "sales_orders", AuditRecord.entity_id.in_(booked)))
        for model in (OrderEvent, Allocation, SalesOrderLine):
            s.execute(delete(model).where(model.order_id.in_(order_ids)))
        s.execute(delete(SalesOrder).where(SalesOrder.channel_id == ids["channel"]))
        for model in (ValuationLayer, StockMovement, LotBalance, StockBalance):
            s.execute(delete(model).where(model.location_id.in_(ids["locations"])))
        s.execute(delete(Product).where(Product.id == ids["product"]))
        s.execute(delete(Location).where(Location.id.in_(ids["locations"])))
        s.execute(delete(PartnerRoleAssignment).where(PartnerRoleAssignment.partner_id == ids["partner"]))
        s.execute(delete(Partner).where(Partner.id == ids["partner"]))
        s.execute(delete(Channel).where(Channel.id == ids["channel"]))


def _race(engine: Engine, work: Callable[[Session, int, int], None], per_thread: int) -> None:
    factory = make_session_factory(engine)
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(thread_no: int) -> None:
        try:
            barrier.wait(timeout=30)
            for n in range(per_thread):
                with unit_of_work(factory) as s:  # one transaction per order, committed for real
                    work(s, thread_no, n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not errors, errors


def _order(w: World, external_id: str) -> OrderCreate:
    return OrderCreate(channel_code=w.channel, external_order_id=external_id, customer_code=w.customer,
                       ship_to_code=w.ship_to, lines=[{"sku": w.sku, "quantity": "1"}])


def test_concurrent_single_unit_orders_never_oversell(engine: Engine, world: World) -> None:
    _race(engine, lambda s, t, n: orders.create_order(s, SYSTEM, _order(world, f"T{t}-{n}")), ORDERS_PER_THREAD)
    total = THREADS * ORDERS_PER_THREAD
    with unit_of_work(make_session_factory(engine)) as s:
        lines = s.execute(select(SalesOrderLine.allocated_qty, SalesOrderLine.backorder_qty)
                          .join(SalesOrder).where(SalesOrder.external_order_id.like("T%"),
                                                  SalesOrderLine.product_id == world.product_id)).all()
        assert len(lines) == total
        assert sum(a for a, _ in lines) == STOCK                      # exactly the stock, never more
        assert sum(b for _, b in lines) == total - STOCK              # the rest on backorder
        assert sorted({a for a, _ in lines}) == [0, 1]
        balance = s.scalar(select(StockBalance).where(StockBalance.product_id == world.product_id,
                                                      StockBalance.location_id == world.dc_id))
        assert (balance.on_hand, balance.reserved) == (Decimal(STOCK), Decimal(STOCK))
        allocated_rows = s.scalar(select(func.sum(Allocation.quantity))
                                  .where(Allocation.product_id == world.product_id))
        assert allocated_rows == STOCK
        statuses = s.scalars(select(SalesOrder.status).where(SalesOrder.external_order_id.like("T%"))).all()
        assert statuses.count("allocated") == STOCK and statuses.count("backordered") == total - STOCK


def test_same_external_id_from_every_thread_is_booked_once(engine: Engine, world: World) -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def place(s: Session, t: int, n: int) -> None:
        order, _ = orders.create_order(s, SYSTEM, _order(world, "DUP-1"))
        with lock:
            seen.append(order.id)

    _race(engine, place, 1)
    with unit_of_work(make_session_factory(engine)) as s:
        booked = s.scalars(select(SalesOrder.id).where(SalesOrder.external_order_id == "DUP-1")).all()
        assert len(booked) == 1 and set(seen) == set(booked)
        balance = s.scalar(select(StockBalance.reserved).where(StockBalance.product_id == world.product_id,
                                                               StockBalance.location_id == world.dc_id))
        assert balance == 1
