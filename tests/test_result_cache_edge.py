"""SPARQL results as sent: a ``GET /sparql`` asked again with the same URL and headers is answered by the edge
from memory — the same bytes and headers, per format, encoding, origin and revalidation — and never across a
change of the data."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import httpx
import pytest
from servers import LiveServer
from writing import Writable, writable_server, write_token

from ilrs.server.page_cache import RESULTS, PageCache

QUERY = "SELECT ?p ?o WHERE { <https://w3id.org/ilrs/id/agency/cnsa> ?p ?o } ORDER BY ?p ?o"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { <https://w3id.org/ilrs/id/agency/cnsa> ?p ?o }"
JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Writable:
    return write_token(tmp_path_factory.mktemp("edge-results-token"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, token: Writable) -> Iterator[LiveServer]:
    yield from writable_server(tmp_path_factory.mktemp("edge-results"), token)


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=60) as c:
        yield c


def _sent(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    """What a response was, but its date."""
    return response.status_code, {k: v for k, v in response.headers.items() if k != "date"}, response.content


def _raw(client: httpx.Client, headers: dict[str, str], query: str = QUERY) -> tuple[int, dict[str, str], bytes]:
    """A ``GET /sparql`` as sent: its body not decoded (gzip stays gzip)."""
    with client.stream("GET", "/sparql", params={"query": query}, headers=headers) as response:
        body = b"".join(response.iter_raw())
        return response.status_code, {k: v for k, v in response.headers.items() if k != "date"}, body


def test_each_format_encoding_and_origin_is_sent_again_as_it_was(client: httpx.Client) -> None:
    variants = {
        "json": {"Accept": JSON, "Accept-Encoding": "identity"},
        "csv": {"Accept": "text/csv", "Accept-Encoding": "identity"},
        "json-gzip": {"Accept": JSON, "Accept-Encoding": "gzip"},
        "json-cors": {"Accept": JSON, "Accept-Encoding": "identity", "Origin": "https://example.org"},
    }
    first = {name: _raw(client, headers) for name, headers in variants.items()}
    for _ in range(2):  # answered from memory now
        assert {name: _raw(client, headers) for name, headers in variants.items()} == first
    status, json_headers, json_body = first["json"]
    assert status == 200 and json_headers["content-type"] == JSON and b'"bindings"' in json_body
    assert first["csv"][1]["content-type"].startswith("text/csv") and first["csv"][2].startswith(b"p,o\r\n")
    assert first["json-gzip"][1]["content-encoding"] == "gzip" and gzip.decompress(first["json-gzip"][2]) == json_body
    assert first["json-gzip"][1]["etag"] != json_headers["etag"]
    assert first["json-cors"][1]["access-control-allow-origin"] == "*" and first["json-cors"][2] == json_body
    assert "access-control-allow-origin" not in json_headers
    assert len({headers["etag"] for _, headers, _ in first.values()}) == 3  # CORS headers do not change the bytes


def test_head_has_the_headers_of_the_get_before_and_after_it_is_kept(client: httpx.Client) -> None:
    query = QUERY + " LIMIT 3"
    before = client.head("/sparql", params={"query": query}, headers={"Accept": JSON})
    got = client.get("/sparql", params={"query": query}, headers={"Accept": JSON})
    after = [client.head("/sparql", params={"query": query}, headers={"Accept": JSON}) for _ in range(2)]
    assert got.status_code == 200 and len(got.json()["results"]["bindings"]) == 3
    for head in (before, *after):
        assert head.status_code == 200 and head.content == b""
        assert {k: head.headers[k] for k in ("etag", "content-type", "content-length")} == {
            k: got.headers[k] for k in ("etag", "content-type", "content-length")
        }
    # A HEAD answered from memory did not replace the GET's answer with an empty one.
    assert _sent(client.get("/sparql", params={"query": query}, headers={"Accept": JSON})) == _sent(got)


def test_revalidation_is_answered_304_every_time_for_each_encoding(client: httpx.Client) -> None:
    for encoding in ("identity", "gzip"):
        headers = {"Accept": JSON, "Accept-Encoding": encoding}
        _, sent, body = _raw(client, headers)
        tag = sent["etag"]
        assert tag.endswith('-gzip"') == (encoding == "gzip")
        revalidated = [_raw(client, {**headers, "If-None-Match": tag}) for _ in range(3)]
        assert revalidated[0] == revalidated[1] == revalidated[2]
        status, not_modified, empty = revalidated[0]
        assert status == 304 and empty == b"" and not_modified["etag"] == tag
        stale = [_raw(client, {**headers, "If-None-Match": '"0000-stale"'}) for _ in range(2)]
        assert stale[0] == stale[1] and stale[0][0] == 200 and stale[0][2] == body


def test_a_write_changes_the_answer_sent_from_memory(client: httpx.Client, token: Writable) -> None:
    headers = {"Accept": JSON, "Accept-Encoding": "identity"}
    before = [client.get("/sparql", params={"query": COUNT}, headers=headers) for _ in range(2)]
    assert _sent(before[0]) == _sent(before[1])
    count = int(before[0].json()["results"]["bindings"][0]["n"]["value"])
    label = '"CNSA (kept at the edge)"@en'
    update = (
        "INSERT DATA { GRAPH <https://w3id.org/ilrs/graph/source/003> { <https://w3id.org/ilrs/id/agency/cnsa>"
        f" <http://www.w3.org/2000/01/rdf-schema#label> {label} }} }}"
    )
    written = client.post("/update", data={"update": update}, headers=token.headers)
    assert written.status_code == 200, written.text
    for _ in range(2):
        after = client.get("/sparql", params={"query": COUNT}, headers=headers)
        assert int(after.json()["results"]["bindings"][0]["n"]["value"]) == count + 1
        assert after.headers["ilrs-dataset-version"] == written.json()["version"]
        assert after.headers["etag"] != before[0].headers["etag"]
        stale = client.get(
            "/sparql", params={"query": COUNT}, headers={**headers, "If-None-Match": before[0].headers["etag"]}
        )
        assert stale.status_code == 200 and stale.json() == after.json()


def test_refusals_and_changing_answers_are_not_kept(client: httpx.Client) -> None:
    for _ in range(2):
        bad = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"}, headers={"Accept": JSON})
        assert bad.status_code == 400 and "invalid query" in bad.text
    uuids = [
        client.get("/sparql", params={"query": "SELECT (STRUUID() AS ?u) {}"}, headers={"Accept": JSON})
        for _ in range(2)
    ]
    assert uuids[0].json() != uuids[1].json() and "etag" not in uuids[0].headers


def test_only_gets_of_the_endpoint_are_kept_under_their_revalidation() -> None:
    cache = PageCache(1024, RESULTS)

    def key(method: str, path: str, *headers: tuple[bytes, bytes]) -> object:
        scope = {"method": method, "path": path, "query_string": b"query=ASK%7B%7D", "headers": list(headers)}
        return cache.key(scope, "v1")

    accept = (b"accept", b"application/sparql-results+json")
    assert key("GET", "/sparql", accept) is not None
    assert key("GET", "/sparql", accept) == key("HEAD", "/sparql", accept)
    assert key("GET", "/sparql", accept) != key("GET", "/sparql", (b"accept", b"text/csv"))
    assert key("GET", "/sparql", accept) != key("GET", "/sparql", accept, (b"if-none-match", b'"v1-x"'))
    assert key("POST", "/sparql", accept) is None and key("GET", "/missions", accept) is None
    assert key("GET", "/sparql", (b"if-modified-since", b"Thu, 03 Dec 2026 10:00:00 GMT")) is None
    assert key("GET", "/sparql", (b"authorization", b"Bearer x")) is None
    assert key("GET", "/sparql", accept, accept) is None  # a header sent twice is left to the application


def test_a_result_is_kept_from_the_second_time_it_is_asked_for() -> None:
    """A query that differs every time costs no entry: only an answer asked for again is kept."""
    results, pages = PageCache(1024, RESULTS), PageCache(1024)
    scope = {"method": "GET", "path": "/sparql", "query_string": b"query=ASK%7B%7D", "headers": []}
    key = results.key(scope, "v1")
    assert key is not None
    assert results.first_time(key) and not results.first_time(key) and not results.first_time(key)
    page = pages.key({**scope, "path": "/missions"}, "v1")
    assert page is not None and not pages.first_time(page)  # a page is kept the first time
