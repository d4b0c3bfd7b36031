"""Shared by the linked-data, API and dataset routes: URLs, format choice, RDF and HTML responses.

A representation is chosen by a file extension in the path (``/id/country/PK.ttl``)
or, without one, by ``Accept``, through :func:`ilrs.graph.formats.negotiate`; responses
chosen by ``Accept`` say so with ``Vary: Accept``. Every response carries the dataset's
validators from :mod:`server.caching` and answers ``If-None-Match`` with 304.

:func:`choose` raises :class:`~ilrs.graph.errors.NotAcceptable` (or
:class:`~ilrs.graph.errors.NotFound` for an unknown extension) and :func:`check_modified` raises
:class:`NotModified`; the application answers them (:mod:`server.errors`), so a route reads as
the happy path.
"""

from __future__ import annotations

import calendar
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ilrs.graph import formats
from ilrs.graph.errors import NotFound
from ilrs.graph.formats import Format, negotiate
from ilrs.graph.jsonld import CONTEXT_VERSION, graph_document
from ilrs.graph.namespaces import PREFIXES
from ilrs.graph.settings import BASE_IRI, Settings, package_folder
from ilrs.graph.store import Store

from .assets import asset_link
from .caching import cache_headers, not_modified
from .problems import PROBLEM_JSON, error_response

TEMPLATES_DIR = package_folder("ilrs.server") / "templates"
#: The Jinja2 environment of the linked-data pages (autoescaping on, as for every ``.html`` template).
templates = Jinja2Templates(directory=TEMPLATES_DIR)
#: ``{{ asset("site.css") }}``: a static file's versioned URL, relative to the site's root.
templates.env.globals["asset"] = asset_link
#: ``{{ text|isolate }}``: bidi-isolated text where no ``<bdi>`` can go (``<title>``): FSI … PDI.
templates.env.filters["isolate"] = lambda text: f"\u2068{text}\u2069"


def human_date(value: str | None) -> str:
    """``12 August 2025`` for ``2025-08-12``, ``June 2021`` for ``2021-06``, a year as itself."""
    if not value:
        return ""
    parts = value[:10].split("-")
    try:
        if len(parts) == 3:
            return f"{int(parts[2])} {calendar.month_name[int(parts[1])]} {parts[0]}"
        if len(parts) == 2:
            return f"{calendar.month_name[int(parts[1])]} {parts[0]}"
    except (ValueError, IndexError):
        return value
    return value


templates.env.filters["human_date"] = human_date

HTML = formats.HTML.media_type
TURTLE = formats.TURTLE.media_type
NTRIPLES = formats.NTRIPLES.media_type
JSONLD = formats.JSONLD.media_type
#: JSON-LD asked for as plain JSON: the same body, sent as ``application/json``.
PLAIN_JSON = "application/json"

#: Offers of an RDF resource, in the order that breaks ties: a bare ``*/*`` (curl, scripts) gets Turtle;
#: browsers name ``text/html`` and get the page.
RDF_OFFERS: tuple[Format, ...] = (formats.TURTLE, formats.HTML, formats.JSONLD, formats.NTRIPLES)
#: Path extensions that select a representation.
EXTENSIONS: dict[str, str] = {f.extensions[0]: f.media_type for f in RDF_OFFERS}
#: The extensions of the RDF representations, as a page links them ("ttl", "jsonld", "nt").
RDF_EXTENSIONS: tuple[str, ...] = tuple(f.extensions[0] for f in RDF_OFFERS if f.writer is not None)

#: Any other client error of a linked-data or JSON-LD route (a malformed path or query string, a method it
#: does not allow): problem details. Declaring it also keeps FastAPI from documenting a 422 no route sends.
CLIENT_ERRORS: dict[int | str, dict[str, Any]] = {
    "4XX": {"description": "Any other client error, as problem details", "content": {PROBLEM_JSON: {}}},
}

#: The responses of an RDF resource (any of :data:`RDF_OFFERS`), for the OpenAPI document.
RDF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The resource: a page, Turtle, N-Triples or JSON-LD, by Accept or by the extension",
        "content": {media: {} for media in [*(f.media_type for f in RDF_OFFERS), PLAIN_JSON]},
    },
    304: {"description": "Not modified (If-None-Match or If-Modified-Since)"},
    404: {"description": "Nothing is known about it", "content": {PROBLEM_JSON: {}, HTML: {}}},
    406: {"description": "None of the offered media types is acceptable", "content": {PROBLEM_JSON: {}}},
    **CLIENT_ERRORS,
}


@dataclass(frozen=True)
class Choice:
    """The representation to send: its format, the media type asked for, and whether ``Accept`` chose it."""

    format: Format
    media_type: str
    negotiated: bool

    @property
    def variant(self) -> str:
        """A short name used in ETags, so each representation has its own validator."""
        return "json" if self.media_type == PLAIN_JSON else self.format.extensions[0]

    @property
    def is_jsonld(self) -> bool:
        return self.format is formats.JSONLD

    @property
    def content_type(self) -> str:
        return PLAIN_JSON if self.media_type == PLAIN_JSON else self.format.content_type


class NotModified(Exception):
    """The client's cached copy is current: answered with an empty 304 carrying ``headers``."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("not modified")
        self.headers = headers


def split_extension(name: str, extensions: Iterable[str] = EXTENSIONS) -> tuple[str, str | None]:
    """``("PK", "ttl")`` for ``"PK.ttl"``; ``(name, None)`` when ``name`` ends in no known extension."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem and ext in extensions:
        return stem, ext
    return name, None


def choose(request: Request, extension: str | None, offers: Sequence[Format] = RDF_OFFERS) -> Choice:
    """The representation for ``request``; :class:`~ilrs.graph.errors.NotAcceptable` when nothing offered fits,
    :class:`~ilrs.graph.errors.NotFound` when ``extension`` names no representation."""
    chosen = negotiate(offers, request.headers.get("accept"), extension=extension, listing="extension")
    return Choice(chosen.format, chosen.media_type, chosen.negotiated)


def public_base(settings: Settings) -> str:
    """This server's public URL without a trailing slash (:meth:`Settings.public_url`).

    Never the request's ``Host``: responses are cached publicly, and a client's Host header must
    not write the URLs every later visitor gets.
    """
    return settings.public_url()


def context_url(settings: Settings) -> str:
    """Where this server publishes the JSON-LD context: the ``@context`` of every document it sends.

    The versioned URL, so that a document keeps meaning what it meant when a later version of the
    context changes a term (each version stays served).
    """
    return f"{public_base(settings)}/context/{CONTEXT_VERSION}.jsonld"


#: Schemes an IRI from the data may be linked by: a ``javascript:`` or ``data:`` IRI in a loaded file
#: must not become something a visitor clicks.
LINKABLE_SCHEMES = ("http", "https")


def link_target(iri: str) -> str | None:
    """``iri`` if a page may link to it (an ``http:``/``https:`` IRI), else ``None`` (shown as text)."""
    scheme, sep, _ = iri.partition(":")
    return iri if sep and scheme.lower() in LINKABLE_SCHEMES else None


def local_url(iri: str, base: str) -> str | None:
    """The URL on this server that dereferences a canonical IRI (``None`` for IRIs outside the base)."""
    if iri.startswith(BASE_IRI):
        return f"{base}/{iri[len(BASE_IRI) :]}"
    return None


def page_url(request: Request, base: str) -> str:
    """The public URL of the requested page (``base``, the path and the query string), for the page's markup:
    like every URL of a cached answer, never built from the request's ``Host``."""
    query = request.url.query
    return f"{base}{request.url.path}" + (f"?{query}" if query else "")


def local_linker(base: str) -> Callable[[str], str | None]:
    """:func:`local_url` bound to ``base``."""
    return lambda iri: local_url(iri, base)


def headers_for(
    store: Store, choice: Choice, *, max_age: int = 60, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """Validators, ``Cache-Control`` and (for negotiated responses) ``Vary: Accept``."""
    headers = cache_headers(store, choice.variant, max_age)
    if choice.negotiated:
        headers["Vary"] = "Accept"
    headers.update(extra or {})
    return headers


def check_modified(request: Request, store: Store, choice: Choice) -> None:
    """:class:`NotModified` (an empty 304 with the validators the full response would carry) if the client's
    cached copy is current."""
    if not_modified(request, store, choice.variant):
        raise NotModified(headers_for(store, choice))


def serialize_triples(
    triples: list[ox.Triple], fmt: Format, context: str, local_url: Callable[[str], str | None] | None = None
) -> bytes:
    """Compact JSON-LD (naming ``context``; with ``local_url``, the ``localUrl`` of every resource it
    mentions), or ``fmt``'s serialization with the project's prefixes."""
    if fmt is formats.JSONLD:
        return dump_json(graph_document(triples, context, local_url))
    out = io.BytesIO()
    fmt.write(triples, out, PREFIXES)
    return out.getvalue()


def dump_json(document: Any) -> bytes:
    """JSON as sent: UTF-8, unescaped non-ASCII, indented for people who read it."""
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def body_response(content: bytes, choice: Choice, headers: dict[str, str], status_code: int = 200) -> Response:
    """A response with the right ``Content-Type`` for ``choice``."""
    return Response(content, status_code=status_code, media_type=choice.content_type, headers=headers)


def not_found_response(
    request: Request,
    settings: Settings,
    message: str,
    extension: str | None = None,
    suggestions: list[tuple[str, str, str]] | None = None,
) -> Response:
    """404: the HTML page for browsers (or a ``.html`` path), problem details for everything else.

    ``suggestions`` (link, label, kind) are what the page offers instead: the nearest names.
    """
    wanted = EXTENSIONS.get(extension or "") or _error_media_type(request.headers.get("accept"))
    headers = {"Vary": "Accept", "Cache-Control": "no-cache"}
    if wanted == HTML:
        context: dict[str, Any] = {"message": message, "path": request.url.path, "base": public_base(settings)}
        context["suggestions"] = suggestions or []
        return templates.TemplateResponse(request, "404.html", context, status_code=404, headers=headers)
    response = error_response(request, NotFound(message))
    response.headers.update(headers)
    return response


def _error_media_type(accept: str | None) -> str:
    """How to word an error for a client: a page for browsers, JSON for JSON clients, else plain text."""
    chosen = formats.by_accept(accept, [formats.TURTLE, formats.HTML, formats.JSONLD])
    return chosen.media_type if chosen is not None else TURTLE


def wants_html(accept: str | None) -> bool:
    """Whether a client prefers a page (a browser) to JSON."""
    return _error_media_type(accept) == HTML


def html_response(request: Request, template: str, context: dict[str, Any], headers: dict[str, str]) -> HTMLResponse:
    """A rendered page."""
    response: HTMLResponse = templates.TemplateResponse(request, template, context, headers=headers)
    return response


def script_json(document: Any) -> str:
    """JSON safe to place inside ``<script>``: no ``<``, ``>`` or ``&`` can end the element early."""
    text = json.dumps(document, ensure_ascii=False, indent=2)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
