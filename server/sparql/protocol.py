"""Read a SPARQL 1.1 Protocol query request (section 2.1) off an HTTP request.

Accepted: ``GET ?query=…``, ``POST`` with ``application/x-www-form-urlencoded`` (``query=…``
in the body; parameters in the URL count too) and ``POST`` with ``application/sparql-query``
(the body is the query; the other parameters are in the URL). Parameters:
``default-graph-uri`` and ``named-graph-uri`` (repeatable: the protocol's dataset, which
replaces any ``FROM``/``FROM NAMED`` of the query), ``format``, ``output`` and ``results`` (result
formats by name or media type, for links typed by hand and for the clients that send them: repeatable,
the first that fits the query wins) and ``timeout`` (seconds; may only shorten the server's deadline).

An update (section 2.2: ``POST`` with ``update=…`` in a form, or an ``application/sparql-update``
body) is read into :class:`UpdateRequest`, with ``using-graph-uri``, ``using-named-graph-uri``
and ``message`` (the edit's message for the changelog).

Everything wrong with a request raises an :class:`~ilrs.graph.errors.InputError` naming the problem:
:class:`~ilrs.graph.errors.ParameterError`,
:class:`~ilrs.graph.errors.LimitExceeded`, :class:`~ilrs.graph.errors.UnsupportedMediaType`,
:class:`~ilrs.graph.errors.UnsupportedOperation` (a method) or :class:`~ilrs.graph.errors.InputTimeout`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from starlette.datastructures import MultiDict
from starlette.requests import ClientDisconnect, Request

from ilrs.graph.errors import (
    InputError,
    InputTimeout,
    LimitExceeded,
    ParameterError,
    UnsupportedMediaType,
    UnsupportedOperation,
)
from ilrs.graph.settings import Settings

from ..params import ascii_whole_number, positive_seconds
from ..query_string import parse_pairs
from ..utf8 import utf8_problem

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
#: The methods of ``/sparql`` (``Allow`` of a 405).
METHODS = ("GET", "HEAD", "POST")

_DATASET_PARAMETERS = ("default-graph-uri", "named-graph-uri")
#: The parameters that name result formats: Virtuoso's, Jena's and others' names, all sent by SPARQLWrapper.
FORMAT_PARAMETERS = ("format", "output", "results")


@dataclass(frozen=True)
class UpdateRequest:
    """A SPARQL Update request, checked: the update, its protocol dataset and the edit's message."""

    update: str
    using_graphs: list[str]
    using_named_graphs: list[str]
    message: str | None


@dataclass(frozen=True)
class SparqlRequest:
    """A query request, checked. ``query`` is ``None`` for a plain ``GET /sparql``: the service description,
    or for an update (``update`` set)."""

    query: str | None
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    #: The ``format``/``output``/``results`` values, in the order they were sent.
    requested: list[str] = field(default_factory=list)
    timeout: float | None = None
    update: UpdateRequest | None = None

    @property
    def describes_service(self) -> bool:
        return self.query is None and self.update is None


async def read_request(
    request: Request, settings: Settings, *, body_limit: int | None = None, update_only: bool = False
) -> SparqlRequest:
    """Parse and check ``request`` (a query or an update, or with ``update_only`` an update); an
    :class:`~ilrs.graph.errors.InputError` when it is not acceptable. The body may have ``body_limit`` bytes
    (default ``Settings.max_body_bytes``)."""
    check_method(request.method)
    # As Starlette's query_params reads them, without building the mapping that is built below anyway.
    pairs = parse_pairs(request.scope["query_string"].decode("latin-1"))
    direct_query: str | None = None
    limit = body_limit or settings.max_body_bytes
    if request.method == "POST":
        media_type, charset = _content_type(request.headers.get("content-type"))
        if media_type == UPDATE:
            _check_encoding(request, charset)
            body = _decode(await _read_body(request, limit, settings.query_timeout))
            return SparqlRequest(None, update=_update(MultiDict(pairs), body))
        if media_type not in (FORM, QUERY):
            shown = f"Content-Type {media_type}" if media_type else "no Content-Type"
            raise UnsupportedMediaType(
                f"a POST needs Content-Type {FORM} (query=… in the body) or {QUERY} (the query as the body); "
                f"this one has {shown}",
            )
        _check_encoding(request, charset)
        raw = await _read_body(request, limit, settings.query_timeout)
        body = _decode(raw)
        if media_type == FORM:
            problem = utf8_problem(raw, "the form body", percent_encoded=True, pairs=True)
            if problem is not None:
                raise ParameterError(problem)
            pairs += parse_pairs(body)
        else:
            direct_query = body
    parameters = MultiDict(pairs)
    if update_only and "update" not in parameters:
        raise ParameterError(
            f"no update: send update=… in a form, or an {UPDATE} body"
            + (" (queries go to /sparql)" if "query" in parameters or direct_query is not None else "")
        )
    return _check(parameters, direct_query, request.method, settings)


def _check_encoding(request: Request, charset: str | None) -> None:
    if charset not in (None, "utf-8", "utf8"):
        raise UnsupportedMediaType(f"the body must be UTF-8; charset={charset} is not supported")
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise UnsupportedMediaType(f"Content-Encoding {encoding} is not supported: send the body uncompressed")


def _update(parameters: MultiDict, direct_update: str | None) -> UpdateRequest:
    """The update of a request (``update=`` or the body), with ``using-graph-uri``, ``using-named-graph-uri``
    and ``message``."""
    if "query" in parameters:
        raise ParameterError("the request carries both a query and an update; send one")
    updates = parameters.getlist("update") + ([direct_update] if direct_update is not None else [])
    if len(updates) != 1:
        raise ParameterError(f"the request carries {len(updates)} updates; send exactly one")
    if not updates[0].strip():
        raise ParameterError("the update is empty")
    return UpdateRequest(
        updates[0],
        _graph_iris(parameters.getlist("using-graph-uri"), "using-graph-uri") or [],
        _graph_iris(parameters.getlist("using-named-graph-uri"), "using-named-graph-uri") or [],
        _single(parameters, "message"),
    )


def check_method(method: str) -> None:
    """:class:`~ilrs.graph.errors.UnsupportedOperation` unless ``method`` is one of :data:`METHODS`."""
    if method not in METHODS:
        raise UnsupportedOperation(
            f"{method} is not supported here: send a query with GET or POST (SPARQL 1.1 Protocol)", allowed=METHODS
        )


def _check(parameters: MultiDict, direct_query: str | None, method: str, settings: Settings) -> SparqlRequest:
    if "update" in parameters:
        if method != "POST":
            raise ParameterError("an update changes the data: send it with POST, not GET (SPARQL 1.1 Protocol)")
        return SparqlRequest(None, update=_update(parameters, None))
    queries = parameters.getlist("query") + ([direct_query] if direct_query is not None else [])
    if len(queries) > 1:
        raise ParameterError(f"the request carries {len(queries)} queries; send exactly one")
    requested = [value for name, value in parameters.multi_items() if name in FORMAT_PARAMETERS]
    timeout = _timeout(_single(parameters, "timeout"))
    default_graphs = _graph_iris(parameters.getlist("default-graph-uri"), "default-graph-uri")
    named_graphs = _graph_iris(parameters.getlist("named-graph-uri"), "named-graph-uri")
    if not queries:
        if method in ("GET", "HEAD") and not any(p in parameters for p in _DATASET_PARAMETERS):
            return SparqlRequest(None, requested=requested)
        raise ParameterError(f"no query: send it in a query= parameter, or as an {QUERY} body")
    query = queries[0]
    if not query.strip():
        raise ParameterError("the query is empty")
    size = len(query.encode("utf-8"))
    if size > settings.max_query_length:
        raise LimitExceeded(
            f"the query is {size} bytes long; this endpoint accepts at most {settings.max_query_length}"
        )
    # The protocol's dataset replaces the query's FROM/FROM NAMED; what it leaves out is empty.
    if default_graphs is not None or named_graphs is not None:
        default_graphs, named_graphs = default_graphs or [], named_graphs or []
    return SparqlRequest(query, default_graphs, named_graphs, requested, timeout)


def _content_type(header: str | None) -> tuple[str | None, str | None]:
    """The media type (lower case, without parameters) and charset of a ``Content-Type`` header."""
    if not header or not header.strip():
        return None, None
    media_type, *params = (part.strip() for part in header.split(";"))
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media_type.lower(), charset


async def _read_body(request: Request, limit: int, seconds: float) -> bytes:
    """The request body, refused (:class:`~ilrs.graph.errors.LimitExceeded`) as soon as it is known to
    exceed ``limit`` bytes.

    A body that has not arrived within ``seconds`` (a client that declares more than it sends,
    or sends it a byte at a time) is refused (:class:`~ilrs.graph.errors.InputTimeout`), so that it
    cannot hold its connection.
    """
    too_large = LimitExceeded(f"the request body exceeds {limit} bytes, this endpoint's limit")
    declared = request.headers.get("content-length")
    size = ascii_whole_number(declared) if declared is not None else None
    if size is not None and size > limit:
        raise too_large
    body = bytearray()
    try:
        async with asyncio.timeout(seconds):
            async for piece in request.stream():
                body += piece
                if len(body) > limit:
                    raise too_large
    except TimeoutError as err:
        message = f"the request body did not arrive within {seconds:g} s ({len(body)} bytes came)"
        raise InputTimeout(message) from err
    except ClientDisconnect as err:
        raise InputError("the client closed the connection before the whole body arrived") from err
    return bytes(body)


def _decode(body: bytes) -> str:
    problem = utf8_problem(body, "the body")
    if problem is not None:
        raise InputError(f"{problem}: SPARQL is sent as UTF-8")
    return body.decode("utf-8").removeprefix("\ufeff")  # a byte order mark, as some editors save files


def _single(parameters: MultiDict, name: str) -> str | None:
    values = parameters.getlist(name)
    if len(values) > 1:
        raise ParameterError(f"the {name} parameter is given {len(values)} times; give it once")
    return values[0] if values else None


def _timeout(value: str | None) -> float | None:
    if value is None or value == "":
        return None
    return positive_seconds("timeout", value)


def _graph_iris(values: Sequence[str], parameter: str) -> list[str] | None:
    """The graph IRIs of a dataset parameter, each checked to be an absolute IRI; ``None`` if absent."""
    if not values:
        return None
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as err:
            raise ParameterError(f"{parameter}={value!r} is not an absolute IRI: {err}") from err
    return list(values)
