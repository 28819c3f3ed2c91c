"""RFC 9457 problem details: the one place domain and validation errors become HTTP responses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from qudao.errors import QudaoError, TooManyRequests

log = logging.getLogger("qudao.api")
PROBLEM_JSON = "application/problem+json"


class ProblemField(BaseModel):
    field: str
    reason: str
    row: int | None = None


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[ProblemField] = []


def problem(status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    body = Problem(title=title, status=status, detail=detail, errors=[ProblemField(**e) for e in errors or []])
    return JSONResponse(body.model_dump(), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc_to_field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "request")


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": text}
    for code, text in {
        400: "Malformed request (the body cannot be parsed)",
        401: "Not authenticated",
        403: "Forbidden for this role",
        404: "Not found",
        409: "Conflict with the current state",
        422: "Invalid input",
        429: "Too many requests",
    }.items()
}


def install(app: FastAPI) -> None:
    @app.exception_handler(QudaoError)
    async def _domain(_: Request, exc: QudaoError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": "900"}
        errors = [{"field": e.field, "reason": e.reason, "row": e.row} for e in exc.errors]
        return problem(exc.status, exc.title, exc.detail, errors, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _loc_to_field(tuple(e.get("loc", ()))), "reason": e.get("msg", "invalid")}
                  for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
        return problem(422, "Invalid input", detail or "invalid request", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI raises 400 for a body it cannot parse at all (not JSON, not UTF-8).
        errors = [{"field": "body", "reason": str(exc.detail)}] if exc.status_code == 400 else None
        return problem(exc.status_code, str(exc.detail), str(exc.detail), errors,
                       headers=getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error: %s", exc.orig)
        return problem(409, "Conflict", "the change conflicts with existing records (duplicate or in use)")

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        # A value the database refuses (out of range, bad encoding): bad input, not a server fault.
        log.info("data error: %s", exc.orig)
        return problem(422, "Invalid input", "a value cannot be stored (out of range or malformed)")

    @app.exception_handler(OperationalError)
    async def _operational(_: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database busy: %s", exc.orig)
        return problem(503, "Service unavailable", "the database is busy; retry shortly",
                       headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return problem(500, "Internal error", "an unexpected error occurred; it has been logged")
