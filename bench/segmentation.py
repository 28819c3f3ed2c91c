"""Benchmark: customer segmentation (RFM, value tiers, BG/NBD + Gamma-Gamma CLV, churn risk).

Generates a deterministic purchase history (BG/NBD purchase process, Gamma-Gamma spend, margins as a
per-customer share of revenue), runs every stage of qudao.engines.segmentation on it and prints the time
per stage, the total and customers per second. Baselines beside it, labelled: the same RFM summary and
scores with pandas groupby on the full data, and a plain Python row loop on a 50,000-customer sample
extrapolated linearly to the full size.

    .venv/bin/python bench/segmentation.py            # 100,000 customers
    .venv/bin/python bench/segmentation.py --full     # 1,000,000 customers

The first run on a machine also compiles PyMC's likelihood (PyTensor C code, cached afterwards), which
shows in the "clv fit" stage.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from datetime import date

import numpy as np
import polars as pl

from qudao.engines.segmentation import (
    churn_risk,
    customer_summary,
    fit_clv,
    predict_clv,
    rfm_scores,
    value_tiers,
)
from qudao.engines.segmentation.simulate import simulate_bgnbd

AS_OF = date(2026, 6, 30)
TRUE_BGNBD = {"r": 0.9, "alpha": 25.0, "a": 0.8, "b": 3.0}  # per day
TRUE_SPEND = (6.0, 4.0, 150.0)  # Gamma-Gamma p, q, v: mean order value 300


def make_transactions(customers: int, seed: int = 7) -> pl.DataFrame:
    """One row per purchase: customer_id, order_date, revenue, margin (about 5-10 rows per customer)."""
    rng = np.random.default_rng(seed)
    observed = rng.integers(30, 731, customers)  # days since the first purchase, up to two years
    history = simulate_bgnbd(observed, **TRUE_BGNBD, spend=TRUE_SPEND, seed=seed + 1)
    first = np.datetime64(AS_OF) - observed.astype("timedelta64[D]")
    owner = history.purchase_customer
    margin_rate = rng.uniform(0.05, 0.35, customers)
    return pl.DataFrame(
        {
            "customer_id": owner.astype(np.int64) + 100_000,
            "order_date": first[owner] + np.floor(history.purchase_time).astype("timedelta64[D]"),
            "revenue": np.round(history.purchase_value, 2),
            "margin": np.round(history.purchase_value * margin_rate[owner], 2),
        }
    )


def run_engine(transactions: pl.DataFrame) -> tuple[dict[str, tuple[float, float]], pl.DataFrame, object]:
    """Every stage, timed as (wall seconds, CPU seconds of this process, all threads)."""
    times: dict[str, tuple[float, float]] = {}

    def timed(stage: str, work):
        wall, cpu = time.perf_counter(), time.process_time()
        value = work()
        times[stage] = (time.perf_counter() - wall, time.process_time() - cpu)
        return value

    summary = timed("summary", lambda: customer_summary(transactions, AS_OF))
    scored = timed("rfm scores + segments", lambda: rfm_scores(summary))
    tiered = timed("value tiers", lambda: value_tiers(scored))
    fit = timed("clv fit (BG/NBD + Gamma-Gamma)", lambda: fit_clv(summary))
    predictions = timed("clv predict (90 d, 12 months)", lambda: predict_clv(fit, summary))
    customers = timed(
        "churn risk + join", lambda: tiered.join(churn_risk(predictions), on="customer_id", how="left")
    )
    return times, customers, fit


def pandas_rfm(transactions: pl.DataFrame) -> tuple[float, float]:
    """Baseline: RFM summary and quintile scores with pandas groupby (same definitions)."""
    frame = transactions.select("customer_id", "order_date", "revenue").to_pandas()
    start, cpu = time.perf_counter(), time.process_time()
    days = frame.groupby(["customer_id", "order_date"], sort=False)["revenue"].sum().reset_index()
    summary = days.groupby("customer_id").agg(
        last=("order_date", "max"), frequency=("order_date", "size"), monetary=("revenue", "sum")
    )
    summary["recency_days"] = (np.datetime64(AS_OF) - summary["last"].to_numpy()).astype("timedelta64[D]")
    n = len(summary)
    for column, sign, name in (("recency_days", -1, "r"), ("frequency", 1, "f"), ("monetary", 1, "m")):
        values = summary[column].astype("int64") if column == "recency_days" else summary[column]
        rank = (sign * values).rank(method="min").astype("int64")
        summary[name] = 1 + 5 * (rank - 1) // n
    summary["code"] = summary["r"].astype(str) + summary["f"].astype(str) + summary["m"].astype(str)
    return time.perf_counter() - start, time.process_time() - cpu


def loop_rfm(transactions: pl.DataFrame, sample: int) -> tuple[float, float, int]:
    """Baseline: plain Python loop over the rows of a ``sample``-customer subset (summary + scores)."""
    cutoff = transactions["customer_id"].unique().sort()[sample - 1]
    rows = transactions.filter(pl.col("customer_id") <= cutoff).rows()
    start, cpu = time.perf_counter(), time.process_time()
    days: dict = defaultdict(dict)
    for customer, order_date, revenue, _margin in rows:
        per_day = days[customer]
        per_day[order_date] = per_day.get(order_date, 0.0) + revenue
    summary = {
        customer: ((AS_OF - max(per_day)).days, len(per_day), sum(per_day.values()))
        for customer, per_day in days.items()
    }
    n = len(summary)
    scores: dict = {customer: [] for customer in summary}
    for index, sign in ((0, -1), (1, 1), (2, 1)):
        ordered = sorted(summary, key=lambda c, i=index, s=sign: s * summary[c][i])
        rank = 0
        previous = None
        for position, customer in enumerate(ordered, start=1):
            value = summary[customer][index]
            if value != previous:
                rank, previous = position, value
            scores[customer].append(1 + 5 * (rank - 1) // n)
    return time.perf_counter() - start, time.process_time() - cpu, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--full", action="store_true", help="one million customers")
    parser.add_argument("--loop-sample", type=int, default=50_000)
    args = parser.parse_args()
    customers = 1_000_000 if args.full else args.customers

    start = time.perf_counter()
    transactions = make_transactions(customers)
    print(
        f"generated {transactions.height:,} transactions of {customers:,} customers "
        f"in {time.perf_counter() - start:.1f} s"
    )

    start = time.perf_counter()
    import pymc_marketing.clv  # noqa: F401  (heavy import, once per process; outside the stage times)

    print(f"imported pymc-marketing in {time.perf_counter() - start:.1f} s (not counted below)")
    times, result, fit = run_engine(transactions)
    wall = sum(t[0] for t in times.values())
    cpu = sum(t[1] for t in times.values())
    print("\nqudao.engines.segmentation                 wall        CPU")
    for stage, (seconds, cpu_seconds) in times.items():
        print(f"  {stage:<34} {seconds:8.2f} s {cpu_seconds:8.2f} s")
    print(f"  {'total':<34} {wall:8.2f} s {cpu:8.2f} s   {result.height / wall:,.0f} customers/s (wall)")
    rfm = sum(t[0] for t in list(times.values())[:3])
    label = "of which summary + RFM + tiers"
    print(f"  {label:<34} {rfm:8.2f} s {'':10}   {result.height / rfm:,.0f} customers/s (wall)")
    print(f"\nCLV fit on {fit.fitted_customers:,} customers (sample), Gamma-Gamma on {fit.spend_customers:,}")
    print("  BG/NBD      " + "  ".join(f"{k}={v:.3g} (true {TRUE_BGNBD[k]:g})" for k, v in fit.bgnbd.items()))
    spend = dict(zip(("p", "q", "v"), TRUE_SPEND, strict=True))
    print(
        "  Gamma-Gamma " + "  ".join(f"{k}={v:.3g} (true {spend[k]:g})" for k, v in fit.gamma_gamma.items())
    )
    print(
        "  segments    "
        + ", ".join(
            f"{name}={count:,}" for name, count in result["rfm_segment"].value_counts(sort=True).iter_rows()
        )
    )

    print("\nbaselines (RFM summary + scores only)      wall        CPU")
    seconds, cpu_seconds = pandas_rfm(transactions)
    label = "pandas groupby, full data"
    print(f"  {label:<34} {seconds:8.2f} s {cpu_seconds:8.2f} s   {result.height / seconds:,.0f} customers/s")
    sample = min(args.loop_sample, result.height)
    seconds, cpu_seconds, rows = loop_rfm(transactions, sample)
    label = f"Python row loop, {sample:,} customers"
    print(f"  {label:<34} {seconds:8.2f} s {cpu_seconds:8.2f} s   ({rows:,} rows)")
    scale = result.height / sample
    label = f"  EXTRAPOLATED to {result.height:,}"
    print(f"  {label:<34} {seconds * scale:8.2f} s {cpu_seconds * scale:8.2f} s")


if __name__ == "__main__":
    main()
