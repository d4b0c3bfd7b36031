"""Validators and caching headers derived from the dataset version.

``ETag`` names the dataset version (a digest of what was loaded) and the representation;
``Last-Modified`` is the time of that version (:attr:`Store.modified`: the newest modification
time of the files it was loaded from), so both survive a restart of the server. A conditional
request is answered 304 by ``If-None-Match`` when it is sent, else by ``If-Modified-Since``
(RFC 9110, section 13.2.2).
"""

from __future__ import annotations

from email.utils import formatdate, parsedate_to_datetime

from starlette.requests import Request

from ilrs.graph.store import Store

#: What a gzip-encoded body's ETag adds to the identity body's (see :mod:`server.compression`).
GZIP_TAG_SUFFIX = "-gzip"


def tags_of(header: str) -> set[str]:
    """The entity tags of an ``If-None-Match`` header, without ``W/`` (weak comparison)."""
    return {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}


def matches(header: str, tag: str) -> bool:
    """Whether ``If-None-Match: header`` names ``tag`` (or is ``*``); a gzip body's tag arrives here as the
    identity body's (:mod:`server.compression`)."""
    tags = tags_of(header)
    return "*" in tags or tag in tags


def etag(store: Store, variant: str = "") -> str:
    """A strong ETag for a representation of the current dataset version (``variant`` tells formats apart)."""
    return f'"{store.version}{"-" + variant if variant else ""}"'


def last_modified(store: Store) -> str:
    """The ``Last-Modified`` value of every representation of the dataset: its version's time, in HTTP form."""
    return formatdate(int(store.modified), usegmt=True)


def cache_headers(store: Store, variant: str = "", max_age: int = 60) -> dict[str, str]:
    """``ETag``, ``Last-Modified`` and ``Cache-Control`` for a read-only representation."""
    return {
        "ETag": etag(store, variant),
        "Last-Modified": last_modified(store),
        "Cache-Control": f"public, max-age={max_age}",
    }


def not_modified(request: Request, store: Store, variant: str = "") -> bool:
    """Whether the client's copy is current, so the answer is 304.

    ``If-None-Match`` decides when present (weak comparison, as RFC 9110 requires for it);
    otherwise ``If-Modified-Since`` does, when it is a valid HTTP date and the version is
    no newer than it. An unparsable date is ignored, as the RFC says.
    """
    header = request.headers.get("if-none-match")
    if header:
        return matches(header, etag(store, variant))
    since = request.headers.get("if-modified-since")
    if not since:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    if when.tzinfo is None:  # only GMT dates are valid; a date without a zone is not one
        return False
    return int(store.modified) <= when.timestamp()
