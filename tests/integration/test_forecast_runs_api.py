"""Forecast runs over HTTP: 202 with a Location, the run executing in a background thread with its own
sessions (a committed database, not the rolled-back test transaction), polled to succeeded; values, the
latest forecast, accuracy; partner isolation; a failed run's error. Both databases."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qudao import migrate
from qudao.api.app import create_app
from qudao.config import Settings
from qudao.db import unit_of_work
from tests import factories
from tests.integration.test_forecast_runs import START, seed_history

API = "/api/v1"


@pytest.fixture(scope="module")
def live(backend: str, fresh_database_url, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    url = fresh_database_url(backend)
    migrate.upgrade(url)
    settings = Settings(database_url=url, secret_key="forecast-api-secret-0123456789-0123456789",
                        state_dir=tmp_path_factory.mktemp("fc-api"))
    app = create_app(settings)
    factory = app.state.session_factory
    with unit_of_work(factory) as session:
        seed = seed_history(session, prefix="FA")
        planner = factories.user(session, "planner", username="fa-planner")
        partner = factories.user(session, "partner", partner_code=seed["east"].code, username="fa-east")
        headers = {"planner": factories.headers(settings, planner), "partner": factories.headers(settings, partner)}
    with TestClient(app, raise_server_exceptions=False) as client:
        yield {"client": client, "headers": headers}
    factory.kw["bind"].dispose()


def wait_for(client: TestClient, location: str, headers: dict[str, str]) -> dict[str, Any]:
    """Poll the run until it has finished (the bound only stops a hung test; it asserts nothing about time)."""
    deadline = time.monotonic() + 120
    seen = []
    while time.monotonic() < deadline:
        run = client.get(location, headers=headers).json()
        seen.append(run["progress"])
        if run["status"] in ("succeeded", "failed"):
            assert seen == sorted(seen)
            return run
        time.sleep(0.1)
    raise AssertionError(f"run still {run['status']} at {run['progress']}")


def test_post_returns_202_and_the_run_succeeds_in_the_background(live: dict[str, Any]) -> None:
    client, h = live["client"], live["headers"]["planner"]
    response = client.post(f"{API}/forecast-runs", json={"grain": "day", "horizon": 7,
                                                         "history_end": str(START + timedelta(days=55))}, headers=h)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "queued" and response.headers["Location"] == f"{API}/forecast-runs/{body['id']}"
    run = wait_for(client, response.headers["Location"], h)
    assert run["status"] == "succeeded", run["error"]
    assert run["progress"] == 1.0 and run["summary"]["series"] == 3 and run["summary"]["values"] == 21

    values = client.get(f"{API}/forecast-runs/{body['id']}/values", params={"sku": "FA-SEASONAL", "page_size": 7,
                                                                          "location": "FA-L-EAST"}, headers=h).json()
    assert values["total"] == 7 and values["items"][0]["ds"] == str(START + timedelta(days=56))
    assert [round(v["forecast"]) for v in values["items"]] == [10, 12, 14, 16, 18, 30, 40]

    latest = client.get(f"{API}/forecasts", params={"sku": "FA-SEASONAL", "location": "FA-L-EAST", "grain": "day",
                                                    "history": "true"}, headers=h).json()
    assert latest["run_id"] == body["id"] and latest["series"] == 1 and len(latest["history"]) == 56

    measured = client.post(f"{API}/forecast-runs/{body['id']}/accuracy", headers=h)
    assert measured.status_code == 200, measured.text
    assert measured.json()["series"] == 3
    accuracy = client.get(f"{API}/forecast-runs/{body['id']}/accuracy", headers=h).json()
    seasonal = next(r for r in accuracy["items"] if r["sku"] == "FA-SEASONAL" and r["location_code"] == "FA-L-EAST")
    assert seasonal["wape"] == pytest.approx(0.0, abs=0.02) and seasonal["periods"] == 7
    trend = client.get(f"{API}/forecast-accuracy", params={"by": "channel"}, headers=h).json()
    assert trend[-1]["run_id"] == body["id"] and trend[-1]["group"] == "FA-CH"
    listed = client.get(f"{API}/forecast-runs", params={"status": "succeeded"}, headers=h).json()
    assert body["id"] in [r["id"] for r in listed["items"]]


def test_partner_sees_only_its_locations_and_cannot_start_runs(live: dict[str, Any]) -> None:
    client, h = live["client"], live["headers"]
    response = client.post(f"{API}/forecast-runs", json={"grain": "day", "horizon": 3}, headers=h["planner"])
    run = wait_for(client, response.headers["Location"], h["planner"])
    assert run["status"] == "succeeded", run["error"]
    values = client.get(f"{API}/forecast-runs/{run['id']}/values", headers=h["partner"]).json()
    assert values["total"] == 2 * 3 and {v["location_code"] for v in values["items"]} == {"FA-L-EAST"}
    other = client.get(f"{API}/forecasts", params={"sku": "FA-SEASONAL", "location": "FA-L-WEST", "grain": "day"},
                       headers=h["partner"])
    assert other.status_code == 404
    mine = client.get(f"{API}/forecasts", params={"sku": "FA-SEASONAL", "grain": "day"}, headers=h["partner"])
    assert mine.status_code == 200 and mine.json()["series"] == 1
    refused = client.post(f"{API}/forecast-runs", json={"grain": "day", "horizon": 3}, headers=h["partner"])
    assert refused.status_code == 403


def test_bad_options_are_422_and_a_failed_run_records_its_error(live: dict[str, Any]) -> None:
    client, h = live["client"], live["headers"]["planner"]
    bad = client.post(f"{API}/forecast-runs", json={"grain": "month", "horizon": 40}, headers=h)
    assert bad.status_code == 422 and "horizon" in bad.text
    unknown = client.post(f"{API}/forecast-runs", json={"skus": ["NOPE"]}, headers=h)
    assert unknown.status_code == 422 and "skus[0]" in unknown.text
    response = client.post(f"{API}/forecast-runs", json={"grain": "day", "horizon": 7,
                                                         "history_end": "2020-01-31"}, headers=h)
    assert response.status_code == 202
    run = wait_for(client, response.headers["Location"], h)
    assert run["status"] == "failed" and "no demand history" in run["error"]
    assert client.get(f"{API}/forecast-runs/999999", headers=h).status_code == 404
