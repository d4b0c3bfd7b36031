"""``ilrs check``: the real repository has no errors; every rule fires on a small broken fixture."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from minirepo import PREFIXES, MiniRepo, copy_mini

from ilrs.graph.check import CheckReport, run_checks
from ilrs.graph.check_rules import RULES, Finding
from ilrs.graph.errors import ParseError
from ilrs.graph.locate import Locator
from ilrs.graph.settings import get_settings

ONTOLOGY = "ontology/ilrs.ttl"
SHAPES = "shapes/shapes.ttl"
SOURCE = "data/sources/001.trig"
DEFINED = "rdfs:isDefinedBy <https://w3id.org/ilrs/ontology>"
CLASS = (
    'ilrs:{name} a owl:Class ; rdfs:subClassOf {parent} ; rdfs:label "{label}"@en ; '
    'skos:definition "A {label}."@en ; ' + DEFINED + " ."
)
PROPERTY = (
    'ilrs:{name} a owl:{kind} ; rdfs:label "{label}"@en ; skos:definition "The {label}."@en ; '
    "rdfs:domain {domain} ; rdfs:range {range} ; " + DEFINED + " ."
)


@pytest.fixture
def mini(tmp_path: Path) -> MiniRepo:
    return copy_mini(tmp_path / "repo")


def findings(mini: MiniRepo, rule: str | None = None) -> list[Finding]:
    report = run_checks(mini.settings)
    return [f for f in report.findings if rule is None or f.rule == rule]


def line_of(mini: MiniRepo, relative: str, needle: str) -> int:
    """The number of the first line of ``relative`` that mentions ``needle``."""
    lines = mini.path(relative).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


def in_source_graph(body: str) -> str:
    return PREFIXES + "GRAPH <https://w3id.org/ilrs/graph/source/001> {\n" + body + "\n}"


def test_the_real_repository_has_no_errors() -> None:
    report = run_checks(get_settings())
    errors = [f for f in report.findings if f.level == "error"]
    assert not errors, "\n" + CheckReport(errors, report.terms, report.triples).to_table()


#: The fixture's ilrs:signedOn ranges over xsd:date and xsd:gYear, outside OWL 2 DL: its one finding.
NOT_DL = ("warning", "owl-datatype-map", "ilrs:signedOn")


def test_the_fixture_is_clean(mini: MiniRepo) -> None:
    report = run_checks(mini.settings)
    assert [(f.level, f.rule, f.term) for f in report.findings] == [NOT_DL]
    assert not report.failed()
    assert NOT_DL[2] in report.findings[0].message or "xsd:gYear" in report.findings[0].message


def test_missing_label_definition_and_defined_by(mini: MiniRepo) -> None:
    mini.append(ONTOLOGY, 'ilrs:Rover a owl:Class ; skos:definition "A vehicle."@en ; ' + DEFINED + " .")
    mini.append(ONTOLOGY, 'ilrs:Lander a owl:Class ; rdfs:label "lander"@en ; ' + DEFINED + " .")
    mini.append(ONTOLOGY, 'ilrs:Orbiter a owl:Class ; rdfs:label "orbiter"@en ; skos:definition "An orbiter."@en .')
    found = [f for f in findings(mini) if f.rule in {"defined-by", "missing-definition", "missing-label"}]
    assert [(f.rule, f.term) for f in found if f.level == "error"] == [
        ("defined-by", "ilrs:Orbiter"),
        ("missing-definition", "ilrs:Lander"),
        ("missing-label", "ilrs:Rover"),
    ]
    label = next(f for f in found if f.rule == "missing-label")
    assert label.where == f"{ONTOLOGY}:{line_of(mini, ONTOLOGY, 'ilrs:Rover')}" and "rdfs:label" in label.fix


def test_duplicate_label(mini: MiniRepo) -> None:
    mini.append(
        ONTOLOGY, 'ilrs:Accord a owl:Class ; rdfs:label "Agreement"@en ; skos:definition "x"@en ; ' + DEFINED + " ."
    )
    [dup] = findings(mini, "duplicate-label")
    assert dup.level == "error" and dup.term == "ilrs:Accord" and "ilrs:Agreement" in dup.message


def test_version_iri_must_match_version_info(mini: MiniRepo) -> None:
    mini.replace(ONTOLOGY, "ontology/0.1.0>", "ontology/0.2.0>")
    [version] = findings(mini, "version")
    assert version.level == "error" and "0.1.0" in version.message
    assert version.fix == "set owl:versionIRI <https://w3id.org/ilrs/ontology/0.1.0> (or correct owl:versionInfo)"


def test_undefined_term_suggests_the_intended_one(mini: MiniRepo) -> None:
    mini.append(SOURCE, in_source_graph("agreement:cnsa-roscosmos-2021 a ilrs:Agrement ."))
    [undefined] = findings(mini, "undefined-term")
    assert undefined.term == "ilrs:Agrement"
    assert undefined.fix.startswith("did you mean ilrs:Agreement?")
    assert undefined.where == f"{SOURCE}:{line_of(mini, SOURCE, 'ilrs:Agrement')}"


def test_unknown_term_of_a_reused_vocabulary(mini: MiniRepo) -> None:
    mini.append(SHAPES, "shapes:AgreementShape sh:property [ sh:path ilrs:party ; sh:mincount 2 ] .")
    mini.append(SOURCE, in_source_graph('agreement:cnsa-roscosmos-2021 dcterms:tittle "x" .'))
    found = {f.term: f for f in findings(mini, "unknown-vocabulary-term")}
    assert set(found) == {"sh:mincount", "dcterms:tittle"}
    assert found["sh:mincount"].fix.startswith("did you mean sh:minCount?")
    assert found["dcterms:tittle"].fix.startswith("did you mean dcterms:title?")


def test_dangling_instance(mini: MiniRepo) -> None:
    mini.append(SOURCE, in_source_graph("agreement:cnsa-roscosmos-2021 ilrs:party agency:cnza ."))
    [dangling] = findings(mini, "dangling-instance")
    assert dangling.term == "agency:cnza" and dangling.fix.startswith("did you mean agency:cnsa?")


def test_class_without_shape_is_a_warning(mini: MiniRepo) -> None:
    mini.append(ONTOLOGY, CLASS.format(name="Rover", label="rover", parent="prov:Entity"))
    mini.append(ONTOLOGY, CLASS.format(name="Agency", label="agency", parent="ilrs:Organization"))
    report = run_checks(mini.settings)
    found = {f.term: f for f in report.findings if f.rule == "class-without-shape"}
    assert {f.level for f in found.values()} == {"warning"} and set(found) == {"ilrs:Rover", "ilrs:Agency"}
    assert "no shape targets the class or any of its superclasses" in found["ilrs:Rover"].message
    assert "only its superclasses' shapes" in found["ilrs:Agency"].message  # ilrsh:OrganizationShape covers it
    assert found["ilrs:Agency"].fix.startswith("add  ilrsh:AgencyShape a sh:NodeShape")
    assert not report.failed() and report.failed(strict=True)


def test_shape_targets(mini: MiniRepo) -> None:
    mini.append(SHAPES, "shapes:PartyShape a sh:NodeShape ; sh:targetClass ilrs:party .")
    mini.append(SHAPES, "shapes:Dead a sh:NodeShape ; sh:property [ sh:path rdfs:label ; sh:minCount 1 ] .")
    found = {(f.level, f.term) for f in findings(mini, "shape-target")}
    assert found == {("error", "ilrsh:PartyShape"), ("warning", "ilrsh:Dead")}


def test_domain_with_subclasses(mini: MiniRepo) -> None:
    mini.append(SOURCE, in_source_graph("country:CN ilrs:party agency:cnsa ."))
    [domain] = findings(mini, "domain")
    assert domain.term == "country:CN" and "ilrs:Agreement" in domain.message and "ilrs:Country" in domain.message


def test_range_classes_union_and_datatypes(mini: MiniRepo) -> None:
    mini.append(
        SOURCE,
        in_source_graph(
            """agreement:cnsa-roscosmos-2021 ilrs:party "CNSA" , agreement:cnsa-roscosmos-2021 , country:CN ;
                   ilrs:signedOn "2021"^^xsd:integer , "2021"^^xsd:gYear ;
                   ilrs:counterpartCount "3"^^xsd:positiveInteger , 4 , -1 , "3"^^xsd:decimal ."""
        ),
    )
    messages = sorted(f.message for f in findings(mini, "range"))
    assert len(messages) == 5, messages
    assert any('ilrs:party "CNSA": a resource (ilrs:Country or ilrs:Organization) was expected' in m for m in messages)
    assert any('ilrs:counterpartCount "-1"^^xsd:integer' in m for m in messages)
    assert any("ilrs:party agreement:cnsa-roscosmos-2021: it is a ilrs:Agreement" in m for m in messages)
    assert any('ilrs:signedOn "2021"^^xsd:integer' in m for m in messages)
    assert any('ilrs:counterpartCount "3"^^xsd:decimal' in m for m in messages)


def test_ill_typed_literal(mini: MiniRepo) -> None:
    mini.append(SOURCE, in_source_graph('agreement:cnsa-roscosmos-2021 ilrs:signedOn "2021-02-30"^^xsd:date .'))
    [bad] = findings(mini, "ill-typed-literal")
    assert "not a valid xsd:date" in bad.message


def test_undescribed_and_default_graphs(mini: MiniRepo) -> None:
    mini.write(
        "data/sources/002.trig",
        PREFIXES
        + 'GRAPH <https://w3id.org/ilrs/graph/source/002> { agency:esa a ilrs:SpaceAgency ; rdfs:label "ESA" . }\n'
        'agency:jaxa a ilrs:SpaceAgency ; rdfs:label "JAXA" .\n',
    )
    found = {(f.level, f.term) for f in findings(mini, "undescribed-graph")}
    assert found == {("error", "sourcegraph:002"), ("error", "(default graph)")}


def test_unlabelled_instance(mini: MiniRepo) -> None:
    mini.append(
        SOURCE, in_source_graph("agreement:cnsa-roscosmos-2021 ilrs:party agency:esa . agency:esa a ilrs:SpaceAgency .")
    )
    [unlabelled] = findings(mini, "unlabelled-instance")
    assert unlabelled.term == "agency:esa"
    assert unlabelled.where == f"{SOURCE}:{line_of(mini, SOURCE, 'agency:esa')}"


def test_term_annotations(mini: MiniRepo) -> None:
    mini.append(
        ONTOLOGY,
        'ilrs:Rover a owl:Class ; rdfs:subClassOf prov:Entity ; rdfs:label "rover"@en , "Rover"@en ; '
        'skos:definition "A vehicle."@en ; ' + DEFINED + " .",
    )
    mini.append(ONTOLOGY, CLASS.format(name="Lander", label="lander", parent="prov:Entity"))
    mini.replace(ONTOLOGY, '"A lander."@en', '"A lander. It lands."@en')
    found = {f.term: f.message for f in findings(mini, "term-annotations")}
    assert found == {
        "ilrs:Rover": "the class has 2 English labels",
        "ilrs:Lander": "the class's definition is not one sentence starting with a capital and ending with '.'",
    }


def test_superclass_domain_and_range(mini: MiniRepo) -> None:
    mini.append(
        ONTOLOGY, 'ilrs:Rover a owl:Class ; rdfs:label "rover"@en ; skos:definition "A rover."@en ; ' + DEFINED + " ."
    )
    mini.append(ONTOLOGY, 'ilrs:crew a owl:ObjectProperty ; rdfs:label "crew"@en ; skos:definition "The crew."@en ; '
                + DEFINED + " .")  # fmt: skip
    [superclass] = findings(mini, "superclass")
    assert superclass.term == "ilrs:Rover" and superclass.where == f"{ONTOLOGY}:{line_of(mini, ONTOLOGY, 'ilrs:Rover')}"
    found = sorted((f.term, f.message) for f in findings(mini, "domain-and-range"))
    assert found == [("ilrs:crew", "the property has no rdfs:domain"), ("ilrs:crew", "the property has no rdfs:range")]
    mini.replace(
        ONTOLOGY, '"The crew."@en ;', '"The crew."@en ; rdfs:comment "Deliberately without a domain: any."@en ;'
    )
    assert [f.message for f in findings(mini, "domain-and-range")] == ["the property has no rdfs:range"]


def test_top_level_disjointness(mini: MiniRepo) -> None:
    mini.append(
        ONTOLOGY,
        "[] a owl:AllDisjointClasses ;\n"
        "    owl:members ( ilrs:Organization ilrs:Country ilrs:Agreement ilrs:SourceGraph ) .",
    )
    [found] = findings(mini, "top-level-disjointness")
    assert found.term == "ilrs:SourceDocument"
    assert "add ilrs:SourceDocument to the owl:members ( ilrs:Agreement ilrs:Country … )" in found.fix


def test_domain_shape(mini: MiniRepo) -> None:
    mini.append(ONTOLOGY, PROPERTY.format(name="witness", label="witness", kind="ObjectProperty",
                                          domain="ilrs:Agreement", range="ilrs:Country"))  # fmt: skip
    mini.append(ONTOLOGY, PROPERTY.format(name="capital", label="capital", kind="DatatypeProperty",
                                          domain="ilrs:Country", range="xsd:string"))  # fmt: skip
    found = {f.term: f for f in findings(mini, "domain-shape")}
    assert set(found) == {"ilrs:witness", "ilrs:capital"}
    line = line_of(mini, SHAPES, "shapes:AgreementDomainShape a")
    assert found["ilrs:witness"].fix == (
        f"add ilrs:witness to the sh:targetSubjectsOf of ilrsh:AgreementDomainShape ({SHAPES}:{line})"
    )
    assert found["ilrs:capital"].fix.startswith(
        "add to shapes/: ilrsh:CountryDomainShape a sh:NodeShape ; sh:targetSubjectsOf ilrs:capital ; "
        "sh:class ilrs:Country"
    )
    assert found["ilrs:capital"].where == f"{ONTOLOGY}:{line_of(mini, ONTOLOGY, 'ilrs:capital')}"


def test_instance_kind(mini: MiniRepo) -> None:
    mini.append(ONTOLOGY, CLASS.format(name="Rover", label="rover", parent="ilrs:Organization"))
    mini.append(SOURCE, in_source_graph('<https://w3id.org/ilrs/id/rover/yutu> a ilrs:Rover ; rdfs:label "Yutu" .'))
    [kind] = findings(mini, "instance-kind")
    assert kind.level == "error" and kind.term == "id:rover/yutu" and "'rover'" in kind.message
    assert kind.fix.startswith("use the kind of its class (agency, agreement, country, organization, source)")
    assert kind.where == f"{SOURCE}:{line_of(mini, SOURCE, 'id/rover/yutu')}"


def test_shape_annotations(mini: MiniRepo) -> None:
    mini.replace(SHAPES, 'rdfs:label "country shape"@en ;', "")
    mini.replace(SHAPES, 'sh:message "A country has a label."@en', "")
    found = sorted(f.message for f in findings(mini, "shape-annotations"))
    assert found == [
        "the shape has a property shape on rdfs:label without one sh:message@en",
        "the shape has no rdfs:label@en",
    ]


def test_valid_and_negative_examples(mini: MiniRepo) -> None:
    mini.write("shapes_cases/valid.ttl", PREFIXES + 'agency:cnsa a ilrs:SpaceAgency ; rdfs:label "CNSA" .\n')
    mini.write(
        "shapes_cases/negative/AgreementShape.ttl",
        "# case: no-party\n# focus: agreement:x\n# path: ilrs:party\n# message: An agreement has a party.\n"
        'agreement:x a ilrs:Agreement ; rdfs:label "x" .\n',
    )
    valid = {f.term for f in findings(mini, "valid-example")}
    assert valid == {"ilrs:Agreement", "ilrs:Country", "ilrs:Organization", "ilrs:SourceDocument", "ilrs:SourceGraph"}
    negative = {f.term: f for f in findings(mini, "negative-example")}
    assert "ilrsh:AgreementShape" not in negative and "ilrsh:CountryShape" in negative
    assert negative["ilrsh:CountryShape"].fix.startswith("add shapes_cases/negative/CountryShape.ttl with a case")
    mini.write("shapes_cases/negative/CountryShape.ttl", "# case: no-focus\ncountry:XX a ilrs:Country .\n")
    [broken] = findings(mini, "negative-example")
    assert broken.message.endswith("CountryShape.ttl:1: case 'no-focus' lacks # focus, # message:")


def test_context_coercion(mini: MiniRepo) -> None:
    mini.write("context.jsonld", '{"@context": {"party": {"@id": "ilrs:party"}}}')
    [found] = findings(mini, "context-coercion")
    assert found.term == "ilrs:party" and "does not coerce it to an IRI" in found.message
    assert found.fix.startswith('add  "party": { "@type": "@id", "@container": "@set" }  to context.jsonld')
    mini.write("context.jsonld", '{"@context": {"party": {"@id": "ilrs:party", "@type": "@id"}}}')
    assert findings(mini, "context-coercion") == []


def test_unrestated_quote(mini: MiniRepo) -> None:
    assert findings(mini, "unrestated-quote") == []
    mini.replace(SOURCE, '        ilrs:party agency:cnsa , agency:roscosmos ;',
                 '        ilrs:party agency:cnsa , agency:roscosmos ;\n'
                 '        ilrs:quote "Roscosmos signed it." , "The parties will meet on the Moon." ;')  # fmt: skip
    (flagged,) = findings(mini, "unrestated-quote")  # the first names a party, the second nothing in the data
    assert flagged.level == "info" and "The parties will meet on the Moon." in flagged.message
    assert flagged.where is not None and "001.trig" in str(flagged.where)


def test_every_rule_is_exercised() -> None:
    exercised = {
        "missing-label", "missing-definition", "defined-by", "duplicate-label", "version", "unused-term",
        "undefined-term", "unknown-vocabulary-term", "dangling-instance", "class-without-shape", "shape-target",
        "domain", "range", "ill-typed-literal", "undescribed-graph", "unlabelled-instance", "unrestated-quote",
        "term-annotations",
        "superclass", "domain-and-range", "top-level-disjointness", "domain-shape", "instance-kind",
        "shape-annotations", "valid-example", "negative-example", "context-coercion", "owl-datatype-map",
        "query-terms", "deprecation", "deprecated-use", "import-declaration",
    }  # fmt: skip
    assert set(RULES) == exercised


def test_parse_error_names_file_line_and_column(mini: MiniRepo) -> None:
    mini.append(SHAPES, "shapes:Broken a sh:NodeShape ; sh:targetClass .")
    with pytest.raises(ParseError, match=r"shapes/shapes\.ttl:\d+:\d+: "):
        run_checks(mini.settings)


def ilrs(mini: MiniRepo, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**__import__("os").environ, **mini.env}
    return subprocess.run(
        [sys.executable, "-m", "ilrs.graph.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_cli_table_json_exit_status_and_no_traceback(mini: MiniRepo) -> None:
    mini.append(SOURCE, in_source_graph("agreement:cnsa-roscosmos-2021 ilrs:party agency:cnza ."))
    table = ilrs(mini, "check")
    assert table.returncode == 1
    assert re.search(r"^error +dangling-instance +agency:cnza ", table.stdout, re.MULTILINE)
    assert "fix: did you mean agency:cnsa?" in table.stdout
    data = json.loads(ilrs(mini, "check", "--format", "json").stdout)
    assert data["errors"] == 1 and data["findings"][0]["rule"] == "dangling-instance"

    mini.append(SOURCE, "GRAPH <x> { oops")
    broken = ilrs(mini, "check")
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    assert broken.stderr.startswith("ilrs: error: ") and "001.trig:" in broken.stderr


def test_load_scratch_files_for_one_run(mini: MiniRepo, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch" / "try.ttl"
    scratch.parent.mkdir()
    scratch.write_text(PREFIXES + 'agency:esa a ilrs:SpaceAgency ; rdfs:label "ESA"@en ; ilrs:partyy agency:cnsa .\n')
    checked = ilrs(mini, "check", "--load", str(scratch), "--format", "json")
    found = [
        (f["rule"], f["term"], f["where"]) for f in json.loads(checked.stdout)["findings"] if f["level"] == "error"
    ]
    assert found == [("undefined-term", "ilrs:partyy", f"{scratch}:{len(PREFIXES.splitlines()) + 1}")]
    assert checked.returncode == 1

    validated = ilrs(mini, "validate", "--load", str(scratch))
    assert validated.returncode == 0, validated.stdout  # the shapes do not know ilrs:partyy
    scratch.write_text(PREFIXES + "agency:esa a ilrs:SpaceAgency .\n")  # no label: the organization shape says no
    validated = ilrs(mini, "validate", "--load", str(scratch))
    assert validated.returncode == 1 and "https://w3id.org/ilrs/id/agency/esa" in validated.stdout
    # The scratch graph never entered the dataset: without --load, all is well.
    assert ilrs(mini, "validate").returncode == 0 and ilrs(mini, "check").returncode == 0


DEPRECATE_PARTY = """
ilrs:hasParty a owl:ObjectProperty ; rdfs:label "has party"@en ; skos:definition "A party of the agreement."@en ;
    rdfs:domain ilrs:Agreement ; rdfs:range ilrs:Organization ; rdfs:isDefinedBy <https://w3id.org/ilrs/ontology> .
ilrs:party owl:deprecated true ; dcterms:isReplacedBy ilrs:hasParty ;
    skos:historyNote "Renamed in 0.2.0 to say which way it points."@en .
"""


def test_deprecated_terms_are_flagged_wherever_used(mini: MiniRepo) -> None:
    mini.append(ONTOLOGY, DEPRECATE_PARTY)
    mini.write("queries/parties.rq", "# title: parties\nSELECT ?p WHERE {\n  ?a ilrs:party ?p .  # old\n}\n")
    report = run_checks(mini.settings)
    uses = {(f.level, f.message.split(": ")[0], f.where) for f in report.findings if f.rule == "deprecated-use"}
    assert uses == {
        ("warning", "deprecated, but used in the shapes", f"{SHAPES}:{line_of(mini, SHAPES, 'ilrs:party')}"),
        (
            "warning",
            "deprecated, but used in <https://w3id.org/ilrs/graph/source/001>",
            f"{SOURCE}:{line_of(mini, SOURCE, 'ilrs:party')}",
        ),
        ("warning", "deprecated, but used in the query", "queries/parties.rq:3"),
    }
    assert {f.fix for f in report.findings if f.rule == "deprecated-use"} == {"use ilrs:hasParty instead"}
    # The replacement is not yet used: say so, without advising to remove anything.
    [unused] = [f for f in report.findings if f.rule == "unused-term"]
    assert unused.term == "ilrs:hasParty" and unused.fix.startswith("it replaces ilrs:party")
    assert not [f for f in report.findings if f.rule == "deprecation"]


def test_a_deprecation_needs_a_current_replacement_or_a_reason(mini: MiniRepo) -> None:
    mini.append(ONTOLOGY, "ilrs:signedOn owl:deprecated true .")
    mini.append(ONTOLOGY, "ilrs:fileName owl:deprecated true ; dcterms:isReplacedBy ilrs:fileNmae .")
    found = {f.term: f.message for f in findings(mini, "deprecation")}
    assert found["ilrs:signedOn"].startswith("deprecated without dcterms:isReplacedBy or a skos:historyNote")
    assert found["ilrs:fileName"] == "its replacement ilrs:fileNmae is not defined by the ontology"


def test_query_terms_are_defined(mini: MiniRepo) -> None:
    mini.write(
        "queries/agreements.rq",
        "PREFIX x: <https://w3id.org/ilrs/ontology#>\nSELECT * WHERE {\n  ?a a ilrs:Agreement ; x:partty ?p .\n"
        "  FILTER(?p != <https://w3id.org/ilrs/ontology#Contry>)  # ilrs:Nothing in a comment\n"
        '  ?a ilrs:signedOn "#ilrs:x" .\n}\n',
    )
    found = {f.term: f for f in findings(mini, "query-terms")}
    assert set(found) == {"ilrs:partty", "ilrs:Contry"}
    assert found["ilrs:partty"].where == "queries/agreements.rq:3"
    assert found["ilrs:partty"].fix.startswith("did you mean ilrs:party?")
    assert found["ilrs:Contry"].fix.startswith("did you mean ilrs:Country?")


def test_did_you_mean_offers_a_term_of_the_same_kind(mini: MiniRepo) -> None:
    mini.append(ONTOLOGY, CLASS.format(name="Party", label="party organization", parent="ilrs:Organization"))
    mini.append(SOURCE, in_source_graph("agreement:cnsa-roscosmos-2021 ilrs:partyy agency:cnsa ."))
    mini.append(SOURCE, in_source_graph("agency:cnsa a ilrs:Partyy ."))
    found = {f.term: f.fix for f in findings(mini, "undefined-term")}
    # Case-folded, both are equally close to ilrs:party and ilrs:Party: each gets the term of its own kind.
    assert found["ilrs:partyy"].startswith("did you mean ilrs:party?")  # a property, by the conventions
    assert found["ilrs:Partyy"].startswith("did you mean ilrs:Party?")  # a class


def test_findings_about_a_statement_point_at_the_statement(mini: MiniRepo) -> None:
    mini.append(
        SOURCE,
        in_source_graph(
            "agreement:cnsa-roscosmos-2021\n"
            '    rdfs:comment "a wrong datatype two lines below the subject" ;\n'
            '    ilrs:counterpartCount "3"^^xsd:decimal .'
        ),
    )
    [wrong] = findings(mini, "range")
    bad_line = line_of(mini, SOURCE, "^^xsd:decimal")
    assert wrong.where == f"{SOURCE}:{bad_line}"
    assert line_of(mini, SOURCE, "agreement:cnsa-roscosmos-2021") < bad_line

    # An ill-typed literal in another file than the one that first describes its subject.
    mini.write(
        "data/sources/002.trig",
        PREFIXES + "GRAPH <https://w3id.org/ilrs/graph/source/002> {\n"
        '    agreement:cnsa-roscosmos-2021 ilrs:signedOn "2021-02-30"^^xsd:date .\n}\n',
    )
    [bad] = findings(mini, "ill-typed-literal")
    assert bad.where == f"data/sources/002.trig:{line_of(mini, 'data/sources/002.trig', '2021-02-30')}"


def test_reused_terms_are_declared_in_the_import_module(mini: MiniRepo) -> None:
    module = "ontology/imports/external.ttl"
    mini.write(module, "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n")
    found = {f.term: f for f in findings(mini, "import-declaration")}
    assert {"dcterms:issued", "prov:wasDerivedFrom", "prov:Entity"} <= set(found)
    assert found["dcterms:issued"].fix.startswith("add  dcterms:issued a owl:DatatypeProperty ; rdfs:label")
    assert found["prov:wasDerivedFrom"].fix.startswith("add  prov:wasDerivedFrom a owl:ObjectProperty")
    assert found["prov:Entity"].fix.endswith(f"to {module}")
    assert found["dcterms:issued"].where == f"data/sources.trig:{line_of(mini, 'data/sources.trig', 'dcterms:issued')}"
    mini.append(
        module,
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<http://purl.org/dc/terms/issued> a owl:DatatypeProperty ; rdfs:label "Date Issued"@en .',
    )
    assert "dcterms:issued" not in {f.term for f in findings(mini, "import-declaration")}


LOCATED = """\
@prefix ex: <https://example.org/> .
# ex:a is described below; this comment is no mention of it
ex:b ex:p ex:a .
ex:a ex:label "a # not a comment" ;
    ex:p ex:c .
ex:d ex:p ex:c .
ex:a ex:q ex:c , ex:e.f .
<https://example.org/g> ex:p ex:c .
"""


def test_the_locator_finds_statements_in_the_subjects_own_description(tmp_path: Path) -> None:
    """Lookups in the index of a file: a description's first line, a statement within the subject's own
    lines (not another subject's), a literal with a '#' in it, a name followed by a dot, a full IRI."""
    path = tmp_path / "data.ttl"
    path.write_text(LOCATED, encoding="utf-8")
    locator = Locator([path], root=tmp_path)
    ex = "https://example.org/"
    assert locator.find(ex + "a") == "data.ttl:4"  # described there; mentioned first on line 3
    assert locator.find(ex + "c") == "data.ttl:5"  # never at a line's start: its first mention
    assert locator.find(ex + "nowhere") is None
    assert locator.find_triple(ex + "a", ex + "p", ex + "c") == "data.ttl:5"
    assert locator.find_triple(ex + "d", ex + "p", ex + "c") == "data.ttl:6"  # ex:a's ex:p ex:c is not ex:d's
    assert locator.find_triple(ex + "a", ex + "q", ex + "e.f") == "data.ttl:7"
    assert locator.find_triple(ex + "a", ex + "q", ex + "e") == "data.ttl:7"  # ex:e.f. also mentions ex:e
    assert locator.find_triple(ex + "a", ex + "label", None, "a # not a comment") == "data.ttl:4"
    # Any object: the first line with the predicate from a mention of the subject on (here, as an object).
    assert locator.find_triple(ex + "a", ex + "p", None) == "data.ttl:3"
    assert locator.find_triple(ex + "g", ex + "p", ex + "c") == "data.ttl:8"
    assert locator.find_triple(ex + "a", ex + "p", ex + "missing") == "data.ttl:4"  # the subject's description
