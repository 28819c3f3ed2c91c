"""Benchmark: supplier scorecards and lead-time statistics.

1. The engine alone (qudao.engines.scorecard) on a synthetic receipt frame: contract prices attached,
   lines folded, scored per supplier and per supplier x month, lead-time statistics per supplier x item.
2. The database path (qudao.suppliers.service.refresh_scorecards and lead_time_stats: one query into
   polars, the engine, bulk writes) on a migrated scratch database whose purchase orders, lines and
   receipt movements are bulk-inserted for the benchmark (seeding is not timed).

    .venv/bin/python bench/scorecards.py                       # 200,000 lines; 20,000 orders in SQLite
    .venv/bin/python bench/scorecards.py --lines 1000000 --orders 50000
    .venv/bin/python bench/scorecards.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import insert, select

from qudao import migrate
from qudao.catalog.models import Product
from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory, scratch_database, unit_of_work
from qudao.engines import scorecard as engine
from qudao.inventory.models import StockMovement
from qudao.locations.models import Location
from qudao.partners.models import Partner, PartnerRoleAssignment
from qudao.purchasing.models import PurchaseOrder, PurchaseOrderLine
from qudao.suppliers import service
from qudao.suppliers.models import ContractPrice, Scorecard
from qudao.suppliers.schemas import RefreshIn

AS_OF = date(2026, 6, 30)


def synthetic_receipts(lines: int, suppliers: int, items: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    start = datetime(2025, 7, 1, tzinfo=UTC)
    sent = [start + timedelta(minutes=int(m)) for m in rng.integers(0, 360 * 24 * 60, lines)]
    lead = rng.gamma(4.0, 3.0, lines)
    qty = rng.integers(10, 500, lines).astype(float)
    frame = pl.DataFrame({
        "supplier_id": rng.integers(1, suppliers + 1, lines), "supplier_code": None, "order_id": np.arange(lines),
        "product_id": rng.integers(1, items + 1, lines), "sku": None, "ordered_qty": qty,
        "unit_cost": rng.uniform(9.0, 11.5, lines), "contract_price": None, "sent_at": sent,
        "due_date": [s.date() + timedelta(days=int(d)) for s, d in zip(sent, rng.integers(5, 20, lines), strict=True)],
        "first_confirmed_at": [s + timedelta(hours=float(h)) for s, h in zip(sent, rng.gamma(2.0, 20.0, lines),
                                                                               strict=True)],
        "closed": False, "rejected_qty": np.floor(qty * rng.beta(1, 60, lines)),
        "received_at": [s + timedelta(days=float(d)) for s, d in zip(sent, lead, strict=True)],
        "received_qty": qty,
    }, schema_overrides={k: v for k, v in engine.RECEIPT_SCHEMA.items()}).with_columns(
        pl.format("S{}", "supplier_id").alias("supplier_code"), pl.format("SKU{}", "product_id").alias("sku"))
    prices = pl.DataFrame({"supplier_id": np.repeat(np.arange(1, suppliers + 1), items),
                           "product_id": np.tile(np.arange(1, items + 1), suppliers), "price": 10.0,
                           "valid_from": date(2025, 1, 1), "valid_to": None}, schema=engine.PRICE_SCHEMA)
    return frame.select(list(engine.RECEIPT_SCHEMA)), prices


def bench_engine(lines: int) -> None:
    receipts, prices = synthetic_receipts(lines, suppliers=200, items=500)
    t0 = time.perf_counter()
    outcomes = engine.line_outcomes(engine.attach_contract_prices(receipts, prices), AS_OF)
    t1 = time.perf_counter()
    current = engine.score(outcomes, ["supplier_id"])
    trend = engine.score(outcomes, ["supplier_id", "period"])
    t2 = time.perf_counter()
    stats = engine.lead_time_stats(outcomes)
    t3 = time.perf_counter()
    print(f"engine: {lines:,} lines -> outcomes {t1 - t0:.2f} s, scores ({current.height} suppliers, "
          f"{trend.height} supplier-months) {t2 - t1:.2f} s, lead-time stats ({stats.height:,} pairs) "
          f"{t3 - t2:.2f} s")


def seed_database(url: str, orders: int, suppliers: int = 100, items: int = 300, seed: int = 11) -> None:
    """Orders with two lines each, every line received in one or two parts, bulk-inserted."""
    rng = np.random.default_rng(seed)
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as s:
        s.execute(insert(Location), [{"code": "BENCH-DC", "name": "Bench DC", "kind": "distribution_centre"}])
        s.execute(insert(Partner), [{"code": f"BS{i:04d}", "name": f"Supplier {i}"} for i in range(suppliers)])
        s.execute(insert(Product), [{"sku": f"BSKU{i:05d}", "name_zh": f"物料{i}", "name_en": f"Item {i}"}
                                    for i in range(items)])
        location_id = s.scalar(select(Location.id).where(Location.code == "BENCH-DC"))
        supplier_ids = list(s.scalars(select(Partner.id).where(Partner.code.like("BS%"))))
        product_ids = list(s.scalars(select(Product.id).where(Product.sku.like("BSKU%"))))
        s.execute(insert(PartnerRoleAssignment), [{"partner_id": p, "role": "supplier"} for p in supplier_ids])
        s.execute(insert(ContractPrice), [{"supplier_id": p, "product_id": q, "price": Decimal(10),
                                           "valid_from": date(2025, 1, 1)} for p in supplier_ids[:20]
                                          for q in product_ids])
        start = datetime(2025, 7, 1, tzinfo=UTC)
        sent = [start + timedelta(minutes=int(m)) for m in rng.integers(0, 360 * 24 * 60, orders)]
        s.execute(insert(PurchaseOrder), [
            {"code": f"BPO{i:07d}", "supplier_id": int(rng.choice(supplier_ids)), "location_id": location_id,
             "status": "received", "expected_date": sent[i].date() + timedelta(days=int(rng.integers(5, 20))),
             "confirmed_at": sent[i]} for i in range(orders)])
        order_ids = list(s.scalars(select(PurchaseOrder.id).where(PurchaseOrder.code.like("BPO%"))
                                   .order_by(PurchaseOrder.id)))
        lines, moves = [], []
        for i, order_id in enumerate(order_ids):
            for line_no, product in enumerate(rng.choice(product_ids, 2, replace=False), start=1):
                qty = Decimal(int(rng.integers(10, 500)))
                lines.append({"order_id": order_id, "line_no": line_no, "product_id": int(product), "quantity": qty,
                              "unit_cost": Decimal(str(round(rng.uniform(9, 11.5), 2))), "received_quantity": qty})
                arrive = sent[i] + timedelta(days=float(rng.gamma(4.0, 3.0)))
                parts = [qty] if rng.random() < 0.8 else [qty - qty // 3, qty // 3]
                for k, part in enumerate(parts):
                    moves.append({"at": arrive + timedelta(days=2 * k), "movement_type": "receipt",
                                  "product_id": int(product), "location_id": location_id, "quantity": part,
                                  "on_hand_delta": part, "reference": f"BPO{i:07d}"})
        s.execute(insert(PurchaseOrderLine), lines)
        s.execute(insert(StockMovement), moves)
    factory.kw["bind"].dispose()
    print(f"seeded {orders:,} orders, {len(lines):,} lines, {len(moves):,} receipt movements")


def bench_database(url: str, orders: int) -> None:
    migrate.upgrade(url)
    seed_database(url, orders)
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as s:
        t0 = time.perf_counter()
        result = service.refresh_scorecards(s, SYSTEM, RefreshIn(as_of=AS_OF, months=12))
        t1 = time.perf_counter()
        stats = service.lead_time_stats(s, SYSTEM, as_of=AS_OF)
        t2 = time.perf_counter()
        cards = len(list(s.scalars(select(Scorecard.id))))
    print(f"database ({make_engine(url).dialect.name}): refresh {t1 - t0:.2f} s ({result.suppliers} suppliers, "
          f"{result.periods} supplier-months, {cards} rows written); lead_time_stats {t2 - t1:.2f} s "
          f"({stats.height:,} supplier x item pairs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--postgres", help="admin URL: run the database part on a throwaway PostgreSQL database")
    args = parser.parse_args()
    bench_engine(args.lines)
    if args.postgres:
        with scratch_database(args.postgres, "qudao_bench_scorecards") as url:
            bench_database(url, args.orders)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            bench_database(f"sqlite:///{Path(tmp) / 'scorecards.db'}", args.orders)


if __name__ == "__main__":
    main()
