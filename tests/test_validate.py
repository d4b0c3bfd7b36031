"""``ilrs validate``: each violation once, its node shape by IRI and label, its named graph and file:line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from minirepo import MiniRepo, copy_mini
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from ilrs.graph.loader import build_store
from ilrs.graph.validate import _violations, validate_store

SOURCE = "data/sources/001.trig"
AGREEMENT = "https://w3id.org/ilrs/id/agreement/cnsa-roscosmos-2021"


@pytest.fixture
def mini(tmp_path: Path) -> MiniRepo:
    return copy_mini(tmp_path / "repo")


def line_of(mini: MiniRepo, relative: str, needle: str) -> int:
    lines = mini.path(relative).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


def test_a_violation_names_its_shape_graph_and_line(mini: MiniRepo) -> None:
    mini.replace(SOURCE, '"2021-03-09"^^xsd:date .', '"2021-03-09"^^xsd:date , "2021"^^xsd:gYear .')
    report = validate_store(build_store(mini.settings), mini.settings)
    [violation] = report.violations
    assert violation.shape == "https://w3id.org/ilrs/shapes#AgreementShape"
    assert violation.shape_label == "agreement shape"
    assert violation.graphs == ("https://w3id.org/ilrs/graph/source/001",)
    assert violation.where == f"{SOURCE}:{line_of(mini, SOURCE, 'ilrs:signedOn')}"
    text = report.to_text()
    assert "shape: https://w3id.org/ilrs/shapes#AgreementShape (agreement shape)" in text
    assert f"in <https://w3id.org/ilrs/graph/source/001> at {SOURCE}:" in text


def test_the_cli_prints_the_location_in_text_and_json(mini: MiniRepo) -> None:
    mini.replace(SOURCE, "ilrs:party agency:cnsa , agency:roscosmos ;", "")
    env = {**os.environ, **mini.env}
    done = subprocess.run(
        [sys.executable, "-m", "ilrs.graph.cli", "validate", "--quiet", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 1
    [violation] = json.loads(done.stdout)["violations"]
    assert violation["focus"] == AGREEMENT and violation["path"] == "https://w3id.org/ilrs/ontology#party"
    assert violation["where"] == f"{SOURCE}:{line_of(mini, SOURCE, 'agreement:cnsa-roscosmos-2021 a')}"
    assert violation["graphs"] == ["https://w3id.org/ilrs/graph/source/001"]


def test_a_result_reported_twice_is_printed_once() -> None:
    shapes = Graph()
    shape, prop = URIRef("https://w3id.org/ilrs/shapes#AgreementShape"), BNode()
    shapes.add((shape, SH.property, prop))
    results = Graph()
    report = BNode()
    results.add((report, RDF.type, SH.ValidationReport))
    for _ in range(2):  # two result nodes saying the same
        result = BNode()
        results.add((report, SH.result, result))
        results.add((result, SH.focusNode, URIRef(AGREEMENT)))
        results.add((result, SH.resultPath, URIRef("https://w3id.org/ilrs/ontology#party")))
        results.add((result, SH.resultMessage, Literal("An agreement must have a party.")))
        results.add((result, SH.sourceShape, prop))
        results.add((result, SH.resultSeverity, SH.Violation))
    [violation] = _violations(results, shapes)
    assert violation.shape == str(shape)
