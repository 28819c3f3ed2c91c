"""The forecast engine on series with known structure (one small run shared by the tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qudao.engines.forecast import OUTPUT_COLUMNS, ForecastOptions, model_space, run_forecast
from qudao.engines.forecast.backtest import conformal_halfwidths, select_models

H = 14
DAYS = 140
WEEK = np.array([10, 12, 14, 16, 30, 40, 20], dtype=float)
CROSTON_SPACE = {"CrostonSBA", "TSB", "ADIDA", "HistoricAverage"}


def _series(uid, ys, start="2024-01-01"):
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=len(ys), freq="D"), "y": ys})


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(42)
    t = np.arange(DAYS)
    intermittent = np.where(np.arange(DAYS) % 4 == 0, 4.0, 0.0)  # 4 units every 4th day: rate 1.0 per day
    intermittent[rng.choice(np.flatnonzero(intermittent), 8, replace=False)] = 2.0
    intermittent[rng.choice(np.flatnonzero(intermittent == 0), 8, replace=False)] = 3.0
    frame = pd.concat([
        _series("seasonal", np.tile(WEEK, DAYS // 7)),
        _series("trend", 20 + 2.0 * t + np.tile([0, 1, -1, 0, 1, -1, 0], DAYS // 7)),
        _series("intermittent", intermittent),
        _series("new", [3.0, 4, 5, 3, 4, 5, 3, 4, 5, 6]),
        _series("tiny", [2.0, 4.0, 3.0]),
        _series("none", np.zeros(30)),
    ])
    return run_forecast(frame, H, "D", options=ForecastOptions(n_jobs=1)), frame


def test_one_row_per_series_and_future_date(result):
    res, frame = result
    fc = res.forecast
    assert list(fc.columns) == OUTPUT_COLUMNS
    assert len(fc) == 6 * H
    for uid, last in frame.groupby("unique_id")["ds"].max().items():
        dates = fc.loc[fc["unique_id"] == uid, "ds"]
        assert list(dates) == list(pd.date_range(last + pd.Timedelta(days=1), periods=H, freq="D"))


def test_pure_weekly_pattern_is_reproduced(result):
    res, _ = result
    fc = res.forecast[res.forecast["unique_id"] == "seasonal"]
    expected = np.tile(WEEK, 3)[:H]  # the history is 20 whole weeks, so the forecast starts on the pattern's day 1
    np.testing.assert_allclose(fc["forecast"], expected, atol=0.5)
    assert res.series.set_index("unique_id").loc["seasonal", "demand_class"] == "smooth"


def test_linear_trend_is_continued(result):
    res, _ = result
    fc = res.forecast[res.forecast["unique_id"] == "trend"]
    future_t = np.arange(DAYS, DAYS + H)
    np.testing.assert_allclose(fc["forecast"], 20 + 2.0 * future_t, rtol=0.03)
    weekly_growth = fc["forecast"].iloc[7:14].mean() - fc["forecast"].iloc[0:7].mean()
    assert weekly_growth == pytest.approx(14.0, rel=0.15)


def test_intermittent_gets_croston_family(result):
    res, _ = result
    row = res.series.set_index("unique_id").loc["intermittent"]
    assert row["demand_class"] == "intermittent"
    assert set(row["model"].split("+")) <= CROSTON_SPACE


def test_intermittent_by_mse_forecasts_near_the_mean_rate(result):
    """MSE selection aims at the mean demand rate (for stock planning); MAE, the default, may pick lower."""
    _, frame = result
    one = frame[frame["unique_id"] == "intermittent"]
    rate = one["y"].mean()
    by_mse = run_forecast(one, H, "D", options=ForecastOptions(sparse_metric="mse"))
    by_mae = run_forecast(one, H, "D", options=ForecastOptions(sparse_metric="mae"))
    assert set(by_mse.series["model"].iloc[0].split("+")) <= CROSTON_SPACE
    assert by_mse.forecast["forecast"].mean() == pytest.approx(rate, rel=0.25)
    assert by_mae.forecast["forecast"].mean() <= by_mse.forecast["forecast"].mean() + 1e-9


def test_intervals_nest_for_every_row(result):
    fc = result[0].forecast
    assert fc[["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]].notna().all().all()
    assert (fc["lo_95"] <= fc["lo_80"]).all() and (fc["lo_80"] <= fc["forecast"]).all()
    assert (fc["forecast"] <= fc["hi_80"]).all() and (fc["hi_80"] <= fc["hi_95"]).all()
    assert (fc["lo_95"] >= 0).all()
    inter = fc[fc["unique_id"] == "intermittent"]
    assert (inter["hi_95"] > inter["forecast"]).all()  # conformal intervals from backtest errors, not zero-width


def test_short_and_empty_series_use_named_fallbacks(result):
    res, _ = result
    models = res.series.set_index("unique_id")["model"]
    assert models["new"] == "SeasonalNaive (fallback: too short to backtest)"
    assert models["tiny"] == "HistoricAverage (fallback: shorter than one season)"
    assert models["none"] == "Zero (no demand in history)"
    tiny = res.forecast[res.forecast["unique_id"] == "tiny"]["forecast"]
    np.testing.assert_allclose(tiny, 3.0)
    assert any("too short to backtest" in note for note in res.notes)


def test_model_spaces_hold_every_model_of_the_issue():
    names = {s.name for cls in ("smooth", "erratic", "intermittent", "lumpy")
             for profile in ("fast", "full") for s in model_space(cls, 7, profile, (7, 365))}
    assert {"SeasonalNaive", "AutoETS", "AutoARIMA", "AutoTheta", "MSTL", "CrostonSBA", "TSB", "ADIDA"} <= names
    assert "MSTL" not in {s.name for s in model_space("smooth", 7)}  # one seasonality: no MSTL


def test_selection_prefers_the_ensemble_when_it_backtests_better():
    ds = pd.date_range("2024-01-01", periods=4)
    rows = []
    for model, bias in (("A", 2.0), ("B", -2.0), ("C", 3.0)):
        rows += [{"unique_id": "s", "ds": d, "cutoff": ds[0], "y": 10.0, "model": model, "yhat": 10.0 + bias}
                 for d in ds]
    selection, points = select_models(pd.DataFrame(rows))
    assert selection.loc[0, "model"] == "A+B"
    assert selection.loc[0, "mae"] == 0.0
    assert points["yhat"].tolist() == [10.0] * 4


def test_conformal_halfwidths_by_rank():
    """n = 9 absolute errors 1..9: level 80 -> rank ceil(10 * 0.8) = 8; level 95 -> ceil(9.5) = 10, capped at 9."""
    pts = pd.DataFrame({"unique_id": "s", "y": np.arange(1.0, 10.0), "yhat": 0.0})
    q = conformal_halfwidths(pts).iloc[0]
    assert (q["q_80"], q["q_95"]) == (8.0, 9.0)
