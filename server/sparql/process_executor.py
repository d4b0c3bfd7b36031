"""The default executor: queries run in worker processes that are killed when they overrun.

Each worker (:mod:`.worker`) holds its own in-memory copy of the dataset, loaded from an
N-Quads snapshot that this executor writes once per dataset version (through
:meth:`Store.dump`, so any store can be served). A worker evaluates one query at a time and
streams the result back over a pipe. When a query passes its deadline or its client goes away
the worker is killed — the CPU it was burning is reclaimed at once, which a thread cannot offer
— and a fresh one is started in the background. Idle workers are kept for the next query.

When the dataset changes (``ilrs serve --watch`` swaps the store), the next query writes a new
snapshot; workers holding the old data finish what they are doing and are then retired.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
import tempfile
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ilrs.graph.errors import MemoryLimitExceeded, QueryTimeout, StoreError, rebuild_error
from ilrs.graph.formats import NQUADS
from ilrs.graph.store import Store

from .evaluate import QueryJob
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
from .worker import CHUNK, DONE, FAILED, HEADER, READY, START

log = logging.getLogger("ilrs.server.sparql")


@dataclass(frozen=True)
class _Snapshot:
    """The dataset of one version, written where workers can load it."""

    version: str
    path: Path


class _Worker:
    """One worker process and the dataset version it holds."""

    def __init__(self, process: asyncio.subprocess.Process, version: str) -> None:
        self.process = process
        self.version = version

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def send(self, job: QueryJob) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(job.to_json().encode() + b"\n")
        await self.process.stdin.drain()

    async def read_frame(self) -> tuple[bytes, bytes]:
        """The next frame; :class:`asyncio.IncompleteReadError` if the worker has ended."""
        assert self.process.stdout is not None
        kind, length = HEADER.unpack(await self.process.stdout.readexactly(HEADER.size))
        return kind, await self.process.stdout.readexactly(length) if length else b""

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()


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
        except (asyncio.IncompleteReadError, ConnectionError):
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
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._worker.process.wait(), 2)
        limit = self._executor.memory_mib
        if limit is not None and self._worker.process.returncode == -signal.SIGABRT:
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
    """Evaluates queries in up to ``max_concurrent`` worker processes; see the module documentation."""

    def __init__(self, max_concurrent: int, warm: int = 1, memory_mib: int | None = None) -> None:
        self._slots = Slots(max_concurrent)
        #: MiB each worker may allocate beyond its copy of the dataset (``None``: no limit).
        self.memory_mib = memory_mib
        self._warm = min(warm, max_concurrent)
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self._snapshot: _Snapshot | None = None
        self._snapshot_lock = asyncio.Lock()
        self._dir = tempfile.TemporaryDirectory(prefix="ilrs-sparql-")
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    async def prepare(self, store: Store) -> None:
        """Write the snapshot of ``store`` and start the warm workers, so the first query does not wait."""
        snapshot = await self._snapshot_for(store)
        for _ in range(self._warm - len(self._idle)):
            self._idle.append(await self._spawn(snapshot))

    async def run(self, store: Store, job: QueryJob, deadline: Deadline) -> ResultStream:
        self._slots.take()
        try:
            remaining = deadline.at - asyncio.get_running_loop().time()
            async with asyncio.timeout(remaining):
                worker = await self._checkout(store)
                try:
                    await worker.send(job)
                except BaseException:
                    self.discard(worker)
                    raise
        except TimeoutError:
            self._slots.give_back()
            raise QueryTimeout(seconds=deadline.seconds) from None
        except BaseException:
            self._slots.give_back()
            raise
        # From here on the execution gives the slot back (give_back or discard), however it ends.
        return await open_stream(_ProcessExecution(worker, self), deadline)

    def give_back(self, worker: _Worker) -> None:
        """A worker that finished its query goes back to the idle pool (or retires, if its data is stale)."""
        self._slots.give_back()
        current = self._snapshot is not None and worker.version == self._snapshot.version
        if current and worker.alive and not self._closed and len(self._idle) < self._slots.size:
            self._idle.append(worker)
        else:
            self._retire(worker)

    def discard(self, worker: _Worker) -> None:
        """Kill a worker whose query is being stopped, and start a replacement in the background."""
        self._retire(worker)
        self._slots.give_back()
        if not self._closed and self._snapshot is not None and len(self._idle) < self._warm:
            self._background(self._replenish(self._snapshot))

    async def aclose(self) -> None:
        self._closed = True
        for worker in list(self._workers):
            self._retire(worker)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._idle.clear()
        self._dir.cleanup()

    # -- internals --

    async def _checkout(self, store: Store) -> _Worker:
        snapshot = await self._snapshot_for(store)
        while self._idle:
            worker = self._idle.pop()
            if worker.alive and worker.version == snapshot.version:
                return worker
            self._retire(worker)
        return await self._spawn(snapshot)

    async def _snapshot_for(self, store: Store) -> _Snapshot:
        async with self._snapshot_lock:
            version = store.version
            if self._snapshot is None or self._snapshot.version != version:
                path = Path(self._dir.name) / f"dataset-{version}.nq"
                await asyncio.to_thread(_dump, store, path)
                stale = self._snapshot
                self._snapshot = _Snapshot(version, path)
                for worker in [w for w in self._idle if w.version != version]:
                    self._idle.remove(worker)
                    self._retire(worker)
                if stale is not None:
                    # Workers still being spawned for the old version have opened it already, or will fail
                    # to start (their query then gets a clean 500); nobody reads it after this swap.
                    stale.path.unlink(missing_ok=True)
            return self._snapshot

    async def _spawn(self, snapshot: _Snapshot) -> _Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ilrs.server.sparql.worker",
            str(snapshot.path),
            *([str(self.memory_mib)] if self.memory_mib is not None else []),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        worker = _Worker(process, snapshot.version)
        self._workers.add(worker)
        try:
            kind, _ = await worker.read_frame()
        except BaseException:
            self._retire(worker)
            raise
        if kind != READY:
            self._retire(worker)
            raise RuntimeError(f"a query worker failed to start (sent {kind!r})")
        return worker

    async def _replenish(self, snapshot: _Snapshot) -> None:
        try:
            worker = await self._spawn(snapshot)
        except Exception:
            log.exception("could not start a query worker; the next query will try again")
            return
        if self._closed or self._snapshot is not snapshot:
            self._retire(worker)
        else:
            self._idle.append(worker)

    def _retire(self, worker: _Worker) -> None:
        """Kill ``worker`` and reap it in the background."""
        self._workers.discard(worker)
        with contextlib.suppress(ValueError):
            self._idle.remove(worker)
        if worker.alive:
            worker.kill()
        self._background(_reap(worker))

    def _background(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _dump(store: Store, path: Path) -> None:
    with path.open("wb") as out:
        store.dump(out, NQUADS.media_type)


async def _reap(worker: _Worker) -> None:
    with contextlib.suppress(ProcessLookupError):
        await worker.process.wait()
