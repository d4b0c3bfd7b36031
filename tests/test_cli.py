"""The ``ilrs`` command, run in-process for speed and as a real subprocess where exit codes and streams matter."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from ilrs.graph.cli import main
from ilrs.graph.settings import get_settings
from ilrs.graph.store import Store

PHASES = """
PREFIX ilrs: <https://w3id.org/ilrs/ontology#>
SELECT DISTINCT ?phase WHERE { ?phase a ilrs:Phase } ORDER BY ?phase
"""


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ilrs.graph.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def expected_phases(dataset: Store) -> list[str]:
    return [s["phase"].value for s in dataset.query(PHASES)]


def test_validate_conforms(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("conforms:")


def test_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--quiet", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["conforms"] is True and report["violations"] == [] and report["triples"] > 1000


def test_query_string_as_csv(capsysbinary: pytest.CaptureFixture[bytes], dataset: Store) -> None:
    assert main(["query", "--quiet", "--format", "csv", PHASES]) == 0
    rows = list(csv.reader(io.StringIO(capsysbinary.readouterr().out.decode())))
    assert rows[0] == ["phase"]
    assert [r[0] for r in rows[1:]] == expected_phases(dataset)


def test_query_file_as_table_uses_declared_prefixes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dataset: Store
) -> None:
    query = tmp_path / "phases.rq"
    query.write_text("SELECT DISTINCT ?phase WHERE { ?phase a ilrs:Phase } ORDER BY ?phase")  # no PREFIX lines
    assert main(["query", "--quiet", str(query)]) == 0
    out = capsys.readouterr().out
    phases = expected_phases(dataset)
    assert phases and all(p in out for p in phases)
    assert out.rstrip().endswith(f"({len(phases)} rows)")


def test_query_json_and_construct(capsysbinary: pytest.CaptureFixture[bytes], dataset: Store) -> None:
    assert main(["query", "--quiet", "--format", "json", "ASK { ?s a ilrs:Phase }"]) == 0
    assert json.loads(capsysbinary.readouterr().out)["boolean"] is True
    construct = "CONSTRUCT { ?p a ilrs:Phase } WHERE { ?p a ilrs:Phase }"
    assert main(["query", "--quiet", "--format", "ntriples", construct]) == 0
    triples = list(ox.parse(capsysbinary.readouterr().out, format=ox.RdfFormat.N_TRIPLES))
    assert {t.subject.value for t in triples} == set(expected_phases(dataset))


def test_format_aliases_and_refusals(capsysbinary: pytest.CaptureFixture[bytes], dataset: Store) -> None:
    # The names other tools use select the same formats as on the endpoint (graph/formats.py).
    construct = "CONSTRUCT { ?p a ilrs:Phase } WHERE { ?p a ilrs:Phase }"
    assert main(["query", "--quiet", "--format", "ttl", construct]) == 0
    triples = list(ox.parse(capsysbinary.readouterr().out, format=ox.RdfFormat.TURTLE))
    assert {t.subject.value for t in triples} == set(expected_phases(dataset))
    assert main(["query", "--quiet", "--format", "csv", construct]) == 1
    assert b"a CONSTRUCT or DESCRIBE result cannot be written as csv" in capsysbinary.readouterr().err
    refused = run_cli("serve", "--max-result-rows", "0")
    assert refused.returncode == 2 and "expected a whole number above 0" in refused.stderr
    unknown = run_cli("export", "--format", "yaml")
    assert unknown.returncode == 2 and "unknown format 'yaml'" in unknown.stderr


@pytest.mark.parametrize("fmt", ["trig", "nquads", "jsonld"])
def test_export_round_trips(fmt: str, tmp_path: Path, dataset: Store) -> None:
    out = tmp_path / f"dump.{fmt}"
    assert main(["export", "--quiet", "--format", fmt, "-o", str(out)]) == 0
    media = {"trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS, "jsonld": ox.RdfFormat.JSON_LD}[fmt]
    reloaded = ox.Store()
    reloaded.load(path=str(out), format=media)
    assert len(reloaded) == dataset.count()
    assert {g.value for g in reloaded.named_graphs()} == set(dataset.graphs())


def test_export_one_graph_as_turtle(tmp_path: Path, dataset: Store) -> None:
    graph = next(g for g in dataset.graphs() if "/graph/source/" in g)
    out = tmp_path / "one.ttl"
    assert main(["export", "--quiet", "--format", "turtle", "--graph", graph, "-o", str(out)]) == 0
    assert len(list(ox.parse(path=str(out), format=ox.RdfFormat.TURTLE))) == dataset.count(graph)


def test_export_single_graph_format_needs_a_graph(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--quiet", "--format", "turtle"]) == 1
    assert "name it with --graph" in capsys.readouterr().err


def test_stats_json(capsys: pytest.CaptureFixture[str], dataset: Store) -> None:
    assert main(["stats", "--quiet", "--format", "json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["total"] == dataset.count()
    assert stats["graphs"] == {g: dataset.count(g) for g in dataset.graphs()}
    assert stats["classes"]["https://w3id.org/ilrs/ontology#Country"] >= 249


def test_on_disk_store(tmp_path: Path, capsys: pytest.CaptureFixture[str], dataset: Store) -> None:
    store_dir = tmp_path / "store"
    for _ in range(2):  # a second run reloads into the existing store instead of doubling it
        assert main(["stats", "--quiet", "--format", "json", "--store", str(store_dir)]) == 0
        assert json.loads(capsys.readouterr().out)["total"] == dataset.count()
    assert any(store_dir.iterdir())


def test_invalid_query_reports_position_in_user_text() -> None:
    result = run_cli("query", "--quiet", "SELECT ?x WHERE { ?x ?y }")
    assert result.returncode == 1
    assert result.stderr.startswith("ilrs: error: invalid query: error at 1:")
    assert len(result.stderr.strip().splitlines()) == 1  # the parser's list of expected tokens spans lines
    assert "Traceback" not in result.stderr


def test_missing_query_file() -> None:
    result = run_cli("query", "--quiet", "nowhere/missing.rq")
    assert result.returncode == 1
    assert result.stderr.strip() == "ilrs: error: nowhere/missing.rq: no such query file"


def test_syntax_error_in_data_file_names_file_line_and_column(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(get_settings().data_dir, data)
    broken = next(data.rglob("*.trig"))
    broken.write_text(broken.read_text() + "\nGRAPH <urn:x> { <urn:a> <urn:b> ;; }\n")
    line = broken.read_text().count("\n")
    result = run_cli("validate", env={"ILRS_DATA_DIR": str(data)})
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith(f"ilrs: error: {broken}:{line}:")  # one line, at the end
    assert "Traceback" not in result.stderr


def test_validation_failure_exit_code_and_report(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(get_settings().data_dir, data)
    (data / "sources" / "999.trig").write_text(
        "GRAPH <https://w3id.org/ilrs/graph/source/999> {\n"
        "  <https://w3id.org/ilrs/id/phase/bad> a <https://w3id.org/ilrs/ontology#Phase> .\n}\n"
    )
    result = run_cli("validate", "--quiet", env={"ILRS_DATA_DIR": str(data)})
    assert result.returncode == 1
    assert result.stdout.startswith("does not conform:")
    assert "https://w3id.org/ilrs/graph/source/999" in result.stdout  # an undescribed source graph is caught
    assert "https://w3id.org/ilrs/id/phase/bad" in result.stdout


def test_query_from_clause_is_honoured(capsysbinary: pytest.CaptureFixture[bytes], dataset: Store) -> None:
    graph = "https://w3id.org/ilrs/graph/source/000"
    query = f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}"
    assert main(["query", "--quiet", "--format", "csv", query]) == 0
    assert capsysbinary.readouterr().out.decode().split() == ["n", str(dataset.count(graph))]


def test_query_service_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--quiet", "SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"]) == 1
    assert "SERVICE <http://127.0.0.1:9/sparql> is not allowed" in capsys.readouterr().err
