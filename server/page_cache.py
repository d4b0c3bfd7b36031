"""Rendered pages kept in memory, so that a page asked again is sent without being built again.

Every linked-data representation (a resource, a collection page, the dataset's descriptions, in JSON-LD,
Turtle, HTML…) is a function of the URL, the negotiated format and the dataset version: its ``ETag``
names that version, and it is sent with ``Cache-Control: public``. :class:`~.edge.Edge` keeps such an
answer — status 200, a ``public`` ``Cache-Control`` and an ``ETag`` naming the version — under the
version, the path and query string, and the request headers the answer can depend on (``Accept``,
``Accept-Encoding``: the body may be gzip, ``Origin``: the CORS headers); the same request is then
answered from memory, without the router, the route or a thread. Entries of any other version are
dropped the first time a new one is seen, and the cache holds at most ``capacity`` bytes, the least
recently used entries going first.

Conditional requests (``If-None-Match``, ``If-Modified-Since``) are answered by the routes (``304``), and
nothing is kept of the SPARQL endpoint (its results have their own cache) or of static files.

It is used from the event loop only, so it takes no lock.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import Message, Scope, Send

#: The request headers a page's bytes may depend on.
_KEYED = (b"accept", b"accept-encoding", b"origin")
#: Requests with one of these are answered by the application (revalidation, credentials).
_BYPASS = frozenset((b"if-none-match", b"if-modified-since", b"authorization", b"cookie", b"range"))

PageKey = tuple[str, str, bytes, tuple[bytes | None, ...]]


@dataclass(frozen=True)
class CachedPage:
    """A whole answer: its status, headers and body, and the route that built it (for the metrics)."""

    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: object

    async def send(self, send: Send) -> None:
        """Send the answer."""
        await send({"type": "http.response.start", "status": 200, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


class PageCache:
    """A bounded, least-recently-used map of requests to the pages answered to them, for one dataset version."""

    def __init__(self, capacity: int, excluded: tuple[str, ...] = ("/sparql", "/update", "/static/")) -> None:
        #: Bytes the cache may hold (0 turns it off); no page is larger than an eighth of it.
        self.capacity = capacity
        self.max_entry = max(capacity // 8, 1)
        self.excluded = excluded
        self._entries: OrderedDict[PageKey, CachedPage] = OrderedDict()
        self._version: str | None = None
        self._size = 0

    def __len__(self) -> int:
        return len(self._entries)

    def key(self, scope: Scope, version: str) -> PageKey | None:
        """The key of a ``GET`` request whose answer may be kept; ``None`` for any other request."""
        if not self.capacity or scope["method"] != "GET" or scope["path"].startswith(self.excluded):
            return None
        values: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in _BYPASS:
                return None
            if name in _KEYED:
                if name in values:
                    return None  # a header sent twice: rare, and left to the application to read
                values[name] = value
        return (version, scope["path"], scope.get("query_string", b""), tuple(values.get(n) for n in _KEYED))

    def get(self, key: PageKey) -> CachedPage | None:
        """The page kept under ``key``, if any."""
        page = self._entries.get(key) if key[0] == self._version else None
        if page is not None:
            self._entries.move_to_end(key)
        return page

    def recording(self, key: PageKey, scope: Scope, send: Send) -> Send:
        """``send``, keeping the answer under ``key`` once it is sent whole, if it is a page of ``key``'s version."""
        headers: list[tuple[bytes, bytes]] | None = None
        body: list[bytes] | None = []
        size = 0

        async def record(message: Message) -> None:
            nonlocal headers, body, size
            if message["type"] == "http.response.start":
                # Copied before it is sent: the edge adds its own headers to every answer, hits included.
                headers = list(message.get("headers", [])) if _keepable(message, key[0]) else None
            elif message["type"] == "http.response.body" and headers is not None and body is not None:
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_entry:
                    body = None
                else:
                    body.append(chunk)
                    if not message.get("more_body", False):
                        self._put(key, CachedPage(headers, b"".join(body), scope.get("route")))
            await send(message)

        return record

    def _put(self, key: PageKey, page: CachedPage) -> None:
        if key[0] != self._version:
            self._entries.clear()
            self._size = 0
            self._version = key[0]
        previous = self._entries.pop(key, None)
        if previous is not None:
            self._size -= len(previous.body)
        self._entries[key] = page
        self._size += len(page.body)
        while self._size > self.capacity:
            _, dropped = self._entries.popitem(last=False)
            self._size -= len(dropped.body)


def _keepable(start: Message, version: str) -> bool:
    """Whether an answer is a page of ``version``: 200, ``Cache-Control: public`` and an ``ETag`` naming it."""
    if start["status"] != 200:
        return False
    headers = {name.lower(): value for name, value in start.get("headers", [])}
    control = headers.get(b"cache-control", b"")
    tag = headers.get(b"etag", b"").removeprefix(b"W/")
    return b"public" in control and tag.startswith(b'"' + version.encode()) and b"set-cookie" not in headers
