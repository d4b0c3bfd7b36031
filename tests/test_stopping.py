"""The server stops promptly on SIGTERM and SIGINT (Ctrl-C), whatever it is doing.

A real ``ilrs serve`` process gets a real signal in each state: idle, loading its data, building a page
(an example of the front page that runs for ever, evaluated on a thread of the server process), running
queries in worker processes, and streaming a large answer to a client that stopped reading. Each time the
process must exit within its bound (``ILRS_SHUTDOWN_GRACE`` plus ``STOP_MARGIN``), with status 0, with no
traceback in its output, and leave none of its child processes (the query workers' zygote and workers).
A load into a store on disk is the exception: it is let finish, then the process exits without serving.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from servers import LiveServer, generated_data, launch_server, scrape, start_server, value, wait_for

from ilrs.server.lifecycle import STOP_MARGIN

GRACE = 0.5
#: The bound, and room for a loaded machine to deliver the signal and reap the process.
BOUND = GRACE + STOP_MARGIN + 2
ENV = {"ILRS_SHUTDOWN_GRACE": str(GRACE)}
#: A query that runs far longer than any test: every triple with every pair of triples.
ENDLESS_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: An answer of a million rows (the default limit), far more than the sockets' buffers hold.
ENDLESS_ROWS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"

#: Passes a server through, to be killed with its child processes if the test leaves it running.
Watch = Callable[[LiveServer], LiveServer]
#: A process: its id and its start time (so that a process id used again is not mistaken for it).
Process = tuple[int, str]


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command's name (state first), or ``None`` if it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def descendants(pid: int) -> set[Process]:
    """Every process descended from ``pid``, now."""
    parents: dict[int, list[Process]] = {}
    for entry in Path("/proc").iterdir():
        fields = _stat(int(entry.name)) if entry.name.isdigit() else None
        if fields is not None:
            parents.setdefault(int(fields[1]), []).append((int(entry.name), fields[19]))
    found: set[Process] = set()
    frontier = [pid]
    while frontier:
        children = [child for parent in frontier for child in parents.get(parent, [])]
        found.update(children)
        frontier = [child_pid for child_pid, _ in children]
    return found


def running(process: Process) -> bool:
    """Whether ``process`` still runs (a zombie does not: it has ended and waits to be reaped)."""
    fields = _stat(process[0])
    return fields is not None and fields[19] == process[1] and fields[0] != "Z"


def assert_stops(server: LiveServer, signum: signal.Signals, *, children: bool = True, bound: float = BOUND) -> str:
    """Send ``signum`` to ``server`` and check how it ends (see the module documentation), within ``bound``
    seconds; its output."""
    tree = descendants(server.process.pid)
    assert bool(tree) == children, tree  # the zygote is forked at startup, before /health answers
    sent = time.monotonic()
    server.process.send_signal(signum)
    try:
        code = server.process.wait(timeout=bound)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
        pytest.fail(f"still running {bound:g} s after {signum.name}:\n{server.log()[-3000:]}")
    took = time.monotonic() - sent
    log = server.log()
    assert code == 0, f"exit status {code} after {signum.name}:\n{log[-3000:]}"
    assert "Traceback" not in log, log
    wait_for(lambda: not any(running(p) for p in tree), f"its child processes {sorted(tree)} to end", timeout=2)
    print(f"{signum.name}: ended in {took:.2f} s")
    return log


@pytest.fixture
def watched() -> Iterator[Watch]:
    """Pass a server through it: one a failed test left running is killed, with its child processes."""
    servers: list[LiveServer] = []

    def watch(server: LiveServer) -> LiveServer:
        servers.append(server)
        return server

    yield watch
    for server in servers:
        if server.process.poll() is None:
            tree = descendants(server.process.pid)
            server.process.kill()
            server.process.wait()
            for pid, _ in tree:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def in_background(request: Callable[[], object]) -> list[object]:
    """Run ``request`` on a thread; the list that receives its result or the exception it raised."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(request())
        except Exception as err:
            outcome.append(err)

    threading.Thread(target=run, daemon=True).start()
    return outcome


def test_a_server_killed_outright_leaves_no_temporary_folder(tmp_path: Path, watched: Watch) -> None:
    """SIGKILL ends a server with no shutdown at all: the query executor makes its folder for snapshots only when it
    writes one, and a server whose zygote was forked from it writes none."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    server = watched(start_server(tmp_path, env={**ENV, "TMPDIR": str(temporary)}))
    assert httpx.get(server.url("/sparql"), params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}).status_code == 200
    tree = descendants(server.process.pid)
    assert tree  # a query worker answered
    server.process.kill()
    server.process.wait()
    for pid, _ in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert [p.name for p in temporary.iterdir()] == []


def test_an_idle_server_stops_at_once(tmp_path: Path, watched: Watch) -> None:
    server = watched(start_server(tmp_path, env=ENV))
    assert httpx.get(server.url("/sparql"), params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}).status_code == 200
    log = assert_stops(server, signal.SIGTERM)
    assert "SIGTERM: stopping" in log


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 20,000 triples: the load and the derived graphs take a second or more after the shipped files."""
    return generated_data(tmp_path_factory.mktemp("stopping"), scale=2)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=lambda signum: signum.name)
def test_a_server_loading_its_data_stops_at_once(
    tmp_path: Path, data: Path, signum: signal.Signals, watched: Watch
) -> None:
    """The load cannot be interrupted: the process exits without waiting for it (it used to wait, on Ctrl-C)."""
    server = watched(launch_server(tmp_path, env={**ENV, "ILRS_EXTRA_FILES": json.dumps([str(data)])}))
    # The shipped files are loaded; the generated file (loaded last) and the derived graphs are not.
    wait_for(lambda: "sources.trig" in server.log(), "the shipped files to load", timeout=60)
    log = assert_stops(server, signum, children=False)
    assert "derived" not in log and "Application startup" not in log, log  # the load was not complete
    assert f"{signum.name} before the server was ready: stopped" in log


def test_a_load_into_a_store_on_disk_is_let_finish(tmp_path: Path, data: Path, watched: Watch) -> None:
    """Cut short, the load would leave part of the data in the store, which the next start would keep."""
    env = {**ENV, "ILRS_EXTRA_FILES": json.dumps([str(data)])}
    server = watched(launch_server(tmp_path, "--store", str(tmp_path / "store"), env=env))
    wait_for(lambda: "sources.trig" in server.log(), "the shipped files to load", timeout=60)
    log = assert_stops(server, signal.SIGTERM, children=False, bound=60)
    assert "SIGTERM: stopping once the store at" in log, log
    # The whole dataset, derived graphs included, is in the store; the server never served.
    assert re.search(r"quads from \S*generated\.nq", log) and "derived" in log, log
    assert "Application startup" not in log, log


def test_a_page_being_built_is_cut_after_the_grace(tmp_path: Path, watched: Watch) -> None:
    """The front page evaluates its examples on a thread of the server process, which nothing can interrupt."""
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "endless.rq").write_text(f"# title: Every triple with every pair of triples\n{ENDLESS_COUNT}\n")
    server = watched(start_server(tmp_path, env={**ENV, "ILRS_QUERIES_DIR": str(queries)}))
    outcome = in_background(lambda: httpx.get(server.url("/"), timeout=60))
    time.sleep(0.5)  # the page is being built
    assert not outcome
    log = assert_stops(server, signal.SIGTERM)
    response = wait_for(lambda: outcome, "the page's answer", timeout=5)[0]
    assert isinstance(response, httpx.Response) and response.status_code == 503, response
    assert "the server is stopping" in response.text
    assert f"1 request(s) still in progress after the {GRACE:g} s grace: cut" in log
    assert "work left after the stop" in log  # the thread building the page did not keep the process alive


def test_queries_in_workers_are_cut_after_the_grace(tmp_path: Path, watched: Watch) -> None:
    """A GET is refused with 503, to be sent again; a POST (it might have been a write) gets no answer."""
    server = watched(start_server(tmp_path, env={**ENV, "ILRS_METRICS": "1"}))
    url = server.url("/sparql")
    got = in_background(lambda: httpx.get(url, params={"query": ENDLESS_COUNT}, timeout=60))
    posted = in_background(lambda: httpx.post(url, data={"query": ENDLESS_COUNT}, timeout=60))
    wait_for(lambda: value(scrape(server), "ilrs_query_slots_busy") == 2, "the queries to be evaluated", timeout=10)
    assert not got and not posted
    assert_stops(server, signal.SIGINT)
    response = wait_for(lambda: got, "the GET's answer", timeout=5)[0]
    assert isinstance(response, httpx.Response) and response.status_code == 503, response
    assert "the server is stopping" in response.text
    error = wait_for(lambda: posted, "the POST's end", timeout=5)[0]
    assert isinstance(error, httpx.RemoteProtocolError), error  # the connection closed without an answer


def test_a_large_answer_being_streamed_is_cut_after_the_grace(tmp_path: Path, watched: Watch) -> None:
    server = watched(start_server(tmp_path, env=ENV))
    started = threading.Event()
    finish = threading.Event()

    def read_slowly() -> int:
        """Read the first bytes, stop reading until the server has ended, then read the rest."""
        params = {"query": ENDLESS_ROWS}
        with httpx.stream("GET", server.url("/sparql"), params=params, headers={"Accept": "text/csv"}) as r:
            chunks = r.iter_raw()
            read = len(next(chunks))
            started.set()
            finish.wait(30)
            for chunk in chunks:
                read += len(chunk)
            return read

    outcome = in_background(read_slowly)
    assert started.wait(30), outcome
    assert_stops(server, signal.SIGTERM)
    finish.set()
    # The answer was cut short: the client sees the connection end before the response does.
    error = wait_for(lambda: outcome, "the reader to end", timeout=10)[0]
    assert isinstance(error, httpx.RemoteProtocolError | httpx.ReadError), error


def test_a_supervisor_stops_its_server_processes(tmp_path: Path, watched: Watch) -> None:
    """``ilrs serve --workers 2``: each server process stops as one server does, then the supervisor exits with 0."""
    server = watched(start_server(tmp_path, "--workers", "2", env=ENV))
    outcome = in_background(lambda: httpx.get(server.url("/sparql"), params={"query": ENDLESS_COUNT}, timeout=60))
    # Both server processes (children of the supervisor) have forked their zygote: both serve.
    wait_for(lambda: len(descendants(server.process.pid)) >= 4, "both server processes to serve", timeout=30)
    time.sleep(0.5)  # the query is being evaluated
    assert not outcome
    assert_stops(server, signal.SIGTERM)
    response = wait_for(lambda: outcome, "the query's answer", timeout=5)[0]
    assert isinstance(response, httpx.Response) and response.status_code == 503, response
