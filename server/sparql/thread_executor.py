"""The thread executor: each query is evaluated in its own daemon thread.

pyoxigraph releases the GIL while it evaluates, so the event loop keeps serving. A thread cannot
be killed, though: when a query is stopped (deadline, client gone) the stop takes effect at the
next chunk the query writes, and a query that computes long before writing anything keeps its CPU
until it finishes. Its slot is held until then, so such queries cannot pile up beyond
``max_concurrent_queries``. The default executor, :mod:`.process_executor`, has no such limit;
this one needs no extra processes and works with any :class:`~ilrs.graph.store.Store`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

from ilrs.graph.errors import IlrsError, StoreError
from ilrs.graph.store import Store

from .evaluate import QueryJob, evaluate, start_evaluation_thread
from .executor import (
    Chunk,
    Deadline,
    Done,
    Event,
    ExecutionStopped,
    Failed,
    ResultStream,
    Slots,
    Start,
    open_stream,
)

log = logging.getLogger("ilrs.server.sparql")

#: Chunks a thread may produce ahead of the client (backpressure: a slow reader slows the query).
MAX_BUFFERED_CHUNKS = 4


class _Stopped(Exception):
    """Raised inside the query thread, from the sink, once the execution was stopped."""


_STOP = object()


class _ThreadExecution:
    """One query evaluated in a daemon thread; also the :class:`~.evaluate.Sink` the thread writes to."""

    def __init__(self, store: Store, job: QueryJob, on_exit: Callable[[], None]) -> None:
        self._loop = asyncio.get_running_loop()
        self._events: asyncio.Queue[Event | object] = asyncio.Queue()
        self._room = threading.Semaphore(MAX_BUFFERED_CHUNKS)
        self._stopped = threading.Event()
        self._on_exit = on_exit
        # A daemon thread, not a pool: a runaway query must never keep the server from exiting.
        start_evaluation_thread(self._work, store, job, name="sparql-query")

    # -- in the query thread --
    def _work(self, store: Store, job: QueryJob) -> None:
        try:
            evaluate(store, job, self)
            self._post(Done())
        except IlrsError as err:
            self._post(Failed(err))
        except _Stopped:
            pass
        except Exception as err:  # a bug: report it to the client as one line, log the traceback
            log.exception("query evaluation crashed")
            self._post(Failed(StoreError(f"internal error while evaluating the query: {err}")))
        finally:
            self._on_exit()

    def start(self, content_type: str) -> None:
        self._check()
        self._post(Start(content_type))

    def chunk(self, data: bytes) -> None:
        while not self._room.acquire(timeout=0.1):
            self._check()
        self._check()
        self._post(Chunk(data))

    def _check(self) -> None:
        if self._stopped.is_set():
            raise _Stopped

    def _post(self, event: Event) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: the server is shutting down
            self._loop.call_soon_threadsafe(self._events.put_nowait, event)

    # -- on the event loop --
    async def next_event(self) -> Event:
        if self._stopped.is_set():
            raise ExecutionStopped
        event = await self._events.get()
        if event is _STOP or not isinstance(event, Start | Chunk | Failed | Done):
            raise ExecutionStopped
        if isinstance(event, Chunk):
            self._room.release()
        return event

    def stop(self) -> None:
        if not self._stopped.is_set():
            self._stopped.set()
            self._events.put_nowait(_STOP)

    def release(self) -> None:
        pass


class ThreadExecutor:
    """Evaluates each query in its own daemon thread (see the module documentation for its limits)."""

    workers: None = None  # every admitted query has its thread at once

    def __init__(self, max_concurrent: int) -> None:
        self._slots = Slots(max_concurrent)

    async def run(self, store: Store, job: QueryJob, deadline: Deadline) -> ResultStream:
        self._slots.take()
        # The slot is given back when the thread ends, not when the client stops waiting.
        return await open_stream(_ThreadExecution(store, job, self._slots.give_back), deadline)

    async def aclose(self) -> None:
        # Threads cannot be stopped from outside; they are daemons and die with the process.
        pass
