"""``qudao suppliers``: refresh, list and lead times from the command line on the hand-worked case."""

from __future__ import annotations

from qudao.cli import context
from qudao.db import unit_of_work
from tests.cli import run_cli as run
from tests.integration.test_supplier_scorecards import hand_worked_case


def test_refresh_list_and_lead_times(cli_db: str) -> None:
    with unit_of_work(context.session_factory()) as session:
        hand_worked_case(session)
    code, out = run("suppliers", "refresh")
    assert code == 0 and "1 supplier(s)" in out
    code, out = run("suppliers", "list")
    assert code == 0 and "SC-SUP" in out and "76.33" in out and "preferred" in out, out
    code, out = run("suppliers", "lead-times", "--sku", "SC-RICE")
    assert code == 0 and "12.00" in out and "3.00" in out
    code, out = run("suppliers", "refresh", "--as-of", "2026-13-01")
    assert code == 2 and "--as-of" in out
