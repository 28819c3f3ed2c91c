"""Benchmark: supply planning of a synthetic 3-level network (plant -> DCs -> distributors and VMI stores),
52 weekly buckets: netting, lot sizing, lead-time offsetting and upstream propagation level by level
(qudao.engines.planning.plan_network), then the proposal frame with one row per order, then FIFO pegging
of every order to the demands it serves across the network (peg_network; skip with --no-peg).

Baseline: a plain per-item Python loop doing the same netting / lot sizing / offset for the first
--loop-items downstream SKU-locations, extrapolated to the full size (results checked equal).

    .venv/bin/python bench/planning.py            # 200 SKUs x 50 locations = 10,000 SKU-locations
    .venv/bin/python bench/planning.py --full     # 2,000 SKUs x 50 locations = 100,000 SKU-locations

    .venv/bin/python bench/planning.py --from-db --full   # database -> written proposals (bench/planning_db.py)

--from-db seeds the same network into a scratch PostgreSQL database (QUDAO_BENCH_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/postgres as the admin URL) and times the planning service from loading
the snapshot to the committed proposals, pegs, exceptions and projections (goal: < 60 s at 100,000).
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
import polars as pl

from qudao.engines.planning import (
    eoq_quantity,
    lot_sizing,
    peg_network,
    plan_network,
    safety_stock_for,
    sourcing_rules,
)

N_DC = 4
N_DOWN = 45  # distributors and VMI stores per SKU
WEEKS = 52


def make_network(n_skus: int, seed: int = 7) -> dict:
    """Per SKU: 1 plant (make), 4 DCs (transfer from the plant), 45 downstream locations, of which 30 % are
    split 60/40 between two DCs. Node order: SKU-major, then plant, DCs, downstream."""
    rng = np.random.default_rng(seed)
    per = 1 + N_DC + N_DOWN
    n = n_skus * per
    base = np.arange(n_skus) * per
    plant, dcs = base, base[:, None] + 1 + np.arange(N_DC)
    down = base[:, None] + 1 + N_DC + np.arange(N_DOWN)
    dc_a = rng.integers(0, N_DC, (n_skus, N_DOWN))
    dc_b = (dc_a + rng.integers(1, N_DC, (n_skus, N_DOWN))) % N_DC
    split = rng.random((n_skus, N_DOWN)) < 0.3
    rows = np.arange(n_skus)[:, None]
    node = [down.ravel(), down[split], dcs.ravel(), plant]
    source = [dcs[rows, dc_a].ravel(), dcs[rows, dc_b][split], np.repeat(plant, N_DC), np.full(n_skus, -1)]
    share = [
        np.where(split, 0.6, 1.0).ravel(),
        np.full(int(split.sum()), 0.4),
        np.ones(n_skus * N_DC),
        np.ones(n_skus),
    ]
    lead = [
        rng.integers(1, 3, down.size),
        rng.integers(1, 3, int(split.sum())),
        rng.integers(1, 4, dcs.size),
        rng.integers(2, 5, n_skus),
    ]
    kind = ["transfer"] * (down.size + int(split.sum()) + dcs.size) + ["make"] * n_skus
    rules = sourcing_rules(
        n,
        np.concatenate(node),
        np.concatenate(source),
        np.concatenate(share),
        np.concatenate(lead),
        kind=kind,
    )

    weeks = np.arange(WEEKS)
    season = 1.0 + 0.3 * np.sin(2 * np.pi * (weeks - 10) / 52.0)
    mean = np.zeros(n)
    mean[down.ravel()] = rng.gamma(1.5, 8.0, down.size)
    gross = np.zeros((n, WEEKS))
    gross[down.ravel()] = rng.poisson(mean[down.ravel()][:, None] * season[None, :])
    ss = np.zeros(n)
    ss[down.ravel()] = np.round(safety_stock_for(mean[down.ravel()] * 0.6, 2.0, 0.95))
    flow = mean.copy()  # expected weekly flow through every location, for stock levels upstream
    t = rules.kind == 0
    for _ in range(2):
        flow = mean + np.bincount(rules.source[t], weights=rules.share[t] * flow[rules.node[t]], minlength=n)
    on_hand = np.round(flow * rng.uniform(2.0, 5.0, n) + ss)
    sched = np.zeros((n, WEEKS))
    sched[:, 0] = np.where(rng.random(n) < 0.2, np.round(mean * 2), 0)

    rule = rng.choice(["lot_for_lot", "fixed", "periods"], n, p=[0.5, 0.3, 0.2])
    fixed = np.where(
        rule == "fixed", np.maximum(1.0, np.round(eoq_quantity(np.maximum(mean, 5.0), 40.0, 1.5))), 0.0
    )
    lots = lot_sizing(
        n,
        rule=rule,
        fixed_quantity=fixed,
        periods=np.where(rule == "periods", 2, 1),
        minimum=np.where(rng.random(n) < 0.3, 10.0, 0.0),
        multiple=np.where(rng.random(n) < 0.3, rng.choice([6.0, 12.0, 24.0], n), 0.0),
    )
    return {
        "n": n,
        "rules": rules,
        "gross": gross,
        "on_hand": on_hand,
        "ss": ss,
        "sched": sched,
        "lots": lots,
        "down": down.ravel(),
    }


def loop_plan(net: dict, m: int) -> list[list[float]]:
    """Per-item Python MRP record of the first m downstream SKU-locations (their releases, per rule)."""
    lots, rules = net["lots"], net["rules"]
    out = []
    edges: dict[int, list[tuple[float, int]]] = {}
    for e in range(rules.node.size):
        edges.setdefault(int(rules.node[e]), []).append((float(rules.share[e]), int(rules.lead_time[e])))
    for i in net["down"][:m].tolist():
        gross = net["gross"][i].tolist()
        sched = net["sched"][i].tolist()
        ss = float(net["ss"][i])
        rule, fq, per = int(lots.rule[i]), float(lots.fixed_quantity[i]), int(lots.periods[i])
        mn, mult = float(lots.minimum[i]), float(lots.multiple[i])
        level = float(net["on_hand"][i])
        receipts = []
        for t in range(WEEKS):
            avail = level + sched[t] - gross[t]
            need = max(ss - avail, 0.0)
            q = 0.0
            if need > 1e-9:
                q = need
                if rule == 1:
                    q = max(q, fq)
                elif rule == 2:
                    run, best = 0.0, 0.0
                    for k in range(1, per):
                        if t + k < WEEKS:
                            run += gross[t + k] - sched[t + k]
                            best = max(best, run)
                    q += best
                q = max(q, mn)
                if mult > 0:
                    q = math.ceil(q / mult - 1e-9) * mult
            level = avail + q
            receipts.append(q)
        rel = [0.0] * WEEKS
        for share, lt in edges[i]:
            for t, q in enumerate(receipts):
                if q and t - lt >= 0:
                    rel[t - lt] += q * share
        out.append(rel)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=200, help="SKUs (x 50 locations each)")
    ap.add_argument("--full", action="store_true", help="2,000 SKUs = 100,000 SKU-locations")
    ap.add_argument("--loop-items", type=int, default=2_000, help="SKU-locations in the Python loop baseline")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-peg", action="store_true", help="skip the pegging step")
    ap.add_argument("--from-db", action="store_true", help="database to written proposals (PostgreSQL)")
    ap.add_argument("--store-pegs", action="store_true", help="--from-db: also time a run storing every peg")
    args = ap.parse_args()
    n_skus = 2_000 if args.full else args.skus
    if args.from_db:
        from planning_db import run_from_db

        admin = os.environ.get("QUDAO_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        run_from_db(admin, make_network, n_skus, 1 + N_DC + N_DOWN, N_DC, store_pegs=args.store_pegs)
        return
    t0 = time.perf_counter()
    net = make_network(n_skus)
    gen_s = time.perf_counter() - t0
    n = net["n"]

    kw = {"scheduled_receipts": net["sched"], "safety_stock": net["ss"], "lots": net["lots"]}
    plan_network(
        net["gross"][:500], net["on_hand"][:500], sourcing_rules(500, np.arange(500), -1, 1.0, 1)
    )  # warm-up
    best = math.inf
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        plan = plan_network(net["gross"], net["on_hand"], net["rules"], make_orders=False, **kw)
        best = min(best, time.perf_counter() - t0)
    t0 = time.perf_counter()
    plan = plan_network(net["gross"], net["on_hand"], net["rules"], **kw)
    with_orders = time.perf_counter() - t0

    r, t = np.nonzero(net["gross"])
    demands = pl.DataFrame(
        [
            pl.Series("item", r),
            pl.Series("bucket", t.astype(np.int64)),
            pl.Series("quantity", net["gross"][r, t]),
        ]
    ).with_columns(pl.format("fc:{}:{}", "item", "bucket").alias("demand_id"))
    if not args.no_peg:
        t0 = time.perf_counter()
        pegs = peg_network(plan, net["on_hand"], demands)
        peg_s = time.perf_counter() - t0

    m = min(args.loop_items, net["down"].size)
    t0 = time.perf_counter()
    ref = loop_plan(net, m)
    loop_s = time.perf_counter() - t0
    loop_full = loop_s * n / m
    # downstream releases (rules with their release in the horizon) agree with the loop
    np.testing.assert_allclose(
        plan.record.planned_releases[net["down"][:m]], np.array(ref), rtol=1e-9, atol=1e-6
    )

    orders = plan.orders
    print(
        f"supply planning: {n:,} SKU-locations x {WEEKS} weekly buckets, 3 levels, "
        f"{net['rules'].node.size:,} sourcing rules (network generated in {gen_s:.2f} s)"
    )
    print(
        f"  engine (net + lot size + offset + propagate) : {best:8.3f} s   "
        f"{n / best:12,.0f} SKU-locations/s (best of {args.repeat})"
    )
    print(f"  engine + proposal frame ({orders.height:,} orders)  : {with_orders:8.3f} s")
    if not args.no_peg:
        print(f"  pegging ({demands.height:,} demands, {pegs.height:,} peg rows) : {peg_s:8.3f} s")
    print(
        f"  python loop per item                         : {loop_full:8.3f} s   "
        f"{n / loop_full:12,.0f} SKU-locations/s (measured on {m:,}: {loop_s:.2f} s, extrapolated)"
    )
    print(f"  speed-up                                     : {loop_full / best:8.1f}x")
    print(
        f"  past-due releases: {int((plan.record.past_due > 0).sum()):,} SKU-locations; "
        "database -> proposals: TODO (planning service, see --from-db)"
    )


if __name__ == "__main__":
    main()
