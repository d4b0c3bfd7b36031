"""Real SPARQL clients against ``/sparql``: SPARQLWrapper (every return format it offers, for every
query form, by GET, form POST and direct POST) and rdflib's SPARQLStore, each answer compared with
what the store holds."""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import warnings
from xml.dom.minidom import Document

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDF,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

from ilrs.graph.store import Store

ILRS = "https://w3id.org/ilrs/ontology#"
COUNTRIES = "https://w3id.org/ilrs/graph/reference/countries"
PK = URIRef("https://w3id.org/ilrs/id/country/PK")
SELECT = f"""PREFIX ilrs: <{ILRS}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?country ?code ?label WHERE {{
  ?country ilrs:isoAlpha3 ?code ; rdfs:label ?label .
  FILTER(STRSTARTS(?code, "P") && LANG(?label) = "zh")
}} ORDER BY ?code"""
CONSTRUCT = f"CONSTRUCT {{ <{PK}> ?p ?o }} WHERE {{ GRAPH <{COUNTRIES}> {{ <{PK}> ?p ?o }} }}"


@pytest.fixture(scope="module")
def endpoint(client: httpx.Client) -> str:
    return f"{client.base_url}/sparql"


def expected(dataset: Store) -> list[dict[str, str]]:
    """The SELECT's solutions as {variable: lexical form or IRI}."""
    result = dataset.query(SELECT)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    solutions = [{n: s[n].value for n in names} for s in result]
    assert len(solutions) >= 3
    return solutions


def wrapper(endpoint: str, text: str, return_format: str, method: str | None = None) -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint)
    client.setQuery(text)
    client.setReturnFormat(return_format)
    if method:
        client.setMethod(method)
    return client


# --- SPARQLWrapper -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", [None, POST], ids=["get", "post"])
def test_sparqlwrapper_json(endpoint: str, dataset: Store, method: str | None) -> None:
    result = wrapper(endpoint, SELECT, JSON, method).queryAndConvert()
    assert isinstance(result, dict)
    assert result["head"]["vars"] == ["country", "code", "label"]
    rows = [{k: v["value"] for k, v in b.items()} for b in result["results"]["bindings"]]
    assert rows == expected(dataset)
    assert {b["label"]["xml:lang"] for b in result["results"]["bindings"]} == {"zh"}


def test_sparqlwrapper_xml(endpoint: str, dataset: Store) -> None:
    document = wrapper(endpoint, SELECT, XML).queryAndConvert()
    rows = []
    for result in document.getElementsByTagName("result"):  # type: ignore[union-attr]
        row = {}
        for binding in result.getElementsByTagName("binding"):
            value = binding.getElementsByTagName("uri") or binding.getElementsByTagName("literal")
            row[binding.getAttribute("name")] = value[0].firstChild.data
        rows.append(row)
    assert rows == expected(dataset)


def test_sparqlwrapper_csv(endpoint: str, dataset: Store) -> None:
    data = wrapper(endpoint, SELECT, CSV).queryAndConvert()
    assert isinstance(data, bytes)
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert table == expected(dataset)


def test_sparqlwrapper_ask_and_construct(endpoint: str, dataset: Store) -> None:
    ask = wrapper(endpoint, f"ASK {{ <{PK}> <{ILRS}isoAlpha2> 'PK' }}", JSON).queryAndConvert()
    assert ask == {"head": {}, "boolean": True}
    turtle = wrapper(endpoint, CONSTRUCT, TURTLE).queryAndConvert()
    received = Graph().parse(data=turtle, format="turtle")
    store_result = dataset.query(CONSTRUCT)
    assert isinstance(store_result, ox.QueryTriples)
    assert len(received) == len(list(store_result)) >= 7
    assert (PK, URIRef(f"{ILRS}isoAlpha3"), Literal("PAK")) in received


# --- rdflib's SPARQLStore ------------------------------------------------------------------------------


@pytest.mark.parametrize("return_format", ["xml", "json", "csv"])
def test_rdflib_sparqlstore_select(endpoint: str, dataset: Store, return_format: str) -> None:
    graph = Graph(store=SPARQLStore(endpoint, returnFormat=return_format))
    rows = [{str(k): str(v) for k, v in row.asdict().items()} for row in graph.query(SELECT)]  # type: ignore[union-attr]
    assert rows == expected(dataset)


def test_rdflib_sparqlstore_triples_and_construct(endpoint: str, dataset: Store) -> None:
    graph = Graph(store=SPARQLStore(endpoint))
    # triples() becomes a SELECT over the endpoint's default graph: the union of all named graphs.
    codes = {o for _, _, o in graph.triples((PK, URIRef(f"{ILRS}isoAlpha2"), None))}
    assert codes == {Literal("PK")}
    constructed = graph.query(CONSTRUCT).graph
    assert constructed is not None
    store_result = dataset.query(CONSTRUCT)
    assert isinstance(store_result, ox.QueryTriples)
    assert len(constructed) == len(list(store_result))
    assert bool(graph.query(f"ASK {{ <{PK}> ?p ?o }}").askAnswer) is True


# --- SPARQLWrapper: each return format, query form and way of sending ---------------------

ASK = f"ASK {{ <{PK}> <{ILRS}isoAlpha2> 'PK' }}"
DESCRIBE = f"DESCRIBE <{PK}>"
QUERIES = {"SELECT": SELECT, "ASK": ASK, "CONSTRUCT": CONSTRUCT, "DESCRIBE": DESCRIBE}
#: What SPARQLWrapper asks for, and what the endpoint sends it, for each form: a format that can carry the
#: form where the client names one; JSON or Turtle (the endpoint's first choice) where the client asks for
#: a format the form has not and sends Accept: */* beside it; 406 where its Accept names only CSV or TSV
#: for an ASK, which neither can carry.
RESULTS_SENT = {
    JSON: "application/sparql-results+json",
    XML: "application/sparql-results+xml",
    CSV: "text/csv",
    TSV: "text/tab-separated-values",
}
GRAPH_SENT = {
    JSON: "application/ld+json",
    XML: "application/rdf+xml",
    TURTLE: "text/turtle",
    N3: "text/turtle",
    RDF: "application/rdf+xml",
    RDFXML: "application/rdf+xml",
    JSONLD: "application/ld+json",
}
RETURN_FORMATS = [JSON, XML, CSV, TSV, TURTLE, N3, RDF, RDFXML, JSONLD]
SENDING = {"get": (None, None), "post-form": (POST, URLENCODED), "post-direct": (POST, POSTDIRECTLY)}


def expected_media_type(form: str, return_format: str) -> str | None:
    """What the endpoint should send SPARQLWrapper; ``None`` for a 406."""
    if form in ("CONSTRUCT", "DESCRIBE"):
        return GRAPH_SENT.get(return_format, "text/turtle")
    if form == "ASK" and return_format in (CSV, TSV):
        return None
    return RESULTS_SENT.get(return_format, "application/sparql-results+json")


def solutions_of(dataset: Store, text: str) -> list[dict[str, str]]:
    """The store's own solutions, each term in N-Triples syntax."""
    result = dataset.query(text)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: str(s[n]) for n in names if s[n] is not None} for s in result]


def graph_of(dataset: Store, text: str) -> Graph:
    result = dataset.query(text)
    assert isinstance(result, ox.QueryTriples)
    return Graph().parse(data=ox.serialize(result, format=ox.RdfFormat.N_TRIPLES) or b"", format="nt")


def received(converted: object, media_type: str) -> object:
    """What SPARQLWrapper's ``convert()`` gave, in the terms the store's answer is in."""
    if media_type in ("application/sparql-results+json", "application/sparql-results+xml"):
        if isinstance(converted, Document):
            data, fmt = converted.toxml().encode(), ox.QueryResultsFormat.XML
        else:
            data, fmt = json_bytes(converted), ox.QueryResultsFormat.JSON
        parsed = ox.parse_query_results(data, fmt)
        if isinstance(parsed, ox.QueryBoolean):
            return bool(parsed)
        names = [v.value for v in parsed.variables]
        return [{n: str(s[n]) for n in names if s[n] is not None} for s in parsed]
    if media_type in ("text/csv", "text/tab-separated-values"):
        assert isinstance(converted, bytes)
        if media_type == "text/csv":
            return list(csv.reader(io.StringIO(converted.decode("utf-8"))))
        return [line.split("\t") for line in converted.decode("utf-8").splitlines()]
    if isinstance(converted, bytes):  # Turtle (and N3, which it is), handed over as text
        return Graph().parse(data=converted, format="turtle")
    assert isinstance(converted, Graph)  # RDF/XML and JSON-LD, parsed by SPARQLWrapper with rdflib
    return Graph().parse(data=converted.serialize(format="nt"), format="nt")


def json_bytes(document: object) -> bytes:
    return json.dumps(document).encode()


def table_of(dataset: Store, text: str, media_type: str) -> list[list[str]]:
    """The store's own SELECT answer as the rows of a CSV (lexical forms) or TSV (N-Triples terms) table."""
    result = dataset.query(text)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    if media_type == "text/csv":
        return [names, *([s[n].value if s[n] is not None else "" for n in names] for s in result)]
    return [[f"?{n}" for n in names], *([str(s[n]) if s[n] is not None else "" for n in names] for s in result)]


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize("sending", list(SENDING))
@pytest.mark.parametrize("form", list(QUERIES))
@pytest.mark.parametrize("return_format", RETURN_FORMATS)
def test_sparqlwrapper_every_return_format(
    endpoint: str, dataset: Store, return_format: str, form: str, sending: str
) -> None:
    text = QUERIES[form]
    method, request_method = SENDING[sending]
    client = wrapper(endpoint, text, return_format, method)
    if request_method is not None:
        client.setRequestMethod(request_method)
    expected = expected_media_type(form, return_format)
    with warnings.catch_warnings():
        # SPARQLWrapper warns when it asks for a format the query form has not, and when it gets another.
        warnings.simplefilter("ignore", RuntimeWarning)
        if expected is None:
            with pytest.raises(urllib.error.HTTPError) as refused:
                client.query()
            assert refused.value.code == 406
            assert "application/sparql-results+json" in refused.value.read().decode()
            return
        result = client.query()
        media_type = result.info()["content-type"].split(";")[0]
        assert media_type == expected
        got = received(result.convert(), media_type)
    if form == "ASK":
        assert got is True
    elif form == "SELECT" and media_type in ("text/csv", "text/tab-separated-values"):
        assert got == table_of(dataset, text, media_type)
    elif form == "SELECT":
        assert got == solutions_of(dataset, text)
    else:
        assert isinstance(got, Graph)
        assert len(got) >= 7
        assert isomorphic(got, graph_of(dataset, text))
