"""The ontology, the vocabularies and how the shapes cover them.

Checks that ``ontology/ilrs.ttl`` parses with both RDF stacks of the project, that every
term is labelled, defined and attributed, that the shapes cover every class and every
property domain exactly, and that the data uses only terms the ontology defines.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS
from rdflib.term import Node

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "ilrs.ttl"
VOCABULARIES = ROOT / "ontology" / "vocabularies.ttl"
SHAPES_DIR = ROOT / "shapes"
MODEL_DOC = ROOT / "docs" / "model.md"
DATA_DIR = ROOT / "graph" / "data"
VALID_EXAMPLE = Path(__file__).resolve().parent / "shapes_cases" / "valid.ttl"

BASE = "https://w3id.org/ilrs/"
ONTOLOGY_IRI = URIRef(BASE + "ontology")
ILRS = BASE + "ontology#"
SHAPES = BASE + "shapes#"
VANN = "http://purl.org/vocab/vann/"
#: Plain namespaces (rdflib's closed XSD and TIME namespaces warn when pytest inspects this module).
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
TIME = Namespace("http://www.w3.org/2006/time#")
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual)
STATUSES = {"signed", "committed", "negotiating", "applied", "indirect", "by-extension", "declined", "restricted"}
COUNTED = {
    "countries",
    "research-institutions",
    "researchers",
    "countries-and-organizations",
    "organizations",
    "missions",
}
ACTIVITIES = {
    "administering-facilities", "application", "communications", "completing-member-agreements",
    "construction", "coordinating-construction", "crewed-and-robotic-research", "crewed-lunar-landing",
    "data-analysis", "demonstration", "development", "education-and-training", "engineering",
    "environment-exploration", "establishment", "experiments", "exploring-shadowed-regions", "implementation",
    "infrastructure", "isru-testing", "long-term-autonomous-operation", "mars-exploration", "operation",
    "planning", "power-supply", "resource-development", "resource-mapping", "resource-use-verification",
    "scientific-and-technological-experiments", "scientific-experiments", "scientific-exploration",
    "scientific-instrument-payloads", "searching-for-water-ice", "sharing-research-results",
    "short-term-human-presence", "space-environment-exploration", "spacecraft-design-and-development",
    "substantiating", "venus-exploration", "verification-of-science-targets",
}  # fmt: skip
RDF_FILES = [ONTOLOGY, VOCABULARIES, *sorted(SHAPES_DIR.glob("*.ttl")), VALID_EXAMPLE]


@pytest.fixture(scope="module")
def vocabularies() -> Graph:
    return Graph().parse(VOCABULARIES, format="turtle")


def ilrs(name: str) -> URIRef:
    return URIRef(ILRS + name)


def terms(ontology: Graph, kind: URIRef | None = None) -> set[URIRef]:
    kinds = (kind,) if kind else TERM_TYPES
    return {t for k in kinds for t in ontology.subjects(RDF.type, k) if isinstance(t, URIRef) and t.startswith(ILRS)}


def english(graph: Graph, node: Node, predicate: URIRef) -> list[Literal]:
    return [v for v in graph.objects(node, predicate) if isinstance(v, Literal) and v.language == "en"]


def members(graph: Graph, node: Node) -> set[Node]:
    """A class or datatype, or the members of its owl:unionOf."""
    union = graph.value(node, OWL.unionOf)
    return set(Collection(graph, union)) if union is not None else {node}


def superclasses(ontology: Graph, cls: Node) -> set[Node]:
    return set(ontology.transitive_objects(cls, RDFS.subClassOf))


# --- parsing -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", RDF_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_parses_with_rdflib_and_pyoxigraph_alike(path: Path) -> None:
    with_rdflib = Graph().parse(path, format="turtle")
    with_oxigraph = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    assert len(with_rdflib) == len(with_oxigraph) > 0


# --- the ontology header -----------------------------------------------------------------------------------


def test_header(ontology: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    version = ontology.value(ONTOLOGY_IRI, OWL.versionInfo)
    version_iri = ontology.value(ONTOLOGY_IRI, OWL.versionIRI)
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(version))
    assert str(version_iri) == f"{ONTOLOGY_IRI}/{version}"
    assert str(version_iri).endswith(str(version))
    for predicate in (DCTERMS.title, DCTERMS.description):
        assert len(english(ontology, ONTOLOGY_IRI, predicate)) == 1, predicate
    assert isinstance(ontology.value(ONTOLOGY_IRI, DCTERMS.license), URIRef)
    # The creator is an agent (a node, so that JSON-LD's @id-typed `creator` holds it), named by schema:name.
    creator = ontology.value(ONTOLOGY_IRI, DCTERMS.creator)
    assert not isinstance(creator, Literal)
    assert str(ontology.value(creator, URIRef("https://schema.org/name"))) == "ILRS Knowledge Graph contributors"
    assert str(ontology.value(ONTOLOGY_IRI, URIRef(VANN + "preferredNamespacePrefix"))) == "ilrs"
    assert str(ontology.value(ONTOLOGY_IRI, URIRef(VANN + "preferredNamespaceUri"))) == ILRS


# --- every term ------------------------------------------------------------------------------------------------


def test_every_term_is_labelled_defined_and_attributed(ontology: Graph) -> None:
    for term in sorted(terms(ontology)):
        assert len(english(ontology, term, RDFS.label)) == 1, f"{term}: one rdfs:label@en"
        definitions = english(ontology, term, SKOS.definition)
        assert len(definitions) == 1, f"{term}: one skos:definition@en"
        definition = str(definitions[0])
        assert definition[0].isupper() and definition.endswith("."), f"{term}: {definition!r}"
        assert ". " not in definition, f"{term}: a definition is one sentence"
        assert (term, RDFS.isDefinedBy, ONTOLOGY_IRI) in ontology, term


def test_no_two_terms_share_a_label(ontology: Graph) -> None:
    labels = Counter(str(label).lower() for term in terms(ontology) for label in english(ontology, term, RDFS.label))
    assert [label for label, n in labels.items() if n > 1] == []


def test_each_term_is_of_one_kind(ontology: Graph) -> None:
    for term in terms(ontology):
        kinds = {k for k in TERM_TYPES if (term, RDF.type, k) in ontology}
        assert len(kinds) == 1, (term, kinds)


def test_every_ilrs_iri_in_the_ontology_is_defined(ontology: Graph) -> None:
    used = {n for triple in ontology for n in triple if isinstance(n, URIRef) and n.startswith(ILRS)}
    assert used - terms(ontology) == set()


def test_every_term_of_the_data_model_page_is_defined(ontology: Graph) -> None:
    if not MODEL_DOC.exists():
        pytest.skip("docs/model.md is absent")
    named = {ilrs(name) for name in re.findall(r"\bilrs:([A-Za-z][A-Za-z0-9]*)", MODEL_DOC.read_text(encoding="utf-8"))}
    assert named - terms(ontology) == set()


def test_every_class_is_placed_in_a_hierarchy(ontology: Graph) -> None:
    for cls in terms(ontology, OWL.Class):
        assert list(ontology.objects(cls, RDFS.subClassOf)), f"{cls} has no superclass"
    assert (ilrs("PartnerStatus"), RDFS.subClassOf, SKOS.Concept) in ontology
    assert (ilrs("CountedKind"), RDFS.subClassOf, SKOS.Concept) in ontology
    assert (ilrs("Phase"), RDFS.subClassOf, TIME.ProperInterval) in ontology


# --- properties --------------------------------------------------------------------------------------------------


def test_every_property_has_a_domain_and_a_range(ontology: Graph) -> None:
    for prop in terms(ontology, OWL.ObjectProperty) | terms(ontology, OWL.DatatypeProperty):
        assert ontology.value(prop, RDFS.range) is not None, prop
        comments = [str(c) for c in ontology.objects(prop, RDFS.comment)]
        if not any(c.startswith("Deliberately without a domain") for c in comments):  # ilrs:quote
            assert ontology.value(prop, RDFS.domain) is not None, prop
            assert members(ontology, ontology.value(prop, RDFS.domain)) <= terms(ontology, OWL.Class), prop


def test_ranges_match_the_kind_of_property(ontology: Graph) -> None:
    classes = terms(ontology, OWL.Class)
    for prop in terms(ontology, OWL.ObjectProperty):
        assert members(ontology, ontology.value(prop, RDFS.range)) <= classes, prop
    for prop in terms(ontology, OWL.DatatypeProperty):
        for datatype in members(ontology, ontology.value(prop, RDFS.range)):
            assert str(datatype).startswith((str(XSD), str(RDF))) or datatype == RDFS.Literal, (prop, datatype)


#: The ranges stay in the OWL 2 datatype map (tests/test_reasoner.py); the shapes check the exact datatype.
TEXT = {RDF.PlainLiteral}
YEAR_OR_DATE = {RDFS.Literal}


@pytest.mark.parametrize(
    ("name", "datatypes", "in_shapes"),
    [
        ("countValue", {XSD.integer}, {XSD.integer}),
        ("phaseOrder", {XSD.integer}, {XSD.integer}),
        ("counterpartCount", {XSD.integer}, {XSD.integer}),
        ("targetYear", YEAR_OR_DATE, {XSD.gYear}),
        ("launchYear", YEAR_OR_DATE, {XSD.gYear}),
        ("asOf", YEAR_OR_DATE, {XSD.date, XSD.gYearMonth, XSD.gYear}),
        ("isoAlpha2", {XSD.string}, {XSD.string}),
        ("isoAlpha3", {XSD.string}, {XSD.string}),
        ("isoNumeric", {XSD.string}, {XSD.string}),
        ("fileName", {XSD.string}, {XSD.string}),
        ("dateWording", TEXT, {XSD.string, RDF.langString}),
        ("quote", TEXT, {XSD.string, RDF.langString}),
    ],
)
def test_datatypes(ontology: Graph, shapes: Graph, name: str, datatypes: set[URIRef], in_shapes: set[URIRef]) -> None:
    assert members(ontology, ontology.value(ilrs(name), RDFS.range)) == datatypes
    assert shape_datatypes(shapes, ilrs(name)) == in_shapes


def shape_datatypes(shapes: Graph, prop: URIRef) -> set[Node]:
    """The datatypes the property shapes on ``prop`` allow (``sh:datatype``, or each ``sh:or`` option's)."""
    found: set[Node] = set()
    for constraint in shapes.subjects(SH.path, prop):
        found.update(shapes.objects(constraint, SH.datatype))
        for head in shapes.objects(constraint, SH["or"]):
            for option in Collection(shapes, head):
                found.update(shapes.objects(option, SH.datatype))
    return found


# --- the shapes cover the ontology -----------------------------------------------------------------------------


def test_every_class_has_its_shape(ontology: Graph, shapes: Graph) -> None:
    for cls in terms(ontology, OWL.Class):
        targeting = set(shapes.subjects(SH.targetClass, cls))
        assert targeting == {URIRef(SHAPES + cls.removeprefix(ILRS) + "Shape")}, cls


def test_every_target_class_is_defined(ontology: Graph, shapes: Graph) -> None:
    assert set(shapes.objects(None, SH.targetClass)) - terms(ontology, OWL.Class) == set()


def test_domain_shapes_cover_every_domain_exactly(ontology: Graph, shapes: Graph) -> None:
    """Each property with a domain has one shape over its subjects that requires exactly that domain."""
    properties = terms(ontology, OWL.ObjectProperty) | terms(ontology, OWL.DatatypeProperty)
    assert set(shapes.objects(None, SH.targetSubjectsOf)) - properties - {ilrs("quote")} == set()
    for prop in properties:
        domain = ontology.value(prop, RDFS.domain)
        if domain is None:
            continue
        found = [s for s in shapes.subjects(SH.targetSubjectsOf, prop) if str(s).endswith("DomainShape")]
        assert len(found) == 1, f"{prop}: one *DomainShape with sh:targetSubjectsOf it, found {found}"
        (shape,) = found
        required = set(shapes.objects(shape, SH["class"]))
        alternatives = shapes.value(shape, SH["or"])
        if alternatives is not None:
            required |= {shapes.value(option, SH["class"]) for option in Collection(shapes, alternatives)}
        assert required == members(ontology, domain), prop


def disjoint_pairs(ontology: Graph) -> set[frozenset[Node]]:
    pairs = {frozenset(p) for p in ontology.subject_objects(OWL.disjointWith)}
    for axiom in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        listed = list(Collection(ontology, ontology.value(axiom, OWL.members)))
        pairs |= {frozenset((a, b)) for a in listed for b in listed if a != b}
    return pairs


def test_every_top_level_class_is_in_a_top_level_disjointness_axiom(ontology: Graph) -> None:
    classes = terms(ontology, OWL.Class)
    top_level = {c for c in classes if not superclasses(ontology, c) - {c} & classes}
    listed: set[Node] = set()
    for axiom in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        members = set(Collection(ontology, ontology.value(axiom, OWL.members)))
        if members <= top_level:
            listed |= members
    assert top_level - listed == set()


def type_exclusions(shapes: Graph) -> dict[Node, set[Node]]:
    """Class → classes its shape forbids as further rdf:type (sh:path rdf:type ; sh:not [ sh:in (…) ])."""
    found: dict[Node, set[Node]] = {}
    for shape, cls in shapes.subject_objects(SH.targetClass):
        for prop in shapes.objects(shape, SH.property):
            if shapes.value(prop, SH.path) == RDF.type:
                forbidden = shapes.value(shapes.value(prop, SH["not"]), SH["in"])
                found.setdefault(cls, set()).update(Collection(shapes, forbidden))
    return found


def test_type_exclusions_follow_the_disjointness_axioms(ontology: Graph, shapes: Graph) -> None:
    pairs = disjoint_pairs(ontology)
    exclusions = type_exclusions(shapes)
    # every class a shape forbids is disjoint with the shape's class, directly or through superclasses
    for cls, forbidden in exclusions.items():
        for other in forbidden:
            assert any(
                frozenset((a, b)) in pairs for a in superclasses(ontology, cls) for b in superclasses(ontology, other)
            ), (cls, other)
    # every disjointness between subclasses is checked by at least one of the two shapes
    top_level = {c for c in terms(ontology, OWL.Class) if not superclasses(ontology, c) - {c} & terms(ontology)}
    for pair in pairs:
        a, b = sorted(pair)
        if {a, b} & top_level:
            continue  # top-level classes are kept apart by their IRI patterns
        assert b in exclusions.get(a, set()) or a in exclusions.get(b, set()), (a, b)


# --- the vocabularies -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "cls", "keys"),
    [("status", "PartnerStatus", STATUSES), ("counted", "CountedKind", COUNTED), ("activity", "Activity", ACTIVITIES)],
)
def test_concept_schemes(vocabularies: Graph, scheme: str, cls: str, keys: set[str]) -> None:
    scheme_iri = URIRef(f"{BASE}id/{scheme}")
    assert (scheme_iri, RDF.type, SKOS.ConceptScheme) in vocabularies
    assert english(vocabularies, scheme_iri, SKOS.prefLabel)
    concepts = set(vocabularies.subjects(SKOS.inScheme, scheme_iri))
    assert concepts == {URIRef(f"{BASE}id/{scheme}/{key}") for key in keys}
    assert set(vocabularies.subjects(RDF.type, ilrs(cls))) == concepts
    assert set(vocabularies.objects(scheme_iri, SKOS.hasTopConcept)) == concepts
    for concept in concepts:
        assert (concept, RDF.type, SKOS.Concept) in vocabularies
        assert (concept, SKOS.topConceptOf, scheme_iri) in vocabularies
        assert len(english(vocabularies, concept, SKOS.prefLabel)) == 1, concept
        assert len(english(vocabularies, concept, SKOS.definition)) == 1, concept
        assert english(vocabularies, concept, RDFS.label), concept
        assert str(vocabularies.value(concept, SKOS.notation)) == concept.rsplit("/", 1)[1]


# --- the data uses the ontology as defined -------------------------------------------------------------------------


def data_files() -> list[Path]:
    return [VALID_EXAMPLE, *sorted(DATA_DIR.rglob("*.trig")), *sorted(DATA_DIR.rglob("*.ttl"))]


@pytest.mark.parametrize("path", data_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_data_uses_only_defined_terms_as_defined(ontology: Graph, path: Path) -> None:
    rdf_format = ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.TURTLE
    classes = {str(t) for t in terms(ontology, OWL.Class)}
    object_properties = {str(t) for t in terms(ontology, OWL.ObjectProperty)}
    datatype_properties = {str(t) for t in terms(ontology, OWL.DatatypeProperty)}
    for quad in ox.parse(path=str(path), format=rdf_format):
        s, p, o = quad.subject, quad.predicate.value, quad.object
        if p == str(RDF.type) and isinstance(o, ox.NamedNode) and o.value.startswith(ILRS):
            assert o.value in classes, f"{path.name}: {o} is not a class of the ontology"
        if not p.startswith(ILRS):
            continue
        if p in object_properties:
            assert isinstance(o, ox.NamedNode), f"{path.name}: {s} <{p}> {o}: an object property needs an IRI"
        elif p in datatype_properties:
            assert isinstance(o, ox.Literal), f"{path.name}: {s} <{p}> {o}: a datatype property needs a literal"
        else:
            raise AssertionError(f"{path.name}: <{p}> is not a property of the ontology")
        assert isinstance(s, ox.NamedNode), f"{path.name}: the subject of <{p}> must be an IRI, not {s}"
