"""``ilrs release``: versioned files, a generated CHANGELOG entry, and refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from minirepo import MiniRepo, copy_mini

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
    assert names == ["dataset.nq", "dataset.trig", "ilrs.jsonld", "ilrs.ttl", "shapes.ttl"]
    assert first.entry.startswith("## 0.1.0 — 2025-01-02\n\nFirst release:")

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


def test_since_a_given_version(mini: MiniRepo) -> None:
    make_release(mini.settings, today=DAY)
    bump(mini, "0.1.0", "0.1.1")
    release = make_release(mini.settings, since=str(mini.path("release/0.1.0")), today=DAY)
    assert "owl:versionInfo" in release.entry  # the ontology's own version statements changed


def test_refused_while_check_or_shacl_fails(mini: MiniRepo) -> None:
    mini.append("ontology/ilrs.ttl", 'ilrs:Rover a owl:Class ; rdfs:label "rover"@en .')  # no definition
    with pytest.raises(ValidationError, match="ilrs check reports 2 error"):
        make_release(mini.settings, today=DAY)
    assert not mini.path("release").exists()

    copy_mini(mini.root)
    mini.replace("data/sources/001.trig", "ilrs:party agency:cnsa , agency:roscosmos ;", "")  # the shape wants one
    with pytest.raises(ValidationError, match="does not conform to the shapes"):
        make_release(mini.settings, today=DAY)
