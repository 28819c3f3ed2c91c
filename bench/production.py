"""Production area timings on SQLite and PostgreSQL: bulk work orders (what plan approval calls), the
schedule of one busy resource, the weekly capacity load of every resource, and a BOM explosion.

    .venv/bin/python bench/production.py                                              # SQLite
    .venv/bin/python bench/production.py --pg postgresql://postgres@127.0.0.1:5432/postgres  # both

A fresh database: ``--resources`` lines at one plant, ``--products`` finished products with a routing each
(10 families), a 4-level BOM under each finished product, then ``--orders`` work orders created in one
``create_work_orders`` call. Prints seconds per step; no goal is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select

from qudao import migrate
from qudao.catalog.models import Product
from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory, scratch_database, unit_of_work
from qudao.locations.models import Location
from qudao.production import schedule, work_orders
from qudao.production.models import BomLine, Resource, Routing


def seed(factory, resources: int, products: int) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(factory) as s:
        s.execute(insert(Location).values(code="PLANT", name="Plant", kind="plant"))
        plant = s.scalar(select(Location.id))
        s.execute(insert(Resource), [{"code": f"R{r:03d}", "name": f"Line {r}", "location_id": plant,
                                      "hours_per_day": Decimal(16), "efficiency": Decimal("0.9"),
                                      "default_changeover_hours": Decimal(2), "weekdays_off": [6],
                                      "non_working_days": []} for r in range(resources)])
        # finished goods, then 3 levels of components shared by groups of 10 products
        s.execute(insert(Product), [{"sku": f"FG{p:05d}", "name_zh": "成品", "name_en": "Finished"}
                                    for p in range(products)])
        comps = [f"C{lvl}-{g:04d}" for lvl in (1, 2, 3) for g in range(max(products // 10, 1))]
        s.execute(insert(Product), [{"sku": c, "name_zh": "物料", "name_en": "Component"} for c in comps])
        ids = dict(s.execute(select(Product.sku, Product.id)).all())
        res = list(s.scalars(select(Resource.id).order_by(Resource.id)))
        s.execute(insert(Routing), [{"product_id": ids[f"FG{p:05d}"], "resource_id": res[p % len(res)],
                                     "family": f"F{p % 10}", "setup_hours": Decimal(1),
                                     "run_hours_per_unit": Decimal("0.05"), "preference": 1}
                                    for p in range(products)])
        lines = []
        for p in range(products):
            g = p // 10
            lines.append((f"FG{p:05d}", f"C1-{g:04d}", "2", "1"))
            lines.append((f"FG{p:05d}", f"C2-{g:04d}", "0.5", "0"))
        for g in range(max(products // 10, 1)):
            lines.append((f"C1-{g:04d}", f"C2-{g:04d}", "3", "2"))
            lines.append((f"C2-{g:04d}", f"C3-{g:04d}", "1.5", "0"))
        s.execute(insert(BomLine), [{"parent_id": ids[a], "component_id": ids[b], "quantity_per": Decimal(q),
                                     "scrap_pct": Decimal(sc)} for a, b, q, sc in lines])


def run(url: str, label: str, resources: int, products: int, orders: int) -> None:
    migrate.upgrade(url)
    factory = make_session_factory(make_engine(url))
    seed(factory, resources, products)
    start = date.today()
    rows = [{"sku": f"FG{i % products:05d}", "location_code": "PLANT", "quantity": str(20 + i % 50),
             "due_date": start + timedelta(days=1 + i % 60), "source_proposal_id": i + 1} for i in range(orders)]
    t = time.perf_counter()
    with unit_of_work(factory) as s:
        work_orders.create_work_orders(s, rows, SYSTEM)
    created = time.perf_counter() - t
    with unit_of_work(factory) as s:
        t = time.perf_counter()
        plan = schedule.schedule_for(s, SYSTEM, "R000", start=start)
        scheduled = time.perf_counter() - t
        t = time.perf_counter()
        load = schedule.capacity_load(s, SYSTEM, first_week=start, weeks=13)
        loaded = time.perf_counter() - t
        t = time.perf_counter()
        explosion, _ = schedule.explode_bom(s, SYSTEM, "FG00000", Decimal(1000))
        exploded = time.perf_counter() - t
    print(f"[{label}] create_work_orders {orders:,} rows: {created:.2f} s ({orders / created:,.0f} rows/s)")
    print(f"[{label}] schedule R000 ({plan.orders.height} orders, {plan.late.__len__()} late): {scheduled:.2f} s")
    print(f"[{label}] capacity load {resources} resources x 13 weeks ({load.overloads.height} overloaded): "
          f"{loaded:.2f} s")
    print(f"[{label}] explode FG00000 x 1000 ({len(explosion.rows)} rows): {exploded * 1000:.1f} ms")
    factory.kw["bind"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", help="admin URL of a PostgreSQL server (a scratch database is made and dropped)")
    parser.add_argument("--resources", type=int, default=20)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite", args.resources, args.products, args.orders)
    if args.pg:
        with scratch_database(args.pg, "qudao_bench_production") as url:
            run(url, "postgresql", args.resources, args.products, args.orders)


if __name__ == "__main__":
    main()
