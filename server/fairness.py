"""A per-client share of the SPARQL endpoint (plain ASGI middleware).

The endpoint has ``max_concurrent_queries`` slots for everyone. Without a share, one address
sending a dozen slow queries at once (any web page can make its visitors' browsers do so: a form
POST needs no CORS preflight) holds every slot, and every other researcher gets 503. Here one
client address may have at most ``max_queries_per_client`` requests to ``/sparql`` in progress —
from the request's arrival until the last byte of its answer — and gets 429 beyond that.

The address is the connection's peer, or the ``X-Forwarded-For`` client when the peer is a
trusted proxy (uvicorn resolves that before this runs). Addresses in ``client_limits_exempt``
(loopback by default: the machine's own tools and tests) and trusted proxies have no share limit.
"""

from __future__ import annotations

import logging
from collections import Counter

from starlette.types import ASGIApp, Receive, Scope, Send

from ilrs.graph.settings import Settings

from .security import AddressSet

log = logging.getLogger("ilrs.server")

#: Seconds a refused client is told to wait (a query slot frees when one of its own queries ends).
RETRY_AFTER = 5


class ClientShareMiddleware:
    """Refuses with 429 a client's request to ``path`` while it already has its share in progress."""

    def __init__(self, app: ASGIApp, settings: Settings, path: str = "/sparql") -> None:
        self.app = app
        self.path = path
        self.limit = settings.max_queries_per_client
        self.exempt = AddressSet([*settings.client_limits_exempt, *settings.trusted_proxies])
        # Touched only by the event loop's thread: no lock needed.
        self._in_progress: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        address = client[0] if client else None
        if scope["type"] != "http" or scope.get("path") != self.path or address in self.exempt:
            await self.app(scope, receive, send)
            return
        key = address or "unknown"
        if not self._take(key):
            log.warning("client %s has %d SPARQL requests in progress: refused with 429", key, self.limit)
            await _too_many(send, self.limit)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._give_back(key)

    def _take(self, key: str) -> bool:
        if self._in_progress[key] >= self.limit:
            return False
        self._in_progress[key] += 1
        return True

    def _give_back(self, key: str) -> None:
        self._in_progress[key] -= 1
        if self._in_progress[key] <= 0:
            del self._in_progress[key]


async def _too_many(send: Send, limit: int) -> None:
    message = (
        f"too many requests: at most {limit} SPARQL requests from one address may be in progress at once; "
        f"wait for one to finish\n"
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(message)).encode()),
                (b"retry-after", str(RETRY_AFTER).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": message})
