"""The server process's log and its stop: SIGTERM or SIGINT (Ctrl-C) ends it within a bounded time.

``ilrs serve`` installs a :class:`Stopper` before it loads the data, so that a signal is handled
the same way whatever the process is doing:

* **While the data loads** (or before the server listens) there is nothing to finish: the process
  exits at once. The engine's load cannot be interrupted, and waiting for it took as long as the load.
  A load into a store that outlives the process (``store_dir``, ``store_url``) is let finish first:
  cut short, it would leave part of the data, which the next start would keep as the dataset.
* **While serving**, the server stops accepting connections and closes the idle ones; the requests
  in progress have ``shutdown_grace`` seconds to finish. Then each is cut (:meth:`~.http_protocol.
  GuardedHttpToolsProtocol.cut`): 503 for a GET whose response has not begun, the connection closed
  under any other (a write may still commit: only a request that changes nothing is told to be sent
  again). Queries in worker processes stop with their connection, and the workers and zygotes are
  killed by the executor's shutdown.
* **Whatever is left** cannot hold the process: a page built on a thread in this process (the
  front page's examples, ``/disagreements``, ``?asOf=`` views) cannot be interrupted and used to keep
  the process alive until it ended, which took minutes over a large graph. The process exits at the
  latest :data:`STOP_MARGIN` seconds after the grace, and :data:`TAIL` seconds after the server has
  stopped serving, killing any child process left first.

The exit status is 0 for a stop asked by a signal. A second Ctrl-C exits at once. Nothing here is
logged with a traceback: the stop is an expected event.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import NoReturn, Protocol

from ilrs.graph.settings import Settings

log = logging.getLogger("ilrs.server")

#: The signals that stop the server: ``kill``, systemd and container runtimes send SIGTERM; Ctrl-C, SIGINT.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: Seconds after the cut that requests are given to end (a query stops with its connection) before uvicorn
#: cancels their tasks; a page built on a thread ends with the process.
CUT_WAIT = 1.0
#: Seconds after the grace within which the process has exited, whatever it was doing: room for the cut
#: requests to end, the query workers to be killed and the process to end.
STOP_MARGIN = 3.0
#: Seconds the process has to end once the server has stopped serving: what remains is the event loop's
#: and the interpreter's own teardown, which waits for threads still building a page.
TAIL = 1.0


def configure_logging(settings: Settings) -> None:
    """Log to standard error at ``settings.log_level``, one line per record."""
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request to an external store at INFO: one line per query is noise, failures are errors.
    logging.getLogger("httpx").setLevel(logging.WARNING)


class Serving(Protocol):
    """What the :class:`Stopper` tells to stop: uvicorn's server (it polls ``should_exit``)."""

    should_exit: bool


class Stopper:
    """Handles SIGTERM and SIGINT for the life of the process; see the module documentation."""

    def __init__(self, grace: float, lasting: str | Path | None = None) -> None:
        #: Seconds the requests in progress have to finish once a stop is asked.
        self.grace = grace
        #: The store that outlives the process, if any (``Settings.lasting_store``): its load is let finish.
        self.lasting = lasting
        #: Whether a stop was asked (by a signal).
        self.requested = False
        self._server: Serving | None = None
        self._deadline = float("inf")
        self._changed = threading.Condition()

    @classmethod
    def installed(cls, settings: Settings) -> Stopper:
        """A stopper for ``settings`` (their grace, their lasting store) handling the stop signals from now on
        (call from the main thread)."""
        stopper = cls(settings.shutdown_grace, settings.lasting_store)
        for signum in STOP_SIGNALS:
            signal.signal(signum, stopper.on_signal)
        return stopper

    def serve(self, server: Serving) -> None:
        """From now on a stop is asked of ``server``, which is given the grace, rather than done at once."""
        self._server = server
        if self.requested:
            server.should_exit = True

    def on_signal(self, signum: int, _frame: FrameType | None = None) -> None:
        """A stop signal: stop serving (or exit, if not serving yet); a second Ctrl-C exits at once."""
        name = signal.Signals(signum).name
        if self.requested:
            if signum == signal.SIGINT:
                self.exit_now(f"{name} again: stopping at once")
            return
        self.requested = True
        if self._server is None and (where := self.lasting) is not None:
            # The caller ends the process once the load is whole (a second Ctrl-C ends it now).
            log.info("%s: stopping once the store at %s is loaded (a next start keeps what it holds)", name, where)
            return
        if self._server is None:
            self.exit_now(f"{name} before the server was ready: stopped")
        log.info("%s: stopping; requests in progress have %g s to finish", name, self.grace)
        self._server.should_exit = True
        self._arm(self.grace + STOP_MARGIN)
        threading.Thread(target=self._watch, name="ilrs-stop", daemon=True).start()

    def served(self) -> None:
        """The server has stopped serving: the process ends within :data:`TAIL` seconds."""
        if self.requested:
            self._arm(TAIL)

    def exit_now(self, reason: str, level: int = logging.INFO) -> NoReturn:
        """Log ``reason`` and end the process now, with status 0: kill its child processes, flush the log, exit."""
        log.log(level, "%s", reason)
        kill_descendants()
        for handler in logging.getLogger().handlers:
            with contextlib.suppress(Exception):
                handler.flush()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(0)

    def _arm(self, seconds: float) -> None:
        """Exit at the latest ``seconds`` from now (an earlier deadline stands)."""
        with self._changed:
            self._deadline = min(self._deadline, time.monotonic() + seconds)
            self._changed.notify()

    def _watch(self) -> None:
        """On its own thread: wait for the deadline, then end the process however it is doing."""
        with self._changed:
            while (left := self._deadline - time.monotonic()) > 0:
                self._changed.wait(left)
        self.exit_now("work left after the stop (such as a page built on a thread): ended with it", logging.WARNING)


def kill_descendants() -> None:
    """Kill (SIGKILL) every process descended from this one: the query workers' zygotes and the workers they
    forked, which a zygote killed first would leave behind. Linux only (``/proc``); elsewhere nothing: a zygote
    ends, killing its workers, when this process's end closes its channel."""
    parents: dict[int, list[int]] = {}
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                # pid (comm) state ppid …: comm may hold spaces and parentheses, the last ')' ends it.
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # ended meanwhile
            parents.setdefault(ppid, []).append(int(entry.name))
    found, frontier = [], [os.getpid()]
    while frontier:
        frontier = [child for pid in frontier for child in parents.get(pid, [])]
        found.extend(frontier)
    for pid in found:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
