"""``ilrs docs``: generated from the ontology, deterministic, committed up to date, served under /ontology/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest
from minirepo import copy_mini

from ilrs.graph.docs import DOC_FILES, GENERATED, generate_docs, page_parts, stale_files
from ilrs.graph.settings import get_settings

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"),
    reason="Graphviz's dot is not installed (CI installs it: .ci/run)",
)


@needs_dot
def test_committed_docs_are_up_to_date() -> None:
    assert stale_files(get_settings()) == [], "regenerate with: ilrs docs  (or make docs)"


@needs_dot
def test_generation_is_deterministic_and_marked_generated(tmp_path: Path) -> None:
    mini = copy_mini(tmp_path / "repo")
    first = generate_docs(mini.settings, tmp_path / "a")
    second = generate_docs(mini.settings, tmp_path / "b")
    assert [p.name for p in first] == list(DOC_FILES)
    for a, b in zip(first, second, strict=True):
        assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8"), a.name
        assert GENERATED in a.read_text(encoding="utf-8"), a.name

    page = (tmp_path / "a" / "index.html").read_text(encoding="utf-8")
    assert 'id="diagrams"' in page and 'src="classes.svg"' in page and 'src="instances.svg"' in page
    assert "<title>Mini ILRS ontology</title>" in page and 'id="party"' in page

    classes = (tmp_path / "a" / "classes.dot").read_text(encoding="utf-8")
    assert '"ilrs:Organization" -> "ilrs:SpaceAgency" [dir=back, arrowtail=empty' in classes  # subclass
    assert '"ilrs:Agreement" -> "ilrs:Country" [label="party"' in classes  # range is a union
    assert "signedOn: xsd:date | xsd:gYear" in classes  # a datatype property inside its domain's box

    instances = (tmp_path / "a" / "instances.dot").read_text(encoding="utf-8")
    for node in ("agreement:cnsa-roscosmos-2021", "agency:cnsa", "agency:roscosmos", "source:001"):
        assert f'"{node}"' in instances
    assert "<svg" in (tmp_path / "a" / "classes.svg").read_text(encoding="utf-8")


def test_served_under_the_ontology_path(client: httpx.Client) -> None:
    if not (get_settings().docs_dir / "index.html").is_file():
        pytest.skip("no generated docs committed")
    svg = client.get("/ontology/classes.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    page = client.get("/ontology/", headers={"Accept": "text/html"})
    generated = page_parts((get_settings().docs_dir / "index.html").read_text(encoding="utf-8"))
    assert page.status_code == 200 and generated.content in page.text and generated.toc in page.text


def test_deprecated_terms_get_a_badge_and_a_link_to_their_replacement(tmp_path: Path) -> None:
    mini = copy_mini(tmp_path / "repo")
    mini.append(
        "ontology/ilrs.ttl",
        'ilrs:hasParty a owl:ObjectProperty ; rdfs:label "has party"@en ; skos:definition "A party."@en ; '
        "rdfs:domain ilrs:Agreement ; rdfs:range ilrs:Organization ;\n"
        "    rdfs:isDefinedBy <https://w3id.org/ilrs/ontology> .\n"
        'ilrs:party owl:deprecated true ; dcterms:isReplacedBy ilrs:hasParty ; skos:historyNote "Renamed <soon>."@en .',
    )
    generate_docs(mini.settings, tmp_path / "docs")
    page = (tmp_path / "docs" / "index.html").read_text(encoding="utf-8")
    start = page.index('id="party"')
    section = page[start : page.index("</table>", start)]
    assert 'class="deprecated"' in section
    assert '<td>replaced by <a href="#hasParty">ilrs:hasParty</a>. Renamed &lt;soon&gt;.</td>' in section
    other = page[page.index('id="hasParty"') :]
    assert 'class="deprecated"' not in other[: other.index("</table>")]
