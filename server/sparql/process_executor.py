"""The default executor: queries run in worker processes that are killed when they overrun.

The dataset is copied out of the server's store once per dataset version: this executor writes an
N-Quads snapshot (through :meth:`Store.dump`, so any store can be served) and starts a *zygote*
(:mod:`.worker`) that loads it into memory and then forks the workers. Every worker of a version
shares the zygote's pages copy-on-write — one copy of the data, however many workers — and a new
worker is ready in milliseconds. A worker evaluates one query at a time and streams the result back
over a Unix socket. When a query passes its deadline or its client goes away the worker is killed —
the CPU it was burning is reclaimed at once, which a thread cannot offer — and a fresh one is forked
in the background. Idle workers are kept for the next query. Reading the store writes to the pages read
(the engine's reference counts and locks), so a worker's pages become its own as it works: each answer
says how many it holds, and while all the workers together hold more than their budget the idle ones
holding most are replaced by fresh forks (:meth:`ProcessExecutor._trim`).

The first zygote is forked from the server itself (:meth:`ProcessExecutor.fork_zygote`), sharing the
server's copy of the data. A write committed to the embedded store is applied to that zygote's copy
too (:func:`~ilrs.graph.store.follow_changes`, the zygote's ``apply`` command), so the workers
forked after it hold the new version and still share the pages the write did not touch: one copy of the
data after any number of writes. When the dataset changes otherwise (a ``--watch`` reload), or a write
could not be applied, the next query starts a zygote that loads a snapshot of the new version; workers
holding the old data finish what they are doing and are then retired, and the old zygote ends with its
last worker. A ``--watch`` reload forks the zygote of the new version from the server too, before the new
store is served (:meth:`ProcessExecutor.fork_zygote`): the zygote drops the previous version it inherited,
and one copy of the data holds after any number of reloads. The snapshot file is deleted as soon as its
zygote has loaded it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ilrs.graph.errors import Busy, MemoryLimitExceeded, QueryTimeout, StoreError, rebuild_error
from ilrs.graph.store import Change, Store, follow_changes

from .. import metrics
from .evaluate import CHUNK_SIZE, QueryJob
from .executor import (
    RETRY_AFTER,
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
from .worker import CHUNK, DONE, FAILED, HEADER, JOB, PRIVATE, PRIVATE_BYTES, READY, START, serve_forked

log = logging.getLogger("ilrs.server.sparql")

#: Bytes of a worker's frames held unread before its socket is read no more (two full result chunks).
FRAMES_HELD = 2 * CHUNK_SIZE
#: Writes kept for the zygote to apply; when more commit before it catches up, it loads a snapshot instead.
MAX_PENDING_CHANGES = 1024
#: The share of the data's copy (what the process holding it has resident) that the workers together may hold of
#: their own, unless told otherwise: one worker reading most of the store copies about half of it (the engine's
#: reference counts and locks sit in the nodes that hold the quads, the strings beside them are only read).
PRIVATE_SHARE = 0.6
#: Bytes of their own each query slot's worker may hold whatever the data's size: over a small dataset a share of
#: its copy would replace busy workers after almost every query, each successor paying its first faults again.
PRIVATE_FLOOR = 64 * 2**20


class _ForkedProcess:
    """The zygote forked from this process (:meth:`_Zygote.fork_from`), waited for like an asyncio subprocess."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    async def wait(self) -> int:
        if self.returncode is None:
            try:
                _, status = await asyncio.to_thread(os.waitpid, self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:  # reaped already
                self.returncode = 0
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)


class _Zygote:
    """The process holding one dataset version in memory, which forks the workers of that version."""

    def __init__(
        self,
        version: str,
        process: asyncio.subprocess.Process | _ForkedProcess,
        control: socket.socket,
        store: Store | None = None,
    ) -> None:
        #: The version the zygote's copy holds (and the workers it forks from now on).
        self.version = version
        self.process = process
        #: The server's store that the zygote was forked with, whose writes it can apply; ``None``: a snapshot's.
        self.store = store
        #: Workers forked and not yet reaped.
        self.workers = 0
        self._control = control
        self._lock = threading.Lock()  # one command and its reply at a time

    @classmethod
    async def start(cls, version: str, snapshot: Path, memory_mib: int | None) -> _Zygote:
        """Start the zygote of ``snapshot`` and wait until it has loaded it."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "ilrs.server.sparql.worker",
                str(snapshot),
                str(memory_mib) if memory_mib is not None else "-",
                stdin=theirs.fileno(),
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        zygote = cls(version, process, ours)
        try:
            header = await asyncio.to_thread(_receive_exactly, ours, HEADER.size)
        except BaseException:
            zygote.close()
            raise
        kind, _ = HEADER.unpack(header)
        if kind != READY:
            zygote.close()
            raise RuntimeError(f"the query worker process failed to start (sent {kind!r})")
        return zygote

    @classmethod
    def fork_from(cls, store: Store, memory_mib: int | None) -> _Zygote:
        """The zygote of ``store`` forked from this very process: it shares the server's copy of the data
        page by page, so there is no snapshot to write and parse, and no second copy.

        Only while no other thread may be inside the store (the server's startup, before it serves): the child
        keeps whatever lock another thread held at the fork.
        """
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        version = store.version
        pid = os.fork()
        if pid == 0:  # the zygote: it never returns
            ours.close()
            os._exit(serve_forked(store, theirs, memory_mib))
        theirs.close()
        return cls(version, _ForkedProcess(pid), ours, store)

    def apply(self, change: Change) -> bool:
        """Apply a committed write to the zygote's copy (blocking: call it on a thread); whether it did."""
        removed = ox.serialize(change.removed, format=ox.RdfFormat.N_QUADS) or b""
        added = ox.serialize(change.added, format=ox.RdfFormat.N_QUADS) or b""
        command = f"apply {change.previous} {change.version} {len(removed)} {len(added)}"
        with self._lock:  # a fork waits for it: a worker holds the version before or after, never between
            self._control.sendall(command.encode() + b"\n" + removed + added)
            if self._read_line() != "ok":
                return False
            self.version = change.version
            return True

    async def fork(self) -> _Worker:
        """A new worker, forked from this zygote: it holds the zygote's version of now."""
        pid, channel, version = await asyncio.to_thread(self._fork)
        self.workers += 1
        try:
            _, frames = await asyncio.get_running_loop().create_unix_connection(_Frames, sock=channel)
        except BaseException:
            worker = _Worker(pid, None, self, version)
            worker.kill()
            raise
        return _Worker(pid, frames, self, version)

    async def reap(self, pid: int) -> int:
        """Wait for worker ``pid`` to end (kill it first) and return its exit code (``-N``: signal ``N``)."""
        status = await asyncio.to_thread(self._command, f"reap {pid}")
        self.workers -= 1
        return os.waitstatus_to_exitcode(int(status))

    def close(self) -> None:
        """End the zygote: it kills the workers it has left and exits."""
        self._control.close()

    def _fork(self) -> tuple[int, socket.socket, str]:
        with self._lock:
            version = self.version
            self._control.sendall(b"fork\n")
            reply, fds, _, _ = socket.recv_fds(self._control, 64, 1)
            if not fds:
                raise ConnectionError("the query worker process did not fork a worker")
            while not reply.endswith(b"\n"):
                more = self._control.recv(64)
                if not more:
                    raise ConnectionError("the query worker process ended")
                reply += more
            return int(reply), socket.socket(fileno=fds[0]), version

    def _command(self, command: str) -> str:
        with self._lock:
            self._control.sendall(command.encode() + b"\n")
            return self._read_line()

    def _read_line(self) -> str:
        reply = b""
        while not reply.endswith(b"\n"):
            more = self._control.recv(64)
            if not more:
                raise ConnectionError("the query worker process ended")
            reply += more
        return reply.decode().strip()


def _receive_exactly(channel: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        more = channel.recv(size - len(data))
        if not more:
            raise ConnectionError("the query worker process ended before it was ready")
        data += more
    return data


class _Frames(asyncio.Protocol):
    """The server's end of a worker's socket: jobs written in one write each, frames read as they arrive.

    The frames of a small result (start, chunk, done) come in one read; they are split here, in the callback
    that receives them, and handed out by :meth:`next` without another trip through the event loop. Once
    :data:`FRAMES_HELD` bytes of whole frames are waiting to be read, the socket is not read until half of them
    are: a client that reads its result slowly holds up its worker, not the server's memory.
    """

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._frames: deque[tuple[bytes, bytes]] = deque()
        self._held = 0
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        #: Whether the worker's end is closed: no frame comes after those received.
        self.ended = False
        #: Bytes of the pages the worker holds alone, as it last said (a :data:`PRIVATE` frame).
        self.private = 0
        #: Called with the worker's figure when it says it anew, on the event loop.
        self.on_private: Callable[[], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        start, size, reported = 0, len(buffer), False
        while size - start >= HEADER.size:
            kind, length = HEADER.unpack_from(buffer, start)
            end = start + HEADER.size + length
            if end > size:
                break
            if kind in (PRIVATE, DONE) and length == PRIVATE_BYTES.size:
                (self.private,) = PRIVATE_BYTES.unpack_from(buffer, start + HEADER.size)
                reported |= kind == PRIVATE  # a DONE's figure is weighed when the worker is given back
            if kind != PRIVATE:  # a PRIVATE frame is no part of any result: it comes between two jobs
                self._frames.append((kind, bytes(buffer[start + HEADER.size : end])))
                self._held += length
            start = end
        if start:
            del buffer[:start]
            self._wake()
        if reported and self.on_private is not None:
            self.on_private()
        # Only whole frames count: a frame being received is always read to its end (it may be larger).
        if not self._paused and self._held > FRAMES_HELD and self._transport is not None:
            self._paused = True
            self._transport.pause_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self._wake()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def send(self, kind: bytes, payload: bytes) -> None:
        """Write one frame (the transport keeps what the socket does not take at once)."""
        if self._transport is None or self._transport.is_closing():
            raise ConnectionError("the query worker's socket is closed")
        self._transport.write(HEADER.pack(kind, len(payload)) + payload)

    async def next(self) -> tuple[bytes, bytes]:
        """The next frame; :class:`ConnectionError` once the worker's end is closed and every frame read."""
        while not self._frames:
            if self.ended:
                raise ConnectionError("the query worker process ended")
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        kind, payload = self._frames.popleft()
        self._held -= len(payload)
        if self._paused and self._held <= FRAMES_HELD // 2 and self._transport is not None:
            self._paused = False
            if not self._transport.is_closing():
                self._transport.resume_reading()
        return kind, payload

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class _Worker:
    """One worker process, forked by the zygote of the dataset version it holds."""

    def __init__(self, pid: int, frames: _Frames | None, zygote: _Zygote, version: str) -> None:
        self.pid = pid
        self.zygote = zygote
        #: The dataset version it holds (its zygote's when it was forked).
        self.version = version
        self._frames = frames
        self._killed = False
        self._exit: asyncio.Task[int] | None = None
        #: Replace it once its query is done: the workers hold too many pages of their own.
        self.retiring = False

    @property
    def private(self) -> int:
        """Bytes of the pages it holds alone, as it last said (0 until it says)."""
        return self._frames.private if self._frames is not None else 0

    def on_private(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (on the event loop) whenever the worker says anew how many pages it holds alone."""
        if self._frames is not None:
            self._frames.on_private = callback

    @property
    def alive(self) -> bool:
        return not self._killed and self._frames is not None and not self._frames.ended

    def send(self, job: QueryJob) -> None:
        assert self._frames is not None
        self._frames.send(JOB, job.encode())

    async def read_frame(self) -> tuple[bytes, bytes]:
        """The next frame; :class:`ConnectionError` if the worker has ended."""
        assert self._frames is not None
        return await self._frames.next()

    def kill(self) -> None:
        """Kill the process (it stays a zombie of its zygote until :meth:`exit_code` reaps it)."""
        if not self._killed:
            self._killed = True
            # Safe: the zygote reaps a worker only when told to (exit_code), so this pid is still this worker's.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            if self._frames is not None:
                self._frames.close()

    def exit_code(self) -> asyncio.Task[int]:
        """Reap the ended (or killed) worker, once: its exit code."""
        if self._exit is None:
            self._exit = asyncio.get_running_loop().create_task(self.zygote.reap(self.pid))
        return self._exit


class _ProcessExecution:
    """One query in one worker; stopping it kills the worker."""

    def __init__(self, worker: _Worker, executor: ProcessExecutor) -> None:
        self._worker = worker
        self._executor = executor
        self._stopped = False
        self._settled = False

    async def next_event(self) -> Event:
        if self._stopped:
            raise ExecutionStopped
        try:
            kind, payload = await self._worker.read_frame()
        except ConnectionError:
            if self._stopped:
                raise ExecutionStopped from None
            self.stop()  # the worker died on its own (out of memory, killed from outside): replace it
            return await self._death()
        if kind == START:
            return Start(payload.decode())
        if kind == CHUNK:
            return Chunk(payload)
        if kind == DONE:
            return Done()
        if kind == FAILED:
            failure = json.loads(payload)
            return Failed(rebuild_error(str(failure["error"]), str(failure["message"]), failure["fields"]))
        self.stop()
        return Failed(StoreError(f"the query worker sent an unknown frame {kind!r}"))

    async def _death(self) -> Failed:
        """Why the worker ended in the middle of a query: its memory limit (the engine aborts), or else unknown."""
        code = None
        with contextlib.suppress(TimeoutError, OSError):
            code = await asyncio.wait_for(asyncio.shield(self._worker.exit_code()), 2)
        limit = self._executor.memory_mib
        if limit is not None and code == -signal.SIGABRT:
            return Failed(MemoryLimitExceeded(limit_mib=limit))
        return Failed(StoreError("the process evaluating the query ended unexpectedly"))

    def stop(self) -> None:
        self._stopped = True
        if not self._settled:
            self._settled = True
            self._executor.discard(self._worker)

    def release(self) -> None:
        if not self._settled:
            self._settled = True
            self._executor.give_back(self._worker)


class ProcessExecutor:
    """Admits up to ``max_concurrent`` queries and evaluates up to ``workers`` of them at once, each in a worker
    process; the others wait for a worker, within their deadline. See the module documentation."""

    def __init__(
        self,
        max_concurrent: int,
        warm: int = 1,
        memory_mib: int | None = None,
        private_mib: int | None = None,
        workers: int | None = None,
    ) -> None:
        self._slots = Slots(max_concurrent)
        #: Queries evaluated at once (busy workers); more admitted queries wait in turn for one of them.
        self.workers = min(workers or max_concurrent, max_concurrent)
        self._turns = asyncio.Semaphore(self.workers)
        #: MiB each worker may allocate beyond its copy of the dataset (``None``: no limit).
        self.memory_mib = memory_mib
        #: MiB of pages the workers together may hold of their own before the idle ones holding most are
        #: replaced (``None``: :data:`PRIVATE_SHARE` of the data's copy, at least :data:`PRIVATE_FLOOR` a slot;
        #: 0: no limit).
        self.private_mib = private_mib
        self._private_budget: int | None = private_mib * 2**20 if private_mib else None
        self._warm = min(warm, self.workers)
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self._zygote: _Zygote | None = None
        #: Zygotes of earlier versions, ended once their last worker is reaped.
        self._draining: set[_Zygote] = set()
        self._zygote_lock = asyncio.Lock()
        #: Where snapshots are written, made when the first is (most servers never write one: their zygote is
        #: forked), so that a process ended without its shutdown leaves no empty folder behind.
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        #: Writes committed to the forked zygote's store and not yet applied to its copy, oldest first.
        self._changes: deque[Change] = deque(maxlen=MAX_PENDING_CHANGES)

    def fork_zygote(self, store: Store) -> None:
        """Fork the zygote of ``store``'s current version from this process (see :meth:`_Zygote.fork_from`),
        unless the current zygote was forked with it.

        Call it while no other thread may be using ``store``: before the server serves, or with the store a
        reload built before it is served (:meth:`~ilrs.server.state.DatasetHolder.on_swap`). The writes
        committed to ``store`` from now on are applied to the zygote's copy too. The zygote of the store it
        replaces forks the workers of requests that began before the reload, and ends with its last worker.
        """
        previous = self._zygote
        if previous is not None and previous.store is store:
            return
        follow_changes(store, self._changes.append)  # deque.append: atomic, and quick on the committing thread
        self._zygote = _Zygote.fork_from(store, self.memory_mib)
        self._budget_for(os.getpid())
        if previous is not None:
            self._draining.add(previous)
            for worker in [w for w in self._idle if w.zygote is previous]:
                self._retire(worker)
            self._end_if_drained(previous)

    async def prepare(self, store: Store) -> None:
        """Load the dataset of ``store`` and fork the warm workers, so the first query does not wait."""
        zygote = await self._zygote_for(store)
        for _ in range(self._warm - len(self._idle)):
            self._idle.append(await self._spawn(zygote))

    async def run(self, store: Store, job: QueryJob, deadline: Deadline) -> ResultStream:
        self._slots.take()
        try:
            await self._take_turn(deadline)
        except BaseException:
            self._slots.give_back()
            raise
        try:
            # An idle worker of the current version is taken at once; waiting for one (a fork, a new version's
            # zygote) is bounded by the deadline.
            worker = self._ready_worker(store)
            if worker is None:
                async with asyncio.timeout(deadline.at - asyncio.get_running_loop().time()):
                    worker = await self._checkout(store)
            try:
                worker.send(job)
            except BaseException:
                self.discard(worker)
                raise
        except TimeoutError:
            self._end_turn()
            raise QueryTimeout(seconds=deadline.seconds) from None
        except BaseException:
            self._end_turn()
            raise
        # From here on the execution gives the slot and the turn back (give_back or discard), however it ends.
        return await open_stream(_ProcessExecution(worker, self), deadline)

    def give_back(self, worker: _Worker) -> None:
        """A worker that finished its query goes back to the idle pool (or retires, if its data is stale)."""
        self._end_turn()
        current = worker.zygote is self._zygote and worker.version == worker.zygote.version
        if current and worker.alive and not worker.retiring and not self._closed and len(self._idle) < self.workers:
            self._idle.append(worker)
            self._trim()
        else:
            self._retire(worker)
            if worker.retiring and current and not self._closed:
                self._background(self._replenish(worker.zygote))

    def discard(self, worker: _Worker) -> None:
        """Kill a worker whose query is being stopped, and fork a replacement in the background."""
        metrics.WORKERS_RESTARTED.inc()
        self._retire(worker)
        self._end_turn()
        if not self._closed and self._zygote is not None and len(self._idle) < self._warm:
            self._background(self._replenish(self._zygote))

    async def aclose(self) -> None:
        self._closed = True
        for worker in list(self._workers):
            worker.kill()
        self._workers.clear()
        self._idle.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        zygotes = [*self._draining, *([self._zygote] if self._zygote else [])]
        for zygote in zygotes:
            zygote.close()  # it kills the workers it has left
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(z.process.wait() for z in zygotes)), 5)
        for zygote in zygotes:
            with contextlib.suppress(ProcessLookupError):
                zygote.process.kill()
        if self._dir is not None:
            self._dir.cleanup()

    # -- internals --

    async def _take_turn(self, deadline: Deadline) -> None:
        """Wait for one of the :attr:`workers` turns to evaluate (at once if one is free), until ``deadline``:
        past it, :class:`~ilrs.graph.errors.Busy` (the query never started: the server was too busy, not the
        query too slow)."""
        turns = self._turns
        if not turns.locked():
            await turns.acquire()  # a free turn: taken without suspending
            return
        metrics.QUERIES_WAITING.inc()
        try:
            async with asyncio.timeout(deadline.at - asyncio.get_running_loop().time()):
                await turns.acquire()
        except TimeoutError:
            raise Busy(
                f"the server was evaluating {self.workers} queries, its limit, for the {deadline.seconds:g} s this "
                f"query could wait for its turn; retry in {RETRY_AFTER} s",
                slots=self.workers,
                retry_after=RETRY_AFTER,
            ) from None
        finally:
            metrics.QUERIES_WAITING.dec()

    def _end_turn(self) -> None:
        """A query's turn and its admission are over: the next waiting query may start."""
        self._turns.release()
        self._slots.give_back()

    def _ready_worker(self, store: Store) -> _Worker | None:
        """An idle worker holding ``store``'s current version, if one is ready (what :meth:`_checkout` would
        return without waiting); ``None`` otherwise."""
        zygote = self._zygote
        if zygote is None or zygote.version != store.version:
            return None
        while self._idle:
            worker = self._idle.pop()
            if worker.alive and worker.zygote is zygote and worker.version == zygote.version:
                return worker
            self._retire(worker)
        return None

    async def _checkout(self, store: Store) -> _Worker:
        zygote = await self._zygote_for(store)
        while zygote is self._zygote and self._idle:
            worker = self._idle.pop()
            if worker.alive and worker.zygote is zygote and worker.version == zygote.version:
                return worker
            self._retire(worker)
        return await self._spawn(zygote)

    async def _zygote_for(self, store: Store) -> _Zygote:
        current = self._zygote
        if current is not None and current.version == store.version:
            return current  # what the locked path below returns too, without waiting for the lock
        async with self._zygote_lock:
            version = store.version
            for draining in self._draining:
                if draining.store is store and draining.version == version:
                    return draining  # a request that began before a reload: its version's zygote answers it
            current = self._zygote
            if current is not None and current.version != version and current.store is store:
                # The writes committed since: applied to the zygote's copy, no second copy is loaded.
                caught_up = await asyncio.to_thread(self._catch_up, current, version)
                for worker in [w for w in self._idle if w.version != current.version]:
                    self._retire(worker)
                if caught_up:
                    return current
            if self._zygote is None or self._zygote.version != version:
                # A write may commit meanwhile: the snapshot is named by the version it holds.
                version, path = await asyncio.to_thread(_dump, store, self._snapshots())
                try:
                    zygote = await _Zygote.start(version, path, self.memory_mib)
                finally:
                    path.unlink(missing_ok=True)  # loaded by the zygote, or of no use
                self._budget_for(zygote.process.pid)
                stale, self._zygote = self._zygote, zygote
                for worker in [w for w in self._idle if w.zygote is not zygote]:
                    self._retire(worker)
                if stale is not None:
                    self._draining.add(stale)
                    self._end_if_drained(stale)
            return self._zygote

    def _snapshots(self) -> Path:
        """The folder snapshots are written in (made the first time)."""
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="ilrs-sparql-")
        return Path(self._dir.name)

    def _catch_up(self, zygote: _Zygote, version: str) -> bool:
        """Apply to ``zygote``'s copy the writes committed since its version, up to ``version`` at least
        (more may commit meanwhile); whether its copy is now at ``version`` or later."""
        while self._changes:
            change = self._changes[0]
            if change.previous != zygote.version:  # missed (too many pending) or applied already
                self._changes.popleft()
                continue
            if not zygote.apply(change):
                return False
            self._changes.popleft()
            if change.version == version:
                return True
        return zygote.version == version

    async def _spawn(self, zygote: _Zygote) -> _Worker:
        worker = await zygote.fork()
        self._workers.add(worker)
        worker.on_private(self._trim)
        return worker

    def _budget_for(self, holder: int) -> None:
        """Scale the workers' budget of pages of their own to the data's copy, held by process ``holder``
        (unless a budget was set)."""
        if self.private_mib is None:
            resident = _resident(holder)
            floor = PRIVATE_FLOOR * self.workers
            self._private_budget = max(int(resident * PRIVATE_SHARE), floor) if resident else None

    def _trim(self) -> None:
        """While the workers together hold more pages of their own than the budget, replace the idle ones holding
        most: their successors are forked at once, off any request's path, and share every page again. If that
        is not enough, the busy ones holding most are replaced once their query is done."""
        budget = self._private_budget
        if budget is None or self._closed:
            return
        held = sum(worker.private for worker in self._workers if not worker.retiring)
        if held <= budget:  # as after every query, nearly always: nothing to sort
            return
        idle = set(self._idle)
        # The idle first (replaced now), then the busy (after their query), each by the pages it holds.
        for worker in sorted(self._workers, key=lambda w: (w in idle, w.private), reverse=True):
            if held <= budget:
                break
            if worker.retiring or not worker.private:
                continue
            held -= worker.private
            if worker in idle:
                zygote = worker.zygote
                self._retire(worker)
                if zygote is self._zygote:
                    self._background(self._replenish(zygote))
            else:
                worker.retiring = True

    async def _replenish(self, zygote: _Zygote) -> None:
        try:
            worker = await self._spawn(zygote)
        except Exception:
            log.exception("could not start a query worker; the next query will try again")
            return
        if self._closed or self._zygote is not zygote:
            self._retire(worker)
        else:
            self._idle.append(worker)

    def _retire(self, worker: _Worker) -> None:
        """Kill ``worker`` and reap it in the background."""
        self._workers.discard(worker)
        with contextlib.suppress(ValueError):
            self._idle.remove(worker)
        worker.kill()
        self._background(self._reap(worker))

    async def _reap(self, worker: _Worker) -> None:
        with contextlib.suppress(OSError):
            await worker.exit_code()
        self._end_if_drained(worker.zygote)

    def _end_if_drained(self, zygote: _Zygote) -> None:
        """End a zygote of an earlier version once none of its workers is left."""
        if zygote in self._draining and zygote.workers == 0:
            self._draining.discard(zygote)
            zygote.store = None  # the replaced store may be freed in this process
            zygote.close()
            self._background(_wait(zygote))

    def _background(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _resident(pid: int) -> int:
    """Bytes of memory process ``pid`` has resident (0 where /proc does not say)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def _dump(store: Store, folder: Path) -> tuple[str, Path]:
    """Write one version of the dataset into ``folder``; its version, and the file holding it."""
    partial = folder / "dataset.nq.partial"
    with partial.open("wb") as out:
        version = store.dump_snapshot(out)
    path = folder / f"dataset-{version}.nq"
    partial.replace(path)
    return version, path


async def _wait(zygote: _Zygote) -> None:
    with contextlib.suppress(ProcessLookupError):
        await zygote.process.wait()
