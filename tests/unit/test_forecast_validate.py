"""Bad input to the forecast engine: one clear message per problem; the gap rule is explicit and counted."""

from __future__ import annotations

import pandas as pd
import pytest

from qudao.engines.forecast import GAP_RULE, ForecastInputError, classify_demand, validate_history


def _frame(rows):
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y"])


def _problems(frame, horizon=7, freq="D", **kw) -> list[str]:
    with pytest.raises(ForecastInputError) as info:
        validate_history(frame, horizon, freq, **kw)
    return info.value.problems


def test_every_fatal_problem_is_listed_once_with_rows():
    frame = _frame([
        ["a", "2024-01-01", "3"],
        ["a", "2024-01-01", "4"],       # duplicate (a, 2024-01-01)
        ["a", "2024-01-02", "-2"],      # negative demand
        ["a", "2024-01-03", "lots"],    # not a number
        ["a", "not a date", "1"],       # unreadable date
        ["b", "2024-01-01", ""],        # no value
    ])
    problems = _problems(frame, horizon=0)
    text = "\n".join(problems)
    assert len(problems) == 6
    assert "horizon: must be a whole number of periods of at least 1, got 0" in problems[0]
    assert "ds: 1 row(s) have a missing or unreadable date (rows 6: not a date)" in text
    assert "y: 1 value(s) are not numbers (rows 5: 'lots')" in text
    assert "y: 1 row(s) have no value (rows 7)" in text
    assert "y: 1 negative demand value(s) (rows 4)" in text
    assert "unique_id, ds: 1 duplicate row(s) for 1 (series, date) pair(s) (a 2024-01-01)" in text


def test_missing_columns_and_unknown_frequency():
    problems = _problems(pd.DataFrame({"id": ["a"], "ds": ["2024-01-01"]}), freq="fortnightly")
    assert problems[0].startswith("freq: unknown frequency alias 'fortnightly'")
    assert problems[1] == "columns: missing unique_id, y; the input must be long format unique_id, ds, y"


def test_dates_off_the_frequency_calendar():
    frame = _frame([["a", "2024-01-01", 1], ["a", "2024-02-15", 2]])
    (problem,) = _problems(frame, freq="MS")
    assert problem.startswith("ds: 1 date(s) are not on the 'MS' calendar (2024-02-15)")


def test_gaps_are_filled_with_zero_and_counted_per_series():
    frame = _frame([["a", "2024-01-01", 5], ["a", "2024-01-04", 6], ["b", "2024-01-01", 1], ["b", "2024-01-02", 2]])
    tidy, report = validate_history(frame, 7, "D")
    assert tidy[tidy["unique_id"] == "a"]["y"].tolist() == [5.0, 0.0, 0.0, 6.0]
    assert report.gaps_filled == {"a": 2}
    assert report.gap_rule == GAP_RULE
    assert report.notes == [f"2 missing date(s) in 1 series filled with 0 ({GAP_RULE})"]
    assert len(tidy) == 6  # nothing dropped: 4 input rows + 2 filled


def test_explicit_choices_for_duplicates_and_negatives_are_reported():
    frame = _frame([["a", "2024-01-01", 3], ["a", "2024-01-01", 4], ["a", "2024-01-02", -1]])
    tidy, report = validate_history(frame, 7, "D", duplicates="sum", negatives="clip")
    assert tidy["y"].tolist() == [7.0, 0.0]
    assert report.duplicates_summed == 1 and report.negatives_clipped == 1
    assert any("negative value(s) set to 0" in n for n in report.notes)


def test_demand_classes_by_adi_and_cv2():
    """Syntetos, Boylan & Croston (2005) cut-offs ADI 1.32, CV² 0.49, worked by hand.

    intermittent: 8 periods, 3 demands -> ADI 2.67; sizes 3, 5, 4 -> CV² = (0.8165 / 4)² = 0.042.
    lumpy: ADI 4; sizes 1, 20 -> mean 10.5, sd 9.5, CV² 0.819. smooth: ADI 1, CV² (1/11)² = 0.008.
    erratic: ADI 1, sizes 1, 20 -> CV² 0.819.
    """
    series = {
        "smooth": [10, 12] * 4, "erratic": [1, 20] * 4, "intermittent": [0, 3, 0, 0, 5, 0, 4, 0],
        "lumpy": [0, 0, 1, 0, 0, 20, 0, 0], "zero": [0] * 8, "new": [4, 5],
    }
    rows = [(k, d, v) for k, ys in series.items() for d, v in zip(pd.date_range("2024-01-01", periods=len(ys)), ys,
                                                                     strict=True)]
    classes = classify_demand(_frame(rows).astype({"y": float}), min_length=5).set_index("unique_id")
    assert classes["demand_class"].to_dict() == {k: k for k in series}
    assert classes.loc["intermittent", "adi"] == pytest.approx(8 / 3)
    assert classes.loc["intermittent", "cv2"] == pytest.approx(0.0417, abs=1e-4)
    assert classes.loc["lumpy", "cv2"] == pytest.approx((9.5 / 10.5) ** 2)


def test_polars_input_and_bad_options_are_accepted_or_named():
    import polars as pl

    from qudao.engines.forecast import ForecastOptions, run_forecast

    frame = pl.DataFrame({"unique_id": ["a", "a"], "ds": ["2024-01-01", "2024-01-03"], "y": [1.0, 2.0]})
    tidy, report = validate_history(frame, 7, "D")
    assert tidy["y"].tolist() == [1.0, 0.0, 2.0] and report.gaps_filled == {"a": 1}
    with pytest.raises(ForecastInputError) as info:
        run_forecast(frame, 7, "D", season_length=0, options=ForecastOptions(profile="huge", duplicates="keep"))
    assert info.value.problems == [
        "options.profile: must be 'fast' or 'full', got 'huge'",
        "options.duplicates: must be 'error' or 'sum', got 'keep'",
        "season_length: must be a whole number of at least 1, got 0",
    ]


def test_the_engine_imports_no_database_web_or_area_code():
    import subprocess
    import sys

    code = ("import sys, qudao.engines.forecast; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'fastapi') "
            "or (m.startswith('qudao.') and not m.startswith('qudao.engines'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
