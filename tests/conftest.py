"""Shared fixtures: a real database per backend (SQLite always, PostgreSQL when
``QUDAO_TEST_DATABASE_URL`` is set), migrated with Alembic, and a rolled-back transaction per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from qudao import migrate
from qudao.api.app import create_app
from qudao.config import Settings
from qudao.db import create_scratch_database, drop_database, make_engine

PG_URL = os.environ.get("QUDAO_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


@pytest.fixture(scope="session")
def fresh_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A factory making throwaway databases of a backend; all are dropped at the end of the run."""
    made: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'qudao.db'}"
        assert PG_URL, "PostgreSQL backend requested without QUDAO_TEST_DATABASE_URL"
        name, url = create_scratch_database(PG_URL, "qudao_test")
        made.append(name)
        return url

    yield make
    for name in made:
        drop_database(PG_URL or "", name)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def database_url(backend: str, fresh_database_url) -> str:  # type: ignore[no-untyped-def]
    return fresh_database_url(backend)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    # Every commit inside the test becomes a savepoint release; the outer transaction is rolled back.
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    s = session_factory()
    yield s
    s.close()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Settings:
    state: Path = tmp_path_factory.mktemp("state")
    return Settings(database_url=database_url, secret_key="test-secret-not-for-production-0123456789", state_dir=state)


@pytest.fixture(scope="session")
def shared_app(settings: Settings) -> FastAPI:
    """One application per backend: FastAPI analyses every route's signature when the app is built,
    which costs seconds with a few hundred routes, so tests share it and only swap the session factory."""
    return create_app(settings, sessionmaker())


@pytest.fixture
def app(shared_app: FastAPI, session_factory: sessionmaker[Session]) -> Iterator[FastAPI]:
    shared_app.state.session_factory = session_factory
    yield shared_app
    shared_app.dependency_overrides.clear()
    shared_app.state.session_factory = sessionmaker()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
