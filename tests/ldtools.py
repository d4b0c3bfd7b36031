"""Helpers of the linked-data and JSON-LD tests: a fetch-refusing JSON-LD loader, RDF parsing, expected triples.

Expected triples are read from the dataset with plain SPARQL, independently of the
server's own description code, so the tests compare two different paths to the data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox
from checkout import PROJECT_ROOT
from pyld import jsonld

from ilrs.graph.jsonld import CONTEXT_VERSION, LOCAL_URL
from ilrs.graph.store import Store

CONTEXT_FILE = PROJECT_ROOT / "graph" / "context.jsonld"
CANONICAL_CONTEXT = "https://w3id.org/ilrs/context.jsonld"
#: The path of the context every document names: the current version's.
CONTEXT_PATH = f"/context/{CONTEXT_VERSION}.jsonld"
ID = "https://w3id.org/ilrs/id/"
ILRS = "https://w3id.org/ilrs/ontology#"


def strict_loader(*context_urls: str) -> Callable[..., dict[str, Any]]:
    """A pyld document loader serving the local context file for ``context_urls`` and refusing any other URL."""
    known = {CANONICAL_CONTEXT, *context_urls}

    def load(url: str, options: Any = None) -> dict[str, Any]:
        if url not in known:
            raise AssertionError(f"a remote document was requested: {url}")
        document = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": document}

    return load


def jsonld_triples(document: Any, *context_urls: str) -> set[ox.Triple]:
    """The triples a JSON-LD document means, by pyld's toRDF with :func:`strict_loader`."""
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": strict_loader(*context_urls)})
    return nquads_triples(nquads)


def nquads_triples(text: str) -> set[ox.Triple]:
    """The triples of an N-Quads text (graph names dropped)."""
    quads = ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    return {ox.Triple(q.subject, q.predicate, q.object) for q in quads}


def parse_triples(body: bytes, media_type: str) -> set[ox.Triple]:
    """The triples of a Turtle or N-Triples body."""
    fmt = ox.RdfFormat.from_media_type(media_type.split(";")[0])
    assert fmt is not None, media_type
    return {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, format=fmt)}


def outgoing(store: Store, iri: str) -> set[ox.Triple]:
    """``iri``'s outgoing triples in the union of all graphs (what its RDF representations must hold)."""
    result = store.query(f"CONSTRUCT {{ <{iri}> ?p ?o }} WHERE {{ <{iri}> ?p ?o }}")
    return set(result)  # type: ignore[arg-type]


def incoming(store: Store, iri: str) -> set[ox.Triple]:
    """The triples of the union of all graphs whose object is ``iri`` (the statements pointing at it)."""
    result = store.query(f"CONSTRUCT {{ ?s ?p <{iri}> }} WHERE {{ ?s ?p <{iri}> }}")
    return set(result)  # type: ignore[arg-type]


def graph_triples(store: Store, graph: str) -> set[ox.Triple]:
    """The triples of one named graph."""
    result = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return set(result)  # type: ignore[arg-type]


def select(store: Store, sparql: str) -> list[str]:
    """The values of the first variable of a SELECT, as strings."""
    result = store.query(sparql)
    return [str(getattr(row[0], "value", row[0])) for row in result]  # type: ignore[union-attr]


def _canonical(triples: set[ox.Triple]) -> ox.Dataset:
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return dataset


def assert_same_triples(got: set[ox.Triple], expected: set[ox.Triple]) -> None:
    """Equal as sets when there are no blank nodes, else isomorphic."""

    def has_bnode(ts: set[ox.Triple]) -> bool:
        return any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in ts)

    if has_bnode(got) or has_bnode(expected):
        assert len(got) == len(expected)
        assert _canonical(got) == _canonical(expected), "not isomorphic"
    else:
        assert {str(t) for t in got - expected} == set(), "triples that should not be there"
        assert {str(t) for t in expected - got} == set(), "triples missing"


MERGED_GRAPH = "https://w3id.org/ilrs/graph/merged"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def jsonld_quads(document: Any, *context_urls: str) -> set[ox.Quad]:
    """The quads a JSON-LD document means (default graph and named graphs), by pyld's toRDF."""
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": strict_loader(*context_urls)})
    return nquads_quads(nquads)


def nquads_quads(text: str) -> set[ox.Quad]:
    return set(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS))


def stated_quads(store: Store, iris: list[str]) -> set[ox.Quad]:
    """The quads whose subject is one of ``iris``, in every named graph but the merged one."""
    values = " ".join(f"<{i}>" for i in iris)
    query = (
        f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
        f"FILTER(?g != <{MERGED_GRAPH}>) }}"
    )
    return {ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in store.query(query)}  # type: ignore[union-attr]


def assert_sources_and_labels(quads: set[ox.Quad], store: Store, iris: list[str]) -> set[ox.Triple]:
    """The document's named graphs hold exactly the store's quads about ``iris`` (each value with the graphs
    that state it), and its default graph, besides ``iris``' own triples, only labels the store holds; returns
    the default graph's triples about ``iris``."""
    named = {q for q in quads if isinstance(q.graph_name, ox.NamedNode) and q.subject.value in iris}
    assert named == stated_quads(store, iris)
    assert all(isinstance(q.graph_name, ox.DefaultGraph) for q in quads - named)
    default = {ox.Triple(q.subject, q.predicate, q.object) for q in quads if isinstance(q.graph_name, ox.DefaultGraph)}
    # Where this server dereferences each resource (localUrl) is about the document, not the store's data.
    default = {t for t in default if t.predicate.value != LOCAL_URL}
    own = {t for t in default if isinstance(t.subject, ox.NamedNode) and t.subject.value in iris}
    labels = {t for t in default - own if t.predicate.value == RDFS_LABEL}
    # The statements pointing at a resource (in its own document) are the store's too.
    pointing = {
        t
        for t in default - own - labels
        if isinstance(t.object, ox.NamedNode)
        and t.object.value in iris
        and not t.predicate.value.startswith("http://www.w3.org/ns/hydra/core#")  # a collection's members
    }
    for triple in labels | pointing:
        assert bool(store.query(f"ASK {{ {triple.subject} {triple.predicate} {triple.object} }}")), triple
    return own | (default - own - labels - pointing)
