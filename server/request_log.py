"""Request logging with timing, as plain ASGI middleware.

Starlette's ``@app.middleware("http")`` wraps every response and always finishes it,
which would make a result stream that is cut off at its deadline look complete to the
client; this middleware only watches the messages go by.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("ilrs.server")


class RequestLogMiddleware:
    """Logs ``METHOD path status bytes time`` once the last byte of each response is sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, size = 0, 0

        async def watch(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            path = scope.get("path", "")
            log.info("%s %s %s %d B %.1f ms", scope.get("method"), path, status or "-", size, elapsed)
