"""gzip for every response a client accepts it for, streamed ones included.

Starlette's gzip responder compresses whole and streamed bodies alike (the dumps and SPARQL
results are streamed chunk by chunk, never buffered). Two things are added here:

* **Levels by cost.** ``bench/compression.py`` measured level 6 at about 8 to 15 ms of CPU per MB
  and level 1 at about 3 to 6 ms, for 10 to 16 times smaller bodies. SPARQL results, which can be as
  large as ``max_result_bytes``, use ``sparql_compression_level`` (1: nearly all of the saving for
  a third of the CPU); everything else ``compression_level`` (6). 0 turns compression off.
* **ETags per encoding.** A gzip body is other bytes than the identity body, so it gets its own
  strong ETag (``"…-gzip"``, as Apache does); an ``If-None-Match`` naming it reaches the
  application as the identity tag, so both revalidate, and a 304 carries the tag the client sent.
"""

from __future__ import annotations

import functools

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipResponder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .caching import GZIP_TAG_SUFFIX, tags_of

#: Smaller bodies go uncompressed: the gzip header and the CPU are not worth it.
MINIMUM_SIZE = 1024


def gzip_tag(tag: str) -> str:
    """``"abc-json"`` → ``"abc-json-gzip"`` (weak tags keep their ``W/``)."""
    return tag[:-1] + GZIP_TAG_SUFFIX + '"' if tag.endswith('"') else tag


class CompressionMiddleware:
    """gzip responses when ``Accept-Encoding`` allows it, at a level chosen by the path."""

    def __init__(self, app: ASGIApp, level: int, sparql_level: int, sparql_path: str = "/sparql") -> None:
        self.app = app
        self.level = level
        self.sparql_level = sparql_level
        self.sparql_path = sparql_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        client_tags = tags_of(headers.get("if-none-match", ""))
        if any(tag.endswith(GZIP_TAG_SUFFIX + '"') for tag in client_tags):
            scope = _identity_tags(scope)
        level = self.sparql_level if scope["path"] == self.sparql_path else self.level
        if level <= 0 or not _accepts_gzip(headers.get("accept-encoding", "")):
            await self.app(scope, receive, send)
            return

        async def send_with_tag(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(raw=message["headers"])
                tag = out.get("etag")
                coded = out.get("content-encoding") == "gzip"
                # A 304 has no body to encode: it names the representation the client holds (the one its
                # If-None-Match names, else the gzip one a 200 would have sent).
                names_gzip = gzip_tag(tag) in client_tags or not client_tags if tag else False
                if tag and (coded or (message["status"] == 304 and names_gzip)):
                    out["etag"] = gzip_tag(tag)
                if message["status"] == 304:
                    out.add_vary_header("Accept-Encoding")
            await send(message)

        responder = GZipResponder(self.app, MINIMUM_SIZE, compresslevel=level)
        await responder(scope, receive, send_with_tag)

    def coding(self, path: str, accept_encoding: bytes) -> bytes | None:
        """The content coding this layer gives the answer to a request for ``path`` with this ``Accept-Encoding``:
        ``b"gzip"``, or ``None`` for the identity body (a body under :data:`MINIMUM_SIZE` goes as it is either
        way). Two requests that differ only in ``Accept-Encoding`` get the same answer from this layer when their
        codings are equal."""
        level = self.sparql_level if path == self.sparql_path else self.level
        return _GZIP if level > 0 and _accepts_gzip(accept_encoding.decode("latin-1")) else None

    def passes_through(self, scope: Scope) -> bool:
        """Whether this layer would leave the request ``scope`` and its answer as they are: gzip is off for its
        path or not accepted, and ``If-None-Match`` names no gzip tag."""
        level = self.sparql_level if scope["path"] == self.sparql_path else self.level
        for name, value in scope["headers"]:
            if name == b"accept-encoding" and level > 0 and _accepts_gzip(value.decode("latin-1")):
                return False
            if name == b"if-none-match" and _GZIP_TAG_END in value:
                return False
        return True


def _identity_tags(scope: Scope) -> Scope:
    """``scope`` with the ``-gzip`` suffix taken off the ETags of ``If-None-Match``: the application (and
    Starlette's static files) compare them with the identity body's tag."""
    raw = []
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            value = value.replace(GZIP_TAG_SUFFIX.encode() + b'"', b'"')
        raw.append((name, value))
    return {**scope, "headers": raw}


_GZIP_TAG_END = (GZIP_TAG_SUFFIX + '"').encode()
_GZIP = b"gzip"


@functools.lru_cache(maxsize=256)
def _accepts_gzip(header: str) -> bool:
    """Whether ``Accept-Encoding`` accepts gzip: named with a q above 0, or else by ``*`` with a q above 0."""
    weights: dict[str, float] = {}
    for item in header.lower().split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[name.strip()] = q
    for name in ("gzip", "x-gzip", "*"):
        if name in weights:
            return weights[name] > 0
    return False
