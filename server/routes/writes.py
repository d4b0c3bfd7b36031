"""Writes: SPARQL 1.1 Update at ``/update`` (and ``/sparql``), the Graph Store HTTP Protocol at ``/store``.

Every write needs ``Authorization: Bearer <token>`` naming a configured token
(``Settings.tokens_file``): none configured, every write is 403; no credentials 401
(``WWW-Authenticate: Bearer``); a wrong token 403. The write then goes to the one
:class:`~ilrs.graph.writer.Writer` (staged, validated, committed: see there), in a worker
thread, so reads go on meanwhile. A write that does not conform to the shapes is 422 with
the validation report, as problem details (JSON, ``report`` member) or as the SHACL report
in Turtle if ``Accept`` prefers ``text/turtle``.

``/store`` names its graph by ``?graph=IRI``, ``?default``, or by its own URL
(``/store/some/path`` is the graph ``{base}/store/some/path``, the protocol's direct
identification). ``POST /store`` without either creates a new graph there (201, ``Location``).
Bodies: Turtle, TriG, N-Triples, N-Quads, RDF/XML, JSON-LD (never fetching a remote context),
or ``multipart/form-data`` whose parts are any of those.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import hashlib
import uuid
from typing import Any, Literal

import pyoxigraph as ox
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ilrs.graph import formats
from ilrs.graph.errors import (
    Forbidden,
    IlrsError,
    InputError,
    LimitExceeded,
    NotFound,
    ParameterError,
    ShapeViolation,
    Unauthenticated,
    UnknownFormat,
    UnsupportedMediaType,
    UnsupportedOperation,
)
from ilrs.graph.settings import Settings
from ilrs.graph.store import Store, rdf_format
from ilrs.graph.tokens import TokenRegistry
from ilrs.graph.updates import parse_quads
from ilrs.graph.writer import Commit, Writer

from .. import metrics
from ..caching import cache_headers, not_modified
from ..deps import SettingsDep, StoreDep
from ..problems import error_response
from ..representations import public_base
from ..sparql.protocol import UpdateRequest, read_request
from ..versioning import VERSION_HEADER

router = APIRouter(tags=["writes"])

STORE_PATH = "/store"
GRAPH_FORMATS = [formats.TURTLE, formats.NTRIPLES, formats.JSONLD, formats.RDFXML]
MESSAGE_HEADER = "X-Edit-Message"
STORE_METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")
BODY_FORMATS = "Turtle, TriG, N-Triples, N-Quads, RDF/XML, JSON-LD"


# --- authentication --------------------------------------------------------------------------------------


def authorize(request: Request) -> str:
    """The name of the token the request carries; :class:`Forbidden`/:class:`Unauthenticated` otherwise."""
    registry: TokenRegistry = request.app.state.tokens
    if not registry.enabled:
        raise Forbidden("writes are disabled on this server: no write token is configured (ilrs serve --tokens FILE)")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("this write needs a token: send Authorization: Bearer <token>")
    name = registry.identify(token.strip())
    if name is None:
        raise Forbidden("the token is not valid for writing here")
    return name


def writer_of(request: Request) -> Writer:
    """The server's writer (:func:`authorize` has found writes enabled, so there is one)."""
    writer: Writer | None = request.app.state.writer
    if writer is None:
        raise Forbidden("writes are disabled on this server: no write token is configured (ilrs serve --tokens FILE)")
    return writer


def _message(request: Request, given: str | None = None) -> str | None:
    """The edit's message (``message=`` of the form, the header, or ``?message=``), without surrounding spaces;
    the writer refuses one longer than ``max_edit_message``."""
    text = given if given is not None else _header_text(request) or request.query_params.get("message")
    return text.strip() or None if text else None


def _header_text(request: Request) -> str | None:
    """The message header as its sender wrote it: clients send UTF-8 bytes, which Starlette reads as Latin-1."""
    value = request.headers.get(MESSAGE_HEADER)
    if value is None:
        return None
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:  # not UTF-8: Latin-1 it was
        return value


def write_refusal(request: Request, err: IlrsError, *, plain_text: bool = False) -> Response:
    """A refused write: a failed validation as its report (Turtle if preferred), anything else as usual."""
    metrics.write_outcome(False)
    if isinstance(err, ShapeViolation):
        choice = formats.by_accept(request.headers.get("accept"), [formats.JSONLD, formats.TURTLE])
        if choice is not None and choice.format is formats.TURTLE:
            return Response(err.turtle, status_code=422, media_type="text/turtle")
        return error_response(request, err)
    return error_response(request, err, plain_text=plain_text)


def committed(commit: Commit, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The answer to a committed write: the new version and what changed (also ``ETag``)."""
    metrics.write_outcome(True)
    body: dict[str, Any] = {
        "version": commit.version,
        "added": commit.added,
        "removed": commit.removed,
        "graphs": commit.graphs,
        "activity": commit.edit.iri if commit.edit else None,
    }
    named = {"ETag": f'"{commit.version}"', VERSION_HEADER: commit.version}
    return JSONResponse(body, status_code=status, headers={**named, **(headers or {})})


# --- SPARQL Update ---------------------------------------------------------------------------------------


async def run_update(request: Request, update: UpdateRequest, settings: Settings) -> Commit:
    """Run a checked update request as the request's token holder; at ``/sparql`` too, an update may have
    at most ``max_write_bytes`` (the body limit there is the queries')."""
    editor = authorize(request)
    size = len(update.update.encode("utf-8"))
    if size > settings.max_write_bytes:
        raise LimitExceeded(
            f"the update is {size} bytes long; a write may have at most {settings.max_write_bytes} (max_write_bytes)"
        )
    base = public_base(settings)
    return await asyncio.to_thread(
        writer_of(request).update,
        update.update,
        editor=editor,
        message=_message(request, update.message),
        base_iri=f"{base}/update",
        using_graphs=update.using_graphs,
        using_named_graphs=update.using_named_graphs,
        fetch=lambda url: _fetch(url, settings),
    )


@router.post(
    "/update",
    summary="SPARQL 1.1 Update (form update=… or an application/sparql-update body); needs a Bearer token",
    responses={
        200: {"description": "Committed: the new version and what changed"},
        400: {"description": "Malformed update (with its position), or LOAD of a URL not allowed"},
        401: {"description": "No token"},
        403: {"description": "Writes are off, the token is wrong, or a graph is not writable"},
        413: {"description": "The update is larger than max_write_bytes"},
        422: {"description": "The result would not conform to the shapes: the validation report"},
    },
)
async def update(request: Request, settings: SettingsDep) -> Response:
    try:
        authorize(request)  # before reading the body
        parsed = await read_request(request, settings, body_limit=settings.max_write_bytes, update_only=True)
        assert parsed.update is not None
        return committed(await run_update(request, parsed.update, settings))
    except IlrsError as err:
        return write_refusal(request, err)


@router.api_route("/update", methods=["GET", "PUT", "DELETE", "PATCH"], include_in_schema=False)
async def update_other_methods(request: Request) -> Response:
    return write_refusal(
        request, UnsupportedOperation("send an update with POST (SPARQL 1.1 Protocol)", allowed=("POST",))
    )


def _fetch(url: str, settings: Settings) -> list[ox.Quad]:
    """The RDF at an allow-listed ``url`` (for ``LOAD``), at most ``max_write_bytes``."""
    import httpx

    limit = settings.max_write_bytes
    with httpx.stream("GET", url, timeout=settings.query_timeout, follow_redirects=False) as response:
        if response.status_code != 200:
            raise InputError(f"LOAD <{url}>: the server answered {response.status_code}")
        data = bytearray()
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) > limit:
                raise InputError(f"LOAD <{url}>: the document exceeds {limit} bytes")
        media_type = response.headers.get("content-type", "text/turtle").split(";")[0].strip()
    return parse_quads(bytes(data), media_type, base_iri=url)


# --- the Graph Store HTTP Protocol ------------------------------------------------------------------------


def _target(request: Request, settings: Settings, path: str | None) -> str | None:
    """The graph a /store request names: an IRI, ``""`` for the default graph, ``None`` for none."""
    params = request.query_params
    named = params.getlist("graph")
    given = len(named) + ("default" in params) + (path is not None)
    if given > 1:
        raise ParameterError("name one graph: ?graph=IRI, ?default, or the graph's own URL under /store/")
    if path is not None:
        return f"{public_base(settings)}{STORE_PATH}/{path}"
    if "default" in params:
        return ""
    if named:
        try:
            ox.NamedNode(named[0])
        except ValueError as err:
            raise ParameterError(f"graph={named[0]!r} is not an absolute IRI: {err}") from err
        return named[0]
    return None


def _graph_exists(store: Store, graph: str) -> bool:
    name = ox.DefaultGraph() if graph == "" else ox.NamedNode(graph)
    return next(iter(store.match(None, None, None, name)), None) is not None


@router.api_route(STORE_PATH, methods=list(STORE_METHODS), summary="SPARQL 1.1 Graph Store")
async def graph_store(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    return await _graph_store(request, store, settings, None)


@router.api_route(
    f"{STORE_PATH}/{{path:path}}", methods=["GET", "HEAD", "PUT", "POST", "DELETE"], include_in_schema=False
)
async def graph_store_direct(path: str, request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    return await _graph_store(request, store, settings, path)


async def _graph_store(request: Request, store: Store, settings: Settings, path: str | None) -> Response:
    try:
        graph = _target(request, settings, path)
        if request.method in ("GET", "HEAD"):
            return _read_graph(request, store, graph)
        editor = authorize(request)
        if request.method == "DELETE":
            if graph is None:
                raise ParameterError("name the graph to delete: ?graph=IRI or ?default")
            commit = await _write(request, "delete", graph, None, editor)
            return committed(commit)
        quads = await _body_quads(request, settings, graph)
        if request.method == "PUT":
            if graph is None:
                raise ParameterError("name the graph to replace: ?graph=IRI or ?default")
            existed = _graph_exists(store, graph)
            commit = await _write(request, "replace", graph, quads, editor)
            return committed(commit, 200 if existed else 201)
        if graph is None and not any(not isinstance(q.graph_name, ox.DefaultGraph) for q in quads):
            # POST to the graph store itself: a new graph, named under /store/.
            graph = f"{public_base(settings)}{STORE_PATH}/{uuid.uuid4().hex}"
            commit = await _write(request, "merge", graph, quads, editor)
            return committed(commit, 201, {"Location": graph})
        commit = await _write(request, "merge", graph, quads, editor)
        return committed(commit)
    except IlrsError as err:
        return write_refusal(request, err)


async def _write(
    request: Request,
    operation: Literal["replace", "merge", "delete"],
    graph: str | None,
    quads: list[ox.Quad] | None,
    editor: str,
) -> Commit:
    return await asyncio.to_thread(
        writer_of(request).write_graph, operation, graph, quads, editor=editor, message=_message(request)
    )


def _read_graph(request: Request, store: Store, graph: str | None) -> Response:
    if graph is None:
        raise ParameterError("name the graph to read: ?graph=IRI or ?default (the whole dataset is at /sparql)")
    if not _graph_exists(store, graph):
        raise NotFound(f"no graph {graph}" if graph else "the default graph is empty")
    choice = formats.by_accept(request.headers.get("accept"), GRAPH_FORMATS)
    if choice is None:
        raise formats.not_acceptable(GRAPH_FORMATS, "a graph")
    media_type = choice.format.media_type
    variant = f"store-{hashlib.sha256(f'{media_type} {graph}'.encode()).hexdigest()[:12]}"
    headers = {**cache_headers(store, variant, max_age=0), "Vary": "Accept"}
    if not_modified(request, store, variant):
        return Response(status_code=304, headers=headers)
    name = ox.DefaultGraph() if graph == "" else ox.NamedNode(graph)
    triples = (ox.Triple(q.subject, q.predicate, q.object) for q in store.match(None, None, None, name))
    body = ox.serialize(triples, format=rdf_format(media_type)) or b""
    return Response(body, media_type=media_type, headers=headers)


async def _body_quads(request: Request, settings: Settings, graph: str | None) -> list[ox.Quad]:
    """The RDF of the request body (or of each part of a multipart body)."""
    from ..sparql.protocol import _check_encoding, _content_type, _read_body

    media_type, charset = _content_type(request.headers.get("content-type"))
    if media_type is None:
        raise UnsupportedMediaType("send the RDF with its Content-Type (text/turtle, application/trig, …)")
    # Uncompressed, and UTF-8 as every RDF syntax but RDF/XML (whose XML declaration names its encoding) is.
    _check_encoding(request, None if media_type == formats.RDFXML.media_type else charset)
    body = await _read_body(request, settings.max_write_bytes, settings.query_timeout)
    base = f"{public_base(settings)}{STORE_PATH}"
    if media_type == "multipart/form-data":
        parts = _multipart(request.headers["content-type"], body)
    else:
        parts = [(media_type, body)]
    quads: list[ox.Quad] = []
    for part_type, data in parts:
        try:
            quads += parse_quads(data, part_type, base_iri=graph or base)
        except UnknownFormat as err:
            raise UnsupportedMediaType(f"{part_type} is not an RDF format this store reads ({BODY_FORMATS})") from err
    if graph is not None and any(not isinstance(q.graph_name, ox.DefaultGraph) for q in quads):
        raise ParameterError("the body names its own graphs (TriG, N-Quads): send it to /store without a graph")
    return quads


def _multipart(content_type: str, body: bytes) -> list[tuple[str, bytes]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    if not message.is_multipart():
        raise InputError("the multipart/form-data body has no parts (is its boundary right?)")
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            parts.append((part.get_content_type(), payload))
    return parts
