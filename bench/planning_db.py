"""Database-to-written-proposals benchmark of the planning run (``bench/planning.py --from-db``).

Seeds the synthetic network of ``bench/planning.py`` (per SKU: 1 plant that makes, 4 distribution centres,
45 downstream locations, 30 % of them split 60/40 between two centres) into a scratch PostgreSQL database
with COPY: products, 50 shared locations, stock balances, four weeks of demand history per downstream
SKU-location, in-transit transfers, planning parameters (lot rules, minimums, multiples, safety stock) and
product-specific sourcing rules. Then times ``qudao.planning.service.execute_run``: load every input with
one query each, plan with the engines, peg, and write proposals, pegs, exceptions and projections.

The seed writes stock balances directly (not through the stock ledger): it measures planning, not receipts.
"""

from __future__ import annotations

import io
import time
from datetime import date, timedelta

import numpy as np
import polars as pl
from sqlalchemy import insert, text

from qudao import migrate
from qudao.catalog.models import Product
from qudao.channels.models import Channel
from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory, scratch_database, unit_of_work, utcnow
from qudao.locations.models import Location
from qudao.partners.models import Partner
from qudao.planning import service
from qudao.planning.schemas import RunCreate

START = date(2027, 1, 4)  # a Monday
RULE_NAMES = np.array(["lot_for_lot", "fixed", "periods"])


def copy(conn, table: str, frame: pl.DataFrame) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)") as cp:
        for a in range(0, frame.height, 200_000):
            buf = io.BytesIO()
            frame.slice(a, 200_000).write_csv(buf, include_header=False, null_value="")
            cp.write(buf.getvalue())


def seed(url: str, net: dict, n_skus: int, per: int, n_dc: int) -> dict:
    """Write the network of ``make_network`` (node i = SKU i // per at location i % per)."""
    engine = make_engine(url)
    now = utcnow()
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(Product.__table__), [
            {"sku": f"B{i:05d}", "name_zh": f"产品{i}", "name_en": f"Product {i}", "pack_size": 1,
             "list_price": 10, "standard_cost": 6} for i in range(n_skus)])
        kinds = ["plant"] + ["distribution_centre"] * n_dc + ["partner_warehouse"] * (per - 1 - n_dc)
        conn.execute(insert(Location.__table__), [
            {"code": f"BL{j:02d}", "name": f"Location {j}", "kind": k, "latitude": 30.0 + j / 10,
             "longitude": 120.0 + j / 10} for j, k in enumerate(kinds)])
        conn.execute(insert(Channel.__table__), [{"code": "BCH", "name_zh": "渠道", "name_en": "Bench",
                                                  "kind": "distribution"}])
        conn.execute(insert(Partner.__table__), [{"code": "BSUP", "name": "Supplier"}])
        pid = np.array(conn.execute(text("SELECT id FROM products ORDER BY sku")).scalars().all())
        lid = np.array(conn.execute(text("SELECT id FROM locations ORDER BY code")).scalars().all())
        channel = conn.execute(text("SELECT id FROM channels")).scalar_one()
        n = net["n"]
        node_p, node_l = pid[np.arange(n) // per], lid[np.arange(n) % per]
        copy(conn, "stock_balances", pl.DataFrame({
            "product_id": node_p, "location_id": node_l, "on_hand": net["on_hand"], "reserved": 0.0,
            "expired": 0.0, "in_transit": 0.0, "on_order": 0.0, "value": 0.0, "updated_at": now}))
        down = net["down"]
        mean = np.round(net["gross"][down].mean(axis=1))
        weeks = 4
        copy(conn, "sell_through", pl.DataFrame({
            "day": np.tile(np.array([(START - timedelta(days=3 + 7 * k)).isoformat() for k in range(weeks)]),
                           down.size),
            "product_id": np.repeat(node_p[down], weeks), "location_id": np.repeat(node_l[down], weeks),
            "channel_id": channel, "quantity": np.repeat(mean, weeks), "revenue": 0.0, "on_promotion": False,
            "stockout": False}))
        lots = net["lots"]
        copy(conn, "planning_parameters", pl.DataFrame({
            "product_id": node_p, "location_id": node_l, "lot_rule": RULE_NAMES[lots.rule],
            "fixed_quantity": lots.fixed_quantity, "periods": lots.periods, "min_quantity": lots.minimum,
            "multiple": lots.multiple, "safety_stock": net["ss"], "created_at": now, "updated_at": now}))
        rules = net["rules"]
        kind = np.array(["transfer", "buy", "make"])[rules.kind]
        copy(conn, "planning_sourcing_rules", pl.DataFrame({
            "product_id": node_p[rules.node], "location_id": node_l[rules.node], "kind": kind,
            "source_location_id": pl.Series(np.where(rules.source >= 0, node_l[np.maximum(rules.source, 0)], 0))
            .set(pl.Series(rules.source < 0), None),
            "share": rules.share, "lead_time_days": rules.lead_time * 7, "created_at": now, "updated_at": now}))
        # In transit: bucket-0 receipts of downstream SKU-locations, one confirmed transfer per lane.
        first = np.full(n, -1)
        t = rules.kind == 0
        first[rules.node[t][::-1]] = rules.source[t][::-1]
        arriving = down[net["sched"][down, 0] > 0]
        lanes = pl.DataFrame({"from": node_l[first[arriving]], "to": node_l[arriving], "product_id": node_p[arriving],
                              "quantity": net["sched"][arriving, 0]})
        heads = lanes.select("from", "to").unique().sort("from", "to").with_row_index("k")
        copy(conn, "transfers", heads.select(
            pl.format("BTR-{}", "k").alias("code"), pl.col("from").alias("from_location_id"),
            pl.col("to").alias("to_location_id"), pl.lit("confirmed").alias("status"),
            pl.lit(START).alias("expected_date"), pl.lit("bench").alias("note"), pl.lit(now).alias("created_at"),
            pl.lit(now).alias("updated_at")))
        ids = pl.DataFrame(conn.execute(text("SELECT id, from_location_id, to_location_id FROM transfers")).all(),
                           orient="row", schema={"transfer_id": pl.Int64, "from": pl.Int64, "to": pl.Int64})
        lines = lanes.join(ids, on=["from", "to"]).with_columns(
            pl.int_range(1, pl.len() + 1).over("transfer_id").alias("line_no"))
        copy(conn, "transfer_lines", lines.select(
            "transfer_id", "line_no", "product_id", "quantity", pl.col("quantity").alias("shipped_quantity"),
            pl.lit(0.0).alias("received_quantity"), pl.lit(0.0).alias("unit_cost"), pl.lit("[]").alias("lots")))
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return {"seed_s": time.perf_counter() - t0, "history_rows": down.size * weeks, "transfer_lines": lines.height}


def time_run(url: str, peg: bool | None = None) -> tuple[float, dict, dict]:
    """Seconds from 'execute' to the committed outputs, the run summary and per-step times."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        run_id = service.start_run(session, SYSTEM, RunCreate(start=START, horizon=52, history_days=28,
                                                              peg=peg)).id
    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    done = service.execute_run(factory, run_id, SYSTEM,
                               progress=lambda step, part: steps.setdefault(step, time.perf_counter() - t0))
    seconds = time.perf_counter() - t0
    if done.status != "succeeded":
        raise SystemExit(f"run failed: {done.error}")
    engine.dispose()
    return seconds, done.summary, steps


def run_from_db(admin_url: str, make_network, n_skus: int, per: int, n_dc: int, store_pegs: bool) -> None:
    """Time the default run (pegging rows stored up to 250,000 proposals, else computed when asked for) and,
    with ``store_pegs``, a run that stores every pegging row whatever the size."""
    net = make_network(n_skus)
    with scratch_database(admin_url, "qudao_bench_plan") as url:
        t0 = time.perf_counter()
        migrate.upgrade(url)
        migrated = time.perf_counter() - t0
        seeded = seed(url, net, n_skus, per, n_dc)
        print(f"planning from the database: {net['n']:,} SKU-locations x 52 weekly buckets "
              f"(PostgreSQL scratch database; migrated in {migrated:.1f} s, seeded in {seeded['seed_s']:.1f} s: "
              f"{seeded['history_rows']:,} history rows, {seeded['transfer_lines']:,} in-transit lines)")
        for peg in ([None, True] if store_pegs else [None]):
            seconds, summary, steps = time_run(url, peg)
            w = summary["written"]
            marks = ", ".join(f"{k} at {v:.1f} s" for k, v in steps.items())
            label = "every peg stored" if peg else f"default, pegging {summary['pegging']}"
            print(f"  run ({label}): {seconds:6.1f} s  (goal < 60 s)   "
                  f"{w['proposals']:,} proposals, {w['pegs']:,} pegs, {w['exceptions']:,} exceptions, "
                  f"{w['projections']:,} projections written")
            print(f"    steps: {marks}")
