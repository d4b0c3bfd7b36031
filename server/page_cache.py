"""Whole answers kept in memory, so that a request asked again is answered without being built again.

Three caches work alike, each with its own :class:`Policy`:

* **Pages** (:data:`PAGES`). Every linked-data representation (a resource, a collection page, the dataset's
  descriptions, in JSON-LD, Turtle, HTML…) is a function of the URL, the negotiated format and the dataset
  version: its ``ETag`` names that version, and it is sent with ``Cache-Control: public``. Such an answer —
  status 200, a ``public`` ``Cache-Control`` and an ``ETag`` naming the version — is kept. Conditional
  requests (``If-None-Match``, ``If-Modified-Since``) are answered by the routes (``304``), and nothing is
  kept of the SPARQL endpoint or of static files.
* **SPARQL results as sent** (:data:`RESULTS`). A ``GET`` of ``/sparql`` whose answer carries an ``ETag``
  naming the version — a result of a query whose answer depends only on the query and the data, whose
  normalised text keys the result cache (:mod:`.sparql.result_cache`), or the service description — is
  kept as it was sent, headers and gzip included: asked again with the same URL and headers it is sent
  at once, without reading the query's parameters, analysing the query or computing its key. The
  ``If-None-Match`` a client revalidates with is one of the headers it is kept under, so a ``304`` is kept
  and sent like any other answer. A ``POST``, or a query written otherwise, misses here and is answered
  from the result cache. A result is kept from the second time it is asked for: queries that differ every
  time cost no entry here.
* **Pages as built** (:data:`BUILT`), kept by :class:`BuiltPages` under the CORS and gzip layers, by URL and
  ``Accept`` alone: a page request that misses the pages as sent (another encoding, another origin) has its
  answer made by those layers from the page built before, not built again.

The edge (:class:`~.edge.Edge`) looks up the first two before anything else runs, and tells the layer of the
third what to do.

An answer is kept under the version, the path and query string, and the request headers it can depend
on (``Accept``, ``Accept-Encoding``: the body may be gzip, ``Origin``: the CORS headers, and for results
``If-None-Match``); a ``HEAD`` is answered from the ``GET``'s. A header may be keyed by what the layers make
of it rather than as written (``normalise``): ``Accept-Encoding`` by the coding of the answer, so that the
browsers' ``gzip, deflate, br, zstd`` and a crawler's ``gzip`` share one page, and ``Origin`` by the CORS
headers it gets, so that each site reading the pages from its own origin does not have them built again.

Entries of any other version are dropped the first time a new one is seen, and each cache holds at most
``capacity`` bytes (bodies, headers and :data:`ENTRY_OVERHEAD` per entry), the least recently used entries
going first. Requests with credentials (``Authorization``, ``Cookie``) or a ``Range`` are always left to the
application.

The headers kept are those sent, the edge's own included (:func:`~.edge.answer_headers`), so that an
answer from memory is sent as it is.

It is used from the event loop only, so it takes no lock.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .admission import SeenOnce

#: Bytes counted for an entry beside its body and headers (its key, the objects holding it).
ENTRY_OVERHEAD = 256

PageKey = tuple[str, str, bytes, tuple[bytes | None, ...]]
#: What a request header's value is keyed as, given the request's path: requests whose headers normalise
#: alike get the same answer. ``None`` keys it as if it were absent.
Normaliser = Callable[[str, bytes], bytes | None]


@dataclass(frozen=True)
class Policy:
    """Which requests a cache answers, and which answers it keeps."""

    #: Whether requests to a path are kept at all.
    covers: Callable[[str], bool]
    #: The request headers an answer may depend on: each is part of the key.
    keyed: tuple[bytes, ...]
    #: Requests with one of these headers are always answered by the application.
    bypass: frozenset[bytes]
    #: The statuses of the answers kept.
    statuses: frozenset[int]
    #: Whether an answer is kept only when it says ``Cache-Control: public``.
    public_only: bool
    #: Whether an answer is kept only from the second time it is asked for: a request that comes once (a query
    #: that differs each time) then costs no entry.
    second_time: bool = False


_CREDENTIALS = frozenset((b"authorization", b"cookie", b"range"))

#: Linked-data pages: every path but the SPARQL endpoint, the update endpoint and static files.
PAGES = Policy(
    covers=lambda path: not path.startswith(("/sparql", "/update", "/static/")),
    keyed=(b"accept", b"accept-encoding", b"origin"),
    bypass=_CREDENTIALS | {b"if-none-match", b"if-modified-since"},
    statuses=frozenset({200}),
    public_only=True,
)
#: Linked-data pages as the application built them, before CORS and gzip (:class:`BuiltPages`): by URL and ``Accept``.
BUILT = Policy(
    covers=PAGES.covers,
    keyed=(b"accept",),
    bypass=PAGES.bypass,
    statuses=PAGES.statuses,
    public_only=True,
)
#: Answers of ``GET /sparql``: results and their revalidations, and the service description.
RESULTS = Policy(
    covers=lambda path: path == "/sparql",
    keyed=(b"accept", b"accept-encoding", b"origin", b"if-none-match"),
    bypass=_CREDENTIALS | {b"if-modified-since"},
    statuses=frozenset({200, 304}),
    public_only=False,
    second_time=True,
)


@dataclass(frozen=True)
class CachedPage:
    """A whole answer, as it was sent: its status, headers and body, and the route that built it (for the
    metrics)."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    route: object

    @property
    def size(self) -> int:
        """Bytes counted against the cache's capacity."""
        return len(self.body) + sum(len(name) + len(value) for name, value in self.headers) + ENTRY_OVERHEAD

    async def send(self, send: Send, head: bool = False) -> None:
        """Send the answer (without its body, for a ``HEAD``)."""
        await send({"type": "http.response.start", "status": self.status, "headers": list(self.headers)})
        await send({"type": "http.response.body", "body": b"" if head else self.body})


class PageCache:
    """A bounded, least-recently-used map of requests to the answers sent to them, for one dataset version."""

    def __init__(
        self, capacity: int, policy: Policy = PAGES, normalise: Mapping[bytes, Normaliser] | None = None
    ) -> None:
        #: Bytes the cache may hold (0 turns it off); no entry is larger than an eighth of it.
        self.capacity = capacity
        self.max_entry = max(capacity // 8, 1)
        self.policy = policy
        #: The keyed headers taken as what they make of the answer, not as written.
        self.normalise = dict(normalise or {})
        self._entries: OrderedDict[PageKey, CachedPage] = OrderedDict()
        self._version: str | None = None
        self._size = 0
        #: The keys asked for once (:attr:`Policy.second_time`).
        self._asked = SeenOnce()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    @property
    def size(self) -> int:
        """Bytes held (see :attr:`CachedPage.size`)."""
        return self._size

    def key(self, scope: Scope, version: str) -> PageKey | None:
        """The key of a ``GET`` or ``HEAD`` request whose answer may be kept; ``None`` for any other request."""
        policy = self.policy
        if not self.capacity or scope["method"] not in ("GET", "HEAD") or not policy.covers(scope["path"]):
            return None
        values: dict[bytes, bytes | None] = {}
        keyed, bypass, normalise, path = policy.keyed, policy.bypass, self.normalise, scope["path"]
        for name, value in scope["headers"]:
            if name in bypass:
                return None
            if name in keyed:
                if name in values:
                    return None  # a header sent twice: rare, and left to the application to read
                values[name] = normalise[name](path, value) if name in normalise else value
        return (version, path, scope.get("query_string", b""), tuple(values.get(n) for n in keyed))

    def get(self, key: PageKey) -> CachedPage | None:
        """The answer kept under ``key``, if any."""
        page = self._entries.get(key) if key[0] == self._version else None
        if page is not None:
            self._entries.move_to_end(key)
        return page

    def first_time(self, key: PageKey) -> bool:
        """Whether the answer to ``key`` is not to be kept, as it is asked for the first time (and the policy
        keeps answers from the second); remembers that it was."""
        return self.policy.second_time and self._asked.first_time(key)

    def recording(self, key: PageKey, scope: Scope, send: Send) -> Send:
        """``send``, keeping the answer under ``key`` once it is sent whole, if it is one of ``key``'s version
        that the policy keeps. Wrap the ``send`` of the server itself, so that what is kept is what was sent;
        a ``HEAD`` is not recorded (its body is not sent)."""
        headers: tuple[tuple[bytes, bytes], ...] | None = None
        body: list[bytes] | None = []
        status = 0
        size = 0

        async def record(message: Message) -> None:
            nonlocal headers, body, size, status
            if message["type"] == "http.response.start":
                status = message["status"]
                # A tuple of tuples of bytes: the garbage collector stops tracking it, however many are kept.
                keepable = self._keepable(message, key[0])
                headers = tuple((name, value) for name, value in message.get("headers", [])) if keepable else None
            elif message["type"] == "http.response.body" and headers is not None and body is not None:
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_entry:
                    body = None
                else:
                    body.append(chunk)
                    if not message.get("more_body", False):
                        self._put(key, CachedPage(status, headers, b"".join(body), scope.get("route")))
            await send(message)

        return record

    def _put(self, key: PageKey, page: CachedPage) -> None:
        if key[0] != self._version:
            self._entries.clear()
            self._size = 0
            self._version = key[0]
        size = page.size
        if size > self.max_entry:
            return
        previous = self._entries.pop(key, None)
        if previous is not None:
            self._size -= previous.size
        self._entries[key] = page
        self._size += size
        while self._size > self.capacity:
            _, dropped = self._entries.popitem(last=False)
            self._size -= dropped.size

    def _keepable(self, start: Message, version: str) -> bool:
        """Whether an answer is one the policy keeps, of ``version``: a kept status, an ``ETag`` naming the
        version (and ``Cache-Control: public`` if the policy asks for it)."""
        if start["status"] not in self.policy.statuses:
            return False
        headers = {name.lower(): value for name, value in start.get("headers", [])}
        if self.policy.public_only and b"public" not in headers.get(b"cache-control", b""):
            return False
        tag = headers.get(b"etag", b"").removeprefix(b"W/")
        named = b'"' + version.encode()
        return (tag == named + b'"' or tag.startswith(named + b"-")) and b"set-cookie" not in headers


#: The scope entry by which :class:`~.edge.Edge` tells :class:`BuiltPages` about a page request: the page as
#: built to send again (a :class:`CachedPage`), or the key to keep it under once built (a :data:`PageKey`).
BUILT_PAGE = "ilrs.built_page"


class BuiltPages:
    """The layer under CORS and gzip that keeps a page as the application built it, and sends it again for any
    request of the same URL and ``Accept``: whatever its ``Accept-Encoding`` and ``Origin``, the layers above
    make its answer from it, and a page is built once.

    :class:`~.edge.Edge`, which keeps the answers as sent, says what to do (:data:`BUILT_PAGE`); a request it
    says nothing of passes through.
    """

    def __init__(self, app: ASGIApp, cache: PageCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        told = scope.get(BUILT_PAGE)
        if isinstance(told, CachedPage):
            scope["route"] = told.route
            await told.send(send)
        elif told is not None:
            await self.app(scope, receive, self.cache.recording(told, scope, send))
        else:
            await self.app(scope, receive, send)
