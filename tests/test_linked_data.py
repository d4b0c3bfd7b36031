"""Dereferencing IRIs on the live server: every representation, status and validator.

Each RDF representation is parsed back and compared with what the dataset holds
for the resource (its outgoing triples in the union of all graphs); the HTML page
must show labels, statements and source titles, and embed parseable JSON-LD.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
from ldtools import (
    CONTEXT_PATH,
    ID,
    ILRS,
    assert_same_triples,
    assert_sources_and_labels,
    graph_triples,
    incoming,
    jsonld_quads,
    jsonld_triples,
    outgoing,
    parse_triples,
    select,
)

from ilrs.graph.docs import page_parts
from ilrs.graph.jsonld import LOCAL_URL
from ilrs.graph.namespaces import ONTOLOGY_GRAPH, SOURCES_GRAPH
from ilrs.graph.store import Store

CNSA = f"{ID}agency/cnsa"
APSCO = f"{ID}organization/apsco"
RESOURCES = [f"{ID}country/PK", f"{ID}mission/change-7", CNSA, f"{ID}source/003", f"{ID}status/signed"]
RDF_TYPES = {"ttl": "text/turtle", "nt": "application/n-triples"}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def path_of(iri: str) -> str:
    return "/" + iri.removeprefix("https://w3id.org/ilrs/")


@pytest.fixture(scope="module")
def joint_statement(dataset: Store) -> str:
    """The CNSA-APSCO joint statement (docs/model.md's example agreement)."""
    found = select(dataset, f"SELECT ?a WHERE {{ ?a <{ILRS}party> <{CNSA}>, <{APSCO}> }}")
    assert found, "the data should hold the CNSA-APSCO joint statement"
    return found[0]


@pytest.fixture(scope="module")
def resources(joint_statement: str) -> list[str]:
    return [*RESOURCES, joint_statement]


def test_resources_exist_in_the_dataset(dataset: Store, resources: list[str]) -> None:
    for iri in resources:
        assert outgoing(dataset, iri), f"{iri} has no triples: the fixtures of these tests are out of date"


@pytest.mark.parametrize("media_type", ["text/turtle", "application/n-triples"])
def test_rdf_by_accept_equals_the_store(
    client: httpx.Client, dataset: Store, resources: list[str], media_type: str
) -> None:
    for iri in resources:
        r = client.get(path_of(iri), headers={"Accept": media_type})
        assert r.status_code == 200, iri
        assert r.headers["content-type"].startswith(media_type)
        assert "accept" in r.headers["vary"].lower()
        assert_same_triples(parse_triples(r.content, media_type), outgoing(dataset, iri))


@pytest.mark.parametrize("ext", ["ttl", "nt"])
def test_rdf_by_extension_equals_the_store(
    client: httpx.Client, dataset: Store, resources: list[str], ext: str
) -> None:
    for iri in resources:
        r = client.get(f"{path_of(iri)}.{ext}", headers={"Accept": "text/html"})  # the extension wins
        assert r.status_code == 200, iri
        assert r.headers["content-type"].startswith(RDF_TYPES[ext])
        assert_same_triples(parse_triples(r.content, RDF_TYPES[ext]), outgoing(dataset, iri))


def test_jsonld_expands_to_the_store(client: httpx.Client, dataset: Store, resources: list[str]) -> None:
    context = client.base_url.join(CONTEXT_PATH)
    for iri in resources:
        for r in (
            client.get(f"{path_of(iri)}.jsonld"),
            client.get(path_of(iri), headers={"Accept": "application/ld+json"}),
        ):
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("application/ld+json")
            document = r.json()
            assert document["@context"] == str(context)
            assert document["@id"] == iri
            assert document["localUrl"] == f"{client.base_url}{path_of(iri)}"
            quads = jsonld_quads(document, str(context))
            # Its own triples, each value also in the named graphs that state it, and the labels of its links.
            own = assert_sources_and_labels(quads, dataset, [iri])
            assert_same_triples(own, outgoing(dataset, iri))
            triples = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
            # The statements pointing at it, as the page's "Referred to by" shows them.
            pointing = {t for t in triples if t.object == ox.NamedNode(iri) and t.subject != ox.NamedNode(iri)}
            assert_same_triples(pointing, incoming(dataset, iri) - own)
            # Every resource it mentions says where this server dereferences it.
            mentioned = {t.object.value for t in own if isinstance(t.object, ox.NamedNode)}
            linked = {t.subject.value for t in triples if t.predicate.value == LOCAL_URL}
            assert {m for m in mentioned if m.startswith("https://w3id.org/ilrs/")} <= linked


def test_curl_gets_turtle_and_browsers_get_html(client: httpx.Client) -> None:
    assert client.get("/id/agency/cnsa", headers={"Accept": "*/*"}).headers["content-type"].startswith("text/turtle")
    assert client.get("/id/agency/cnsa", headers={"Accept": BROWSER}).headers["content-type"].startswith("text/html")
    q = client.get("/id/agency/cnsa", headers={"Accept": "text/html;q=0.5, application/ld+json"})
    assert q.headers["content-type"].startswith("application/ld+json")


class _Scripts(HTMLParser):
    """Collects the text of ``<script type="application/ld+json">`` elements and the page's visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and ("type", "application/ld+json") in attrs:
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def _page(client: httpx.Client, path: str) -> tuple[httpx.Response, _Scripts]:
    r = client.get(path, headers={"Accept": BROWSER})
    parser = _Scripts()
    parser.feed(r.text)
    return r, parser


def test_html_page_shows_labels_statements_and_sources(
    client: httpx.Client, dataset: Store, joint_statement: str
) -> None:
    r, page = _page(client, path_of(joint_statement))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    text = " ".join(page.text)
    for label in select(
        dataset, f"SELECT ?l WHERE {{ <{joint_statement}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"
    ):
        assert label in text
    # Each statement: the property and the linked party, linked to its local page.
    assert "party" in text and f'title="{ILRS}party"' in r.text  # its label, the IRI on hover
    assert 'href="/id/organization/apsco"' in r.text or f'href="{client.base_url}/id/organization/apsco"' in r.text
    titles = select(
        dataset,
        f"""SELECT ?title WHERE {{ GRAPH ?g {{ <{joint_statement}> ?p ?o }}
            GRAPH <{SOURCES_GRAPH}> {{ ?g <http://www.w3.org/ns/prov#wasDerivedFrom> ?d .
                                      ?d <http://purl.org/dc/terms/title> ?title }} }}""",
    )
    assert titles
    for title in titles:
        assert title in text


def test_html_embeds_schema_org_markup(client: httpx.Client, resources: list[str]) -> None:
    """Each page embeds one schema.org document about its resource (checked in full by test_schemaorg_markup)."""
    for iri in resources:
        _, page = _page(client, path_of(iri))
        assert len(page.scripts) == 1, iri
        document = json.loads(page.scripts[0])
        assert document["@id"] == iri and document["@context"] == "https://schema.org"
        assert isinstance(document["@type"], str)
    _, page = _page(client, "/id/agency/cnsa")
    assert json.loads(page.scripts[0])["@type"] == "GovernmentOrganization"


def test_html_shows_every_language_and_incoming_links(client: httpx.Client) -> None:
    _, page = _page(client, "/id/country/CN")
    text = " ".join(page.text)
    assert "China" in text and "中国" in text
    assert "Referred to by" in text  # CNSA is its agency


def test_html_escapes_data(client: httpx.Client) -> None:
    r = client.get("/id/%3Cscript%3Ealert(1)%3C%2Fscript%3E", headers={"Accept": BROWSER})
    assert r.status_code == 404
    assert "<script>alert(1)" not in r.text


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        (BROWSER, "text/html"),
        ("text/turtle", "application/problem+json"),
        ("application/json", "application/problem+json"),
    ],
)
def test_unknown_resource_is_404(client: httpx.Client, accept: str, content_type: str) -> None:
    r = client.get("/id/country/XX-not-a-country", headers={"Accept": accept})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith(content_type)
    assert "XX-not-a-country" in r.text


@pytest.mark.parametrize("path", ["/id/", "/id/country", "/graph/nope", "/graph/source/999.ttl", "/ontology/9.9.9"])
def test_other_unknown_paths_are_404(client: httpx.Client, path: str) -> None:
    assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 404


def test_nothing_acceptable_is_406(client: httpx.Client) -> None:
    for path in ("/id/agency/cnsa", "/graph/sources", "/ontology"):
        r = client.get(path, headers={"Accept": "image/png"})
        assert r.status_code == 406
        assert "text/turtle" in r.text


def test_validators_and_304(client: httpx.Client) -> None:
    for path, accept in (
        ("/id/agency/cnsa", "text/turtle"),
        ("/id/agency/cnsa", BROWSER),
        ("/ontology", "text/turtle"),
    ):
        r = client.get(path, headers={"Accept": accept})
        assert r.status_code == 200
        assert r.headers["etag"] and r.headers["last-modified"]
        again = client.get(path, headers={"Accept": accept, "If-None-Match": r.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == r.headers["etag"]
    ttl = client.get("/id/agency/cnsa.ttl").headers["etag"]
    html = client.get("/id/agency/cnsa.html").headers["etag"]
    assert ttl != html  # one validator per representation
    assert client.get("/id/agency/cnsa.ttl", headers={"If-None-Match": '"stale"'}).status_code == 200


def test_named_graph_has_its_triples(client: httpx.Client, dataset: Store) -> None:
    graph = "https://w3id.org/ilrs/graph/source/003"
    for ext, media_type in RDF_TYPES.items():
        r = client.get(f"/graph/source/003.{ext}")
        assert r.status_code == 200
        assert_same_triples(parse_triples(r.content, media_type), graph_triples(dataset, graph))
    document = client.get("/graph/source/003", headers={"Accept": "application/ld+json"}).json()
    context = str(client.base_url.join(CONTEXT_PATH))
    triples = jsonld_triples(document, context)
    # The graph's triples, and where this server serves every resource they mention (localUrl).
    assert_same_triples({t for t in triples if t.predicate.value != LOCAL_URL}, graph_triples(dataset, graph))
    served = {t.subject.value: t.object.value for t in triples if t.predicate.value == LOCAL_URL}
    mentioned = {
        term.value
        for t in graph_triples(dataset, graph)
        for term in (t.subject, t.object)
        if isinstance(term, ox.NamedNode) and term.value.startswith(f"{ID}")
    }
    assert mentioned and mentioned <= set(served)
    assert all(served[m] == f"{client.base_url}/{m.removeprefix('https://w3id.org/ilrs/')}" for m in mentioned)
    r, page = _page(client, "/graph/source/003")
    assert r.status_code == 200
    title = select(dataset, f"SELECT ?t WHERE {{ <{ID}source/003> <http://purl.org/dc/terms/title> ?t }}")[0]
    assert title in " ".join(page.text)
    assert "Triples in this graph" in r.text


def test_ontology(client: httpx.Client, dataset: Store) -> None:
    expected = graph_triples(dataset, str(ONTOLOGY_GRAPH))
    for path, headers in (("/ontology", {"Accept": "text/turtle"}), ("/ontology.ttl", {})):
        r = client.get(path, headers=headers)
        assert r.status_code == 200
        assert_same_triples(parse_triples(r.content, "text/turtle"), expected)
    context = str(client.base_url.join(CONTEXT_PATH))
    for r in (client.get("/ontology.jsonld"), client.get("/ontology", headers={"Accept": "application/ld+json"})):
        assert_same_triples(jsonld_triples(r.json(), context), expected)
    r = client.get("/ontology", headers={"Accept": BROWSER}, follow_redirects=True)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    # A term's hash IRI lands on the page that defines it.
    label = select(
        dataset, f"SELECT ?l WHERE {{ <{ILRS}SpaceAgency> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"
    )
    assert label and label[0] in r.text
    assert 'id="SpaceAgency"' in r.text or "SpaceAgency" in r.text


def test_ontology_version_iri(client: httpx.Client, dataset: Store) -> None:
    versions = select(
        dataset,
        "SELECT ?v WHERE { <https://w3id.org/ilrs/ontology> <http://www.w3.org/2002/07/owl#versionIRI> ?v }",
    )
    if not versions:
        pytest.skip("the ontology declares no owl:versionIRI")
    r = client.get(path_of(versions[0]), headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert_same_triples(parse_triples(r.content, "text/turtle"), graph_triples(dataset, str(ONTOLOGY_GRAPH)))


def test_shapes(client: httpx.Client) -> None:
    from ilrs.graph.settings import get_settings

    files = sorted(get_settings().shapes_dir.glob("*.ttl"))
    if not files:
        pytest.skip("no shapes yet")
    expected: set = set()
    for path in files:
        expected |= parse_triples(path.read_bytes(), "text/turtle")
    for r in (client.get("/shapes.ttl"), client.get("/shapes", headers={"Accept": "text/turtle"})):
        assert r.status_code == 200
        assert_same_triples(parse_triples(r.content, "text/turtle"), expected)
    context = str(client.base_url.join(CONTEXT_PATH))
    assert_same_triples(jsonld_triples(client.get("/shapes.jsonld").json(), context), expected)
    page = client.get("/shapes", headers={"Accept": BROWSER})
    assert page.status_code == 200 and "Node shapes" in page.text


def test_iris_with_odd_characters_never_fail(client: httpx.Client) -> None:
    for key in ("a b", "x>y", 'q"', "{}", "%", "é", "\\", "a%2Fb"):
        r = client.get(f"/id/country/{quote(key, safe='')}", headers={"Accept": "text/turtle"})
        assert r.status_code == 404, key
    assert re.match(r"4\d\d", str(client.get("/graph/%3E", headers={"Accept": "text/turtle"}).status_code))


def test_generated_ontology_docs_are_served_when_present(client: httpx.Client) -> None:
    from ilrs.graph.settings import get_settings

    docs = get_settings().docs_dir
    if not (docs / "index.html").is_file():
        pytest.skip("no generated ontology documentation (ilrs docs) yet")
    r = client.get("/ontology", headers={"Accept": BROWSER})
    assert r.status_code == 303 and r.headers["location"].endswith("/ontology/")
    assert "accept" in r.headers["vary"].lower()
    page = client.get("/ontology/", headers={"Accept": BROWSER})
    # The generated page's content, inside the site's layout.
    generated = page_parts((docs / "index.html").read_text(encoding="utf-8"))
    assert page.status_code == 200 and generated.content in page.text
    for figure in sorted(docs.glob("*.svg"))[:2]:
        assert client.get(f"/ontology/{figure.name}").status_code == 200
    assert client.get("/ontology/..%2Fsettings.py").status_code == 404
