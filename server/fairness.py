"""A per-client share of the SPARQL endpoint (kept by :class:`~.edge.Edge`).

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

from starlette.types import Scope

from ilrs.graph.settings import Settings

from .security import AddressSet

log = logging.getLogger("ilrs.server")

#: Seconds a refused client is told to wait (a query slot frees when one of its own queries ends).
RETRY_AFTER = 5


class ClientShare:
    """The ``/sparql`` requests in progress per client address, each address held to its share.

    Used by :class:`~.edge.Edge` from the event loop's thread only: no lock needed.
    """

    def __init__(self, settings: Settings, path: str = "/sparql") -> None:
        self.path = path
        self.limit = settings.max_queries_per_client
        self.exempt = AddressSet([*settings.client_limits_exempt, *settings.trusted_proxies])
        self.retry_after = str(RETRY_AFTER).encode()
        #: The refusal's message (429).
        self.refusal = (
            f"too many requests: at most {self.limit} SPARQL requests from one address may be in progress at once; "
            "wait for one to finish"
        )
        self._in_progress: Counter[str] = Counter()

    def key(self, scope: Scope) -> str | None:
        """The address whose share a request counts against; ``None`` if it counts against none."""
        if scope.get("path") != self.path:
            return None
        client = scope.get("client")
        address = client[0] if client else None
        return None if address in self.exempt else address or "unknown"

    def take(self, key: str) -> bool:
        """Count a request of ``key``; ``False`` (not counted, and logged) if it has its share in progress."""
        if self._in_progress[key] >= self.limit:
            log.warning("client %s has %d SPARQL requests in progress: refused with 429", key, self.limit)
            return False
        self._in_progress[key] += 1
        return True

    def give_back(self, key: str) -> None:
        """A request counted by :meth:`take` has been answered."""
        self._in_progress[key] -= 1
        if self._in_progress[key] <= 0:
            del self._in_progress[key]
