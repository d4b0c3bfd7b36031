"""What every HTTP request goes through, in one ASGI layer, and the direct path to ``/sparql``.

:class:`Edge` does, in one pass and with one wrapper of ``send``, the work that applies to every request
and every answer, refusals included:

* **the dataset version**: the current dataset is read once when the request arrives and pinned on it
  (``request.state.dataset``, which :func:`~ilrs.server.deps.get_dataset` returns), and every answer
  names it in ``ILRS-Dataset-Version`` (:mod:`.versioning`);
* **security headers** (:data:`~.security.SECURITY_HEADERS`), keeping any a route has set itself;
* **trusted hosts**: a ``Host`` that is not one of :func:`~.security.allowed_hosts` gets 400;
* **a per-client share of** ``/sparql`` (:mod:`.fairness`): 429 beyond it;
* ``HEAD`` **for every** ``GET`` **resource** (RFC 9110, 9.3.2): run as ``GET``, only its status and
  headers sent; the ``Allow`` of a 405 that lists ``GET`` lists ``HEAD`` too;
* **the page cache and the results as sent** (:mod:`.page_cache`): a linked-data page, or a ``GET /sparql``
  whose result is tagged, asked again with the same URL and headers is sent from memory as it was sent the
  first time — before any layer below, the query's analysis and key included. A page is also kept as the
  application built it (:class:`~.page_cache.BuiltPages`, under CORS and gzip), so that a request for it
  with another ``Accept-Encoding`` or ``Origin`` has its answer made by those layers, not built again;
* **the request log** (``METHOD path status bytes time``, once the last byte is sent: a result stream cut
  off at its deadline is logged as what it was) and, when ``Settings.metrics`` is on, **the metrics**
  (:mod:`.metrics`), both timed to the end of a streamed body.

Inside it, the application's own layers (compression, CORS, the UTF-8 check of the path and query
string) and then :class:`Dispatch`: a query or an update to ``/sparql`` (``GET``, ``POST``) goes
straight to its handler, without the router's matching, the dependency resolution and the framework's
middleware; everything else goes to the FastAPI application. Each layer is ASGI: none buffers a body.

**The short way.** A request with a direct handler that none of those layers would change — no ``Origin``
(CORS then only adds ``Origin`` to ``Vary``, which the edge does itself), no gzip asked for (or none for its
path) nor a gzip ``ETag`` named, a path and query string that are valid UTF-8 — goes from the edge straight to
its handler: the same answer, without a call and a wrapper of ``send`` per layer. Any other request takes
the layers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ilrs.graph.settings import Settings

from . import metrics
from .compression import CompressionMiddleware
from .fairness import ClientShare
from .page_cache import BUILT_PAGE, PAGES, RESULTS, CachedPage, Normaliser, PageCache, PageKey
from .security import SECURITY_HEADERS, allowed_hosts, host_allowed, host_name
from .utf8 import utf8_valid
from .versioning import VERSION_HEADER

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("ilrs.server")

_VERSION = VERSION_HEADER.lower().encode()
_SECURITY = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]
_PLAIN = (b"content-type", b"text/plain; charset=utf-8")

#: A handler of one path, called with the request's scope (its dataset pinned) without the router.
Handler = Callable[[Scope, Receive, Send], Awaitable[None]]


class Edge:
    """The outermost layer of the application: see the module documentation."""

    def __init__(
        self,
        app: FastAPI,
        inner: ASGIApp,
        settings: Settings,
        *,
        dispatch: Dispatch | None = None,
        compression: CompressionMiddleware | None = None,
        built: PageCache | None = None,
    ) -> None:
        self.app = app
        self.inner = inner
        #: The innermost layer, whose direct handlers a request that no layer would change goes to at once.
        self.dispatch = dispatch
        self.compression = compression
        self.hosts = allowed_hosts(settings)
        self.public_url = settings.public_url()
        self.share = ClientShare(settings)
        normalise: dict[bytes, Normaliser] = {b"origin": origin_key(settings.cors_origins)}
        if compression is not None:
            normalise[b"accept-encoding"] = compression.coding
        self.pages = PageCache(settings.page_cache_bytes, PAGES, normalise)
        self.results = PageCache(settings.result_cache_bytes, RESULTS, normalise)
        #: The pages as the application built them, before CORS and gzip, shared with the layer that keeps them
        #: (:class:`~.page_cache.BuiltPages`); ``None`` without that layer.
        self.built = built
        self.metrics = settings.metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request (``scope["type"]`` is ``http``)."""
        started = time.perf_counter()
        scope["app"] = self.app
        dataset = self.app.state.dataset.current
        scope.setdefault("state", {})["dataset"] = dataset
        version = dataset.store.version
        method = scope["method"]
        head = method == "HEAD"
        status, size = 0, 0
        share = self.share.key(scope)
        try:
            refusal = self._host_refusal(scope)
            if refusal is not None:
                status, size = await _plain(send, 400, refusal, version)
            elif share is not None and not self.share.take(share):
                retry = [(b"retry-after", self.share.retry_after)]
                status, size = await _plain(send, 429, self.share.refusal, version, retry)
                share = None
            else:
                cache = self.results if self.results.policy.covers(scope["path"]) else self.pages
                key = cache.key(scope, version)
                page = cache.get(key) if key is not None else None
                if page is not None:  # sent as it was the first time: nothing below runs
                    scope["route"] = page.route
                    if cache is self.results:
                        metrics.cache_lookup(True)
                    elif self.metrics:
                        metrics.page_cached("hit")
                    await page.send(send, head)
                    status, size = page.status, 0 if head else len(page.body)
                else:
                    # Kept as sent, the edge's headers included; a HEAD's answer (no body) is not kept.
                    recorded = key if key is not None and not head and not cache.first_time(key) else None
                    if recorded is not None:
                        send = cache.recording(recorded, scope, send)
                    built = self._built_page(scope, version) if cache is self.pages else None
                    status, size = await self._answer(scope, receive, send, version)
                    if self.metrics and built is not None:
                        if isinstance(built, CachedPage):
                            metrics.page_cached("reused")
                        elif self.built is not None and built in self.built:
                            metrics.page_cached("kept")
        finally:
            if share is not None:
                self.share.give_back(share)
            elapsed = time.perf_counter() - started
            log.info("%s %s %s %d B %.1f ms", method, scope["path"], status or "-", size, elapsed * 1000)
            if self.metrics:
                metrics.observe(scope, method, status or 500, elapsed)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, version: str) -> tuple[int, int]:
        """The application's answer, with the edge's headers (and without a body for a ``HEAD``): its status
        (0 if none was sent) and the bytes of its body."""
        head = scope["method"] == "HEAD"
        # The GET's headers are the HEAD's. A copy: the server still knows the request as a HEAD.
        inner = {**scope, "method": "GET"} if head else scope
        encoded = version.encode()
        status, size = 0, 0
        handler = self._short_way(inner)

        async def answer(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers", [])
                message["headers"] = answer_headers(headers, encoded, status, vary_origin=handler is not None)
            elif message["type"] == "http.response.body":
                if head:
                    if message.get("more_body", False):
                        return
                    message = {"type": "http.response.body", "body": b"", "more_body": False}
                size += len(message.get("body", b""))
            await send(message)

        try:
            if handler is not None:
                assert self.dispatch is not None
                inner["route"] = self.dispatch.routes[inner["path"]]
                await handler(inner, receive, answer)
            else:
                await self.inner(inner, receive, answer)
        finally:
            scope.setdefault("route", inner.get("route"))  # for the metrics: the route that answered
        return status, size

    def _built_page(self, scope: Scope, version: str) -> CachedPage | PageKey | None:
        """Tell the layer of the pages as built (:class:`~.page_cache.BuiltPages`) about a page request that
        missed the answers as sent: the page built for its URL and ``Accept`` is sent again, or kept once built.
        What it was told, or ``None`` (a request whose page is not kept)."""
        built = self.built
        key = built.key(scope, version) if built is not None else None
        if built is None or key is None:
            return None
        page = built.get(key)
        scope[BUILT_PAGE] = told = key if page is None else page
        return told

    def _short_way(self, scope: Scope) -> Handler | None:
        """The direct handler of a request that no layer between the edge and it would change, if it has one
        (see the module documentation)."""
        if self.dispatch is None:
            return None
        handler = self.dispatch.direct.get((scope["path"], scope["method"]))
        if handler is None or (self.compression is not None and not self.compression.passes_through(scope)):
            return None
        for name, _ in scope["headers"]:
            if name == b"origin":
                return None
        if not utf8_valid(scope.get("raw_path") or b"") or not utf8_valid(scope.get("query_string", b"")):
            return None  # the layers answer it: 400, naming the byte
        return handler

    def _host_refusal(self, scope: Scope) -> str | None:
        """Why the request's ``Host`` is not served, or ``None`` if it is (or names nothing: HTTP/1.0)."""
        for name, value in scope["headers"]:
            if name == b"host":
                header = value.decode("latin-1")
                if host_allowed(host_name(header), self.hosts):
                    return None
                return f"this server does not answer for host {header!r}: it is {self.public_url}"
        return None


def origin_key(origins: list[str]) -> Normaliser:
    """What the page caches key a request's ``Origin`` as, for the CORS layer allowing ``origins``: the
    headers that layer adds depend on the origin only when it names the allowed ones (it then repeats an allowed
    origin, and adds nothing for any other); when it allows every origin (``*``), on its presence alone."""
    if "*" in origins:
        return lambda path, origin: b"*"
    allowed = {origin.encode("latin-1") for origin in origins}
    return lambda path, origin: origin if origin in allowed else b""


def answer_headers(
    headers: Any, version: bytes, status: int, *, vary_origin: bool = False
) -> list[tuple[bytes, bytes]]:
    """An answer's headers with the dataset version, the security headers a route has not set, ``HEAD``
    in the ``Allow`` of a 405 that allows ``GET`` and, with ``vary_origin``, ``Origin`` in ``Vary`` (as the
    CORS layer adds it to an answer to a request without ``Origin``)."""
    raw = [(name.lower(), value) for name, value in headers]
    if vary_origin:
        varies = [value for name, value in raw if name == b"vary"]
        raw = [header for header in raw if header[0] != b"vary"]
        raw.append((b"vary", b", ".join([*varies, b"Origin"])))
    present = {name for name, _ in raw}
    if _VERSION not in present:  # a committed write names the version it made (server/routes/writes.py)
        raw.append((_VERSION, version))
    raw.extend(header for header in _SECURITY if header[0] not in present)
    if status == 405:
        raw = [(name, _allowing_head(value) if name == b"allow" else value) for name, value in raw]
    return raw


def _allowing_head(allow: bytes) -> bytes:
    methods = [m.strip() for m in allow.decode("latin-1").split(",") if m.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.append("HEAD")
    return ", ".join(methods).encode("latin-1")


async def _plain(
    send: Send, status: int, message: str, version: str, headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[int, int]:
    """A refusal as one line of plain text, with the edge's headers; its status and the bytes of its body."""
    body = f"{message}\n".encode()
    start = [_PLAIN, (b"content-length", str(len(body)).encode()), *(headers or [])]
    await send(
        {"type": "http.response.start", "status": status, "headers": answer_headers(start, version.encode(), status)}
    )
    await send({"type": "http.response.body", "body": body})
    return status, len(body)


class Dispatch:
    """The innermost layer: requests with a direct handler (by path and method) skip the FastAPI application."""

    def __init__(self, app: FastAPI, framework: ASGIApp, direct: dict[tuple[str, str], Handler]) -> None:
        self.framework = framework
        self.direct = direct
        #: The route each direct path has in the application: what the metrics name it by.
        self.routes = {path: _route(app, path) for path, _ in direct}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self.direct.get((scope["path"], scope["method"]))
        if handler is None:
            await self.framework(scope, receive, send)
            return
        scope["route"] = self.routes[scope["path"]]
        await handler(scope, receive, send)


def _route(app: FastAPI, path: str) -> object:
    """The application's route of ``path``, searched through the routers it includes."""
    routers: list[Any] = [app.router]
    while routers:
        for route in routers.pop().routes:
            if getattr(route, "path", None) == path:
                return route
            if hasattr(route, "original_router"):  # an included router
                routers.append(route.original_router)
    raise ValueError(f"no route serves {path}")


async def answer_exception(request: Request, exc: Exception) -> Any:
    """The response the application's exception handlers give ``exc`` (the most specific class's handler).

    An exception no handler but the catch-all one names is a bug: its traceback goes to the log.
    """
    handlers = request.app.exception_handlers
    for cls in type(exc).__mro__:
        handler = handlers.get(cls)
        if handler is not None:
            if cls is Exception:
                log.error("unexpected error answering %s %s", request.method, request.url.path, exc_info=exc)
            return await handler(request, exc)
    raise exc
