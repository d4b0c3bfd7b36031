"""Bytes that are not UTF-8 — in a query string, a path, a form body or a query body — get a 400 naming
the offending byte and where it was written, on every kind of route and by every method; the same text
in valid UTF-8 is answered."""

from __future__ import annotations

import json

import httpx
import pytest

ASK_BAD = b"ASK%20%7B%20FILTER(%22%FF%FE%22%20!%3D%20%22%22)%20%7D"
ASK_GOOD = b"ASK%20%7B%20FILTER(%22%C3%A9%22%20!%3D%20%22%22)%20%7D"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DIRECT = {"Content-Type": "application/sparql-query"}


def refused(response: httpx.Response, *words: str) -> str:
    """``response`` is a 400 whose message contains ``words``; returns the message."""
    assert response.status_code == 400, response.text
    assert "Traceback" not in response.text
    text = response.json()["detail"] if "problem+json" in response.headers["content-type"] else response.text
    for word in words:
        assert word in text, text
    return text


# --- the SPARQL endpoint: GET, form POST, direct POST ----------------------------------------------------


def test_get_query_with_invalid_utf8_is_400(client: httpx.Client) -> None:
    query_string = b"query=" + ASK_BAD
    response = client.get("/sparql?" + query_string.decode())
    at = query_string.index(b"%FF")
    refused(response, "query string is not valid UTF-8", "0xFF", f"offset {at}", '"query"')
    good = client.get("/sparql?query=" + ASK_GOOD.decode(), headers={"Accept": "application/sparql-results+json"})
    assert good.status_code == 200 and json.loads(good.text)["boolean"] is True


def test_form_post_with_invalid_utf8_is_400(client: httpx.Client) -> None:
    body = b"format=json&query=" + ASK_BAD
    refused(client.post("/sparql", content=body, headers=FORM), "form body", f"offset {body.index(b'%FF')}", '"query"')
    raw = b"query=ASK%20%7B%20FILTER(%22\xff%22)%20%7D"  # the byte itself, not percent-encoded
    at = raw.index(b"\xff")
    refused(client.post("/sparql", content=raw, headers=FORM), "0xFF", f"offset {at}")
    good = client.post("/sparql", content=b"query=" + ASK_GOOD, headers={**FORM, "Accept": "application/json"})
    assert good.status_code == 200 and good.json()["boolean"] is True


def test_direct_post_with_invalid_utf8_is_400(client: httpx.Client) -> None:
    body = b'ASK { FILTER("\xff\xfe" != "") }'
    at = body.index(b"\xff")
    refused(client.post("/sparql", content=body, headers=DIRECT), "body is not valid UTF-8", f"offset {at}")
    # The other parameters of a direct POST are in the URL, which is checked as well.
    response = client.post("/sparql?format=%FFjson", content=b"ASK {}", headers=DIRECT)
    refused(response, "query string", "offset 7", '"format"')
    good = client.post("/sparql", content='ASK { FILTER("é" != "") }'.encode(), headers=DIRECT)
    assert good.status_code == 200


# --- every other kind of route ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "where", "words"),
    [
        ("/agencies?page=%FF", "query string", ('"page"',)),  # the JSON-LD API
        ("/agreements?party=cnsa&year=20%E923", "query string", ('"year"', "0xE9")),
        ("/id/country/PK?lang=%C3%28", "query string", ('"lang"', "0xC3")),  # a resource page
        ("/id/country/%FFPK", "path", ()),  # the resource's own name
        ("/.well-known/void?%FF=1", "query string", ()),  # a parameter's name
        ("/ontology?x=%F0%9F%98", "query string", ("0xF0",)),  # a character cut short
        ("/", "query string", ()),  # the query UI
    ],
)
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
def test_every_route_refuses_invalid_utf8(
    client: httpx.Client, path: str, where: str, words: tuple[str, ...], method: str
) -> None:
    if path == "/":
        path = "/?q=%FE"
    response = client.request(method, path, headers={"Accept": "application/json"})
    assert response.status_code == 400
    if method != "HEAD":
        refused(response, f"{where} is not valid UTF-8", "offset", *words)


def test_the_offset_is_where_the_byte_is_written(client: httpx.Client) -> None:
    path = "/sparql?format=json&query=" + "%C3%A9" * 3 + "%FF"
    message = refused(client.get(path))
    assert f"offset {len('format=json&query=') + 18}" in message
