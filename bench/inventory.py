"""Reservation throughput: ``inventory.reserve_many`` lines per second on SQLite and PostgreSQL.

    .venv/bin/python bench/inventory.py                      # SQLite temp file, 2,000 lines x 5 batches
    .venv/bin/python bench/inventory.py --pg postgresql://postgres@127.0.0.1:5432/postgres --lines 5000

Each batch is one transaction of ``--lines`` reservation lines spread over ``--skus`` products at
``--locations`` locations (the shape of an order batch). Baseline (target from issue 3): >= 2,000 lines/s
on PostgreSQL on a 2-core machine.
"""

from __future__ import annotations

import argparse
import random
import time
from decimal import Decimal

from sqlalchemy import insert

from qudao import migrate
from qudao.catalog.models import Product
from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory, scratch_database, unit_of_work
from qudao.inventory import service as inventory
from qudao.locations.models import Location

BASELINE_LINES_PER_SECOND = 2000


def run(url: str, lines: int, batches: int, skus: int, locations: int) -> float:
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        loc_ids = [s.execute(insert(Location).values(code=f"BL{i}", name=f"Bench {i}", kind="warehouse",
                                                     priority=100).returning(Location.id)).scalar_one()
                   for i in range(locations)]
        product_ids = list(s.execute(insert(Product).returning(Product.id), [
            {"sku": f"BENCH-{i:05d}", "name_zh": "基准", "name_en": "Bench"} for i in range(skus)]).scalars())
        requests = [inventory.ReservationRequest(p, loc, Decimal(10**6), "bench") for p in product_ids
                    for loc in loc_ids]
        # Stock everything through the ledger in one go (receipt rows + layers), as a real import would.
        for p in product_ids:
            for loc in loc_ids:
                inventory.receive(s, SYSTEM, product_id=p, location_id=loc, quantity=Decimal(10**6),
                                  unit_cost=Decimal(1), reference="bench stock")
    rng = random.Random(7)
    elapsed = 0.0
    for b in range(batches):
        batch = [inventory.ReservationRequest(p, loc, Decimal(rng.randint(1, 3)), f"BENCH-{b}-{i}")
                 for i, (p, loc) in enumerate(rng.choice([(r.product_id, r.location_id) for r in requests])
                                              for _ in range(lines))]
        start = time.perf_counter()
        with unit_of_work(factory) as s:
            got = inventory.reserve_many(s, SYSTEM, batch)
        elapsed += time.perf_counter() - start
        assert sum(got) == sum(r.quantity for r in batch)
    engine.dispose()
    return lines * batches / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=2000, help="reservation lines per batch")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--locations", type=int, default=3)
    parser.add_argument("--pg", help="PostgreSQL admin URL; a throwaway database is created and dropped")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        rate = run(f"sqlite:///{tmp}/bench.db", args.lines, args.batches, args.skus, args.locations)
    print(f"sqlite     reserve_many: {rate:10,.0f} lines/s   (baseline {BASELINE_LINES_PER_SECOND:,} lines/s)")
    if args.pg:
        with scratch_database(args.pg, "qudao_bench") as url:
            rate = run(url, args.lines, args.batches, args.skus, args.locations)
        print(f"postgresql reserve_many: {rate:10,.0f} lines/s   (baseline {BASELINE_LINES_PER_SECOND:,} lines/s)")


if __name__ == "__main__":
    main()
