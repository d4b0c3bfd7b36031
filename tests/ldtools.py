"""Helpers of the linked-data and JSON-LD tests: a fetch-refusing JSON-LD loader, RDF parsing, expected triples.

Expected triples are read from the dataset with plain SPARQL, independently of the
server's own description code, so the tests compare two different paths to the data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

from ilrs.graph.jsonld import CONTEXT_VERSION
from ilrs.graph.settings import PROJECT_ROOT
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
