"""The JSON-LD API on the live server: context, Hydra collections, paging, filters, round trips.

Every page is expanded with pyld and with jsonld.js (node), each with a document
loader that serves the local context file for the context URL and fails on any
other fetch; each member's triples must be exactly its triples in the dataset.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from checkout import PROJECT_ROOT
from ldtools import (
    CONTEXT_FILE,
    ID,
    ILRS,
    assert_same_triples,
    assert_sources_and_labels,
    incoming,
    jsonld_quads,
    jsonld_triples,
    nquads_quads,
    outgoing,
    select,
)

from ilrs.graph.jsonld import CONTEXT_VERSION, LOCAL_URL
from ilrs.graph.store import Store, memory_store

HYDRA = "http://www.w3.org/ns/hydra/core#"
JS_DIR = Path(__file__).parent / "js"
CNSA = f"{ID}agency/cnsa"
APSCO = f"{ID}organization/apsco"
COLLECTIONS = {
    "agencies": "SpaceAgency",
    "countries": "Country",
    "organizations": "Organization",
    "agreements": "Agreement",
    "missions": "Mission",
    "phases": "Phase",
    "events": "Event",
    "sources": "SourceDocument",
    "persons": "Person",
    "programs": "Program",
}


def context_url(client: httpx.Client) -> str:
    """The versioned context URL every document names."""
    return str(client.base_url.join(f"/context/{CONTEXT_VERSION}.jsonld"))


def instances(dataset: Store, class_name: str, extra: str = "") -> set[str]:
    """Instances of an ontology class or its subclasses, by plain SPARQL."""
    query = f"""SELECT DISTINCT ?s WHERE {{
        ?s a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{ILRS}{class_name}> FILTER(isIRI(?s)) {extra} }}"""
    return set(select(dataset, query))


def members(document: dict) -> list[str]:
    return [m["@id"] for m in document["member"]]


def expected_triples(dataset: Store, iris: list[str]) -> set[ox.Triple]:
    return set().union(*(outgoing(dataset, iri) for iri in iris)) if iris else set()


def member_triples(triples: set[ox.Triple], iris: list[str]) -> set[ox.Triple]:
    """The members' own triples: those of the page about them, less their ``localUrl``."""
    return {
        t
        for t in triples
        if isinstance(t.subject, ox.NamedNode) and t.subject.value in iris and t.predicate.value != LOCAL_URL
    }


# --- the context ----------------------------------------------------------------------


def test_context_is_the_published_file(client: httpx.Client) -> None:
    r = client.get("/context.jsonld", headers={"Origin": "https://example.org"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/ld+json")
    assert r.content == CONTEXT_FILE.read_bytes()
    assert "max-age" in r.headers["cache-control"]
    assert r.headers["access-control-allow-origin"] in ("*", "https://example.org")
    assert client.get("/context.jsonld", headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    version = r.headers["x-context-version"]
    pinned = client.get(f"/context/{version}.jsonld")
    assert pinned.content == r.content and "immutable" in pinned.headers["cache-control"]
    assert client.get("/context/0.0.0-nope.jsonld").status_code == 404


def test_earlier_context_versions_stay_served(client: httpx.Client) -> None:
    archived = PROJECT_ROOT / "graph" / "context-0.1.0.jsonld"
    r = client.get("/context/0.1.0.jsonld")
    assert r.status_code == 200 and r.content == archived.read_bytes()
    assert "immutable" in r.headers["cache-control"] and r.headers["x-context-version"] == "0.1.0"
    assert client.get("/context.jsonld").headers["x-context-version"] != "0.1.0"


@pytest.mark.parametrize("name", ["events", "agreements", "phases", "sources", "missions", "organizations"])
def test_every_property_has_one_key_whatever_its_datatype(client: httpx.Client, name: str) -> None:
    """A date, a year-month, a year and a day of the year are all under "date"; no key is a compact IRI."""
    members = client.get(f"/{name}", params={"limit": 200}).json()["member"]
    keys = {key for member in members for key in member}
    assert keys and not [k for k in keys if ":" in k], keys
    if name == "events":
        dates = {
            d["@type"] for m in members for d in ([m["date"]] if isinstance(m.get("date"), dict) else m.get("date", []))
        }
        assert {"xsd:date", "xsd:gYearMonth", "xsd:gYear", "xsd:gMonthDay"} <= dates


def test_context_coerces_every_object_property(dataset: Store) -> None:
    """Object properties of the ontology compact to plain IRI strings (so sites need not unwrap {"@id": …})."""
    terms = json.loads(CONTEXT_FILE.read_text())["@context"]
    props = select(
        dataset,
        "SELECT ?p WHERE { ?p a <http://www.w3.org/2002/07/owl#ObjectProperty> "
        f"FILTER(STRSTARTS(STR(?p), '{ILRS}')) }}",
    )
    missing = [p for p in props if terms.get(p.removeprefix(ILRS), {}).get("@type") != "@id"]
    assert missing == []


# --- round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["agencies", "agreements", "countries", "missions", "sources", "phases"])
def test_page_expands_to_exactly_the_members_triples(client: httpx.Client, dataset: Store, name: str) -> None:
    r = client.get(f"/{name}", params={"limit": 20})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/ld+json")
    document = r.json()
    assert document["@context"] == context_url(client)
    iris = members(document)
    assert iris, f"/{name} is empty"
    quads = jsonld_quads(document, context_url(client))
    triples = assert_sources_and_labels(quads, dataset, iris)  # per-value sources, labels of linked resources
    assert_same_triples(member_triples(triples, iris), expected_triples(dataset, iris))
    # Besides the members' own triples, only the collection's Hydra triples and where resources dereference.
    others = {t for t in triples - member_triples(triples, iris)}
    assert {t.predicate.value.removeprefix(HYDRA) for t in others} <= {
        "member", "totalItems", "view", "first", "last", "next", "previous", "search", "memberAssertion",
        "template", "variableRepresentation", "mapping", "variable", "property", "required", "object",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", LOCAL_URL,
    }  # fmt: skip
    listed = {t.object.value for t in others if t.predicate.value == f"{HYDRA}member"}
    assert listed == set(iris)


def test_members_dereference(client: httpx.Client) -> None:
    document = client.get("/agencies", params={"limit": 3}).json()
    for member in document["member"]:
        assert member["@id"].startswith("https://w3id.org/ilrs/id/")
        assert member["localUrl"] == f"{client.base_url}/{member['@id'].removeprefix('https://w3id.org/ilrs/')}"
        assert client.get(member["localUrl"], headers={"Accept": "application/ld+json"}).json()["@id"] == member["@id"]


def test_jsonld_js_round_trip(client: httpx.Client, dataset: Store, jsonld_js: Path) -> None:
    pages = {f"{client.base_url}/{name}?limit=25": name for name in ("agencies", "agreements", "countries", "missions")}
    resources = [f"{client.base_url}/id/agency/cnsa", f"{client.base_url}/id/country/PK"]
    done = subprocess.run(
        ["node", "roundtrip.mjs", str(CONTEXT_FILE), context_url(client), *pages, *resources],
        cwd=jsonld_js,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    for url in pages:
        iris = members(client.get(url).json())
        quads = nquads_quads(results[url])
        triples = assert_sources_and_labels(quads, dataset, iris)
        assert_same_triples(member_triples(triples, iris), expected_triples(dataset, iris))
        assert quads == jsonld_quads(client.get(url).json(), context_url(client))  # pyld agrees
    for url in resources:
        iri = "https://w3id.org/ilrs/" + url.removeprefix(f"{client.base_url}/")
        quads = nquads_quads(results[url])
        own = assert_sources_and_labels(quads, dataset, [iri])
        assert_same_triples(own, outgoing(dataset, iri))
        pointing = {ox.Triple(q.subject, q.predicate, q.object) for q in quads if q.object == ox.NamedNode(iri)}
        assert_same_triples({t for t in pointing if t.subject != ox.NamedNode(iri)}, incoming(dataset, iri) - own)


def test_jsonld_js_refuses_remote_contexts(jsonld_js: Path, tmp_path: Path) -> None:
    """The round-trip script's loader really fails on any URL but the context's (so the test above fetched none)."""
    done = subprocess.run(
        ["node", "roundtrip.mjs", str(CONTEXT_FILE), "https://example.invalid/other.jsonld", "http://127.0.0.1:9/x"],
        cwd=jsonld_js,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0


# --- paging ---------------------------------------------------------------------------


def _links(response: httpx.Response) -> dict[str, str]:
    return {rel: link["url"] for rel, link in response.links.items()}


def test_pages_cover_the_collection_exactly(client: httpx.Client, dataset: Store) -> None:
    expected = instances(dataset, "Country")
    url: str | None = "/countries?limit=40"
    seen: list[str] = []
    pages = 0
    while url:
        r = client.get(url)
        assert r.status_code == 200
        document = r.json()
        assert document["totalItems"] == len(expected)
        assert document["@type"] == ["Collection"]
        view = document["view"]
        links = _links(r)
        assert links["first"] == view["first"] and links["last"] == view["last"]
        assert links.get("next") == view.get("next")
        assert links.get("prev") == view.get("previous")
        if pages == 0:
            assert "prev" not in links
        seen += members(document)
        pages += 1
        url = links.get("next")
    assert view["@id"] == view["last"]
    assert pages == -(-len(expected) // 40)
    assert len(seen) == len(set(seen)) and set(seen) == expected
    assert seen == sorted(seen)  # stable IRI order


def test_default_page_size_and_members_list(client: httpx.Client) -> None:
    document = client.get("/countries").json()
    assert len(document["member"]) == 50
    one = client.get("/programs", params={"limit": 1}).json()
    assert isinstance(one["member"], list) and len(one["member"]) == 1


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=-1",
        "limit=abc",
        "limit=1.5",
        "limit=100000",
        "page=0",
        "page=x",
        "page=99999",
        "page=1&page=2",
        "colour=red",
        "status=no-such-status",
        "partners=maybe",
    ],
)
def test_bad_parameters_are_400(client: httpx.Client, query: str) -> None:
    r = client.get(f"/countries?{query}")
    assert r.status_code == 400
    assert r.json()["detail"]


@pytest.mark.parametrize("query", ["party=nobody-at-all", "party=%3Cx%3E", "year=23", "year=2023-04", "status=signed"])
def test_bad_agreement_filters_are_400(client: httpx.Client, query: str) -> None:
    assert client.get(f"/agreements?{query}").status_code == 400


def test_not_acceptable_is_406(client: httpx.Client) -> None:
    assert client.get("/agencies", headers={"Accept": "text/turtle"}).status_code == 406


def test_plain_json_gets_the_context_link(client: httpx.Client) -> None:
    r = client.get("/agencies", headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.links["http://www.w3.org/ns/json-ld#context"]["url"] == context_url(client)


def test_collection_validators(client: httpx.Client) -> None:
    r = client.get("/agencies")
    assert client.get("/agencies", headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    assert "accept" in r.headers["vary"].lower()


# --- filters --------------------------------------------------------------------------


@pytest.mark.parametrize("party", ["cnsa", "agency/cnsa", CNSA])
def test_agreements_by_party(client: httpx.Client, dataset: Store, party: str) -> None:
    r = client.get("/agreements", params={"party": party, "limit": 1000})
    assert r.status_code == 200
    got = set(members(r.json()))
    assert got == instances(dataset, "Agreement", f"?s <{ILRS}party> <{CNSA}>")
    joint = select(dataset, f"SELECT ?a WHERE {{ ?a <{ILRS}party> <{CNSA}>, <{APSCO}> }}")
    assert joint and set(joint) <= got  # the CNSA-APSCO joint statement


def _agreements_of_country(dataset: Store, country: str) -> set[str]:
    """Agreements a country signed, its agencies signed, or whose counterparts are from it."""
    return instances(
        dataset,
        "Agreement",
        f"{{ ?s <{ILRS}party> <{country}> }} UNION {{ ?s <{ILRS}party>/<{ILRS}agencyOf> <{country}> }}"
        f" UNION {{ ?s <{ILRS}counterpartCountry> <{country}> }}",
    )


def _dated(year: str) -> str:
    """Agreements dated ``year``, by their own date or else their signing event's."""
    date = "<http://purl.org/dc/terms/date>"
    return (
        f"OPTIONAL {{ ?s {date} ?own }} OPTIONAL {{ ?s <{ILRS}signedAt>/{date} ?event }}"
        f' FILTER(STRSTARTS(STR(COALESCE(?own, ?event)), "{year}"))'
    )


def test_agreements_by_country_code_and_year(client: httpx.Client, dataset: Store) -> None:
    parties = select(
        dataset, f"SELECT DISTINCT ?p WHERE {{ ?a <{ILRS}party> ?p FILTER(STRSTARTS(STR(?p), '{ID}country/')) }}"
    )
    for party in parties[:3]:
        code = party.rsplit("/", 1)[1]
        got = set(members(client.get("/agreements", params={"party": code.lower(), "limit": 1000}).json()))
        assert got == _agreements_of_country(dataset, party)
    in_2023 = set(members(client.get("/agreements", params={"year": "2023", "limit": 1000}).json()))
    expected = instances(dataset, "Agreement", _dated("2023"))
    assert in_2023 == expected
    both = set(members(client.get("/agreements", params={"year": "2023", "party": "apsco"}).json()))
    assert both == {a for a in expected if a in instances(dataset, "Agreement", f"?s <{ILRS}party> <{APSCO}>")}
    assert both, "the CNSA-APSCO joint statement was signed in 2023"


def test_countries_by_status(client: httpx.Client, dataset: Store) -> None:
    statuses = select(dataset, f"SELECT DISTINCT ?st WHERE {{ ?c a <{ILRS}Country> ; <{ILRS}partnerStatus> ?st }}")
    assert statuses
    for status in statuses:
        key = status.rsplit("/", 1)[1]
        got = set(members(client.get("/countries", params={"status": key, "limit": 1000}).json()))
        assert got == instances(dataset, "Country", f"?s <{ILRS}partnerStatus> <{status}>")
    partners = client.get("/countries", params={"partners": "true", "limit": 1000}).json()
    assert set(members(partners)) == instances(dataset, "Country", f"?s <{ILRS}partnerStatus> ?x")
    others = client.get("/countries", params={"partners": "false"}).json()
    assert partners["totalItems"] + others["totalItems"] == len(instances(dataset, "Country"))


def test_every_collection_lists_its_class(client: httpx.Client, dataset: Store) -> None:
    for name, class_name in COLLECTIONS.items():
        document = client.get(f"/{name}", params={"limit": 1000}).json()
        assert set(members(document)) == instances(dataset, class_name), name
        assert document["totalItems"] == len(instances(dataset, class_name))


# --- unit: exactness on edge cases the dataset may not have --------------------------

EDGE_CASES = """
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
GRAPH <http://example.org/g1> {
  <https://w3id.org/ilrs/id/thing/a> a ex:Thing, <https://w3id.org/ilrs/ontology#Mission> ;
    rdf:type "not a class" ;
    <http://www.w3.org/2000/01/rdf-schema#label> "A"@en, "甲"@zh, "no language" , "typed"^^ex:dt ;
    ex:int 7, "007"^^xsd:integer, "-0"^^xsd:integer ;
    ex:bool true, "1"^^xsd:boolean ;
    ex:dec 1.50 ;  # no xsd:double: pyld (not the document) rewrites "1"^^xsd:double as "1.0E0"
    <https://w3id.org/ilrs/ontology#launchYear> "2026"^^xsd:gYear, "2026-05"^^xsd:gYearMonth ;
    <https://w3id.org/ilrs/ontology#party> <https://w3id.org/ilrs/id/country/PK>, "a literal party" ;
    ex:list ( "x" <http://example.org/y> ) ;
    ex:nested [ ex:deeper [ ex:value "inner" ] ] ;
    ex:text "line\\nbreak \\"quoted\\" </script>" .
  ex:other ex:points [ ex:value "not part of a" ] .
}
GRAPH <http://example.org/g2> { <https://w3id.org/ilrs/id/thing/a> ex:int 7 . }
"""


@pytest.fixture(scope="module")
def edge_store() -> Store:
    store = memory_store()
    store.load(EDGE_CASES, "application/trig")
    store.load(
        b"<https://w3id.org/ilrs/id/thing/a> <http://example.org/inDefault> "
        b'"1"^^<http://www.w3.org/2001/XMLSchema#integer> .',
        "application/n-triples",
    )
    return store


def test_statements_are_the_union_with_graphs_and_blank_node_closure(edge_store: Store) -> None:
    from ilrs.graph.describe import statements

    iri = "https://w3id.org/ilrs/id/thing/a"
    found = statements(edge_store, [iri])[iri]
    seven = [s for s in found if s.predicate.value == "http://example.org/int" and s.object.value == "7"]
    assert len(seven) == 1 and seven[0].graphs == {"http://example.org/g1", "http://example.org/g2"}
    assert any(s.predicate.value == "http://example.org/inDefault" and not s.graphs for s in found)
    values = {s.object.value for s in found if s.predicate.value == "http://example.org/value"}
    assert values == {"inner"}  # the nested blank nodes, not another resource's
    expected = set(edge_store.query(f"CONSTRUCT {{ <{iri}> ?p ?o }} WHERE {{ <{iri}> ?p ?o }}"))  # type: ignore[arg-type]
    assert {s.triple for s in found if s.subject == ox.NamedNode(iri)} == expected


def test_jsonld_of_edge_cases_is_exact(edge_store: Store) -> None:
    from ilrs.graph.describe import statements
    from ilrs.graph.jsonld import resource_document

    iri = "https://w3id.org/ilrs/id/thing/a"
    triples = {s.triple for s in statements(edge_store, [iri])[iri]}
    document = resource_document(iri, triples, "http://localhost/context.jsonld")
    assert_same_triples(jsonld_triples(document, "http://localhost/context.jsonld"), triples)
    assert (
        document["party"][0] == "https://w3id.org/ilrs/id/country/PK"
        or "https://w3id.org/ilrs/id/country/PK" in document["party"]
    )


def test_collection_and_page_of_edge_cases_via_the_app(edge_store: Store) -> None:
    from fastapi.testclient import TestClient

    from ilrs.graph.describe import statements
    from ilrs.graph.settings import get_settings
    from ilrs.server.app import create_app

    iri = "https://w3id.org/ilrs/id/thing/a"
    expected = {s.triple for s in statements(edge_store, [iri])[iri]}
    # Threads: this test needs no worker processes (nor their start-up at every app start).
    settings = get_settings().model_copy(update={"query_executor": "thread"})
    with TestClient(create_app(settings, edge_store), base_url="http://127.0.0.1") as app:
        page = app.get("/missions").json()
        assert members(page) == [iri]
        # Absolute URLs come from the public URL setting, never from the request's Host.
        base = settings.public_url()
        triples = jsonld_triples(page, f"{base}/context/{CONTEXT_VERSION}.jsonld")
        about_the_page = {
            t
            for t in triples
            if t.predicate.value.startswith(HYDRA)
            or t.predicate.value == LOCAL_URL
            or str(t.object).startswith(f"<{HYDRA}")
            or str(t.subject).startswith(f"<{base}")
        }
        assert_same_triples(triples - about_the_page, expected)
        r = app.get("/id/thing/a", headers={"Accept": "text/html"})
        assert r.status_code == 200
        assert "</script> " not in r.text.split("application/ld+json")[1].split("</script>\n")[0]
        assert "inner" in r.text  # nested blank nodes are shown
