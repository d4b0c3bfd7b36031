"""``HEAD`` for every ``GET`` resource (RFC 9110, 9.3.2), as plain ASGI middleware.

FastAPI routes declared with ``GET`` do not answer ``HEAD``; caches and link checkers
rely on it. The request is run as a ``GET`` and only its status and headers are sent.
Since every ``GET`` resource answers ``HEAD``, the ``Allow`` header of a 405 that lists
``GET`` lists ``HEAD`` too.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadMiddleware:
    """Answers ``HEAD`` with the headers the same ``GET`` would send, and no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] != "HEAD":
            await self.app(scope, receive, _allowing_head(send))
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.start":
                await send(message)
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def _allowing_head(send: Send) -> Send:
    """``send``, adding ``HEAD`` to the ``Allow`` header of a 405 that allows ``GET``."""

    async def patched(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 405:
            message = {**message, "headers": list(message.get("headers", []))}
            headers = MutableHeaders(raw=message["headers"])
            allowed = [m.strip() for m in headers.get("allow", "").split(",") if m.strip()]
            if "GET" in allowed and "HEAD" not in allowed:
                headers["Allow"] = ", ".join([*allowed, "HEAD"])
        await send(message)

    return patched
