"""``ilrs check``: the real repository has no errors; every rule fires on a small broken fixture."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from minirepo import PREFIXES, MiniRepo, copy_mini

from ilrs.graph.check import CheckReport, run_checks
from ilrs.graph.check_rules import RULES, Finding
from ilrs.graph.errors import ParseError
from ilrs.graph.settings import get_settings

ONTOLOGY = "ontology/ilrs.ttl"
SHAPES = "shapes/shapes.ttl"
SOURCE = "data/sources/001.trig"
DEFINED = "rdfs:isDefinedBy <https://w3id.org/ilrs/ontology>"


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


def test_the_fixture_is_clean(mini: MiniRepo) -> None:
    report = run_checks(mini.settings)
    assert [(f.level, f.rule, f.term) for f in report.findings] == [("info", "unused-term", "ilrs:counterpartCount")]
    assert not report.failed(strict=True)


def test_missing_label_definition_and_defined_by(mini: MiniRepo) -> None:
    mini.append(ONTOLOGY, 'ilrs:Rover a owl:Class ; skos:definition "A vehicle."@en ; ' + DEFINED + " .")
    mini.append(ONTOLOGY, 'ilrs:Lander a owl:Class ; rdfs:label "lander"@en ; ' + DEFINED + " .")
    mini.append(ONTOLOGY, 'ilrs:Orbiter a owl:Class ; rdfs:label "orbiter"@en ; skos:definition "An orbiter."@en .')
    found = findings(mini)
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
    mini.append(ONTOLOGY, 'ilrs:Rover a owl:Class ; rdfs:label "rover"@en ; skos:definition "x"@en ; ' + DEFINED + " .")
    mini.append(
        ONTOLOGY, 'ilrs:Agency a owl:Class ; rdfs:label "agency"@en ; skos:definition "x"@en ; ' + DEFINED + " ;"
    )
    mini.append(ONTOLOGY, "    rdfs:subClassOf ilrs:Organization .")  # covered by the superclass's shape
    report = run_checks(mini.settings)
    [warning] = [f for f in report.findings if f.rule == "class-without-shape"]
    assert (warning.level, warning.term) == ("warning", "ilrs:Rover")
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
    assert "error  dangling-instance  agency:cnza" in table.stdout
    assert "fix: did you mean agency:cnsa?" in table.stdout
    data = json.loads(ilrs(mini, "check", "--format", "json").stdout)
    assert data["errors"] == 1 and data["findings"][0]["rule"] == "dangling-instance"

    mini.append(SOURCE, "GRAPH <x> { oops")
    broken = ilrs(mini, "check")
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    assert broken.stderr.startswith("ilrs: error: ") and "001.trig:" in broken.stderr
