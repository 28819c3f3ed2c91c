"""Concurrency proof: real threads, real commits, on SQLite and PostgreSQL — stock is never oversold."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from qudao.audit.models import AuditRecord
from qudao.catalog.models import Product
from qudao.common.actor import SYSTEM
from qudao.db import make_session_factory, unit_of_work
from qudao.errors import InsufficientStock
from qudao.inventory import service as inventory
from qudao.inventory.models import LotBalance, StockBalance, StockMovement, ValuationLayer
from qudao.locations.models import Location
from tests import factories

pytestmark = pytest.mark.concurrency
D = Decimal
THREADS = 8
ATTEMPTS = 4


@pytest.fixture
def committed_stock(engine: Engine) -> Iterator[tuple[list[int], int]]:
    """Two products with 10 units each at one location, committed; everything removed afterwards."""
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        products = [factories.product(s), factories.product(s)]
        location = factories.location(s)
        for product in products:
            factories.stock(s, product, location, 10, "3")
        ids, loc_id = [p.id for p in products], location.id
    yield ids, loc_id
    with unit_of_work(factory) as s:
        for model in (ValuationLayer, StockMovement, LotBalance, StockBalance):
            s.execute(delete(model).where(model.location_id == loc_id))
        s.execute(delete(Product).where(Product.id.in_(ids)))
        s.execute(delete(Location).where(Location.id == loc_id))
        s.execute(delete(AuditRecord).where(AuditRecord.entity.in_(["products", "locations"]),
                                            AuditRecord.entity_id.in_([str(i) for i in [*ids, loc_id]])))


def _race(engine: Engine, work) -> list[Decimal]:  # type: ignore[no-untyped-def]
    factory = make_session_factory(engine)
    barrier = threading.Barrier(THREADS)
    results: list[Decimal] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(thread_no: int) -> None:
        try:
            barrier.wait(timeout=30)
            for attempt in range(ATTEMPTS):
                with unit_of_work(factory) as s:
                    got = work(s, thread_no, attempt)
                with lock:
                    results.extend(got)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def _check(engine: Engine, product_id: int, location_id: int, reserved: Decimal) -> None:
    with unit_of_work(make_session_factory(engine)) as s:
        bal = s.scalar(select(StockBalance).where(StockBalance.product_id == product_id,
                                                  StockBalance.location_id == location_id))
        assert (bal.on_hand, bal.reserved) == (D(10), reserved)
        on_ledger = s.scalar(select(func.sum(StockMovement.reserved_delta)).where(
            StockMovement.product_id == product_id, StockMovement.location_id == location_id))
        assert D(on_ledger) == reserved
        assert [d for d in inventory.verify_ledger(s, SYSTEM) if d.location_id == location_id] == []


def test_reserve_up_to_never_oversells(engine: Engine, committed_stock) -> None:
    (product_id, _), location_id = committed_stock

    def work(s, _thread: int, attempt: int) -> list[Decimal]:  # type: ignore[no-untyped-def]
        return [inventory.reserve_up_to(s, SYSTEM, product_id=product_id, location_id=location_id,
                                        quantity=D(1), reference=f"T{_thread}-{attempt}")]

    results = _race(engine, work)
    assert len(results) == THREADS * ATTEMPTS
    assert sum(results) == D(10)
    assert sorted(set(results)) == [D(0), D(1)]
    _check(engine, product_id, location_id, D(10))


def test_reserve_many_never_oversells_nor_deadlocks(engine: Engine, committed_stock) -> None:
    (p1, p2), location_id = committed_stock
    R = inventory.ReservationRequest  # noqa: N806

    def work(s, thread: int, attempt: int) -> list[Decimal]:  # type: ignore[no-untyped-def]
        # Half the threads name the products in the opposite order: locks are still taken in key order.
        batch = [R(p1, location_id, D(2), f"B{thread}-{attempt}"), R(p2, location_id, D(1), f"B{thread}-{attempt}")]
        if thread % 2:
            batch.reverse()
        got = inventory.reserve_many(s, SYSTEM, batch)
        return got if thread % 2 == 0 else got[::-1]

    results = _race(engine, work)
    p1_total = sum(results[0::2])
    p2_total = sum(results[1::2])
    assert (p1_total, p2_total) == (D(10), D(10))
    _check(engine, p1, location_id, D(10))
    _check(engine, p2, location_id, D(10))


def test_mixed_receipts_shipments_and_two_way_transfers_keep_the_ledger_whole(engine: Engine,
                                                                              committed_stock) -> None:
    """Reserve+ship, receive and transfer both ways between two locations at once: no deadlock, no drift,
    and every unit is accounted for."""
    (p1, _), loc_a = committed_stock
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        loc_b = factories.location(s).id
    shipped: list[Decimal] = []
    received: list[Decimal] = []

    def work(s, thread: int, attempt: int) -> list[Decimal]:  # type: ignore[no-untyped-def]
        kind = thread % 4
        if kind == 0:
            got = inventory.reserve_up_to(s, SYSTEM, product_id=p1, location_id=loc_a, quantity=D(1),
                                          reference=f"S{thread}-{attempt}")
            if got:
                inventory.issue_reserved(s, SYSTEM, product_id=p1, location_id=loc_a, quantity=got,
                                         reference=f"S{thread}-{attempt}")
                shipped.append(got)
        elif kind == 1:
            inventory.receive(s, SYSTEM, product_id=p1, location_id=loc_b, quantity=D(2), unit_cost=D(4),
                              reference=f"R{thread}-{attempt}")
            received.append(D(2))
        else:
            origin, dest = (loc_a, loc_b) if kind == 2 else (loc_b, loc_a)
            free = inventory.available_by_location(s, [p1], [origin]).get((p1, origin), D(0))
            if free >= 1:
                try:
                    with s.begin_nested():
                        inventory.transfer_out(s, SYSTEM, product_id=p1, from_location_id=origin,
                                               to_location_id=dest, quantity=D(1), reference=f"T{thread}")
                        inventory.transfer_in(s, SYSTEM, product_id=p1, from_location_id=origin,
                                              to_location_id=dest, quantity=D(1), unit_cost=D(3),
                                              reference=f"T{thread}")
                except InsufficientStock:
                    pass  # another thread took it between the read and the lock: a clean refusal
        return []

    try:
        _race(engine, work)
        with unit_of_work(factory) as s:
            rows = {r.location_id: r for r in s.scalars(select(StockBalance).where(StockBalance.product_id == p1))}
            assert sum(r.on_hand for r in rows.values()) == D(10) + sum(received) - sum(shipped)
            assert all(r.in_transit == 0 and r.reserved == 0 for r in rows.values())
            assert [d for d in inventory.verify_ledger(s, SYSTEM) if d.location_id in (loc_a, loc_b)] == []
    finally:
        with unit_of_work(factory) as s:
            for model in (ValuationLayer, StockMovement, LotBalance, StockBalance):
                s.execute(delete(model).where(model.location_id.in_([loc_a, loc_b])))
            s.execute(delete(Location).where(Location.id == loc_b))
            s.execute(delete(AuditRecord).where(AuditRecord.entity == "locations",
                                                AuditRecord.entity_id == str(loc_b)))
