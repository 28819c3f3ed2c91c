"""New-product forecasts by hand: an analogue's launch curve scaled, and a category's per-SKU profile."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from qudao.engines.forecast.new_products import category_profile, forecast_from_analogue, forecast_from_category

D = date(2025, 5, 1)


def day(n: int) -> date:
    return D + timedelta(days=n)


def test_analogue_curve_is_scaled_by_age_and_extended_with_its_tail_mean() -> None:
    # First sale on day 2 (ages 0..3: 4, 0, 6, 8; two locations on age 2); nothing before launch counts.
    analogue = pl.DataFrame({"ds": [day(0), day(2), day(4), day(4), day(5)], "y": [0.0, 4.0, 2.0, 4.0, 8.0]})
    out = forecast_from_analogue(analogue, start=date(2026, 1, 1), horizon=6, scale=0.5, tail_days=2)
    assert out["ds"].to_list() == [date(2026, 1, 1) + timedelta(days=i) for i in range(6)]
    assert out["age"].to_list() == list(range(6))
    # ages 0..3 = 4, 0, 6, 8 -> x0.5; ages 4, 5 use the mean of the last two ages ((6 + 8) / 2 = 7) x0.5
    assert out["forecast"].to_list() == [2.0, 0.0, 3.0, 4.0, 3.5, 3.5]


def test_category_profile_averages_per_sku_by_age() -> None:
    # SKU 1 launched day 0: 10, 20, 30 (ages 0-2); SKU 2 launched day 1: 2, 4 (ages 0-1); SKU 3 never sold.
    history = pl.DataFrame({"product_id": [1, 1, 1, 2, 2, 3], "ds": [day(0), day(1), day(2), day(1), day(2), day(2)],
                            "y": [10.0, 20.0, 30.0, 2.0, 4.0, 0.0]})
    profile = category_profile(history)
    assert profile.rows() == [(0, 6.0, 2), (1, 12.0, 2), (2, 30.0, 1)]
    out = forecast_from_category(history, start=date(2026, 2, 1), horizon=4, scale=2.0, tail_days=1)
    assert out["forecast"].to_list() == [12.0, 24.0, 60.0, 60.0]


def test_refusals() -> None:
    good = pl.DataFrame({"ds": [day(0)], "y": [1.0]})
    with pytest.raises(ValueError, match="horizon"):
        forecast_from_analogue(good, start=D, horizon=0)
    with pytest.raises(ValueError, match="scale"):
        forecast_from_analogue(good, start=D, horizon=3, scale=-1)
    with pytest.raises(ValueError, match="negative"):
        forecast_from_analogue(pl.DataFrame({"ds": [day(0)], "y": [-1.0]}), start=D, horizon=3)
    with pytest.raises(ValueError, match="lacks"):
        forecast_from_category(good, start=D, horizon=3)
    # An analogue that never sold forecasts zero rather than failing.
    assert forecast_from_analogue(pl.DataFrame({"ds": [day(0)], "y": [0.0]}), start=D, horizon=2)[
        "forecast"].to_list() == [0.0, 0.0]
