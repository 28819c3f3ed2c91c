"""Order intake over HTTP on SQLite and PostgreSQL: single-order latency and batch allocation throughput.

    .venv/bin/python bench/orders.py                                   # SQLite, 300 single orders, 5,000 lines
    .venv/bin/python bench/orders.py --pg postgresql://postgres@127.0.0.1:5432/postgres      # both databases
    .venv/bin/python bench/orders.py --pg postgresql://postgres@127.0.0.1:5432/postgres --full
                                                                       # 2,000 single orders, 100,000 lines

A real server (uvicorn, ``--workers`` processes, uvloop + httptools) on a fresh database: 500 SKUs stocked
at 4 distribution centres, 100 customers with their stores. Single orders (1-3 lines, ``--clients``
concurrent keep-alive connections) go to ``POST /api/v1/orders``; the load generator is a bare asyncio
HTTP/1.1 client with the bodies serialised before the clock starts, so it takes little of the two cores
from the server (it reports its own CPU per order beside the server's). The batch phase sends
``--batch-orders`` orders of 5 lines per ``POST /api/v1/orders/batch`` until ``--lines`` lines are in, and
counts the lines allocated. Other work on the machine skews every figure: check ``uptime`` first.
Baselines (issue 3, PostgreSQL on this 2-core machine): >= 300 single orders/s with p99 < 50 ms,
>= 2,000 allocated lines/s through the batch endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from qudao import migrate
from qudao.auth import security
from qudao.auth.models import User
from qudao.catalog.models import Product
from qudao.channels.models import Channel
from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory, scratch_database, unit_of_work
from qudao.inventory import service as inventory
from qudao.locations.models import Location
from qudao.partners.models import Partner

SECRET = "bench-secret-not-for-production-0123456789abcdef"
GOAL_SINGLE_PER_SECOND = 300
GOAL_P99_MS = 50
GOAL_BATCH_LINES_PER_SECOND = 2000
SKUS, DCS, CUSTOMERS = 500, 4, 100
DC_COORDS = [(30.27, 120.16), (39.90, 116.41), (23.13, 113.26), (30.57, 104.07)]


def seed(url: str, stock_per_dc: int) -> str:
    """Fresh schema and a small network; returns a bearer token for an admin user."""
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    rng = random.Random(7)
    with unit_of_work(factory) as s:
        s.execute(insert(Channel).values(code="BENCH", name_zh="基准", name_en="Bench", kind="ecommerce"))
        partner_ids = s.execute(insert(Partner).returning(Partner.id, sort_by_parameter_order=True), [
            {"code": f"C{i:04d}", "name": f"Customer {i}", "tier": "ABC"[i % 3]} for i in range(CUSTOMERS)]
        ).scalars().all()
        s.execute(insert(Location), [
            {"code": f"S{i:04d}", "name": f"Store {i}", "kind": "store", "owner_partner_id": pid,
             "latitude": 22 + rng.random() * 18, "longitude": 103 + rng.random() * 19}
            for i, pid in enumerate(partner_ids)])
        dc_ids = s.execute(insert(Location).returning(Location.id, sort_by_parameter_order=True), [
            {"code": f"DC{i}", "name": f"DC {i}", "kind": "distribution_centre", "latitude": lat, "longitude": lon,
             "priority": 10 * (i + 1)} for i, (lat, lon) in enumerate(DC_COORDS)]).scalars().all()
        product_ids = s.execute(insert(Product).returning(Product.id, sort_by_parameter_order=True), [
            {"sku": f"SKU{i:05d}", "name_zh": f"产品{i}", "name_en": f"Product {i}", "list_price": Decimal("9.90"),
             "standard_cost": Decimal("5")} for i in range(SKUS)]).scalars().all()
        user_id = s.execute(insert(User).values(username="bench", password_hash="!", role="admin",
                                                full_name="Bench").returning(User.id)).scalar_one()
    with unit_of_work(factory) as s:
        for pid in product_ids:
            for dc in dc_ids:
                inventory.receive(s, SYSTEM, product_id=pid, location_id=dc, quantity=Decimal(stock_per_dc),
                                  unit_cost=Decimal(5), reference="bench")
    engine.dispose()
    return security.issue_token(SECRET, user_id=user_id, username="bench", minutes=600)


def order_body(n: int, rng: random.Random, lines: int, prefix: str) -> dict[str, object]:
    customer = rng.randrange(CUSTOMERS)
    skus = rng.sample(range(SKUS), lines)
    return {"channel_code": "BENCH", "external_order_id": f"{prefix}-{n}", "customer_code": f"C{customer:04d}",
            "ship_to_code": f"S{customer:04d}", "rush": rng.random() < 0.05, "allow_split": rng.random() < 0.3,
            "lines": [{"sku": f"SKU{k:05d}", "quantity": str(rng.randint(1, 3))} for k in skus]}


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "QUDAO_DATABASE_URL": url, "QUDAO_SECRET_KEY": SECRET}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "qudao.api.app:create_app", "--factory",
                             "--port", str(port), "--workers", str(workers), "--log-level", "warning",
                             "--no-access-log"], env=env)
    deadline = time.time() + 240  # importing the app takes a while on a busy machine
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("server did not start")


def _request(path: str, token: str, body: bytes) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    """One request on a keep-alive connection; the answer's status and body (the server sends Content-Length)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length) if length else b""


async def _drive(port: int, requests: list[bytes], clients: int) -> tuple[float, list[float], int]:
    """``clients`` keep-alive connections, each sending its share of ``requests`` one after another."""
    latencies: list[float] = []
    errors = 0

    async def client(mine: list[bytes]) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for request in mine:
            t0 = time.perf_counter()
            status, _ = await _exchange(reader, writer, request)
            latencies.append((time.perf_counter() - t0) * 1000)
            if status != 201:
                errors += 1
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client(requests[c::clients]) for c in range(clients)))
    return len(requests) / (time.perf_counter() - t0), latencies, errors


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` and its children, e.g. uvicorn and its workers (Linux)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds(url: str) -> float:
    """CPU time of the PostgreSQL backends serving the bench database (their process title names it;
    Linux, server on this machine). 0 for SQLite, which runs inside the server processes."""
    name = make_url(url).database or ""
    if not url.startswith("postgresql") or not name:
        return 0.0
    total = 0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if f" {name} ".encode() not in (proc / "cmdline").read_bytes():
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def single_orders(port: int, token: str, count: int, clients: int) -> tuple[float, list[float], int]:
    """``count`` orders from ``clients`` concurrent keep-alive connections; returns (orders/s, latencies ms,
    errors). The load generator is a bare asyncio HTTP/1.1 client in this process (bodies serialised
    before the clock starts), so it costs the server's two cores as little as possible: a thread-per-client
    httpx generator spent about as much CPU per request as a lean server does."""
    rng = random.Random(1)
    path = "/api/v1/orders"
    warm = [_request(path, token, json.dumps(order_body(n, rng, 1, "WARM")).encode()) for n in range(40)]
    timed = [_request(path, token, json.dumps(order_body(n, rng, rng.randint(1, 3), "ONE")).encode())
             for n in range(count)]
    asyncio.run(_drive(port, warm, clients))  # each worker's pool and code paths warm (not measured)
    return asyncio.run(_drive(port, timed, clients))


def batch_orders(base: str, token: str, lines: int, batch_orders: int) -> tuple[float, int, int, float]:
    """Send ``lines`` lines as 5-line orders in batches; returns (lines/s, lines, allocated lines, seconds)."""
    rng = random.Random(99)
    orders = [order_body(n, rng, 5, "BAT") for n in range(lines // 5)]
    sent = allocated = 0
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
        t0 = time.perf_counter()
        for start in range(0, len(orders), batch_orders):
            r = client.post("/api/v1/orders/batch", json={"orders": orders[start:start + batch_orders]})
            if r.status_code != 200:
                raise SystemExit(f"batch failed: {r.status_code} {r.text[:300]}")
            sent += r.json()["lines"]
            allocated += r.json()["allocated_lines"]
        elapsed = time.perf_counter() - t0
    return sent / elapsed, sent, allocated, elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run(label: str, url: str, args: argparse.Namespace) -> dict[str, float]:
    stock = max(50, (args.lines * 2 + args.single * 4) // (SKUS * DCS) + 10)
    t0 = time.perf_counter()
    token = seed(url, stock)
    print(f"[{label}] seeded {SKUS} SKUs x {DCS} DCs ({stock} units each) in {time.perf_counter() - t0:.1f} s",
          flush=True)
    port = args.port + (1 if label == "postgresql" else 0)
    workers = args.workers if label == "postgresql" else 1  # SQLite has one writer anyway
    server = start_server(url, port, workers)
    base = f"http://127.0.0.1:{port}"
    try:
        cpu0, db0, own0 = cpu_seconds(server.pid), database_cpu_seconds(url), time.process_time()
        rate, lat, errors = single_orders(port, token, args.single, args.clients)
        server_ms = (cpu_seconds(server.pid) - cpu0) * 1000 / args.single
        db_ms = (database_cpu_seconds(url) - db0) * 1000 / args.single
        client_ms = (time.process_time() - own0) * 1000 / args.single
        total_ms = server_ms + db_ms + client_ms
        cores = os.cpu_count() or 1
        p50, p95, p99 = (percentile(lat, q) for q in (50, 95, 99))
        print(f"[{label}] single orders: {args.single} with {args.clients} clients, {workers} worker(s): "
              f"{rate:.0f} orders/s (goal >= {GOAL_SINGLE_PER_SECOND}); latency p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
              f"p99 {p99:.1f} ms (goal p99 < {GOAL_P99_MS}); mean {statistics.mean(lat):.1f} ms; errors {errors}; "
              f"CPU per order: server {server_ms:.2f} ms, database {db_ms:.2f} ms, load generator {client_ms:.2f} ms "
              f"(includes warm-up and body building) = {total_ms:.2f} ms, so {cores} idle cores could do about "
              f"{cores * 1000 / total_ms:.0f} orders/s", flush=True)
        cpu0, db0 = cpu_seconds(server.pid), database_cpu_seconds(url)
        lps, sent, allocated, seconds = batch_orders(base, token, args.lines, args.batch_orders)
        batch_cpu = cpu_seconds(server.pid) - cpu0 + database_cpu_seconds(url) - db0
        print(f"[{label}] batch: {sent} lines in {seconds:.1f} s = {lps:.0f} lines/s, {allocated} allocated "
              f"({allocated / seconds:.0f} allocated lines/s; goal >= {GOAL_BATCH_LINES_PER_SECOND}); "
              f"server + database CPU {batch_cpu:.1f} s, so {cores} idle cores could do about "
              f"{cores * sent / max(batch_cpu, 1e-9):.0f} lines/s", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"orders_per_s": rate, "p50": p50, "p95": p95, "p99": p99, "server_cpu_ms": server_ms,
            "db_cpu_ms": db_ms, "capacity": cores * 1000 / total_ms, "lines_per_s": lps,
            "allocated_per_s": allocated / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", help="PostgreSQL admin URL; a scratch database is created and dropped")
    parser.add_argument("--no-sqlite", action="store_true", help="Skip SQLite")
    parser.add_argument("--single", type=int, default=300, help="Single orders to send")
    parser.add_argument("--lines", type=int, default=5000, help="Order lines to send through the batch endpoint")
    parser.add_argument("--batch-orders", type=int, default=2000, help="Orders per batch request (5 lines each)")
    parser.add_argument("--clients", type=int, default=8, help="Parallel HTTP clients for single orders")
    parser.add_argument("--workers", type=int, default=2, help="Server processes on PostgreSQL")
    parser.add_argument("--port", type=int, default=18731)
    parser.add_argument("--full", action="store_true", help="The issue's sizes: 2,000 single orders, 100,000 lines")
    args = parser.parse_args()
    if args.full:
        args.single, args.lines = max(args.single, 2000), max(args.lines, 100_000)
    results = {}
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"] = run("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
    if args.pg:
        with scratch_database(args.pg, "qudao_bench") as url:
            results["postgresql"] = run("postgresql", url, args)
    print("\nsummary                     " + "".join(f"{k:>14}" for k in results) + "      baseline (goal)")
    rows = [("single orders/s", "orders_per_s", f">= {GOAL_SINGLE_PER_SECOND}"),
            ("latency p50 ms", "p50", ""), ("latency p95 ms", "p95", ""),
            ("latency p99 ms", "p99", f"< {GOAL_P99_MS}"),
            ("server CPU ms per order", "server_cpu_ms", ""),
            ("database CPU ms per order", "db_cpu_ms", ""),
            ("orders/s all cores could do", "capacity", f">= {GOAL_SINGLE_PER_SECOND}"),
            ("batch lines/s", "lines_per_s", ""),
            ("batch allocated lines/s", "allocated_per_s", f">= {GOAL_BATCH_LINES_PER_SECOND}")]
    for title, key, goal in rows:
        print(f"{title:<28}" + "".join(f"{r[key]:>14.1f}" for r in results.values()) + f"      {goal}")


if __name__ == "__main__":
    main()
