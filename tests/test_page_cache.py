"""The page cache: a linked-data page asked again is sent from memory — the same bytes and headers — per
format and encoding, revalidated by the route, and never across a change of the data."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import httpx
import pytest
from servers import LiveServer, scrape, value
from writing import Writable, writable_server, write_token

from ilrs.server.compression import CompressionMiddleware
from ilrs.server.edge import origin_key
from ilrs.server.page_cache import PageCache

CNSA = "/id/agency/cnsa"
JSONLD = {"Accept": "application/ld+json"}
TURTLE = {"Accept": "text/turtle"}


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Writable:
    return write_token(tmp_path_factory.mktemp("page-cache-token"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, token: Writable) -> Iterator[LiveServer]:
    yield from writable_server(tmp_path_factory.mktemp("page-cache"), token, env={"ILRS_METRICS": "true"})


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=60) as c:
        yield c


def _page_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k != "date"}


def test_a_page_asked_again_is_the_same_until_a_write_changes_it(client: httpx.Client, token: Writable) -> None:
    first = client.get(CNSA, headers=JSONLD)
    again = client.get(CNSA, headers=JSONLD)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and _page_headers(again) == _page_headers(first)
    assert "Agence" not in first.text
    label = '"Agence spatiale nationale chinoise (page cache)"@fr'
    update = (
        "INSERT DATA { GRAPH <https://w3id.org/ilrs/graph/source/003> { <https://w3id.org/ilrs/id/agency/cnsa>"
        f" <http://www.w3.org/2000/01/rdf-schema#label> {label} }} }}"
    )
    written = client.post("/update", data={"update": update}, headers=token.headers)
    assert written.status_code == 200, written.text
    after = client.get(CNSA, headers=JSONLD)
    assert after.status_code == 200 and "Agence spatiale nationale chinoise (page cache)" in after.text
    assert after.headers["etag"] != first.headers["etag"]
    assert after.headers["ilrs-dataset-version"] == written.json()["version"]


def test_each_format_and_encoding_gets_its_own_page(client: httpx.Client) -> None:
    for _ in range(2):  # the second round is answered from the cache
        turtle = client.get(CNSA, headers={**TURTLE, "Accept-Encoding": "identity"})
        jsonld = client.get(CNSA, headers={**JSONLD, "Accept-Encoding": "identity"})
        zipped = client.get(CNSA, headers={**JSONLD, "Accept-Encoding": "gzip"})
        assert turtle.headers["content-type"].startswith("text/turtle") and "@prefix" in turtle.text
        assert jsonld.headers["content-type"] == "application/ld+json" and jsonld.json()["@id"]
        assert "content-encoding" not in jsonld.headers
        assert zipped.headers["content-encoding"] == "gzip" and zipped.json() == jsonld.json()
        assert zipped.headers["etag"] != jsonld.headers["etag"]


def test_head_and_revalidation_of_a_kept_page(client: httpx.Client) -> None:
    page = client.get("/missions", headers=JSONLD)
    head = client.head("/missions", headers=JSONLD)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == page.headers["etag"] and head.headers["link"] == page.headers["link"]
    revalidated = client.get("/missions", headers={**JSONLD, "If-None-Match": page.headers["etag"]})
    assert revalidated.status_code == 304 and revalidated.content == b""


def test_a_cors_request_gets_its_own_headers(client: httpx.Client) -> None:
    plain = client.get("/missions", headers=JSONLD)
    cors = client.get("/missions", headers={**JSONLD, "Origin": "https://example.org"})
    assert "access-control-allow-origin" not in plain.headers
    assert cors.headers["access-control-allow-origin"] == "*"
    assert cors.content == plain.content


def test_only_plain_reads_of_pages_are_kept() -> None:
    cache = PageCache(1024)

    def key(method: str, path: str, *headers: tuple[bytes, bytes]) -> object:
        return cache.key({"method": method, "path": path, "query_string": b"", "headers": list(headers)}, "v1")

    assert key("GET", "/missions", (b"accept", b"application/ld+json")) is not None
    assert key("GET", "/missions", (b"accept", b"a")) != key("GET", "/missions", (b"accept", b"b"))
    assert key("POST", "/missions") is None
    assert key("GET", "/sparql") is None and key("GET", "/static/site.css") is None
    assert key("GET", "/missions", (b"if-none-match", b'"x"')) is None
    assert key("GET", "/missions", (b"authorization", b"Bearer x")) is None
    assert PageCache(0).key({"method": "GET", "path": "/missions", "headers": []}, "v1") is None


def test_a_gzip_page_from_the_cache_is_whole(client: httpx.Client) -> None:
    """Raw bytes, as the server sent them: the kept gzip body decompresses to the identity body."""
    identity = client.get("/countries?limit=50", headers={**JSONLD, "Accept-Encoding": "identity"}).content
    for _ in range(2):
        with client.stream("GET", "/countries?limit=50", headers={**JSONLD, "Accept-Encoding": "gzip"}) as r:
            raw = b"".join(r.iter_raw())
        assert gzip.decompress(raw) == identity


def _counted(server: LiveServer) -> dict[str, float]:
    samples = scrape(server)
    outcomes = ("kept", "reused", "hit")
    return {outcome: value(samples, "ilrs_page_cache_total", outcome=outcome) for outcome in outcomes}


def test_a_page_is_built_once_for_every_gzip_client_and_every_origin(client: httpx.Client, server: LiveServer) -> None:
    """Built once: a gzip request gets the page compressed, whatever its ``Accept-Encoding`` says beside gzip,
    and every site's ``Origin`` gets the same page with CORS headers."""
    path = "/countries?limit=7"  # a page no other test asks for
    before = _counted(server)
    identity = client.get(path, headers={**JSONLD, "Accept-Encoding": "identity"})
    raw = []
    for encoding in ("gzip", "gzip, deflate, br, zstd", "br;q=1, gzip;q=0.5"):
        with client.stream("GET", path, headers={**JSONLD, "Accept-Encoding": encoding}) as r:
            raw.append((r.headers, b"".join(r.iter_raw())))
    sites = [client.get(path, headers={**JSONLD, "Origin": f"https://{site}.example"}) for site in ("a", "b", "c")]
    after = _counted(server)
    assert {k: after[k] - before[k] for k in after} == {"kept": 1, "reused": 2, "hit": 4}
    for headers, body in raw:
        assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == identity.content
        assert headers["etag"] == identity.headers["etag"][:-1] + '-gzip"'
        assert body == raw[0][1]
    for site in sites:
        assert site.headers["access-control-allow-origin"] == "*" and site.content == identity.content


def test_an_answer_made_from_a_kept_page_is_the_answer_built_for_it(client: httpx.Client) -> None:
    """For each encoding and origin, the answer made from the page kept as built (one ``Accept``) and the one built
    for that request itself (an ``Accept`` of its own, naming the same format): the same bytes and headers."""
    path = "/countries?limit=9"
    variants = [
        {"Accept-Encoding": "gzip"},
        {"Accept-Encoding": "gzip", "Origin": "https://a.example"},
        {"Accept-Encoding": "identity", "Origin": "https://b.example"},
    ]

    def raw(accept: str, headers: dict[str, str]) -> tuple[dict[str, str], bytes]:
        with client.stream("GET", path, headers={"Accept": accept, **headers}) as r:
            return {k: v for k, v in r.headers.items() if k != "date"}, b"".join(r.iter_raw())

    raw("application/ld+json", {"Accept-Encoding": "identity"})  # built and kept
    for i, headers in enumerate(variants):
        made = raw("application/ld+json", headers)
        built = raw(f"application/ld+json, */*;q=0.{i + 1}", headers)  # a key of its own: built for it
        assert made == built, headers


def test_encodings_and_origins_are_keyed_by_what_the_layers_make_of_them() -> None:
    compression = CompressionMiddleware(None, level=6, sparql_level=0)  # type: ignore[arg-type]
    assert compression.coding("/missions", b"gzip, deflate, br") == b"gzip"
    assert compression.coding("/missions", b"gzip;q=0, br") is None and compression.coding("/missions", b"") is None
    assert compression.coding("/sparql", b"gzip") is None  # off for results at level 0
    anyone, listed = origin_key(["*"]), origin_key(["https://a.example"])
    assert anyone("/", b"https://a.example") == anyone("/", b"https://b.example") == b"*"
    assert listed("/", b"https://a.example") == b"https://a.example"
    assert listed("/", b"https://b.example") == listed("/", b"https://c.example") == b""  # refused alike
    cache = PageCache(1024, normalise={b"accept-encoding": compression.coding, b"origin": anyone})

    def key(*headers: tuple[bytes, bytes]) -> object:
        return cache.key({"method": "GET", "path": "/missions", "query_string": b"", "headers": list(headers)}, "v1")

    assert key((b"accept-encoding", b"gzip")) == key((b"accept-encoding", b"deflate, gzip"))
    assert key((b"accept-encoding", b"identity")) == key() != key((b"accept-encoding", b"gzip"))
    assert key((b"origin", b"https://a.example")) == key((b"origin", b"https://b.example")) != key()
    assert key((b"accept", b"a")) != key((b"accept", b"b"))


def test_a_page_asked_for_in_gzip_first_is_not_built_again_in_identity(
    client: httpx.Client, server: LiveServer
) -> None:
    """Built once: the identity answer made from the page kept as built is the one built for it."""
    path = "/countries?limit=11"
    before = _counted(server)
    with client.stream("GET", path, headers={**JSONLD, "Accept-Encoding": "gzip"}) as r:
        zipped = b"".join(r.iter_raw())
    plain = [client.get(path, headers={**JSONLD, "Accept-Encoding": "identity"}) for _ in range(2)]
    after = _counted(server)
    assert {k: after[k] - before[k] for k in after} == {"kept": 1, "reused": 1, "hit": 1}
    assert gzip.decompress(zipped) == plain[0].content == plain[1].content
    built = client.get(path, headers={"Accept": "application/ld+json, */*;q=0.1", "Accept-Encoding": "identity"})
    assert _page_headers(plain[0]) == _page_headers(built) and plain[0].content == built.content
