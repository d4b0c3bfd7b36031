"""One prefix table for files, queries and documentation, and syntax errors a reader can act on."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from checkout import PROJECT_ROOT

from ilrs.graph.namespaces import PREFIXES

RDF_FILES = sorted(
    [
        *(PROJECT_ROOT / "graph" / "data").rglob("*.trig"),
        *(PROJECT_ROOT / "graph" / "data").rglob("*.ttl"),
        *(PROJECT_ROOT / "ontology").glob("*.ttl"),
        *(PROJECT_ROOT / "shapes").glob("*.ttl"),
    ]
)
QUERY_FILES = sorted((PROJECT_ROOT / "queries").glob("*.rq"))


def declared(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    pattern = r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>"
    return {m.group(1) or "": m.group(2) for m in re.finditer(pattern, text, re.MULTILINE | re.IGNORECASE)}


@pytest.mark.parametrize("path", [*RDF_FILES, *QUERY_FILES], ids=lambda p: p.name)
def test_every_prefix_of_the_files_is_in_the_one_table(path: Path) -> None:
    for prefix, iri in declared(path).items():
        assert PREFIXES.get(prefix) == iri, (path.name, prefix, iri)


def test_the_model_documentation_writes_only_valid_prefixed_names() -> None:
    """``id:country/PK`` is not SPARQL: a prefixed name in docs/model.md uses a declared prefix and no ``/``."""
    text = (PROJECT_ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    spans = re.findall(r"`([^`\s]+)`", text)
    names = [s for s in spans if re.fullmatch(r"[a-z][\w-]*:[\w./-]+", s) and not s.startswith("http")]
    assert {"country:PK", "mission:change-7", "source:003", "sourcegraph:003"} <= set(names)
    for name in names:
        prefix, _, local = name.partition(":")
        if name == "id:country/PK":  # quoted once as the form that does not work
            continue
        assert prefix in PREFIXES, name
        assert "/" not in local, name


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ilrs.graph.cli", *args], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120
    )


def test_ilrs_query_declares_the_kind_prefixes() -> None:
    result = run_cli(
        "query", "--quiet", "--format", "csv", "SELECT DISTINCT ?c WHERE { ?c ilrs:partnerStatus status:applied }"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["c", "https://w3id.org/ilrs/id/country/TR"]
    result = run_cli(
        "query", "--quiet", "--format", "csv", "ASK { country:TR skos:altLabel ?name . mission:viper a ?t }"
    )
    assert result.stdout.strip().lower() == "true", result.stderr


def test_a_slash_in_a_prefixed_name_is_explained_with_its_position() -> None:
    result = run_cli("query", "--quiet", "SELECT ?x WHERE {\n  ?x ilrs:party id:country/PK }")
    assert result.returncode == 1
    message = result.stderr.strip()
    assert message.startswith("ilrs: error: invalid query: error at 2:")  # the user's line, not the prologue's
    assert "“id:country/PK” is not a prefixed name" in message and "country:PK" in message
    assert "\\u{" not in message and "\n" not in message


def test_an_undeclared_prefix_is_named() -> None:
    result = run_cli("query", "--quiet", "SELECT * WHERE { ?s nope:p ?o }")
    assert result.stderr.strip() == (
        "ilrs: error: invalid query: error at 1:21: the prefix nope: is not declared (add PREFIX nope: <…> first)"
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * WHERE { ?s <http://a/p> ?o", "error at 1:36: unexpected end of query; expected one of"),
        ("SELECT (COUNT(?x) ?y) WHERE { }", "error at 1:23: unexpected “WHERE”; expected DISTINCT"),
        ("SELECT * WHERE { ?s ex:p ?o }", "error at 1:21: the prefix ex: is not declared"),
    ],
)
def test_the_endpoint_answers_a_syntax_error_in_one_short_sentence(
    client: httpx.Client, query: str, expected: str
) -> None:
    r = client.post("/sparql", data={"query": query})
    assert r.status_code == 400
    assert r.text.startswith(f"invalid query: {expected}"), r.text
    assert "\\u{" not in r.text and "['" not in r.text and len(r.text) < 300
