"""Planning through the API (202 + run id, background execution) and the CLI, on the hand-worked network of
test_planning_run."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from qudao.config import Settings
from tests import factories
from tests.cli import run_cli
from tests.integration.test_planning_run import START, seed, week

BODY = {"start": START.isoformat(), "horizon": 6, "history_days": 28}


def test_run_through_the_api_then_approve(client: TestClient, session: Session, settings: Settings) -> None:
    seed(session)
    planner = factories.user(session, "planner")
    viewer = factories.user(session, "viewer")
    session.commit()
    h = factories.headers(settings, planner)
    accepted = client.post("/api/v1/planning-runs", json=BODY, headers=h)
    assert accepted.status_code == 202, accepted.text
    run_id = accepted.json()["id"]
    assert accepted.headers["location"] == f"/api/v1/planning-runs/{run_id}"
    run = client.get(f"/api/v1/planning-runs/{run_id}", headers=h).json()
    assert (run["status"], run["progress"], run["summary"]["proposals"]) == ("succeeded", 1.0, 10)

    page = client.get("/api/v1/planning-proposals", params={"run_id": run_id, "kind": "transfer",
                                                            "location": "PL-D1", "page_size": 3}, headers=h).json()
    assert page["total"] == 4 and [p["due_date"] for p in page["items"]] == [week(t).isoformat() for t in (2, 3, 4)]
    late = client.get("/api/v1/planning-proposals", params={"past_due": "true"}, headers=h).json()
    assert [(p["kind"], p["supplier_code"], p["quantity"]) for p in late["items"]] == [
        ("purchase", "PL-SUP", "30.0000")]

    exceptions = client.get(f"/api/v1/planning-runs/{run_id}/exceptions", headers=h).json()
    assert [e["kind"] for e in exceptions][:2] == ["shortage", "late"]
    chart = client.get(f"/api/v1/planning-runs/{run_id}/projection", params={"sku": "PL-TEA", "location": "PL-D1"},
                       headers=h).json()
    assert chart["projected"] == [15.0, 5.0, 5.0, 5.0, 5.0, 5.0] and chart["planned"] == [0, 0, 10, 10, 10, 10]
    missing = client.get(f"/api/v1/planning-runs/{run_id}/projection", params={"sku": "NOPE", "location": "PL-D1"},
                         headers=h)
    assert missing.status_code == 404

    pegs = client.get(f"/api/v1/planning-proposals/{page['items'][0]['id']}/pegs", headers=h).json()
    assert [(p["demand_kind"], p["demand_ref"], p["quantity"]) for p in pegs] == [
        ("forecast", "2", "5.0000"), ("forecast", "3", "5.0000")]

    ids = [p["id"] for p in page["items"]]
    refused = client.post("/api/v1/planning-proposals/approve", json={"ids": ids},
                          headers=factories.headers(settings, viewer))
    assert refused.status_code == 403
    done = client.post("/api/v1/planning-proposals/approve", json={"ids": ids}, headers=h)
    assert done.status_code == 200, done.text
    assert done.json()["proposals"] == 3 and all(c.startswith("TR-") for c in done.json()["orders"])
    again = client.post("/api/v1/planning-proposals/reject", json={"ids": ids[:1]}, headers=h)
    assert again.status_code == 409
    unknown = client.post("/api/v1/planning-proposals/approve", json={"ids": [999_999_999_999]}, headers=h)
    assert unknown.status_code == 404


def test_failed_run_reports_the_item(client: TestClient, session: Session, settings: Settings) -> None:
    seed(session)
    planner = factories.user(session, "planner")
    session.commit()
    h = factories.headers(settings, planner)
    bad = client.put("/api/v1/planning-parameters", headers=h,
                     json=[{"sku": "PL-TEA", "location_code": "PL-D1", "service_level": 0}])
    assert bad.status_code == 200
    run_id = client.post("/api/v1/planning-runs", json=BODY, headers=h).json()["id"]
    run = client.get(f"/api/v1/planning-runs/{run_id}", headers=h).json()
    assert run["status"] == "failed" and "PL-TEA@PL-D1" in run["error"] and "service_level" in run["error"]
    assert client.get("/api/v1/planning-proposals", params={"run_id": run_id}, headers=h).json()["total"] == 0


def test_cli_plan_run_and_approve(cli_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qudao.cli.context import session_factory
    from qudao.db import unit_of_work

    with unit_of_work(session_factory()) as session:
        seed(session)
    code, out = run_cli("plan", "run", "--start", START.isoformat(), "--horizon", "6", "--history-days", "28")
    assert code == 0, out
    assert "10 proposals" in out and "1 past due" in out
    code, out = run_cli("plan", "exceptions")
    assert code == 0 and "shortage" in out
    code, out = run_cli("plan", "approve", "--all", "--kind", "purchase")
    assert code == 0 and "approved 1 proposals; created 1 documents: PO-" in out, out
    code, out = run_cli("plan", "approve")
    assert code == 2 and "--all" in out
