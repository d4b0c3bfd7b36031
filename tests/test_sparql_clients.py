"""Real SPARQL clients against ``/sparql``: SPARQLWrapper (JSON, XML, CSV, Turtle) and rdflib's
SPARQLStore, each answer compared with what the store holds."""

from __future__ import annotations

import csv
import io

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper

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
