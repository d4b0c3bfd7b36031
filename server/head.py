"""``HEAD`` for every ``GET`` resource (RFC 9110, 9.3.2), as plain ASGI middleware.

FastAPI routes declared with ``GET`` do not answer ``HEAD``; caches and link checkers
rely on it. The request is run as a ``GET`` and only its status and headers are sent.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadMiddleware:
    """Answers ``HEAD`` with the headers the same ``GET`` would send, and no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.start":
                await send(message)
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, headers_only)
