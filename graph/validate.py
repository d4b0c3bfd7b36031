"""SHACL validation of the whole dataset with pyshacl.

The data graph is the union of every asserted named graph in the store (the derived
graphs of :mod:`graph.derived` follow from it and are left out), plus one
``rdf:type ilrs:SourceGraph`` statement for every named graph under
``…/graph/source/``: that way the shapes, not code, check that every fact graph
is described and derived from a source document.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from .derived import is_derived
from .loader import dataset_files
from .locate import Locator
from .namespaces import GRAPH, ILRS
from .settings import Settings
from .store import Store

SOURCE_GRAPH_PREFIX = f"{GRAPH}source/"


@dataclass(frozen=True)
class Violation:
    """One SHACL result: what is wrong (``message``), about what (``focus``, ``path``, ``value``), by which
    node shape (its IRI, or the shape's own blank node when no named shape holds it, and its label), and
    where: the named graphs that state it and the ``file:line`` of the statement (or of the focus node)."""

    severity: str
    focus: str
    path: str | None
    message: str
    shape: str
    value: str | None = None
    shape_label: str | None = None
    graphs: tuple[str, ...] = ()
    where: str | None = None

    def __str__(self) -> str:
        about = f"{self.focus}" + (f"  {self.path}" if self.path else "")
        value = f"  (value: {self.value})" if self.value is not None else ""
        shape = self.shape + (f" ({self.shape_label})" if self.shape_label else "")
        lines = [f"{self.severity}: {about}", f"    {self.message}{value}", f"    shape: {shape}"]
        if self.graphs or self.where:
            graphs = ", ".join(f"<{g}>" for g in self.graphs)
            lines.append(
                "    "
                + " ".join(p for p in (f"in {graphs}" if graphs else "", f"at {self.where}" if self.where else "") if p)
            )
        return "\n".join(lines)


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
    return Report(bool(conforms), _violations(results, shapes), len(data))


def validate_store(store: Store, settings: Settings) -> Report:
    """Validate everything the store holds against the project's shapes; each violation says where it is."""
    report = validate_graph(data_graph(store), load_shapes(settings.shapes_dir))
    if report.conforms:
        return report
    files = [f.path for f in dataset_files(settings)]
    locator = Locator(files, root=settings.ontology_dir.parent)
    located = [_locate(v, store, locator) for v in report.violations]
    return Report(report.conforms, located, report.triples)


def _locate(violation: Violation, store: Store, locator: Locator) -> Violation:
    """The violation with the named graphs of the statement it is about, and that statement's ``file:line``."""
    focus = _iri(violation.focus)
    if focus is None:
        return violation
    path = _iri(violation.path)
    value = _iri(violation.value)
    about = [q for q in store.quads() if q.subject == focus and not is_derived(q.graph_name)]
    stated = [q for q in about if q.predicate == path]
    quads = [q for q in stated if violation.value is not None and getattr(q.object, "value", None) == violation.value]
    quads = quads or stated or about
    graphs = tuple(sorted({q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}))
    files = [f for g in graphs for f in locator.files if f.stem == g.rstrip("/").rsplit("/", 1)[-1]]
    if path is not None:  # the statement itself; without a value (a missing or extra one), the property's line
        obj, literal = (violation.value, None) if value is not None else (None, violation.value)
        where = locator.find_triple(violation.focus, path.value, obj, literal, files)
    else:
        where = locator.find(violation.focus, files)
    return replace(violation, graphs=graphs, where=where)


def _iri(text: str | None) -> ox.NamedNode | None:
    """A violation's focus, path or value as an IRI, if it is one (not a literal, a blank node or a complex path)."""
    if text is None or " " in text or not re.match(r"^[a-z][a-z0-9+.\-]*:\S", text):
        return None
    try:
        return ox.NamedNode(text)
    except ValueError:
        return None


def _violations(results: Graph, shapes: Graph) -> list[Violation]:
    def opt(node: object) -> str | None:
        return None if node is None else str(node)

    found = set()
    # Only the report's own results: nested sh:detail results explain a parent and are not repeated.
    report = results.value(predicate=RDF.type, object=SH.ValidationReport)
    for result in results.objects(report, SH.result):
        severity = results.value(result, SH.resultSeverity)
        shape, label = _named_shape(shapes, results.value(result, SH.sourceShape))
        found.add(
            Violation(
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                focus=str(results.value(result, SH.focusNode)),
                path=opt(results.value(result, SH.resultPath)),
                message=str(results.value(result, SH.resultMessage) or "constraint violated"),
                shape=shape,
                value=opt(results.value(result, SH.value)),
                shape_label=label,
            )
        )
    # A set: pyshacl reports a result twice when a focus node is reached by two targets of one shape.
    return sorted(found, key=lambda v: (v.focus, v.path or "", v.message, v.shape))


def _named_shape(shapes: Graph, source: Node | None) -> tuple[str, str | None]:
    """The node shape a result comes from (the one holding a property shape), by IRI, and its label."""
    owner = next(iter(shapes.subjects(SH.property, source)), source) if source is not None else None
    label = shapes.value(owner, RDFS.label) if owner is not None else None
    return str(owner), (str(label) if label is not None else None)
