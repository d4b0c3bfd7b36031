"""Writes and the inferred graph: updates read it as queries do, and every commit keeps it current.

The server tests drive a real process over HTTP; the last test commits writes through
:class:`~ilrs.graph.writer.Writer` and compares the inferred graph, after each, with the one a
reload would compute from everything asserted.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from servers import LiveServer
from writing import Writable, state, writable_server, write_token

from ilrs.graph.derived import INFERRED_GRAPH, MERGED_GRAPH, entailed, is_derived
from ilrs.graph.loader import build_store
from ilrs.graph.settings import get_settings
from ilrs.graph.store import CHANGELOG_GRAPH, VERSION_PREDICATE, Store
from ilrs.graph.writer import Writer

ILRS = "https://w3id.org/ilrs/ontology#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SOURCE_003 = "https://w3id.org/ilrs/graph/source/003"
CNSA = "https://w3id.org/ilrs/id/agency/cnsa"
AGENCY = "https://w3id.org/ilrs/id/agency/example-inferred"


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Writable:
    return write_token(tmp_path_factory.mktemp("inference-token"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, token: Writable) -> Iterator[LiveServer]:
    yield from writable_server(tmp_path_factory.mktemp("inference"), token)


@pytest.fixture
def client(server: LiveServer, token: Writable) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=60, headers=token.headers) as c:
        yield c


def select(client: httpx.Client, query: str) -> list[dict[str, str]]:
    answer = client.post("/sparql", data={"query": query}, headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.text
    return [{k: v["value"] for k, v in row.items()} for row in answer.json()["results"]["bindings"]]


def ask(client: httpx.Client, query: str) -> bool:
    answer = client.post("/sparql", data={"query": query}, headers={"Accept": "application/json"})
    return bool(answer.json()["boolean"])


def update(client: httpx.Client, text: str) -> httpx.Response:
    return client.post("/update", data={"update": text})


def test_an_update_where_sees_the_inferred_types_as_a_query_does(client: httpx.Client) -> None:
    """``?m a ilrs:Mission`` finds every mission whichever subclass typed it, in a query and in an update."""
    missions = {row["m"] for row in select(client, f"SELECT DISTINCT ?m WHERE {{ ?m a <{ILRS}Mission> }}")}
    asserted = select(
        client,
        f"SELECT DISTINCT ?m WHERE {{ GRAPH ?g {{ ?m a <{ILRS}Mission> }} FILTER (?g != <{INFERRED_GRAPH}>) }}",
    )
    assert len(missions) > len(asserted), "the shipped graph types some missions by a subclass only"
    marked = update(
        client, f"INSERT {{ GRAPH <urn:x:marks> {{ ?m <urn:x:seen> true }} }} WHERE {{ ?m a <{ILRS}Mission> }}"
    )
    assert marked.status_code == 200, marked.text
    assert marked.json()["added"] == len(missions)
    assert {row["m"] for row in select(client, "SELECT ?m WHERE { GRAPH <urn:x:marks> { ?m ?p ?o } }")} == missions
    assert update(client, "DROP GRAPH <urn:x:marks>").status_code == 200


def test_an_update_reads_the_inferred_graph_by_name_and_as_its_earlier_operations_leave_it(
    client: httpx.Client,
) -> None:
    superclass = select(
        client, f"SELECT ?c WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ <{CNSA}> a ?c }} }} ORDER BY ?c LIMIT 1"
    )[0]["c"]
    # One request: the new agency's inferred type is visible to the operation after the one adding it.
    written = update(
        client,
        f"INSERT DATA {{ GRAPH <{SOURCE_003}> {{ <{AGENCY}> a <{ILRS}SpaceAgency> ;\n"
        f'  <{RDFS}label> "Example"@en }} }} ;\n'
        f"INSERT {{ GRAPH <urn:x:marks> {{ ?a <urn:x:seen> true }} }}\n"
        f"WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?a a <{superclass}> }} FILTER (?a = <{AGENCY}>) }}",
    )
    assert written.status_code == 200, written.text
    assert written.json()["added"] == 3
    assert ask(client, f"ASK {{ GRAPH <urn:x:marks> {{ <{AGENCY}> <urn:x:seen> true }} }}")
    # GRAPH ?g ranges over the asserted graphs: deleting a resource everywhere leaves the derived ones
    # to the writer, which drops its inferred types with it.
    deleted = update(client, f"DELETE WHERE {{ GRAPH ?g {{ <{AGENCY}> ?p ?o }} }}")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["removed"] == 3
    assert not ask(client, f"ASK {{ GRAPH ?g {{ <{AGENCY}> ?p ?o }} }}")


@pytest.mark.parametrize(
    "text",
    [
        f"DELETE DATA {{ GRAPH <{INFERRED_GRAPH}> {{ <{CNSA}> a <{ILRS}Organization> }} }}",
        f"DELETE WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ <{CNSA}> ?p ?o }} }}",
        f"DROP GRAPH <{INFERRED_GRAPH}>",
    ],
    ids=["delete-data", "delete-where", "drop"],
)
def test_removing_inferred_triples_is_refused_with_the_reason(client: httpx.Client, text: str) -> None:
    assert ask(client, f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ <{CNSA}> a <{ILRS}Organization> }} }}")
    before = state(client)
    refused = update(client, text)
    assert refused.status_code == 403, refused.text
    assert "the inferred graph is derived from the data" in refused.json()["detail"]
    assert state(client) == before


def test_a_subclass_axiom_written_reaches_the_inferred_graph_at_once(client: httpx.Client) -> None:
    axiom = f"<{ILRS}SpaceAgency> <{RDFS}subClassOf> <https://example.org/Watched>"
    added = update(client, f"INSERT DATA {{ GRAPH <urn:x:axioms> {{ {axiom} }} }}")
    assert added.status_code == 200, added.text
    agencies = {row["a"] for row in select(client, f"SELECT DISTINCT ?a WHERE {{ ?a a <{ILRS}SpaceAgency> }}")}
    watched = f"SELECT ?a WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?a a <https://example.org/Watched> }} }}"
    assert CNSA in agencies and {row["a"] for row in select(client, watched)} == agencies
    assert update(client, "DROP GRAPH <urn:x:axioms>").status_code == 200
    assert select(client, watched) == []


# --- the inferred graph after each commit is the one a reload computes -----------------------------------


def reloaded_inference(store: Store) -> set[ox.Triple]:
    """What :func:`~ilrs.graph.derived.materialise` would write from the store's asserted graphs."""
    changelog = ox.NamedNode(CHANGELOG_GRAPH)
    asserted = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads()
        if not is_derived(q.graph_name) and q.graph_name != changelog
    }
    return entailed(asserted) - asserted


def inferred(store: Store) -> set[ox.Triple]:
    return {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads(INFERRED_GRAPH)}


def test_every_commit_leaves_the_inferred_graph_as_a_reload_would() -> None:
    settings = get_settings()
    store = build_store(settings)
    writer = Writer(store, settings)
    assert inferred(store) == reloaded_inference(store)
    sizes = [len(inferred(store))]
    axioms = "INSERT DATA { GRAPH <urn:x:axioms> { %s } }"
    for text in (
        axioms % f"<{ILRS}SpaceAgency> <{RDFS}subClassOf> <https://example.org/A>",
        axioms % f"<https://example.org/A> <{RDFS}subClassOf> <https://example.org/B>",
        axioms % f"<{ILRS}party> <{RDFS}subPropertyOf> <https://example.org/involves>",
        f'INSERT DATA {{ GRAPH <{SOURCE_003}> {{ <{AGENCY}> a <{ILRS}SpaceAgency> ; <{RDFS}label> "Example"@en }} }}',
        f"DELETE DATA {{ GRAPH <urn:x:axioms> {{ <{ILRS}SpaceAgency> <{RDFS}subClassOf> <https://example.org/A> }} }}",
        "DROP GRAPH <urn:x:axioms>",
        f"DELETE WHERE {{ GRAPH <{SOURCE_003}> {{ <{AGENCY}> ?p ?o }} }}",
    ):
        assert writer.update(text, editor="test").changed
        assert inferred(store) == reloaded_inference(store), text
        sizes.append(len(inferred(store)))
    assert sizes[0] < sizes[1] < sizes[2] < sizes[3], "each axiom entails new triples"
    assert sizes[-1] == sizes[0]


# --- the merged graph, and so the default graph, after each commit is what a reload computes ---------------


def reloaded_merged(store: Store) -> set[ox.Triple]:
    """What :func:`~ilrs.graph.derived.materialise` would write into the merged graph: every triple that a graph
    (the store's default graph included) asserts, once; not the changelog's."""
    changelog = ox.NamedNode(CHANGELOG_GRAPH)
    return {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads()
        if not is_derived(q.graph_name) and q.graph_name != changelog
    }


def merged(store: Store) -> set[ox.Triple]:
    return {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads(MERGED_GRAPH)}


def answers(store: Store, query: str, default_graphs: list[str] | None = None) -> list[tuple[str, ...]]:
    rows = store.query(query, default_graphs=default_graphs)
    return [tuple(term.value for term in row) for row in rows]  # type: ignore[union-attr]


TWICE = '<https://example.org/said> <https://example.org/by> "two graphs"'
DEFAULT = '<https://example.org/said> <https://example.org/in> "the default graph"'


def in_default_graph(triple: str) -> list[ox.Quad]:
    return [ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(triple + " .", format=ox.RdfFormat.N_TRIPLES)]


def commit(writer: Writer, step: str) -> bool:
    """An update, or ``PUT``/``POST`` of the default graph as the Graph Store Protocol does it."""
    if step == "PUT default":
        return writer.write_graph("replace", "", [], editor="test").changed
    if step == "POST default":
        return writer.write_graph("merge", "", in_default_graph(DEFAULT), editor="test").changed
    return writer.update(step, editor="test").changed


@pytest.mark.parametrize(
    ("step", "found"),
    [
        (f"INSERT DATA {{ GRAPH <urn:x:one> {{ {TWICE} }} GRAPH <urn:x:two> {{ {TWICE} }} }}", 1),
        (f"DELETE DATA {{ GRAPH <urn:x:one> {{ {TWICE} }} }}", 1),  # still stated by <urn:x:two>
        ("POST default", 2),  # the store's own default graph
        (f"INSERT DATA {{ GRAPH <urn:x:one> {{ {DEFAULT} }} }}", 2),  # now stated twice, found once
        ("PUT default", 2),  # the default graph emptied; still stated by <urn:x:one>
        (f"DELETE DATA {{ GRAPH <urn:x:two> {{ {TWICE} }} }}", 1),  # stated nowhere any more
        ("DROP GRAPH <urn:x:one>", 0),
    ],
    ids=["two-graphs", "delete-one", "default", "default-and-named", "empty-default", "delete-last", "drop"],
)
def test_every_commit_leaves_the_merged_and_the_default_graph_as_a_reload_would(
    writer: Writer, step: str, found: int
) -> None:
    """The writes run in order on one store: after each, the merged graph is what a reload computes, and a query
    naming no dataset finds each statement once (the default graph is the merge of every graph)."""
    assert commit(writer, step)
    store = writer.store
    assert merged(store) == reloaded_merged(store), step
    said = answers(store, "SELECT ?p ?o WHERE { <https://example.org/said> ?p ?o }")
    assert len(said) == len(set(said)) == found, said
    every = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    rows = answers(store, every)
    assert len(rows) == len(set(rows)), "a triple repeated in the default graph"
    graphs = [g for g in store.graphs() if g != MERGED_GRAPH]
    distinct = answers(store, every.replace("SELECT", "SELECT DISTINCT"), default_graphs=graphs)
    stated_in_default = [
        (q.subject.value, q.predicate.value, q.object.value) for q in store.match(None, None, None, ox.DefaultGraph())
    ]
    assert set(rows) == set(distinct) | set(stated_in_default)


@pytest.fixture(scope="module")
def writer() -> Writer:
    settings = get_settings()
    return Writer(build_store(settings), settings)


#: Writes to a store on disk in a process of its own, which prints the version they leave: the process ends, and
#: with it the engine's lock on the folder, as a server stopped before the store is opened again.
WRITE_ON_DISK = """
import sys
import pyoxigraph as ox
from ilrs.graph.loader import build_store
from ilrs.graph.settings import get_settings
from ilrs.graph.writer import Writer
from pathlib import Path
settings = get_settings().model_copy(update={"store_dir": Path(sys.argv[1]), "reload_store": False})
store = build_store(settings)
writer = Writer(store, settings)
writer.update(sys.argv[2], editor="test")
triples = ox.parse(sys.argv[3] + " .", format=ox.RdfFormat.N_TRIPLES)
default = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
writer.write_graph("merge", "", default, editor="test")
print(store.version)
"""


def test_a_store_on_disk_reopened_keeps_its_merged_and_default_graph(tmp_path: Path) -> None:
    """Written, closed and opened again from ``--store DIR`` (kept, not reloaded): the merged graph is still exact,
    and the default graph still answers from it."""
    folder = tmp_path / "store"
    insert = f"INSERT DATA {{ GRAPH <urn:x:one> {{ {TWICE} }} }}"
    done = subprocess.run(
        [sys.executable, "-c", WRITE_ON_DISK, str(folder), insert, DEFAULT], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    version = done.stdout.strip()
    reopened = build_store(get_settings().model_copy(update={"store_dir": folder, "reload_store": False}))
    assert reopened.version == version
    assert merged(reopened) == reloaded_merged(reopened)
    said = answers(reopened, "SELECT ?o WHERE { <https://example.org/said> ?p ?o } ORDER BY ?o")
    assert said == [("the default graph",), ("two graphs",)]
    recorded = answers(reopened, f"SELECT ?v WHERE {{ <{CHANGELOG_GRAPH}> <{VERSION_PREDICATE}> ?v }}")
    assert recorded == [(version,)]  # the changelog is part of the default graph


def test_an_updates_where_reads_each_triple_once_as_a_query_does(writer: Writer) -> None:
    """The default graph of an update's ``WHERE`` is the merge of the graphs too: a label five articles state
    is counted once, as the same pattern in a query counts it."""
    pattern = f'?x <{RDFS}label> "International Lunar Research Station"@en'
    (queried,) = answers(writer.store, f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
    text = (
        "INSERT { GRAPH <urn:x:counted> { <urn:x:labels> <urn:x:count> ?n } }"
        f" WHERE {{ SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }} }}"
    )
    assert commit(writer, text)
    (counted,) = answers(writer.store, "SELECT ?n WHERE { GRAPH <urn:x:counted> { ?s ?p ?n } }")
    assert counted == queried == ("1",)
    assert commit(writer, "DROP GRAPH <urn:x:counted>")
