"""The terms a vocabulary graph defines (classes, properties, shapes, concepts), for human-readable listings."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from .describe import best_label, is_iri
from .settings import BASE_IRI
from .store import Store

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_SH = "http://www.w3.org/ns/shacl#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"

#: Kinds of term listed, in display order, with their section titles.
KINDS: dict[str, str] = {
    f"{_OWL}Ontology": "Ontology",
    f"{_OWL}Class": "Classes",
    f"{_RDFS}Class": "Classes",
    f"{_OWL}ObjectProperty": "Object properties",
    f"{_OWL}DatatypeProperty": "Datatype properties",
    f"{_OWL}AnnotationProperty": "Annotation properties",
    f"{_RDF}Property": "Properties",
    f"{_SH}NodeShape": "Node shapes",
    f"{_SKOS}ConceptScheme": "Concept schemes",
    f"{_SKOS}Concept": "Concepts",
}
#: Relations shown beside each term, with their display names.
RELATIONS: dict[str, str] = {
    f"{_RDFS}subClassOf": "subclass of",
    f"{_RDFS}subPropertyOf": "subproperty of",
    f"{_RDFS}domain": "domain",
    f"{_RDFS}range": "range",
    f"{_SH}targetClass": "target class",
    f"{_SH}path": "constrains",
}


@dataclass
class TermInfo:
    """One defined term: its labels, definitions and main relations (``relation name → IRIs``)."""

    iri: str
    section: str
    labels: list[ox.Literal] = field(default_factory=list)
    definitions: list[ox.Literal] = field(default_factory=list)
    relations: dict[str, list[str]] = field(default_factory=dict)

    @property
    def label(self) -> str | None:
        return best_label(self.labels)

    @property
    def anchor(self) -> str:
        """The fragment of a hash IRI (``party`` for ``…/ontology#party``), else the whole IRI."""
        return self.iri.rpartition("#")[2] or self.iri


def _rows(store: Store, sparql: str) -> ox.QuerySolutions:
    result = store.query(sparql)
    if not isinstance(result, ox.QuerySolutions):  # pragma: no cover - SELECT only
        raise TypeError("expected SELECT solutions")
    return result


def vocabulary_terms(store: Store, graph: str) -> dict[str, list[TermInfo]]:
    """The IRI terms defined in ``graph``, by section title (in :data:`KINDS` order), ours first, then by IRI."""
    if not is_iri(graph):
        raise ValueError(f"not an IRI: {graph!r}")
    kinds = " ".join(f"<{k}>" for k in KINDS)
    terms: dict[str, TermInfo] = {}
    for row in _rows(
        store, f"SELECT ?t ?k WHERE {{ GRAPH <{graph}> {{ VALUES ?k {{ {kinds} }} ?t a ?k FILTER(isIRI(?t)) }} }}"
    ):
        iri = row["t"].value
        section = KINDS[row["k"].value]
        if iri not in terms or list(KINDS.values()).index(section) < list(KINDS.values()).index(terms[iri].section):
            terms[iri] = TermInfo(iri, section)
    texts = f"""
        SELECT ?t ?what ?text WHERE {{ GRAPH <{graph}> {{
          {{ ?t <{_RDFS}label>|<{_SKOS}prefLabel> ?text BIND("label" AS ?what) }}
          UNION {{ ?t <{_SKOS}definition>|<{_RDFS}comment> ?text BIND("definition" AS ?what) }}
          FILTER(isLiteral(?text))
        }} }}"""
    for row in _rows(store, texts):
        term = terms.get(row["t"].value)
        if term is not None:
            (term.labels if row["what"].value == "label" else term.definitions).append(row["text"])
    relations = " ".join(f"<{r}>" for r in RELATIONS if r != f"{_SH}path")
    related = f"""
        SELECT DISTINCT ?t ?rel ?v WHERE {{ GRAPH <{graph}> {{
          {{ VALUES ?rel {{ {relations} }} ?t ?rel ?x
             OPTIONAL {{ ?x <{_OWL}unionOf>/<{_RDF}rest>*/<{_RDF}first> ?member }}
             BIND(COALESCE(?member, ?x) AS ?v) }}
          UNION {{ ?t <{_SH}property>/<{_SH}path> ?v BIND(<{_SH}path> AS ?rel) }}
          FILTER(isIRI(?v))
        }} }} ORDER BY ?v"""
    for row in _rows(store, related):
        term = terms.get(row["t"].value)
        if term is not None:
            term.relations.setdefault(RELATIONS[row["rel"].value], []).append(row["v"].value)
    sections: dict[str, list[TermInfo]] = {}
    for section in dict.fromkeys(KINDS.values()):
        # The project's own terms first, then the external ones it declares or reuses.
        members = sorted(
            (t for t in terms.values() if t.section == section), key=lambda t: (not t.iri.startswith(BASE_IRI), t.iri)
        )
        if members:
            sections[section] = members
    return sections
