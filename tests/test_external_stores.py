"""The project on external SPARQL stores: Oxigraph server and Virtuoso 7, each started on 127.0.0.1.

The server on each store answers as on the embedded one; Virtuoso's departures from the standard
are worked around (skolemised blank nodes, batched loads, paged reads, refused cut answers, ASK
as a boolean, language tags kept, form-POSTed queries). The whole server suite also runs on either
store with ``pytest --store-backend oxigraph|virtuoso`` (the Makefile's ``test-stores``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from external_stores import EXTERNAL_STORES, VIRTUOSO_MAX_ROWS, ExternalStore, external_store
from rdflib import Graph
from rdflib.compare import isomorphic
from servers import LiveServer, start_server, stop_server

from ilrs.graph.errors import QuerySyntaxError, ResultTooLarge
from ilrs.graph.remote_store import SparqlStore
from ilrs.graph.settings import Settings
from ilrs.graph.store import Store, open_store

AGREEMENT = "https://w3id.org/ilrs/id/agreement/cnsa-roscosmos-joint-statement-2021"
SCRATCH = "https://w3id.org/ilrs/graph/test/scratch"


@pytest.fixture(scope="module", params=EXTERNAL_STORES)
def ext(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExternalStore]:
    with external_store(request.param, tmp_path_factory.mktemp(request.param)) as store:
        yield store


@pytest.fixture(scope="module")
def served(ext: ExternalStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``ilrs serve`` on the external store (which it empties and loads with the dataset)."""
    server = start_server(tmp_path_factory.mktemp("served"), env=ext.env)
    yield server
    stop_server(server)


@pytest.fixture
def remote(ext: ExternalStore, served: LiveServer) -> Iterator[Store]:
    """The external store as the project opens it; the scratch graph is dropped afterwards."""
    store = open_store(Settings(**{key.removeprefix("ILRS_").lower(): value for key, value in ext.env.items()}))
    assert isinstance(store, SparqlStore)
    yield store
    store.update(f"DROP SILENT GRAPH <{SCRATCH}>")
    store.close()


def _count(base_url: str, query: str) -> int:
    r = httpx.get(f"{base_url}/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_server_answers_as_on_the_embedded_store(served: LiveServer, dataset: Store) -> None:
    for graph in dataset.graphs():
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        assert _count(served.base_url, query) == dataset.count(graph), graph
    union = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    expected = int(next(iter(dataset.query(union)))["n"].value)  # type: ignore[arg-type]
    assert _count(served.base_url, union) == expected  # the merged graph left out of the union
    ask = httpx.get(f"{served.base_url}/sparql", params={"query": f"ASK {{ <{AGREEMENT}> ?p ?o }}"})
    assert ask.json() == {"head": {}, "boolean": True}
    nothing = httpx.get(f"{served.base_url}/sparql", params={"query": "ASK { <http://example.org/none> ?p ?o }"})
    assert nothing.json()["boolean"] is False


def test_resource_page_is_the_embedded_servers(served: LiveServer, client: httpx.Client) -> None:
    path = AGREEMENT.removeprefix("https://w3id.org/ilrs")
    here = httpx.get(f"{served.base_url}{path}", headers={"Accept": "text/turtle"})
    embedded = client.get(path, headers={"Accept": "text/turtle"})
    assert here.status_code == embedded.status_code == 200
    assert isomorphic(
        Graph().parse(data=here.text, format="turtle"), Graph().parse(data=embedded.text, format="turtle")
    )
    missing = httpx.get(f"{served.base_url}/id/agreement/no-such-thing", headers={"Accept": "text/turtle"})
    assert missing.status_code == 404


def test_construct_and_jsonld_keep_language_tags(served: LiveServer) -> None:
    query = f"CONSTRUCT {{ <{AGREEMENT}> ?p ?o }} WHERE {{ <{AGREEMENT}> ?p ?o FILTER(LANG(?o) != '') }}"
    r = httpx.get(f"{served.base_url}/sparql", params={"query": query}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    triples = list(ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES))
    assert triples and all(isinstance(t.object, ox.Literal) and t.object.language for t in triples)
    document = httpx.get(
        f"{served.base_url}/sparql", params={"query": query}, headers={"Accept": "application/ld+json"}
    )
    assert '"@language"' in document.text


def test_syntax_errors_read_as_on_the_embedded_store(served: LiveServer, client: httpx.Client) -> None:
    query = {"query": "SELECT * WHERE { ?s ?p }"}
    here, embedded = httpx.get(f"{served.base_url}/sparql", params=query), client.get("/sparql", params=query)
    assert here.status_code == embedded.status_code == 400
    assert here.text == embedded.text


def test_blank_nodes_are_kept_together(remote: SparqlStore) -> None:
    turtle = (
        '<http://example.org/a> <http://example.org/p> [ <http://example.org/q> "x" ; <http://example.org/r> "y" ] .'
    )
    assert remote.load(turtle, "text/turtle", graph=SCRATCH) == 3
    rows = list(remote.query(f"SELECT ?b WHERE {{ GRAPH <{SCRATCH}> {{ ?a ?p ?b . ?b ?q 'x' . ?b ?r 'y' }} }}"))
    assert len(rows) == 1  # one node, not two: the label held across the load
    node = rows[0]["b"]
    if remote.dialect == "virtuoso":  # its INSERT DATA refuses blank nodes: skolemised (RDF 1.1, 3.5)
        assert isinstance(node, ox.NamedNode) and "/.well-known/genid/" in node.value
    else:
        assert isinstance(node, ox.BlankNode)


def test_large_loads_are_batched_and_read_back_in_pages(remote: SparqlStore) -> None:
    size = VIRTUOSO_MAX_ROWS * 2 + 17
    lines = "".join(f'<http://example.org/s{i}> <http://example.org/p> "{i}" .\n' for i in range(size))
    assert remote.load(lines, "application/n-triples", graph=SCRATCH) == size
    assert remote.count(SCRATCH) == size
    values = {q.object.value for q in remote.quads(SCRATCH)}
    assert values == {str(i) for i in range(size)}


def test_an_answer_cut_by_the_store_is_refused(remote: SparqlStore) -> None:
    size = VIRTUOSO_MAX_ROWS + 10
    remote.load(
        "".join(f'<http://example.org/s{i}> <http://example.org/p> "{i}" .\n' for i in range(size)),
        "application/n-triples",
        graph=SCRATCH,
    )
    everything = f"SELECT ?s WHERE {{ GRAPH <{SCRATCH}> {{ ?s ?p ?o }} }}"
    if remote.dialect == "virtuoso":
        with pytest.raises(ResultTooLarge, match=f"cuts answers at {VIRTUOSO_MAX_ROWS} rows"):
            remote.query(everything)
    else:
        assert len(list(remote.query(everything))) == size  # type: ignore[arg-type]
    assert len(list(remote.query(everything + " LIMIT 10 OFFSET 100"))) == 10  # type: ignore[arg-type]


def test_protocol_dataset_replaces_the_query_from(remote: SparqlStore) -> None:
    graphs = remote.graphs()
    first, second = graphs[0], graphs[1]
    query = f"SELECT (COUNT(*) AS ?n) FROM <{first}> WHERE {{ ?s ?p ?o }}"
    counted = next(iter(remote.query(query, default_graphs=[second], named_graphs=[])))  # type: ignore[call-overload]
    assert int(counted["n"].value) == remote.count(second) != remote.count(first)


def test_bad_query_is_a_syntax_error_with_its_position(remote: SparqlStore) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        remote.query("SELECT * WHERE { ?s ?p }")
    assert (caught.value.line, caught.value.column) == (1, 25)


def test_credentials_are_refused_on_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ilrs.graph.cli", "stats", "--store", "http://user:secret@127.0.0.1:9/sparql"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "must not carry credentials" in done.stderr and "ILRS_STORE_PASSWORD" in done.stderr
    assert "Traceback" not in done.stderr


def test_store_url_setting_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an http"):
        Settings(store_url="ftp://127.0.0.1/sparql")
