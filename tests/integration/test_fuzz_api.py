"""API fuzz test: schemathesis drives the app's own OpenAPI schema, in process, against the test database.

Every operation under /api/v1 (including those later areas add) gets generated valid and invalid
requests; no response may be a server error, break its declared schema or content type, or use an
undeclared status code. Passes:

* admin, valid requests with random path parameters (mostly "not found" paths);
* admin, valid requests with path parameters pinned to existing records (real updates and archives);
* admin, invalid requests (wrong types, missing fields, unknown fields, unparsable bodies);
* a partner user, valid requests (the partner scoping paths).

``QUDAO_FUZZ_EXAMPLES`` sets the examples per operation and pass (default 5; CI may raise it) and
``QUDAO_FUZZ_ONLY`` (a regular expression on the path) narrows a run while debugging one area.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from qudao.auth import service as auth_service
from qudao.config import Settings
from tests import factories

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]
EXAMPLES = int(os.environ.get("QUDAO_FUZZ_EXAMPLES", "5"))
ONLY = re.compile(os.environ.get("QUDAO_FUZZ_ONLY", ""))

# Path parameters pinned to seeded records, by the route's first path segment and parameter name.
PINNED: dict[tuple[str, str], str] = {
    ("products", "sku"): "FZ-SKU",
    ("categories", "code"): "FZ-CAT",
    ("partners", "code"): "FZ-P",
    ("channels", "code"): "FZ-CH",
    ("locations", "code"): "FZ-LOC",
    ("users", "username"): "fz-victim",
}


def _seed(session: Session) -> dict[str, Any]:
    factories.category(session, code="FZ-CAT")
    factories.product(session, sku="FZ-SKU", category_code="FZ-CAT")
    factories.channel(session, code="FZ-CH")
    partner = factories.partner(session, code="FZ-P", contacts=[{"name": "Ms Fuzz", "email": "fz@example.com"}])
    factories.location(session, code="FZ-LOC", owner_partner_code="FZ-P")
    factories.user(session, "viewer", username="fz-victim")
    key, _ = auth_service.create_api_key(session, factories.actor(factories.user(session, "admin")), "fz-victim", "k")
    session.flush()
    return {"contact_id": partner.contacts[0].id, "key_id": key.id}


def _pinned_path_parameters(path: str, ids: dict[str, Any]) -> dict[str, Any] | None:
    """Values for every parameter in ``path`` from seeded records, or None when one is unknown."""
    parts = path.removeprefix("/api/v1/").split("/")
    values: dict[str, Any] = {}
    for part in parts:
        if part.startswith("{"):
            name = part.strip("{}")
            value = PINNED.get((parts[0], name), ids.get(name))
            if value is None:
                return None
            values[name] = value
    return values


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str], examples: int,
          path_parameters: dict[str, Any] | None = None) -> str | None:
    """Run one operation; the failure report, or None when every example passed."""
    strategy = operation.as_strategy(mode, path_parameters=path_parameters)

    @given(case=strategy)
    @hypothesis_settings(max_examples=examples, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (an operation without parameters or body)
        return None
    except (Exception, BaseExceptionGroup) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _run_passes(app: FastAPI, passes: list[tuple[str, GenerationMode, dict[str, str], int, Callable]]) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30, "the schema lost operations"
    operations = [op for op in operations if ONLY.search(op.path)]
    failures: list[str] = []
    started = time.perf_counter()
    for operation in operations:
        for name, mode, headers, examples, pin in passes:
            path_parameters = pin(operation.path)
            if path_parameters is False:
                continue
            report = _fuzz(operation, mode, headers, examples, path_parameters or None)
            if report:
                failures.append(f"--- {operation.label} [{name}]\n{report[:4000]}")
    elapsed = time.perf_counter() - started
    print(f"fuzzed {len(operations)} operations x {len(passes)} passes in {elapsed:.1f}s")
    assert not failures, f"{len(failures)} fuzz failure(s):\n" + "\n".join(failures)


def test_fuzz_every_operation_as_admin_and_partner(app: FastAPI, session: Session, settings: Settings) -> None:
    ids = _seed(session)
    admin = factories.headers(settings, factories.user(session, "admin"))
    partner = factories.headers(settings, factories.user(session, "partner", partner_code="FZ-P"))

    def random_path(_: str) -> dict[str, Any]:
        return {}

    def pinned(path: str) -> dict[str, Any] | bool:
        values = _pinned_path_parameters(path, ids)
        # Operations without path parameters are covered by the random pass already.
        return values if values else False

    _run_passes(app, [
        ("admin, valid", GenerationMode.POSITIVE, admin, EXAMPLES, random_path),
        ("admin, valid, existing records", GenerationMode.POSITIVE, admin, EXAMPLES, pinned),
        ("admin, invalid", GenerationMode.NEGATIVE, admin, EXAMPLES, random_path),
        ("partner, valid", GenerationMode.POSITIVE, partner, max(EXAMPLES // 2, 3), random_path),
    ])
