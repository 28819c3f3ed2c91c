"""Concurrency proof for production reports: real threads and commits on a database of their own, on SQLite
and PostgreSQL. Reports racing for the same components never overdraw them, each one is all or nothing,
and the work order's completed quantity adds up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from qudao import migrate
from qudao.catalog.models import Product
from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory, unit_of_work
from qudao.errors import InsufficientStock
from qudao.inventory.models import StockBalance
from qudao.production import service, work_orders
from qudao.production.models import ProductionReport
from qudao.production.schemas import BomLineCreate, ReportIn, ResourceCreate, RoutingCreate
from tests import factories

pytestmark = pytest.mark.concurrency
D = Decimal
THREADS = 5


@pytest.fixture
def own_engine(backend: str, fresh_database_url) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    url = fresh_database_url(backend)
    migrate.upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_racing_reports_never_overdraw_components(own_engine: Engine) -> None:
    factory = make_session_factory(own_engine)
    with unit_of_work(factory) as s:
        plant = factories.location(s, code="PLANT", kind="plant")
        factories.product(s, sku="FG")
        c1 = factories.product(s, sku="C1")
        service.create_resource(s, SYSTEM, ResourceCreate(code="L1", name="L1", location_code="PLANT",
                                                          hours_per_day=D(8)))
        service.create_routing(s, SYSTEM, RoutingCreate(sku="FG", resource_code="L1", run_hours_per_unit=D(1)))
        service.create_bom_line(s, SYSTEM, BomLineCreate(parent_sku="FG", component_sku="C1", quantity_per=D(1)))
        factories.stock(s, c1, plant, 100)
        work_orders.create_work_order(s, SYSTEM, work_orders.WorkOrderCreate(
            code="WO-RACE", sku="FG", location_code="PLANT", quantity=D(1000), due_date="2026-05-01"))
        work_orders.release_work_order(s, SYSTEM, "WO-RACE")
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def report() -> None:
        barrier.wait(timeout=30)
        try:
            with unit_of_work(factory) as s:
                work_orders.report_production(s, SYSTEM, "WO-RACE", ReportIn(quantity=D(30)))
            result = "made"
        except InsufficientStock:
            result = "short"
        except Exception as exc:  # reported in the assertion, not lost in the thread
            result = repr(exc)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=report) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # 100 jars of C1, 30 per report: three reports go through, the other two are refused whole.
    assert sorted(outcomes) == ["made"] * 3 + ["short"] * 2
    with unit_of_work(factory) as s:
        on_hand = dict(s.execute(select(Product.sku, StockBalance.on_hand)
                                 .join(Product, Product.id == StockBalance.product_id)).all())
        assert (D(on_hand["C1"]), D(on_hand["FG"])) == (D(10), D(90))
        assert work_orders.get_work_order(s, SYSTEM, "WO-RACE").completed_quantity == D(90)
        assert s.scalar(select(func.count()).select_from(ProductionReport)) == 3
