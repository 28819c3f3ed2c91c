"""The global LightGBM candidate: out-of-sample backtest from each origin, future after each series' end."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qudao.engines.forecast import ForecastOptions, run_forecast
from qudao.engines.forecast.global_model import NAME, global_backtest_and_forecast

H = 7
DAYS = 126
WEEK = np.array([10, 12, 14, 16, 30, 40, 20], dtype=float)


def _panel(n_series: int) -> pd.DataFrame:
    """Weekly patterns scaled per series (1x..) with small Poisson noise; all series end on the same day."""
    rng = np.random.default_rng(3)
    frames = []
    for i in range(n_series):
        scale = 1.0 + i / 4
        ys = rng.poisson(np.tile(WEEK, DAYS // 7) * scale).astype(float)
        frames.append(pd.DataFrame({"unique_id": f"s{i:02d}", "ds": pd.date_range("2024-01-01", periods=DAYS),
                                    "y": ys}))
    return pd.concat(frames, ignore_index=True)


def test_backtest_points_follow_their_origins_and_future_follows_the_history():
    df = _panel(12)
    points, future = global_backtest_and_forecast(df, H, "D", 7, n_windows=2)
    last = df["ds"].max()
    # two windows of 7 days per series, each after its own origin: last - 14 days and last - 7 days
    assert len(points) == 12 * 2 * H
    assert sorted(points["cutoff"].unique()) == [last - pd.Timedelta(days=14), last - pd.Timedelta(days=7)]
    assert (points["ds"] > points["cutoff"]).all() and (points["ds"] <= points["cutoff"] + pd.Timedelta(days=H)).all()
    assert (points["yhat"] >= 0).all() and (points["model"] == NAME).all()
    assert len(future) == 12 * H and future["ds"].min() == last + pd.Timedelta(days=1)
    assert future["lo_80"].isna().all()  # no intervals of its own: the engine adds conformal ones


def test_global_model_learns_the_shared_weekly_shape():
    df = _panel(12)
    _, future = global_backtest_and_forecast(df, H, "D", 7, n_windows=2)
    # The history ends on a Sunday (day 126 from Monday 1 January), so the week ahead is WEEK x scale.
    s00 = future[future["unique_id"] == "s00"].sort_values("ds")["mean"].to_numpy()
    assert np.argmax(s00) == 5 and np.argmin(s00) == 0  # Saturday peak, Monday trough of the shared shape
    np.testing.assert_allclose(s00.sum(), WEEK.sum(), rtol=0.15)


def test_engine_offers_it_as_a_candidate_with_conformal_intervals():
    df = _panel(12)
    res = run_forecast(df, H, "D", options=ForecastOptions(global_model="on"))
    assert NAME in set(res.backtest["model"])
    fc = res.forecast
    assert fc[["lo_80", "hi_80", "lo_95", "hi_95"]].notna().all().all()
    assert ((fc["lo_95"] <= fc["lo_80"]) & (fc["lo_80"] <= fc["forecast"]) & (fc["forecast"] <= fc["hi_80"])
            & (fc["hi_80"] <= fc["hi_95"])).all()
    off = run_forecast(df, H, "D", options=ForecastOptions(global_model="off"))
    assert NAME not in set(off.backtest["model"])
