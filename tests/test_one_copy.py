"""One copy of the data in the server's process tree, also after writes and ``--watch`` reloads.

The query workers share the pages of the zygote forked from the server; a committed write is applied
to the zygote's copy, so the workers forked after it see the write and still share that one copy. Without
it, each write would start a zygote loading a snapshot of the whole dataset: a second copy.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from servers import LiveServer, start_server, stop_server, wait_for
from writing import Writable, state, write_token

from bench.generate import generate
from bench.systems import tree_memory

pytestmark = pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="reads Linux's /proc")

#: A second copy of the dataset costs several hundred bytes a quad (about 370 measured at 250,000 quads):
#: what the writes may add to the whole tree stays well below that, counted per quad served.
BYTES_PER_QUAD_OF_A_COPY = 100


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Writable:
    return write_token(tmp_path_factory.mktemp("one-copy-token"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, token: Writable) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("one-copy")
    data = tmp / "generated.nq"
    generate(5, data, seed=12, progress=False)
    live = start_server(tmp, "--tokens", str(token.path), env={"ILRS_EXTRA_FILES": json.dumps([str(data)])})
    yield live
    stop_server(live)


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.add(int(entry.name))
            except (OSError, ValueError):
                continue
    return found


def _labels(client: httpx.Client, subject: str) -> list[str]:
    query = f"SELECT ?l WHERE {{ <{subject}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"
    answer = client.post("/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200, answer.text
    return sorted(b["l"]["value"] for b in answer.json()["results"]["bindings"])


def _write(client: httpx.Client, token: Writable, n: int) -> None:
    subject = f"https://w3id.org/ilrs/id/test/one-copy-{n}"
    update = (
        "INSERT DATA { GRAPH <https://w3id.org/ilrs/graph/loaded/one-copy> "
        f'{{ <{subject}> <http://www.w3.org/2000/01/rdf-schema#label> "written {n}"@en }} }}'
    )
    answer = client.post("/sparql", data={"update": update}, headers=token.headers)
    assert answer.status_code == 200, answer.text


def _settled_pss(server: LiveServer, zygote: int) -> int:
    """The tree's PSS once the workers of earlier versions have been retired (they are killed as their
    queries end; the poll only waits for the kernel to reap them)."""
    for _ in range(100):
        if len(_children(zygote)) <= 1:
            break
        time.sleep(0.1)
    return tree_memory(server.process.pid)[0]


def test_writes_are_answered_from_the_one_copy_the_workers_share(server: LiveServer, token: Writable) -> None:
    with httpx.Client(base_url=server.url(""), timeout=60) as client:
        _write(client, token, 0)  # the writer's first write sets up its validation: not what is measured
        assert _labels(client, "https://w3id.org/ilrs/id/test/one-copy-0") == ["written 0"]
        _, quads = state(client)
        zygotes = _children(server.process.pid)
        assert len(zygotes) == 1
        (zygote,) = zygotes
        before = _settled_pss(server, zygote)
        for n in range(1, 4):
            _write(client, token, n)
            # The next query's worker holds the write: the zygote applied it to its copy.
            assert _labels(client, f"https://w3id.org/ilrs/id/test/one-copy-{n}") == [f"written {n}"]
        after = _settled_pss(server, zygote)
        assert after - before < quads * BYTES_PER_QUAD_OF_A_COPY, (before, after, quads)
        # No zygote was started for the new versions: the one forked from the server forks their workers.
        assert _children(server.process.pid) == {zygote}


def _workers(server: LiveServer) -> set[int]:
    """The query workers: the children of the server's zygotes."""
    return {pid for zygote in _children(server.process.pid) for pid in _children(zygote)}


def _workers_answering(server: LiveServer, queries: int) -> set[int]:
    """Every worker seen while ``queries`` distinct queries (none answerable from the cache) are answered."""
    seen: set[int] = set()
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        for n in range(queries):
            query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o . ?s ?q ?r FILTER(?n != {n}) }}"
            answer = client.post("/sparql", data={"query": query}, headers={"Accept": "text/csv"})
            assert answer.status_code == 200, answer.text
            seen |= _workers(server)
    return seen


@pytest.mark.parametrize(("private_mib", "replaced"), [("1", True), ("0", False)])
def test_a_worker_holding_too_many_pages_of_its_own_is_replaced(
    tmp_path: Path, private_mib: str, replaced: bool
) -> None:
    """With ``worker_private_memory`` below what any worker soon writes, workers are replaced by fresh forks
    (their pages shared again); with 0 the same queries are answered by the same workers."""
    live = start_server(tmp_path, env={"ILRS_WORKER_PRIVATE_MEMORY": private_mib, "ILRS_MAX_CONCURRENT_QUERIES": "1"})
    try:
        seen = _workers_answering(live, 70)
    finally:
        stop_server(live)
    assert (len(seen) > 1) is replaced, seen


def _own_pages(pid: int) -> int:
    """Bytes of the pages process ``pid`` holds alone (0 once it has ended)."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    found = [line for line in rollup.splitlines() if line.startswith("Private_Dirty:")]
    return int(found[0].split()[1]) * 1024 if found else 0


def _read_everything(server: LiveServer, clients: int, rounds: int) -> None:
    """``rounds`` times, ``clients`` queries at once that read every quad (each differs: none is cached)."""
    query = "SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER(?n != {}) }}"
    with httpx.Client(base_url=server.base_url, timeout=60) as client:

        def ask(n: int) -> int:
            return client.post("/sparql", data={"query": query.format(n)}, headers={"Accept": "text/csv"}).status_code

        for r in range(rounds):
            with ThreadPoolExecutor(clients) as pool:
                assert list(pool.map(ask, range(r * clients, (r + 1) * clients))) == [200] * clients


def test_the_workers_share_one_budget_of_pages_of_their_own(tmp_path: Path) -> None:
    """``worker_private_memory`` is for all the workers together. One worker that has read the whole store, and
    holds its pages as its own, is kept as it answers more; when two have, and together they pass the budget,
    one of them (idle, no query asking for it) is replaced by a fresh fork, and the other keeps its pages."""
    data = tmp_path / "generated.nq"
    generate(5, data, seed=12, progress=False)
    env = {"ILRS_EXTRA_FILES": json.dumps([str(data)]), "ILRS_MAX_CONCURRENT_QUERIES": "2"}
    (tmp_path / "measure").mkdir()
    (tmp_path / "budget").mkdir()
    live = start_server(tmp_path / "measure", env={**env, "ILRS_WORKER_PRIVATE_MEMORY": "0"})
    try:
        _read_everything(live, 1, 3)
        whole = max(_own_pages(pid) for pid in _workers(live))  # what a worker reading everything holds
    finally:
        stop_server(live)
    budget = whole * 3 // 2  # one such worker fits, two do not
    live = start_server(tmp_path / "budget", env={**env, "ILRS_WORKER_PRIVATE_MEMORY": str(max(budget // 2**20, 1))})
    try:
        _read_everything(live, 1, 3)
        kept = _workers(live)
        _read_everything(live, 1, 3)
        assert kept == _workers(live)  # the one worker answering is kept
        _read_everything(live, 2, 2)

        def settled() -> bool:
            held = [_own_pages(pid) for pid in _workers(live)]
            return sum(held) <= budget and max(held, default=0) > whole // 2

        wait_for(settled, "one of two workers holding the whole store to be replaced", timeout=30)
    finally:
        stop_server(live)


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Rss:"):
            return int(line.split()[1]) * 1024
    return 0


def _beyond_the_server(server: LiveServer) -> int:
    """Bytes the query processes hold that the server does not map: the tree's PSS less the server's RSS.
    A zygote forked from the server shares its pages; one that loaded a snapshot holds a copy of its own."""
    return tree_memory(server.process.pid)[0] - _rss(server.process.pid)


def _comment(n: int) -> str:
    return (
        f'<https://example.org/thing/{n}> <http://www.w3.org/2000/01/rdf-schema#comment> "thing {n} of the file"@en .\n'
    )


def test_a_watch_reload_is_answered_from_one_copy_forked_from_the_server(tmp_path: Path) -> None:
    """After ``--watch`` swaps in a new version, the workers fork from a zygote forked from the server (its
    command line is the server's), which dropped the previous version it inherited: the query processes hold
    no copy of the data beyond the server's, as before the reload."""
    things = 30_000
    data = tmp_path / "things.nt"  # a file ilrs check and the shapes accept: comments, outside the id/ space
    data.write_text("".join(_comment(n) for n in range(things)), encoding="utf-8")
    live = start_server(tmp_path, "--watch", env={"ILRS_EXTRA_FILES": json.dumps([str(data)])}, timeout=180)
    try:
        with httpx.Client(base_url=live.base_url, timeout=60) as client:

            def knows(n: int) -> bool:
                query = f"ASK {{ <https://example.org/thing/{n}> ?p ?o }}"
                answer = client.get(
                    "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
                )
                assert answer.status_code == 200, answer.text
                return bool(answer.json()["boolean"])

            assert knows(1) and not knows(things)
            (first,) = _children(live.process.pid)
            _settled_pss(live, first)
            before = _beyond_the_server(live)
            with data.open("a", encoding="utf-8") as out:
                out.write(_comment(things))
            wait_for(lambda: knows(things), "the reload", timeout=600, interval=0.5)
            _, quads = state(client)
            # The first zygote ends once its workers are retired; the new one is a fork of the server.
            (zygote,) = wait_for(lambda: (z := _children(live.process.pid)) and first not in z and z, "the old zygote")
            cmdline = Path(f"/proc/{zygote}/cmdline").read_bytes()
            assert cmdline == Path(f"/proc/{live.process.pid}/cmdline").read_bytes(), cmdline
            _settled_pss(live, zygote)
            after = _beyond_the_server(live)
            assert after - before < quads * BYTES_PER_QUAD_OF_A_COPY, (before, after, quads)
    finally:
        stop_server(live)
