"""Loading the demo set into SQLite and PostgreSQL, through the service and through ``qudao demo``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from qudao.audit.models import AuditRecord
from qudao.auth import security
from qudao.auth.models import User
from qudao.catalog.models import Category, Product
from qudao.common.actor import SYSTEM
from qudao.demand.models import RetailEvent, SellThrough
from qudao.demo import generator
from qudao.demo.service import DEMO_LOGINS, DEMO_PARTNER_CODE, load_demo_data
from qudao.errors import Conflict
from qudao.locations.models import Location
from qudao.partners.models import Partner

END = date(2026, 6, 30)


@pytest.fixture(scope="module")
def tiny() -> generator.DemoDataSet:
    return generator.generate("test", 5, END)


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_load_writes_network_history_users_and_one_audit_row(session, tiny: generator.DemoDataSet) -> None:
    if _count(session, Product):
        pytest.skip("shared test database already holds products")
    counts = load_demo_data(session, SYSTEM, tiny)
    assert counts["products"] == 40 and counts["sell_through"] == tiny.sell_through.height
    assert _count(session, Product) == 40
    assert _count(session, Partner) == tiny.partners.height
    assert _count(session, Location) == tiny.locations.height
    assert _count(session, RetailEvent) == tiny.events.height
    assert _count(session, SellThrough) == tiny.sell_through.height
    total = session.scalar(select(func.sum(SellThrough.quantity)))
    assert Decimal(total) == Decimal(int(tiny.sell_through["quantity"].sum()))
    # The category tree has materialised paths and parents.
    tea = session.scalar(select(Category).where(Category.code == "TEA"))
    assert tea.path == "/BEV/TEA/" and tea.parent_id is not None
    # Every store belongs to a retailer whose parent is a distributor.
    store = session.scalar(select(Location).where(Location.kind == "store").limit(1))
    owner = session.get(Partner, store.owner_partner_id)
    assert owner.roles == ["retailer"] and session.get(Partner, owner.parent_id).code.startswith("DIST-")
    # Demo users have Argon2 hashes; the partner user is bound to a distributor.
    users = {u.username: u for u in session.scalars(select(User))}
    for username, password, role in DEMO_LOGINS:
        assert users[username].role == role
        assert security.verify_password(users[username].password_hash, password)
    assert users["partner"].partner_id == session.scalar(select(Partner.id).where(Partner.code == DEMO_PARTNER_CODE))
    summary = session.scalars(select(AuditRecord).where(AuditRecord.action == "demo_load")).all()
    assert len(summary) == 1 and summary[0].after["seed"] == 5
    with pytest.raises(Conflict, match="empty database"):
        load_demo_data(session, SYSTEM, tiny)


@pytest.fixture
def cli_database(tmp_path, monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from qudao.cli import context
    from qudao.config import get_settings

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("QUDAO_DATABASE_URL", url)
    get_settings.cache_clear()
    context.session_factory.cache_clear()
    yield url
    get_settings.cache_clear()
    context.session_factory.cache_clear()


def test_cli_demo_loads_once_and_refuses_a_second_time(cli_database: str) -> None:
    from qudao.cli.main import app

    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--scale", "test", "--seed", "3", "--end-date", "2026-06-30"])
    assert first.exit_code == 0, first.output
    assert "planner-demo" in first.output and "40 products" in first.output
    again = runner.invoke(app, ["demo", "--scale", "test"])
    assert again.exit_code != 0
    assert "empty database" in again.output
    bad = runner.invoke(app, ["demo", "--scale", "huge"])
    assert bad.exit_code != 0 and "unknown scale" in bad.output
