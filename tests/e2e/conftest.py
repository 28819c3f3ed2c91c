"""A real uvicorn server on a free loopback port over a throwaway, migrated and seeded SQLite database,
and headless Chromium (Debian's binary) driven by Playwright."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn

from qudao import migrate
from qudao.api.app import create_app
from qudao.config import Settings
from qudao.db import make_engine, make_session_factory, unit_of_work
from qudao.web.common import STATIC_DIR
from tests import factories

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(url: str) -> None:
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as session:
        factories.category(session, code="TEA", name_zh="茶叶", name_en="Tea")
        factories.category(session, code="COFFEE", name_zh="咖啡", name_en="Coffee")
        factories.product(session, sku="TEA-001", name_zh="绿茶", name_en="Green tea", category_code="TEA",
                          brand="Qudao", list_price=Decimal("10.00"))
        factories.product(session, sku="TEA-002", name_zh="红茶", name_en="Black tea", category_code="TEA",
                          brand="Qudao", list_price=Decimal("12.00"))
        factories.product(session, sku="COF-001", name_zh="咖啡豆", name_en="Coffee beans",
                          category_code="COFFEE", brand="Yunnan", list_price=Decimal("58.00"))
        factories.channel(session, code="DIST", name_zh="分销", name_en="Distribution")
        factories.partner(session, code="P-EAST", name="华东分销", name_en="East Distribution")
        factories.partner(session, code="P-WEST", name="西部零售", name_en="West Retail", roles=["retailer"])
        factories.location(session, code="LOC-EAST", name="East warehouse", kind="partner_warehouse",
                           owner_partner_code="P-EAST", city="Shanghai")
        factories.location(session, code="LOC-WEST", name="West store", kind="store",
                           owner_partner_code="P-WEST", city="Chengdu")
        factories.location(session, code="DC-01", name="Central DC", kind="distribution_centre", city="Wuhan")
        factories.user(session, "admin", username="admin")
        factories.user(session, "partner", partner_code="P-EAST", username="east_user")
    factory.kw["bind"].dispose()


@contextmanager
def serve(url: str, state: Path, secret: str) -> Iterator[str]:
    """Run the application over the migrated database at ``url`` in a uvicorn thread; yields its base URL."""
    if not (STATIC_DIR / "vendor" / "htmx.min.js").is_file():
        pytest.fail("the front-end packages are missing: run `make assets` first")
    app = create_app(Settings(database_url=url, secret_key=secret, state_dir=state))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # importing the app under a loaded CI machine is slow
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def open_page(browser, base_url: str, locale: str, height: int = 800) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    """A fresh browser profile (no cookies) in ``locale``; for ``yield from`` in a page fixture."""
    context = browser.new_context(base_url=base_url, locale=locale, viewport={"width": 1280, "height": height})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{state / 'qudao-e2e.db'}"
    migrate.upgrade(url)
    _seed(url)
    with serve(url, state, "e2e-secret-not-for-production-0123456789") as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # generous: the suite may run beside other heavy workers
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh browser profile (no cookies) whose language is English."""
    yield from open_page(browser, live_server, "en-US")
