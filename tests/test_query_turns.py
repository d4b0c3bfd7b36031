"""Queries beyond the busy query workers wait their turn instead of being refused.

``max_concurrent_queries`` queries are admitted at once; ``query_workers`` of them are evaluated, each by a
worker process, and the others wait for a worker within their own deadline. A server here has one worker and
two places: an endless query holds the worker while the tests send more. Every step waits for what the server
reports (its gauges, its process tree), never for a guessed pause.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
from servers import LiveServer, scrape, start_server, stop_server, value, wait_for

COUNTRIES = "https://w3id.org/ilrs/graph/reference/countries"
# Some 10^10 solutions to count before the first byte of its answer: it runs until it is stopped.
ENDLESS = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{COUNTRIES}> {{ ?a ?p ?o . ?b ?q ?r . ?c ?x ?y }} }}"

needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from Linux's /proc")


def probe() -> str:
    """A light query never asked before: no cached result answers it, so it needs a worker."""
    return f"ASK {{ <urn:uuid:{uuid.uuid4()}> ?p ?o }}"


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"ILRS_QUERY_WORKERS": "1", "ILRS_MAX_CONCURRENT_QUERIES": "2", "ILRS_METRICS": "1"}
    server = start_server(tmp_path_factory.mktemp("turns"), "--query-timeout", "10", env=env)
    wait_for(lambda: httpx.post(server.url("/sparql"), data={"query": probe()}).status_code == 200, "a worker")
    yield server
    stop_server(server)


@pytest.fixture
def idle(one_worker: LiveServer) -> LiveServer:
    """The server once the previous test's queries are all over (their workers killed and replaced)."""
    wait_for(lambda: value(scrape(one_worker), "ilrs_query_slots_busy") == 0, "every query to be over")
    return one_worker


def gauges(server: LiveServer) -> tuple[float, float]:
    """Queries admitted, and those of them waiting for a worker."""
    samples = scrape(server)
    return value(samples, "ilrs_query_slots_busy"), value(samples, "ilrs_queries_waiting")


class Request(threading.Thread):
    """A query sent by POST on a thread of its own: its status, and when its answer came."""

    def __init__(self, server: LiveServer, data: dict[str, str], client_timeout: float = 30) -> None:
        super().__init__()
        self.server, self.data, self.client_timeout = server, data, client_timeout
        self.response: httpx.Response | None = None
        self.answered_at = 0.0
        self.start()

    def run(self) -> None:
        with (
            httpx.Client(base_url=self.server.base_url, timeout=self.client_timeout) as client,
            contextlib.suppress(httpx.TimeoutException),  # the client gave up: the server is to notice
        ):
            self.response = client.post("/sparql", data=self.data)
        self.answered_at = time.monotonic()


def workers_of(server: LiveServer) -> int:
    """Query worker processes: the grandchildren of the server (the zygote is its child and forks them)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    children = {pid for pid, parent in parents.items() if parent == server.process.pid}
    return sum(1 for parent in parents.values() if parent in children)


@needs_proc
def test_a_query_waits_for_the_busy_worker_and_is_answered(idle: LiveServer) -> None:
    endless = Request(idle, {"query": ENDLESS, "timeout": "3"})
    wait_for(lambda: gauges(idle) == (1, 0), "the endless query to hold the worker")
    waiting = Request(idle, {"query": probe()})
    wait_for(lambda: gauges(idle) == (2, 1), "the second query to wait for its turn")
    assert workers_of(idle) == 1  # one worker, as set: the second query is not given one of its own
    endless.join()
    waiting.join()
    assert endless.response is not None and endless.response.status_code == 504
    assert waiting.response is not None and waiting.response.status_code == 200, waiting.response.text
    assert waiting.response.json() == {"head": {}, "boolean": False}
    assert waiting.answered_at >= endless.answered_at - 0.5  # it was answered once the worker was free


def test_a_query_that_waits_its_whole_deadline_is_answered_503(idle: LiveServer) -> None:
    endless = Request(idle, {"query": ENDLESS}, client_timeout=3)  # its client gives up: the worker is killed
    wait_for(lambda: gauges(idle) == (1, 0), "the endless query to hold the worker")
    started = time.monotonic()
    with httpx.Client(base_url=idle.base_url, timeout=30) as client:
        busy = client.post("/sparql", data={"query": probe(), "timeout": "0.5"})
    assert busy.status_code == 503, busy.text
    assert time.monotonic() - started >= 0.5
    assert int(busy.headers["retry-after"]) > 0
    assert busy.headers["content-type"].startswith("text/plain")
    assert "evaluating 1 queries, its limit, for the 0.5 s this query could wait for its turn" in busy.text
    assert "Traceback" not in busy.text
    assert gauges(idle)[1] == 0
    endless.join()


def test_a_full_house_is_refused_and_a_waiting_client_that_leaves_gives_its_place_back(idle: LiveServer) -> None:
    endless = Request(idle, {"query": ENDLESS, "timeout": "4"})
    wait_for(lambda: gauges(idle) == (1, 0), "the endless query to hold the worker")
    address = urlsplit(idle.base_url)
    leaving = socket.create_connection((address.hostname, address.port))
    leaving.sendall(f"GET /sparql?query={quote(probe())} HTTP/1.1\r\nHost: {address.netloc}\r\n\r\n".encode())
    wait_for(lambda: gauges(idle) == (2, 1), "the second query to wait for its turn")
    with httpx.Client(base_url=idle.base_url, timeout=30) as client:
        full = client.post("/sparql", data={"query": probe()})
    assert full.status_code == 503, full.text
    assert "already has 2 queries in progress (evaluated or waiting), its limit" in full.text
    leaving.close()
    wait_for(lambda: gauges(idle) == (1, 0), "the place of the client that left to be given back")
    admitted = Request(idle, {"query": probe()})  # takes the place given back, and waits its turn in it
    endless.join()
    admitted.join()
    assert endless.response is not None and endless.response.status_code == 504
    assert admitted.response is not None and admitted.response.status_code == 200, admitted.response.text
