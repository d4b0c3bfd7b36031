"""Collection pages stay bounded whatever the data says about a member: a real server on generated data.

The generated data (``bench/generate.py``) makes hubs as the benchmark's do at a million triples: each country
is typed, given a status and a reason in many source graphs. With small bounds (``ILRS_MEMBER_STATEMENTS``,
``ILRS_STATEMENT_GRAPHS``) the bounds bite on a few kilo-triples: a page must hold each member complete up to
them, name what it leaves out, link to the full descriptions, and be kept by the page cache.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from ldtools import ID, MERGED_GRAPH, jsonld_quads, outgoing
from servers import LiveServer, scrape, serving_generated, value

from ilrs.graph.collections import COLLECTIONS
from ilrs.graph.store import Store

STATEMENTS = 8
RESOURCE_STATEMENTS = 10
GRAPHS = 2
JSONLD = {"Accept": "application/ld+json"}
SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"
COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, hubs: Path) -> Iterator[LiveServer]:
    env = {
        "ILRS_MEMBER_STATEMENTS": str(STATEMENTS),
        "ILRS_STATEMENT_GRAPHS": str(GRAPHS),
        "ILRS_RESOURCE_STATEMENTS": str(RESOURCE_STATEMENTS),
        "ILRS_METRICS": "true",
    }
    with serving_generated(tmp_path_factory.mktemp("bounded"), hubs, env) as server:
        yield server


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=60) as c:
        yield c


def _graphs(store: Store, iri: str) -> dict[ox.Triple, set[str]]:
    """Each statement of ``iri`` and the named graphs (but the merged one) that state it."""
    rows = store.query(f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }} FILTER(?g != <{MERGED_GRAPH}>) }}")
    out: dict[ox.Triple, set[str]] = {}
    for row in rows:  # type: ignore[union-attr]
        out.setdefault(ox.Triple(ox.NamedNode(iri), row["p"], row["o"]), set()).add(row["g"].value)
    return out


@pytest.mark.parametrize("name", ["countries", "missions", "agreements"])
def test_a_page_holds_each_member_up_to_the_bounds_and_says_what_it_leaves_out(
    client: httpx.Client, hubs_store: Store, name: str
) -> None:
    r = client.get(f"/{name}", params={"limit": 100}, headers=JSONLD)
    assert r.status_code == 200, r.text
    document = r.json()
    members = [m["@id"] for m in document["member"]]
    context = document["@context"]
    quads = jsonld_quads(document, context)
    page_url = document["view"]["@id"]
    local = {iri: f"{client.base_url}/{iri.removeprefix('https://w3id.org/ilrs/')}" for iri in members}

    abridged = []
    for iri in members:
        stored = outgoing(hubs_store, iri)
        graphs = _graphs(hubs_store, iri)
        shown = {ox.Triple(q.subject, q.predicate, q.object) for q in quads if q.subject.value == iri}
        shown = {t for t in shown if t.predicate.value != "http://xmlns.com/foaf/0.1/isPrimaryTopicOf"}
        cited = {
            t: {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode) and q.subject.value == iri
                and ox.Triple(q.subject, q.predicate, q.object) == t}
            for t in shown
        }  # fmt: skip
        assert shown <= stored, f"{iri}: statements the store does not hold"
        # Complete up to the bound: all of them, or exactly the bound's worth, every property keeping one.
        assert len(shown) == min(len(stored), STATEMENTS), iri
        properties = {t.predicate for t in stored}
        assert len({t.predicate for t in shown}) == min(len(properties), STATEMENTS), iri
        for triple, sources in cited.items():  # each cited graph states it; as many as there are, up to the bound
            assert sources <= graphs.get(triple, set()), triple
            assert len(sources) == min(len(graphs.get(triple, set())), GRAPHS), triple
        if len(stored) > STATEMENTS or any(len(g) > GRAPHS for g in graphs.values() if g is not None):
            abridged.append(iri)
    assert abridged, "the bounds should bite"
    if name == "countries":
        assert f"{ID}country/CN" in abridged
    else:  # members within the bounds are whole, and not named
        assert len(abridged) < len(members)

    # The view names every abridged member by its full description, and no other, and says what is left out.
    view = [q for q in quads if q.subject.value == page_url]
    assert {q.object.value for q in view if q.predicate.value == SEE_ALSO} == {local[iri] for iri in abridged}
    (note,) = [q.object.value for q in view if q.predicate.value == COMMENT]
    for iri in members:
        assert (f"<{iri}>: " in note) == (iri in abridged)
    assert f"more than {STATEMENTS} statements" in note and f"more than {GRAPHS} named graphs" in note
    if name != "countries":
        return
    cn = f"{ID}country/CN"
    said = re.search(rf"<{re.escape(cn)}>: {STATEMENTS} of its ([\d,]+) statements", note)
    assert said is not None and int(said[1].replace(",", "")) == len(outgoing(hubs_store, cn))


def test_an_abridged_member_links_to_its_page_and_the_page_of_a_hub_to_every_statement(
    client: httpx.Client, hubs_store: Store
) -> None:
    """The member's link leads to its page; a hub's page is bounded too (``ILRS_RESOURCE_STATEMENTS``), says so in
    a node about the document, and links to its Turtle and N-Triples, which hold every statement."""
    cn = f"{ID}country/CN"
    stored = outgoing(hubs_store, cn)
    document = client.get("/countries", params={"limit": 100}, headers=JSONLD).json()
    link = next(url for url in document["view"]["seeAlso"] if url.endswith("/id/country/CN"))
    r = client.get(link, headers=JSONLD)
    assert r.status_code == 200
    quads = jsonld_quads(r.json(), r.json()["@context"])
    shown = {ox.Triple(q.subject, q.predicate, q.object) for q in quads if q.subject.value == cn}
    shown = {t for t in shown if t.predicate.value != "http://xmlns.com/foaf/0.1/isPrimaryTopicOf"}
    assert shown <= stored and len(shown) == RESOURCE_STATEMENTS < len(stored)
    about = [q for q in quads if q.subject.value == link]
    (note,) = [q.object.value for q in about if q.predicate.value == COMMENT]
    assert f"{RESOURCE_STATEMENTS} of its {len(stored):,} statements" in note
    whole = {q.object.value for q in about if q.predicate.value == SEE_ALSO}
    assert whole == {f"{link}.ttl", f"{link}.nt"}
    for url in sorted(whole):
        full = client.get(url)
        assert full.status_code == 200
        fmt = ox.RdfFormat.from_media_type(full.headers["content-type"].split(";")[0])
        assert fmt is not None
        triples = {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(full.content, format=fmt)}
        assert triples == stored, url
    html = client.get(link, headers={"Accept": "text/html"})
    assert html.status_code == 200
    assert f"This page shows {RESOURCE_STATEMENTS} of its {len(stored):,} statements" in html.text
    assert 'href="http' in html.text and f'{link.removeprefix(str(client.base_url))}.ttl"' in html.text


def test_an_abridged_page_is_kept_by_the_page_cache(client: httpx.Client, server: LiveServer) -> None:
    url = "/countries?status=signed&limit=100"
    before = scrape(server)
    first = client.get(url, headers=JSONLD)
    again = client.get(url, headers=JSONLD)
    after = scrape(server)
    assert first.status_code == again.status_code == 200
    assert "seeAlso" in first.json()["view"], "the bounds should bite on this page"
    assert again.content == first.content
    for outcome in ("kept", "hit"):  # built and kept once, then sent from the cache
        counted = value(after, "ilrs_page_cache_total", outcome=outcome)
        assert counted - value(before, "ilrs_page_cache_total", outcome=outcome) == 1, outcome


@pytest.mark.parametrize("name", sorted(COLLECTIONS))
def test_no_page_of_the_shipped_graph_is_abridged(live_server: LiveServer, name: str) -> None:
    """With the default bounds, every member of the shipped graph is whole: its pages are as they always were."""
    r = httpx.get(live_server.url(f"/{name}"), params={"limit": 1000}, headers=JSONLD, timeout=60)
    assert r.status_code == 200
    view = r.json()["view"]
    assert "seeAlso" not in view and "comment" not in view, view
