"""The JSON-LD API for web sites: the published context and paginated Hydra collections.

``GET /context.jsonld`` serves ``graph/context.jsonld``. Each collection
(``/agencies``, ``/countries``, …, see :data:`graph.collections.COLLECTIONS`) is a
``hydra:Collection`` page whose members are the canonical IRIs with exactly their
triples from the graph, up to the bounds of :func:`graph.describe.bounded_statements` (a member beyond
them is abridged, and the page's view names it); ``?page=`` and ``?limit=`` page it (with ``hydra:view`` and
RFC 8288 ``Link`` headers), and some collections take filters (``?status=``,
``?partners=``, ``?party=``, ``?year=``). Bad parameters get a 400 saying why, as problem details.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path
from starlette.requests import Request
from starlette.responses import Response

from ilrs.graph import formats
from ilrs.graph.collections import COLLECTIONS, FILTERS, Collection, build_filters, page
from ilrs.graph.describe import Bounds, abridgement_note, bounded_statements, label_triples, linked_iris
from ilrs.graph.errors import NotFound, ParameterError
from ilrs.graph.hydra import PAGING, entry_point_document, member_assertion, search_template
from ilrs.graph.jsonld import (
    ARCHIVED_CONTEXTS,
    CONTEXT_VERSION,
    JSONLD_MEDIA_TYPE,
    PageLinks,
    collection_document,
    context_bytes,
    versioned_context_bytes,
)
from ilrs.graph.settings import Settings
from ilrs.graph.store import Store

from ..caching import matches
from ..deps import SettingsDep, StoreDep
from ..params import whole_number
from ..problems import PROBLEM_JSON
from ..representations import (
    CLIENT_ERRORS,
    JSONLD,
    PLAIN_JSON,
    Choice,
    body_response,
    check_modified,
    choose,
    context_url,
    dump_json,
    headers_for,
    local_linker,
    public_base,
)

router = APIRouter(tags=["JSON-LD API"])

#: What a collection can be sent as: JSON-LD, or the same document to clients that ask for plain JSON.
API_OFFERS = (formats.JSONLD,)
_JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
#: The highest page number accepted (far past any real collection; bigger numbers are a 400).
MAX_PAGE = 10**9


@router.get(
    "/context.jsonld",
    summary="The published JSON-LD context (current version)",
    response_class=Response,
    responses={200: {"content": {JSONLD: {}}, "description": "The context document"}, **CLIENT_ERRORS},
)
def context(request: Request) -> Response:
    return _context_response(request, None)


@router.get(
    "/context/{version}.jsonld",
    summary="A version of the JSON-LD context, as named by the documents (never changes)",
    responses={
        200: {"content": {JSONLD: {}}, "description": "The context document of that version"},
        404: {"content": {PROBLEM_JSON: {}}, "description": "No such version"},
        **CLIENT_ERRORS,
    },
    response_class=Response,
)
def versioned_context(
    request: Request, version: Annotated[str, Path(examples=sorted([CONTEXT_VERSION, *ARCHIVED_CONTEXTS]))]
) -> Response:
    return _context_response(request, version)


def _context_response(request: Request, version: str | None) -> Response:
    body = context_bytes() if version is None else versioned_context_bytes(version)
    if body is None:
        known = ", ".join(sorted([CONTEXT_VERSION, *ARCHIVED_CONTEXTS]))
        raise NotFound(f"no context version {version!r}; the versions are {known}")
    served = version or CONTEXT_VERSION
    tag = f'"context-{served}-{hashlib.sha256(body).hexdigest()[:12]}"'
    # A versioned URL never changes; the unversioned one may gain terms, so caches revalidate daily.
    cache = "public, max-age=31536000, immutable" if version else "public, max-age=86400"
    headers = {"ETag": tag, "Cache-Control": cache, "X-Context-Version": served}
    if matches(request.headers.get("if-none-match", ""), tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=JSONLD_MEDIA_TYPE, headers=headers)


def _handler(collection: Collection) -> Callable[..., Response]:
    def list_members(
        request: Request,
        store: StoreDep,
        settings: SettingsDep,
    ) -> Response:
        return store.consistent(lambda: _collection_response(request, store, settings, collection))

    list_members.__name__ = f"list_{collection.name}"
    return list_members


def _parameters(collection: Collection) -> list[dict[str, Any]]:
    """The OpenAPI description of a collection's query parameters (validated by :func:`_collection_response`)."""
    paging = [
        {
            "name": "page",
            "in": "query",
            "required": False,
            "description": PAGING["page"],
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        },
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": f"{PAGING['limit']} At most the server's max_page_size (by default 1000).",
            "schema": {"type": "integer", "minimum": 1},
        },
    ]
    filters = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": FILTERS[name].description,
            "schema": FILTERS[name].schema,
        }
        for name in collection.filters
    ]
    return [*filters, *paging]


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": {"type": "object"}}}}


#: The responses of every JSON-LD API route, for the OpenAPI document.
API_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A JSON-LD document (the same body as application/json, with the context in a Link header)",
        "content": {media: {"schema": {"type": "object"}} for media in (JSONLD, PLAIN_JSON)},
    },
    304: {"description": "Not modified (If-None-Match or If-Modified-Since)"},
    400: _problem("A parameter is invalid: the detail names it"),
    406: _problem("None of the offered media types is acceptable"),
    **CLIENT_ERRORS,
}


def _members_text(collection: Collection) -> str:
    if collection.scheme is not None:
        return f"the concepts of the SKOS concept scheme <{collection.scheme}>"
    return f"the instances of <{collection.class_iri}> (and its subclasses)"


for _collection in COLLECTIONS.values():
    _filters = f" Filters: {', '.join(_collection.filters)}." if _collection.filters else ""
    router.add_api_route(
        f"/{_collection.name}",
        _handler(_collection),
        methods=["GET"],
        summary=f"{_collection.title}: a paginated Hydra collection in JSON-LD",
        description=f"Members: {_members_text(_collection)}.{_filters} Paging: ?page= (from 1) and ?limit=. "
        "A member with more statements than the server's member_statements (by default 64), or a statement in "
        "more graphs than its statement_graphs (8), is abridged: the view lists its full description as "
        "seeAlso and says what is left out in its comment.",
        responses=API_RESPONSES,
        openapi_extra={"parameters": _parameters(_collection)},
    )


@router.get(
    "/api",
    summary="The entry point of the JSON-LD API: its collections, their filters and members (Hydra)",
    responses=API_RESPONSES,
)
def entry_point(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    choice = choose(request, None, API_OFFERS)
    if request.query_params:
        raise ParameterError(f"/api takes no parameters, not {', '.join(sorted(set(request.query_params)))}")
    check_modified(request, store, choice)
    base = public_base(settings)
    ctx = context_url(settings)
    document = entry_point_document(f"{base}/api", base, ctx)
    return body_response(dump_json(document), choice, headers_for(store, choice, extra=_context_link(choice, ctx)))


def _context_link(choice: Choice, ctx: str) -> dict[str, str]:
    """Plain-JSON clients learn the context from a Link header (JSON-LD 1.1, section 6.1)."""
    if choice.media_type != PLAIN_JSON:
        return {}
    return {"Link": f'<{ctx}>; rel="{_JSONLD_CONTEXT_REL}"; type="{JSONLD}"'}


def _collection_response(request: Request, store: Store, settings: Settings, collection: Collection) -> Response:
    choice = choose(request, None, API_OFFERS)
    params = request.query_params
    for name in params:
        if name not in ("page", "limit", *collection.filters):
            allowed = ", ".join(("page", "limit", *collection.filters))
            raise ParameterError(f"unknown parameter {name!r} for /{collection.name} (allowed: {allowed})")
        if len(params.getlist(name)) > 1:
            raise ParameterError(f"{name}: give it once")
    limit = whole_number("limit", params.get("limit"), settings.page_size, 1, settings.max_page_size)
    number = whole_number("page", params.get("page"), 1, 1, MAX_PAGE)
    filters = {k: v for k, v in params.items() if k in collection.filters}
    base = public_base(settings)
    patterns = build_filters(store, collection, filters, local_base=f"{base}/")
    result = page(store, collection, patterns, offset=(number - 1) * limit, limit=limit)
    last = max(1, -(-result.total // limit))
    if number > last:
        raise ParameterError(f"page: {number} is past the last page, {last}")
    # Only a request that would succeed may be answered 304: the validators are checked last.
    check_modified(request, store, choice)

    collection_url = f"{base}/{collection.name}" + (f"?{urlencode(sorted(filters.items()))}" if filters else "")

    def page_url(n: int) -> str:
        return f"{base}/{collection.name}?{urlencode([*sorted(filters.items()), ('page', n), ('limit', limit)])}"

    links = PageLinks(
        collection=collection_url,
        page=page_url(number),
        first=page_url(1),
        last=page_url(last),
        previous=page_url(number - 1) if number > 1 else None,
        next=page_url(number + 1) if number < last else None,
    )
    ctx = context_url(settings)
    # Bounded: a member the data says very much about (a hub) is abridged, so a page stays small whatever the data.
    bounds = Bounds(settings.member_statements, settings.statement_graphs)
    by_member, abridged = bounded_statements(store, result.members, bounds)
    described = [st for items in by_member.values() for st in items]
    stated = [(st.triple, st.graphs) for st in described]
    linked = label_triples(store, linked_iris(described, exclude=result.members))
    triples = [st.triple for st in described]
    document = collection_document(
        links,
        result.total,
        result.members,
        triples,
        ctx,
        local_linker(base),
        search=search_template(collection, f"{base}/{collection.name}"),
        member_assertion=member_assertion(collection),
        stated=stated,
        linked=linked,
        abridged=list(abridged),
        note=abridgement_note(abridged, bounds) if abridged else None,
    )
    rels = [("first", links.first), ("prev", links.previous), ("next", links.next), ("last", links.last)]
    link_header = [f'<{url}>; rel="{rel}"' for rel, url in rels if url]
    link_header += [v for v in _context_link(choice, ctx).values()]
    headers = headers_for(store, choice, extra={"Link": ", ".join(link_header)})
    return body_response(dump_json(document), choice, headers)
