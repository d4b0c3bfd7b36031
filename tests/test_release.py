"""``ilrs release``: versioned files, a generated CHANGELOG entry, and refusals."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from minirepo import MiniRepo, copy_mini
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDFS

from ilrs.graph.errors import InputError, ValidationError
from ilrs.graph.release import make_release
from ilrs.graph.snapshot import load_snapshot

DAY = dt.date(2025, 1, 2)
ROVER = (
    'ilrs:Rover a owl:Class ; rdfs:subClassOf ilrs:Organization ; rdfs:label "rover"@en ; '
    'skos:definition "A vehicle."@en ; rdfs:isDefinedBy <https://w3id.org/ilrs/ontology> .'
)


@pytest.fixture
def mini(tmp_path: Path) -> MiniRepo:
    return copy_mini(tmp_path / "repo")


def bump(mini: MiniRepo, old: str, new: str) -> None:
    mini.replace("ontology/ilrs.ttl", f'owl:versionInfo "{old}"', f'owl:versionInfo "{new}"')
    mini.replace("ontology/ilrs.ttl", f"ontology/{old}>", f"ontology/{new}>")


def test_first_and_second_release(mini: MiniRepo) -> None:
    first = make_release(mini.settings, today=DAY)
    assert first.version == "0.1.0" and first.folder == mini.path("release/0.1.0")
    names = sorted(p.name for p in first.folder.iterdir())
    assert names == [
        "dataset.nq", "dataset.trig", "ilrs-base.jsonld", "ilrs-base.owl", "ilrs-base.ttl",
        "ilrs-full.jsonld", "ilrs-full.owl", "ilrs-full.ttl", "shapes.ttl",
    ]  # fmt: skip
    assert first.entry.startswith("## 0.1.0 — 2025-01-02\n\nFirst release:")
    assert prior_version(first.folder) is None

    # The release folder is a version `ilrs diff` can compare with: the same as the working tree.
    assert (
        load_snapshot(str(first.folder), mini.settings).graphs.keys()
        == load_snapshot(str(mini.root), mini.settings).graphs.keys()
    )

    with pytest.raises(InputError, match="exists: bump owl:versionInfo"):
        make_release(mini.settings, today=DAY)

    bump(mini, "0.1.0", "0.2.0")
    mini.append("ontology/ilrs.ttl", ROVER)
    mini.replace("ontology/ilrs.ttl", '"party"@en', '"has party"@en')
    second = make_release(mini.settings, today=DAY)
    assert "Compared with `release 0.1.0`:" in second.entry
    assert "- added: `ilrs:Rover`" in second.entry
    assert '- relabelled `ilrs:party`: "party"@en → "has party"@en' in second.entry
    changelog = mini.path("release/CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog")
    assert changelog.index("## 0.2.0") < changelog.index("## 0.1.0")
    assert prior_version(second.folder) == "https://w3id.org/ilrs/ontology/0.1.0"

    # --force re-releases 0.2.0: its entry is replaced, not doubled, and it is still compared with 0.1.0.
    mini.replace("ontology/ilrs.ttl", '"has party"@en', '"is party"@en')
    again = make_release(mini.settings, force=True, today=DAY)
    changelog = mini.path("release/CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.count("## 0.2.0 ") == 1 and changelog.count("## 0.1.0 ") == 1
    assert '"party"@en → "is party"@en' in changelog and '"has party"' not in changelog
    assert again.entry in changelog and prior_version(again.folder) == "https://w3id.org/ilrs/ontology/0.1.0"


def prior_version(folder: Path) -> str | None:
    graph = Graph().parse(folder / "ilrs-base.ttl", format="turtle")
    value = graph.value(URIRef("https://w3id.org/ilrs/ontology"), OWL.priorVersion)
    return None if value is None else str(value)


def test_base_and_full_artefacts_in_three_formats(mini: MiniRepo) -> None:
    mini.write(
        "ontology/imports/external.ttl",
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<http://www.w3.org/ns/prov#Entity> a owl:Class ; rdfs:label "Entity"@en .\n',
    )
    folder = make_release(mini.settings, today=DAY).folder
    base = Graph().parse(folder / "ilrs-base.ttl", format="turtle")
    full = Graph().parse(folder / "ilrs-full.ttl", format="turtle")
    entity = URIRef("http://www.w3.org/ns/prov#Entity")
    assert (entity, RDFS.label, None) in full and (entity, RDFS.label, None) not in base
    assert len(full) == len(base) + 2
    for name, graph in (("ilrs-base", base), ("ilrs-full", full)):
        assert isomorphic(Graph().parse(folder / f"{name}.owl", format="xml"), graph)
        assert isomorphic(Graph().parse(folder / f"{name}.jsonld", format="json-ld"), graph)


def git(mini: MiniRepo, *args: str) -> None:
    subprocess.run(["git", "-C", str(mini.root), *args], check=True, capture_output=True)


def test_refused_on_a_dirty_tree_but_not_for_scratch_files(mini: MiniRepo) -> None:
    git(mini, "init", "-q")
    git(mini, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    git(mini, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "mini")
    mini.write("scratch/try.ttl", "<x:a> <x:b> <x:c> .\n")  # outside the inputs: fine
    mini.write("data/sources/002.trig", "")  # untracked: it would enter the dataset
    with pytest.raises(InputError, match=r"uncommitted or untracked files .*data/sources/002\.trig"):
        make_release(mini.settings, today=DAY)
    mini.path("data/sources/002.trig").unlink()
    mini.replace("ontology/ilrs.ttl", '"party"@en', '"has party"@en')  # modified, not committed
    with pytest.raises(InputError, match=r"ontology/ilrs\.ttl"):
        make_release(mini.settings, today=DAY)
    assert not mini.path("release").exists()
    git(mini, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qam", "relabel")
    assert make_release(mini.settings, today=DAY).version == "0.1.0"


def test_since_a_given_version(mini: MiniRepo) -> None:
    make_release(mini.settings, today=DAY)
    bump(mini, "0.1.0", "0.1.1")
    release = make_release(mini.settings, since=str(mini.path("release/0.1.0")), today=DAY)
    assert "owl:versionInfo" in release.entry  # the ontology's own version statements changed


def test_refused_while_check_or_shacl_fails(mini: MiniRepo) -> None:
    mini.append("ontology/ilrs.ttl", 'ilrs:Rover a owl:Class ; rdfs:label "rover"@en .')  # no definition
    with pytest.raises(ValidationError, match=r"ilrs check reports \d+ error"):
        make_release(mini.settings, today=DAY)
    assert not mini.path("release").exists()

    copy_mini(mini.root)
    mini.replace("data/sources/001.trig", "ilrs:party agency:cnsa , agency:roscosmos ;", "")  # the shape wants one
    with pytest.raises(ValidationError, match="does not conform to the shapes"):
        make_release(mini.settings, today=DAY)


def test_the_changelog_lists_deprecations_apart(mini: MiniRepo) -> None:
    make_release(mini.settings, today=DAY)
    bump(mini, "0.1.0", "0.2.0")
    mini.append(
        "ontology/ilrs.ttl",
        'ilrs:signedOn owl:deprecated true ; skos:historyNote "The sources give no signing day."@en .',
    )
    entry = make_release(mini.settings, today=DAY).entry
    assert "### Deprecated\n\n- ilrs:signedOn (The sources give no signing day.)\n\n### Changes\n\n" in entry
    assert entry.index("### Deprecated") < entry.index("- changed: ")


def test_the_committed_releases_are_complete_and_in_the_changelog() -> None:
    """Every folder of release/ was written by ilrs release: its artefacts, its version, its CHANGELOG entry."""
    from ilrs.graph.settings import get_settings

    release_dir = get_settings().release_folder()
    folders = sorted(p for p in release_dir.iterdir() if p.is_dir())
    assert folders, "release/ holds the first release, the base of the next one's CHANGELOG entry"
    changelog = (release_dir / "CHANGELOG.md").read_text(encoding="utf-8")
    for folder in folders:
        assert {"ilrs-base.ttl", "ilrs-full.owl", "ilrs-full.jsonld", "dataset.nq", "shapes.ttl"} <= {
            p.name for p in folder.iterdir()
        }
        base = Graph().parse(folder / "ilrs-base.ttl", format="turtle")
        iri = URIRef("https://w3id.org/ilrs/ontology")
        assert str(base.value(iri, OWL.versionInfo)) == folder.name
        assert str(base.value(iri, OWL.versionIRI)) == f"{iri}/{folder.name}"
        assert f"\n## {folder.name} — " in changelog
