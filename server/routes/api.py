"""The JSON-LD API for web sites: the published context and paginated Hydra collections.

``GET /context.jsonld`` serves ``graph/context.jsonld``. Each collection
(``/agencies``, ``/countries``, …, see :data:`graph.collections.COLLECTIONS`) is a
``hydra:Collection`` page whose members are the canonical IRIs with exactly their
triples from the graph; ``?page=`` and ``?limit=`` page it (with ``hydra:view`` and
RFC 8288 ``Link`` headers), and some collections take filters (``?status=``,
``?partners=``, ``?party=``, ``?year=``). Bad parameters get a 400 saying why, as problem details.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ilrs.graph import formats
from ilrs.graph.collections import COLLECTIONS, Collection, build_filters, page
from ilrs.graph.describe import label_triples, linked_iris, statements
from ilrs.graph.errors import NotFound, ParameterError
from ilrs.graph.jsonld import (
    CONTEXT_VERSION,
    JSONLD_MEDIA_TYPE,
    PageLinks,
    collection_document,
    context_bytes,
    versioned_context_bytes,
)
from ilrs.graph.settings import Settings
from ilrs.graph.store import Store

from ..deps import SettingsDep, StoreDep
from ..representations import (
    JSONLD,
    PLAIN_JSON,
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


@router.get("/context.jsonld", summary="The published JSON-LD context of every document this server sends")
@router.get("/context/{version}.jsonld", include_in_schema=False)
def context(request: Request, version: str | None = None) -> Response:
    body = context_bytes() if version is None else versioned_context_bytes(version)
    if body is None:
        raise NotFound(f"no context version {version!r}; the current one is {CONTEXT_VERSION}")
    served = version or CONTEXT_VERSION
    tag = f'"context-{served}-{hashlib.sha256(body).hexdigest()[:12]}"'
    # A versioned URL never changes; the unversioned one may gain terms, so caches revalidate daily.
    cache = "public, max-age=31536000, immutable" if version else "public, max-age=86400"
    headers = {"ETag": tag, "Cache-Control": cache, "X-Context-Version": served}
    if tag in {t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")}:
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


for _collection in COLLECTIONS.values():
    _filters = f" Filters: {', '.join(_collection.filters)}." if _collection.filters else ""
    router.add_api_route(
        f"/{_collection.name}",
        _handler(_collection),
        methods=["GET"],
        summary=f"{_collection.title}: a paginated Hydra collection in JSON-LD",
        description=f"Members are the instances of <{_collection.class_iri}> (and its subclasses).{_filters} "
        "Paging: ?page= (from 1) and ?limit=.",
    )


def _int_param(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ParameterError(f"{name}: expected a whole number from {low} to {high}, not {raw!r}")
    return int(raw)


def _collection_response(request: Request, store: Store, settings: Settings, collection: Collection) -> Response:
    choice = choose(request, None, API_OFFERS)
    params = request.query_params
    for name in params:
        if name not in ("page", "limit", *collection.filters):
            allowed = ", ".join(("page", "limit", *collection.filters))
            raise ParameterError(f"unknown parameter {name!r} for /{collection.name} (allowed: {allowed})")
        if len(params.getlist(name)) > 1:
            raise ParameterError(f"{name}: give it once")
    limit = _int_param("limit", params.get("limit"), settings.page_size, 1, settings.max_page_size)
    number = _int_param("page", params.get("page"), 1, 1, 10**9)
    filters = {k: v for k, v in params.items() if k in collection.filters}
    patterns = build_filters(store, collection, filters)

    check_modified(request, store, choice)
    result = page(store, collection, patterns, offset=(number - 1) * limit, limit=limit)
    last = max(1, -(-result.total // limit))
    if number > last:
        raise ParameterError(f"page: {number} is past the last page, {last}")

    base = public_base(settings)
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
    described = [st for items in statements(store, result.members).values() for st in items]
    stated = [(st.triple, st.graphs) for st in described]
    linked = label_triples(store, linked_iris(described, exclude=result.members))
    triples = [st.triple for st in described]
    document = collection_document(
        links, result.total, result.members, triples, ctx, local_linker(base), stated=stated, linked=linked
    )
    rels = [("first", links.first), ("prev", links.previous), ("next", links.next), ("last", links.last)]
    link_header = [f'<{url}>; rel="{rel}"' for rel, url in rels if url]
    if choice.media_type == PLAIN_JSON:
        # Plain-JSON clients learn the context from the Link header (JSON-LD 1.1, section 6.1).
        link_header.append(f'<{ctx}>; rel="{_JSONLD_CONTEXT_REL}"; type="{JSONLD}"')
    headers = headers_for(store, choice, extra={"Link": ", ".join(link_header)})
    return body_response(dump_json(document), choice, headers)
