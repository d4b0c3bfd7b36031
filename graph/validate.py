"""SHACL validation of the whole dataset with pyshacl.

The data graph is the union of every asserted named graph in the store (the derived
graphs of :mod:`graph.derived` follow from it and are left out), plus one
``rdf:type ilrs:SourceGraph`` statement for every named graph under
``…/graph/source/``: that way the shapes, not code, check that every fact graph
is described and derived from a source document.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from .derived import is_derived
from .namespaces import GRAPH, ILRS
from .settings import Settings
from .store import Store

SOURCE_GRAPH_PREFIX = f"{GRAPH}source/"


@dataclass(frozen=True)
class Violation:
    """One SHACL result: what is wrong (``message``), where (``focus``, ``path``) and by which shape."""

    severity: str
    focus: str
    path: str | None
    message: str
    shape: str
    value: str | None = None

    def __str__(self) -> str:
        where = f"{self.focus}" + (f"  {self.path}" if self.path else "")
        value = f"  (value: {self.value})" if self.value is not None else ""
        return f"{self.severity}: {where}\n    {self.message}{value}\n    shape: {self.shape}"


@dataclass(frozen=True)
class Report:
    """The outcome of a validation run."""

    conforms: bool
    violations: list[Violation]
    triples: int

    def to_text(self) -> str:
        if self.conforms:
            return f"conforms: {self.triples} triples checked against the shapes, no violations"
        lines = [f"does not conform: {len(self.violations)} violation(s) in {self.triples} triples", ""]
        lines += [str(v) for v in self.violations]
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(
            {"conforms": self.conforms, "triples": self.triples, "violations": [asdict(v) for v in self.violations]},
            indent=2,
            ensure_ascii=False,
        )


def load_shapes(shapes_dir: Path) -> Graph:
    """Every ``*.ttl`` file of the shapes folder, as one rdflib graph."""
    shapes = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        shapes.parse(path, format="turtle")
    return shapes


def data_graph(store: Store) -> Graph:
    """The union of the asserted named graphs (not the derived ones), each source graph typed ``ilrs:SourceGraph``."""
    nt = ox.serialize(
        (ox.Triple(q.subject, q.predicate, q.object) for q in store.quads() if not is_derived(q.graph_name)),
        format=ox.RdfFormat.N_TRIPLES,
    )
    graph = Graph()
    graph.parse(data=nt, format="nt")
    for name in store.graphs():
        if name.startswith(SOURCE_GRAPH_PREFIX):
            graph.add((URIRef(name), RDF.type, ILRS.SourceGraph))
    return graph


def validate_graph(data: Graph, shapes: Graph, ontology: Graph | None = None) -> Report:
    """Validate ``data`` against ``shapes``; the ontology supplies subclass knowledge for ``sh:class``."""
    conforms, results, _ = shacl_validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True, allow_warnings=True
    )
    return Report(bool(conforms), _violations(results), len(data))


def validate_store(store: Store, settings: Settings) -> Report:
    """Validate everything the store holds against the project's shapes."""
    return validate_graph(data_graph(store), load_shapes(settings.shapes_dir))


def _violations(results: Graph) -> list[Violation]:
    def opt(node: object) -> str | None:
        return None if node is None else str(node)

    found = []
    # Only the report's own results: nested sh:detail results explain a parent and are not repeated.
    report = results.value(predicate=RDF.type, object=SH.ValidationReport)
    for result in results.objects(report, SH.result):
        severity = results.value(result, SH.resultSeverity)
        found.append(
            Violation(
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                focus=str(results.value(result, SH.focusNode)),
                path=opt(results.value(result, SH.resultPath)),
                message=str(results.value(result, SH.resultMessage) or "constraint violated"),
                shape=str(results.value(result, SH.sourceShape)),
                value=opt(results.value(result, SH.value)),
            )
        )
    return sorted(found, key=lambda v: (v.focus, v.path or "", v.message))
