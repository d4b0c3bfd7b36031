"""The SPARQL result cache: the same query asked again is answered from memory, revalidated by ETag, and
never across a change of the data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from servers import LiveServer, scrape, value

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
    cache = ResultCache(1024, expensive=0)
    cache.put(_key("v1"), CachedResult("text/plain", b"old"))
    assert cache.get(_key("v1")) == CachedResult("text/plain", b"old")
    assert cache.get(_key("v2")) is None
    cache.put(_key("v2", "ASK {}"), CachedResult("text/plain", b"new"))
    assert cache.get(_key("v1")) is None
    assert len(cache) == 1 and cache.size == 3


def test_the_cache_keeps_within_its_bytes_dropping_the_least_recently_used() -> None:
    cache = ResultCache(100, max_entry=40, expensive=0)
    for n in range(3):
        cache.put(_key("v", f"ASK {{ {n} }}"), CachedResult("t", bytes(40)))
    assert cache.get(_key("v", "ASK { 0 }")) is None  # the oldest went first
    assert cache.get(_key("v", "ASK { 2 }")) is not None
    cache.put(_key("v", "too big"), CachedResult("t", bytes(41)))
    assert cache.get(_key("v", "too big")) is None
    assert cache.size <= 100


def test_a_cache_of_zero_bytes_keeps_nothing() -> None:
    cache = ResultCache(0, expensive=0)
    cache.put(_key("v"), CachedResult("t", b""))
    cache.put(_key("v", "ASK {}"), CachedResult("t", b"x"))
    assert cache.get(_key("v", "ASK {}")) is None


def test_a_quick_result_is_kept_from_the_second_time_an_expensive_one_at_once() -> None:
    cache = ResultCache(1024, expensive=0.05)
    quick, slow = _key("v", "ASK { 1 }"), _key("v", "ASK { 2 }")
    cache.put(quick, CachedResult("t", b"q"), cost=0.001)
    assert cache.get(quick) is None  # asked once: not kept
    cache.put(quick, CachedResult("t", b"q"), cost=0.001)
    assert cache.get(quick) == CachedResult("t", b"q")
    cache.put(slow, CachedResult("t", b"s"), cost=0.05)
    assert cache.get(slow) == CachedResult("t", b"s")


def test_queries_asked_once_push_out_none_of_those_asked_again() -> None:
    cache = ResultCache(100, max_entry=40, expensive=1)
    kept = _key("v", "ASK { 0 }")
    for _ in range(2):
        cache.put(kept, CachedResult("t", bytes(40)), cost=0)
    for n in range(1, 50):  # a crawler: every query once, each as large as the cache's share
        cache.put(_key("v", f"ASK {{ {n} }}"), CachedResult("t", bytes(40)), cost=0)
    assert cache.get(kept) is not None
    assert len(cache) == 1


def test_long_results_asked_once_wait_on_probation_within_their_share() -> None:
    """A benchmark's unique queries that each take long: kept at once, but only in the probation share, so that
    they fill no more of the cache and push out none of the results asked for again."""
    cache = ResultCache(800, max_entry=100, expensive=0.05)
    assert cache.probation == 100
    kept = [_key("v", f"ASK {{ kept {n} }}") for n in range(6)]
    for key in kept:
        for _ in range(2):
            cache.put(key, CachedResult("t", bytes(100)), cost=0)
    for n in range(50):
        cache.put(_key("v", f"ASK {{ once {n} }}"), CachedResult("t", bytes(50)), cost=1.0)
    assert cache.size == 6 * 100 + 2 * 50
    assert all(cache.get(key) is not None for key in kept)
    assert cache.get(_key("v", "ASK { once 49 }")) is not None  # the latest is still there, on probation
    assert cache.get(_key("v", "ASK { once 0 }")) is None


def test_a_result_on_probation_asked_again_joins_the_others() -> None:
    cache = ResultCache(800, max_entry=100, expensive=0.05)
    slow = _key("v", "ASK { slow }")
    cache.put(slow, CachedResult("t", b"s"), cost=1.0)
    assert cache.get(slow) == CachedResult("t", b"s")  # asked again: it leaves probation
    for n in range(50):
        cache.put(_key("v", f"ASK {{ once {n} }}"), CachedResult("t", bytes(50)), cost=1.0)
    assert cache.get(slow) == CachedResult("t", b"s")


def test_a_long_result_pushed_off_probation_and_asked_again_is_kept_with_the_others() -> None:
    cache = ResultCache(800, max_entry=100, expensive=0.05)
    slow = _key("v", "ASK { slow }")
    cache.put(slow, CachedResult("t", bytes(60)), cost=1.0)
    cache.put(_key("v", "ASK { other }"), CachedResult("t", bytes(60)), cost=1.0)
    assert cache.get(slow) is None  # pushed off probation before it was asked again
    cache.put(slow, CachedResult("t", bytes(60)), cost=1.0)  # computed again: asked twice now
    for n in range(50):
        cache.put(_key("v", f"ASK {{ once {n} }}"), CachedResult("t", bytes(50)), cost=1.0)
    assert cache.get(slow) is not None


def test_a_new_version_forgets_which_queries_were_asked() -> None:
    cache = ResultCache(1024, expensive=1)
    cache.put(_key("v1"), CachedResult("t", b"old"), cost=0)
    cache.put(_key("v2"), CachedResult("t", b"new"), cost=0)
    cache.put(_key("v1"), CachedResult("t", b"old"), cost=0)  # asked before, but of another version
    assert cache.get(_key("v1")) is None


def test_a_server_keeps_a_quick_result_from_its_second_answer_and_a_long_one_from_its_first(
    server_factory: Callable[..., LiveServer],
) -> None:
    server = server_factory(env={"ILRS_METRICS": "true"})

    def hits_after_posting(query: str, times: int) -> list[float]:
        """The cache hits counted after each POST (a POST misses the answers kept as sent: the result cache answers)."""
        seen = []
        for _ in range(times):
            response = httpx.post(server.url("/sparql"), data={"query": query}, headers=JSON, timeout=60)
            assert response.status_code == 200, response.text
            seen.append(value(scrape(server), "ilrs_result_cache_total", outcome="hit"))
        return seen

    start = value(scrape(server), "ilrs_result_cache_total", outcome="hit")
    quick = hits_after_posting('ASK { FILTER("kept" != "not yet") }', 3)  # answered in microseconds
    assert quick == [start, start, start + 1]
    long = hits_after_posting("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?b ?f }", 2)  # a second or so
    assert long == [start + 1, start + 2]
