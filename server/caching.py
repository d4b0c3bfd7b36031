"""Validators and caching headers derived from the dataset version."""

from __future__ import annotations

from email.utils import formatdate

from starlette.requests import Request

from ilrs.graph.store import Store


def etag(store: Store, variant: str = "") -> str:
    """A strong ETag for a representation of the current dataset version (``variant`` tells formats apart)."""
    return f'"{store.version}{"-" + variant if variant else ""}"'


def cache_headers(store: Store, variant: str = "", max_age: int = 60) -> dict[str, str]:
    """``ETag``, ``Last-Modified`` and ``Cache-Control`` for a read-only representation."""
    return {
        "ETag": etag(store, variant),
        "Last-Modified": formatdate(store.modified, usegmt=True),
        "Cache-Control": f"public, max-age={max_age}",
    }


def not_modified(request: Request, store: Store, variant: str = "") -> bool:
    """Whether the client's ``If-None-Match`` already names this representation (answer 304)."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag(store, variant) in tags
