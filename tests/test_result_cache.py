"""The SPARQL result cache: the same query asked again is answered from memory, revalidated by ETag, and
never across a change of the data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from servers import LiveServer

from ilrs.server.sparql.result_cache import CachedResult, ResultCache, ResultKey

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
#: The same query laid out differently, with a comment: it normalises to the same text.
COUNT_AGAIN = "SELECT   (COUNT(*) AS ?n)\n# how many\nWHERE {\n  ?s ?p ?o\n}"
JSON = {"Accept": "application/sparql-results+json"}


def _key(version: str, query: str = COUNT, fmt: str = "json") -> ResultKey:
    return ResultKey.of(version, query, dataset=(None, None, True), base_iri="http://x/sparql", result_format=fmt)


def test_same_query_in_another_layout_gets_the_same_result_and_etag(client: httpx.Client) -> None:
    first = client.get("/sparql", params={"query": COUNT}, headers=JSON)
    second = client.post("/sparql", data={"query": COUNT_AGAIN}, headers=JSON)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.headers["etag"] == second.headers["etag"]
    assert first.headers["content-type"] == second.headers["content-type"]


def test_revalidation_with_the_etag_gets_304(client: httpx.Client) -> None:
    first = client.get("/sparql", params={"query": COUNT}, headers=JSON)
    again = client.get("/sparql", params={"query": COUNT}, headers={**JSON, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    other_format = client.get(
        "/sparql",
        params={"query": COUNT},
        headers={"Accept": "text/csv", "If-None-Match": first.headers["etag"]},
    )
    assert other_format.status_code == 200
    assert other_format.headers["etag"] != first.headers["etag"]
    assert other_format.text.splitlines()[0] == "n"


def test_queries_whose_answer_changes_each_time_are_not_cached(client: httpx.Client) -> None:
    query = "SELECT (RAND() AS ?r) (STRUUID() AS ?u) WHERE {}"
    answers = [client.get("/sparql", params={"query": query}, headers=JSON) for _ in range(2)]
    assert all(a.status_code == 200 and "etag" not in a.headers for a in answers)
    values = [a.json()["results"]["bindings"][0]["u"]["value"] for a in answers]
    assert values[0] != values[1]


def test_a_string_with_different_spacing_is_a_different_query(client: httpx.Client) -> None:
    one = client.get("/sparql", params={"query": 'SELECT ("a b" AS ?x) {}'}, headers=JSON)
    two = client.get("/sparql", params={"query": 'SELECT ("a  b" AS ?x) {}'}, headers=JSON)
    assert one.headers["etag"] != two.headers["etag"]
    assert two.json()["results"]["bindings"][0]["x"]["value"] == "a  b"


def test_other_data_gets_other_etags(server_factory: Callable[..., LiveServer], tmp_path: Path) -> None:
    extra = tmp_path / "extra.ttl"
    extra.write_text("<https://example.org/a> <https://example.org/p> 1 .\n")
    tags = []
    for server in (server_factory(), server_factory(env={"ILRS_EXTRA_FILES": f'["{extra}"]'})):
        response = httpx.get(server.url("/sparql"), params={"query": COUNT}, headers=JSON, timeout=30)
        tags.append(response.headers["etag"])
    assert tags[0] != tags[1]


def test_a_new_version_empties_the_cache() -> None:
    cache = ResultCache(1024)
    cache.put(_key("v1"), CachedResult("text/plain", b"old"))
    assert cache.get(_key("v1")) == CachedResult("text/plain", b"old")
    assert cache.get(_key("v2")) is None
    cache.put(_key("v2", "ASK {}"), CachedResult("text/plain", b"new"))
    assert cache.get(_key("v1")) is None
    assert len(cache) == 1 and cache.size == 3


def test_the_cache_keeps_within_its_bytes_dropping_the_least_recently_used() -> None:
    cache = ResultCache(100, max_entry=40)
    for n in range(3):
        cache.put(_key("v", f"ASK {{ {n} }}"), CachedResult("t", bytes(40)))
    assert cache.get(_key("v", "ASK { 0 }")) is None  # the oldest went first
    assert cache.get(_key("v", "ASK { 2 }")) is not None
    cache.put(_key("v", "too big"), CachedResult("t", bytes(41)))
    assert cache.get(_key("v", "too big")) is None
    assert cache.size <= 100


def test_a_cache_of_zero_bytes_keeps_nothing() -> None:
    cache = ResultCache(0)
    cache.put(_key("v"), CachedResult("t", b""))
    cache.put(_key("v", "ASK {}"), CachedResult("t", b"x"))
    assert cache.get(_key("v", "ASK {}")) is None
