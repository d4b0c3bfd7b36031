"""The SHACL shapes: a conforming example, and for every shape deliberately broken examples.

``tests/shapes_cases/valid.ttl`` conforms and has an instance of every class. Each case
of ``tests/shapes_cases/negative/{Shape}.ttl`` adds a few resources of its own to it,
broken in one way, and names the result the shapes must report: focus node, result path
and message; the node shape is the file's name. The cases use, undeclared, the prefixes
of :func:`ilrs.graph.conventions.case_prefixes` (one per instance kind). All cases are
validated together in ONE pyshacl run (their resources are disjoint, which a test
checks), so the suite stays fast.

pyshacl runs as the project's validator does (``graph/validate.py``): the data graph is
the union of the ontology, the vocabularies and the data, the ontology is also passed as
``ont_graph``, with ``inference="none"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, SH
from rdflib.term import Node

from ilrs.graph.conventions import NegativeExample as Case
from ilrs.graph.conventions import case_prefixes, load_negative_examples
from ilrs.graph.validate import load_shapes

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "ilrs.ttl"
VOCABULARIES = ROOT / "ontology" / "vocabularies.ttl"
SHAPES_DIR = ROOT / "shapes"
CASES_DIR = Path(__file__).resolve().parent / "shapes_cases"
VALID = CASES_DIR / "valid.ttl"

BASE = "https://w3id.org/ilrs/"
ILRS = BASE + "ontology#"
SHAPES = BASE + "shapes#"
PREFIXES = case_prefixes(load_shapes(SHAPES_DIR))
PROLOGUE = "".join(f"@prefix {prefix}: <{iri}> .\n" for prefix, iri in PREFIXES.items())
PYSHACL = {"inference": "none", "advanced": True, "meta_shacl": False, "allow_warnings": False}


def expand(term: str) -> str:
    """``agency:cnsa`` → its IRI; ``<…>`` → the IRI inside."""
    if term.startswith("<"):
        return term[1:-1]
    prefix, local = term.split(":", 1)
    return PREFIXES[prefix] + local


#: Every broken example, from tests/shapes_cases/negative/{Shape}.ttl (one file per node shape).
CASES: list[Case] = load_negative_examples(CASES_DIR)


# --- running pyshacl ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    focus: Node
    path: str | None
    message: str
    shape: str  #: local name of the node shape the constraint belongs to
    severity: str


def parse_case(case: Case) -> Graph:
    return Graph().parse(data=PROLOGUE + case.turtle, format="turtle")


@pytest.fixture(scope="module")
def valid() -> Graph:
    return Graph().parse(VALID, format="turtle")


@pytest.fixture(scope="module")
def base(ontology: Graph, valid: Graph) -> Graph:
    """Ontology, vocabularies and the conforming example, as one union graph."""
    graph = Graph()
    graph += ontology
    graph.parse(VOCABULARIES, format="turtle")
    graph += valid
    return graph


def run(data: Graph, shapes: Graph, ontology: Graph) -> tuple[bool, Graph, str]:
    conforms, report, text = validate(data, shacl_graph=shapes, ont_graph=ontology, **PYSHACL)
    return bool(conforms), report, text


def render_path(graph: Graph, path: Node | None) -> str | None:
    if path is None:
        return None
    if isinstance(path, BNode):
        inverse = graph.value(path, SH.inversePath)
        assert inverse is not None, f"unexpected complex path {path}"
        return "^" + graph.namespace_manager.curie(inverse)
    return graph.namespace_manager.curie(path)


def owner(shapes: Graph, source_shape: Node) -> str:
    """The node shape a property shape (or the node shape itself) belongs to."""
    node = next(iter(shapes.subjects(SH.property, source_shape)), source_shape)
    return str(node).removeprefix(SHAPES)


def results(report: Graph, shapes: Graph) -> list[Result]:
    for prefix, iri in PREFIXES.items():
        report.bind(prefix, iri, override=True, replace=True)
    found = []
    for result in report.objects(None, SH.result):
        found.append(
            Result(
                focus=report.value(result, SH.focusNode),
                path=render_path(report, report.value(result, SH.resultPath)),
                message=str(report.value(result, SH.resultMessage)),
                shape=owner(shapes, report.value(result, SH.sourceShape)),
                severity=str(report.value(result, SH.resultSeverity)).removeprefix(str(SH)),
            )
        )
    return found


@pytest.fixture(scope="module")
def negative_report(base: Graph, shapes: Graph, ontology: Graph) -> Graph:
    """ONE validation of the conforming example plus every broken case."""
    data = Graph()
    data += base
    for case in CASES:
        data += parse_case(case)
    conforms, report, _ = run(data, shapes, ontology)
    assert not conforms
    return report


@pytest.fixture(scope="module")
def negative_results(negative_report: Graph, shapes: Graph) -> list[Result]:
    return results(negative_report, shapes)


def node_shapes(shapes: Graph) -> set[str]:
    return {str(s).removeprefix(SHAPES) for s in shapes.subjects(RDF.type, SH.NodeShape) if str(s).startswith(SHAPES)}


# --- the positive example -----------------------------------------------------------------------------


def test_valid_example_conforms(base: Graph, shapes: Graph, ontology: Graph) -> None:
    conforms, _, text = run(base, shapes, ontology)
    assert conforms, text


def test_valid_example_has_an_instance_of_every_class(ontology: Graph, valid: Graph) -> None:
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef) and c.startswith(ILRS)}
    instantiated = set(valid.objects(None, RDF.type))
    vocabulary_classes = set(Graph().parse(VOCABULARIES, format="turtle").objects(None, RDF.type))
    assert classes - instantiated - vocabulary_classes == set()


# --- the negative cases ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_broken_example_is_rejected(case: Case, negative_results: list[Result]) -> None:
    focus: Node | None = None if case.focus == "_:" else URIRef(expand(case.focus))

    def focus_matches(result: Result) -> bool:
        return isinstance(result.focus, BNode) if focus is None else result.focus == focus

    expected = (case.path, case.message, case.shape, "Violation")
    about_focus = [r for r in negative_results if focus_matches(r)]
    assert expected in {(r.path, r.message, r.shape, r.severity) for r in about_focus}, (
        f"no {expected} for {case.focus}; results about it: "
        + "".join(f"\n  {r.shape} {r.path}: {r.message}" for r in about_focus)
    )


def test_every_shape_has_a_negative_case(shapes: Graph) -> None:
    covered = {case.shape for case in CASES}
    assert node_shapes(shapes) - covered == set(), "add a broken example for these shapes"
    assert covered - node_shapes(shapes) == set(), "these cases name no shape"


def test_cases_are_independent(valid: Graph) -> None:
    """Distinct ids; each case describes only new resources, so one run can hold them all."""
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    seen = {s for s in valid.subjects() if not isinstance(s, BNode)}
    for case in CASES:
        subjects = {s for s in parse_case(case).subjects() if not isinstance(s, BNode)}
        assert not subjects & seen, f"{case.id} describes resources described elsewhere: {subjects & seen}"
        seen |= subjects


def test_each_result_has_one_message(negative_report: Graph) -> None:
    for result in negative_report.objects(None, SH.result):
        messages = list(negative_report.objects(result, SH.resultMessage))
        assert len(messages) == 1, messages
        assert str(messages[0]).strip()


def test_no_nested_results(negative_report: Graph) -> None:
    """Value checks are inline, so a report has no sh:detail results to confuse its readers."""
    assert not list(negative_report.objects(None, SH.detail))


# --- the shapes themselves ----------------------------------------------------------------------------------

CONSTRAINT_PARAMETERS = {
    SH["class"], SH.datatype, SH.nodeKind, SH.minCount, SH.maxCount, SH.minInclusive, SH.maxInclusive,
    SH.pattern, SH["in"], SH.hasValue, SH["not"], SH["or"], SH["and"], SH.node, SH.uniqueLang,
    SH.qualifiedValueShape, SH.equals, SH.disjoint,
}  # fmt: skip


def english(graph: Graph, node: Node, predicate: URIRef) -> list[Literal]:
    return [m for m in graph.objects(node, predicate) if isinstance(m, Literal) and m.language == "en"]


def test_every_constraint_has_an_english_message(shapes: Graph) -> None:
    for name in node_shapes(shapes):
        shape = URIRef(SHAPES + name)
        own = {p for _, p, _ in shapes.triples((shape, None, None))} & CONSTRAINT_PARAMETERS
        if own:
            assert len(english(shapes, shape, SH.message)) == 1, name
        for prop in shapes.objects(shape, SH.property):
            if {p for _, p, _ in shapes.triples((prop, None, None))} & CONSTRAINT_PARAMETERS:
                assert len(english(shapes, prop, SH.message)) == 1, (name, shapes.value(prop, SH.path))
            for sparql in shapes.objects(prop, SH.sparql):
                assert len(english(shapes, sparql, SH.message)) == 1, (name, "sparql")
                assert not list(shapes.objects(prop, SH.message)), "the SPARQL message would be doubled"
        for sparql in shapes.objects(shape, SH.sparql):
            assert len(english(shapes, sparql, SH.message)) == 1, (name, "sparql")


def test_every_shape_is_labelled_and_targeted(shapes: Graph) -> None:
    targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
    for name in node_shapes(shapes):
        shape = URIRef(SHAPES + name)
        assert english(shapes, shape, URIRef("http://www.w3.org/2000/01/rdf-schema#label")), name
        assert any(shapes.objects(shape, t) for t in targets), f"{name} has no target"


def test_sh_or_lists_are_well_formed(shapes: Graph) -> None:
    for _, _, head in shapes.triples((None, SH["or"], None)):
        members = list(Collection(shapes, head))
        assert len(members) >= 2, head


def test_shapes_header(shapes: Graph) -> None:
    header = URIRef(BASE + "shapes")
    assert (header, RDF.type, OWL.Ontology) in shapes
    assert str(shapes.value(header, OWL.versionIRI)).endswith("/" + str(shapes.value(header, OWL.versionInfo)))
    assert english(shapes, header, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))


# --- the project's validator ------------------------------------------------------------------------------------


def test_project_validator_reports_the_same(base: Graph, shapes: Graph, ontology: Graph) -> None:
    """``graph/validate.py`` (written elsewhere) sees the valid example conform and a broken one fail."""
    validate_module = pytest.importorskip("ilrs.graph.validate")
    assert validate_module.validate_graph(base, shapes, ontology).conforms
    case = next(c for c in CASES if c.id == "AgreementShape-one-party-no-counterpart")
    broken = Graph()
    broken += base
    broken += parse_case(case)
    report = validate_module.validate_graph(broken, shapes, ontology)
    assert not report.conforms
    assert [(v.focus, v.path, v.message) for v in report.violations] == [
        (expand(case.focus), expand(case.path or ""), case.message)
    ]
