"""CPFR over HTTP (both DBs): partner forecast versions, comparison with the statistical forecast and its
exception thresholds on hand-worked numbers, overrides with their audit, partner isolation, file refusals,
and the consensus plan planning reads."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import insert, select

from qudao.audit.models import AuditRecord
from qudao.cpfr.queries import consensus_plan
from qudao.db import utcnow
from qudao.forecasting.models import ForecastRun, ForecastValue
from tests import factories

API = "/api/v1"
TODAY = utcnow().date()
MONDAY = TODAY + timedelta(days=7 - TODAY.weekday())  # next week's Monday: every line is in the future
MONTH = (MONDAY.replace(day=1) + timedelta(days=32)).replace(day=1)  # the month after next week's month
MONTH_DAYS = ((MONTH + timedelta(days=32)).replace(day=1) - MONTH).days


def seed_run(session, net, product, *, grain: str, per_value: float, starts: date, periods: int,  # type: ignore[no-untyped-def]
             status: str = "succeeded") -> int:
    run = ForecastRun(status=status, grain=grain, horizon=periods, scope={}, requested_by="test")
    session.add(run)
    session.flush()
    step = 7 if grain == "week" else 1
    session.execute(insert(ForecastValue), [
        {"run_id": run.id, "product_id": product.id, "location_id": net.wh.id, "channel_id": net.channel.id,
         "ds": starts + timedelta(days=step * i), "forecast": per_value, "lo_80": 0.0, "hi_80": 2 * per_value,
         "lo_95": 0.0, "hi_95": 3 * per_value, "model": "test"} for i in range(periods)])
    return run.id


@pytest.fixture
def net(session):  # type: ignore[no-untyped-def]
    class Net:
        channel = factories.channel(session)
        mine = factories.partner(session)
        other = factories.partner(session)
        wh = factories.location(session, kind="partner_warehouse", owner_partner_code=mine.code)
        other_wh = factories.location(session, kind="partner_warehouse", owner_partner_code=other.code)
        brand_dc = factories.location(session)
        category = factories.category(session)
        tea = factories.product(session, category_code=category.code)
        cup = factories.product(session, category_code=category.code)
        jar = factories.product(session, category_code=category.code)
        planner = factories.user(session, role="planner")
        partner_user = factories.user(session, role="partner", partner_code=mine.code)
        other_user = factories.user(session, role="partner", partner_code=other.code)

    # tea: an older run at 5/day, the newest succeeded one at 10/day (70 a week), a newer failed one ignored.
    seed_run(session, Net, Net.tea, grain="day", per_value=5.0, starts=MONDAY, periods=28)
    seed_run(session, Net, Net.tea, grain="day", per_value=10.0, starts=MONDAY, periods=28)
    seed_run(session, Net, Net.tea, grain="day", per_value=99.0, starts=MONDAY, periods=28, status="failed")
    # jar: weekly values of 70 (10 a day) from the Monday on or before MONTH, six weeks: the month is covered.
    seed_run(session, Net, Net.jar, grain="week", per_value=70.0, starts=MONTH - timedelta(days=MONTH.weekday()),
             periods=6)
    return Net


def line(net, period: date = MONDAY, quantity: str = "100", sku: str | None = None,  # type: ignore[no-untyped-def]
         location: str | None = None, grain: str = "week") -> dict[str, str]:
    return {"sku": sku or net.tea.sku, "location_code": location or net.wh.code, "channel_code": net.channel.code,
            "grain": grain, "period_start": period.isoformat(), "quantity": quantity}


def submit_standard(client: TestClient, settings, net) -> dict:  # type: ignore[no-untyped-def]
    r = client.post(f"{API}/partner-forecasts", headers=factories.headers(settings, net.partner_user), json={"rows": [
        line(net, MONDAY, "100"),                          # statistical 70: gap 30 = 42.9 % -> exception
        line(net, MONDAY + timedelta(days=7), "79"),       # gap 9 units: under 10 -> not flagged
        line(net, MONDAY + timedelta(days=14), "85"),      # gap 15 units and 21.4 % -> exception
        line(net, MONDAY + timedelta(days=21), "66"),      # gap -4 -> not flagged
        line(net, MONDAY, "40", sku=net.cup.sku),          # no run forecast cup -> no_statistical
        line(net, MONTH, "400", sku=net.jar.sku, grain="month"),  # weekly values shared out by day
    ]})
    assert r.status_code == 201, r.text
    return r.json()


def by_key(items: list[dict]) -> dict[tuple[str, str], dict]:
    return {(i["sku"], i["period_start"]): i for i in items}


def test_comparison_flags_lines_beyond_both_thresholds(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    sub = submit_standard(client, settings, net)
    assert (sub["version"], sub["rows"], sub["partner_code"]) == (1, 6, net.mine.code)
    h = factories.headers(settings, net.planner)
    items = client.get(f"{API}/cpfr/comparison", headers=h, params={"partner": net.mine.code}).json()["items"]
    got = by_key(items)
    week = lambda n: (net.tea.sku, (MONDAY + timedelta(days=7 * n)).isoformat())  # noqa: E731
    assert [(got[week(n)]["statistical"], got[week(n)]["gap"], got[week(n)]["exception"]) for n in range(4)] == [
        (70.0, 30.0, True), (70.0, 9.0, False), (70.0, 15.0, True), (70.0, -4.0, False)]
    assert got[week(0)]["gap_pct"] == pytest.approx(42.857, abs=0.001)
    cup = got[(net.cup.sku, MONDAY.isoformat())]
    assert (cup["statistical"], cup["exception_reason"], cup["consensus"], cup["consensus_source"]) == (
        None, "no_statistical", 40.0, "partner")
    jar = got[(net.jar.sku, MONTH.isoformat())]
    assert jar["statistical"] == pytest.approx(10.0 * MONTH_DAYS)
    assert jar["exception"] is (abs(400 - 10 * MONTH_DAYS) > 10 * MONTH_DAYS * 0.2)
    assert [i["exception"] for i in items[:3]] == [True, True, True]  # exceptions come first
    only = client.get(f"{API}/cpfr/comparison", headers=h, params={"exceptions_only": True, "threshold_pct": 30,
                                                                   "partner": net.mine.code}).json()
    # At 30 %: 42.9 % stays, 21.4 % goes; cup has no statistical number; jar: 400 vs 300-310 is about 29-33 %.
    flagged = {(i["sku"], i["period_start"]) for i in only["items"]}
    assert week(0) in flagged and week(2) not in flagged and (net.cup.sku, MONDAY.isoformat()) in flagged
    assert client.get(f"{API}/cpfr/comparison", headers=h, params={"threshold_units": -1}).status_code == 422


def test_override_keeps_who_when_why_old_and_new(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    submit_standard(client, settings, net)
    h = factories.headers(settings, net.planner)
    first = by_key(client.get(f"{API}/consensus", headers=h, params={"sku": net.tea.sku}).json()["items"])
    line_id = first[(net.tea.sku, MONDAY.isoformat())]["id"]
    assert first[(net.tea.sku, MONDAY.isoformat())]["consensus"] == 70.0  # default: the statistical number
    assert client.put(f"{API}/consensus/{line_id}", headers=h, json={"quantity": "90"}).status_code == 422
    blank = client.put(f"{API}/consensus/{line_id}", headers=h, json={"quantity": "90", "reason": "  "})
    assert blank.status_code == 422
    r = client.put(f"{API}/consensus/{line_id}", headers=h, json={"quantity": "90", "reason": "new store opens"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["consensus"], body["consensus_source"], body["override_reason"], body["overridden_by"]) == (
        90.0, "override", "new store opens", net.planner.username)
    [o] = body["overrides"]
    assert (float(o["old_quantity"]), float(o["new_quantity"]), o["reason"], o["changed_by"], o["action"]) == (
        70.0, 90.0, "new store opens", net.planner.username, "override")
    # The partner accepts its own number on two lines: the overrides pile up, newest last.
    ids = [line_id, first[(net.tea.sku, (MONDAY + timedelta(days=7)).isoformat())]["id"]]
    r = client.post(f"{API}/consensus/accept", headers=factories.headers(settings, net.partner_user),
                    json={"ids": ids, "source": "partner", "reason": "our promotion plan"})
    assert r.json() == {"accepted": 2}
    detail = client.get(f"{API}/consensus/{line_id}", headers=h).json()
    assert [(float(o["old_quantity"]), float(o["new_quantity"]), o["changed_by"]) for o in detail["overrides"]] == [
        (70.0, 90.0, net.planner.username), (90.0, 100.0, net.partner_user.username)]
    # Back to the statistical default.
    r = client.post(f"{API}/consensus/accept", headers=h, json={"ids": [line_id], "source": "statistical",
                                                                 "reason": "promotion cancelled"})
    assert r.status_code == 200
    detail = client.get(f"{API}/consensus/{line_id}", headers=h).json()
    assert (detail["consensus"], detail["consensus_source"]) == (70.0, "statistical")
    audits = session.execute(select(AuditRecord.action, AuditRecord.actor_name, AuditRecord.before, AuditRecord.after)
                             .where(AuditRecord.entity == "cpfr_consensus_lines",
                                    AuditRecord.entity_id == str(line_id)).order_by(AuditRecord.id)).all()
    assert [(a, who, float(b["consensus"]), float(c["consensus"]), c["reason"]) for a, who, b, c in audits] == [
        ("override", net.planner.username, 70.0, 90.0, "new store opens"),
        ("accept_partner", net.partner_user.username, 90.0, 100.0, "our promotion plan"),
        ("accept_statistical", net.planner.username, 100.0, 70.0, "promotion cancelled")]
    cup_id = by_key(client.get(f"{API}/consensus", headers=h, params={"sku": net.cup.sku}).json()["items"])[
        (net.cup.sku, MONDAY.isoformat())]["id"]
    refused = client.post(f"{API}/consensus/accept", headers=h, json={"ids": [line_id, cup_id], "source": "statistical",
                                                                       "reason": "x"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "ids[1]"


def test_partner_sees_and_changes_only_its_own_lines(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    submit_standard(client, settings, net)
    mine = factories.headers(settings, net.partner_user)
    other = factories.headers(settings, net.other_user)
    ids = [i["id"] for i in client.get(f"{API}/consensus", headers=mine).json()["items"]]
    assert len(ids) == 6
    assert client.get(f"{API}/consensus", headers=other).json()["total"] == 0
    assert client.get(f"{API}/cpfr/comparison", headers=other).json()["total"] == 0
    assert client.get(f"{API}/partner-forecasts", headers=other).json()["total"] == 0
    assert client.get(f"{API}/consensus/{ids[0]}", headers=other).status_code == 404
    changed = client.put(f"{API}/consensus/{ids[0]}", headers=other, json={"quantity": "1", "reason": "x"})
    assert changed.status_code == 404
    assert client.post(f"{API}/consensus/accept", headers=other, json={"ids": ids[:1], "source": "partner",
                                                                        "reason": "x"}).status_code == 404
    submission_id = client.get(f"{API}/partner-forecasts", headers=mine).json()["items"][0]["id"]
    assert client.get(f"{API}/partner-forecasts/{submission_id}/lines", headers=other).status_code == 404
    assert len(client.get(f"{API}/partner-forecasts/{submission_id}/lines", headers=mine).json()) == 6
    r = client.post(f"{API}/partner-forecasts", headers=other, json={"rows": [line(net, location=net.wh.code)]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "rows[0].location_code"
    # Staff submit on a partner's behalf, one partner per batch, never for a brand location.
    staff = factories.headers(settings, net.planner)
    mixed = client.post(f"{API}/partner-forecasts", headers=staff, json={"rows": [
        line(net, quantity="1"), line(net, location=net.other_wh.code), line(net, location=net.brand_dc.code)]})
    assert mixed.status_code == 422
    assert [(e["field"], e["row"]) for e in mixed.json()["errors"]] == [("rows[1].location_code", 1),
                                                                       ("rows[2].location_code", 2)]


def test_new_version_replaces_the_partner_number_and_keeps_the_old_rows(client: TestClient, session, settings,  # type: ignore[no-untyped-def]
                                                                         net) -> None:
    submit_standard(client, settings, net)
    h = factories.headers(settings, net.partner_user)
    r = client.post(f"{API}/partner-forecasts", headers=h, json={"rows": [line(net, MONDAY, "72")]})
    assert r.json()["version"] == 2
    current = by_key(client.get(f"{API}/consensus", headers=h).json()["items"])
    assert current[(net.tea.sku, MONDAY.isoformat())]["partner_quantity"] == 72.0
    assert current[(net.tea.sku, MONDAY.isoformat())]["submission_version"] == 2
    assert current[(net.cup.sku, MONDAY.isoformat())]["submission_version"] == 1
    versions = client.get(f"{API}/partner-forecasts", headers=h).json()["items"]
    assert [(v["version"], v["rows"], v["submitted_by"]) for v in versions] == [
        (2, 1, net.partner_user.username), (1, 6, net.partner_user.username)]


def test_bad_batches_are_refused_whole(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    h = factories.headers(settings, net.partner_user)
    r = client.post(f"{API}/partner-forecasts", headers=h, json={"rows": [
        line(net), line(net), line(net, MONDAY + timedelta(days=1)), line(net, MONDAY - timedelta(days=14)),
        line(net, MONTH + timedelta(days=1), grain="month"), line(net, sku="NOPE")]})
    assert r.status_code == 422
    assert [(e["field"], e["row"]) for e in r.json()["errors"]] == [
        ("rows[1].period_start", 1), ("rows[2].period_start", 2), ("rows[3].period_start", 3),
        ("rows[4].period_start", 4), ("rows[5].sku", 5)]
    assert client.get(f"{API}/partner-forecasts", headers=h).json()["total"] == 0
    negative = client.post(f"{API}/partner-forecasts", headers=h, json={"rows": [line(net, quantity="-1")]})
    assert negative.status_code == 422


def upload(client: TestClient, headers: dict, content: bytes, name: str = "forecast.csv", url: str = "",  # type: ignore[no-untyped-def]
           **params):
    return client.post(url or f"{API}/partner-forecasts/file", headers=headers, params=params,
                       files={"file": (name, content)})


def test_files_refused_with_their_line_numbers(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    h = factories.headers(settings, net.partner_user)
    header = "sku,location_code,channel_code,grain,period_start,quantity\n"
    good = f"{net.tea.sku},{net.wh.code},{net.channel.code},week,{MONDAY.isoformat()},100\n"
    unknown = upload(client, h, ("sku,location_code,channel_code,period_start,qty\n" + good).encode())
    assert unknown.status_code == 422
    assert {(e["field"], e["row"]) for e in unknown.json()["errors"]} == {("qty", 1), ("quantity", 1)}
    bad = (header + good + f"{net.tea.sku},{net.other_wh.code},{net.channel.code},week,{MONDAY.isoformat()},5\n"
           + f"{net.tea.sku},{net.wh.code},{net.channel.code},week,not-a-date,5\n" + good
           + f"{net.cup.sku},{net.wh.code},{net.channel.code},week,{MONDAY.isoformat()},ten\n")
    r = upload(client, h, bad.encode())
    assert r.status_code == 422
    assert [(e["field"], e["row"]) for e in r.json()["errors"]] == [
        ("location_code", 3), ("period_start", 4), ("period_start", 5), ("quantity", 6)]
    assert upload(client, h, (header + good.replace("100", "1\x00")).encode()).status_code == 422
    assert upload(client, h, header.encode()).status_code == 422  # no data rows
    assert upload(client, h, b"\x00\x01garbage", name="forecast.xlsx").status_code == 422
    assert client.get(f"{API}/partner-forecasts", headers=h).json()["total"] == 0
    assert upload(client, h, (header + good).encode(), dry_run=True).json()["dry_run"] is True
    assert client.get(f"{API}/partner-forecasts", headers=h).json()["total"] == 0
    book = Workbook()
    sheet = book.active
    sheet.append(header.strip().split(","))
    sheet.append(good.strip().split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    r = upload(client, h, buffer.getvalue(), name="forecast.xlsx")
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["rows"], r.json()["source"]) == (1, 1, "file")


def test_imports_framework_takes_partner_forecast_files(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    h = factories.headers(settings, net.planner)
    content = ("sku,location_code,channel_code,period_start,quantity\n"
               f"{net.tea.sku},{net.wh.code},{net.channel.code},{MONDAY.isoformat()},100\n").encode()
    url = f"{API}/imports/partner_forecast"
    assert upload(client, h, content, url=url, skip_invalid=True).status_code == 422
    r = upload(client, h, content, url=url)
    assert r.status_code == 200, r.text
    assert (r.json()["kind"], r.json()["rows"], r.json()["created"]) == ("partner_forecast", 1, 1)
    assert client.get(f"{API}/partner-forecasts", headers=h).json()["items"][0]["partner_code"] == net.mine.code
    bad = content.replace(net.wh.code.encode(), b"NOWHERE")
    assert upload(client, h, bad, url=url).json()["errors"][0] == {
        "field": "location_code", "reason": "no location 'NOWHERE'", "row": 2}


def test_consensus_plan_is_what_planning_reads(client: TestClient, session, settings, net) -> None:  # type: ignore[no-untyped-def]
    submit_standard(client, settings, net)
    h = factories.headers(settings, net.planner)
    items = by_key(client.get(f"{API}/consensus", headers=h, params={"sku": net.tea.sku}).json()["items"])
    client.put(f"{API}/consensus/{items[(net.tea.sku, MONDAY.isoformat())]['id']}", headers=h,
               json={"quantity": "90", "reason": "new store opens"})
    plan = consensus_plan(session, factories.actor(net.planner), grain="week", skus=[net.tea.sku, net.cup.sku])
    rows = {(r["product_id"], r["period_start"]): (r["consensus"], r["source"]) for r in plan.to_dicts()}
    assert rows == {(net.tea.id, MONDAY): (90.0, "override"),
                    (net.tea.id, MONDAY + timedelta(days=7)): (70.0, "statistical"),
                    (net.tea.id, MONDAY + timedelta(days=14)): (70.0, "statistical"),
                    (net.tea.id, MONDAY + timedelta(days=21)): (70.0, "statistical"),
                    (net.cup.id, MONDAY): (40.0, "partner")}
    assert set(plan.columns) >= {"product_id", "location_id", "channel_id", "grain", "period_start", "consensus"}
    other = consensus_plan(session, factories.actor(net.other_user))
    assert other.height == 0
