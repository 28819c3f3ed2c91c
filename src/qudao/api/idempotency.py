"""``Idempotency-Key`` on POST: the first successful response is stored and replayed for retries."""

from __future__ import annotations

import hashlib

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from qudao.api.problems import problem
from qudao.common import idempotency
from qudao.db import unit_of_work

HEADER = "Idempotency-Key"


class IdempotencyMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        key = request.headers.get(HEADER)
        if request.method != "POST" or not key:
            return await call_next(request)
        if len(key) > 200:
            return problem(422, "Invalid input", "Idempotency-Key: at most 200 characters",
                           [{"field": HEADER, "reason": "at most 200 characters"}])
        credential = request.headers.get("authorization", "") + request.headers.get("x-api-key", "")
        scope = hashlib.sha256(f"{credential}\n{key}\nPOST\n{request.url.path}".encode()).hexdigest()
        body = await request.body()
        request_hash = hashlib.sha256(body + request.url.query.encode()).hexdigest()
        factory = request.app.state.session_factory
        with unit_of_work(factory) as session:
            stored = idempotency.find(session, scope)
        if stored is not None:
            if stored.request_hash != request_hash:
                return problem(422, "Invalid input", "Idempotency-Key was already used with a different request",
                               [{"field": HEADER, "reason": "reused with a different request body"}])
            return Response(stored.body, status_code=stored.status_code, media_type=stored.content_type,
                            headers={"Idempotent-Replayed": "true"})
        response = await call_next(request)
        if not 200 <= response.status_code < 300:
            return response
        chunks = [chunk async for chunk in response.body_iterator]  # type: ignore[attr-defined]
        content = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
        media_type = response.headers.get("content-type", "application/json")
        with unit_of_work(factory) as session:
            idempotency.save(session, idempotency.IdempotencyRecord(
                scope_hash=scope, request_hash=request_hash, status_code=response.status_code,
                content_type=media_type, body=content.decode()))
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(content, status_code=response.status_code, headers=headers, media_type=media_type)
