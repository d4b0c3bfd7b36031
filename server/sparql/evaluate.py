"""Evaluate one query and write its result, in the chosen format, as a series of chunks.

This is the work an executor runs (in a thread, or in a worker process): pyoxigraph
evaluates lazily, so evaluation and serialization are one step, and the result is
handed over chunk by chunk to a :class:`Sink`, never built whole. Nothing here knows
about HTTP, threads or processes.
"""

from __future__ import annotations

import functools
import marshal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import IO, Protocol, cast

import pyoxigraph as ox

from ilrs.graph.errors import StoreError
from ilrs.graph.formats import OFFERS, Form, Format, by_name, form_of, negotiate, result_of
from ilrs.graph.namespaces import PREFIXES
from ilrs.graph.store import Store

from .result_limits import ResultMeter, row_counter

#: Bytes gathered before a chunk is handed on. A result that fits in one chunk is complete before the
#: response starts, so any error it meets still gets a proper status code.
CHUNK_SIZE = 64 * 1024
#: The stack of a thread that evaluates queries. pyoxigraph's parser and optimizer recurse once per level
#: of nesting, and sequences such as a few thousand BINDs nest too: a thread's default stack (8 MiB)
#: overflows on them, which kills the whole process. Only the pages a query touches are committed.
EVALUATION_STACK = 256 * 1024 * 1024

_stack_size_lock = threading.Lock()


@dataclass(frozen=True)
class QueryJob:
    """Everything needed to evaluate one query; plain data, so it can cross a process boundary (:meth:`encode`)."""

    query: str
    #: The protocol's ``default-graph-uri``/``named-graph-uri``; ``None`` for both: the union default graph.
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    #: Whether, without those, the default graph is the union of all named graphs (``False`` for a
    #: query with its own ``FROM``/``FROM NAMED``, which then applies).
    union_default_graph: bool = True
    #: The base IRI against which relative IRIs in the query resolve (the endpoint's URL).
    base_iri: str | None = None
    #: The result format chosen before the query ran (by the form its text shows), if one was.
    format: str | None = None
    #: The request's ``Accept`` header and ``format``/``output``/``results`` values, to choose the result
    #: format once the query's form is known, when it was not chosen before or does not fit that form.
    accept: str | None = None
    requested: list[str] = field(default_factory=list)
    #: Prefixes that abbreviate IRIs in Turtle and TriG output (never injected into the query); ``None``:
    #: the project's (:data:`~ilrs.graph.namespaces.PREFIXES`), which a worker knows without being sent them.
    prefixes: dict[str, str] | None = None
    #: The most rows (solutions or triples) and bytes the result may have (``None``: no limit).
    max_rows: int | None = None
    max_bytes: int | None = None

    def encode(self) -> bytes:
        """The job as bytes for :meth:`decode`, between the server and its own worker processes only: the
        encoding (:mod:`marshal`, plain data in a C codec) is quick both ways, and is never read from a client."""
        return marshal.dumps(tuple(getattr(self, name) for name in _FIELDS))

    @classmethod
    def decode(cls, data: bytes) -> QueryJob:
        """The job that :meth:`encode` gave ``data``."""
        # The fields' values as they were encoded, set at once: a frozen dataclass's __init__ sets each field
        # through object.__setattr__, on every query a worker answers.
        job = object.__new__(cls)
        job.__dict__.update(zip(_FIELDS, marshal.loads(data), strict=True))
        return job


_FIELDS = tuple(f.name for f in fields(QueryJob))


class Sink(Protocol):
    """Where an evaluated result goes: first its content type, then its bytes."""

    def start(self, content_type: str) -> None:
        """The result's ``Content-Type``, sent once before any chunk."""
        ...

    def chunk(self, data: bytes) -> None:
        """The next piece of the serialized result; may raise to stop the evaluation."""
        ...


class ChunkWriter:
    """A binary file object for pyoxigraph's serializers that passes on :data:`CHUNK_SIZE`-byte chunks.

    Each chunk is counted by ``meter`` before it is passed on: one that would take the result past
    its limits raises :class:`~ilrs.graph.errors.ResultTooLarge` instead.
    """

    def __init__(self, sink: Sink, meter: ResultMeter | None = None, size: int = CHUNK_SIZE) -> None:
        self._sink = sink
        self._meter = meter or ResultMeter(None, None)
        self._size = size
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        if len(self._buffer) >= self._size:
            self._pass_on()
        return len(data)

    def _pass_on(self) -> None:
        chunk = bytes(self._buffer)
        self._buffer.clear()
        self._meter.check(chunk)
        self._sink.chunk(chunk)

    def flush(self) -> None:
        # pyoxigraph flushes as it goes; chunk boundaries are ours to choose, so wait for close().
        pass

    def close(self) -> None:
        """Pass on what is left."""
        if self._buffer:
            self._pass_on()


def evaluate(store: Store, job: QueryJob, sink: Sink) -> None:
    """Evaluate ``job`` against ``store`` and write the result to ``sink``.

    Raises the project's errors (:mod:`ilrs.graph.errors`): :class:`~ilrs.graph.errors.QuerySyntaxError`,
    :class:`~ilrs.graph.errors.NotAcceptable`, :class:`~ilrs.graph.errors.UnknownFormat`,
    :class:`~ilrs.graph.errors.StoreError` when evaluation fails, or
    :class:`~ilrs.graph.errors.ResultTooLarge` when the result passes ``job.max_rows`` or
    ``job.max_bytes`` (what was written of it is incomplete). An exception raised by ``sink``
    propagates unchanged, so a sink can stop the evaluation (a cancelled request, a passed deadline)
    by raising.
    """
    result = store.query(
        job.query,
        default_graphs=job.default_graphs,
        named_graphs=job.named_graphs,
        union_default_graph=job.union_default_graph,
        base_iri=job.base_iri,
    )
    form = form_of(result)
    chosen = result_format(form, job)
    sink.start(chosen.content_type)
    meter = ResultMeter(job.max_rows, job.max_bytes, row_counter(chosen) if form == "solutions" else None)
    writer = ChunkWriter(sink, meter)
    prefixes = PREFIXES if job.prefixes is None else job.prefixes
    output = cast(_BinaryFile, writer)  # it has what pyoxigraph calls
    try:
        if isinstance(result, ox.QueryTriples):
            chosen.write(meter.counted(result), output, prefixes)
        else:
            chosen.write(result, output, prefixes)
    except (OSError, SyntaxError, ValueError) as err:  # pyoxigraph's evaluation errors, raised while iterating
        raise StoreError(f"query evaluation failed: {err}") from err
    writer.close()


def result_format(form: Form, job: QueryJob) -> Format:
    """The format to write a result of ``form`` in: the one chosen beforehand if it fits, else negotiated."""
    if job.format is not None:
        chosen = _named(job.format)
        if form in chosen.forms:
            return chosen
    return choose_result_format(form, job.accept, job.requested)


def choose_result_format(form: Form, accept: str | None, requested: list[str]) -> Format:
    """The format of a result of ``form`` for a request's ``Accept`` and ``format=`` values.

    Raises :class:`~ilrs.graph.errors.NotAcceptable` or :class:`~ilrs.graph.errors.UnknownFormat`.
    """
    return _negotiated(form, accept, tuple(requested))


#: The format a job names (a server chooses among a dozen), remembered.
_named = functools.lru_cache(maxsize=64)(by_name)
#: What a :class:`ChunkWriter` is to pyoxigraph's writers (the type, spelled once: not subscripted per query).
_BinaryFile = IO[bytes]


@functools.lru_cache(maxsize=1024)
def _negotiated(form: Form, accept: str | None, requested: tuple[str, ...]) -> Format:
    """:func:`choose_result_format`, remembered: clients send the same few ``Accept`` headers again and again,
    and parsing one takes longer than the rest of a small query's analysis. (A refusal is not remembered.)"""
    return negotiate(OFFERS[form], accept, requested, subject=result_of(form)).format


def start_evaluation_thread(target: Callable[..., object], *args: object, name: str) -> threading.Thread:
    """Start a daemon thread with :data:`EVALUATION_STACK` bytes of stack, to run ``evaluate`` in."""
    with _stack_size_lock:  # the size applies to the threads started while it is set
        previous = threading.stack_size(EVALUATION_STACK)
        try:
            thread = threading.Thread(target=target, args=args, name=name, daemon=True)
            thread.start()
        finally:
            threading.stack_size(previous)
    return thread
