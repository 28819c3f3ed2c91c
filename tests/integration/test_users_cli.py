"""``qudao users`` on a fresh SQLite file: create (staff and partner users), list, disable, API keys,
and clean error messages (no traceback) for bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qudao.auth import service as auth_service
from qudao.auth.models import User
from qudao.config import get_settings
from qudao.db import make_engine, make_session_factory, unit_of_work
from qudao.errors import Unauthorized
from tests import factories
from tests.cli import run_cli as run


def users(url: str) -> dict[str, User]:
    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            return {u.username: u for u in session.scalars(select(User))}
    finally:
        engine.dispose()


def test_create_list_disable_and_api_key(cli_db: str) -> None:
    engine = make_engine(cli_db)
    with unit_of_work(make_session_factory(engine)) as session:
        factories.partner(session, code="CLI-P")
    engine.dispose()

    code, out = run("users", "create", "--username", "root", "--password", "long-password-1", "--role", "admin")
    assert code == 0 and "created user root with role admin" in out
    code, out = run("users", "create", "--username", "shop", "--password", "long-password-2", "--role", "partner",
                    "--partner", "CLI-P", "--full-name", "Shop One")
    assert code == 0, out
    stored = users(cli_db)
    assert stored["root"].password_hash.startswith("$argon2id$")
    assert stored["shop"].partner_id is not None and stored["shop"].full_name == "Shop One"

    code, out = run("users", "list")
    assert code == 0 and "root" in out and "shop" in out and "2 user(s)" in out

    code, out = run("users", "api-key", "shop", "--name", "erp")
    assert code == 0
    secret = next(word for word in out.split() if word.startswith("qk_"))
    engine = make_engine(cli_db)
    with unit_of_work(make_session_factory(engine)) as session:
        actor = auth_service.actor_from_credentials(session, get_settings(), secret)
        assert actor.username == "shop" and actor.partner_id == stored["shop"].partner_id

    code, out = run("users", "disable", "shop")
    assert code == 0 and "disabled user shop" in out
    assert users(cli_db)["shop"].is_active is False
    with unit_of_work(make_session_factory(engine)) as session, pytest.raises(Unauthorized):
        auth_service.actor_from_credentials(session, get_settings(), secret)
    engine.dispose()
    code, out = run("users", "list")
    assert "shop" not in out and "1 user(s)" in out
    code, out = run("users", "list", "--include-disabled")
    assert "shop" in out and "2 user(s)" in out


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--username", "u1", "--password", "long-password-1", "--role", "emperor"], "role"),
        (["--username", "u2", "--password", "short", "--role", "viewer"], "password"),
        (["--username", "u3", "--password", "long-password-1", "--role", "partner"], "partner_code"),
        (["--username", "u4", "--password", "long-password-1", "--role", "partner", "--partner", "NOPE"],
         "partner_code"),
        (["--username", "bad name", "--password", "long-password-1", "--role", "viewer"], "username"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(cli_db: str, args: list[str], field: str) -> None:
    code, out = run("users", "create", *args)
    assert code != 0
    assert "error" in out and field in out
    assert users(cli_db) == {}


def test_duplicates_and_unknown_users_are_clean_errors(cli_db: str) -> None:
    assert run("users", "create", "--username", "twin", "--password", "long-password-1", "--role", "viewer")[0] == 0
    code, out = run("users", "create", "--username", "twin", "--password", "long-password-1", "--role", "viewer")
    assert code != 0 and "twin" in out and "taken" in out
    code, out = run("users", "disable", "ghost")
    assert code != 0 and "ghost" in out and "not found" in out
    code, out = run("users", "api-key", "ghost")
    assert code != 0 and "not found" in out
