"""``Idempotency-Key`` on POST: the first successful response is stored and replayed for retries.

A pure ASGI middleware: a request without the header (or not a POST) goes straight to the app with no
wrapping at all, so ordinary traffic pays nothing for it (``BaseHTTPMiddleware`` would run every request
through an extra task and memory stream).
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qudao.api.problems import problem
from qudao.common import idempotency
from qudao.db import unit_of_work

HEADER = "Idempotency-Key"
_HEADER_BYTES = HEADER.lower().encode()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = next((value.decode("latin-1") for name, value in scope["headers"] if name == _HEADER_BYTES), None)
        if not key:
            await self.app(scope, receive, send)
            return
        await self._idempotent(scope, receive, send, key)

    async def _idempotent(self, scope: Scope, receive: Receive, send: Send, key: str) -> None:
        if len(key) > 200:
            await problem(422, "Invalid input", "Idempotency-Key: at most 200 characters",
                          [{"field": HEADER, "reason": "at most 200 characters"}])(scope, receive, send)
            return
        request = Request(scope, receive)
        credential = request.headers.get("authorization", "") + request.headers.get("x-api-key", "")
        scope_hash = hashlib.sha256(f"{credential}\n{key}\nPOST\n{request.url.path}".encode()).hexdigest()
        body = await request.body()
        request_hash = hashlib.sha256(body + request.url.query.encode()).hexdigest()
        factory = request.app.state.session_factory
        with unit_of_work(factory) as session:
            stored = idempotency.find(session, scope_hash)
        if stored is not None:
            if stored.request_hash != request_hash:
                response: Response = problem(
                    422, "Invalid input", "Idempotency-Key was already used with a different request",
                    [{"field": HEADER, "reason": "reused with a different request body"}])
            else:
                response = Response(stored.body, status_code=stored.status_code, media_type=stored.content_type,
                                    headers={"Idempotent-Replayed": "true"})
            await response(scope, receive, send)
            return

        body_sent = False

        async def replay() -> Message:
            # The body was read above: hand it to the app once, then pass through (e.g. disconnect).
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, replay, capture)
        content = b"".join(chunks)
        status = int(start.get("status", 500))
        if 200 <= status < 300:
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])}
            with unit_of_work(factory) as session:
                idempotency.save(session, idempotency.IdempotencyRecord(
                    scope_hash=scope_hash, request_hash=request_hash, status_code=status,
                    content_type=headers.get("content-type", "application/json"), body=content.decode()))
        await send({"type": "http.response.start", "status": status, "headers": start.get("headers", [])})
        await send({"type": "http.response.body", "body": content, "more_body": False})
