"""``ilrs serve --watch``: a valid edit is swapped in; a broken or invalid one keeps the old graph serving."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from minirepo import PREFIXES, MiniRepo, copy_mini
from servers import LiveServer

from ilrs.graph.watch import rebuild

SOURCE = "data/sources/001.trig"
NEW_AGENCY = PREFIXES + (
    "GRAPH <https://w3id.org/ilrs/graph/source/001> {\n"
    '    agency:esa a ilrs:SpaceAgency ; rdfs:label "European Space Agency"@en .\n'
    "}"
)
ESA = "https://w3id.org/ilrs/id/agency/esa"
MISSPELT = PREFIXES + (
    "GRAPH <https://w3id.org/ilrs/graph/source/001> {\n    agreement:cnsa-roscosmos-2021 ilrs:partty agency:cnsa .\n}"
)


@pytest.fixture
def mini(tmp_path: Path) -> MiniRepo:
    return copy_mini(tmp_path / "repo")


def test_rebuild_accepts_valid_and_rejects_broken_or_invalid_edits(mini: MiniRepo) -> None:
    assert rebuild(mini.settings).accepted

    mini.append(SOURCE, "GRAPH <https://w3id.org/ilrs/graph/source/001> { agency:x a }")
    broken = rebuild(mini.settings)
    assert not broken.accepted and "data/sources/001.trig:" in broken.message

    copy_mini(mini.root)  # back to the pristine files
    mini.append(
        "data/sources.trig", PREFIXES + "GRAPH <https://w3id.org/ilrs/graph/sources> { <x:s> a ilrs:SourceGraph . }"
    )
    invalid = rebuild(mini.settings)
    assert not invalid.accepted and invalid.report is not None and not invalid.report.conforms
    assert "does not conform" in invalid.message

    copy_mini(mini.root)
    mini.append(SOURCE, MISSPELT)  # parses and conforms to the shapes, but ilrs check calls it an error
    misspelt = rebuild(mini.settings)
    assert not misspelt.accepted and misspelt.check is not None and misspelt.report is None
    assert misspelt.message.startswith("kept the previous graph: ilrs check finds errors")
    assert "undefined-term" in misspelt.message and "did you mean ilrs:party?" in misspelt.message


def test_an_accepted_rebuild_documents_the_graph_it_serves(mini: MiniRepo, tmp_path: Path) -> None:
    mini.replace("ontology/ilrs.ttl", '"space agency"@en', '"national space agency"@en')
    result = rebuild(mini.settings, docs_parent=tmp_path)
    assert result.accepted and result.docs_dir is not None and result.docs_dir.parent == tmp_path
    assert "national space agency" in (result.docs_dir / "index.html").read_text(encoding="utf-8")
    assert (result.docs_dir / "classes.svg").is_file()


def health(server: LiveServer) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(server.url("/health"), timeout=10).json()
    return answer


def version(server: LiveServer) -> str:
    return str(health(server)["version"])


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def knows_esa(server: LiveServer) -> bool:
    """Whether the served graph has the new agency: by SPARQL where the endpoint exists, else its resource page."""
    ask = httpx.get(
        server.url("/sparql"),
        params={"query": f"ASK {{ <{ESA}> a ?type }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    if ask.status_code != 404:
        return bool(ask.json()["boolean"])
    return httpx.get(server.url("/id/agency/esa"), headers={"Accept": "text/turtle"}, timeout=10).status_code == 200


def test_serve_watch_swaps_valid_edits_only(mini: MiniRepo, server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory("--watch", env=mini.env)
    first = version(server)
    assert not knows_esa(server)
    source = mini.path(SOURCE).read_text(encoding="utf-8")
    good = source + "\n" + NEW_AGENCY + "\n"

    mini.write(SOURCE, good)
    assert wait_for(lambda: version(server) != first), server.log()
    assert knows_esa(server)
    second = version(server)

    mini.write(SOURCE, good + "GRAPH <https://w3id.org/ilrs/graph/source/001> { agency:x a }\n")  # a syntax error
    assert wait_for(lambda: "kept the previous graph" in server.log()), server.log()
    assert version(server) == second and knows_esa(server)
    assert "data/sources/001.trig:" in server.log()

    # A SHACL violation: a source graph derived from nothing. (Restoring the good file first may reload
    # the very same files, which is the same version.)
    mini.write(SOURCE, good)
    mini.append(
        "data/sources.trig", PREFIXES + "GRAPH <https://w3id.org/ilrs/graph/sources> { <x:s> a ilrs:SourceGraph . }"
    )
    assert wait_for(lambda: "does not conform" in server.log()), server.log()
    assert version(server) == second and knows_esa(server)
    assert "wasDerivedFrom" in server.log()
    stale = health(server)
    assert stale["status"] == "stale" and stale["reload"]["status"] == "refused"
    assert stale["reload"]["serving"] == second and "does not conform" in stale["reload"]["reason"]


def test_serve_watch_refuses_check_errors_and_follows_the_ontology_pages(
    mini: MiniRepo, server_factory: Callable[..., LiveServer]
) -> None:
    server = server_factory("--watch", env=mini.env)
    first = health(server)
    assert first["status"] == "ok" and "reload" not in first

    mini.append(SOURCE, MISSPELT)
    assert wait_for(lambda: "ilrs check finds errors" in server.log()), server.log()
    refused = health(server)
    assert refused["status"] == "stale" and refused["version"] == first["version"]
    assert refused["reload"]["reason"] == "kept the previous graph: ilrs check finds errors"
    assert not asks(server, "ASK { ?a <https://w3id.org/ilrs/ontology#partty> ?b }")

    copy_mini(mini.root)
    mini.replace("ontology/ilrs.ttl", '"space agency"@en', '"national space agency"@en')
    assert wait_for(lambda: health(server)["status"] == "ok" and version(server) != first["version"]), server.log()
    page = httpx.get(server.url("/ontology/"), headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and "national space agency" in page.text
    assert httpx.get(server.url("/ontology/classes.svg"), timeout=10).status_code == 200
    turtle = httpx.get(server.url("/ontology.ttl"), timeout=10).text
    assert "national space agency" in turtle


def asks(server: LiveServer, query: str) -> bool:
    answer = httpx.get(
        server.url("/sparql"),
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    return bool(answer.json()["boolean"])


#: A shape that ilrs check accepts (a defined target class, a label, a message): the watcher serves it.
MISSION_SHAPE = PREFIXES + (
    "shapes:AgreementLabelShape a sh:NodeShape ;\n"
    '    rdfs:label "agreement label shape"@en ;\n'
    "    sh:targetClass ilrs:Agreement ;\n"
    '    rdfs:comment "Every agreement has a label."@en ;\n'
    '    sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "An agreement has a label."@en ] .\n'
)


def served_shapes(server: LiveServer) -> httpx.Response:
    return httpx.get(server.url("/shapes.ttl"), timeout=10)


def test_serve_watch_swaps_edited_shapes_into_shapes_route(
    mini: MiniRepo, server_factory: Callable[..., LiveServer]
) -> None:
    """/shapes serves the shapes loaded with the dataset, so a valid edit of a shapes file reaches it."""
    server = server_factory("--watch", env=mini.env)
    before = served_shapes(server)
    assert before.status_code == 200 and "OrganizationShape" in before.text
    assert "AgreementLabelShape" not in before.text
    tag = before.headers["etag"]

    mini.append("shapes/shapes.ttl", MISSION_SHAPE)
    assert wait_for(lambda: "AgreementLabelShape" in served_shapes(server).text), server.log()
    after = served_shapes(server)
    assert after.headers["etag"] != tag  # caches see the new version
    assert "Every agreement has a label." in httpx.get(server.url("/shapes"), timeout=10).text

    # A shapes file that does not parse keeps the shapes (and the graph) being served.
    mini.append("shapes/shapes.ttl", "shapes:Broken a sh:NodeShape ;;")
    assert wait_for(lambda: "kept the previous graph" in server.log()), server.log()
    assert "shapes/shapes.ttl:" in server.log()
    assert served_shapes(server).headers["etag"] == after.headers["etag"]
