"""Query worker processes: ``python -m ilrs.server.sparql.worker SNAPSHOT.nq [MEMORY_MIB]``.

The process started by the server is a *zygote*: it loads the dataset snapshot (N-Quads) into an
in-memory store once, says it is ready, and then forks one worker per request of the server. A
worker shares the zygote's copy of the data page by page (copy-on-write, and nobody writes it), so
eight workers cost about one copy, and a new worker is ready in milliseconds. The zygote forks
before it has started any thread, so a worker inherits no lock held by a thread that no longer
exists. A worker evaluates one job after another, so that the server can kill it — reclaiming the
CPU at once — when a query passes its deadline or its client goes away.

The zygote's control channel is a Unix socket on its standard input. The server sends one line per
command and reads one reply:

* ``fork`` — the zygote forks a worker and replies with its process id, passing the server its end
  of the worker's socket (``SCM_RIGHTS``);
* ``reap PID`` — after the server has killed the worker (or seen its socket close): the zygote waits
  for it and replies with its wait status. Until then the worker stays a zombie, so its process id
  cannot be reused and the server's kill can never reach another process.
* ``apply PREVIOUS VERSION R A`` and then ``R`` bytes of N-Quads removed and ``A`` bytes added — a write
  committed to the server's store (:class:`~ilrs.graph.store.Change`), applied to the zygote's copy
  as it stands at ``PREVIOUS``: workers forked after it hold ``VERSION``, and the pages it did not touch
  stay shared. The zygote replies ``ok``, or ``stale`` if its copy is not at ``PREVIOUS`` (or the change
  fails): the server then loads the current version from a snapshot.

The zygote ends, killing the workers it has left, when the server closes the channel.

The wire protocol between the server and a worker, over the worker's socket:

* in: one :data:`JOB` frame per :class:`~.evaluate.QueryJob` (:meth:`~.evaluate.QueryJob.encode`);
* out: frames of one type byte, a 4-byte big-endian length and the payload —
  per job :data:`START` (the content type), any number of :data:`CHUNK` and one :data:`DONE`, or
  :data:`FAILED` (JSON ``{"error", "message", "fields"}``: the class, message and fields of an
  :class:`~ilrs.graph.errors.IlrsError`, see :func:`~ilrs.graph.errors.rebuild_error`) at any point.
  The payload of :data:`DONE` is an estimate of the bytes of the pages the worker holds alone (8 bytes,
  big-endian: its last count and a page per fault since); now and then a :data:`PRIVATE` frame follows it
  with a new count. The server weighs them against its budget for all the workers.
  The zygote sends :data:`READY` on its channel once it has loaded the data.

It imports no more than pyoxigraph and the modules it needs, so that it starts in a fraction
of a second.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import resource
import signal
import socket
import struct
import sys
import time
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from ilrs.graph.errors import IlrsError, MemoryLimitExceeded
from ilrs.graph.formats import NQUADS
from ilrs.graph.store import Store, keep_only, memory_store

from .evaluate import CHUNK_SIZE, QueryJob, evaluate, start_evaluation_thread

READY, JOB, START, CHUNK, FAILED, DONE, PRIVATE = b"R", b"J", b"S", b"C", b"F", b"D", b"P"
#: Page faults (a page copied for this process alone, or a new one) since the last count of the worker's own
#: pages after which they are counted again: reading ``smaps_rollup`` walks every mapping of the process
#: (about 10 ms with a million triples), while the fault counter costs a system call. A worker reading pages
#: it has copied already faults no more, and is not counted again.
FAULTS_BETWEEN_COUNTS = 256
#: Seconds between two counts of a worker's own pages at most: the next job waits for a count.
MEMORY_CHECK_INTERVAL = 1.0
#: Frame header: type byte, payload length.
HEADER = struct.Struct(">cI")
#: The payload of a :data:`PRIVATE` frame and of a :data:`DONE` frame.
PRIVATE_BYTES = struct.Struct(">Q")
PAGE_SIZE = resource.getpagesize()


def write_frame(out: IO[bytes], kind: bytes, payload: bytes = b"", flush: bool = True) -> None:
    """Send one frame, and flush it unless ``flush`` is false (a frame that another follows at once)."""
    out.write(HEADER.pack(kind, len(payload)))
    out.write(payload)
    if flush:
        out.flush()


class FrameSink:
    """The :class:`~.evaluate.Sink` that sends a result to the server as frames."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out

    def start(self, content_type: str) -> None:
        write_frame(self._out, START, content_type.encode(), flush=False)  # a chunk or the end follows

    def chunk(self, data: bytes) -> None:
        # A full chunk goes at once, so a long result streams; a short one is the last, and goes with
        # the DONE frame that follows it: a small result reaches the server in one write.
        write_frame(self._out, CHUNK, data, flush=len(data) >= CHUNK_SIZE)


def answer_jobs(store: Store, jobs: IO[bytes], out: IO[bytes], memory_mib: int | None = None) -> None:
    """Answer every job read from ``jobs`` until it ends, writing frames to ``out``.

    With ``memory_mib``, the process's memory may grow by that much beyond what it holds now: a query
    that needs more makes the engine abort the process (the server answers 507), or raises
    :class:`MemoryError` here. Each job's :data:`DONE` says how many bytes of pages this process holds alone
    (copied from the zygote's as the engine wrote to them), as estimated from the page faults since they were
    last counted: a page per fault, at most. After :data:`FAULTS_BETWEEN_COUNTS` faults they are counted again
    (at most once a :data:`MEMORY_CHECK_INTERVAL`) and the count sent in a :data:`PRIVATE` frame, after the
    job's last frame: the client has its answer, and the server decides whether to replace the worker.
    """
    if memory_mib is not None:
        limit_memory(memory_mib)
    counted, counted_faults, next_check = 0, 0, 0.0  # every fault since the fork: a page of its own
    while (job := read_job(jobs)) is not None:
        try:
            evaluate(store, job, FrameSink(out))
        except IlrsError as err:
            write_failure(out, err)
            continue
        except MemoryError:
            write_failure(out, MemoryLimitExceeded(limit_mib=memory_mib or 0))
            continue
        faults = page_faults()
        write_frame(out, DONE, PRIVATE_BYTES.pack(counted + (faults - counted_faults) * PAGE_SIZE))
        now = time.monotonic()
        if faults - counted_faults >= FAULTS_BETWEEN_COUNTS and now >= next_check:
            counted, counted_faults, next_check = private_memory(), faults, now + MEMORY_CHECK_INTERVAL
            write_frame(out, PRIVATE, PRIVATE_BYTES.pack(counted))


def page_faults() -> int:
    """Minor page faults of this process so far: each copy of a shared page written, each new page."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def read_job(jobs: IO[bytes]) -> QueryJob | None:
    """The next :data:`JOB` frame's job, or ``None`` once ``jobs`` has ended."""
    header = jobs.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    kind, length = HEADER.unpack(header)
    payload = jobs.read(length)
    if kind != JOB or len(payload) < length:
        raise ConnectionError(f"the server sent a frame {kind!r} of {len(payload)} of {length} bytes, not a job")
    return QueryJob.decode(payload)


def private_memory() -> int:
    """Bytes of the pages this process holds alone (``Private_Dirty``; 0 where /proc does not say)."""
    try:
        rollup = Path("/proc/self/smaps_rollup").read_text()
    except OSError:
        return 0
    found = re.search(r"^Private_Dirty:\s+(\d+) kB", rollup, re.MULTILINE)
    return int(found.group(1)) * 1024 if found else 0


def load_snapshot(snapshot: Path) -> Store:
    """The dataset of ``snapshot`` (N-Quads) in a new in-memory store."""
    store = memory_store()
    with snapshot.open("rb") as data:
        store.load(data, NQUADS.media_type)
    return store


class Zygote:
    """Forks workers that share its store; see the module documentation."""

    def __init__(self, store: Store, control: socket.socket, memory_mib: int | None) -> None:
        self._store = store
        self._control = control
        self._memory_mib = memory_mib
        self._children: set[int] = set()

    def serve(self) -> None:
        """Answer the server's commands until it closes the channel, then end the workers left."""
        commands = self._control.makefile("rb")
        try:
            for line in commands:
                command, _, argument = line.decode().strip().partition(" ")
                if command == "fork":
                    self._fork()
                elif command == "reap":
                    self._reap(int(argument))
                elif command == "apply":
                    self._apply(argument, commands)
        finally:
            for pid in self._children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def _fork(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:  # the worker: it never returns
            self._control.close()
            theirs.close()
            # The channel is also the zygote's standard input: the worker must not hold it open, or the
            # server would not see the channel close if the zygote died.
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os._exit(run_worker(self._store, ours, self._memory_mib))
        ours.close()
        self._children.add(pid)
        socket.send_fds(self._control, [f"{pid}\n".encode()], [theirs.fileno()])
        theirs.close()

    def _apply(self, argument: str, commands: IO[bytes]) -> None:
        previous, version, removed_size, added_size = argument.split(" ")
        removed, added = commands.read(int(removed_size)), commands.read(int(added_size))
        reply = b"stale\n"
        if self._store.version == previous:
            try:
                self._store.apply(_quads(removed), _quads(added), version)
                reply = b"ok\n"
            except (SyntaxError, OSError, ValueError) as err:  # one transaction: the copy stays at PREVIOUS
                print(f"ilrs query worker: a write could not be applied: {err}", file=sys.stderr)
        self._control.sendall(reply)

    def _reap(self, pid: int) -> None:
        status = 0
        if pid in self._children:
            self._children.discard(pid)
            _, status = os.waitpid(pid, 0)
        self._control.sendall(f"{status}\n".encode())


def _quads(data: bytes) -> list[ox.Quad]:
    """The quads of N-Quads ``data``, their blank nodes' labels kept (they name the store's own)."""
    return list(ox.parse(data, format=ox.RdfFormat.N_QUADS)) if data else []


def serve_forked(store: Store, control: socket.socket, memory_mib: int | None) -> int:
    """The life of a zygote forked from the server process itself, which holds ``store``; its exit status.

    It keeps none of the server's files open (its listening socket above all) but ``control`` and the
    standard streams, ignores the stop signals (as :func:`main` does) and leaves the others to their defaults, and
    freezes the
    server's Python objects out of the garbage collector: a collection in a worker would otherwise write
    to every one of them, and copy their pages.
    """
    try:
        signal.set_wakeup_fd(-1)
        ignore_stop_signals()
        keep = control.fileno()
        os.closerange(3, keep)
        os.closerange(keep + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        keep_only(store)  # forked after a reload, it holds the previous version too
        gc.freeze()
        with contextlib.suppress(BrokenPipeError, ConnectionError):  # the server went away
            Zygote(store, control, memory_mib).serve()
    except BaseException as err:  # nothing may return into the server's code
        print(f"ilrs query worker: {err!r}", file=sys.stderr)
        return 1
    return 0


def run_worker(store: Store, channel: socket.socket, memory_mib: int | None) -> int:
    """A forked worker's life: answer jobs from ``channel`` on a thread with a large stack; the exit status."""
    jobs, out = channel.makefile("rb"), channel.makefile("wb")
    failure: list[BaseException] = []

    def work() -> None:
        try:
            answer_jobs(store, jobs, out, memory_mib)
        except BaseException as err:  # handed to the main thread
            failure.append(err)

    # Queries are evaluated on a thread with a large stack: the main thread's overflows on deep queries.
    start_evaluation_thread(work, name="sparql-worker").join()
    if not failure or isinstance(failure[0], BrokenPipeError | ConnectionError | KeyboardInterrupt):
        return 0  # done, or the server went away
    print(f"ilrs query worker: {failure[0]!r}", file=sys.stderr)
    return 1


def ignore_stop_signals() -> None:
    """Leave SIGINT and SIGTERM to the server, which decides when the zygote and its workers end: Ctrl-C in a
    terminal reaches the whole process group, and systemd (``KillMode=control-group``) sends SIGTERM to every
    process of the service, while the server gives the queries in progress a grace before it kills them."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


def write_failure(out: IO[bytes], err: IlrsError) -> None:
    """Send ``err`` as a :data:`FAILED` frame, to be rebuilt by the server."""
    failure = {"error": type(err).__name__, "message": str(err), "fields": err.fields()}
    write_frame(out, FAILED, json.dumps(failure).encode())


def limit_memory(mib: int) -> None:
    """Let this process's data (heap and private mappings) grow by at most ``mib`` MiB (Linux only)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return
    used = re.search(r"^VmData:\s+(\d+) kB", status, re.MULTILINE)
    if used is not None:
        limit = int(used.group(1)) * 1024 + mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the zygote; the arguments are the snapshot's path and, optionally, the memory limit of a
    query (:func:`answer_jobs`), in MiB (``-``: none).

    Its standard input is the control channel (a Unix socket).
    """
    args = sys.argv[1:] if argv is None else argv
    memory_mib = int(args[1]) if len(args) > 1 and args[1] != "-" else None
    ignore_stop_signals()
    control = socket.socket(fileno=os.dup(sys.stdin.fileno()))
    try:
        store = load_snapshot(Path(args[0]))
    except (OSError, IlrsError) as err:
        print(f"ilrs query worker: {err}", file=sys.stderr)
        return 1
    channel = control.makefile("wb")
    write_frame(channel, READY)
    with contextlib.suppress(BrokenPipeError, ConnectionError, KeyboardInterrupt):  # the server went away
        Zygote(store, control, memory_mib).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
