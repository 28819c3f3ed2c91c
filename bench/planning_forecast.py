"""Benchmark: the planning run from the stored forecast versus the history-average fallback, database to
written proposals (PostgreSQL scratch database).

Seeds the synthetic network of ``bench/planning.py`` with ``bench/planning_db.py`` (history, stock, transit,
parameters, sourcing rules), times one run on the history fallback, then stores one succeeded weekly forecast
run with the network's demand per downstream SKU-location x 52 weeks (``forecast_values`` by COPY), times
``qudao.forecasting.bulk.planning_forecast`` alone and a second run planning from the forecast.

    .venv/bin/python bench/planning_forecast.py            # 200 SKUs x 50 locations = 10,000 SKU-locations
    .venv/bin/python bench/planning_forecast.py --full     # 2,000 SKUs = 100,000 SKU-locations
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import timedelta

import numpy as np
import polars as pl
from planning import N_DC, N_DOWN, make_network
from planning_db import START, copy, seed, time_run
from sqlalchemy import text

from qudao import migrate
from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory, scratch_database, unit_of_work
from qudao.forecasting.bulk import planning_forecast


def store_forecast(url: str, net: dict, per: int) -> tuple[float, int]:
    """One succeeded weekly run: value of week t = the network's gross demand of the downstream node."""
    engine = make_engine(url)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        pid = np.array(conn.execute(text("SELECT id FROM products ORDER BY sku")).scalars().all())
        lid = np.array(conn.execute(text("SELECT id FROM locations ORDER BY code")).scalars().all())
        channel = conn.execute(text("SELECT id FROM channels")).scalar_one()
        run_id = conn.execute(text(
            "INSERT INTO forecast_runs (status, progress, step, grain, horizon, profile, reconcile, scope, "
            "requested_by, error, summary, created_at, updated_at) VALUES ('succeeded', 1, 'done', 'week', 52, "
            "'fast', 'none', '{}', 'bench', '', '{}', now(), now()) RETURNING id")).scalar_one()
        n, down = net["n"], net["down"]
        node_p, node_l = pid[np.arange(n) // per], lid[np.arange(n) % per]
        copy(conn, "forecast_series", pl.DataFrame({
            "run_id": run_id, "product_id": node_p[down], "location_id": node_l[down], "channel_id": channel,
            "demand_class": "smooth", "model": "bench", "periods": 104, "stockout_periods": 0}))
        h = 52
        q = net["gross"][down, :h].ravel()
        copy(conn, "forecast_values", pl.DataFrame({
            "run_id": run_id, "product_id": np.repeat(node_p[down], h), "location_id": np.repeat(node_l[down], h),
            "channel_id": channel,
            "ds": np.tile(np.array([(START + timedelta(days=7 * t)).isoformat() for t in range(h)]), down.size),
            "forecast": q, "lo_80": q * 0.8, "hi_80": q * 1.2, "lo_95": q * 0.7, "hi_95": q * 1.3, "model": "bench"}))
        conn.exec_driver_sql("ANALYZE forecast_values")
        conn.exec_driver_sql("ANALYZE forecast_series")
    engine.dispose()
    return time.perf_counter() - t0, down.size * 52


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=200, help="SKUs (x 50 locations each)")
    ap.add_argument("--full", action="store_true", help="2,000 SKUs = 100,000 SKU-locations")
    args = ap.parse_args()
    n_skus = 2_000 if args.full else args.skus
    per = 1 + N_DC + N_DOWN
    admin = os.environ.get("QUDAO_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    net = make_network(n_skus)
    with scratch_database(admin, "qudao_bench_planfc") as url:
        migrate.upgrade(url)
        seed(url, net, n_skus, per, N_DC)
        print(f"{net['n']:,} SKU-locations x 52 weekly buckets ({net['down'].size:,} with demand)")
        seconds, summary, _ = time_run(url)
        print(f"  run on the history fallback: {seconds:6.1f} s   demand sources {summary['demand_sources']}, "
              f"{summary['written']['proposals']:,} proposals")
        stored, rows = store_forecast(url, net, per)
        print(f"  stored a weekly forecast run: {rows:,} values in {stored:.1f} s (COPY)")
        engine = make_engine(url)
        with unit_of_work(make_session_factory(engine)) as session:
            t0 = time.perf_counter()
            f = planning_forecast(session, SYSTEM, start=START, bucket="week", horizon=52)
            read = time.perf_counter() - t0
        engine.dispose()
        print(f"  planning_forecast (one SQL query + CPFR consensus + bucketing): {read:6.2f} s, {f.height:,} rows")
        seconds, summary, steps = time_run(url)
        print(f"  run from the forecast:        {seconds:6.1f} s   demand sources {summary['demand_sources']}, "
              f"{summary['written']['proposals']:,} proposals (load done at {steps.get('network', 0):.1f} s)")



if __name__ == "__main__":
    main()
