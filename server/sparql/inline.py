"""Answer, on the event loop, a query that reads no data: no worker process, no slot, no round trip.

A query that :func:`~ilrs.graph.query_analysis.reads_no_data` (``ASK {}``, or an ``ASK`` of ``FILTER`` s over
constants) costs time linear in its text and cannot run away: nothing in it reads the store, calls a function
or a service, or repeats. Such a query, up to :data:`INLINE_LIMIT` characters, is evaluated here by the same
engine and :func:`~.evaluate.evaluate` as in a worker, against an empty dataset — its answer is the same on
any — so that it pays neither the trip to a worker process nor a slot (the per-client share still applies).
Every other query goes to the executor: a query that could run long must stay where it can be killed.
"""

from __future__ import annotations

from ilrs.graph.query_analysis import QueryFacts
from ilrs.graph.store import Store, memory_store

from .evaluate import QueryJob, evaluate

#: The longest query text answered here (characters): its parse and evaluation take microseconds.
INLINE_LIMIT = 8192

_EMPTY: Store | None = None


def answers_inline(query: str, facts: QueryFacts) -> bool:
    """Whether ``query`` (with its ``facts``) is answered by :func:`answer_inline` rather than an executor."""
    return facts.reads_no_data and len(query) <= INLINE_LIMIT


class _Collected:
    """The :class:`~.evaluate.Sink` that keeps the result: a result of a query that reads no data is small."""

    def __init__(self) -> None:
        self.content_type = ""
        self.chunks: list[bytes] = []

    def start(self, content_type: str) -> None:
        self.content_type = content_type

    def chunk(self, data: bytes) -> None:
        self.chunks.append(data)


def answer_inline(job: QueryJob) -> tuple[str, bytes]:
    """The content type and body of the result of ``job``, whose query :func:`answers_inline`.

    Raises what :func:`~.evaluate.evaluate` raises (a syntax error found by the engine, above all).
    """
    global _EMPTY
    if _EMPTY is None:
        _EMPTY = memory_store()
    sink = _Collected()
    evaluate(_EMPTY, job, sink)
    return sink.content_type, b"".join(sink.chunks)
