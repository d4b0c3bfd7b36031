"""Namespaces and IRI minting, shared by every module.

Instance IRIs are readable and stable: ``{BASE}id/{kind}/{key}``, e.g.
``https://w3id.org/ilrs/id/country/PK`` or ``https://w3id.org/ilrs/id/mission/change-7``.
Named graphs live under ``{BASE}graph/``.
"""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SDO, SH, SKOS, TIME, VOID, XSD

from .settings import BASE_IRI

ILRS = Namespace(f"{BASE_IRI}ontology#")
"""The ontology's terms, e.g. ``ILRS.SpaceAgency``."""

ONTOLOGY_IRI = f"{BASE_IRI}ontology"
SHAPES_IRI = f"{BASE_IRI}shapes"
ID = Namespace(f"{BASE_IRI}id/")
GRAPH = Namespace(f"{BASE_IRI}graph/")

#: Named graphs that are not a source article's.
ONTOLOGY_GRAPH = GRAPH["ontology"]
SOURCES_GRAPH = GRAPH["sources"]
COUNTRIES_GRAPH = GRAPH["reference/countries"]
#: Derived at load time (:mod:`graph.derived`): what RDFS entails, and every claim once.
INFERRED_GRAPH = GRAPH["inferred"]
MERGED_GRAPH = GRAPH["merged"]
#: The ontology's individual standing for the store's default graph, which has no IRI of its own: the
#: changelog names it as the graph an edit of the default graph changed.
DEFAULT_GRAPH = ILRS["DefaultGraph"]

#: The kinds of instances: each is minted as ``{ID}{kind}/{key}`` and has the prefix ``{kind}:``.
INSTANCE_KINDS = (
    "activity", "agency", "agreement", "announcement", "application", "count", "counted", "country", "event",
    "facility", "goal", "mission", "organization", "payload", "person", "phase", "place", "position", "program",
    "source", "status", "target",
)  # fmt: skip

#: The one prefix table: declared for every SPARQL query (``ilrs query``, the query UI) and every
#: serialization. It holds every prefix the data, ontology and shapes files declare, with the same
#: IRI (``tests/test_namespaces.py`` checks it): ``country:PK`` works in a query as in a file.
PREFIXES: dict[str, str] = {
    "ilrs": str(ILRS),
    "ilrsh": f"{SHAPES_IRI}#",
    "id": str(ID),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "org": str(ORG),
    "schema": str(SDO),
    "foaf": str(FOAF),
    "time": str(TIME),
    "vann": "http://purl.org/vocab/vann/",
    "sh": str(SH),
    "void": str(VOID),
    "dcat": str(DCAT),
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    **{kind: f"{ID}{kind}/" for kind in INSTANCE_KINDS},
    "sourcegraph": f"{GRAPH}source/",
}


def mint(kind: str, key: str) -> str:
    """The IRI of an instance: ``mint("country", "PK")`` → ``…/id/country/PK``."""
    return f"{ID}{kind}/{key}"


def source_graph(source_id: str) -> str:
    """The named graph holding the facts of one source article, e.g. ``…/graph/source/003``."""
    return f"{GRAPH}source/{source_id}"


def sparql_prologue() -> str:
    """``PREFIX`` lines for every namespace in :data:`PREFIXES`."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
