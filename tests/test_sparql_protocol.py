"""The SPARQL 1.1 Protocol endpoint ``/sparql`` on a real server: every result format parsed back
and compared with what the store holds, content negotiation, the protocol's dataset parameters,
bad requests, the service description, files served with ``--load``, and the competency queries."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
from checkout import PROJECT_ROOT
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS, Namespace
from servers import LiveServer

from ilrs.graph.derived import MERGED_GRAPH
from ilrs.graph.query_analysis import analyse
from ilrs.graph.store import Store

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")
COUNTRIES = "https://w3id.org/ilrs/graph/reference/countries"
ONTOLOGY = "https://w3id.org/ilrs/graph/ontology"

# IRIs, language-tagged and typed literals, an unbound variable, and a value with a comma, quotes,
# a tab and a newline (CSV and TSV must escape them). Ordered by plain strings: SPARQL leaves the order
# of language-tagged literals to the engine (Virtuoso's is not the embedded store's).
SELECT = f"""
PREFIX ilrs: <https://w3id.org/ilrs/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?country ?code ?label ?length ?tricky ?absent WHERE {{
  GRAPH <{COUNTRIES}> {{ ?country ilrs:isoAlpha2 ?code ; rdfs:label ?label }}
  FILTER(STRSTARTS(?code, "C"))
  BIND(STRLEN(?label) AS ?length)
  BIND(CONCAT(?code, ', "quoted"\\tand\\nmore') AS ?tricky)
  OPTIONAL {{ ?country <urn:ilrs:test:absent> ?absent }}
}} ORDER BY ?code STR(?label) LANG(?label)
"""
CONSTRUCT = f"""
PREFIX ilrs: <https://w3id.org/ilrs/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT {{ ?country rdfs:label ?label ; ilrs:isoAlpha3 ?code }} WHERE {{
  GRAPH <{COUNTRIES}> {{ ?country ilrs:isoAlpha3 ?code ; rdfs:label ?label }}
  FILTER(STRSTARTS(?code, "C"))
}}
"""
ASK_TRUE = f"ASK {{ GRAPH <{COUNTRIES}> {{ ?c <https://w3id.org/ilrs/ontology#isoAlpha2> 'CN' }} }}"
ASK_FALSE = "ASK { ?c <https://w3id.org/ilrs/ontology#isoAlpha2> 'no such code' }"

RESULTS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPHS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def rows(solutions: ox.QuerySolutions) -> list[tuple[object, ...]]:
    names = [v.value for v in solutions.variables]
    return [tuple(s[n] for n in names) for s in solutions]


def expected_rows(dataset: Store, query: str) -> list[tuple[object, ...]]:
    result = dataset.query(query)
    assert isinstance(result, ox.QuerySolutions)
    return rows(result)


def expected_triples(dataset: Store, query: str) -> set[ox.Triple]:
    result = dataset.query(query)
    assert isinstance(result, ox.QueryTriples)
    return set(result)


def query(client: httpx.Client, text: str, accept: str | None = None, **params: str) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    return client.post("/sparql", data={"query": text, **params}, headers=headers)


# --- results, parsed back and compared with the store ---------------------------------------------


@pytest.mark.parametrize("accept", list(RESULTS))
def test_select_round_trips_in_every_parseable_format(client: httpx.Client, dataset: Store, accept: str) -> None:
    response = query(client, SELECT, accept)
    assert response.status_code == 200, response.text
    assert media_type(response) == accept
    assert response.headers["vary"].startswith("Accept")
    parsed = ox.parse_query_results(response.content, RESULTS[accept])
    assert isinstance(parsed, ox.QuerySolutions)
    assert [v.value for v in parsed.variables] == ["country", "code", "label", "length", "tricky", "absent"]
    expected = expected_rows(dataset, SELECT)
    assert len(expected) > 20
    assert rows(parsed) == expected


def test_select_as_csv_matches_the_store(client: httpx.Client, dataset: Store) -> None:
    response = query(client, SELECT, "text/csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert table[0] == ["country", "code", "label", "length", "tricky", "absent"]
    # CSV keeps only lexical forms: IRIs as written, literals without language or datatype, unbound as "".
    expected = [[term.value if term is not None else "" for term in row] for row in expected_rows(dataset, SELECT)]
    assert table[1:] == expected
    assert any("\n" in row[4] and '"quoted"' in row[4] for row in table[1:])


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml"])
@pytest.mark.parametrize(("text", "answer"), [(ASK_TRUE, True), (ASK_FALSE, False)])
def test_ask_in_json_and_xml(client: httpx.Client, dataset: Store, accept: str, text: str, answer: bool) -> None:
    response = query(client, text, accept)
    assert response.status_code == 200
    assert media_type(response) == accept
    parsed = ox.parse_query_results(response.content, RESULTS[accept])
    assert isinstance(parsed, ox.QueryBoolean)
    assert bool(parsed) is answer is bool(dataset.query(text))


@pytest.mark.parametrize("accept", list(GRAPHS))
def test_construct_round_trips_in_every_graph_format(client: httpx.Client, dataset: Store, accept: str) -> None:
    response = query(client, CONSTRUCT, accept)
    assert response.status_code == 200, response.text
    assert media_type(response) == accept
    parsed = {q.triple for q in ox.parse(response.content, GRAPHS[accept])}
    expected = expected_triples(dataset, CONSTRUCT)
    assert len(expected) > 20
    assert parsed == expected


@pytest.mark.parametrize(
    ("accept", "rdflib_format"), [("application/rdf+xml", "xml"), ("application/ld+json", "json-ld")]
)
def test_construct_is_read_by_rdflib_too(client: httpx.Client, dataset: Store, accept: str, rdflib_format: str) -> None:
    response = query(client, CONSTRUCT, accept)
    received = Graph().parse(data=response.content, format=rdflib_format)
    expected_nt = ox.serialize(expected_triples(dataset, CONSTRUCT), format=ox.RdfFormat.N_TRIPLES) or b""
    assert isomorphic(received, Graph().parse(data=expected_nt, format="nt"))


def test_describe_returns_the_store_description(client: httpx.Client, dataset: Store) -> None:
    text = "DESCRIBE <https://w3id.org/ilrs/id/country/PK>"
    response = query(client, text, "application/n-triples")
    assert response.status_code == 200
    parsed = {q.triple for q in ox.parse(response.content, ox.RdfFormat.N_TRIPLES)}
    assert parsed == expected_triples(dataset, text)
    assert len(parsed) >= 7


def test_turtle_uses_the_project_prefixes_but_queries_get_none(client: httpx.Client) -> None:
    turtle = query(client, CONSTRUCT, "text/turtle").text
    assert "@prefix ilrs: <https://w3id.org/ilrs/ontology#> ." in turtle
    # The endpoint is standard: a prefix the query does not declare is an error, not a silent default.
    undeclared = query(client, "SELECT * WHERE { ?s ilrs:isoAlpha2 ?o } LIMIT 1")
    assert undeclared.status_code == 400
    assert "error at 1:21: the prefix ilrs: is not declared" in undeclared.text


def test_get_post_form_and_post_direct_agree(client: httpx.Client) -> None:
    headers = {"Accept": "text/csv"}
    by_get = client.get("/sparql", params={"query": SELECT}, headers=headers)
    by_form = client.post("/sparql", data={"query": SELECT}, headers=headers)
    direct = client.post(
        "/sparql", content=SELECT.encode(), headers={**headers, "Content-Type": "application/sparql-query"}
    )
    assert by_get.status_code == by_form.status_code == direct.status_code == 200
    assert by_get.content == by_form.content == direct.content


def test_large_results_are_streamed_in_chunks(client: httpx.Client, dataset: Store) -> None:
    text = f"SELECT * WHERE {{ GRAPH <{COUNTRIES}> {{ ?s ?p ?o }} }}"
    with client.stream("POST", "/sparql", data={"query": text}, headers={"Accept": "text/csv"}) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers  # chunked: never built whole before sending
        body = b"".join(response.iter_bytes())
    assert body.count(b"\r\n") == dataset.count(COUNTRIES) + 1


# --- content negotiation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("text/csv;q=0.9, application/sparql-results+xml;q=0.5", "text/csv"),
        ("text/*", "text/csv"),
        ("text/tab-separated-values, text/csv;q=0.8", "text/tab-separated-values"),
        ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
        ("application/json", "application/sparql-results+json"),
        ("application/xml", "application/sparql-results+xml"),
        ("text/html;q=1, application/sparql-results+json;q=0.2", "application/sparql-results+json"),
    ],
)
def test_select_conneg_with_q_values(client: httpx.Client, accept: str | None, expected: str) -> None:
    response = query(client, ASK_TRUE.replace("ASK", "SELECT ?c WHERE"), accept)
    assert response.status_code == 200
    assert media_type(response) == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("*/*", "text/turtle"),
        ("application/rdf+xml;q=0.3, application/n-triples;q=0.7", "application/n-triples"),
        ("application/json", "application/ld+json"),
        ("text/turtle;q=0, application/*", "application/n-triples"),
    ],
)
def test_construct_conneg_with_q_values(client: httpx.Client, accept: str, expected: str) -> None:
    response = query(client, CONSTRUCT, accept)
    assert response.status_code == 200
    assert media_type(response) == expected


@pytest.mark.parametrize(
    ("text", "accept"),
    [
        (SELECT, "text/turtle"),
        (CONSTRUCT, "application/sparql-results+json"),
        (ASK_TRUE, "text/csv"),  # CSV and TSV define no boolean result
        (SELECT, "image/png, text/html;q=0.5"),
    ],
)
def test_nothing_acceptable_is_406_listing_what_is(client: httpx.Client, text: str, accept: str) -> None:
    response = query(client, text, accept)
    assert response.status_code == 406
    assert response.headers["content-type"].startswith("text/plain")
    listed = "text/turtle" if text is CONSTRUCT else "application/sparql-results+json"
    assert listed in response.text and "format=" in response.text


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        (SELECT, "json", "application/sparql-results+json"),
        (SELECT, "xml", "application/sparql-results+xml"),
        (SELECT, "csv", "text/csv"),
        (SELECT, "tsv", "text/tab-separated-values"),
        (SELECT, "text/csv", "text/csv"),
        (CONSTRUCT, "turtle", "text/turtle"),
        (CONSTRUCT, "ntriples", "application/n-triples"),
        (CONSTRUCT, "rdfxml", "application/rdf+xml"),
        (CONSTRUCT, "jsonld", "application/ld+json"),
        (CONSTRUCT, "json", "application/ld+json"),
        (CONSTRUCT, "xml", "application/rdf+xml"),
        (CONSTRUCT, "trig", "application/trig"),
        (CONSTRUCT, "nquads", "application/n-quads"),
    ],
)
def test_format_parameter_wins_over_accept(client: httpx.Client, text: str, name: str, expected: str) -> None:
    response = client.get("/sparql", params={"query": text, "format": name}, headers={"Accept": "image/png"})
    assert response.status_code == 200, response.text
    assert media_type(response) == expected


def test_format_that_does_not_fit_the_query_leaves_the_choice_to_accept(client: httpx.Client) -> None:
    # Clients send their one preferred name whatever the query (SPARQLWrapper: format=turtle for a SELECT).
    response = client.get("/sparql", params={"query": SELECT, "format": "turtle"}, headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert media_type(response) == "text/csv"
    refused = client.get("/sparql", params={"query": SELECT, "format": "turtle"}, headers={"Accept": "text/turtle"})
    assert refused.status_code == 406
    assert "format=csv" in refused.text


@pytest.mark.parametrize(
    ("text", "params", "expected"),
    [
        # What SPARQLWrapper sends for JSON-LD and RDF/XML: each parameter twice, a name and a media-type list.
        (
            CONSTRUCT,
            "format=json-ld&format=application/ld%2Bjson,application/x-json%2Bld&output=json-ld&results=json-ld",
            "application/ld+json",
        ),
        (CONSTRUCT, "format=rdf%2Bxml&format=application/rdf%2Bxml&output=rdf%2Bxml", "application/rdf+xml"),
        (SELECT, "format=tsv&format=text/tab-separated-values&output=tsv&results=tsv", "text/tab-separated-values"),
        # The first value that fits the query wins; names that fit nothing are passed over.
        (SELECT, "format=turtle&output=csv&results=json", "text/csv"),
        (SELECT, "format=yaml&output=xml", "application/sparql-results+xml"),
        (CONSTRUCT, "output=ttl", "text/turtle"),
        (CONSTRUCT, "results=n3", "text/turtle"),
        (ASK_TRUE, "format=&output=application/sparql-results%2Bxml;charset=utf-8", "application/sparql-results+xml"),
    ],
)
def test_repeated_and_listed_format_values(client: httpx.Client, text: str, params: str, expected: str) -> None:
    response = client.get(f"/sparql?{params}&query={quote(text)}", headers={"Accept": "image/png"})
    assert response.status_code == 200, response.text
    assert media_type(response) == expected


# --- the protocol's dataset ----------------------------------------------------------------------------


def count_query(client: httpx.Client, text: str, **params: list[str]) -> int:
    response = client.get("/sparql", params={"query": text, **params}, headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    return int(response.text.splitlines()[1])


def test_default_graph_is_the_merge_of_all_graphs(client: httpx.Client, dataset: Store) -> None:
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    # The RDF merge: a triple that several graphs state is counted once, as DISTINCT over every graph counts it.
    every = [g for g in dataset.graphs() if g != MERGED_GRAPH]
    distinct = count_query(client, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")
    assert count_query(client, text) == distinct == len({q.triple for q in dataset.quads()})
    assert distinct < sum(dataset.count(g) for g in every)  # the articles restate one another
    assert count_query(client, text, **{"default-graph-uri": every}) == sum(dataset.count(g) for g in every)


def test_default_graph_uri_selects_the_default_graph(client: httpx.Client, dataset: Store) -> None:
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert count_query(client, text, **{"default-graph-uri": [COUNTRIES]}) == dataset.count(COUNTRIES)
    both = count_query(client, text, **{"default-graph-uri": [COUNTRIES, ONTOLOGY]})
    assert both == dataset.count(COUNTRIES) + dataset.count(ONTOLOGY)


def test_named_graph_uri_limits_graph_and_empties_the_default(client: httpx.Client) -> None:
    params = {"named-graph-uri": [COUNTRIES]}
    graphs = client.get(
        "/sparql",
        params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", **params},
        headers={"Accept": "text/csv"},
    )
    assert graphs.text.splitlines()[1:] == [COUNTRIES]
    # Only named graphs given: the default graph is empty (SPARQL 1.1 Protocol 2.1.4, Query 13.2).
    assert count_query(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **params) == 0


def test_protocol_dataset_replaces_the_query_from(client: httpx.Client, dataset: Store) -> None:
    text = f"SELECT (COUNT(*) AS ?n) FROM <{ONTOLOGY}> WHERE {{ ?s ?p ?o }}"
    assert count_query(client, text) == dataset.count(ONTOLOGY)
    assert count_query(client, text, **{"default-graph-uri": [COUNTRIES]}) == dataset.count(COUNTRIES)


# --- bad requests: a clear 4xx, never a 500 ------------------------------------------------------------


def test_syntax_error_names_the_position(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert "error at 1:25: unexpected end of query; expected " in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("send", "status", "words"),
    [
        (lambda c: c.get("/sparql", params={"query": "ASK {}", "format": "yaml"}), 400, "unknown format 'yaml'"),
        (
            lambda c: c.get("/sparql", params={"query": "ASK {}", "default-graph-uri": "not an iri"}),
            400,
            "absolute IRI",
        ),
        (lambda c: c.get("/sparql", params={"query": "ASK {}", "named-graph-uri": "relative/g"}), 400, "absolute IRI"),
        (lambda c: c.get("/sparql", params={"query": ["ASK {}", "ASK {}"]}), 400, "exactly one"),
        (lambda c: c.get("/sparql", params={"default-graph-uri": COUNTRIES}), 400, "no query"),
        (lambda c: c.get("/sparql", params={"query": "  "}), 400, "empty"),
        (lambda c: c.get("/sparql", params={"query": "ASK {}", "timeout": "soon"}), 400, "timeout"),
        (lambda c: c.get("/sparql", params={"query": "ASK {}", "timeout": "-1"}), 400, "timeout"),
        (lambda c: c.post("/sparql", data={"format": "json"}), 400, "no query"),
        (lambda c: c.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"}), 415, "Content-Type"),
        (lambda c: c.post("/sparql", content=b"ASK {}"), 415, "no Content-Type"),
        (
            lambda c: c.post(
                "/sparql",
                content="ASK {}".encode("utf-16"),
                headers={"Content-Type": "application/sparql-query; charset=UTF-16"},
            ),
            415,
            "UTF-8",
        ),
        (
            lambda c: c.post("/sparql", content=b"ASK { \xff }", headers={"Content-Type": "application/sparql-query"}),
            400,
            "UTF-8",
        ),
        (lambda c: c.put("/sparql", content=b"ASK {}"), 405, "GET or POST"),
        (lambda c: c.delete("/sparql"), 405, "GET or POST"),
        (lambda c: c.patch("/sparql"), 405, "GET or POST"),
    ],
    ids=[
        "unknown-format",
        "bad-default-graph",
        "relative-named-graph",
        "two-queries",
        "dataset-without-query",
        "blank-query",
        "timeout-not-a-number",
        "timeout-negative",
        "post-without-query",
        "text-plain-body",
        "no-content-type",
        "utf-16",
        "invalid-utf-8",
        "put",
        "delete",
        "patch",
    ],
)
def test_bad_requests_get_a_clear_4xx(
    client: httpx.Client, send: Callable[[httpx.Client], httpx.Response], status: int, words: str
) -> None:
    response = send(client)
    assert response.status_code == status, response.text
    assert words in response.text
    assert response.headers["content-type"].startswith("text/plain")
    if status == 405:
        assert response.headers["allow"] == "GET, HEAD, POST"


def test_options_names_the_methods(client: httpx.Client) -> None:
    response = client.options("/sparql")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, POST"


# --- the service description ---------------------------------------------------------------------------


def service_description(client: httpx.Client, accept: str, rdflib_format: str) -> Graph:
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200
    assert media_type(response) == accept
    return Graph().parse(data=response.content, format=rdflib_format)


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/n-triples", "nt"),
    ],
)
def test_service_description_in_rdf(client: httpx.Client, dataset: Store, accept: str, rdflib_format: str) -> None:
    sd = service_description(client, accept, rdflib_format)
    endpoint = URIRef(f"{client.base_url}/sparql")
    assert (endpoint, RDF.type, SD.Service) in sd
    assert (endpoint, SD.endpoint, endpoint) in sd
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in sd
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Update) not in sd
    assert (endpoint, SD.feature, SD.UnionDefaultGraph) in sd
    assert not list(sd.objects(endpoint, SD.extensionFunction))
    formats = {str(f).rsplit("/", 1)[1] for f in sd.objects(endpoint, SD.resultFormat)}
    assert formats == {
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "RDF_XML",
        "JSON-LD",
        "TriG",
        "N-Quads",
    }
    default_dataset = sd.value(endpoint, SD.defaultDataset)
    assert default_dataset is not None
    assert "RDF merge of all graphs" in str(sd.value(sd.value(default_dataset, SD.defaultGraph), RDFS.comment))
    sizes = {}
    for named in sd.objects(default_dataset, SD.namedGraph):
        sizes[str(sd.value(named, SD.name))] = sd.value(sd.value(named, SD.graph), VOID.triples)
    assert sizes == {g: Literal(dataset.count(g), datatype=XSD_INTEGER) for g in dataset.graphs()}


def test_service_description_page_for_browsers(client: httpx.Client, dataset: Store) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/sparql", headers={"Accept": browser})
    assert response.status_code == 200
    assert media_type(response) == "text/html"
    page = response.text
    assert "SPARQL 1.1 endpoint" in page and "RDF merge of all graphs" in page
    assert all(g in page for g in dataset.graphs())
    assert "application/sparql-results+json" in page and "format=turtle" in page
    assert client.get("/sparql", params={"format": "html"}).headers["content-type"].startswith("text/html")


def test_service_description_revalidates_with_etag(client: httpx.Client) -> None:
    first = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert first.headers["vary"].startswith("Accept")
    again = client.get("/sparql", headers={"Accept": "text/turtle", "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    other = client.get("/sparql", headers={"Accept": "application/ld+json", "If-None-Match": first.headers["etag"]})
    assert other.status_code == 200


def test_service_description_406(client: httpx.Client) -> None:
    response = client.get("/sparql", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.text and "format=html" in response.text


# --- researchers' own files: ilrs serve --load ---------------------------------------------------------

EXTRA = """@prefix ex: <https://example.org/lab/> .
ex:rover ex:visits <https://w3id.org/ilrs/id/country/PK> ; ex:name "Lab rover" .
"""


def test_loaded_file_is_queryable_beside_the_graph(tmp_path: Path, server_factory: Callable[..., LiveServer]) -> None:
    extra = tmp_path / "lab notes.ttl"
    extra.write_text(EXTRA, encoding="utf-8")
    graph = "https://w3id.org/ilrs/graph/loaded/lab-notes"  # named after the file, not its local path
    server = server_factory("--load", str(extra))
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        joined = f"""PREFIX ilrs: <https://w3id.org/ilrs/ontology#>
            SELECT ?name ?code WHERE {{
              GRAPH <{graph}> {{ ?r <https://example.org/lab/visits> ?country ; <https://example.org/lab/name> ?name }}
              ?country ilrs:isoAlpha2 ?code }}"""
        assert query(c, joined, "text/csv").text.splitlines() == ["name,code", "Lab rover,PK"]
        by_dataset = c.get(
            "/sparql",
            params={
                "query": "SELECT ?name WHERE { ?r <https://example.org/lab/name> ?name }",
                "default-graph-uri": graph,
            },
            headers={"Accept": "text/csv"},
        )
        assert by_dataset.text.splitlines() == ["name", "Lab rover"]
        assert graph in c.get("/sparql", headers={"Accept": "text/turtle"}).text  # listed in the service description


@pytest.mark.parametrize(
    ("content", "words"),
    [(None, "no such file"), ("<https://example.org/a> <https://example.org/b> .\n", "broken.ttl:1:")],
    ids=["missing", "broken"],
)
def test_bad_loaded_file_is_a_clean_error(tmp_path: Path, content: str | None, words: str) -> None:
    path = tmp_path / "broken.ttl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "ilrs.graph.cli", "serve", "--port", "9", "--load", str(path), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert run.returncode == 1
    assert run.stderr.startswith("ilrs: error: ") and words in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


# --- the competency queries through the endpoint -------------------------------------------------------

QUERIES = sorted((PROJECT_ROOT / "queries").glob("*.rq"))


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_competency_query_through_the_endpoint(client: httpx.Client, dataset: Store, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    response = query(client, text, "application/sparql-results+json")
    assert response.status_code == 200, response.text
    received = ox.parse_query_results(response.content, ox.QueryResultsFormat.JSON)
    # As the endpoint does: a query with FROM is evaluated on its own dataset, not the union.
    expected = dataset.query(text, union_default_graph=not analyse(text, []).declares_dataset)
    if isinstance(expected, ox.QueryBoolean):
        assert bool(received) is bool(expected)
        return
    assert isinstance(expected, ox.QuerySolutions) and isinstance(received, ox.QuerySolutions)
    # The server's copy of the dataset may break ORDER BY ties differently: compare the solutions.
    assert sorted(rows(received), key=str) == sorted(rows(expected), key=str)
