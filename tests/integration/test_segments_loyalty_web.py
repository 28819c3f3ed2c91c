"""The /segments and /loyalty pages through the app (both databases): staff see the distribution, the
filtered list and its CSV; a partner user is refused segments and sees only its own membership."""

from __future__ import annotations

from contextlib import nullcontext

from fastapi.testclient import TestClient

from qudao.common.actor import SYSTEM
from qudao.loyalty import service as loyalty
from qudao.loyalty.schemas import AdjustmentIn, MemberCreate, ProgrammeCreate
from qudao.segments import service as segments
from qudao.segments.schemas import SegmentationRunCreate
from tests import factories
from tests.integration.test_segments import T, customers  # noqa: F401  (fixture)


def _login(client: TestClient, settings, user) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set("qudao_session", factories.headers(settings, user)["Authorization"].split()[1])


def test_segments_page_for_staff_and_refused_to_partners(client: TestClient, session, settings, customers) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    run = segments.start_run(session, SYSTEM, SegmentationRunCreate(as_of=T))
    segments.execute_run(lambda: nullcontext(session), SYSTEM, run.id)
    staff = factories.user(session, "sales")
    partner = factories.user(session, "partner", partner_code=customers["A"].code)
    session.flush()
    _login(client, settings, staff)
    page = client.get("/segments", params={"tier": "high"})
    assert page.status_code == 200
    assert 'data-testid="tier-chart"' in page.text and page.text.count('data-testid="segment-row"') == 2
    assert customers["E"].code in page.text and customers["C"].code not in page.text
    csv = client.get("/segments/export.csv", params={"rfm": "311"})
    assert csv.status_code == 200 and csv.text.splitlines()[1].startswith(customers["D"].code)
    _login(client, settings, partner)
    assert client.get("/segments").status_code == 403
    assert client.get("/segments/export.csv").status_code == 403


def test_loyalty_page_and_statement_partner_sees_only_its_own(client: TestClient, session, settings) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = factories.partner(session, roles=["end_customer"]), factories.partner(session)
    code = factories.unique("LPW")
    loyalty.create_programme(session, SYSTEM, ProgrammeCreate(code=code, name="Web points"))
    members = [loyalty.enroll_member(session, SYSTEM, MemberCreate(programme=code, partner=p.code))
               for p in (mine, theirs)]
    loyalty.adjust_points(session, SYSTEM, members[0].id, AdjustmentIn(points=250, reason="welcome"))
    user = factories.user(session, "partner", partner_code=mine.code)
    session.flush()
    _login(client, settings, user)
    page = client.get("/loyalty")
    assert page.status_code == 200 and page.text.count('data-testid="member-row"') == 1 and mine.code in page.text
    statement = client.get(f"/loyalty/members/{members[0].id}")
    assert statement.status_code == 200 and 'data-testid="closing">250<' in statement.text
    assert client.get(f"/loyalty/members/{members[1].id}").status_code == 404
    client.cookies.set("lang", "zh-CN")
    assert "积分对账单" in client.get(f"/loyalty/members/{members[0].id}").text
