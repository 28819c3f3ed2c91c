"""``qudao forecast run`` and ``qudao forecast accuracy`` against a migrated SQLite file."""

from __future__ import annotations

from datetime import timedelta

from qudao.cli import context
from qudao.db import unit_of_work
from tests.cli import run_cli
from tests.integration.test_forecast_runs import START, seed_history


def test_forecast_run_then_accuracy(cli_db: str) -> None:
    with unit_of_work(context.session_factory()) as session:
        seed_history(session, prefix="FC")
    code, out = run_cli("forecast", "run", "--grain", "day", "--horizon", "7", "--jobs", "1",
                        "--history-end", str(START + timedelta(days=62)))
    assert code == 0, out
    assert "succeeded: 3 series, 21 values" in out and "smooth 2" in out and "intermittent 1" in out
    assert "stockout days treated as missing demand: 2" in out and "no events learnt" in out
    code, out = run_cli("forecast", "accuracy", "1")
    assert code == 0, out
    assert "accuracy through" in out and "smooth" in out and "all" in out


def test_forecast_run_refuses_bad_options_and_reports_a_failed_run(cli_db: str) -> None:
    code, out = run_cli("forecast", "run", "--grain", "month", "--horizon", "40")
    assert code == 2 and "horizon" in out
    code, out = run_cli("forecast", "run", "--grain", "decade")
    assert code == 2 and "grain" in out
    code, out = run_cli("forecast", "run", "--grain", "day", "--horizon", "3")
    assert code == 1 and "failed" in out and "no demand history" in out
    code, out = run_cli("forecast", "accuracy", "1")
    assert code == 2 and "only a succeeded run can be measured" in out
