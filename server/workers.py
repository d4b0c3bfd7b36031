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

With ``--watch`` the supervisor, not each process, follows the files: it rebuilds the dataset once after an edit
(checked and validated as :mod:`.reload` does for one process) and forks new server processes from an accepted
rebuild, or from the same copy, knowing of the refusal, for a refused one; the running processes then stop as at
SIGTERM. So every process serves the same version, one that dies is replaced by one of that version, and once
the replaced processes end the machine holds one copy of the data again.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import logging
import os
import queue
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import watchfiles

from ilrs.graph.loader import Progress, build_dataset
from ilrs.graph.settings import Settings
from ilrs.graph.store import return_freed_memory
from ilrs.graph.watch import DataFileFilter, Rebuild, watched_paths

from .lifecycle import STOP_MARGIN, STOP_SIGNALS, Stopper, configure_logging

if TYPE_CHECKING:
    from .state import DatasetHolder

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
    forked server processes until stopped; with ``watch``, rebuild it after each edit of its files and serve an
    accepted rebuild with new processes (see :class:`_Supervisor`)."""
    configure_logging(settings)
    listener = _bind(settings)
    stopper = Stopper.installed(settings)  # a stop while the data loads ends the supervisor at once
    served = build_dataset(settings, progress)
    made = _share_metrics(settings)  # before the HTTP stack is imported: its metrics are made then
    shared_metrics = os.environ.get(MULTIPROCESS_DIR) if settings.metrics else None  # made, or named already
    from .state import DatasetHolder

    supervisor = _Supervisor(settings, workers, listener, DatasetHolder(served), shared_metrics)
    del served  # the holder's: a reload frees it
    supervisor.stopping = stopper.requested

    def stop(signum: int, _frame: FrameType | None) -> None:
        supervisor.stopping = True

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
    with contextlib.ExitStack() as stack:
        watcher = stack.enter_context(_Watcher(settings)) if watch else None
        try:
            if not supervisor.stopping:
                supervisor.start_all()
                log.info("serving on %s:%d with %d processes", settings.host, settings.port, workers)
            while not supervisor.stopping:
                supervisor.look()
                outcome = watcher.take() if watcher is not None else None
                if outcome is not None:
                    supervisor.reload(outcome)
                    del outcome
                time.sleep(POLL)
        finally:
            supervisor.stop_all()
            listener.close()
            if made is not None:
                shutil.rmtree(made, ignore_errors=True)


class _Supervisor:
    """The server processes of one supervisor: forked from the dataset its holder serves, forked again when one
    dies, and all replaced by new ones when a reload changes what the holder says."""

    def __init__(
        self,
        settings: Settings,
        workers: int,
        listener: socket.socket,
        holder: DatasetHolder,
        shared_metrics: str | None,
    ) -> None:
        from .app import run  # imported before the forks: every process shares the HTTP stack's pages too

        self._run = run
        self._settings = settings
        self._each = process_settings(settings, workers)
        self._workers = workers
        self._listener = listener
        self._holder = holder
        self._shared_metrics = shared_metrics
        self.children: list[int] = []
        #: Set (by a signal) once the processes are to stop: none is forked any more.
        self.stopping = False
        #: Server processes told to stop after a reload, and when they are killed if they have not ended.
        self._retiring: dict[int, float] = {}
        #: Documentation folders of replaced versions, removed once the processes that served them have ended.
        self._stale_docs: list[Path] = []

    def start_all(self) -> None:
        _freeze()
        self.children = [self._start() for _ in range(self._workers)]

    def look(self) -> None:
        """Fork again any server process that died; reap the retiring ones that ended (kill those past their
        grace), and remove the documentation nobody serves any more."""
        for i, pid in enumerate(self.children):
            status = _ended(pid)
            if status is not None and not self.stopping:
                log.error("server process %d ended with %s; starting another", pid, status)
                _metrics_of_ended(pid, self._shared_metrics)
                self.children[i] = self._start()
        for pid, deadline in list(self._retiring.items()):
            if _ended(pid) is not None:
                del self._retiring[pid]
                _metrics_of_ended(pid, self._shared_metrics)
            elif time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if not self._retiring:
            self._remove_stale_docs()

    def reload(self, result: Rebuild) -> None:
        """Serve an accepted rebuild, or say (``/health``) that one was refused: the holder is told, and new server
        processes forked from it replace the running ones, which stop as at SIGTERM, their requests given the
        grace. The supervisor's copy of the data it replaces is freed: once those processes end, one copy is held."""
        from .reload import settle

        stale = settle(self._holder, result)
        del result
        if stale is not None:
            self._stale_docs.append(stale)
        if self.stopping:
            return
        _freeze()
        replaced, self.children = self.children, [self._start() for _ in self.children]
        grace = time.monotonic() + self._settings.shutdown_grace + STOP_MARGIN + 1
        for pid in replaced:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            self._retiring[pid] = grace

    def stop_all(self) -> None:
        """Stop every server process (see :func:`_stop_all`), and remove the documentation of replaced versions."""
        self.stopping = True
        _stop_all([*self.children, *self._retiring], self._settings.shutdown_grace + STOP_MARGIN + 1)
        self.children, self._retiring = [], {}
        self._remove_stale_docs()

    def _remove_stale_docs(self) -> None:
        for folder in self._stale_docs:
            shutil.rmtree(folder, ignore_errors=True)
        self._stale_docs.clear()

    def _start(self) -> int:
        holder, each, fd = self._holder, self._each, self._listener.fileno()
        return _fork(lambda: self._run(each, listen_fd=fd, served=holder))


class _Watcher:
    """Rebuilds the dataset after each burst of edits of its files, on a thread of its own, into a folder of
    documentation of its own; the supervisor takes each outcome (:meth:`take`) between two looks at its
    processes."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._docs = tempfile.TemporaryDirectory(prefix="ilrs-watch-docs-")
        self._outcomes: queue.SimpleQueue[Rebuild] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="ilrs-watch", daemon=True)

    def __enter__(self) -> _Watcher:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._docs.cleanup()

    def take(self) -> Rebuild | None:
        """The outcome of the rebuild finished last, if one is waiting."""
        try:
            return self._outcomes.get_nowait()
        except queue.Empty:
            return None

    def _watch(self) -> None:
        from .reload import attempt

        paths = watched_paths(self._settings)
        log.info("watching %s for changes", ", ".join(map(str, paths)))
        try:
            for changes in watchfiles.watch(
                *paths,
                watch_filter=DataFileFilter(),
                debounce=self._settings.watch_debounce_ms,
                stop_event=self._stop,
                raise_interrupt=False,
            ):
                self._outcomes.put(attempt(changes, self._settings, Path(self._docs.name)))
        except Exception:  # the files cannot be watched (a folder gone, the system's limit on watches): say so
            log.exception("stopped watching the files; the dataset served stays as it is")


def _freeze() -> None:
    """Free what is garbage, give the freed memory back, and freeze the rest out of the collector's sight before
    forking: a collection in a server process would otherwise write to every page of the loaded dataset, and the
    kernel copy them for that process."""
    gc.collect()
    return_freed_memory()
    gc.freeze()


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
