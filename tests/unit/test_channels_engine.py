"""The pure channel engine on small hand-made frames: which MAP is in force, territory edge cases,
cannibalisation over weeks with no rows, and weight validation."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from qudao.engines import channels as engine


def test_map_in_force_is_the_latest_started_and_not_ended() -> None:
    lines = pl.DataFrame({"line_id": [1, 2, 3], "order_id": [1, 2, 3],
                          "day": [date(2026, 1, 10), date(2026, 3, 10), date(2026, 7, 1)],
                          "product_id": [1, 1, 1], "channel_id": [5, 5, 5],
                          "unit_price": [45.0, 45.0, 10.0], "quantity": [1.0, 1.0, 1.0]})
    maps = pl.DataFrame({"map_id": [10, 11], "product_id": [1, 1], "channel_id": [5, 5],
                         "min_price": [40.0, 50.0], "effective_from": [date(2025, 1, 1), date(2026, 3, 1)],
                         "effective_to": [None, date(2026, 6, 30)]}, schema_overrides={"effective_to": pl.Date})
    found = engine.map_violations(lines, maps)
    # line 1: MAP 40 in force (45 ok); line 2: MAP 50 (45 below); line 3: MAP 50 ended, 40 applies (10 below)
    assert found.select("line_id", "map_id", "shortfall").rows() == [(2, 11, 5.0), (3, 10, 30.0)]


def test_territory_ignores_unrestricted_partners_and_unknown_provinces() -> None:
    orders = pl.DataFrame({"order_id": [1, 2, 3, 4], "partner_id": [1, 1, 1, 2],
                           "province": ["浙江", "上海", "", "上海"]})
    territories = pl.DataFrame({"partner_id": [1], "province": ["浙江"]})
    found = engine.territory_violations(orders, territories)
    assert found["order_id"].to_list() == [2]


def test_cannibalisation_counts_missing_weeks_as_zero() -> None:
    rows = []
    for i in range(12):
        monday = date.fromordinal(date(2026, 1, 5).toordinal() + 7 * i)
        rows.append((1, 1, monday, 10.0 if i < 8 else 30.0))  # channel 1: 10 -> 30
        if i < 8:
            rows.append((1, 2, monday, 8.0))  # channel 2 stops selling: recent weeks absent = 0
    weekly = pl.DataFrame(rows, schema={"product_id": pl.Int64, "channel_id": pl.Int64, "week": pl.Date,
                                        "quantity": pl.Float64}, orient="row")
    found = engine.cannibalisation(weekly, date(2026, 3, 30), engine.CannibalisationOptions())
    assert found.select("gaining_channel_id", "losing_channel_id", "gain_change", "loss_change").rows() == [
        (1, 2, 2.0, -1.0)]


def test_weights_must_be_known_non_negative_and_sum_to_one() -> None:
    assert engine.validate_weights({"growth": 0.5, "share": 0.5})["margin"] == 0.0
    for bad, message in (({"speed": 1.0}, "unknown"), ({"growth": 1.5, "share": -0.5}, "negative"),
                         ({"growth": 0.5}, "sum to 1")):
        with pytest.raises(engine.WeightsError, match=message):
            engine.validate_weights(bad)
