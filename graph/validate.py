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
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from .derived import is_derived
from .namespaces import GRAPH, ILRS
from .settings import Settings
from .store import Store

if TYPE_CHECKING:
    from .staging import Delta, StagedStore

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

    def to_dict(self) -> dict[str, Any]:
        return {"conforms": self.conforms, "triples": self.triples, "violations": [asdict(v) for v in self.violations]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


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


# --- validating a write ----------------------------------------------------------------------------


def validate_change(view: StagedStore, delta: Delta, shapes: Graph, ontology: Graph) -> tuple[Report, Graph]:
    """Validate what ``delta`` touches in the staged ``view``: its report and the SHACL results graph.

    The focus nodes are the subjects and objects of the changed triples, the nodes pointing at a
    changed subject (whose ``sh:class`` or ``sh:node`` checks read it) and the source graphs
    written to. The data graph holds their neighbourhood (their statements, those pointing at them,
    the types of their values, blank nodes whole) and the ontology (for subclasses): its size, so
    the cost, follows what the write touches, not the size of the graph.
    """
    changed = delta.added | delta.removed
    subjects = {q[0] for q in changed}
    focus = subjects | {q[2] for q in changed if not isinstance(q[2], Literal)}
    for node in subjects:
        focus |= {q[0] for q in view.match((None, None, node), None)}
    graphs = {q[3] for q in changed if str(q[3]).startswith(SOURCE_GRAPH_PREFIX)}
    focus |= graphs
    data = Graph()
    for triple in ontology:
        data.add(triple)
    for name in graphs:
        data.add((name, RDF.type, ILRS.SourceGraph))
    # The focus nodes: everything in and out. Their values: their types (what sh:class reads; the shapes
    # check other resources only through sh:class), or everything out for a blank node, which has no
    # description of its own: so a hub next to a write (a country that thousands of statements describe)
    # does not weigh on it.
    frontier = set(focus)
    for depth in range(3):
        reached = set()
        for node in frontier:
            whole = depth == 0 or isinstance(node, BNode)
            for s, p, o, _ in view.match((node, None if whole else RDF.type, None), None):
                data.add((s, p, o))
                if whole and not isinstance(o, Literal):
                    reached.add(o)
            if depth == 0:
                for s, p, o, _ in view.match((None, None, node), None):
                    data.add((s, p, o))
        frontier = reached
    # Every node of the neighbourhood is validated, and only the focus nodes' results are kept: the outer
    # nodes lack what lies beyond the neighbourhood. (pyshacl's focus_nodes option would be cheaper, but it
    # also filters the value nodes of nested shapes, so that every sh:not fails.)
    _, results, _ = shacl_validate(data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
    _keep_focus(results, {str(n) for n in focus})
    violations = _violations(results)
    return Report(not violations, violations, len(data)), results


def _keep_focus(results: Graph, focus: set[str]) -> None:
    """Drop from the SHACL results graph the results about nodes outside ``focus``."""
    report = results.value(predicate=RDF.type, object=SH.ValidationReport)
    assert report is not None
    for result in list(results.objects(report, SH.result)):
        if str(results.value(result, SH.focusNode)) not in focus:
            results.remove((report, SH.result, result))
            _drop_tree(results, result)
    conforms = not any(True for _ in results.objects(report, SH.result))
    results.set((report, SH.conforms, Literal(conforms)))


def _drop_tree(graph: Graph, node: Node) -> None:
    for _, p, o in list(graph.triples((node, None, None))):
        graph.remove((node, p, o))
        if p == SH.detail or (isinstance(o, BNode) and p != SH.sourceShape):
            _drop_tree(graph, o)
