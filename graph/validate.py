"""SHACL validation of the whole dataset with pyshacl.

The data graph is the union of every asserted named graph in the store (the derived
graphs of :mod:`graph.derived` follow from it and are left out), plus one
``rdf:type ilrs:SourceGraph`` statement for every named graph under
``…/graph/source/``: that way the shapes, not code, check that every fact graph
is described and derived from a source document.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Collection
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from pyshacl.pytypes import SHACLExecutor
from pyshacl.shapes_graph import ShapesGraph
from pyshacl.validator import Validator
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from .derived import is_derived
from .loader import dataset_files
from .locate import Locator
from .namespaces import GRAPH, ILRS
from .settings import Settings
from .store import Store

if TYPE_CHECKING:
    from .staging import Delta, StagedStore

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


# --- validating a write ----------------------------------------------------------------------------


class _FocusGraph(Graph):
    """A write's data graph, whose SPARQL queries (the shapes' ``sh:select``, the same few every time)
    are parsed once per process rather than once per write."""

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if isinstance(query_object, str):
            query_object = _prepared(query_object)
        return super().query(query_object, *args, **kwargs)


@functools.lru_cache(maxsize=64)
def _prepared(text: str) -> Query:
    return prepareQuery(text)


class ChangeValidator:
    """The shapes, read once, validating chosen focus nodes of the small data graphs that writes build.

    pyshacl's own ``focus_nodes`` option also filters the value nodes that nested shapes check (so
    that every ``sh:not`` would fail); here each shape's targets are found in the data graph and
    only those among the focus nodes are validated, nested shapes then seeing every value.
    """

    def __init__(self, shapes: Graph, defined: Collection[str] = ()) -> None:
        """``defined``: the ``ilrs:`` terms the ontology defines (a write may use no other)."""
        self.shapes = shapes
        self.defined = frozenset(defined)
        # ShapesGraph adds two system triples to the graph it reads: give it a copy.
        self._shapes_graph = ShapesGraph(shapes + Graph())
        self._node_shapes = list(self._shapes_graph.shapes)
        for shape in self._node_shapes:
            shape.set_advanced(True)

    def validate(self, data: Graph, focus: set[Node]) -> Graph:
        """The SHACL validation report (a results graph) of the ``focus`` nodes of ``data``."""
        executor = SHACLExecutor(advanced_mode=True, allow_warnings=True)
        conforms, results = True, []
        for shape in self._node_shapes:
            targeted = [node for node in shape.focus_nodes(data) if node in focus]
            if targeted:
                shape_conforms, shape_results = shape.validate(executor, data, focus=targeted)
                conforms = conforms and shape_conforms
                results.extend(shape_results)
        report, _ = Validator.create_validation_report(self._shapes_graph, conforms, results)
        return report


def validate_change(view: StagedStore, delta: Delta, validator: ChangeValidator) -> tuple[Report, Graph]:
    """Validate what ``delta`` touches in the staged ``view``: its report and the SHACL results graph.

    The focus nodes are the subjects and objects of the changed triples, the nodes pointing at a
    changed subject (whose ``sh:class`` or ``sh:node`` checks read it) and the source graphs
    written to. The data graph holds their neighbourhood (their statements, those pointing at them,
    the types of their values, blank nodes whole) and every ``rdfs:subClassOf`` axiom of the staged
    view (what ``sh:targetClass`` and ``sh:class`` follow): its size, so the cost, follows what the
    write touches, not the size of the graph. Only the focus nodes are validated: the outer nodes
    lack what lies beyond the neighbourhood.
    """
    changed = delta.added | delta.removed
    subjects = {q[0] for q in changed}
    focus = subjects | {q[2] for q in changed if not isinstance(q[2], Literal)}
    for node in subjects:
        focus |= {q[0] for q in view.match((None, None, node), None)}
    graphs = {q[3] for q in changed if str(q[3]).startswith(SOURCE_GRAPH_PREFIX)}
    focus |= graphs
    data = _FocusGraph()
    for s, p, o, _ in view.match((None, RDFS.subClassOf, None), None):
        data.add((s, p, o))
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
    results = validator.validate(data, focus)
    _add_undefined_terms(results, delta, validator.defined)
    violations = _violations(results, validator.shapes)
    return Report(not violations, violations, len(data)), results


def _add_undefined_terms(results: Graph, delta: Delta, defined: frozenset[str]) -> None:
    """Add to the SHACL results one violation per ``ilrs:`` predicate or object that the write adds and the
    ontology does not define (a misspelt property or class), as ``ilrs check`` reports them for the files."""
    report = results.value(predicate=RDF.type, object=SH.ValidationReport)
    assert report is not None
    for s, p, o, _ in delta.added:
        for term in (p, o):
            if not (isinstance(term, URIRef) and term.startswith(ILRS) and str(term) not in defined):
                continue
            result = BNode()
            results.add((report, SH.result, result))
            results.add((report, SH.conforms, Literal(False)))
            results.remove((report, SH.conforms, Literal(True)))
            for predicate, value in (
                (RDF.type, SH.ValidationResult),
                (SH.focusNode, s),
                (SH.resultPath, p),
                (SH.value, term),
                (SH.resultSeverity, SH.Violation),
                (SH.sourceShape, URIRef(str(ILRS).rstrip("#"))),
                (SH.resultMessage, Literal(f"ilrs:{term[len(ILRS) :]} is not defined by the ontology", lang="en")),
            ):
                results.add((result, predicate, value))
