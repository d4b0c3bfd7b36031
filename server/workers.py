"""``ilrs serve --workers N``: N server processes sharing one listening socket and one copy of the data.

The supervisor binds the address and loads the dataset once, then forks N server processes that accept on
the inherited socket (the kernel spreads connections among them). Each shares the supervisor's copy of the
data page by page (copy-on-write) and forks its query workers' zygote from it in turn, so the whole tree
holds one copy however many processes serve: a read of the store writes only the pages it touches, which
the kernel then copies for that process alone. Each process has its own query workers, caches and limits
(``max_concurrent_queries`` and the per-client shares hold per process); with metrics on, the processes write their
values to files in a folder of the supervisor's, and any process's ``/metrics`` reports the whole server
(:mod:`.metrics`). A process that dies is forked again from the loaded copy, in milliseconds; SIGTERM or SIGINT
stops them all, each as one server stops (:mod:`.lifecycle`), and the supervisor then exits with status 0. A
supervisor that ends otherwise (killed) has its server processes stopped too.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from types import FrameType

from ilrs.graph.loader import Progress, build_dataset
from ilrs.graph.settings import Settings

from .lifecycle import STOP_MARGIN, STOP_SIGNALS, Stopper, configure_logging

#: The environment variable naming prometheus_client's multiprocess folder, read when it is imported: so it is set
#: here, before :mod:`.metrics` is imported.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

log = logging.getLogger("ilrs.server.workers")

#: Seconds between two looks at the server processes.
POLL = 0.2
#: prctl(2)'s option that names the signal a process gets when its parent ends (Linux).
PR_SET_PDEATHSIG = 1


def worker_count(requested: int) -> int:
    """``requested`` processes, or one per core available to this process for 0."""
    if requested > 0:
        return requested
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def process_settings(settings: Settings, workers: int) -> Settings:
    """The settings of each server process: unless ``query_workers`` is set, the cores are shared out among the
    processes (each would otherwise evaluate one query per core, and copy as many pages of the data)."""
    if settings.query_workers is not None:
        return settings
    return settings.model_copy(update={"query_workers": max(1, worker_count(0) // workers)})


def supervise(settings: Settings, workers: int, *, watch: bool = False, progress: Progress | None = None) -> None:
    """Bind ``settings.host:port``, load the dataset (telling ``progress``), and serve it with ``workers``
    forked server processes until stopped."""
    configure_logging(settings)
    listener = _bind(settings)
    stopper = Stopper.installed(settings)  # a stop while the data loads ends the supervisor at once
    served = build_dataset(settings, progress)
    shared_metrics = _share_metrics(settings)  # before the HTTP stack is imported: its metrics are made then
    from .app import run  # imported before the forks: every process shares the HTTP stack's pages too

    # What the load built is frozen out of the collector's sight before the forks: a collection in a server
    # process would otherwise write to every page of it, and the kernel copy them for that process.
    gc.collect()
    gc.freeze()
    each = process_settings(settings, workers)

    def start() -> int:
        return _fork(lambda: run(each, watch=watch, listen_fd=listener.fileno(), served=served))

    stopping = stopper.requested

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
    children = [start() for _ in range(workers)] if not stopping else []
    log.info("serving on %s:%d with %d processes", settings.host, settings.port, workers)
    try:
        while not stopping:
            for i, pid in enumerate(children):
                status = _ended(pid)
                if status is not None and not stopping:
                    log.error("server process %d ended with %s; starting another", pid, status)
                    _metrics_of_ended(pid, shared_metrics)
                    children[i] = start()
            time.sleep(POLL)
    finally:
        _stop_all(children, settings.shutdown_grace + STOP_MARGIN + 1)
        listener.close()
        if shared_metrics is not None:
            shutil.rmtree(shared_metrics, ignore_errors=True)


def _share_metrics(settings: Settings) -> str | None:
    """With metrics on, a new folder for the server processes' metric values, named in the environment that
    prometheus_client reads when it is imported (see :mod:`.metrics`); ``None`` when off, or when the folder was
    named already (by whoever started the supervisor, who then empties it)."""
    if not settings.metrics or os.environ.get(MULTIPROCESS_DIR):
        return None
    folder = tempfile.mkdtemp(prefix="ilrs-metrics-")
    os.environ[MULTIPROCESS_DIR] = folder
    return folder


def _metrics_of_ended(pid: int, folder: str | None) -> None:
    """Drop the gauges of ended server process ``pid`` from the sums over the live ones (its counts stay)."""
    if folder is not None:
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(pid, folder)


def _bind(settings: Settings) -> socket.socket:
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((settings.host, settings.port))
    listener.listen(2048)
    return listener


def _fork(serve: Callable[[], None]) -> int:
    """Fork a server process running ``serve()``; its process id. The child never returns from here."""
    supervisor = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        for signum in STOP_SIGNALS:  # the server installs its own stopper; until then a stop ends it at once
            signal.signal(signum, signal.SIG_DFL)
        _stop_with(supervisor)
        serve()
        status = 0
    except BaseException:
        log.exception("server process %d failed", os.getpid())
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(status)


def _stop_with(supervisor: int) -> None:
    """Have this server process stopped (SIGTERM) when ``supervisor`` ends, however it ends, even killed: a process
    left behind would serve the port with nobody to stop or restart it. Linux only; elsewhere nothing."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # no C library to load, or no prctl in it
        return
    if os.getppid() != supervisor:  # it ended before the call
        os.kill(os.getpid(), signal.SIGTERM)


def _ended(pid: int) -> int | None:
    """The exit code of server process ``pid`` if it has ended (``-N``: killed by signal N), else ``None``."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return -1
    return os.waitstatus_to_exitcode(status) if done else None


def _stop_all(children: list[int], seconds: float) -> None:
    """SIGTERM each server process; SIGKILL those still running after ``seconds`` (each gives its requests the
    grace and ends at most STOP_MARGIN later, see lifecycle.py; one more second for a loaded machine)."""
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    left = set(children)
    while left and time.monotonic() < deadline:
        left = {pid for pid in left if _ended(pid) is None}
        if left:
            time.sleep(0.05)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
