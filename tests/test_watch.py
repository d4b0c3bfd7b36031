"""``ilrs serve --watch``: a valid edit is swapped in; a broken or invalid one keeps the old graph serving."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from conftest import LiveServer
from minirepo import PREFIXES, MiniRepo, copy_mini

from ilrs.graph.watch import rebuild

SOURCE = "data/sources/001.trig"
NEW_AGENCY = PREFIXES + (
    "GRAPH <https://w3id.org/ilrs/graph/source/001> {\n"
    '    agency:esa a ilrs:SpaceAgency ; rdfs:label "European Space Agency"@en .\n'
    "}"
)
ESA = "https://w3id.org/ilrs/id/agency/esa"


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


def version(server: LiveServer) -> str:
    return str(httpx.get(server.url("/health"), timeout=10).json()["version"])


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


MISSION_SHAPE = PREFIXES + (
    "shapes:MissionShape a sh:NodeShape ;\n"
    "    sh:targetClass ilrs:Mission ;\n"
    '    rdfs:comment "Every mission has a label."@en ;\n'
    "    sh:property [ sh:path rdfs:label ; sh:minCount 1 ] .\n"
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
    assert "MissionShape" not in before.text
    tag = before.headers["etag"]

    mini.append("shapes/shapes.ttl", MISSION_SHAPE)
    assert wait_for(lambda: "MissionShape" in served_shapes(server).text), server.log()
    after = served_shapes(server)
    assert after.headers["etag"] != tag  # caches see the new version
    assert "Every mission has a label." in httpx.get(server.url("/shapes"), timeout=10).text

    # A shapes file that does not parse keeps the shapes (and the graph) being served.
    mini.append("shapes/shapes.ttl", "shapes:Broken a sh:NodeShape ;;")
    assert wait_for(lambda: "kept the previous graph" in server.log()), server.log()
    assert "shapes/shapes.ttl:" in server.log()
    assert served_shapes(server).headers["etag"] == after.headers["etag"]
