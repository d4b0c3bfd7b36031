"""``/sparql`` requests that take the edge's short way (no ``Origin``, no gzip asked for) and those that take
the layers (CORS, gzip, the UTF-8 check) get the same answers, on a live server."""

from __future__ import annotations

import gzip
import socket
import time
import uuid
from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest
from servers import LiveServer, assert_the_query_slot_is_free

#: What a client that asks for no compression sends: the short way.
PLAIN = {"Accept-Encoding": "identity"}
ORIGIN = "https://example.org"
JSON = "application/sparql-results+json"
COUNTRIES = "https://w3id.org/ilrs/graph/reference/countries"
#: Every country's IRI and name: several kilobytes, worth compressing.
LARGE = f"SELECT ?c ?name WHERE {{ GRAPH <{COUNTRIES}> {{ ?c <http://www.w3.org/2000/01/rdf-schema#label> ?name }} }}"
ENDLESS = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{COUNTRIES}> {{ ?a ?p ?o . ?b ?q ?r . ?c ?x ?y }} }}"


def fresh() -> str:
    """A query never asked before, which a query worker answers (no cached result, no inline answer)."""
    return f"ASK {{ <urn:uuid:{uuid.uuid4()}> ?p ?o }}"


def same_answer(short: httpx.Response, layered: httpx.Response) -> None:
    assert short.status_code == layered.status_code == 200
    assert short.content == layered.content
    for name in ("content-type", "etag", "vary", "ilrs-dataset-version", "x-content-type-options"):
        assert short.headers.get(name) == layered.headers.get(name), name


@pytest.mark.parametrize("accept", [JSON, "text/csv", "application/sparql-results+xml"])
def test_a_query_without_origin_or_gzip_gets_the_answer_the_layers_give(client: httpx.Client, accept: str) -> None:
    query = f"SELECT ?p ?o WHERE {{ <urn:uuid:{uuid.uuid4()}> ?p ?o }}"
    short = client.get("/sparql", params={"query": query}, headers={**PLAIN, "Accept": accept})
    layered = client.get("/sparql", params={"query": query}, headers={**PLAIN, "Accept": accept, "Origin": ORIGIN})
    same_answer(short, layered)
    assert short.headers["content-type"].startswith(accept)
    # CORS answers the request that names an origin, and only that one; both vary by it.
    assert layered.headers["access-control-allow-origin"] in {"*", ORIGIN}
    assert "access-control-allow-origin" not in short.headers
    assert [v.strip() for v in short.headers["vary"].split(",")] == ["Accept", "Origin"]


def test_post_form_and_direct_take_the_short_way_with_the_same_answer(client: httpx.Client) -> None:
    query = fresh()
    form = client.post("/sparql", data={"query": query}, headers={**PLAIN, "Accept": JSON})
    direct = client.post(
        "/sparql", content=query, headers={**PLAIN, "Accept": JSON, "Content-Type": "application/sparql-query"}
    )
    layered = client.post("/sparql", data={"query": query}, headers={**PLAIN, "Accept": JSON, "Origin": ORIGIN})
    same_answer(form, layered)
    same_answer(direct, layered)
    assert form.json() == {"head": {}, "boolean": False}


def test_head_on_the_short_way_sends_the_get_headers_without_a_body(client: httpx.Client) -> None:
    params = {"query": fresh()}
    get = client.get("/sparql", params=params, headers={**PLAIN, "Accept": JSON})
    head = client.head("/sparql", params=params, headers={**PLAIN, "Accept": JSON})
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    for name in ("content-type", "etag", "vary"):
        assert head.headers[name] == get.headers[name]


def test_gzip_is_still_sent_when_asked_and_its_tag_revalidates(client: httpx.Client) -> None:
    plain = client.get("/sparql", params={"query": LARGE}, headers={**PLAIN, "Accept": JSON})
    packed = client.get("/sparql", params={"query": LARGE}, headers={"Accept": JSON, "Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert len(plain.content) > 1024
    assert packed.content == plain.content  # httpx has decoded it
    tag = packed.headers["etag"]
    assert tag.endswith('-gzip"') and tag != plain.headers["etag"]
    # A client without gzip that names the gzip tag: the layers read it as the identity tag.
    again = client.get("/sparql", params={"query": LARGE}, headers={**PLAIN, "Accept": JSON, "If-None-Match": tag})
    assert again.status_code == 304


def test_a_query_string_that_is_not_utf8_is_refused_naming_the_byte(client: httpx.Client) -> None:
    response = client.get("/sparql?query=ASK%20%7B%22%FF%22%7D", headers=PLAIN)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert "0xFF" in response.text and '"query"' in response.text


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_client_going_away_stops_its_query(server_factory: Callable[..., LiveServer], method: str) -> None:
    server = server_factory(env={"ILRS_MAX_CONCURRENT_QUERIES": "1"})  # deadline: the default 30 s
    impatient = httpx.Client(base_url=server.base_url, timeout=0.5, headers=PLAIN)
    with impatient, pytest.raises(httpx.ReadTimeout):
        if method == "GET":
            impatient.get("/sparql", params={"query": ENDLESS})
        else:
            impatient.post("/sparql", data={"query": ENDLESS})
    assert_the_query_slot_is_free(server, PLAIN)


def test_a_cors_request_that_asks_for_gzip_gets_both(client: httpx.Client) -> None:
    headers = {"Accept": JSON, "Accept-Encoding": "gzip", "Origin": ORIGIN}
    with client.stream("GET", "/sparql", params={"query": LARGE}, headers=headers) as response:
        packed = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["access-control-allow-origin"] in {"*", ORIGIN}
    assert b'"bindings"' in gzip.decompress(packed)


def test_a_client_going_away_stops_its_query_with_requests_pipelined_behind_it(
    server_factory: Callable[..., LiveServer],
) -> None:
    server = server_factory(env={"ILRS_MAX_CONCURRENT_QUERIES": "1"})  # deadline: the default 30 s
    host, port = server.base_url.removeprefix("http://").split(":")
    head = f"Host: {host}:{port}\r\nAccept-Encoding: identity\r\n\r\n"
    endless = f"GET /sparql?query={quote(ENDLESS)} HTTP/1.1\r\n{head}"
    behind = f"GET /sparql?query={quote(fresh())} HTTP/1.1\r\n{head}"
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall((endless + behind).encode())
        time.sleep(1)  # the first query is running; the second waits behind it
    assert_the_query_slot_is_free(server, PLAIN)
