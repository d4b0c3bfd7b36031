"""``ilrs serve --workers N``: N server processes sharing one listening socket, one per core by default.

The supervisor binds the address once and starts N ``ilrs serve`` processes that accept on the
inherited socket (the kernel spreads connections among them); each builds its own copy of the
dataset and its own query workers, so the per-process limits (``max_concurrent_queries``, the
per-client shares, the metrics) hold per process. A process that dies is started again; SIGTERM or
SIGINT stops them all, each as one server stops (:mod:`.lifecycle`), and the supervisor then exits with status 0.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence

from ilrs.graph.settings import Settings

from .lifecycle import STOP_MARGIN, configure_logging

log = logging.getLogger("ilrs.server.workers")


def worker_count(requested: int) -> int:
    """``requested`` processes, or one per core available to this process for 0."""
    if requested > 0:
        return requested
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def supervise(settings: Settings, argv: Sequence[str], workers: int) -> None:
    """Bind ``settings.host:port``, run ``workers`` copies of ``ilrs serve argv`` on it until stopped."""
    configure_logging(settings)
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((settings.host, settings.port))
    listener.listen(2048)
    listener.set_inheritable(True)
    command = [sys.executable, "-m", "ilrs.graph.cli", "serve", *argv, "--listen-fd", str(listener.fileno())]
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    env = _environment(settings, workers)
    children = [_start(command, listener, env) for _ in range(workers)]
    log.info("serving on %s:%d with %d processes", settings.host, settings.port, workers)
    try:
        while not stopping:
            for i, child in enumerate(children):
                if child.poll() is not None and not stopping:
                    log.error("server process %d ended with %s; starting another", child.pid, child.returncode)
                    children[i] = _start(command, listener, env)
            time.sleep(0.2)
    finally:
        for child in children:
            child.terminate()
        # Each gives its requests the grace and ends at most STOP_MARGIN later (lifecycle.py); one more second
        # for a loaded machine before it is killed.
        deadline = time.monotonic() + settings.shutdown_grace + STOP_MARGIN + 1
        for child in children:
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        listener.close()


def _environment(settings: Settings, workers: int) -> dict[str, str]:
    """The environment of each server process: unless ``query_workers`` is set, the cores are shared out among
    the processes (each would otherwise evaluate one query per core, and copy as many pages of the data)."""
    if settings.query_workers is not None:
        return dict(os.environ)
    return {**os.environ, "ILRS_QUERY_WORKERS": str(max(1, worker_count(0) // workers))}


def _start(command: list[str], listener: socket.socket, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, pass_fds=(listener.fileno(),), env=env)
