"""The dataset's description (VoID + DCAT, with live statistics) and its downloadable dumps.

``/.well-known/void`` (RFC 5785, VoID section 7) and ``/dataset`` (the dataset's own
IRI, ``https://w3id.org/ilrs/dataset``) answer in Turtle, N-Triples, JSON-LD or HTML
by ``Accept``. ``/dumps/ilrs.trig``, ``/dumps/ilrs.nq`` and ``/dumps/ilrs.jsonld``
stream the whole dataset, every named graph kept.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ilrs.graph import formats
from ilrs.graph.describe import best_label, labels
from ilrs.graph.schemaorg import DatasetFacts, dataset_markup
from ilrs.graph.settings import Settings
from ilrs.graph.stats import compute_stats
from ilrs.graph.store import Store
from ilrs.graph.void import (
    DATASET_CREATOR,
    DATASET_DESCRIPTION,
    DATASET_IRI,
    DATASET_TITLE,
    DUMPS,
    Endpoints,
    describe_dataset,
)

from ..caching import cache_headers, not_modified
from ..deps import SettingsDep, StoreDep
from ..problems import PROBLEM_JSON
from ..representations import (
    CLIENT_ERRORS,
    HTML,
    RDF_EXTENSIONS,
    RDF_RESPONSES,
    body_response,
    check_modified,
    choose,
    context_url,
    headers_for,
    html_response,
    link_target,
    local_linker,
    local_url,
    not_found_response,
    public_base,
    script_json,
    serialize_triples,
)

router = APIRouter(tags=["dataset"])

#: Bytes per chunk of a streamed dump.
CHUNK = 64 * 1024


def endpoints(base: str) -> Endpoints:
    """This server's SPARQL endpoint, dumps, ontology and shapes as absolute URLs."""
    return Endpoints(
        sparql=f"{base}/sparql",
        dumps={name: f"{base}/dumps/{name}" for name in DUMPS},
        ontology=f"{base}/ontology",
        shapes=f"{base}/shapes",
    )


@router.get(
    "/.well-known/void",
    summary="VoID and DCAT description of the dataset, with live statistics",
    responses=RDF_RESPONSES,
)
@router.get("/dataset", include_in_schema=False)
def void(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    return _void_response(request, store, settings, None)


@router.get("/dataset.{ext}", include_in_schema=False)
def void_file(ext: str, request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    return _void_response(request, store, settings, ext)


def _void_response(request: Request, store: Store, settings: Settings, ext: str | None) -> Response:
    choice = choose(request, ext)
    check_modified(request, store, choice)
    base = public_base(settings)
    stats = compute_stats(store)
    triples = describe_dataset(store, endpoints(base), settings.data_license, stats)
    if choice.format is not formats.HTML:
        # The dataset's JSON-LD, like a resource's, says where this server serves what it mentions.
        body = serialize_triples(triples, choice.format, context_url(settings), local_linker(base))
        return body_response(body, choice, headers_for(store, choice))
    return html_response(request, "dataset.html", _page(store, settings, base, stats), headers_for(store, choice))


def _page(store: Store, settings: Settings, base: str, stats: Any) -> dict[str, Any]:
    names = labels(store, [*stats.classes, *stats.graphs])

    def row(iri: str, n: int) -> dict[str, Any]:
        href = local_url(iri, base) or link_target(iri)
        return {"iri": iri, "href": href, "label": best_label(names.get(iri, [])), "n": n}

    return {
        "base": base,
        "title": "The ILRS Knowledge Graph dataset",
        "iri": DATASET_IRI,
        "total": stats.total,
        "graphs": [row(g, n) for g, n in stats.graphs.items()],
        "classes": [row(c, n) for c, n in stats.classes.items()],
        "endpoints": endpoints(base),
        "dumps": DUMPS,
        "license": settings.data_license,
        "formats": {ext: f"{base}/dataset.{ext}" for ext in RDF_EXTENSIONS},
        "jsonld": script_json(dataset_markup(store, dataset_facts(settings, base))),
    }


def dataset_facts(settings: Settings, base: str) -> DatasetFacts:
    """What the pages' schema.org markup says about the dataset (the front page, /dataset, /sparql, /query)."""
    urls = endpoints(base)
    return DatasetFacts(
        iri=DATASET_IRI,
        name=DATASET_TITLE,
        description=DATASET_DESCRIPTION,
        page_url=f"{base}/dataset",
        license=settings.data_license,
        creator=DATASET_CREATOR,
        downloads={urls.dumps[name]: (fmt.media_type, title) for name, (fmt, title) in DUMPS.items()},
        sparql_endpoint=urls.sparql,
    )


#: The responses of ``/dumps/{name}``, for the OpenAPI document.
DUMP_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": f"The dump, streamed: {', '.join(DUMPS)}",
        "content": {fmt.media_type: {} for fmt, _ in DUMPS.values()},
    },
    304: {"description": "Not modified (If-None-Match or If-Modified-Since)"},
    404: {"description": "No such dump", "content": {PROBLEM_JSON: {}, HTML: {}}},
    **CLIENT_ERRORS,
}


@router.get(
    "/dumps/{name}",
    summary="The whole dataset as TriG, N-Quads or JSON-LD (streamed)",
    response_class=Response,
    responses=DUMP_RESPONSES,
)
def dump(
    name: Annotated[str, Path(examples=list(DUMPS))], request: Request, store: StoreDep, settings: SettingsDep
) -> Response:
    if name not in DUMPS:
        return not_found_response(request, settings, f"no dump {name!r}; there are {', '.join(DUMPS)}")
    media_type = DUMPS[name][0].media_type
    variant = f"dump-{name}"
    headers = cache_headers(store, variant)
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    if not_modified(request, store, variant):
        return Response(status_code=304, headers=headers)
    return StreamingResponse(_stream(store, media_type), media_type=media_type, headers=headers)


class _Cancelled(Exception):
    """The client went away: the producing thread stops writing."""


class _QueueWriter:
    """A write-only binary file that hands its data, in chunks, to a bounded queue (back-pressure)."""

    def __init__(self, chunks: queue.Queue[bytes | BaseException | None], stop: threading.Event) -> None:
        self._chunks = chunks
        self._stop = stop
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        if len(self._buffer) >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._buffer:
            self.put(bytes(self._buffer))
            self._buffer.clear()

    def put(self, item: bytes | BaseException | None) -> None:
        while not self._stop.is_set():
            try:
                self._chunks.put(item, timeout=0.5)
                return
            except queue.Full:
                continue
        raise _Cancelled


def _stream(store: Store, media_type: str) -> Iterator[bytes]:
    """The dump, produced by a thread while the response is being sent; memory stays at a few chunks."""
    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=8)
    stop = threading.Event()
    writer = _QueueWriter(chunks, stop)

    def produce() -> None:
        try:
            store.dump(writer, media_type)  # type: ignore[arg-type]
            writer.flush()
            writer.put(None)
        except _Cancelled:
            pass
        except Exception as err:  # handed to the consumer, which re-raises it
            with contextlib.suppress(_Cancelled):
                writer.put(err)

    threading.Thread(target=produce, name="dump", daemon=True).start()
    try:
        while True:
            item = chunks.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
