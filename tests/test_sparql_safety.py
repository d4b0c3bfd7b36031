"""What keeps ``/sparql`` safe: read-only, size limits, the SERVICE allow-list, deadlines, the limit on
concurrent queries, and queries stopped (their worker process killed) at the deadline or when the
client goes away. Every refusal is a clear 4xx/5xx message, never a 500 or a traceback."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from servers import LiveServer, assert_the_query_slot_is_free, scrape, start_server, stop_server, value, wait_for

from ilrs.graph.settings import get_settings
from ilrs.graph.store import Store, memory_store
from ilrs.server.app import create_app
from ilrs.server.sparql.thread_executor import ThreadExecutor

COUNTRIES = "https://w3id.org/ilrs/graph/reference/countries"
# Some 10^10 solutions to count before the first byte of the answer: it runs until it is stopped.
ENDLESS = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{COUNTRIES}> {{ ?a ?p ?o . ?b ?q ?r . ?c ?x ?y }} }}"
# Starts streaming at once, and would stream for hours.
ENDLESS_STREAM = f"SELECT * WHERE {{ GRAPH <{COUNTRIES}> {{ ?a ?p ?o . ?b ?q ?r . ?c ?x ?y }} }}"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def probe() -> str:
    """A light query never asked before: no cached result can answer it, so it needs a query slot."""
    return f"ASK {{ <urn:uuid:{uuid.uuid4()}> ?p ?o }}"


def refused(response: httpx.Response, status: int, *words: str) -> None:
    """``response`` is a plain-text refusal with ``status`` whose message contains ``words``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert "Traceback" not in response.text and "Internal Server Error" not in response.text
    for word in words:
        assert word in response.text


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with small limits: a 1 s deadline, two query slots, short queries and bodies."""
    env = {
        "ILRS_MAX_CONCURRENT_QUERIES": "2",
        "ILRS_QUERY_WORKERS": "2",
        "ILRS_MAX_QUERY_LENGTH": "2000",
        "ILRS_MAX_BODY_BYTES": "4000",
    }
    server = start_server(tmp_path_factory.mktemp("strict"), "--query-timeout", "1", env=env)
    wait_for_a_worker(server)
    yield server
    stop_server(server)


def wait_for_a_worker(server: LiveServer) -> None:
    """Wait until a query is answered by a worker: a worker process starts in the background (also after one
    was killed), and on a loaded machine that can take longer than the 1 s deadline the tests are not about."""
    deadline = time.monotonic() + 60
    while httpx.post(server.url("/sparql"), data={"query": probe()}).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)


def client_of(server: LiveServer, timeout: float = 30) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=timeout)


# --- read-only ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("send", "status", "word"),
    [
        (lambda c: c.get("/sparql", params={"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}), 400, "read-only"),
        (lambda c: c.post("/sparql", data={"query": "PREFIX x: <urn:x#>\n# note\nCLEAR ALL"}), 400, "read-only"),
        (lambda c: c.post("/sparql", data={"query": "DELETE WHERE { ?s ?p ?o }"}), 400, "update="),
        (lambda c: c.post("/sparql", data={"query": "LOAD <http://127.0.0.1:9/data.ttl>"}), 400, "read-only"),
        (lambda c: c.get("/sparql", params={"update": "CLEAR ALL"}), 400, "POST"),
        (lambda c: c.post("/sparql", data={"update": "DROP ALL"}), 403, "writes are disabled"),
        (
            lambda c: c.post("/sparql", content=b"CLEAR ALL", headers={"Content-Type": "application/sparql-update"}),
            403,
            "writes are disabled",
        ),
        (
            lambda c: c.post("/sparql", data={"query": "INSERT DATA { <urn:service> <urn:b> 'SERVICE' }"}),
            400,
            "read-only",
        ),
    ],
    ids=[
        "insert-as-query",
        "clear-after-prologue",
        "delete-where",
        "load",
        "update-get",
        "update-form",
        "update-direct",
        "insert-mentioning-service",
    ],
)
def test_updates_are_refused_and_change_nothing(
    client: httpx.Client, dataset: Store, send: Callable[[httpx.Client], httpx.Response], status: int, word: str
) -> None:
    """Without a write token configured: an update sent as a query is 400, a real update 403; nothing changes."""
    refused(send(client), status, word)
    after = client.get("/sparql", params={"query": COUNT_ALL}, headers={"Accept": "text/csv"})
    assert int(after.text.splitlines()[1]) == sum(dataset.count(g) for g in dataset.graphs())


# --- size limits ------------------------------------------------------------------------------------------


def test_query_longer_than_the_limit_is_413(strict: LiveServer) -> None:
    long_query = "ASK {}" + " " * 2000
    with client_of(strict) as c:
        refused(c.post("/sparql", data={"query": long_query}), 413, "2006 bytes", "at most 2000")
        direct = c.post("/sparql", content=long_query.encode(), headers={"Content-Type": "application/sparql-query"})
        refused(direct, 413, "at most 2000")
        wait_for_a_worker(strict)
        assert c.post("/sparql", data={"query": "ASK {}" + " " * 1900}).status_code == 200


def test_body_larger_than_the_limit_is_413_whether_declared_or_streamed(strict: LiveServer) -> None:
    body = b"query=ASK%20%7B%7D&pad=" + b"x" * 5000
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with client_of(strict) as c:
        refused(c.post("/sparql", content=body, headers=form), 413, "4000 bytes")

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while reading
            for i in range(0, len(body), 1000):
                yield body[i : i + 1000]

        refused(c.post("/sparql", content=chunks(), headers=form), 413, "4000 bytes")


# --- SERVICE -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE <http://127.0.0.1:9/sparql>"),
        ("select * where { service silent <http://169.254.169.254/> { ?s ?p ?o } }", "not allowed"),
        (
            "PREFIX e: <http://internal.example/>\nASK { SERVICE e:sparql { ?s ?p ?o } }",
            "<http://internal.example/sparql>",
        ),
        ("SELECT * WHERE { VALUES ?e { <http://a/> } SERVICE ?e { ?s ?p ?o } }", "SERVICE ?e"),
        ("SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SELECT * { SERVICE <http://b/> {} } } }", "<http://b/>"),
        ("SELECT * WHERE { \\u0053ERVICE <http://c/> { ?s ?p ?o } }", "<http://c/>"),
        ("BASE <http://d/>\nSELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }", "must be absolute"),
    ],
    ids=["iri", "silent-lower-case", "prefixed-name", "variable", "nested", "codepoint-escape", "relative"],
)
def test_service_is_refused_unless_allow_listed(client: httpx.Client, text: str, words: str) -> None:
    refused(client.post("/sparql", data={"query": text}), 400, words)


def test_service_in_comments_and_strings_is_not_a_call(client: httpx.Client) -> None:
    text = '# SERVICE <http://127.0.0.1:9/> { }\nSELECT ("SERVICE <http://e/> {}" AS ?x) WHERE {}'
    response = client.post("/sparql", data={"query": text}, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.text.splitlines() == ["x", "SERVICE <http://e/> {}"]


def test_allow_listed_service_is_called(live_server: LiveServer, server_factory: Callable[..., LiveServer]) -> None:
    remote = f"{live_server.base_url}/sparql"
    server = server_factory(env={"ILRS_SERVICE_ALLOWLIST": json.dumps([remote])})
    text = f"""PREFIX ilrs: <https://w3id.org/ilrs/ontology#>
        SELECT ?code WHERE {{ SERVICE <{remote}> {{ <https://w3id.org/ilrs/id/country/PK> ilrs:isoAlpha3 ?code }} }}"""
    with client_of(server) as c:
        response = c.post("/sparql", data={"query": text}, headers={"Accept": "text/csv"})
        assert response.status_code == 200, response.text
        assert response.text.splitlines() == ["code", "PAK"]
        refused(c.post("/sparql", data={"query": text.replace(remote, remote + "/other")}), 400, "not allowed")
        assert "BasicFederatedQuery" in c.get("/sparql", headers={"Accept": "text/turtle"}).text


# --- deadlines ---------------------------------------------------------------------------------------------


def test_query_past_its_deadline_is_504_naming_it(strict: LiveServer) -> None:
    with client_of(strict) as c:
        refused(c.post("/sparql", data={"query": ENDLESS}), 504, "stopped after 1 s", "the server")
        assert c.get("/health").status_code == 200


def test_timeout_parameter_only_shortens_the_deadline(strict: LiveServer) -> None:
    with client_of(strict) as c:
        refused(c.post("/sparql", data={"query": ENDLESS, "timeout": "0.3"}), 504, "after 0.3 s", "timeout parameter")
        refused(c.post("/sparql", data={"query": ENDLESS, "timeout": "60"}), 504, "after 1 s", "the server")


def test_result_cut_at_the_deadline_is_seen_as_truncated(strict: LiveServer) -> None:
    wait_for_a_worker(strict)
    with (
        client_of(strict) as c,
        pytest.raises(httpx.RemoteProtocolError),
        c.stream(
            "POST", "/sparql", data={"query": ENDLESS_STREAM, "timeout": "0.3"}, headers={"Accept": "text/csv"}
        ) as response,
    ):
        assert response.status_code == 200
        for _ in response.iter_raw():
            pass


# --- concurrency, and reclaiming a stopped query's CPU -----------------------------------------------------


def test_saturated_server_answers_503_with_retry_after(server_factory: Callable[..., LiveServer]) -> None:
    """Two endless queries hold both slots, so a third is refused. The probe is sent once the server counts both
    slots taken (its ``ilrs_query_slots_busy`` gauge), never after a guessed pause; the 5 s deadline leaves it
    the time to arrive while they run, however loaded the machine."""
    env = {"ILRS_MAX_CONCURRENT_QUERIES": "2", "ILRS_QUERY_WORKERS": "2", "ILRS_METRICS": "1"}
    server = server_factory("--query-timeout", "5", env=env)
    wait_for_a_worker(server)
    answers: list[int] = []

    def endless() -> None:
        with client_of(server) as c:
            answers.append(c.post("/sparql", data={"query": ENDLESS}).status_code)

    runners = [threading.Thread(target=endless) for _ in range(2)]
    for runner in runners:
        runner.start()
    wait_for(lambda: value(scrape(server), "ilrs_query_slots_busy") == 2, "both queries to hold a slot")
    with client_of(server) as c:
        busy = c.post("/sparql", data={"query": probe()})
        refused(busy, 503, "already has 2 queries in progress")
        assert int(busy.headers["retry-after"]) > 0
        for runner in runners:
            runner.join()
        assert answers == [504, 504]
        # The stopped queries' workers were killed, so their slots are free at once: no 503 (a 504 is a
        # replacement worker still starting on a loaded machine).
        assert c.post("/sparql", data={"query": probe()}).status_code != 503
        wait_for_a_worker(server)
        assert c.post("/sparql", data={"query": probe()}).status_code == 200


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from Linux's /proc")


def _workers_of(server: LiveServer) -> dict[int, str]:
    """The server's query worker processes (its children and theirs: the zygote and the workers it forks) and
    their states, from /proc: R if any of its threads is running (a worker evaluates on a thread of its own),
    else its main thread's (S sleeping …)."""
    found: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            threads = [(task / "stat").read_text() for task in (entry / "task").iterdir()]
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        states = {t.rsplit(")", 1)[1].split()[0] for t in threads}
        found[int(entry.name)] = (int(fields[1]), "R" if "R" in states else fields[0])
    # The zygotes are the server's children: forked from it (the first version) or started with the snapshot
    # of a later one; the workers are theirs.
    zygotes = {pid for pid, (parent, _) in found.items() if parent == server.process.pid}
    return {pid: state for pid, (parent, state) in found.items() if pid in zygotes or parent in zygotes}


@needs_proc
def test_worker_running_a_stopped_query_is_killed(server_factory: Callable[..., LiveServer]) -> None:
    """The worker evaluating a query is killed at its deadline. Polled, never timed: on a loaded machine the
    query may take a while to reach a worker, and the killed worker a while to be reaped. The deadline (5 s)
    is the time the worker is seen running in, so it is long enough to be seen however loaded the machine."""
    server = server_factory("--query-timeout", "5")
    with client_of(server, timeout=120) as c:
        reads = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"  # answered by a worker
        wait_for(lambda: c.post("/sparql", data={"query": reads}).status_code == 200, "a query worker")
        wait_for(lambda: "R" not in _workers_of(server).values(), "the workers to be idle")
        answer: list[int] = []
        runner = threading.Thread(target=lambda: answer.append(c.post("/sparql", data={"query": ENDLESS}).status_code))
        runner.start()

        def seen() -> tuple[list[int]] | None:
            """The workers running, once one alone is (another may be starting for a moment), or the query is over."""
            running = [pid for pid, state in _workers_of(server).items() if state == "R"]
            return (running,) if len(running) == 1 or not runner.is_alive() else None

        (running,) = wait_for(seen, "the worker evaluating the query", timeout=120, interval=0.01)
        assert len(running) == 1, "the query ended before its worker was seen running"
        runner.join()
        assert answer == [504]
        wait_for(lambda: running[0] not in _workers_of(server), "the worker to be killed", timeout=60)


def test_client_going_away_stops_its_query(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(env={"ILRS_MAX_CONCURRENT_QUERIES": "1"})  # deadline: the default 30 s
    with client_of(server, timeout=0.5) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.post("/sparql", data={"query": ENDLESS})
    assert_the_query_slot_is_free(server)  # the probe asks for gzip: the layered way


def test_an_unacceptable_format_costs_no_query_slot(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory("--query-timeout", "8", env={"ILRS_MAX_CONCURRENT_QUERIES": "1"})
    with client_of(server) as c:
        held: list[int] = []

        def hold() -> None:  # until the long query has the only slot (a probe below may have it for a moment)
            for _ in range(100):
                held.append(c.post("/sparql", data={"query": ENDLESS}).status_code)
                if held[-1] != 503:
                    return
                time.sleep(0.05)

        holder = threading.Thread(target=hold)
        holder.start()
        time.sleep(0.5)
        for _ in range(100):  # until the long query holds the slot (its worker may take a while to start)
            busy = c.post("/sparql", data={"query": probe()})
            if busy.status_code == 503:
                break
            time.sleep(0.1)
        refused(busy, 503, "retry in")
        # The format is chosen before a slot is taken: these are answered at once, not with 503.
        refused(c.post("/sparql", data={"query": COUNT_ALL}, headers={"Accept": "text/turtle"}), 406, "text/csv")
        refused(c.post("/sparql", data={"query": "ASK {}", "format": "yaml"}), 400, "unknown format 'yaml'")
        holder.join()
        assert held[-1] == 504


@needs_proc
def test_thread_executor_keeps_deadlines_and_limits(server_factory: Callable[..., LiveServer]) -> None:
    env = {"ILRS_QUERY_EXECUTOR": "thread", "ILRS_MAX_CONCURRENT_QUERIES": "1"}
    server = server_factory("--query-timeout", "1", env=env)
    assert not _workers_of(server)
    with client_of(server) as c:
        ok = c.get("/sparql", params={"query": COUNT_ALL}, headers={"Accept": "text/csv"})
        assert ok.status_code == 200 and int(ok.text.splitlines()[1]) > 0
        refused(c.post("/sparql", data={"query": "SELECT * WHERE { ?s ?p }"}), 400, "error at 1:")
        refused(c.post("/sparql", data={"query": ENDLESS}), 504, "stopped after 1 s")
        # A thread cannot be killed: the stopped query keeps its slot until it ends, so the next one is refused.
        refused(c.post("/sparql", data={"query": probe()}), 503, "retry in")
        assert c.get("/health").status_code == 200  # the event loop is free all the same


@needs_proc
def test_no_worker_outlives_the_server(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    with client_of(server) as c:
        assert c.get("/sparql", params={"query": probe()}).status_code == 200
    workers = _workers_of(server)
    assert workers
    stop_server(server)
    for _ in range(50):
        if not any(Path(f"/proc/{pid}").exists() for pid in workers):
            break
        time.sleep(0.1)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def test_app_served_without_its_lifespan_falls_back_to_threads() -> None:
    """An in-process test client used without ``with`` runs each request in a new event loop, where
    worker processes could not be looked after: such an app evaluates its queries in threads."""
    store = memory_store()
    store.load(b"<urn:a> <urn:b> <urn:c> .", "application/n-triples", graph="urn:g")
    app = create_app(get_settings(), store)
    client = TestClient(app, base_url="http://127.0.0.1")
    for _ in range(2):
        answer = client.get("/sparql", params={"query": "SELECT ?o WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv"})
        assert answer.text.splitlines() == ["o", "urn:c"]
    assert isinstance(app.state.sparql_executor, ThreadExecutor)


def _query_workers(server: LiveServer) -> set[int]:
    """The worker processes (the zygotes' children) of ``server``."""
    zygotes = {pid for pid in _workers_of(server) if _parent(pid) == server.process.pid}
    return {pid for pid in _workers_of(server) if _parent(pid) in zygotes}


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError):
        return 0


@needs_proc
def test_a_worker_holding_too_many_pages_of_its_own_is_replaced(server_factory: Callable[..., LiveServer]) -> None:
    """Every worker passes 1 MiB of pages of its own at once: it is replaced after the query that finds it out
    (a long one, or every 64th), and no query notices."""
    server = server_factory(env={"ILRS_WORKER_PRIVATE_MEMORY": "1", "ILRS_MAX_CONCURRENT_QUERIES": "1"})
    with client_of(server) as c:
        assert c.post("/sparql", data={"query": probe()}).status_code == 200
        first = _query_workers(server)
        # Each differs, so none is answered from the result cache.
        answers = [c.post("/sparql", data={"query": probe()}).status_code for _ in range(140)]
        assert answers == [200] * 140
        # A worker replaced after the last query has its successor forked off the request path: wait for it.
        now = wait_for(lambda: _query_workers(server), "a query worker after the replacements")
        assert first and not first & now


@needs_proc
def test_a_worker_within_its_share_of_pages_is_kept(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(env={"ILRS_MAX_CONCURRENT_QUERIES": "1"})
    with client_of(server) as c:
        assert c.post("/sparql", data={"query": probe()}).status_code == 200
        first = _query_workers(server)
        answers = [c.post("/sparql", data={"query": probe()}).status_code for _ in range(140)]
        assert answers == [200] * 140
        assert first and first <= _query_workers(server)
