"""``ilrs serve --workers N``: N server processes on one port and one copy of the data, restarted when one dies,
stopped together."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from external_stores import oxigraph_server
from minirepo import PREFIXES, copy_mini
from servers import LiveServer, scrape, value

JSON = "application/sparql-results+json"


def children(pid: int) -> list[int]:
    """The processes ``pid`` started that are still running (Linux /proc)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def serving(pid: int) -> list[int]:
    """The server processes of supervisor ``pid``: its children."""
    return children(pid)


def shared_dirty(pid: int) -> int:
    """Bytes of the pages that process ``pid`` shares, as written before a fork, with its parent or children."""
    smaps = Path(f"/proc/{pid}/smaps").read_text()
    return sum(int(line.split()[1]) * 1024 for line in smaps.splitlines() if line.startswith("Shared_Dirty:"))


def running(pid: int) -> bool:
    """Whether process ``pid`` exists and has not ended (a zombie has, whoever is yet to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_workers_share_the_port_and_are_restarted(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory("--workers", "2", env={"ILRS_QUERY_EXECUTOR": "thread"})
    supervisor = server.process.pid
    assert wait_for(lambda: len(serving(supervisor)) == 2)
    # Each process answers on the shared port once it has loaded the dataset.
    assert wait_for(lambda: all(httpx.get(server.url("/health")).status_code == 200 for _ in range(8)))
    for _ in range(10):  # a new connection each time: the kernel hands them to either process
        r = httpx.get(server.url("/sparql"), params={"query": "ASK { ?s ?p ?o }"})
        assert r.status_code == 200 and r.json()["boolean"] is True

    victim = serving(supervisor)[0]
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: victim not in serving(supervisor) and len(serving(supervisor)) == 2)
    assert wait_for(lambda: httpx.get(server.url("/health")).status_code == 200)

    started = serving(supervisor)
    server.process.terminate()
    server.process.wait(timeout=30)
    assert wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in started), 30)


def evaluated_at_once(server: LiveServer) -> set[str]:
    """What the service description pages of the server processes say of the queries evaluated at once (a new
    connection each time: the kernel hands them to either process)."""
    said = set()
    for _ in range(12):
        page = httpx.get(server.url("/sparql"), headers={"Accept": "text/html"}).text
        found = re.search(r"(\d+) of them evaluated", page)
        said.add(found.group(1) if found else "all")
    return said


def test_the_server_processes_share_out_the_query_workers(server_factory: Callable[..., LiveServer]) -> None:
    """Each server process forks its own query workers: unless told how many, they share the cores out."""
    each = max(1, len(os.sched_getaffinity(0)) // 2)
    shared = server_factory("--workers", "2")
    assert wait_for(lambda: len(serving(shared.process.pid)) == 2)
    # The page names the number only when it is below the queries taken at once (8 by default).
    assert evaluated_at_once(shared) == {str(each) if each < 8 else "all"}
    told = server_factory("--workers", "2", env={"ILRS_QUERY_WORKERS": "3"})
    assert wait_for(lambda: len(serving(told.process.pid)) == 2)
    assert evaluated_at_once(told) == {"3"}


def test_the_server_processes_share_the_supervisors_copy_of_the_data(
    server_factory: Callable[..., LiveServer],
) -> None:
    """The supervisor loads the data once and forks the server processes: each shares the pages of the loaded
    copy with it, and one forked again after a death shares them too."""
    server = server_factory("--workers", "2", env={"ILRS_QUERY_EXECUTOR": "thread"})
    supervisor = server.process.pid
    assert wait_for(lambda: len(serving(supervisor)) == 2)
    assert wait_for(lambda: all(httpx.get(server.url("/health")).status_code == 200 for _ in range(8)))
    loaded = shared_dirty(supervisor)
    assert loaded > 32 * 2**20, loaded  # the loaded dataset and the application, written before the forks
    for pid in serving(supervisor):
        assert shared_dirty(pid) > loaded // 2, (pid, shared_dirty(pid), loaded)
    victim = serving(supervisor)[0]
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: victim not in serving(supervisor) and len(serving(supervisor)) == 2)
    assert wait_for(lambda: httpx.get(server.url("/health")).status_code == 200)
    for pid in serving(supervisor):
        assert shared_dirty(pid) > loaded // 2, (pid, shared_dirty(pid), loaded)


def test_server_processes_on_an_external_store_each_have_their_own_connections(
    server_factory: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """On an external store the supervisor has spoken to the store before it forks: each server process must open
    connections of its own, or two of them would send queries on one socket and read each other's answers."""
    with oxigraph_server(tmp_path / "oxigraph") as store:
        server = server_factory("--workers", "2", env=store.env)
        assert wait_for(lambda: len(serving(server.process.pid)) == 2)
        assert wait_for(lambda: all(httpx.get(server.url("/health")).status_code == 200 for _ in range(8)))

        def ask(n: int) -> str:  # a new connection each time: the kernel hands them to either process
            query = f"SELECT ?n WHERE {{ BIND({n} AS ?n) FILTER EXISTS {{ ?s ?p ?o }} }}"
            response = httpx.get(server.url("/sparql"), params={"query": query}, headers={"Accept": JSON}, timeout=60)
            assert response.status_code == 200, response.text
            return str(response.json()["results"]["bindings"][0]["n"]["value"])

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(ask, range(200)))
        assert answers == [str(n) for n in range(200)]


def test_server_processes_stop_when_their_supervisor_is_killed(server_factory: Callable[..., LiveServer]) -> None:
    """A supervisor killed (SIGKILL: no chance to stop anything) leaves no server process serving the port."""
    server = server_factory("--workers", "2", env={"ILRS_QUERY_EXECUTOR": "thread", "ILRS_SHUTDOWN_GRACE": "1"})
    supervisor = server.process.pid
    assert wait_for(lambda: len(serving(supervisor)) == 2)
    started = serving(supervisor)
    os.kill(supervisor, signal.SIGKILL)
    server.process.wait(timeout=10)
    assert wait_for(lambda: not any(running(pid) for pid in started), 30)
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url("/health"), timeout=5)


def sent_by(pid: int, others: list[int], requests: int, server: LiveServer) -> None:
    """Send ``requests`` queries, each on a new connection, all answered by server process ``pid``: the
    ``others`` are stopped (SIGSTOP) meanwhile, so only ``pid`` accepts the connections."""
    for other in others:
        os.kill(other, signal.SIGSTOP)
    try:
        for _ in range(requests):
            assert httpx.get(server.url("/sparql"), params={"query": "ASK {}"}, timeout=30).status_code == 200
    finally:
        for other in others:
            os.kill(other, signal.SIGCONT)


def test_each_server_process_reports_the_metrics_of_all(
    server_factory: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """With metrics on, ``/metrics`` from any of the server processes sums what every one of them counted, also
    after one of them died (its counts stay, its gauges go); the supervisor removes the values' folder when it
    stops."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {"ILRS_QUERY_EXECUTOR": "thread", "ILRS_METRICS": "true", "TMPDIR": str(temporary)}
    server = server_factory("--workers", "2", env=env)
    supervisor = server.process.pid
    assert wait_for(lambda: len(serving(supervisor)) == 2)
    assert wait_for(lambda: all(httpx.get(server.url("/health")).status_code == 200 for _ in range(8)))
    first, second = serving(supervisor)
    answered = {"route": "/sparql", "method": "GET", "status": "200"}
    before = value(scrape(server), "ilrs_http_requests_total", **answered)
    sent_by(first, [second], 5, server)
    sent_by(second, [first], 7, server)
    for scraped in [scrape(server) for _ in range(8)]:  # a new connection each time: either process answers
        assert value(scraped, "ilrs_http_requests_total", **answered) == before + 12
        assert value(scraped, "ilrs_query_slots_busy") == 0

    os.kill(second, signal.SIGKILL)
    assert wait_for(lambda: second not in serving(supervisor) and len(serving(supervisor)) == 2)
    assert wait_for(lambda: httpx.get(server.url("/health")).status_code == 200)
    for scraped in [scrape(server) for _ in range(8)]:
        assert value(scraped, "ilrs_http_requests_total", **answered) == before + 12
    assert [p.name for p in temporary.iterdir() if p.name.startswith("ilrs-metrics-")]
    server.process.terminate()
    server.process.wait(timeout=30)
    assert not [p.name for p in temporary.iterdir() if p.name.startswith("ilrs-metrics-")]


ESA = "https://w3id.org/ilrs/id/agency/esa"
NEW_AGENCY = PREFIXES + (
    "GRAPH <https://w3id.org/ilrs/graph/source/001> {\n"
    '    <https://w3id.org/ilrs/id/agency/esa> a ilrs:SpaceAgency ; rdfs:label "European Space Agency"@en .\n'
    "}"
)


def health_of_each(server: LiveServer, times: int = 12) -> list[dict[str, object]]:
    """``/health`` asked ``times`` times, each on a new connection: the kernel hands them to either process."""
    return [httpx.get(server.url("/health"), timeout=10).json() for _ in range(times)]


def served_versions(server: LiveServer) -> set[str]:
    return {str(h["version"]) for h in health_of_each(server)}


def test_the_supervisor_reloads_every_server_process_from_one_rebuild(
    server_factory: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """With ``--watch`` the supervisor rebuilds after an edit and replaces its server processes by ones forked from
    the rebuild: all serve the new version, and so does one forked again after a death. A refused edit is said by
    every process's ``/health``, and by the one forked after it."""
    mini = copy_mini(tmp_path / "repo")
    server = server_factory("--workers", "2", "--watch", env={**mini.env, "ILRS_QUERY_EXECUTOR": "thread"})
    supervisor = server.process.pid
    assert wait_for(lambda: len(serving(supervisor)) == 2)
    assert wait_for(lambda: all(h.get("status") == "ok" for h in health_of_each(server, 8)))
    (first,) = served_versions(server)
    replaced = serving(supervisor)

    mini.append("data/sources/001.trig", NEW_AGENCY)
    assert wait_for(lambda: first not in served_versions(server)), server.log()
    (second,) = served_versions(server)
    assert not set(serving(supervisor)) & set(replaced)  # new processes, forked from the rebuild
    assert wait_for(lambda: not any(running(pid) for pid in replaced), 30)  # the replaced ones ended
    ask = {"query": f"ASK {{ <{ESA}> a ?type }}"}
    for _ in range(8):
        assert httpx.get(server.url("/sparql"), params=ask, headers={"Accept": JSON}).json()["boolean"] is True

    victim = serving(supervisor)[0]
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: victim not in serving(supervisor) and len(serving(supervisor)) == 2)
    assert wait_for(lambda: all(h.get("status") == "ok" for h in health_of_each(server, 8)))
    assert served_versions(server) == {second}  # not the version the supervisor loaded first

    mini.append("data/sources/001.trig", "GRAPH <https://w3id.org/ilrs/graph/source/001> { <x:a> a }")
    assert wait_for(lambda: all(h.get("status") == "stale" for h in health_of_each(server, 8))), server.log()
    assert served_versions(server) == {second}
    assert "data/sources/001.trig:" in server.log()
    victim = serving(supervisor)[0]
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: victim not in serving(supervisor) and len(serving(supervisor)) == 2)
    assert wait_for(lambda: all(h.get("status") == "stale" for h in health_of_each(server, 8)))
