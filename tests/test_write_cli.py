"""``ilrs token add``, ``ilrs load``, ``ilrs update`` and ``ilrs export --changed-since`` on a store on disk.

The commands run as a user runs them (``python -m ilrs.graph.cli``), each a process of its own, on
one store folder; refusals are checked to leave the store as it was.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from checkout import PROJECT_ROOT
from rdflib import Dataset, URIRef
from servers import start_server, stop_server

from ilrs.graph.loader import build_store
from ilrs.graph.settings import get_settings
from ilrs.graph.store import read_only_store
from ilrs.graph.tokens import TokenRegistry, read_tokens

SOURCE_003 = "https://w3id.org/ilrs/graph/source/003"
CNSA = "https://w3id.org/ilrs/id/agency/cnsa"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def ilrs(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ilrs.graph.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-store") / "store"
    done = ilrs("stats", "--store", folder, "--quiet")
    assert done.returncode == 0, done.stderr
    return folder


def quads(store: Path) -> int:
    done = ilrs("query", "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }", "--store", store, "--format", "csv")
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


def test_token_add_prints_the_token_once_and_stores_its_hash(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    done = ilrs("token", "add", "alice", "--file", tokens)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert len(token) >= 40 and token not in tokens.read_text()
    assert [e.name for e in read_tokens(tokens)] == ["alice"]
    assert TokenRegistry.from_file(tokens).identify(token) == "alice"
    assert TokenRegistry.from_file(tokens).identify(token + "x") is None
    again = ilrs("token", "add", "alice", "--file", tokens)
    assert again.returncode == 1 and "exists already" in again.stderr
    assert ilrs("token", "add", "bad name", "--file", tokens).returncode == 1


def test_load_and_update_write_through_the_same_gate(store: Path, tmp_path: Path) -> None:
    before = quads(store)
    data = tmp_path / "label.ttl"
    data.write_text(f'<{CNSA}> <{LABEL}> "Agence spatiale chinoise"@fr .\n')
    loaded = ilrs("load", data, "--graph", SOURCE_003, "--store", store, "--as", "bob", "-m", "from 003")
    assert loaded.returncode == 0, loaded.stderr
    assert "committed version" in loaded.stderr and "+1 -0" in loaded.stderr
    updated = ilrs(
        "update",
        f'INSERT DATA {{ GRAPH <{SOURCE_003}> {{ <{CNSA}> <{LABEL}> "CNSA"@it }} }}',
        "--store",
        store,
        "--as",
        "bob",
    )
    assert updated.returncode == 0, updated.stderr
    asked = ilrs(
        "query",
        f"ASK {{ GRAPH <https://w3id.org/ilrs/graph/changelog> {{ "
        f"?a <https://w3id.org/ilrs/changelog#changed> <{CNSA}> ; "
        f'<http://www.w3.org/2000/01/rdf-schema#comment> "from 003" }} }}',
        "--store",
        store,
    )
    assert asked.returncode == 0 and "true" in asked.stdout.lower()
    assert quads(store) > before + 2


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["update", "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> } }"], "invalid update: error at 1:"),
        (
            [
                "update",
                "INSERT DATA { GRAPH <https://w3id.org/ilrs/graph/source/003> { "
                "<https://w3id.org/ilrs/id/agency/x> a <https://w3id.org/ilrs/ontology#SpaceAgency> } }",
            ],
            "does not conform",
        ),
        (
            [
                "update",
                "INSERT DATA { GRAPH <https://w3id.org/ilrs/graph/source/003> { "
                "<https://w3id.org/ilrs/id/agency/x> a <https://w3id.org/ilrs/ontology#SpaceAgency> } }",
            ],
            # Every violation is listed on a line of its own: focus node, path, message.
            "\n  https://w3id.org/ilrs/id/agency/x http://www.w3.org/2000/01/rdf-schema#label: An organization must",
        ),
        (["update", "CLEAR GRAPH <https://w3id.org/ilrs/graph/reference/countries>"], "reference data"),
        (
            ["update", "INSERT DATA { GRAPH <urn:x:g> { <urn:a> <urn:b> <urn:c> } }", "--message", "m" * 2001],
            "the edit message is 2001 characters long; at most 2000 are accepted",
        ),
    ],
    ids=["syntax", "shapes", "shapes-listed", "reference", "long-message"],
)
def test_refused_writes_say_why_and_change_nothing(store: Path, command: list[str], message: str) -> None:
    before = quads(store)
    done = ilrs(*command, "--store", store)
    assert done.returncode == 1
    assert message in done.stderr and "Traceback" not in done.stderr
    assert quads(store) == before


def test_load_of_malformed_turtle_names_the_file_line_and_column(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> .\n")
    before = quads(store)
    done = ilrs("load", bad, "--graph", "urn:x:g", "--store", store)
    assert done.returncode == 1 and f"{bad}:2:" in done.stderr, done.stderr
    assert quads(store) == before


def test_writes_need_a_store_on_disk() -> None:
    done = ilrs("update", "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }")
    assert done.returncode == 1 and "--store DIR" in done.stderr


def test_export_changed_since_writes_the_changed_graphs_in_the_data_layout(store: Path, tmp_path: Path) -> None:
    update = f'INSERT DATA {{ GRAPH <{SOURCE_003}> {{ <{CNSA}> <{LABEL}> "CNSA"@es }} }}'
    assert ilrs("update", update, "--store", store).returncode == 0
    out = tmp_path / "exported"
    done = ilrs("export", "--store", store, "--changed-since", "loaded", "--output", out)
    assert done.returncode == 0, done.stderr
    assert (out / "sources" / "003.trig").is_file()
    assert [p.relative_to(out).as_posix() for p in sorted(out.rglob("*.trig"))] == ["sources/003.trig"]
    exported = Dataset().parse(out / "sources" / "003.trig", format="trig")
    graph = exported.graph(URIRef(SOURCE_003))
    assert (URIRef(CNSA), URIRef(LABEL), None) in graph and len(graph) > 10
    unknown = ilrs("export", "--store", store, "--changed-since", "0000", "--output", out)
    assert unknown.returncode == 1 and "no committed write produced version" in unknown.stderr


def test_the_default_graph_round_trips_through_export_load_and_diff(tmp_path: Path) -> None:
    """Written to the default graph, exported as default.trig, loaded from the files: the same quads, in the
    default graph; ilrs diff of the checkout with and without the file shows them there."""
    folder = tmp_path / "store"
    note = "https://example.org/round-trip"
    update = (
        f'INSERT DATA {{ <{note}> <{LABEL}> "a note"@en , "une note"@fr ; '
        f"<https://example.org/count> 3 ; <https://example.org/about> <{CNSA}> }}"
    )
    done = ilrs("update", update, "--store", folder, "--as", "curator")
    assert done.returncode == 0, done.stderr
    assert "https://w3id.org/ilrs/ontology#DefaultGraph" in done.stderr
    out = tmp_path / "exported"
    exported = ilrs("export", "--store", folder, "--changed-since", "loaded", "--output", out)
    assert exported.returncode == 0, exported.stderr
    assert [p.relative_to(out).as_posix() for p in sorted(out.rglob("*.trig"))] == ["default.trig"]
    in_file = set(ox.parse(path=str(out / "default.trig"), format=ox.RdfFormat.TRIG))
    written = read_only_store(folder)
    in_store = set(written.match(None, None, None, ox.DefaultGraph()))
    assert len(in_store) == 4 and in_file == in_store
    # A checkout with the file in graph/data/: the loader puts its triples back into the default graph.
    checkout = tmp_path / "checkout"
    for part in ("ontology", "shapes", "graph/data"):
        shutil.copytree(PROJECT_ROOT / part, checkout / part)
    shutil.copy(out / "default.trig", checkout / "graph" / "data" / "default.trig")
    settings = get_settings().model_copy(
        update={
            "ontology_dir": checkout / "ontology",
            "shapes_dir": checkout / "shapes",
            "data_dir": checkout / "graph" / "data",
            "store_dir": None,
        }
    )
    reloaded = build_store(settings, derived=False)
    assert set(reloaded.match(None, None, None, ox.DefaultGraph())) == in_store
    diff = ilrs("diff", PROJECT_ROOT, checkout)
    assert diff.returncode == 0, diff.stderr
    assert "+ (default graph)  (4 triples)" in diff.stdout, diff.stdout
    assert '+ rdfs:label "une note"@fr' in diff.stdout


@pytest.mark.parametrize("option", ["--tokens", "--store"])
def test_serve_refuses_several_processes_for_writes_or_a_store_on_disk(tmp_path: Path, option: str) -> None:
    """Each process would hold its own writer and copy of the data (or fail to lock the store): refused at once."""
    tokens = tmp_path / "tokens"
    assert ilrs("token", "add", "alice", "--file", tokens).returncode == 0
    value = tokens if option == "--tokens" else tmp_path / "store"
    done = ilrs("serve", "--port", "1", "--workers", "2", option, value)
    assert done.returncode == 1
    assert "--workers 1" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "store").exists()


def test_a_store_held_by_a_server_is_refused_with_the_reason(tmp_path: Path) -> None:
    """The server holds the store's lock: the command says so (no traceback), and export still reads it."""
    folder = tmp_path / "held"
    server = start_server(tmp_path, "--store", str(folder))
    try:
        done = ilrs("update", "INSERT DATA { GRAPH <urn:x:g> { <urn:a> <urn:b> <urn:c> } }", "--store", folder)
        assert done.returncode == 1 and "Is a server using it?" in done.stderr and "Traceback" not in done.stderr
        exported = ilrs("export", "--store", folder, "--changed-since", "loaded", "--output", tmp_path / "out")
        assert exported.returncode == 0, exported.stderr
    finally:
        stop_server(server)
