"""The dataset's own description in VoID and DCAT, with live statistics from :mod:`graph.stats`.

The numbers are exactly those of :func:`graph.stats.compute_stats`: ``void:triples`` is
the number of quads (a triple held by two graphs counts twice, as in each
``void:subset``); a class partition's ``void:entities`` is its distinct instances. The
dataset's own ``void:entities`` counts the distinct subjects in ``void:uriSpace``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from .derived import DESCRIPTIONS
from .formats import JSONLD, NQUADS, TRIG, Format
from .namespaces import ID, ILRS, PREFIXES, SOURCES_GRAPH
from .settings import BASE_IRI
from .stats import Stats, compute_stats
from .store import Store

#: The dataset's IRI (``/dataset`` and ``/.well-known/void`` on the server describe it).
DATASET_IRI = f"{BASE_IRI}dataset"

_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_VOID = "http://rdfs.org/ns/void#"
_DCAT = "http://www.w3.org/ns/dcat#"
_DCT = "http://purl.org/dc/terms/"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_IANA = "https://www.iana.org/assignments/media-types/"

DATASET_TITLE = "ILRS Knowledge Graph"
DATASET_DESCRIPTION = (
    "What public sources say about the International Lunar Research Station: partners, agreements, "
    "missions and phases, each statement in the named graph of the article that states it."
)
#: Who makes the dataset (as the ontology's ``dcterms:creator`` says).
DATASET_CREATOR = "ILRS Knowledge Graph contributors"

_DUMP_TITLES = {
    TRIG: "The whole dataset as TriG (one named graph per source)",
    NQUADS: "The whole dataset as N-Quads",
    JSONLD: "The whole dataset as expanded JSON-LD (one @graph per named graph)",
}
#: The whole-dataset dumps: file name → (format, title); one per format that holds named graphs.
DUMPS: dict[str, tuple[Format, str]] = {f"ilrs.{f.extensions[0]}": (f, title) for f, title in _DUMP_TITLES.items()}


@dataclass(frozen=True)
class Endpoints:
    """Where this server offers the SPARQL endpoint and the dumps (absolute URLs)."""

    sparql: str
    dumps: dict[str, str]
    ontology: str
    shapes: str


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n(f"{_XSD}integer"))


def _entities(store: Store) -> int:
    query = f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{ID}")) }}'
    rows = list(store.query(query))  # type: ignore[arg-type]
    return int(rows[0]["n"].value) if rows else 0


def _sources(store: Store) -> dict[str, str]:
    """Source graph → the source document it was derived from."""
    query = f"""SELECT ?g ?doc WHERE {{ GRAPH <{SOURCES_GRAPH}> {{
        ?g <http://www.w3.org/ns/prov#wasDerivedFrom> ?doc FILTER(isIRI(?g) && isIRI(?doc)) }} }} ORDER BY ?g"""
    return {row["g"].value: row["doc"].value for row in store.query(query)}  # type: ignore[union-attr]


def _documents(store: Store) -> list[str]:
    query = f"SELECT DISTINCT ?d WHERE {{ ?d a <{ILRS.SourceDocument}> FILTER(isIRI(?d)) }} ORDER BY ?d"
    return [row["d"].value for row in store.query(query)]  # type: ignore[union-attr]


def _vocabularies(store: Store) -> list[str]:
    """The namespaces (of :data:`PREFIXES`) whose terms the data uses as predicates or classes."""
    query = "SELECT DISTINCT ?t WHERE { { ?s ?t ?o } UNION { ?s a ?t FILTER(isIRI(?t)) } }"
    used = {row["t"].value for row in store.query(query)}  # type: ignore[union-attr]
    return sorted({ns for ns in PREFIXES.values() if any(t.startswith(ns) for t in used)})


def describe_dataset(
    store: Store, endpoints: Endpoints, license_iri: str, stats: Stats | None = None
) -> list[ox.Triple]:
    """VoID + DCAT triples describing the dataset held by ``store``."""
    stats = stats or compute_stats(store)
    ds = _n(DATASET_IRI)
    out: list[ox.Triple] = []

    def add(s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal) -> None:
        out.append(ox.Triple(s, _n(p), o))

    out.append(ox.Triple(ds, _RDF_TYPE, _n(f"{_VOID}Dataset")))
    out.append(ox.Triple(ds, _RDF_TYPE, _n(f"{_DCAT}Dataset")))
    add(ds, f"{_DCT}title", ox.Literal(DATASET_TITLE, language="en"))
    add(ds, f"{_DCT}description", ox.Literal(DATASET_DESCRIPTION, language="en"))
    add(ds, f"{_DCT}license", _n(license_iri))
    add(ds, f"{_VOID}triples", _int(stats.total))
    add(ds, f"{_VOID}entities", _int(_entities(store)))
    add(ds, f"{_VOID}sparqlEndpoint", _n(endpoints.sparql))
    add(ds, f"{_VOID}uriSpace", ox.Literal(str(ID)))
    for vocabulary in _vocabularies(store):
        add(ds, f"{_VOID}vocabulary", _n(vocabulary))
    # Blank nodes are labelled by what they stand for: the same dataset gives the same bytes (one ETag).
    for number, (name, url) in enumerate(endpoints.dumps.items()):
        add(ds, f"{_VOID}dataDump", _n(url))
        fmt, title = DUMPS[name]
        dist = ox.BlankNode(f"dump{number}")
        add(ds, f"{_DCAT}distribution", dist)
        out.append(ox.Triple(dist, _RDF_TYPE, _n(f"{_DCAT}Distribution")))
        add(dist, f"{_DCT}title", ox.Literal(title, language="en"))
        add(dist, f"{_DCAT}downloadURL", _n(url))
        add(dist, f"{_DCAT}mediaType", _n(f"{_IANA}{fmt.media_type}"))
        add(dist, f"{_DCT}license", _n(license_iri))
    service = ox.BlankNode("sparqlService")
    sparql_dist = ox.BlankNode("sparqlDistribution")
    add(ds, f"{_DCAT}distribution", sparql_dist)
    out.append(ox.Triple(sparql_dist, _RDF_TYPE, _n(f"{_DCAT}Distribution")))
    add(sparql_dist, f"{_DCT}title", ox.Literal("SPARQL 1.1 endpoint", language="en"))
    add(sparql_dist, f"{_DCAT}accessURL", _n(endpoints.sparql))
    add(sparql_dist, f"{_DCAT}accessService", service)
    out.append(ox.Triple(service, _RDF_TYPE, _n(f"{_DCAT}DataService")))
    add(service, f"{_DCAT}endpointURL", _n(endpoints.sparql))
    add(ds, f"{_DCT}conformsTo", _n(endpoints.ontology))
    add(ds, f"{_DCT}conformsTo", _n(endpoints.shapes))

    for number, (class_iri, count) in enumerate(stats.classes.items()):
        partition = ox.BlankNode(f"classPartition{number}")
        add(ds, f"{_VOID}classPartition", partition)
        add(partition, f"{_VOID}class", _n(class_iri))
        add(partition, f"{_VOID}entities", _int(count))
    derived = _sources(store)
    for graph, count in stats.graphs.items():
        subset = _n(graph)
        add(ds, f"{_VOID}subset", subset)
        out.append(ox.Triple(subset, _RDF_TYPE, _n(f"{_VOID}Dataset")))
        add(subset, f"{_VOID}triples", _int(count))
        if graph in derived:
            add(subset, f"{_DCT}source", _n(derived[graph]))
        if graph in DESCRIPTIONS:  # the inferred and merged graphs: say what they hold
            title, description = DESCRIPTIONS[graph]
            add(subset, f"{_DCT}title", ox.Literal(title, language="en"))
            add(subset, f"{_DCT}description", ox.Literal(description, language="en"))
    for document in _documents(store):
        add(ds, f"{_DCT}source", _n(document))
    return out
