"""Event uplift: a planted promotion (+60%) is recovered from noisy history; stockout and other event days
stay out of the baseline; known future events multiply the forecast and its intervals."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from qudao.engines.forecast.events import apply_events, learn_uplift

START = date(2025, 1, 1)
PROMOS = [(date(2025, 3, 3), date(2025, 3, 9)), (date(2025, 6, 2), date(2025, 6, 8)),
          (date(2025, 9, 1), date(2025, 9, 7))]


def planted_history(rng: np.random.Generator, series: int = 40) -> pl.DataFrame:
    days = [START + timedelta(days=i) for i in range(365)]
    on_promo = np.array([any(a <= d <= b for a, b in PROMOS) for d in days])
    rows = []
    for s in range(series):
        level = rng.uniform(5, 30)
        mean = level * np.where(on_promo, 1.6, 1.0)
        y = rng.poisson(mean).astype(float)
        stockout = np.zeros(len(days), dtype=bool)
        if s % 5 == 0:  # a stockout on promotion days: zero sales, flagged, must not drag the uplift down
            stockout[62:64] = True
            y[62:64] = 0.0
        rows.append(pl.DataFrame({"series_id": s, "channel_id": 1 + s % 2, "ds": days, "y": y,
                                  "stockout": stockout}))
    return pl.concat(rows).filter((pl.col("y") > 0) | pl.col("stockout"))  # absent days are zero demand


def events_frame() -> pl.DataFrame:
    rows = [{"kind": "promotion", "starts_on": a, "ends_on": b, "channel_id": None} for a, b in PROMOS]
    rows.append({"kind": "double_11", "starts_on": date(2025, 11, 11), "ends_on": date(2025, 11, 11),
                 "channel_id": 3})  # a channel with no history: no observations
    return pl.DataFrame(rows, schema={"kind": pl.String, "starts_on": pl.Date, "ends_on": pl.Date,
                                      "channel_id": pl.Int64})


def test_planted_promotion_uplift_is_recovered() -> None:
    uplift = learn_uplift(planted_history(np.random.default_rng(3)), events_frame())
    assert uplift["kind"].to_list() == ["promotion"]
    row = uplift.row(0, named=True)
    assert row["uplift"] == pytest.approx(1.6, abs=0.05)
    assert row["observations"] == 3 * 40  # three promotions x forty series
    assert row["event_days"] == 3 * 40 * 7 - 8 * 2  # the stockout days are left out


def test_stockout_days_would_bias_the_uplift_if_counted() -> None:
    history = planted_history(np.random.default_rng(3)).with_columns(pl.lit(False).alias("stockout"))
    assert learn_uplift(history, events_frame())["uplift"][0] < 1.58


def test_hand_worked_uplift() -> None:
    # Baseline 10/day on the 7 days each side (one stockout day at 0 left out); event 2 days at 15 and 17.
    days = [date(2025, 1, 1) + timedelta(days=i) for i in range(16)]
    y = [10.0] * 7 + [15.0, 17.0] + [10.0] * 7
    stockout = [False] * 16
    y[3], stockout[3] = 0.0, True
    history = pl.DataFrame({"series_id": 1, "channel_id": 5, "ds": days, "y": y, "stockout": stockout})
    events = pl.DataFrame({"kind": ["promotion"], "starts_on": [days[7]], "ends_on": [days[8]],
                           "channel_id": [5]})
    from qudao.engines.forecast.events import UpliftOptions

    out = learn_uplift(history, events, UpliftOptions(baseline_days=7, min_baseline_days=7)).row(0, named=True)
    assert out["uplift"] == pytest.approx(32 / 20)
    assert (out["observations"], out["event_days"]) == (1, 2)


def test_apply_events_multiplies_forecast_and_intervals_in_the_window() -> None:
    days = [date(2026, 6, 16) + timedelta(days=i) for i in range(5)]
    forecast = pl.DataFrame({"unique_id": ["a"] * 5 + ["b"] * 5, "channel_id": [1] * 5 + [2] * 5,
                             "ds": days * 2, "forecast": [10.0] * 10, "lo_80": [8.0] * 10, "hi_80": [12.0] * 10})
    events = pl.DataFrame({"kind": ["618", "holiday"], "starts_on": [date(2026, 6, 17), date(2026, 6, 18)],
                           "ends_on": [date(2026, 6, 18), date(2026, 6, 18)], "channel_id": [1, None]},
                          schema={"kind": pl.String, "starts_on": pl.Date, "ends_on": pl.Date,
                                  "channel_id": pl.Int64})
    uplift = pl.DataFrame({"kind": ["618", "holiday"], "uplift": [2.0, 0.5]})
    out = apply_events(forecast, events, uplift).sort("unique_id", "ds")
    assert out.filter(pl.col("unique_id") == "a")["forecast"].to_list() == [10.0, 20.0, 10.0, 10.0, 10.0]
    assert out.filter(pl.col("unique_id") == "a")["hi_80"].to_list() == [12.0, 24.0, 12.0, 12.0, 12.0]
    assert out.filter(pl.col("unique_id") == "b")["forecast"].to_list() == [10.0, 10.0, 5.0, 10.0, 10.0]
    assert out.filter(pl.col("unique_id") == "b")["lo_80"].to_list() == [8.0, 8.0, 4.0, 8.0, 8.0]


def test_refusals() -> None:
    with pytest.raises(ValueError, match="history lacks"):
        learn_uplift(pl.DataFrame({"ds": [], "y": []}), events_frame())
    bad = events_frame().with_columns(pl.col("starts_on") + pl.duration(days=30))
    with pytest.raises(ValueError, match="end before"):
        learn_uplift(planted_history(np.random.default_rng(1), 2), bad)
