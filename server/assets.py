"""URLs of the static files that change when the files do, and how long browsers may keep them.

Pages link a static file as ``static/NAME?v=DIGEST`` (:func:`asset_url`), the digest of the file's
content. Such a URL names one content forever, so it is sent with ``Cache-Control: public,
max-age=31536000, immutable``: the megabyte of editor code is fetched once, and a new build (a new
digest) is a new URL. A static URL without the current digest is only kept while it revalidates
(``no-cache``, answered 304 from its ``ETag``).
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlsplit

import jinja2
import jinja2.runtime
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from ilrs.graph.settings import package_folder

#: Where the static files are served from (``/static``); ``vendor/`` holds the third-party builds.
STATIC_DIR = package_folder("ilrs.server") / "static"

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

_digests: dict[str, tuple[int, int, str]] = {}


def asset_digest(name: str) -> str | None:
    """A short digest of static file ``name`` (relative to :data:`STATIC_DIR`), or ``None`` if there is none.

    Cached by modification time and size, so an edited file gets a new digest without a restart.
    """
    path = STATIC_DIR / name
    try:
        if not path.resolve().is_relative_to(STATIC_DIR):
            return None
        stat = path.stat()
    except (OSError, ValueError):
        return None
    cached = _digests.get(name)
    if cached is not None and cached[:2] == (stat.st_mtime_ns, stat.st_size):
        return cached[2]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    _digests[name] = (stat.st_mtime_ns, stat.st_size, digest)
    return digest


def asset_url(name: str) -> str:
    """The versioned URL, relative to the site's root, of static file ``name``: ``static/NAME?v=DIGEST``."""
    digest = asset_digest(name)
    return f"static/{name}?v={digest}" if digest else f"static/{name}"


@jinja2.pass_context
def asset_link(context: jinja2.runtime.Context, name: str) -> str:
    """:func:`asset_url` as a template sees it: below the path of the page's ``base`` URL if it has one.

    Only the path is used, never the host: a page reached by another of the server's names (localhost
    rather than 127.0.0.1) loads its styles from its own origin, as its Content-Security-Policy requires.
    """
    base = context.get("base")
    if base is None:
        return asset_url(name)  # relative to the page (the query UI at the site's root)
    return f"{urlsplit(base).path.rstrip('/')}/{asset_url(name)}"


class CachedStaticFiles(StaticFiles):
    """The static files, with ``Cache-Control``: immutable for a URL with the current digest, else revalidate."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            version = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [None])[0]
            versioned = version is not None and version == asset_digest(path)
            response.headers["Cache-Control"] = IMMUTABLE if versioned else REVALIDATE
        return response
