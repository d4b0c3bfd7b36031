"""Run queries off the event loop, with a deadline, a limit on concurrency, and a streamed result.

Every executor implements :class:`QueryExecutor`: ``await executor.run(store, job, deadline)``
returns a :class:`ResultStream` once the result's first chunk is ready (so a query that fails
early still gets a proper status code), or raises the query's error (an
:class:`~ilrs.graph.errors.IlrsError`: an invalid query, :class:`~ilrs.graph.errors.QueryTimeout`,
:class:`~ilrs.graph.errors.Busy`…). The stream then yields the rest of the result.

An executor starts an :class:`Execution` per query; the shared machinery here
(:func:`open_stream`) reads its events, enforces the deadline and stops the execution when
the deadline passes or the client goes away (the request task is cancelled). *How much* a
stop reclaims depends on the executor:

* :class:`~.process_executor.ProcessExecutor` (the default) kills the worker process running
  the query: the CPU is reclaimed at once, and a fresh worker takes its place.
* :class:`~.thread_executor.ThreadExecutor` cannot kill its thread: the query stops at the next
  chunk it writes, and one that computes long before writing keeps its CPU (and its slot) until
  it ends.

A new executor implements :meth:`QueryExecutor.run` by starting its own :class:`Execution`
and returning ``await open_stream(execution, deadline)``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from ilrs.graph.errors import Busy, IlrsError, QueryTimeout
from ilrs.graph.store import Store

from .. import metrics
from .evaluate import CHUNK_SIZE, QueryJob

log = logging.getLogger("ilrs.server.sparql")

#: Seconds a client is asked to wait (``Retry-After``) when every query slot is taken.
RETRY_AFTER = 2


# --- the events of an execution -------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """The result's content type is known."""

    content_type: str


@dataclass(frozen=True)
class Chunk:
    """The next bytes of the result."""

    data: bytes


@dataclass(frozen=True)
class Failed:
    """The query failed with ``error``."""

    error: IlrsError


@dataclass(frozen=True)
class Done:
    """The whole result has been written."""


Event = Start | Chunk | Failed | Done


class ExecutionStopped(Exception):
    """Raised by :meth:`Execution.next_event` once :meth:`Execution.stop` was called."""


@dataclass(frozen=True)
class Deadline:
    """When a query must be finished, on the event loop's clock, and the limit it came from."""

    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """The deadline ``seconds`` from now (call from the event loop)."""
        return cls(asyncio.get_running_loop().time() + seconds, seconds)


class Execution(Protocol):
    """One query being evaluated somewhere; driven by :func:`open_stream`."""

    async def next_event(self) -> Event:
        """The next event; raises :class:`ExecutionStopped` after :meth:`stop`."""
        ...

    def stop(self) -> None:
        """Stop the evaluation now and free what it holds (idempotent; called on the event loop)."""
        ...

    def release(self) -> None:
        """After :class:`Done` or :class:`Failed`: free what the execution holds."""
        ...


class QueryExecutor(Protocol):
    """Evaluates queries; see the module documentation."""

    @property
    def workers(self) -> int | None:
        """Queries evaluated at once, if fewer than are admitted (the others wait their turn); ``None``: every
        admitted query is evaluated at once."""
        ...

    async def run(self, store: Store, job: QueryJob, deadline: Deadline) -> ResultStream:
        """Start ``job`` on ``store`` and return its result stream once its first chunk is ready.

        Raises the query's :class:`~ilrs.graph.errors.IlrsError`, :class:`~ilrs.graph.errors.QueryTimeout`
        or :class:`~ilrs.graph.errors.Busy`.
        Cancelling the awaiting task stops the query.
        """
        ...

    async def aclose(self) -> None:
        """Stop every query and free every resource (at server shutdown)."""
        ...


# --- streaming with a deadline ---------------------------------------------------------------------


class _Watchdog:
    """Stops an execution when its deadline passes, whatever the request task is doing at the time."""

    def __init__(self, execution: Execution, deadline: Deadline) -> None:
        self.expired = False
        self._execution = execution
        self._handle = asyncio.get_running_loop().call_at(deadline.at, self._expire)

    def _expire(self) -> None:
        self.expired = True
        self._execution.stop()

    def cancel(self) -> None:
        self._handle.cancel()


class ResultStream:
    """A query's result: its content type and, by async iteration, its chunks.

    Iterate it exactly once (a ``StreamingResponse`` does). If the deadline passes mid-stream,
    the iteration raises :class:`QueryTimeout` — the status line is sent by then, so the server
    can only cut the connection, which clients see as a truncated response.
    """

    def __init__(
        self,
        content_type: str,
        first: list[bytes],
        execution: Execution,
        watchdog: _Watchdog,
        deadline: Deadline,
        complete: bool = False,
    ) -> None:
        self.content_type = content_type
        self._first = first
        self._execution = execution
        self._watchdog = watchdog
        self._deadline = deadline
        #: Whether the whole result is in hand already (:attr:`body`): it can be sent as one response.
        self.complete = complete or not first
        self._finished = self.complete

    @property
    def body(self) -> bytes:
        """The whole result, when :attr:`complete`."""
        if not self.complete:
            raise RuntimeError("the result is still being evaluated")
        return b"".join(self._first)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        try:
            for data in self._first:
                yield data
            self._first = []
            while not self._finished:
                try:
                    event = await self._execution.next_event()
                except ExecutionStopped:
                    if self._watchdog.expired:
                        log.warning("query stopped mid-stream at its deadline of %g s", self._deadline.seconds)
                        timeout = QueryTimeout(seconds=self._deadline.seconds)
                        metrics.stopped(timeout)  # after the status line: no error handler sees it
                        raise timeout from None
                    raise
                if isinstance(event, Chunk):
                    yield event.data
                elif isinstance(event, Done):
                    self._finished = True
                elif isinstance(event, Failed):
                    self._finished = True
                    log.warning("query failed mid-stream: %s", event.error)
                    raise event.error
        finally:
            self.close()

    def close(self) -> None:
        """Stop the query if it is still running, and free its resources (idempotent)."""
        self._watchdog.cancel()
        if self._finished:
            self._execution.release()
        else:
            self._execution.stop()
        self._finished = True


async def open_stream(execution: Execution, deadline: Deadline) -> ResultStream:
    """Read ``execution`` up to its first chunk (or its end), within ``deadline``.

    The stream ends when the result is complete; the execution is stopped if the deadline passes,
    if the query fails, or if the awaiting task is cancelled (the client went away).
    """
    watchdog = _Watchdog(execution, deadline)
    content_type: str | None = None
    first: list[bytes] = []
    complete = False
    try:
        while True:
            event = await execution.next_event()
            if isinstance(event, Start):
                content_type = event.content_type
            elif isinstance(event, Chunk):
                first.append(event.data)
                if len(event.data) < CHUNK_SIZE:  # a short chunk is the last: the end is on its way
                    continue
                break
            elif isinstance(event, Done):
                complete = True
                break
            else:
                raise event.error
    except ExecutionStopped:
        watchdog.cancel()
        if watchdog.expired:
            raise QueryTimeout(seconds=deadline.seconds) from None
        raise
    except BaseException as err:
        watchdog.cancel()
        # A failure reported by the query leaves its executor healthy; anything else (cancellation) stops it.
        if isinstance(err, IlrsError):
            execution.release()
        else:
            execution.stop()
        raise
    if content_type is None:
        raise RuntimeError("an execution sent its result before its content type")
    stream = ResultStream(content_type, first, execution, watchdog, deadline, complete)
    if stream.complete:
        stream.close()
    return stream


# --- concurrency ------------------------------------------------------------------------------------


class Slots:
    """A non-blocking, thread-safe counter of query slots: a query that finds none is refused, not queued."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._lock = threading.Lock()

    def take(self) -> None:
        """Take a slot, or raise :class:`~ilrs.graph.errors.Busy`."""
        with self._lock:
            if self._free <= 0:
                raise Busy(slots=self.size, retry_after=RETRY_AFTER)
            self._free -= 1
            metrics.SLOTS_BUSY.inc()

    def give_back(self) -> None:
        with self._lock:
            if self._free < self.size:
                metrics.SLOTS_BUSY.dec()
            self._free = min(self._free + 1, self.size)
