"""Concurrent writers and readers on a real server: writes are serialized, readers never see half of one.

Each write inserts a batch of :data:`BATCH` triples sharing a batch number, in one update. While
writers run, readers keep counting the triples of every batch they can see, through ``/sparql``
(the query workers' snapshot of a version) and through ``/store`` (the store itself): a batch is
always seen whole or not at all. Every commit answers with a version of its own, and the version
the server reports changes with each commit and never otherwise.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from rdflib import Graph
from servers import LiveServer, start_server, stop_server
from writing import Writable, write_token

GRAPH = "https://example.org/concurrency"
BATCH = 25
WRITERS = 3
WRITES_EACH = 4
P = "https://example.org/batch"


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Writable:
    return write_token(tmp_path_factory.mktemp("concurrency-token"), "writer")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, token: Writable) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("concurrency")
    live = start_server(tmp, "--tokens", str(token.path))
    yield live
    stop_server(live)


def batch_update(number: int) -> str:
    triples = " ".join(f"<https://example.org/item/{number}/{i}> <{P}> {number} ." for i in range(BATCH))
    return f"INSERT DATA {{ GRAPH <{GRAPH}> {{ {triples} }} }}"


def counts_by_sparql(client: httpx.Client) -> Counter[int]:
    query = f"SELECT ?b (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s <{P}> ?b }} }} GROUP BY ?b"
    response = client.post("/sparql", data={"query": query}, headers={"Accept": "application/json"})
    assert response.status_code == 200, (response.status_code, response.text)
    rows = response.json()
    return Counter({int(r["b"]["value"]): int(r["n"]["value"]) for r in rows["results"]["bindings"]})


def counts_by_store(client: httpx.Client) -> Counter[int]:
    response = client.get("/store", params={"graph": GRAPH}, headers={"Accept": "text/turtle"})
    if response.status_code == 404:
        return Counter()
    graph = Graph().parse(data=response.text, format="turtle")
    return Counter(int(o) for o in graph.objects())


def test_concurrent_readers_see_whole_writes_and_versions_change_with_each_commit(
    server: LiveServer, token: Writable
) -> None:
    versions: list[str] = []
    partial: list[tuple[str, int, int]] = []
    errors: list[str] = []
    observed: dict[str, list[int]] = {"sparql": [], "store": []}  # batches each read saw
    stop = threading.Event()

    def write(first: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=60, headers=token.headers) as c:
            for number in range(first, first + WRITES_EACH):
                response = c.post("/update", data={"update": batch_update(number)})
                if response.status_code != 200:
                    errors.append(response.text)
                    return
                versions.append(response.json()["version"])

    def read(kind: str) -> None:
        count = counts_by_sparql if kind == "sparql" else counts_by_store
        with httpx.Client(base_url=server.base_url, timeout=60) as c:
            while not stop.is_set():
                try:
                    seen = count(c)
                except AssertionError as err:
                    errors.append(f"{kind}: {err}")
                    return
                partial.extend((kind, number, n) for number, n in seen.items() if n != BATCH)
                observed[kind].append(len(seen))

    before = httpx.get(server.url("/health")).json()["version"]
    readers = [threading.Thread(target=read, args=(kind,)) for kind in ("sparql", "store", "sparql")]
    writers = [threading.Thread(target=write, args=(w * 100,)) for w in range(WRITERS)]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    time.sleep(0.5)
    stop.set()
    for thread in readers:
        thread.join()
    assert errors == []
    assert partial == []
    for kind, seen in observed.items():  # the readers read while the writes went on, and saw them grow
        assert len(set(seen)) > 2, (kind, seen)
    # Every commit had its own version; the server now reports the last one, and only commits changed it.
    assert len(versions) == len(set(versions)) == WRITERS * WRITES_EACH
    after = httpx.get(server.url("/health")).json()["version"]
    assert after in versions and after != before
    with httpx.Client(base_url=server.base_url, timeout=60) as c:
        final = counts_by_sparql(c)
        assert final == counts_by_store(c)
        assert sorted(final) == sorted(w * 100 + i for w in range(WRITERS) for i in range(WRITES_EACH))
        # Each commit recorded one activity, each naming the version it produced.
        query = (
            "SELECT (COUNT(DISTINCT ?v) AS ?n) WHERE { GRAPH <https://w3id.org/ilrs/graph/changelog> "
            "{ ?a <https://w3id.org/ilrs/changelog#datasetVersion> ?v } }"
        )
        rows = c.post("/sparql", data={"query": query}, headers={"Accept": "application/json"}).json()
        assert int(rows["results"]["bindings"][0]["n"]["value"]) == WRITERS * WRITES_EACH
        assert c.get("/health").json()["version"] == after  # reading changes nothing
