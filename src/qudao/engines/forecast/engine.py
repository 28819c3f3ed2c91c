"""The forecast run: validate, classify, backtest the class's candidates, pick per series, forecast, intervals.

``forecast(frame, horizon, freq)`` returns one row per series and future date with
``unique_id, ds, forecast, lo_80, hi_80, lo_95, hi_95, model``. ``run_forecast`` returns the same frame with
the per-series report (class, backtest WAPE, gaps filled) and the notes shown to the user.

Rules the user can rely on:
- each series gets the model (or mean of the top two, ``A+B``) with the lowest MAE (the per-series ranking
  of WAPE) in a rolling-origin backtest of ``n_windows`` windows of ``horizon`` periods on its own history;
- candidates: the demand class's statistical models (models.model_space) and, when asked for, a global
  LightGBM model trained on all series together (global_model.py);
- intervals: split-conformal 80%/95% intervals from the series' own absolute backtest errors (see
  backtest.conformal_halfwidths); with ``intervals="model"`` the model's own where it has them;
- demand is never negative: forecasts and bounds are clipped at 0 (nesting lo_95 <= lo_80 <= forecast <=
  hi_80 <= hi_95 is kept);
- too short to backtest (class ``new``): SeasonalNaive, or HistoricAverage when shorter than one season,
  and the model column says ``(fallback: ...)``; no demand at all (class ``zero``): a forecast of 0.

Events and hierarchies are handled around this call (events.py, hierarchy.py, qudao.forecasting).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsforecast import StatsForecast

from qudao.engines.forecast.backtest import conformal_halfwidths, select_models
from qudao.engines.forecast.classify import classify_demand
from qudao.engines.forecast.global_model import global_backtest_and_forecast, wanted
from qudao.engines.forecast.models import (
    ModelSpec,
    historic_average,
    infer_season_length,
    model_space,
    seasonal_naive,
)
from qudao.engines.forecast.validate import ForecastInputError, InputReport, check_frequency, validate_history

LEVELS = (80, 95)
OUTPUT_COLUMNS = ["unique_id", "ds", "forecast", "lo_80", "hi_80", "lo_95", "hi_95", "model"]
FALLBACK_SHORT = "HistoricAverage (fallback: shorter than one season)"
FALLBACK_NEW = "SeasonalNaive (fallback: too short to backtest)"
ZERO_MODEL = "Zero (no demand in history)"
_AUTO_WINDOW = {"D": 728, "B": 520, "W": 156, "H": 24 * 7 * 8, "h": 24 * 7 * 8}

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ForecastOptions:
    """Typed run options (no environment variables are read by the engine).

    profile: "fast" (restricted spaces, default) or "full" (AutoETS/AutoTheta/AutoARIMA over whole spaces).
    history_window: periods of recent history used to fit and backtest (None = automatic: 728 days for
    daily data (two years: on the benchmark one year fitted faster but lost ~1% WAPE), 156 weeks for weekly,
    all history otherwise; 0 = all history).
    seasonalities: extra seasonal periods, e.g. (7, 365); more than one puts MSTL into the model space.
    dask_scheduler: address of a Dask scheduler; when set, statsforecast runs through its Dask backend.
    sparse_metric: how intermittent and lumpy series choose their model: "mae" (default, the WAPE the
    benchmark measures) or "mse" (picks forecasts nearer the mean demand rate; see backtest.select_models).
    intervals: "conformal" (default: every backtested series gets split-conformal intervals from its own
    backtest errors, so statsforecast computes no intervals in the backtest windows, about a fifth of the run's
    CPU) or "model" (the model's own intervals where it has them, conformal for the rest).
    global_model: "off" (default), "on", or "auto" (a global LightGBM model, see global_model.py, joins every
    class's candidates when the data are daily and at least ``global_min_series`` series can be backtested).
    Off by default: on the benchmark it lowered WAPE only by forecasting sparse demand near its median (zero),
    i.e. with a large negative bias, and fitted for the mean it was no better than the statistical models.
    """

    n_windows: int = 2
    ensemble: bool = True
    profile: str = "fast"
    history_window: int | None = None
    seasonalities: tuple[int, ...] = ()
    duplicates: str = "error"
    negatives: str = "error"
    n_jobs: int = 1
    dask_scheduler: str | None = None
    dask_partitions: int = 4
    sparse_metric: str = "mae"
    intervals: str = "conformal"
    global_model: str = "off"
    global_min_series: int = 200


@dataclass
class ForecastResult:
    forecast: pd.DataFrame
    series: pd.DataFrame
    input_report: InputReport
    season_length: int
    notes: list[str] = field(default_factory=list)
    backtest: pd.DataFrame | None = None
    candidates: pd.DataFrame | None = None


def forecast(frame, horizon: int, freq: str, season_length: int | None = None,
             options: ForecastOptions | None = None) -> pd.DataFrame:
    """Forecast every series; see the module docstring for the columns and rules."""
    return run_forecast(frame, horizon, freq, season_length, options).forecast


def run_forecast(
    frame,
    horizon: int,
    freq: str,
    season_length: int | None = None,
    options: ForecastOptions | None = None,
    progress: Progress | None = None,
) -> ForecastResult:
    """Forecast with the full report (per-series class, chosen model, backtest WAPE, gaps filled)."""
    opts = options or ForecastOptions()
    tick = progress or (lambda step, done, total: None)
    problems = []
    if opts.profile not in ("fast", "full"):
        problems.append(f"options.profile: must be 'fast' or 'full', got {opts.profile!r}")
    if opts.duplicates not in ("error", "sum"):
        problems.append(f"options.duplicates: must be 'error' or 'sum', got {opts.duplicates!r}")
    if opts.negatives not in ("error", "clip"):
        problems.append(f"options.negatives: must be 'error' or 'clip', got {opts.negatives!r}")
    if opts.sparse_metric not in ("mae", "mse"):
        problems.append(f"options.sparse_metric: must be 'mae' or 'mse', got {opts.sparse_metric!r}")
    if opts.intervals not in ("conformal", "model"):
        problems.append(f"options.intervals: must be 'conformal' or 'model', got {opts.intervals!r}")
    if opts.global_model not in ("auto", "on", "off"):
        problems.append(f"options.global_model: must be 'auto', 'on' or 'off', got {opts.global_model!r}")
    if opts.n_windows < 1:
        problems.append(f"options.n_windows: must be at least 1, got {opts.n_windows}")
    if season_length is not None and (not isinstance(season_length, (int, np.integer)) or season_length < 1):
        problems.append(f"season_length: must be a whole number of at least 1, got {season_length!r}")
    if problems:
        raise ForecastInputError(problems)

    extra = [c for c in getattr(frame, "columns", []) if c not in ("unique_id", "ds", "y")]
    df, report = validate_history(frame, horizon, freq, duplicates=opts.duplicates, negatives=opts.negatives)
    if extra:
        report.notes.append(f"column(s) not used by this engine version: {', '.join(map(str, extra))}")
    m = season_length or infer_season_length(freq)
    offset = check_frequency(freq)
    rule = offset.rule_code.split("-")[0]
    tick("validate", 1, 1)

    window = opts.history_window
    if window is None:
        window = _AUTO_WINDOW.get(rule, 0)
        longest = max([m, *opts.seasonalities])
        if window and longest * 2 + opts.n_windows * horizon > window:
            window = 0
    if window:
        df = df.groupby("unique_id", sort=False).tail(window).reset_index(drop=True)

    min_length = opts.n_windows * horizon + 2 * m
    classes = classify_demand(df, min_length, m)
    tick("classify", 1, 1)

    with _distributed(opts):
        cv_parts, future_parts = [], []
        backtest_classes = [("smooth", True), ("smooth", False), ("erratic", None), ("intermittent", None),
                            ("lumpy", None)]
        backtested = classes.loc[classes["demand_class"].isin([c for c, _ in backtest_classes]), "unique_id"]
        use_global = wanted(opts.global_model, m, len(backtested), opts.global_min_series)
        for i, (cls, trend) in enumerate(backtest_classes):
            mask = classes["demand_class"] == cls
            if trend is not None:
                mask &= classes["trend"] == trend
            ids = classes.loc[mask, "unique_id"]
            if len(ids):
                sub = df[df["unique_id"].isin(ids)]
                specs = model_space(cls, m, opts.profile, opts.seasonalities, trend is not False)
                cv_long, future = _backtest_and_forecast(sub, specs, horizon, freq, opts)
                cv_parts.append(cv_long)
                future_parts.append(future)
            tick("backtest and forecast", i + 1, len(backtest_classes))
        if use_global:
            cv_long, future = global_backtest_and_forecast(df[df["unique_id"].isin(backtested)], horizon, freq, m,
                                                           opts.n_windows, opts.n_jobs)
            cv_parts.append(cv_long)
            future_parts.append(future)

        if cv_parts:
            cv_long = pd.concat(cv_parts, ignore_index=True)
            future = pd.concat(future_parts, ignore_index=True)
            sparse = classes.loc[classes["demand_class"].isin(["intermittent", "lumpy"]), "unique_id"]
            if opts.sparse_metric == "mae":
                sparse = sparse.iloc[:0]
            selection, cv_chosen = select_models(cv_long, ensemble=opts.ensemble, mse_ids=sparse)
            pieces = _chosen_forecasts(future, selection, cv_chosen)
        else:
            selection = pd.DataFrame(columns=["unique_id", "model", "mae", "wape", "members"])
            cv_long = future = None
            pieces = []
        pieces += _fallback_forecasts(df, classes, horizon, freq, m, opts)
        tick("forecast", 1, 1)

    out = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=OUTPUT_COLUMNS)
    out = _tidy(out)
    series = classes.merge(selection[["unique_id", "model", "wape"]], on="unique_id", how="left")
    series = series.rename(columns={"wape": "backtest_wape"})
    chosen = out.drop_duplicates("unique_id").set_index("unique_id")["model"]
    series["model"] = series["unique_id"].map(chosen)
    series["gaps_filled"] = series["unique_id"].map(report.gaps_filled).fillna(0).astype(int)
    notes = list(report.notes)
    counts = series["demand_class"].value_counts()
    notes.append("demand classes: " + ", ".join(f"{k} {int(v)}" for k, v in counts.items()))
    notes.append("intervals: split-conformal from backtest errors (too short to backtest: the fallback's own)"
                 if opts.intervals == "conformal" else
                 "intervals: the model's own for SeasonalNaive, AutoETS, AutoTheta, AutoARIMA, MSTL and "
                 "HistoricAverage; split-conformal from backtest errors for the other models and ensembles")
    if (series["demand_class"] == "new").any():
        notes.append(f"{int((series['demand_class'] == 'new').sum())} series too short to backtest "
                     f"(< {min_length} periods): fallback models, named in the model column")
    return ForecastResult(out, series, report, m, notes, backtest=cv_long, candidates=future)


@contextlib.contextmanager
def _distributed(opts: ForecastOptions) -> Iterator[None]:
    """Connect to the Dask scheduler for the run when one is configured."""
    if not opts.dask_scheduler:
        yield
        return
    from dask.distributed import Client

    client = Client(opts.dask_scheduler, set_as_default=True)
    try:
        yield
    finally:
        client.close()


def _frame_for(df: pd.DataFrame, opts: ForecastOptions):
    if not opts.dask_scheduler:
        return df
    import dask.dataframe as dd

    return dd.from_pandas(df, npartitions=max(1, min(opts.dask_partitions, df["unique_id"].nunique())))


def _collect(result, opts: ForecastOptions) -> pd.DataFrame:
    if not opts.dask_scheduler:
        return result.reset_index(drop=result.index.name is None)
    out = result.compute()
    out = out.reset_index(drop=out.index.name is None)
    out["ds"] = pd.to_datetime(out["ds"])
    if "cutoff" in out.columns:
        out["cutoff"] = pd.to_datetime(out["cutoff"])
    sort = ["unique_id", "cutoff", "ds"] if "cutoff" in out.columns else ["unique_id", "ds"]
    return out.sort_values(sort, kind="stable").reset_index(drop=True)


def _backtest_and_forecast(df: pd.DataFrame, specs: list[ModelSpec], horizon: int, freq: str,
                           opts: ForecastOptions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rolling-origin backtest of the candidates and their future forecasts, in one statsforecast pass.

    Each series is extended by ``horizon`` empty future periods and cross-validated over ``n_windows + 1``
    windows of ``horizon``: the first ``n_windows`` are the backtest, the last one (whose origin is the
    series' last observed date) is the forecast. Models with a ``forward`` method are fitted once, at the
    first origin, and rolled forward with their estimated parameters (refit=False); the cheap Croston family
    is refitted at every origin. Returns (backtest points long: unique_id, ds, cutoff, y, model, yhat;
    future long: unique_id, ds, model, mean, lo_80, hi_80, lo_95, hi_95).
    """
    offset = check_frequency(freq)
    last = df.groupby("unique_id", sort=False)["ds"].max()
    future_rows = pd.DataFrame({
        "unique_id": np.repeat(last.index.to_numpy(), horizon),
        "ds": _future_dates(last, offset, horizon),
        "y": np.nan,
    })
    extended = pd.concat([df, future_rows], ignore_index=True).sort_values(["unique_id", "ds"], kind="stable")
    backtests, futures = [], []
    groups = (([s for s in specs if s.has_forward], False), ([s for s in specs if not s.has_forward], True))
    for group, refit in groups:
        if not group:
            continue
        sf = StatsForecast(models=[s.make() for s in group], freq=freq, n_jobs=opts.n_jobs)
        native = opts.intervals == "model" and all(s.native_intervals for s in group)
        cv = _collect(sf.cross_validation(df=_frame_for(extended, opts), h=horizon, n_windows=opts.n_windows + 1,
                                          step_size=horizon, refit=refit,
                                          level=list(LEVELS) if native else None), opts)
        is_future = cv["y"].isna() & (cv["cutoff"] == cv["unique_id"].map(last))
        past, ahead = cv[~is_future], cv[is_future]
        for spec in group:
            bt = past[["unique_id", "ds", "cutoff", "y"]].copy()
            bt["model"] = spec.name
            bt["yhat"] = past[spec.name].clip(lower=0.0).to_numpy()
            backtests.append(bt)
            fut = pd.DataFrame({"unique_id": ahead["unique_id"].to_numpy(), "ds": ahead["ds"].to_numpy(),
                                "model": spec.name, "mean": ahead[spec.name].to_numpy()})
            for lv in LEVELS:
                for side in ("lo", "hi"):
                    col = f"{spec.name}-{side}-{lv}"
                    fut[f"{side}_{lv}"] = ahead[col].to_numpy() if spec.native_intervals and native else np.nan
            futures.append(fut)
    return pd.concat(backtests, ignore_index=True), pd.concat(futures, ignore_index=True)


def _future_dates(last: pd.Series, offset, horizon: int) -> pd.DatetimeIndex:
    """Future dates per series, computed once per distinct last date."""
    per_end = {end: pd.date_range(end, periods=horizon + 1, freq=offset)[1:] for end in last.unique()}
    return pd.DatetimeIndex(np.concatenate([per_end[end].to_numpy() for end in last]))


def _run_model(df: pd.DataFrame, spec: ModelSpec, horizon: int, freq: str, opts: ForecastOptions) -> pd.DataFrame:
    """Fit one model on the given series and forecast; columns unique_id, ds, mean[, lo_80, ...]."""
    sf = StatsForecast(models=[spec.make()], freq=freq, n_jobs=opts.n_jobs)
    level = list(LEVELS) if spec.native_intervals else None
    fc = _collect(sf.forecast(df=_frame_for(df, opts), h=horizon, level=level), opts)
    rename = {spec.name: "mean"}
    for lv in LEVELS:
        rename[f"{spec.name}-lo-{lv}"] = f"lo_{lv}"
        rename[f"{spec.name}-hi-{lv}"] = f"hi_{lv}"
    return fc.rename(columns=rename)


def _chosen_forecasts(future: pd.DataFrame, selection: pd.DataFrame, cv_chosen: pd.DataFrame) -> list[pd.DataFrame]:
    """The chosen model's future per series; ensembles average their two members with conformal intervals."""
    pieces = []
    halfwidths = conformal_halfwidths(cv_chosen, LEVELS).set_index("unique_id")
    single = selection[selection["members"].str.len() == 1]
    key = pd.MultiIndex.from_arrays([future["unique_id"], future["model"]])
    fc = future[key.isin(pd.MultiIndex.from_arrays([single["unique_id"], single["model"]]))].copy()
    if len(fc):
        no_native = fc["lo_80"].isna().groupby(fc["unique_id"]).transform("all")
        with_conformal = _conformal(fc[no_native], halfwidths).assign(model=fc.loc[no_native, "model"].to_numpy())
        pieces += [fc[~no_native], with_conformal]
    ens = selection[selection["members"].str.len() > 1]
    if len(ens):
        pair = ens[["unique_id", "model", "members"]].explode("members")
        members = future.merge(pair.rename(columns={"model": "chosen", "members": "model"}),
                               on=["unique_id", "model"])
        members["mean"] = members["mean"].clip(lower=0.0)
        mean = members.groupby(["unique_id", "ds", "chosen"], as_index=False, sort=False)["mean"].mean()
        fc = _conformal(mean, halfwidths)
        fc["model"] = mean["chosen"].to_numpy()
        pieces.append(fc)
    return pieces


def _fallback_forecasts(df, classes, horizon, freq, m, opts) -> list[pd.DataFrame]:
    """Series too short to backtest, and series with no demand at all."""
    pieces = []
    new = classes[classes["demand_class"] == "new"]
    if len(new):
        short = new[new["n_obs"] < m]["unique_id"]
        longer = new[new["n_obs"] >= m]["unique_id"]
        if len(longer):
            fc = _run_model(df[df["unique_id"].isin(longer)], seasonal_naive(m), horizon, freq, opts)
            pieces.append(fc.assign(model=FALLBACK_NEW))
        if len(short):
            fc = _run_model(df[df["unique_id"].isin(short)], historic_average(), horizon, freq, opts)
            pieces.append(fc.assign(model=FALLBACK_SHORT))
    zero = classes.loc[classes["demand_class"] == "zero", "unique_id"]
    if len(zero):
        pieces.append(_zero_forecast(df[df["unique_id"].isin(zero)], horizon, freq))
    return pieces


def _conformal(fc: pd.DataFrame, halfwidths: pd.DataFrame) -> pd.DataFrame:
    q = halfwidths.reindex(fc["unique_id"].to_numpy())
    out = fc[["unique_id", "ds", "mean"]].copy()
    for lv in LEVELS:
        width = q[f"q_{lv}"].to_numpy()
        out[f"lo_{lv}"] = out["mean"].to_numpy() - width
        out[f"hi_{lv}"] = out["mean"].to_numpy() + width
    return out


def _zero_forecast(df: pd.DataFrame, horizon: int, freq: str) -> pd.DataFrame:
    last = df.groupby("unique_id", sort=False)["ds"].max()
    offset = check_frequency(freq)
    rows = []
    for uid, end in last.items():
        dates = pd.date_range(end, periods=horizon + 1, freq=offset)[1:]
        rows.append(pd.DataFrame({"unique_id": uid, "ds": dates}))
    out = pd.concat(rows, ignore_index=True)
    for col in ("mean", "lo_80", "hi_80", "lo_95", "hi_95"):
        out[col] = 0.0
    out["model"] = ZERO_MODEL
    return out


def _tidy(out: pd.DataFrame) -> pd.DataFrame:
    """Clip at 0, fill undefined bounds with the point forecast, keep nesting, order the columns."""
    out = out.rename(columns={"mean": "forecast"})
    out["forecast"] = out["forecast"].astype(float).clip(lower=0.0)
    for lv in LEVELS:
        for side in ("lo", "hi"):
            col = f"{side}_{lv}"
            out[col] = out[col].astype(float).fillna(out["forecast"]).clip(lower=0.0)
    out["lo_80"] = np.minimum(out["lo_80"], out["forecast"])
    out["hi_80"] = np.maximum(out["hi_80"], out["forecast"])
    out["lo_95"] = np.minimum(out["lo_95"], out["lo_80"])
    out["hi_95"] = np.maximum(out["hi_95"], out["hi_80"])
    out["unique_id"] = out["unique_id"].astype(str)
    out["ds"] = pd.to_datetime(out["ds"])
    return out[OUTPUT_COLUMNS].sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
