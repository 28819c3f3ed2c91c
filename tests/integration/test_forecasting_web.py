"""The forecasting page through a TestClient: start a run (CSRF-checked), the chart data, measuring accuracy,
option errors shown on the page, and a partner's view."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from tests import factories
from tests.integration.test_forecast_runs import PATTERN, seed_history
from tests.integration.test_web_pages import csrf, sign_in

CHART = re.compile(r'<script type="application/json" id="chart-data">(.*?)</script>', re.S)


def test_start_a_run_see_the_chart_and_measure(client: TestClient, session, settings) -> None:  # type: ignore[no-untyped-def]
    seed = seed_history(session, prefix="FW")
    planner = factories.user(session, "planner")
    sign_in(client, settings, planner)
    page = client.get("/forecasting")
    assert page.status_code == 200 and "Start a forecast run" in page.text and "No forecast runs yet" in page.text
    assert client.post("/forecasting/runs", data={"grain": "day", "horizon": "7"}).status_code == 403
    token = csrf(client, "/forecasting")
    bad = client.post("/forecasting/runs", data={"csrf_token": token, "grain": "day", "horizon": "500"})
    assert bad.status_code == 422 and "horizon" in bad.text
    started = client.post("/forecasting/runs", data={"csrf_token": token, "grain": "day", "horizon": "7"},
                          follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"] == "/forecasting?grain=day"
    # The test database shares one connection, so the run executed inline after the response.
    runs = client.get("/forecasting/runs", headers={"HX-Request": "true"}).text
    assert 'data-status="succeeded"' in runs and 'data-active="false"' in runs
    shown = client.get("/forecasting", params={"grain": "day", "sku": "FW-SEASONAL", "location": "FW-L-EAST"})
    chart = json.loads(CHART.search(shown.text).group(1))
    assert [round(v) for v in chart["forecast"][-7:]] == PATTERN and chart["series"] == 1
    assert chart["history"][0] == PATTERN[0] and len(chart["dates"]) == 70 + 7
    run_id = chart["run_id"]
    # No actuals after the history yet: the page says so instead of failing.
    early = client.post(f"/forecasting/runs/{run_id}/accuracy", data={"csrf_token": token})
    assert early.status_code == 409 and "no actuals yet" in early.text
    assert seed["east"].code == "FW-EAST"


def test_partner_sees_its_own_series_only_and_no_start_form(client: TestClient, session, settings) -> None:  # type: ignore[no-untyped-def]
    seed = seed_history(session, prefix="FP")
    planner = factories.user(session, "planner")
    sign_in(client, settings, planner)
    token = csrf(client, "/forecasting")
    client.post("/forecasting/runs", data={"csrf_token": token, "grain": "day", "horizon": "3"})
    partner = factories.user(session, "partner", partner_code=seed["east"].code)
    sign_in(client, settings, partner)
    page = client.get("/forecasting", params={"grain": "day", "sku": "FP-SEASONAL"})
    assert page.status_code == 200 and "Start a forecast run" not in page.text
    chart = json.loads(CHART.search(page.text).group(1))
    assert chart["series"] == 1  # the east location only, not the west one
    other = client.get("/forecasting", params={"grain": "day", "sku": "FP-SEASONAL", "location": "FP-L-WEST"})
    assert "No forecast for this selection yet" in other.text
    assert client.get("/forecasting", params={"grain": "decade"}).status_code == 422
