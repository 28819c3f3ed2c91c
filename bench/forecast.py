"""Benchmark of the forecast engine on synthetic daily demand (fixed seed).

Mix of series: smooth seasonal, trend, erratic, intermittent, lumpy; 730 days each; the last 28 days are
held out. Prints series per second, total time, and WAPE of the Qudao engine against seasonal naive (all
series) and, on a random sample, against plain AutoETS (full model search, time extrapolated to all series)
and every single candidate model (the best of them is the "best single model").

    .venv/bin/python bench/forecast.py              # 1,000 series (quick)
    nice -n 10 .venv/bin/python bench/forecast.py --full     # 10,000 series, the issue's goal
    .venv/bin/python bench/forecast.py --from-db    # the demo's history through the forecast-run service

``--from-db [URL]`` runs the demo's history (a scratch SQLite database loaded with ``--demo-scale``, or the
database at URL) through ``qudao.forecasting.service``: one run fitted on all but the last 28 days (daily,
h=28), then measured against those days; prints series/s of the whole run (history load, engine, bulk write)
and the WAPE of the run against seasonal naive on the held-out days.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings

import numpy as np
import pandas as pd

HORIZON = 28
DAYS = 730
MIX = {"smooth": 0.35, "trend": 0.15, "erratic": 0.15, "intermittent": 0.20, "lumpy": 0.15}


def synthetic_demand(n_series: int, days: int = DAYS, seed: int = 20240601) -> pd.DataFrame:
    """Long frame unique_id, ds, y of non-negative integer daily demand, vectorised."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(list(MIX), size=n_series, p=list(MIX.values()))
    t = np.arange(days)
    level = np.exp(rng.normal(3.0, 0.7, n_series))[:, None]
    weekly = rng.uniform(0.6, 1.5, (n_series, 7))
    weekly /= weekly.mean(axis=1, keepdims=True)
    season = weekly[:, t % 7]
    phase = rng.integers(0, 365, (n_series, 1))
    yearly = 1 + rng.uniform(0.0, 0.25, (n_series, 1)) * np.sin(2 * np.pi * (t + phase) / 365.25)
    slope = rng.uniform(-0.4, 1.0, (n_series, 1)) / days
    trend = np.where((kinds == "trend")[:, None], 1 + slope * t * 2, 1.0)
    mean = np.clip(level * season * yearly * trend, 0.05, None)
    y = rng.poisson(mean).astype(float)
    erratic = kinds == "erratic"
    y[erratic] = np.round(mean[erratic] * rng.lognormal(-0.5, 1.0, (int(erratic.sum()), days)))
    inter = kinds == "intermittent"
    p = rng.uniform(0.1, 0.5, (int(inter.sum()), 1))
    y[inter] = (rng.random((int(inter.sum()), days)) < p) * (1 + rng.poisson(rng.uniform(1, 6, (int(inter.sum()), 1)),
                                                                          (int(inter.sum()), days)))
    lumpy = kinds == "lumpy"
    p = rng.uniform(0.05, 0.3, (int(lumpy.sum()), 1))
    sizes = np.ceil(rng.lognormal(1.5, 1.0, (int(lumpy.sum()), days)))
    y[lumpy] = (rng.random((int(lumpy.sum()), days)) < p) * sizes
    ids = np.array([f"S{i:05d}" for i in range(n_series)])
    ds = pd.date_range("2023-01-01", periods=days, freq="D")
    return pd.DataFrame({"unique_id": np.repeat(ids, days), "ds": np.tile(ds, n_series), "y": y.ravel()})


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (statsforecast's worker pools)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def wape(actual: pd.DataFrame, fc: pd.DataFrame, col: str) -> float:
    merged = actual.merge(fc[["unique_id", "ds", col]], on=["unique_id", "ds"], how="left")
    if merged[col].isna().any():
        raise SystemExit(f"{col}: {int(merged[col].isna().sum())} missing forecasts")
    return float((merged["y"] - merged[col].clip(lower=0)).abs().sum() / merged["y"].abs().sum())


def single_models(train: pd.DataFrame, n_jobs: int):
    from statsforecast import StatsForecast
    from statsforecast import models as sfm

    cheap = [sfm.SeasonalNaive(7), sfm.AutoETS(season_length=7, model="ANA", alias="AutoETS(ANA)"),
             sfm.AutoTheta(season_length=7, model="DOTM", alias="AutoTheta(DOTM)"),
             sfm.AutoTheta(season_length=7, model="STM", alias="AutoTheta(STM)"),
             sfm.CrostonSBA(), sfm.TSB(0.1, 0.1), sfm.ADIDA(), sfm.HistoricAverage(), sfm.SeasonalWindowAverage(7, 4)]
    t0 = time.perf_counter()
    fc = StatsForecast(models=cheap, freq="D", n_jobs=n_jobs).forecast(df=train, h=HORIZON)
    return fc.reset_index(drop=fc.index.name is None), time.perf_counter() - t0


def from_db(url: str | None, scale: str, jobs: int, grain: str, horizon: int, reconcile: str = "none") -> None:
    """The demo's history through the run service (see the module docstring)."""
    import tempfile
    from datetime import timedelta
    from pathlib import Path

    from qudao import migrate
    from qudao.common.actor import SYSTEM
    from qudao.db import make_engine, make_session_factory, unit_of_work
    from qudao.demand.history import load_history
    from qudao.demo.service import load_demo
    from qudao.forecasting import service
    from qudao.forecasting.accuracy import measure_accuracy
    from qudao.forecasting.schemas import ForecastRunCreate

    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='qudao-bench-')) / 'demo.db'}"
        t0 = time.perf_counter()
        migrate.upgrade(url)
        load_demo(url, scale)
        print(f"demo '{scale}' loaded into {url} in {time.perf_counter() - t0:.0f} s")
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as session:
        last = load_history(session, SYSTEM, start=None, end=None, grain="month")["ds"].max()
        last_day = load_history(session, SYSTEM, start=last, end=None, grain="day")["ds"].max()
        days = {"day": 1, "week": 7}.get(grain, 31)
        held_out = timedelta(days=days * horizon)
        run = service.start_run(session, SYSTEM, ForecastRunCreate(grain=grain, horizon=horizon, reconcile=reconcile,
                                                                   history_end=last_day - held_out))
        session.flush()
        run_id = run.id
    t0 = time.perf_counter()
    status = service.execute_run(lambda: unit_of_work(factory), SYSTEM, run_id, n_jobs=jobs)
    elapsed = time.perf_counter() - t0
    with unit_of_work(factory) as session:
        run = service.get_run(session, SYSTEM, run_id)
        if status != "succeeded":
            raise SystemExit(f"run {run_id} failed: {run.error}")
        summary = run.summary
        measured = measure_accuracy(session, SYSTEM, run_id)
    n = summary["series"]
    print(f"run {run_id}: {n:,} series x {summary['history']['periods']} {grain}s of history, h={horizon}, "
          f"{jobs} process(es): {elapsed:.1f} s for the whole run ({n / elapsed:.1f} series/s; engine and bulk "
          f"write inside the run: {summary['seconds']} s)")
    print("  classes: " + ", ".join(f"{k} {v}" for k, v in summary["classes"].items()))
    print(f"  stockout days treated as missing demand: {summary['history']['stockout_days_unconstrained']:,}; "
          f"event uplift {summary['events']['uplift']}; reconciliation {summary['reconciliation']}")
    overall = measured["overall"] or {}
    if overall.get("wape") is not None:
        print(f"held-out {horizon} {grain}s through {measured['measured_through']} ({overall['series']:,} series, "
              "stockout periods not scored):")
        print(f"  run WAPE {overall['wape']:.4f}, seasonal naive WAPE {overall['naive_wape']:.4f} "
              f"({100 * (1 - overall['wape'] / overall['naive_wape']):.1f}% below), bias {overall['bias']:+.4f}, "
              f"mean MASE {overall['mase']:.3f}")
    factory.kw["bind"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=1_000, help="number of series (default 1,000)")
    parser.add_argument("--full", action="store_true", help="the issue's size: 10,000 series")
    parser.add_argument("--sample", type=int, default=300, help="series for the plain AutoETS baseline")
    parser.add_argument("--single-sample", type=int, default=1_000,
                        help="series for the single-model baselines (restricted ETS, theta, Croston family, ...)")
    parser.add_argument("--history-window", type=int, default=None,
                        help="periods of history the engine fits on (default: automatic, 728 days; 0 = all)")
    parser.add_argument("--global-model", default="off", choices=["auto", "on", "off"],
                        help="the engine's global LightGBM candidate (default: off)")
    parser.add_argument("--intervals", default="conformal", choices=["conformal", "model"],
                        help="the engine's interval method (default: conformal from backtest errors)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes (default: all cores)")
    parser.add_argument("--from-db", nargs="?", const="demo", default=None, metavar="URL",
                        help="run the demo's history (or the database at URL) through the forecast-run service")
    parser.add_argument("--demo-scale", default="small", help="demo scale for --from-db without a URL")
    parser.add_argument("--grain", default="day", choices=["day", "week", "month"], help="--from-db: run grain")
    parser.add_argument("--horizon", type=int, default=HORIZON, help="--from-db: periods forecast and held out")
    parser.add_argument("--reconcile", default="none", choices=["none", "ols"], help="--from-db: reconciliation")
    args = parser.parse_args()
    if args.from_db is not None:
        warnings.filterwarnings("ignore")
        from_db(None if args.from_db == "demo" else args.from_db, args.demo_scale, args.jobs, args.grain,
                args.horizon, args.reconcile)
        return
    n = 10_000 if args.full else args.series
    warnings.filterwarnings("ignore")

    from statsforecast import StatsForecast
    from statsforecast import models as sfm

    from qudao.engines.forecast import ForecastOptions, run_forecast

    data = synthetic_demand(n)
    cutoff = data["ds"].max() - pd.Timedelta(days=HORIZON)
    train, test = data[data["ds"] <= cutoff], data[data["ds"] > cutoff]
    print(f"synthetic set: {n:,} daily series x {DAYS} days, h={HORIZON}, {args.jobs} process(es), "
          f"held out: last {HORIZON} days")

    t0, c0, load = time.perf_counter(), cpu_seconds(), os.getloadavg()[0]
    opts = ForecastOptions(n_jobs=args.jobs, history_window=args.history_window, global_model=args.global_model,
                           intervals=args.intervals)
    result = run_forecast(train, HORIZON, "D", options=opts)
    elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    fc = result.forecast
    print(f"\nQudao engine ({args.intervals} intervals, global model {args.global_model}): {elapsed:.1f} s total, "
          f"{n / elapsed:.1f} series/s"
          f"  (goal: 10,000 series in < 300 s, i.e. >= 33.3 series/s)")
    print(f"  CPU used: {cpu:.0f} s over {args.jobs} process(es) -> about {cpu / args.jobs:.0f} s of wall time "
          f"if the cores were free (load average at start {load:.1f}, end {os.getloadavg()[0]:.1f})")
    print("  classes: " + ", ".join(f"{k} {v}" for k, v in result.series["demand_class"].value_counts().items()))
    top = result.series["model"].str.replace(r"\+.*", "+ (ensemble)", regex=True).value_counts().head(8)
    print("  chosen:  " + ", ".join(f"{k} {v}" for k, v in top.items()))

    t1 = time.perf_counter()
    sn = StatsForecast(models=[sfm.SeasonalNaive(7)], freq="D", n_jobs=1).forecast(df=train, h=HORIZON)
    sn_time = time.perf_counter() - t1
    sn = sn.reset_index(drop=sn.index.name is None)
    w_engine, w_sn = wape(test, fc, "forecast"), wape(test, sn, "SeasonalNaive")
    print(f"\nWAPE on the held-out 28 days, all {n:,} series:")
    print(f"  Qudao engine     {w_engine:.4f}")
    print(f"  seasonal naive   {w_sn:.4f}  ({sn_time:.1f} s)   engine is {100 * (1 - w_engine / w_sn):.1f}% "
          "below (goal: >= 10%)")
    merged = test.merge(fc, on=["unique_id", "ds"]).merge(result.series[["unique_id", "demand_class"]], on="unique_id")
    bias = (merged["forecast"] - merged["y"]).groupby(merged["demand_class"]).sum() / merged.groupby("demand_class")[
        "y"].sum()
    print(f"  engine bias (sum(f - y) / sum(y)) {(merged['forecast'] - merged['y']).sum() / merged['y'].sum():+.4f}; "
          "by class: " + ", ".join(f"{k} {v:+.3f}" for k, v in bias.items()))

    rng = np.random.default_rng(7)
    all_ids = data["unique_id"].unique()
    big = rng.choice(all_ids, size=min(args.single_sample, n), replace=False)
    ids = big[: min(args.sample, len(big))]
    s_train, s_test = train[train["unique_id"].isin(ids)], test[test["unique_id"].isin(ids)]
    t2 = time.perf_counter()
    ets = StatsForecast(models=[sfm.AutoETS(season_length=7)], freq="D", n_jobs=args.jobs).forecast(
        df=s_train, h=HORIZON)
    ets_time = time.perf_counter() - t2
    ets = ets.reset_index(drop=ets.index.name is None)
    print(f"\nPlain AutoETS (full model search) on a random sample of {len(ids)} series (too slow for all):")
    print(f"  Qudao engine on the sample   WAPE {wape(s_test, fc, 'forecast'):.4f}")
    print(f"  plain AutoETS                WAPE {wape(s_test, ets, 'AutoETS'):.4f}   {ets_time:.1f} s for "
          f"{len(ids)} series -> about {ets_time / len(ids) * n / 60:.1f} min extrapolated to {n:,} series")

    b_train, b_test = train[train["unique_id"].isin(big)], test[test["unique_id"].isin(big)]
    singles, singles_time = single_models(b_train, args.jobs)
    w_b = wape(b_test, fc, "forecast")
    print(f"\nEvery single model on a random sample of {len(big)} series ({singles_time:.1f} s):")
    print(f"  Qudao engine on the sample   WAPE {w_b:.4f}")
    scores = {c: wape(b_test, singles, c) for c in singles.columns if c not in ("unique_id", "ds")}
    cands = result.candidates
    if cands is not None and (cands["model"] == "LightGBM").any():
        # The global model alone (from the engine's own run), as a single model too.
        lgb = cands[cands["model"] == "LightGBM"].rename(columns={"mean": "LightGBM (global)"})
        covered = b_test["unique_id"].isin(lgb["unique_id"])
        scores["LightGBM (global)"] = wape(b_test[covered], lgb, "LightGBM (global)")
        if not covered.all():
            print(f"  (LightGBM scored on {covered.mean():.0%} of the sample: constant series are left out)")
    best = min(scores, key=scores.get)
    for name, score in sorted(scores.items(), key=lambda kv: kv[1]):
        print(f"  single model {name:<16} WAPE {score:.4f}")
    print(f"  best single model: {best} ({scores[best]:.4f}); engine {w_b:.4f} is "
          f"{100 * (1 - w_b / scores[best]):+.1f}% below it (goal: no worse, i.e. >= 0)")


if __name__ == "__main__":
    main()
