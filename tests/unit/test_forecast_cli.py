"""``qudao forecast file`` end to end on small CSV files written here."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from qudao.cli.main import app

COLUMNS = "unique_id,ds,forecast,lo_80,hi_80,lo_95,hi_95,model"


def _history_csv(path, drop_day: int | None = None):
    days = pd.date_range("2024-01-01", periods=84, freq="D")
    week = np.array([5, 6, 7, 8, 12, 15, 9], dtype=float)
    frames = [pd.DataFrame({"unique_id": "north", "ds": days, "y": np.tile(week, 12)}),
              pd.DataFrame({"unique_id": "south", "ds": days, "y": np.tile(week * 2, 12)})]
    frame = pd.concat(frames, ignore_index=True)
    if drop_day is not None:
        frame = frame.drop(index=frame.index[drop_day])
    frame.assign(ds=frame["ds"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)


def test_forecast_file_writes_one_row_per_series_and_date(tmp_path):
    src, out = tmp_path / "history.csv", tmp_path / "forecast.csv"
    _history_csv(src, drop_day=10)
    result = CliRunner().invoke(app, ["forecast", "file", "--input", str(src), "--horizon", "7", "--freq", "D",
                                      "--output", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == COLUMNS
    written = pd.read_csv(out)
    assert len(written) == 2 * 7
    assert written.groupby("unique_id")["ds"].apply(list).to_dict() == {
        uid: [f"2024-03-{d:02d}" for d in range(25, 32)] for uid in ("north", "south")
    }
    assert "1 missing date(s) in 1 series filled with 0" in result.output
    assert "north: 1 period(s) filled with 0" in result.output


def test_forecast_file_reports_each_problem_and_exits_2(tmp_path):
    src = tmp_path / "bad.csv"
    src.write_text("unique_id,ds,y\na,2024-01-01,3\na,2024-01-01,4\na,2024-01-02,-1\na,2024-01-03,x\n")
    result = CliRunner().invoke(app, ["forecast", "file", "--input", str(src), "--horizon", "0", "--freq", "D",
                                      "--output", str(tmp_path / "out.csv")])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    for expected in ("horizon: must be a whole number of periods of at least 1, got 0",
                     "y: 1 value(s) are not numbers (rows 5: 'x')",
                     "y: 1 negative demand value(s) (rows 4)",
                     "unique_id, ds: 1 duplicate row(s)"):
        assert expected in text
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.csv").exists()


def test_forecast_file_missing_input(tmp_path):
    result = CliRunner().invoke(app, ["forecast", "file", "--input", str(tmp_path / "nope.csv"), "--horizon", "7",
                                      "--freq", "D", "--output", str(tmp_path / "out.csv")])
    assert result.exit_code == 2
    assert "file not found" in result.output
