"""Writes and the inferred graph: updates read it as queries do, and every commit keeps it current.

The server tests drive a real process over HTTP; the last test commits writes through
:class:`~ilrs.graph.writer.Writer` and compares the inferred graph, after each, with the one a
reload would compute from everything asserted.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
from servers import LiveServer
from writing import Writable, state, writable_server, write_token

from ilrs.graph.derived import INFERRED_GRAPH, entailed, is_derived
from ilrs.graph.loader import build_store
from ilrs.graph.settings import get_settings
from ilrs.graph.store import CHANGELOG_GRAPH, Store
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
