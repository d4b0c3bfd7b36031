"""``/sparql``: the SPARQL 1.1 Protocol query endpoint, and its service description.

``GET``/``POST`` with a query evaluate it (see :mod:`ilrs.server.sparql.protocol` for the
parameters) and stream the result in the format chosen by ``Accept`` or ``format=``;
``GET /sparql`` without a query answers with the SPARQL 1.1 Service Description (Turtle,
JSON-LD, RDF/XML, N-Triples, or an HTML page for browsers).

The default graph is the merge of all graphs, each triple once. No prefixes are declared for the
client: ``/sparql`` is a standard endpoint, and a query declares what it uses (the query
UI writes the project's prefixes into its editor). Updates (``update=``, ``application/sparql-update``)
go to the writer, as at ``/update`` (:mod:`.writes`); an update sent as a query is
refused with 400. Each query runs off the event loop under a deadline
(``Settings.query_timeout``; ``timeout=`` may shorten it), a limit on concurrent queries
and size limits; ``SERVICE`` may only call the allow-listed endpoints. The exception is a query
that reads no data (``ASK {}``), answered at once on the event loop (:mod:`..sparql.inline`).

Refusals are one line of plain text, as SPARQL clients show them; their status comes from the
error's class (:data:`ilrs.server.problems.STATUS`): 400 bad request or query (the parser's
message and position), 405 wrong method, 406 no acceptable format, 408 a body that does not
arrive within the deadline, 413 too large, 415 wrong ``Content-Type``, charset or
``Content-Encoding``, 503 every query slot taken (with ``Retry-After``), 504 the query passed
its deadline, 507 it needed more memory than ``Settings.max_query_memory`` (worker processes only)
or its result would pass ``Settings.max_result_rows`` or ``max_result_bytes``. A result that passes
them, or its deadline, once it has begun is cut short: the response is left unfinished.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Coroutine
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from ilrs.graph.errors import IlrsError, QuerySyntaxError, QueryTimeout, ResultTooLarge, UnsupportedQuery
from ilrs.graph.formats import HTML, JSONLD, OFFERS, RESULT_FORMATS, Format, negotiate
from ilrs.graph.query_analysis import READ_ONLY, analyse, looks_like_update
from ilrs.graph.schemaorg import endpoint_markup
from ilrs.graph.settings import Settings
from ilrs.graph.stats import compute_stats
from ilrs.graph.store import Store, is_external

from ..caching import cache_headers, not_modified, tags_of
from ..deps import ExecutorDep, SettingsDep, StoreDep, get_executor
from ..edge import answer_exception
from ..http_protocol import DISCONNECT
from ..problems import error_response
from ..representations import context_url, local_url, public_base, script_json, serialize_triples, templates
from ..sparql.evaluate import QueryJob, choose_result_format
from ..sparql.executor import Deadline, QueryExecutor
from ..sparql.inline import answer_inline, answers_inline
from ..sparql.process_executor import ProcessExecutor
from ..sparql.protocol import METHODS, SparqlRequest, check_method, read_request
from ..sparql.result_cache import CachedResult, ResultCache, ResultKey
from ..sparql.service_description import Limits, describe_service, serialize_description, service_page
from ..sparql.thread_executor import ThreadExecutor
from ..workers import worker_count
from .dataset import dataset_facts
from .writes import committed, run_update, write_refusal

log = logging.getLogger("ilrs.server.sparql")

PATH = "/sparql"
#: Queries up to this many characters are read on the event loop (the scan takes microseconds); longer ones
#: on a thread, so that a megabyte of query text does not hold up other requests.
INLINE_ANALYSIS = 8192
#: The service description's formats: Turtle first (a bare */* gets Turtle), then the page (browsers name
#: text/html), then the other graph formats.
DESCRIPTION_OFFERS: tuple[Format, ...] = (OFFERS["graph"][0], HTML, *OFFERS["graph"][1:])

T = TypeVar("T")


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    executor: QueryExecutor = ThreadExecutor(settings.max_concurrent_queries)
    warm_up = None
    # On an external store the engine evaluates queries: there is no local copy for workers to load.
    if settings.query_executor == "process" and not is_external(settings):
        executor = process_executor = ProcessExecutor(
            settings.max_concurrent_queries,
            memory_mib=settings.max_query_memory,
            private_mib=settings.worker_private_memory,
            workers=settings.query_workers or worker_count(0),
        )
        # Now, while no request is using the store: the zygote shares this process's copy of the data.
        process_executor.fork_zygote(app.state.dataset.current.store)
        # A reload's store, before it is served: its zygote is forked from this process too (one copy).
        app.state.dataset.on_swap(lambda served: process_executor.fork_zygote(served.store))
        # In the background: the server answers at once; the first query finds a worker ready, or starts one.
        warm_up = asyncio.create_task(_warm_up(process_executor, app.state.dataset.current.store))
    app.state.sparql_executor = executor
    # What startup built lives as long as the server: frozen out of the garbage collector's sight, so that a
    # full collection (one every few thousand requests) walks only what requests made since, not the hundred
    # thousand objects of the application (about 0.3 s of the event loop each time).
    gc.collect()
    gc.freeze()
    refreshes: set[asyncio.Task[None]] = set()
    if settings.query_executor == "process":
        loop = asyncio.get_running_loop()

        def refresh() -> None:  # on the event loop
            task = loop.create_task(_warm_up(process_executor, app.state.dataset.current.store))
            refreshes.add(task)
            task.add_done_callback(refreshes.discard)

        # After a commit, the new version's snapshot is written at once, not by the next query.
        app.state.dataset.subscribe(lambda version: loop.call_soon_threadsafe(refresh))
    try:
        yield
    finally:
        for task in list(refreshes):
            task.cancel()
        if warm_up is not None:
            warm_up.cancel()
            with contextlib.suppress(BaseException):
                await warm_up
        await executor.aclose()


async def _warm_up(executor: ProcessExecutor, store: Store) -> None:
    try:
        await executor.prepare(store)
    except Exception:  # not fatal: each query starts the worker it needs
        log.exception("could not start the query workers ahead of the first query")


router = APIRouter(tags=["sparql"], lifespan=_lifespan)


#: The SPARQL protocol's URL parameters (a POST may send them in its form body instead), for the OpenAPI document.
QUERY_PARAMETERS = [
    {"name": "query", "in": "query", "required": False, "schema": {"type": "string"}, "description": "The query"},
    {
        "name": "format",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "A result format by name (json, xml, csv, tsv, turtle, …), instead of Accept",
    },
    {
        "name": "timeout",
        "in": "query",
        "required": False,
        "schema": {"type": "number", "exclusiveMinimum": 0},
        "description": "Seconds (ASCII digits, such as 30 or 2.5); may only shorten the server's deadline",
    },
    *(
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": {"type": "array", "items": {"type": "string", "format": "uri"}},
            "style": "form",
            "explode": True,
            "description": "Graph IRIs of the dataset (repeatable), replacing the query's FROM / FROM NAMED",
        }
        for name in ("default-graph-uri", "named-graph-uri")
    ),
]


#: What errors are sent as: one line of plain text, as SPARQL protocol clients show it.
_TEXT: dict[str, Any] = {"text/plain": {}}
#: The responses of the endpoint, for the OpenAPI document: every result format, and the service description.
SPARQL_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The query result, streamed, in the format chosen by Accept or format=; without a query, "
        "the service description",
        "content": {f.media_type: {} for f in (*RESULT_FORMATS, *DESCRIPTION_OFFERS)},
    },
    304: {"description": "Not modified (If-None-Match or If-Modified-Since)"},
    400: {"description": "Malformed request or query, an update, or a SERVICE not on the allow-list", "content": _TEXT},
    406: {"description": "No acceptable result format", "content": _TEXT},
    408: {"description": "The request body did not arrive within the deadline", "content": _TEXT},
    413: {"description": "Query or body too large", "content": _TEXT},
    415: {"description": "POST without a supported Content-Type, charset or Content-Encoding", "content": _TEXT},
    503: {"description": "Every query slot is taken (Retry-After)", "content": _TEXT},
    504: {"description": "The query did not finish before its deadline", "content": _TEXT},
    507: {"description": "The query needed more memory than one query may use", "content": _TEXT},
}


@router.api_route(
    PATH,
    methods=list(METHODS),
    summary="SPARQL 1.1 query endpoint; without a query, its service description",
    response_class=Response,
    responses=SPARQL_RESPONSES,
    openapi_extra={"parameters": QUERY_PARAMETERS},
)
async def sparql(request: Request, store: StoreDep, settings: SettingsDep, executor: ExecutorDep) -> Response:
    update = False
    try:
        parsed = await read_request(request, settings)
        if parsed.update is not None:
            update = True
            return committed(await run_update(request, parsed.update, settings))
        if parsed.describes_service:
            return await _service_description(request, store, settings, parsed.requested)
        return await _answer(request, store, settings, executor, parsed)
    except IlrsError as err:
        # Only an update's failure is a refused write (and counted as one); a query's is its own error.
        return write_refusal(request, err, plain_text=True) if update else error_response(request, err, plain_text=True)


async def answer_directly(scope: Scope, receive: Receive, send: Send) -> None:
    """:func:`sparql` without the router (:class:`~ilrs.server.edge.Dispatch`): the same answer, and the
    same exception handlers for what escapes it, without resolving dependencies per request."""
    request = Request(scope, receive)
    state = request.app.state
    dataset = scope["state"]["dataset"]
    executor = getattr(state, "sparql_executor", None) or await get_executor(request)
    try:
        response = await sparql(request, dataset.store, state.settings, executor)
    except Exception as exc:
        response = await answer_exception(request, exc)
    await response(scope, receive, send)


@router.api_route(PATH, methods=["PUT", "DELETE", "PATCH", "OPTIONS"], include_in_schema=False)
async def other_methods(request: Request) -> Response:
    if request.method == "OPTIONS":
        return Response(status_code=204, headers={"Allow": ", ".join(METHODS)})
    try:
        check_method(request.method)
    except IlrsError as err:
        return refusal(request, err)
    raise AssertionError(f"{request.method} is routed here but allowed")  # pragma: no cover


def refusal(request: Request, err: IlrsError) -> Response:
    """A refusal as SPARQL clients expect it: plain text, one line."""
    return error_response(request, err, plain_text=True)


def endpoint_url(settings: Settings) -> str:
    """The endpoint's absolute URL: the ``sd:endpoint`` and the base IRI of every query."""
    return public_base(settings) + PATH


# --- queries -----------------------------------------------------------------------------------------


async def _answer(
    request: Request, store: Store, settings: Settings, executor: QueryExecutor, parsed: SparqlRequest
) -> Response:
    assert parsed.query is not None
    seconds = min(settings.query_timeout, parsed.timeout or math.inf)
    deadline = Deadline.after(seconds)
    try:
        if len(parsed.query) <= INLINE_ANALYSIS:
            facts = analyse(parsed.query, settings.service_allowlist)
        else:  # a linear scan, but of up to max_query_length bytes: off the event loop, inside the deadline
            facts = await asyncio.wait_for(
                asyncio.to_thread(analyse, parsed.query, settings.service_allowlist), seconds
            )
        # Chosen here, before the query takes a slot: a request nothing can be sent to costs no worker.
        accept = request.headers.get("accept")
        chosen = choose_result_format(facts.form, accept, parsed.requested) if facts.form else None
        base_iri = endpoint_url(settings)
        key = None
        if facts.deterministic:
            key = ResultKey.of(
                store.version,
                facts.normalised,
                dataset=(parsed.default_graphs, parsed.named_graphs, not facts.declares_dataset),
                base_iri=base_iri,
                result_format=chosen.name if chosen else json.dumps([accept, parsed.requested]),
            )
            cached = _cached_answer(request, key)
            if cached is not None:
                return cached
        job = QueryJob(
            query=parsed.query,
            default_graphs=parsed.default_graphs,
            named_graphs=parsed.named_graphs,
            union_default_graph=not facts.declares_dataset,
            base_iri=base_iri,
            format=chosen.name if chosen else None,
            accept=accept,
            requested=parsed.requested,
            max_rows=settings.max_result_rows,
            max_bytes=settings.max_result_bytes,
        )
        started = time.perf_counter()
        if answers_inline(parsed.query, facts):  # it reads no data: answered here, at once (sparql/inline.py)
            return _whole_answer(request, key, *answer_inline(job), started)
        stream = await _unless_disconnected(request, executor.run(store, job, deadline))
    except ResultTooLarge as err:
        log.warning("query refused before its answer began: %s", err)
        raise
    except QuerySyntaxError as err:
        if looks_like_update(parsed.query):
            raise UnsupportedQuery(f"{READ_ONLY} ({err})") from err
        raise
    except (QueryTimeout, TimeoutError) as err:
        limit = "the timeout parameter" if parsed.timeout and parsed.timeout < settings.query_timeout else "the server"
        message = f"the query was stopped after {seconds:g} s, the deadline set by {limit}; simplify or narrow it"
        raise QueryTimeout(message, seconds=seconds) from err
    except _ClientGone:
        log.info("client went away before its query finished; query stopped")
        return Response(status_code=499)  # nobody reads it: for the log
    if stream.complete:  # the whole result is in hand: one response, no streaming machinery
        return _whole_answer(request, key, stream.content_type, stream.body, started)
    headers = {"Content-Type": stream.content_type, "Vary": "Accept"}
    if key is None:
        return ResultResponse(stream, headers=headers)
    headers["ETag"] = key.etag
    cache: ResultCache = request.app.state.result_cache
    return ResultResponse(cache.recording(key, stream.content_type, stream, started), headers=headers)


def _whole_answer(request: Request, key: ResultKey | None, content_type: str, body: bytes, started: float) -> Response:
    """A result in hand, computed since ``started`` (:func:`time.perf_counter`), as one response; offered to the
    result cache under ``key`` (``None``: not to be kept)."""
    headers = [(b"content-type", content_type.encode("latin-1")), _VARY_ACCEPT]
    if key is not None:
        headers.append((b"etag", key.etag.encode("latin-1")))
        cache: ResultCache = request.app.state.result_cache
        cache.put(key, CachedResult(content_type, body), time.perf_counter() - started)
    return WholeResponse(200, headers, body)


def _cached_answer(request: Request, key: ResultKey) -> Response | None:
    """The answer to a query whose result is known: 304 if the client has it (``If-None-Match``), else the result."""
    etag = (b"etag", key.etag.encode("latin-1"))
    if request.method in ("GET", "HEAD") and key.etag in tags_of(request.headers.get("if-none-match", "")):
        return WholeResponse(304, [_VARY_ACCEPT, etag])
    cache: ResultCache = request.app.state.result_cache
    cached = cache.get(key)
    if cached is None:
        return None
    content_type = (b"content-type", cached.content_type.encode("latin-1"))
    return WholeResponse(200, [content_type, _VARY_ACCEPT, etag], cached.body)


_VARY_ACCEPT = (b"vary", b"Accept")


class WholeResponse(Response):
    """A response whose headers are given as the server sends them (lower-case names, bytes), so that nothing
    is parsed or rebuilt per request; ``Content-Length`` is added unless the status has no body."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
        self.status_code = status
        self.background = None
        self.body = body
        if status != 304:
            headers.append((b"content-length", str(len(body)).encode("latin-1")))
        self.raw_headers = headers


class ResultResponse(StreamingResponse):
    """A streamed result that, if cut short (deadline, evaluation error), is left incomplete on purpose.

    Its status line is sent by then, so the only honest signal left is an unfinished body: the server
    closes the connection and clients report a truncated response, instead of a short result that
    looks whole.
    """

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        try:
            async for chunk in self.body_iterator:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except IlrsError as err:  # the deadline, an evaluation error
            log.warning("result cut short, connection closed: %s", err)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class _ClientGone(Exception):
    """The client disconnected while its query was running."""


async def _unless_disconnected(request: Request, work: Awaitable[T]) -> T:
    """The result of ``work``; if the client disconnects first, ``work`` is cancelled (stopping the query).

    ``work`` runs in the request's own task. The server's HTTP protocol calls back when the connection is lost
    (:class:`~ilrs.server.http_protocol.Disconnect`); under another server, a watcher task awaiting
    ``receive()`` does. Either cancels the request's task.
    """
    task = asyncio.current_task()
    assert task is not None
    gone = False

    def cancel() -> None:
        nonlocal gone
        gone = True
        task.cancel()

    disconnect = request.scope.get("extensions", {}).get(DISCONNECT)
    watcher = None
    if disconnect is None:

        async def watch() -> None:
            await _disconnect(request)
            cancel()

        watcher = asyncio.get_running_loop().create_task(watch())
    elif not disconnect.arm(cancel):
        if isinstance(work, Coroutine):
            work.close()  # never started: it holds nothing
        raise _ClientGone
    try:
        return await work
    except asyncio.CancelledError:
        if gone and task.uncancel() == 0:  # the disconnect's cancellation, and nobody else's
            raise _ClientGone from None
        raise
    finally:
        if watcher is not None:
            watcher.cancel()
        else:
            disconnect.disarm()


async def _disconnect(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


# --- the service description -------------------------------------------------------------------------


async def _service_description(request: Request, store: Store, settings: Settings, requested: list[str]) -> Response:
    accept = request.headers.get("accept")
    fmt = negotiate(DESCRIPTION_OFFERS, accept, requested, subject="the service description").format
    variant = f"sd-{fmt.name}"
    headers = {**cache_headers(store, variant), "Vary": "Accept"}
    if not_modified(request, store, variant):
        return Response(status_code=304, headers=headers)
    endpoint = endpoint_url(settings)
    base = public_base(settings)
    sizes = (await asyncio.to_thread(compute_stats, store)).graphs
    limits = Limits(
        settings.query_timeout,
        settings.max_query_length,
        settings.max_concurrent_queries,
        settings.service_allowlist,
        settings.max_result_rows,
        settings.max_result_bytes,
        writes=request.app.state.tokens.enabled,
        query_workers=(await get_executor(request)).workers,
    )
    if fmt is HTML:
        links = {g: local_url(g, base) for g in sizes}
        page = service_page(
            templates.env,
            endpoint=endpoint,
            base=base,
            graph_sizes=sizes,
            graph_links=links,
            limits=limits,
            jsonld=script_json(endpoint_markup(dataset_facts(settings, base), f"{base}/docs")),
        )
        return HTMLResponse(page, headers=headers)
    triples = describe_service(endpoint, sizes, limits, see_also=[f"{base}/.well-known/void"])
    # JSON-LD is compacted with the published context, like every other JSON-LD document.
    if fmt is JSONLD:
        body = serialize_triples(triples, fmt, context_url(settings))
    else:
        body = serialize_description(triples, fmt)
    return Response(body, headers={**headers, "Content-Type": fmt.content_type})
