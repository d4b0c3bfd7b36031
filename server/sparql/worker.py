"""A query worker process: ``python -m ilrs.server.sparql.worker SNAPSHOT.nq``.

It loads the dataset snapshot (N-Quads) into its own in-memory store, says it is ready,
then evaluates one job after another, so that the server can kill it — reclaiming the
CPU at once — when a query passes its deadline or its client goes away.

The wire protocol, over the worker's standard input and output:

* in: one :class:`~.evaluate.QueryJob` per line, as JSON;
* out: frames of one type byte, a 4-byte big-endian length and the payload —
  :data:`READY` (once, after loading), then per job :data:`START` (the content type),
  any number of :data:`CHUNK` and one :data:`DONE`, or :data:`FAILED` (JSON
  ``{"error", "message", "fields"}``: the class, message and fields of an
  :class:`~ilrs.graph.errors.IlrsError`, see :func:`~ilrs.graph.errors.rebuild_error`) at any point.

It imports no more than pyoxigraph and the modules it needs, so that it starts in a fraction
of a second.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import struct
import sys
from pathlib import Path
from typing import IO

from ilrs.graph.errors import IlrsError, MemoryLimitExceeded
from ilrs.graph.formats import NQUADS
from ilrs.graph.store import memory_store

from .evaluate import QueryJob, evaluate, start_evaluation_thread

READY, START, CHUNK, FAILED, DONE = b"R", b"S", b"C", b"F", b"D"
#: Frame header: type byte, payload length.
HEADER = struct.Struct(">cI")


def write_frame(out: IO[bytes], kind: bytes, payload: bytes = b"") -> None:
    """Send one frame and flush it, so the server sees each chunk as soon as it is made."""
    out.write(HEADER.pack(kind, len(payload)))
    out.write(payload)
    out.flush()


class FrameSink:
    """The :class:`~.evaluate.Sink` that sends a result to the server as frames."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out

    def start(self, content_type: str) -> None:
        write_frame(self._out, START, content_type.encode())

    def chunk(self, data: bytes) -> None:
        write_frame(self._out, CHUNK, data)


def serve(snapshot: Path, jobs: IO[bytes], out: IO[bytes], memory_mib: int | None = None) -> None:
    """Load ``snapshot``, then answer every job read from ``jobs`` until it ends.

    With ``memory_mib``, the worker's memory may grow by that much beyond what it holds once loaded:
    a query that needs more makes the engine abort the process (the server answers 507), or raises
    :class:`MemoryError` here.
    """
    store = memory_store()
    with snapshot.open("rb") as data:
        store.load(data, NQUADS.media_type)
    if memory_mib is not None:
        limit_memory(memory_mib)
    write_frame(out, READY)
    for line in jobs:
        job = QueryJob.from_json(line)
        try:
            evaluate(store, job, FrameSink(out))
        except IlrsError as err:
            write_failure(out, err)
        except MemoryError:
            write_failure(out, MemoryLimitExceeded(limit_mib=memory_mib or 0))
        else:
            write_frame(out, DONE)


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
    """Entry point; the arguments are the snapshot's path and, optionally, the memory limit in MiB."""
    args = sys.argv[1:] if argv is None else argv
    memory_mib = int(args[1]) if len(args) > 1 else None
    # Ctrl-C in a terminal reaches the whole process group: the server decides when workers end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The frames get the real standard output; anything else printed goes to standard error.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    failure: list[BaseException] = []

    def work() -> None:
        try:
            serve(Path(args[0]), sys.stdin.buffer, out, memory_mib)
        except BaseException as err:  # handed to the main thread
            failure.append(err)

    # Queries are evaluated on a thread with a large stack: the main thread's overflows on deep queries.
    start_evaluation_thread(work, name="sparql-worker").join()
    if not failure or isinstance(failure[0], BrokenPipeError | KeyboardInterrupt):  # done, or the server went away
        return 0
    if isinstance(failure[0], OSError | IlrsError):
        print(f"ilrs query worker: {failure[0]}", file=sys.stderr)
        return 1
    raise failure[0]


if __name__ == "__main__":
    sys.exit(main())
