"""``ilrs diff``: semantic, blank-node safe, across files, folders and git revisions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from minirepo import MiniRepo, copy_mini

from ilrs.graph.diff import diff_snapshots
from ilrs.graph.errors import NotFound, ParseError
from ilrs.graph.snapshot import load_snapshot

FIXTURES = Path(__file__).parent / "fixtures" / "diff"


def diff(mini: MiniRepo, old: str, new: str):  # type: ignore[no-untyped-def]
    return diff_snapshots(load_snapshot(old, mini.settings), load_snapshot(new, mini.settings))


@pytest.fixture
def mini(tmp_path: Path) -> MiniRepo:
    return copy_mini(tmp_path / "repo")


@pytest.fixture
def repo(mini: MiniRepo) -> MiniRepo:
    """The miniature repository as a git repository with one commit."""
    git = ["git", "-C", str(mini.root), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "first"], check=True)
    return mini


def test_isomorphic_files_with_differently_named_blank_nodes_do_not_differ(mini: MiniRepo) -> None:
    result = diff(mini, str(FIXTURES / "old.ttl"), str(FIXTURES / "same.ttl"))
    assert result.empty
    assert result.to_text().endswith("no differences")


def test_terms_added_removed_relabelled_and_changed_axioms(mini: MiniRepo) -> None:
    result = diff(mini, str(FIXTURES / "old.ttl"), str(FIXTURES / "new.ttl"))
    assert [t.term for t in result.terms_added] == ["ilrs:Person"]
    assert [t.term for t in result.terms_removed] == ["ilrs:Agreement"]
    assert [(r.term, r.old, r.new) for r in result.relabelled] == [("ilrs:party", ['"party"@en'], ['"has party"@en'])]
    [change] = result.changed
    assert [str(s) for s in change.removed] == [
        'rdfs:label "party"@en',
        "rdfs:range [ a owl:Class ; owl:unionOf ( ilrs:Organization ilrs:Country ) ]",
    ]
    assert (
        str(change.added[1])
        == "rdfs:range [ a owl:Class ; owl:unionOf ( ilrs:Organization ilrs:Country ilrs:Person ) ]"
    )
    person = result.terms_added[0].statements
    assert "rdfs:subClassOf [ a owl:Restriction ; owl:onProperty ilrs:party ; owl:someValuesFrom ilrs:Agreement ]" in [
        str(s) for s in person
    ]
    data = json.loads(result.to_json())
    assert data["relabelled"][0]["new"] == ['"has party"@en']


def test_working_tree_against_git_revision_per_named_graph(repo: MiniRepo) -> None:
    repo.replace("data/sources/001.trig", "agency:cnsa , agency:roscosmos", "agency:cnsa")
    repo.replace("ontology/ilrs.ttl", '"party"@en', '"has party"@en')
    result = diff(repo, "git:HEAD", str(repo.root))
    changed = {c.graph: c for c in result.graphs_changed}
    assert set(changed) == {"https://w3id.org/ilrs/graph/source/001", "https://w3id.org/ilrs/graph/ontology"}
    source = changed["https://w3id.org/ilrs/graph/source/001"]
    assert [str(s) for s in source.removed] == ["ilrs:party agency:roscosmos"] and not source.added
    assert [r.term for r in result.relabelled] == ["ilrs:party"]
    assert diff(repo, "git:HEAD", "git:HEAD").empty


def test_file_and_folder_at_a_revision(repo: MiniRepo) -> None:
    repo.append("ontology/ilrs.ttl", 'ilrs:Rover a owl:Class ; rdfs:label "rover"@en .')
    result = diff(repo, "HEAD:ontology/ilrs.ttl", str(repo.path("ontology/ilrs.ttl")))
    assert [t.term for t in result.terms_added] == ["ilrs:Rover"]
    assert diff(repo, "HEAD:shapes", str(repo.path("shapes"))).empty


def test_bad_input_is_a_clear_error(repo: MiniRepo) -> None:
    with pytest.raises(NotFound, match="unknown git revision 'nope'"):
        load_snapshot("git:nope", repo.settings)
    with pytest.raises(NotFound, match=r"no ontology/missing\.ttl at git revision HEAD"):
        load_snapshot("HEAD:ontology/missing.ttl", repo.settings)
    with pytest.raises(NotFound, match="no such file or folder"):
        load_snapshot(str(repo.path("nowhere.ttl")), repo.settings)
    repo.append("ontology/ilrs.ttl", "ilrs:Broken a .")
    with pytest.raises(ParseError, match=r"ilrs\.ttl:\d+:\d+: "):
        load_snapshot(str(repo.path("ontology/ilrs.ttl")), repo.settings)


def test_cli(repo: MiniRepo) -> None:
    repo.append("ontology/ilrs.ttl", 'ilrs:Rover a owl:Class ; rdfs:label "rover"@en .')
    env = {**os.environ, **repo.env}

    def ilrs(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "ilrs.graph.cli", "diff", *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=repo.root, timeout=120)

    text = ilrs("git:HEAD", "--exit-code")
    assert text.returncode == 1, text.stderr
    assert '+ ilrs:Rover  (owl:Class)  "rover"@en' in text.stdout
    assert json.loads(ilrs("git:HEAD", "--format", "json").stdout)["terms_added"][0]["term"] == "ilrs:Rover"
    bad = ilrs("HEAD~7:ontology/ilrs.ttl")
    assert bad.returncode == 1 and bad.stderr.startswith("ilrs: error: ") and "Traceback" not in bad.stderr


DEPRECATION = """
ilrs:hasParty a owl:ObjectProperty ; rdfs:label "has party"@en ; skos:definition "A party of the agreement."@en ;
    rdfs:domain ilrs:Agreement ; rdfs:range ilrs:Organization ; rdfs:isDefinedBy <https://w3id.org/ilrs/ontology> .
ilrs:party owl:deprecated true ; dcterms:isReplacedBy ilrs:hasParty ; skos:historyNote "Renamed."@en .
"""


def test_deprecations_have_their_own_section(mini: MiniRepo, tmp_path: Path) -> None:
    old = copy_mini(tmp_path / "old")
    mini.append("ontology/ilrs.ttl", DEPRECATION)
    result = diff(mini, str(old.root), str(mini.root))
    assert result.deprecated == ["ilrs:party → ilrs:hasParty (Renamed.)"]
    text = result.to_text()
    assert "deprecated (kept for old clients; use the replacement):\n! ilrs:party → ilrs:hasParty (Renamed.)" in text
    assert json.loads(result.to_json())["deprecated"] == ["ilrs:party → ilrs:hasParty (Renamed.)"]
    assert diff(mini, str(mini.root), str(mini.root)).deprecated == []
