"""Limits on the size of one result: a result that would pass ``max_result_rows`` or ``max_result_bytes``
is cut short in a way no client takes for a whole result — the response is left unfinished, as at a
deadline, so SPARQLWrapper and rdflib fail to parse it and a CSV reader meets a transport error — and
the server logs it. A result within the limits is sent whole; one cut before its first byte is a 507."""

from __future__ import annotations

import http.client
import io
import json
import time
import urllib.parse
from collections.abc import Callable, Iterator

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph
from servers import LiveServer, start_server, stop_server
from SPARQLWrapper import JSON, XML, SPARQLWrapper

from ilrs.graph import formats
from ilrs.graph.errors import ResultTooLarge
from ilrs.server.sparql.result_limits import JsonRows, LineRows, ResultMeter, XmlRows, row_counter

COUNTRIES = "https://w3id.org/ilrs/graph/reference/countries"
MAX_ROWS = 10_000
# Millions of rows: far more than the limit, each small enough that the limit falls well after the first chunk.
PRODUCT = f"SELECT ?a ?b WHERE {{ GRAPH <{COUNTRIES}> {{ ?a ?p ?o . ?b ?q ?r }} }}"
PRODUCT_GRAPH = f"CONSTRUCT {{ ?a <urn:near> ?b }} WHERE {{ GRAPH <{COUNTRIES}> {{ ?a ?p ?o . ?b ?q ?r }} }}"
#: What urllib (under SPARQLWrapper and rdflib) raises for a response that ends before its last chunk.
TRUNCATED = http.client.IncompleteRead


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("limited"), "--max-result-rows", str(MAX_ROWS))
    yield server
    stop_server(server)


def endpoint(server: LiveServer) -> str:
    return server.url("/sparql")


def logged(server: LiveServer, words: str) -> bool:
    for _ in range(50):
        if words in server.log():
            return True
        time.sleep(0.1)
    return False


# --- cut results cannot be taken for whole ones -------------------------------------------------------


@pytest.mark.parametrize("return_format", [JSON, XML])
def test_sparqlwrapper_cannot_parse_a_cut_result(limited: LiveServer, return_format: str) -> None:
    client = SPARQLWrapper(endpoint(limited))
    client.setQuery(PRODUCT)
    client.setReturnFormat(return_format)
    with pytest.raises(TRUNCATED):
        client.query().convert()
    assert logged(limited, f"more than {MAX_ROWS} rows")


def test_rdflib_cannot_parse_a_cut_turtle_result(limited: LiveServer) -> None:
    url = f"{endpoint(limited)}?{urllib.parse.urlencode({'query': PRODUCT_GRAPH, 'format': 'turtle'})}"
    with pytest.raises(TRUNCATED):
        Graph().parse(url, format="turtle")
    assert logged(limited, f"more than {MAX_ROWS} triples")


def test_a_cut_csv_result_is_a_transport_error(limited: LiveServer) -> None:
    received = io.BytesIO()
    with (
        httpx.Client(timeout=30) as c,
        c.stream("GET", endpoint(limited), params={"query": PRODUCT}, headers={"Accept": "text/csv"}) as response,
    ):
        assert response.status_code == 200  # sent before the limit was reached
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
            for chunk in response.iter_bytes():
                received.write(chunk)
    rows = received.getvalue().count(b"\r\n") - 1
    assert 0 < rows <= MAX_ROWS  # what came is never more than the limit


def test_a_result_at_the_limit_is_whole_and_one_past_it_is_not(limited: LiveServer) -> None:
    with httpx.Client(timeout=30) as c:
        whole = c.get(
            endpoint(limited), params={"query": f"{PRODUCT} LIMIT {MAX_ROWS}"}, headers={"Accept": "text/csv"}
        )
        assert whole.status_code == 200
        assert whole.text.count("\r\n") == MAX_ROWS + 1
        with pytest.raises(httpx.RemoteProtocolError):
            c.get(
                endpoint(limited), params={"query": f"{PRODUCT} LIMIT {MAX_ROWS + 1}"}, headers={"Accept": "text/csv"}
            )


def test_a_byte_limit_cuts_every_form(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory("--max-result-bytes", "300000")
    with httpx.Client(timeout=30) as c:
        for text, accept in ((PRODUCT, "application/sparql-results+xml"), (PRODUCT_GRAPH, "application/n-triples")):
            with pytest.raises(httpx.RemoteProtocolError):
                c.get(server.url("/sparql"), params={"query": text}, headers={"Accept": accept})
        small = c.get(server.url("/sparql"), params={"query": f"{PRODUCT} LIMIT 100"}, headers={"Accept": "text/csv"})
        assert small.status_code == 200 and small.text.count("\r\n") == 101
    assert logged(server, "larger than 300000 bytes")


def test_a_result_cut_before_it_starts_is_a_507(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory("--max-result-rows", "10")
    with httpx.Client(timeout=30) as c:
        response = c.get(server.url("/sparql"), params={"query": f"{PRODUCT} LIMIT 11"}, headers={"Accept": "text/csv"})
        assert response.status_code == 507
        assert "more than 10 rows" in response.text and "LIMIT" in response.text
        assert c.get(server.url("/sparql"), params={"query": f"{PRODUCT} LIMIT 10"}).status_code == 200
    assert logged(server, "more than 10 rows")


# --- the row counters, exact whatever the text and wherever a chunk ends ---------------------------------

TRICKY = [
    "plain",
    'a ,{ "quoted" } [{ and \\ backslashes \\\\',
    "line\nbreaks\r\nand\ttabs",
    '<result> in text, "" doubled',
    ",{",
    '\\"',
]


def tricky_store() -> ox.Store:
    store = ox.Store()
    for i, text in enumerate(TRICKY):
        s = ox.NamedNode(f"urn:s{i}")
        store.add(ox.Quad(s, ox.NamedNode("urn:p"), ox.Literal(text), ox.DefaultGraph()))
        store.add(ox.Quad(s, ox.NamedNode("urn:q"), ox.Literal(text, language="en"), ox.DefaultGraph()))
    return store


@pytest.mark.parametrize("fmt", [formats.JSON, formats.XML, formats.CSV, formats.TSV], ids=lambda f: f.name)
@pytest.mark.parametrize("size", [1, 2, 3, 5, 64, 10**6])
def test_row_counters_count_exactly(fmt: formats.Format, size: int) -> None:
    store = tricky_store()
    # Rows with tricky literals, rows with unbound variables, and empty rows.
    text = "SELECT ?s ?o ?none WHERE { { ?s ?p ?o } UNION { BIND(1 AS ?x) } }"
    expected = len(list(store.query(text)))  # type: ignore[arg-type]
    data = store.query(text).serialize(format=fmt.writer)  # type: ignore[union-attr,arg-type]
    counter = row_counter(fmt)
    assert counter is not None
    counted = sum(counter.feed(data[i : i + size]) for i in range(0, len(data), size))
    assert counted == expected == 2 * len(TRICKY) + 1


# --- rows are read back only once a result could have too many -------------------------------------------


def _json_result(rows: int) -> bytes:
    bindings = [{"s": {"type": "literal", "value": f'row {n}, with "{{" and ,{{ inside'}} for n in range(rows)]
    result = {"head": {"vars": ["s"]}, "results": {"bindings": bindings}}
    return json.dumps(result, separators=(",", ":")).encode()  # as pyoxigraph writes it


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 7, 64, 10_000])
def test_as_many_rows_as_allowed_pass_and_one_more_is_refused(size: int) -> None:
    for rows, refused in ((40, False), (41, True)):
        meter = ResultMeter(40, None, JsonRows())
        data = _json_result(rows)
        assert len(data) > 40  # past the size below which rows are not read back
        if refused:
            with pytest.raises(ResultTooLarge, match="more than 40 rows"):
                for chunk in _chunks(data, size):
                    meter.check(chunk)
        else:
            for chunk in _chunks(data, size):
                meter.check(chunk)
            assert meter.rows == 40


def test_a_result_no_larger_than_the_row_limit_is_not_read_back() -> None:
    """No format writes a row in less than a byte: a result of at most ``max_rows`` bytes is not counted."""

    class Counting(JsonRows):
        fed = 0

        def feed(self, data: bytes) -> int:
            Counting.fed += 1
            return super().feed(data)

    data = _json_result(3)
    meter = ResultMeter(len(data), None, Counting())
    for chunk in _chunks(data, 16):
        meter.check(chunk)
    assert Counting.fed == 0 and meter.rows == 0
    meter.check(b" ")  # one byte more: now it could have too many, and every piece is read back
    assert meter.rows == 3 and Counting.fed == len(_chunks(data, 16)) + 1


@pytest.mark.parametrize(
    ("counter", "row", "header"),
    [(XmlRows(), b"<result></result>", b"<sparql><results>"), (LineRows(quoted=False), b"\n", b"s\n")],
)
def test_every_format_writes_a_row_in_at_least_a_byte(counter: object, row: bytes, header: bytes) -> None:
    """The shortest row of each format is a byte or more, so the rule above holds for each."""
    meter = ResultMeter(5, None, counter)  # type: ignore[arg-type]
    meter.check(header + row * 5)
    with pytest.raises(ResultTooLarge):
        meter.check(row)
