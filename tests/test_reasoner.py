"""An OWL 2 DL reasoner (HermiT, shipped by owlready2, on the machine's Java) over the ontology and the data.

The ontology alone must pass strictly: any datatype outside the OWL 2 datatype map makes
HermiT refuse it, so passing means the ontology's datatypes are OWL 2 DL. Consistency and
class satisfiability are checked over the ontology alone and over the ontology with all the
data. Without Java the tests are skipped, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from ilrs.graph.loader import build_store
from ilrs.graph.rdfview import graphs_of
from ilrs.graph.reasoner import ReasonerReport, reason
from ilrs.graph.settings import get_settings

ILRS = "https://w3id.org/ilrs/ontology#"
PREFIXES = """\
@prefix ilrs: <https://w3id.org/ilrs/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
"""
#: Namespaces whose terms OWL itself defines: never declared in the import module.
BUILT_IN = ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", str(RDFS), str(OWL), "http://www.w3.org/2001/XMLSchema#")


@pytest.fixture(scope="module", autouse=True)
def java() -> None:
    if shutil.which("java") is None:
        if os.environ.get("CI"):
            pytest.fail("no java on the PATH; CI must run the reasoner (.ci/run installs default-jre-headless)")
        pytest.skip("no java on the PATH (apt-get install default-jre-headless)")


def hermit(*, with_data: bool = False, extra: str | None = None) -> ReasonerReport:
    graph = Graph().parse(data=PREFIXES + extra, format="turtle") if extra else None
    return reason(get_settings(), with_data=with_data, extra=graph)


def test_the_ontology_is_owl2_dl_consistent_and_every_class_satisfiable() -> None:
    report = hermit()
    assert report.ok, report.to_text()
    assert report.to_text().endswith("consistent, every class satisfiable")


def test_the_ontology_with_all_the_data_is_consistent() -> None:
    report = hermit(with_data=True)
    assert report.ok, report.to_text()
    assert report.triples > 3000


def test_an_unsatisfiable_class_fails() -> None:
    report = hermit(extra="ilrs:MissionAgreement a owl:Class ; rdfs:subClassOf ilrs:Mission , ilrs:Agreement .")
    assert not report.ok and report.unsatisfiable == ["ilrs:MissionAgreement"]


def test_an_individual_of_disjoint_classes_makes_the_data_inconsistent() -> None:
    report = hermit(with_data=True, extra="<https://w3id.org/ilrs/id/mission/change-7> a ilrs:Agreement .")
    assert not report.ok and not report.consistent
    assert "INCONSISTENT" in report.to_text()


def test_a_datatype_outside_the_owl2_datatype_map_is_refused() -> None:
    report = hermit(
        extra="ilrs:foundingYear a owl:DatatypeProperty ; rdfs:domain ilrs:Organization ; rdfs:range xsd:gYear ."
    )
    assert not report.ok and report.refused is not None
    assert report.refused.startswith("xsd:gYear is not in the OWL 2 datatype map")


def used_external_terms() -> dict[URIRef, str]:
    """Reused terms the ontology and the data use: predicates, classes, and parents of the ontology's terms."""
    graphs = graphs_of(build_store(get_settings()))
    used: dict[URIRef, str] = {}
    for graph in graphs.values():
        for _s, p, o in graph:
            candidates = [(p, "property")]
            if p == RDF.type or p == RDFS.subClassOf:
                candidates.append((o, "class"))
            if p == RDFS.subPropertyOf:
                candidates.append((o, "property"))
            for term, kind in candidates:
                if isinstance(term, URIRef) and not str(term).startswith((ILRS, *BUILT_IN)):
                    used.setdefault(term, kind)
    return used


def test_every_reused_term_is_declared_with_a_label_in_the_import_module() -> None:
    module = Graph().parse(get_settings().ontology_dir / "imports" / "external.ttl", format="turtle")
    missing = []
    for term, kind in sorted(used_external_terms().items()):
        types = set(module.objects(term, RDF.type))
        expected = (
            {OWL.Class} if kind == "class" else {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
        )
        labels = [label for label in module.objects(term, RDFS.label) if isinstance(label, Literal)]
        if not types & expected or not labels:
            missing.append(f"{term} ({kind})")
    assert missing == [], "declare these in ontology/imports/external.ttl with a type and an rdfs:label"


@pytest.mark.parametrize(
    ("prop", "parent"),
    [
        ("positionIn", "http://www.w3.org/ns/org#postIn"),
        ("holdsPosition", "http://www.w3.org/ns/org#holds"),
        ("memberOf", "http://www.w3.org/ns/org#memberOf"),
        ("basedIn", "https://schema.org/location"),
        ("location", "https://schema.org/location"),
        ("phaseOf", "http://purl.org/dc/terms/isPartOf"),
        ("hasComponent", "http://purl.org/dc/terms/hasPart"),
        ("initiatedBy", "http://www.w3.org/ns/prov#wasAttributedTo"),
        ("statedBy", "http://www.w3.org/ns/prov#wasAttributedTo"),
        ("announcedBy", "http://www.w3.org/ns/prov#wasAssociatedWith"),
    ],
)
def test_object_properties_are_aligned_with_their_w3c_or_schema_org_parent(
    ontology: Graph, prop: str, parent: str
) -> None:
    assert (URIRef(ILRS + prop), RDFS.subPropertyOf, URIRef(parent)) in ontology


def test_the_reason_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ilrs.graph.cli", "reason", "--data", "--quiet"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("HermiT over the ontology and the data (")
    ontology = tmp_path / "ontology"
    shutil.copytree(get_settings().ontology_dir, ontology)
    with (ontology / "ilrs.ttl").open("a", encoding="utf-8") as f:
        f.write("\nilrs:MissionAgreement a owl:Class ; rdfs:subClassOf ilrs:Mission , ilrs:Agreement .\n")
    broken = subprocess.run(
        [sys.executable, "-m", "ilrs.graph.cli", "reason"],
        capture_output=True,
        text=True,
        env={**os.environ, "ILRS_ONTOLOGY_DIR": str(ontology)},
    )
    assert broken.returncode == 1
    assert "unsatisfiable classes (no instance can exist): ilrs:MissionAgreement" in broken.stdout


PROPERTY_KINDS = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


def test_every_term_has_one_kind_and_is_used_as_that_kind() -> None:
    """OWL 2 DL's typing constraints: no IRI is two kinds of property, or a class and a property; object
    properties link to resources and datatype properties to literals, in the ontology and in the data."""
    declared = Graph()
    for graph in (Graph().parse(get_settings().ontology_dir / "ilrs.ttl"), external()):
        declared += graph
    kinds: dict[URIRef, set[URIRef]] = {}
    for kind in (OWL.Class, *PROPERTY_KINDS):
        for term in declared.subjects(RDF.type, kind):
            if isinstance(term, URIRef):
                kinds.setdefault(term, set()).add(kind)
    assert {t: k for t, k in kinds.items() if len(k) > 1} == {}
    misused = set()
    for graph in graphs_of(build_store(get_settings())).values():
        for _s, p, o in graph:
            kind = kinds.get(p, set())
            if (OWL.ObjectProperty in kind and isinstance(o, Literal)) or (
                OWL.DatatypeProperty in kind and not isinstance(o, Literal)
            ):
                misused.add((str(p), type(o).__name__))
    assert misused == set()


def external() -> Graph:
    return Graph().parse(get_settings().ontology_dir / "imports" / "external.ttl", format="turtle")
