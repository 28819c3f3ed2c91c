"""Benchmark: safety stock, reorder point, EOQ and fill-rate safety factor for many SKU-locations.

Vectorised engine (qudao.engines.inventory) against a plain Python loop doing the same arithmetic per item
(math + statistics.NormalDist, Newton per item for the fill-rate factor), timed on a few thousand items and
extrapolated to the full size.

    .venv/bin/python bench/inventory_policy.py            # 20,000 SKU-locations
    .venv/bin/python bench/inventory_policy.py --full     # 100,000 SKU-locations
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from qudao.engines.inventory import FILL_RATE, eoq, protection_stock


def make_items(n: int, seed: int = 42) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand = rng.gamma(2.0, 20.0, n)  # units per day
    return {
        "demand": demand,
        "demand_std": demand * rng.uniform(0.2, 1.2, n),
        "lead_time": rng.integers(1, 30, n).astype(float),
        "lead_time_std": rng.uniform(0.0, 3.0, n),
        "service_level": rng.choice([0.90, 0.95, 0.98, 0.99], n),
        "fill_rate": rng.choice([0.95, 0.98, 0.99, 0.995], n),
        "setup_cost": rng.uniform(20.0, 200.0, n),
        "holding_cost": rng.uniform(0.01, 0.2, n),  # per unit per day
    }


def run_vectorised(it: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    q = eoq(it["demand"], it["setup_cost"], it["holding_cost"])
    cyc = protection_stock(it["demand"], it["demand_std"], it["lead_time"], it["service_level"],
                           lead_time_std=it["lead_time_std"])
    fill = protection_stock(it["demand"], it["demand_std"], it["lead_time"], it["fill_rate"],
                            lead_time_std=it["lead_time_std"], kind=FILL_RATE, order_quantity=q)
    return {"eoq": q, "ss": cyc.safety_stock, "rop": cyc.reorder_point, "k2": fill.safety_factor,
            "ss2": fill.safety_stock}


def _loss(k: float) -> float:
    return math.exp(-0.5 * k * k) / math.sqrt(2 * math.pi) - k * 0.5 * math.erfc(k / math.sqrt(2))


def _inverse_loss(target: float) -> float:
    k = -target
    for _ in range(100):
        tail = 0.5 * math.erfc(k / math.sqrt(2))
        step = (_loss(k) - target) / max(tail, 1e-300)
        k += step
        if abs(step) <= 1e-12 * max(1.0, abs(k)):
            break
    return k


def run_loop(it: dict[str, np.ndarray], n: int) -> dict[str, list[float]]:
    nd = statistics.NormalDist()
    res: dict[str, list[float]] = {"eoq": [], "ss": [], "rop": [], "k2": [], "ss2": []}
    cols = {k: v[:n].tolist() for k, v in it.items()}
    for i in range(n):
        d, sd = cols["demand"][i], cols["demand_std"][i]
        lt, slt = cols["lead_time"][i], cols["lead_time_std"][i]
        q = math.sqrt(2 * cols["setup_cost"][i] * d / cols["holding_cost"][i])
        sigma = math.sqrt(lt * sd * sd + d * d * slt * slt)
        ss = nd.inv_cdf(cols["service_level"][i]) * sigma
        k2 = _inverse_loss(q * (1 - cols["fill_rate"][i]) / sigma)
        res["eoq"].append(q)
        res["ss"].append(ss)
        res["rop"].append(d * lt + ss)
        res["k2"].append(k2)
        res["ss2"].append(k2 * sigma)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=20_000, help="SKU-locations for the vectorised run")
    ap.add_argument("--full", action="store_true", help="use 100,000 SKU-locations")
    ap.add_argument("--loop-items", type=int, default=5_000, help="items timed in the Python loop baseline")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = 100_000 if args.full else args.items
    items = make_items(n)

    run_vectorised(make_items(1000))  # warm-up (imports, scipy ufunc setup)
    best = math.inf
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out = run_vectorised(items)
        best = min(best, time.perf_counter() - t0)

    m = min(args.loop_items, n)
    t0 = time.perf_counter()
    ref = run_loop(items, m)
    loop_s = time.perf_counter() - t0
    loop_full = loop_s * n / m

    for key in ("eoq", "ss", "rop", "k2", "ss2"):  # same numbers both ways
        np.testing.assert_allclose(out[key][:m], ref[key], rtol=1e-7, atol=1e-7)

    print(f"inventory policy (SS + ROP + EOQ + fill-rate k) for {n:,} SKU-locations")
    print(f"  vectorised engine : {best * 1000:9.1f} ms   {n / best:14,.0f} items/s   "
          f"(best of {args.repeat})")
    print(f"  python loop       : {loop_full * 1000:9.1f} ms   {n / loop_full:14,.0f} items/s   "
          f"(measured on {m:,} items: {loop_s * 1000:.1f} ms, extrapolated)")
    print(f"  speed-up          : {loop_full / best:9.1f}x")


if __name__ == "__main__":
    main()
