"""Master-data throughput: loading the demo set, and importing products from CSV, against a naive baseline.

    .venv/bin/python bench/master_data.py                 # small demo set, 10,000 products, SQLite
    .venv/bin/python bench/master_data.py --full --pg     # large demo set, 100,000 products, SQLite + PostgreSQL

PostgreSQL: --pg uses QUDAO_BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres) as
the server; the bench creates its own database there and drops it afterwards.
Baseline: the same products created one by one through ``catalog.service.create_product`` (validation,
duplicate check, insert and audit row per product, one transaction), timed on a sample and extrapolated.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from qudao import migrate
from qudao.catalog import service as catalog
from qudao.catalog.schemas import ProductCreate
from qudao.common.actor import SYSTEM
from qudao.config import Settings
from qudao.db import make_engine, make_session_factory, scratch_database, unit_of_work
from qudao.demo.service import load_demo
from qudao.imports import service as imports
from qudao.imports.schemas import TransferKind

END = date(2026, 10, 31)
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def products_csv(count: int, prefix: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sku", "name_zh", "name_en", "category_code", "brand", "barcode", "list_price",
                     "standard_cost", "pack_size", "weight_kg", "shelf_life_days", "lifecycle"])
    for i in range(count):
        writer.writerow([f"{prefix}{i:07d}", f"测试产品{i}", f"Bench product {i}", "TEA", "Bench", f"69{i:011d}",
                         f"{10 + i % 90}.90", f"{5 + i % 40}.25", "12", "0.5", "365", "active"])
    return out.getvalue().encode()


def bench_backend(label: str, url: str, scale: str, products: int, baseline: int) -> list[tuple[str, str]]:
    migrate.upgrade(url)
    lines: list[tuple[str, str]] = []
    started = time.perf_counter()
    counts = load_demo(url, scale=scale, seed=42, end=END)
    seconds = time.perf_counter() - started
    rows = sum(counts.values())
    lines.append((f"{label}: load demo set '{scale}' ({rows:,} rows, {counts['sell_through']:,} sell-through)",
                  f"{seconds:8.2f} s  {rows / seconds:12,.0f} rows/s"))

    engine = make_engine(url)
    factory = make_session_factory(engine)
    settings = Settings(database_url=url, secret_key="bench")
    content = products_csv(products, "BENCH-")
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        report = imports.import_master_data(session, SYSTEM, settings, TransferKind.products, content, "bench.csv")
    seconds = time.perf_counter() - started
    assert report.created == products
    lines.append((f"{label}: import {products:,} products from CSV ({len(content) / 1e6:.1f} MB)",
                  f"{seconds:8.2f} s  {products / seconds:12,.0f} rows/s"))

    started = time.perf_counter()
    with unit_of_work(factory) as session:
        for i in range(baseline):
            catalog.create_product(session, SYSTEM, ProductCreate(
                sku=f"NAIVE-{i:07d}", name_zh=f"测试产品{i}", name_en=f"Naive product {i}", category_code="TEA",
                brand="Bench", list_price=f"{10 + i % 90}.90", standard_cost=f"{5 + i % 40}.25"))
    seconds = time.perf_counter() - started
    rate = baseline / seconds
    lines.append((f"{label}: baseline, one-by-one create_product x {baseline:,}",
                  f"{seconds:8.2f} s  {rate:12,.0f} rows/s  (-> {products / rate:,.0f} s for {products:,})"))
    engine.dispose()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small", choices=["test", "small", "medium", "large"])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=1_000, help="products in the one-by-one sample")
    parser.add_argument("--full", action="store_true", help="large demo set, 100,000 products, 5,000 baseline")
    parser.add_argument("--pg", action="store_true", help="also run on PostgreSQL (own database, dropped after)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    args = parser.parse_args(argv)
    if args.full:
        args.scale, args.products, args.baseline = "large", 100_000, 5_000
    server = os.environ.get("QUDAO_BENCH_DATABASE_URL") or (DEFAULT_PG if args.pg else None)
    lines: list[tuple[str, str]] = []
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            lines += bench_backend("sqlite", f"sqlite:///{Path(folder) / 'bench.db'}", args.scale, args.products,
                                   args.baseline)
    if server:
        with scratch_database(server, "qudao_bench") as url:
            lines += bench_backend("postgresql", url, args.scale, args.products, args.baseline)
    width = max(len(label) for label, _ in lines)
    print(f"master data bench (python {sys.version.split()[0]})")
    for label, figure in lines:
        print(f"  {label:<{width}}  {figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
