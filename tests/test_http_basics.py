"""Behaviour every route shares: HEAD, CORS, request logging."""

from __future__ import annotations

import time

import httpx
import pytest
from servers import LiveServer


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/id/country/PK", "text/turtle"),
        ("/countries", "application/ld+json"),
        ("/sparql?query=ASK%7B%7D", "application/sparql-results+json"),
        ("/.well-known/void", "text/turtle"),
        ("/", "text/html"),
    ],
)
def test_head_sends_the_get_headers_without_a_body(client: httpx.Client, path: str, accept: str) -> None:
    get = client.get(path, headers={"Accept": accept})
    head = client.head(path, headers={"Accept": accept})
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    for name in ("etag", "vary"):
        assert head.headers.get(name) == get.headers.get(name)


def test_head_of_unknown_resource_is_404(client: httpx.Client) -> None:
    assert client.head("/id/country/XX-not-a-country").status_code == 404


def test_cors_preflight_allows_reads_from_any_origin(client: httpx.Client) -> None:
    response = client.options(
        "/sparql",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in {"*", "https://example.org"}
    simple = client.get("/countries", headers={"Origin": "https://example.org"})
    assert simple.headers["access-control-allow-origin"] in {"*", "https://example.org"}


def test_requests_are_logged_with_status_and_timing(client: httpx.Client, live_server: LiveServer) -> None:
    client.get("/id/mission/change-7", headers={"Accept": "text/turtle"})
    # The line is written once the last byte is sent, which the client may see first: wait for it.
    deadline = time.monotonic() + 10
    while not (lines := [x for x in live_server.log().splitlines() if "GET /id/mission/change-7 " in x]):
        assert time.monotonic() < deadline, "no log line for the request"
        time.sleep(0.05)
    status, size, unit, elapsed, ms = lines[-1].split()[-5:]
    assert (status, unit, ms) == ("200", "B", "ms")
    assert int(size) > 0 and float(elapsed) >= 0


def test_static_assets_are_compressed(client: httpx.Client) -> None:
    page = client.get("/query", headers={"Accept": "text/html"}).text
    script = next(part.split('"')[0] for part in page.split('src="')[1:] if "static/" in part.split('"')[0])
    response = client.get("/" + script.lstrip("/"), headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.num_bytes_downloaded < len(response.content) / 2  # what crossed the wire was compressed
