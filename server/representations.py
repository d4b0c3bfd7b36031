"""Shared by the linked-data, API and dataset routes: URLs, format choice, RDF and HTML responses.

A representation is chosen by a file extension in the path (``/id/country/PK.ttl``)
or, without one, by ``Accept`` through :mod:`server.negotiation`; responses chosen
by ``Accept`` say so with ``Vary: Accept``. Every response carries the dataset's
validators from :mod:`server.caching` and answers ``If-None-Match`` with 304.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ilrs.graph.errors import NotAcceptable, NotFound
from ilrs.graph.jsonld import CONTEXT_VERSION, JSONLD_MEDIA_TYPE, graph_document
from ilrs.graph.namespaces import PREFIXES
from ilrs.graph.settings import BASE_IRI, Settings
from ilrs.graph.store import Store

from .assets import asset_link
from .caching import cache_headers, not_modified
from .negotiation import best_match
from .problems import PROBLEM_JSON, error_response

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: The Jinja2 environment of the linked-data pages (autoescaping on, as for every ``.html`` template).
templates = Jinja2Templates(directory=TEMPLATES_DIR)
#: ``{{ asset("site.css") }}``: a static file's versioned URL, relative to the site's root.
templates.env.globals["asset"] = asset_link
#: ``{{ text|isolate }}``: bidi-isolated text where no ``<bdi>`` can go (``<title>``): FSI … PDI.
templates.env.filters["isolate"] = lambda text: f"\u2068{text}\u2069"

HTML = "text/html"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
JSONLD = JSONLD_MEDIA_TYPE

#: Path extensions that select a representation.
EXTENSIONS: dict[str, str] = {"html": HTML, "ttl": TURTLE, "nt": NTRIPLES, "jsonld": JSONLD}
#: Offers of an RDF resource, in the order that breaks ties: a bare ``*/*`` (curl, scripts) gets Turtle;
#: browsers name ``text/html`` and get the page.
RDF_OFFERS = [TURTLE, HTML, JSONLD, NTRIPLES, "application/json"]
#: Short names used in ETags, so each representation has its own validator.
VARIANTS = {HTML: "html", TURTLE: "ttl", NTRIPLES: "nt", JSONLD: "jsonld", "application/json": "json"}

#: The responses of an RDF resource (any of :data:`RDF_OFFERS`), for the OpenAPI document.
RDF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The resource: a page, Turtle, N-Triples or JSON-LD, by Accept or by the extension",
        "content": {media: {} for media in RDF_OFFERS},
    },
    304: {"description": "Not modified (If-None-Match or If-Modified-Since)"},
    404: {"description": "Nothing is known about it", "content": {PROBLEM_JSON: {}, HTML: {}}},
    406: {"description": "None of the offered media types is acceptable", "content": {PROBLEM_JSON: {}}},
}

_CONTENT_TYPES = {
    HTML: "text/html; charset=utf-8",
    TURTLE: "text/turtle; charset=utf-8",
    NTRIPLES: "application/n-triples; charset=utf-8",
    JSONLD: JSONLD,
    "application/json": "application/json",
}


@dataclass(frozen=True)
class Choice:
    """The representation to send: its media type, and whether ``Accept`` chose it (``Vary: Accept``)."""

    media_type: str
    negotiated: bool

    @property
    def variant(self) -> str:
        return VARIANTS.get(self.media_type, "other")

    @property
    def is_jsonld(self) -> bool:
        return self.media_type in (JSONLD, "application/json")


def split_extension(name: str, extensions: Iterable[str] = EXTENSIONS) -> tuple[str, str | None]:
    """``("PK", "ttl")`` for ``"PK.ttl"``; ``(name, None)`` when ``name`` ends in no known extension."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem and ext in extensions:
        return stem, ext
    return name, None


def choose(request: Request, extension: str | None, offers: list[str] = RDF_OFFERS) -> Choice:
    """The representation for ``request``; :class:`NotAcceptable` when nothing offered fits, and
    :class:`NotFound` when ``extension`` names no representation."""
    if extension is not None:
        media_type = EXTENSIONS.get(extension)
        if media_type is None:
            known = ", ".join(f".{ext}" for ext, offered in EXTENSIONS.items() if offered in offers)
            raise NotFound(f"no representation .{extension} here: add {known}, or none to choose by Accept")
        if media_type not in offers:
            raise _not_acceptable(offers)
        return Choice(media_type, negotiated=False)
    chosen = best_match(request.headers.get("accept"), offers)
    if chosen is None:
        raise _not_acceptable(offers)
    return Choice(chosen, negotiated=True)


def _not_acceptable(offers: list[str]) -> NotAcceptable:
    message = f"none of the offered representations is acceptable: {', '.join(offers)}"
    return NotAcceptable(message, available=offers)


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


def is_fresh(request: Request, store: Store, choice: Choice) -> bool:
    """Whether the client's cached copy is current (answer :func:`not_modified_response`)."""
    return not_modified(request, store, choice.variant)


def not_modified_response(store: Store, choice: Choice) -> Response:
    """An empty 304 carrying the same validators as the full response would."""
    return Response(status_code=304, headers=headers_for(store, choice))


def serialize_triples(triples: list[ox.Triple], media_type: str, context: str) -> bytes:
    """Turtle (with the project's prefixes), N-Triples or compact JSON-LD (naming ``context``)."""
    if media_type in (JSONLD, "application/json"):
        return dump_json(graph_document(triples, context))
    fmt = ox.RdfFormat.TURTLE if media_type == TURTLE else ox.RdfFormat.N_TRIPLES
    data = ox.serialize(triples, format=fmt, prefixes=PREFIXES if fmt == ox.RdfFormat.TURTLE else None)
    return data or b""


def dump_json(document: Any) -> bytes:
    """JSON as sent: UTF-8, unescaped non-ASCII, indented for people who read it."""
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def body_response(content: bytes, choice: Choice, headers: dict[str, str], status_code: int = 200) -> Response:
    """A response with the right ``Content-Type`` for ``choice``."""
    return Response(content, status_code=status_code, media_type=_CONTENT_TYPES[choice.media_type], headers=headers)


def not_acceptable_response(request: Request, err: NotAcceptable) -> Response:
    """406 listing what is offered, as problem details."""
    return error_response(request, err)


def not_found_response(request: Request, settings: Settings, message: str, extension: str | None = None) -> Response:
    """404: the HTML page for browsers (or a ``.html`` path), problem details for everything else."""
    accept = request.headers.get("accept")
    wanted = EXTENSIONS.get(extension or "") or best_match(accept, [TURTLE, HTML, "application/json", JSONLD])
    headers = {"Vary": "Accept", "Cache-Control": "no-cache"}
    if wanted == HTML:
        context = {"message": message, "path": request.url.path, "base": public_base(settings)}
        return templates.TemplateResponse(request, "404.html", context, status_code=404, headers=headers)
    response = error_response(request, NotFound(message))
    response.headers.update(headers)
    return response


def html_response(request: Request, template: str, context: dict[str, Any], headers: dict[str, str]) -> HTMLResponse:
    """A rendered page."""
    response: HTMLResponse = templates.TemplateResponse(request, template, context, headers=headers)
    return response


def script_json(document: Any) -> str:
    """JSON safe to place inside ``<script>``: no ``<``, ``>`` or ``&`` can end the element early."""
    text = json.dumps(document, ensure_ascii=False, indent=2)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
