"""gzip on the live server: pages, collections, streamed dumps, static files and SPARQL results.

Each compressed body is decompressed here and compared with the identity body of the same
request, byte for byte; each encoding has its own strong ETag, and either revalidates.
"""

from __future__ import annotations

import gzip
from urllib.parse import quote

import httpx
import pytest

#: (path, Accept) of one response of each kind.
RESPONSES = [
    ("/id/country/CN", "text/html"),
    ("/id/country/CN", "application/ld+json"),
    ("/countries?limit=250", "application/ld+json"),
    ("/dumps/ilrs.nq", "*/*"),
    ("/dumps/ilrs.jsonld", "*/*"),
    ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "*/*"),
    ("/sparql?query=" + quote("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"), "application/sparql-results+json"),
    ("/sparql?query=" + quote("SELECT * WHERE { ?s ?p ?o }"), "text/csv"),
]


def raw(client: httpx.Client, path: str, accept: str, encoding: str) -> httpx.Response:
    """The response with its body exactly as sent (not decoded by httpx)."""
    request = client.build_request("GET", path, headers={"Accept": accept, "Accept-Encoding": encoding})
    response = client.send(request, stream=True)
    response._content = b"".join(response.iter_raw())
    response.close()
    return response


@pytest.mark.parametrize(("path", "accept"), RESPONSES)
def test_gzip_when_accepted(client: httpx.Client, path: str, accept: str) -> None:
    plain = raw(client, path, accept, "identity")
    packed = raw(client, path, accept, "gzip, deflate")
    assert plain.status_code == packed.status_code == 200
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed.headers["vary"].lower()
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 3


@pytest.mark.parametrize("encoding", ["identity", "gzip;q=0", "br", "*;q=0", ""])
def test_no_gzip_unless_accepted(client: httpx.Client, encoding: str) -> None:
    r = raw(client, "/countries?limit=250", "application/ld+json", encoding)
    assert "content-encoding" not in r.headers
    assert r.content.startswith(b"{")


def test_each_encoding_has_its_own_etag_and_both_revalidate(client: httpx.Client) -> None:
    plain = raw(client, "/countries?limit=250", "application/ld+json", "identity")
    packed = raw(client, "/countries?limit=250", "application/ld+json", "gzip")
    assert packed.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    for tag in (plain.headers["etag"], packed.headers["etag"]):
        for encoding in ("identity", "gzip"):
            headers = {"Accept": "application/ld+json", "Accept-Encoding": encoding, "If-None-Match": tag}
            r = client.get("/countries?limit=250", headers=headers)
            assert r.status_code == 304, (tag, encoding)
            if encoding == "gzip":
                assert r.headers["etag"] == tag  # the representation the client holds
    dump = raw(client, "/dumps/ilrs.trig", "*/*", "gzip")
    again = {"Accept-Encoding": "gzip", "If-None-Match": dump.headers["etag"]}
    assert client.get("/dumps/ilrs.trig", headers=again).status_code == 304
