"""The planner's page through a TestClient on the hand-worked network of test_planning_run: a run started
from the page, exceptions first, the projected inventory of PL-TEA at PL-D1, approving two proposals (one
edited on the page) into transfers, the pegging drill-down, a viewer refused, the fair share of scarce supply,
and odd inputs answered with 4xx pages naming the field, never a 5xx."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.config import Settings
from qudao.planning.models import PlanningProposal, PlanningRun
from qudao.purchasing.models import Transfer, TransferLine
from tests import factories
from tests.integration import test_planning_allocation as scarce
from tests.integration.test_planning_run import START, seed, week
from tests.integration.test_web_pages import csrf, sign_in

CHART = re.compile(r'<script type="application/json" id="chart-data">(.*?)</script>', re.S)
ROW = re.compile(r'<tr data-proposal="(\d+)" data-status="(\w+)"')
RUN_FORM = {"start": START.isoformat(), "horizon": "6", "history_days": "28"}


def _planned(client: TestClient, settings: Settings, session: Session, form: dict[str, str] | None = None) -> str:
    """Sign in a planner, start a run from the page (it executes right after the response), return a token."""
    planner = factories.user(session, "planner")
    session.commit()
    sign_in(client, settings, planner)
    token = csrf(client, "/planning")
    started = client.post("/planning/runs", data={"csrf_token": token, **(form or RUN_FORM)},
                          follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"] == "/planning", started.text
    return token


def test_run_exceptions_chart_approve_and_pegs(client: TestClient, session: Session, settings: Settings) -> None:
    seed(session)
    viewer = factories.user(session, "viewer")
    session.commit()
    sign_in(client, settings, viewer)
    empty = client.get("/planning")
    assert empty.status_code == 200 and 'data-testid="no-run"' in empty.text
    assert 'data-testid="start-run"' not in empty.text
    forged = client.post("/planning/runs", data={"csrf_token": csrf(client, "/planning"), **RUN_FORM})
    assert forged.status_code == 403 and 'data-testid="no-run"' not in forged.text

    token = _planned(client, settings, session)
    runs = client.get("/planning/runs", headers={"HX-Request": "true"}).text
    assert 'data-status="succeeded"' in runs and 'data-active="false"' in runs
    page = client.get("/planning")
    assert page.status_code == 200
    # Exceptions first: the plant's shortage of 20 in week 1, then the late purchase of 30.
    kinds = re.findall(r'<tr data-kind="(\w+)">', page.text)
    assert kinds[:2] == ["shortage", "late"]
    # The chart of D1: 25 on hand, 10 a week, receipts of 10 from week 2 keep 5 (the safety stock).
    d1 = client.get("/planning", params={"sku": "PL-TEA", "loc": "PL-D1"})
    chart = json.loads(CHART.search(d1.text).group(1))
    assert chart["projected"] == [15.0, 5.0, 5.0, 5.0, 5.0, 5.0]
    assert chart["planned"] == [0, 0, 10, 10, 10, 10] and chart["safety_stock"] == [5.0] * 6
    assert chart["dates"][0] == START.isoformat()
    assert 'data-testid="no-chart"' in client.get("/planning", params={"sku": "NOPE", "loc": "PL-D1"}).text
    only_late = client.get("/planning", params={"ex_kind": "late"}).text
    assert set(re.findall(r'<tr data-kind="(\w+)">', only_late)) == {"late"}

    shown = client.get("/planning", params={"p_kind": "transfer", "p_loc": "PL-D1", "p_sku": "PL-TEA"}).text
    ids = [int(i) for i, status in ROW.findall(shown) if status == "proposed"]
    assert len(ids) == 4  # D1's transfers of 10 due in weeks 2..5, by release date
    first, second = ids[:2]

    # What the first serves: half of week 2's forecast and week 3's (25 on hand covers the rest).
    pegs = client.get(f"/planning/proposals/{first}/pegs", headers={"HX-Request": "true"})
    assert pegs.status_code == 200 and pegs.text.count("Forecast bucket") == 2

    # A viewer sees the table but no decision buttons, and a forged post is refused without a change.
    sign_in(client, settings, viewer)
    assert 'data-testid="approve"' not in client.get("/planning").text
    refused = client.post("/planning/proposals", data={"csrf_token": token, "action": "approve",
                                                       "ids": [str(first)]})
    assert refused.status_code == 403
    assert session.get(PlanningProposal, first).status == "proposed"

    planner = factories.user(session, "planner", username="planner-2")
    session.commit()
    sign_in(client, settings, planner)
    done = client.post("/planning/proposals", follow_redirects=False, data={
        "csrf_token": token, "action": "approve", "ids": [str(first), str(second)], "p_kind": "transfer",
        f"qty-{first}": "12", f"orig-qty-{first}": "10.00", f"due-{first}": week(2).isoformat(),
        f"orig-due-{first}": week(2).isoformat()})
    assert done.status_code == 303, done.text
    result = client.get(done.headers["location"])
    assert "Approved 2 proposals." in result.text and "(1 edited before approval.)" in result.text
    codes = re.findall(r'<code data-testid="order-code">([^<]+)</code>', result.text)
    assert len(codes) == 2 and all(c.startswith("TR-") for c in codes)
    session.expire_all()
    lines = session.execute(select(Transfer.code, Transfer.expected_date, TransferLine.quantity)
                            .join(TransferLine, TransferLine.transfer_id == Transfer.id)
                            .where(Transfer.code.in_(codes)).order_by(Transfer.expected_date)).all()
    assert [(d, q) for _, d, q in lines] == [(week(2), Decimal(12)), (week(3), Decimal(10))]
    assert {session.get(PlanningProposal, i).status for i in (first, second)} == {"approved"}
    # Deciding them again is a conflict shown on the page.
    again = client.post("/planning/proposals", data={"csrf_token": token, "action": "reject", "ids": [str(first)]})
    assert again.status_code == 409 and "already approved" in again.text


def test_scarce_supply_shows_each_locations_shortfall(client: TestClient, session: Session,
                                                      settings: Settings) -> None:
    scarce.seed(session)
    _planned(client, settings, session, {"start": START.isoformat(), "horizon": "4", "history_days": "28",
                                         "allocation_policy": "priority"})
    page = client.get("/planning").text
    rows = re.findall(r'<tr data-to="([\w-]+)"><td>AL-X</td><td>AL-DC</td>.*?data-testid="shortfall">(.*?)</td>',
                      page, re.S)
    assert [(to, re.sub(r"<.*?>", "", cell)) for to, cell in rows] == [("AL-D2", "60.00"), ("AL-D1", "30.00")]


def test_bad_run_options_are_named_beside_the_field(client: TestClient, session: Session,
                                                    settings: Settings) -> None:
    planner = factories.user(session, "planner")
    session.commit()
    sign_in(client, settings, planner)
    token = csrf(client, "/planning")
    for form, field in [({"horizon": "500"}, "horizon"), ({"horizon": "abc"}, "horizon"),
                        ({"start": "2026-13-01"}, "start"), ({"min_service": "2"}, "min_service"),
                        ({"bucket": "month"}, "bucket"), ({"allocation_policy": "coin"}, "allocation_policy"),
                        ({"history_days": "-1"}, "history_days")]:
        response = client.post("/planning/runs", data={"csrf_token": token, **form})
        assert response.status_code == 422 and f'data-testid="error-{field}"' in response.text, form
        assert f'value="{form[field]}"' in response.text or field in ("bucket", "allocation_policy")
    assert 'data-testid="no-run"' in client.get("/planning").text  # nothing was queued


def test_odd_inputs_never_5xx(client: TestClient, session: Session, settings: Settings) -> None:
    seed(session)
    token = _planned(client, settings, session)
    ids = [int(i) for i, _ in ROW.findall(client.get("/planning", params={"p_kind": "transfer"}).text)]
    pid = ids[0]
    release = session.get(PlanningProposal, pid).release_date
    for params, status in [({"run": "abc"}, 422), ({"run": "0"}, 422), ({"run": "999999999"}, 404),
                           ({"ex_kind": "bogus"}, 422), ({"p_page": "0"}, 422), ({"p_status": "x"}, 422),
                           ({"sku": "a\x00b"}, 422), ({"sku": "x" * 41}, 422), ({"p_page": "999"}, 200),
                           ({"decided": "approved", "orders": "<b>x</b>"}, 200)]:
        got = client.get("/planning", params=params)
        assert got.status_code == status, (params, got.status_code)
        assert "<b>x</b>" not in got.text
    for path, status in [(f"/planning/proposals/{10**20}/pegs", 422), ("/planning/proposals/abc/pegs", 422),
                         ("/planning/proposals/999999/pegs", 404)]:
        assert client.get(path).status_code == status, path
    posts: list[tuple[dict[str, object], int, str | None]] = [
        ({"action": "bogus", "ids": [str(pid)]}, 422, None),
        ({"action": "approve"}, 422, "error-ids"),
        ({"action": "approve", "ids": ["abc"]}, 422, "error-ids"),
        ({"action": "approve", "ids": [str(10**25)]}, 422, "error-ids"),
        ({"action": "approve", "ids": ["999999"]}, 404, None),
        ({"action": "change"}, 422, "error-ids"),
        ({"action": "change", f"qty-{pid}": "-5", f"orig-qty-{pid}": "1"}, 422, f"error-qty-{pid}"),
        ({"action": "change", f"qty-{pid}": "abc", f"orig-qty-{pid}": "1"}, 422, f"error-qty-{pid}"),
        ({"action": "change", f"qty-{pid}": "0", f"orig-qty-{pid}": "1"}, 422, f"error-qty-{pid}"),
        ({"action": "change", f"due-{pid}": "2026-02-30", f"orig-due-{pid}": "x"}, 422, f"error-due-{pid}"),
        ({"action": "change", f"due-{pid}": (release.replace(year=release.year - 1)).isoformat()}, 422,
         f"error-due-{pid}"),
        ({"action": "change", "qty-x1": "3"}, 422, None),
        ({"action": "reject", "ids": [str(pid)], "reason": "r" * 301}, 422, "error-reason"),
        ({"action": "approve", "ids": [str(pid)], "run": "abc", "p_page": "-3", "p_kind": "nope"}, 303, None),
    ]
    for data, status, marker in posts:
        got = client.post("/planning/proposals", data={"csrf_token": token, **data}, follow_redirects=False)
        assert got.status_code == status, (data, got.status_code, got.text[:300])
        if marker:
            assert f'data-testid="{marker}"' in got.text, (data, marker)
    assert client.post("/planning/proposals", data={"action": "approve", "ids": [str(ids[1])]}).status_code == 403
    # The refused changes left the proposal as planned; the last post approved it.
    session.expire_all()
    assert session.get(PlanningProposal, pid).status == "approved"
    assert session.get(PlanningProposal, ids[1]).status == "proposed"


def test_runs_fragment_polls_a_running_run_then_asks_for_a_reload(client: TestClient, session: Session,
                                                                   settings: Settings) -> None:
    viewer = factories.user(session, "viewer")
    session.add(PlanningRun(status="running", progress=0.4, step="net", bucket="week", horizon=6, start_date=START,
                            options={}, summary={}, created_by="someone"))
    session.commit()
    sign_in(client, settings, viewer)
    polled = client.get("/planning/runs", params={"watch": "1"}, headers={"HX-Request": "true"})
    assert polled.status_code == 200 and 'data-active="true"' in polled.text and "40% net" in polled.text
    assert 'hx-get="/planning/runs?watch=1"' in polled.text
    page = client.get("/planning")
    assert 'data-testid="no-run"' in page.text  # nothing has succeeded yet
    run = session.scalar(select(PlanningRun))
    run.status, run.progress, run.step = "succeeded", 1.0, "done"
    session.commit()
    finished = client.get("/planning/runs", params={"watch": "1"}, headers={"HX-Request": "true"})
    assert finished.headers.get("hx-refresh") == "true"
    assert 'data-active="false"' in client.get("/planning/runs", headers={"HX-Request": "true"}).text
