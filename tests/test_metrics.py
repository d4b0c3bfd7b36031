"""Prometheus metrics: scraped from a real server while traffic runs, the counters move."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx
from servers import LiveServer, scrape, value
from writing import write_token

CNSA = "https://w3id.org/ilrs/id/agency/cnsa"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def insert(triples: str) -> str:
    return f"INSERT DATA {{ GRAPH <https://w3id.org/ilrs/graph/source/003> {{ {triples} }} }}"


def test_metrics_are_off_by_default(live_server: LiveServer) -> None:
    assert httpx.get(live_server.url("/metrics")).status_code == 404


def test_metrics_refuse_clients_not_listed(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(env={"ILRS_METRICS": "true", "ILRS_METRICS_CLIENTS": '["10.0.0.0/8"]'})
    assert httpx.get(server.url("/metrics")).status_code == 404


def test_counters_move_under_traffic(server_factory: Callable[..., LiveServer], tmp_path: Path) -> None:
    token = write_token(tmp_path)
    server = server_factory("--tokens", str(token.path), env={"ILRS_METRICS": "true", "ILRS_MAX_QUERY_LENGTH": "2000"})
    before = scrape(server)
    stop = threading.Event()
    failures: list[str] = []

    def traffic() -> None:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            while not stop.is_set():
                for path, params, accept in [
                    ("/sparql", {"query": "ASK { ?s ?p ?o }"}, "application/sparql-results+json"),
                    ("/id/agency/cnsa", {}, "text/turtle"),
                    ("/id/agency/no-such-agency", {}, "text/turtle"),
                ]:
                    status = client.get(path, params=params, headers={"Accept": accept}).status_code
                    if status not in (200, 404):
                        failures.append(f"{path}: {status}")

    workers = [threading.Thread(target=traffic) for _ in range(2)]
    for w in workers:
        w.start()
    try:
        during = [scrape(server) for _ in range(3)]
    finally:
        stop.set()
        for w in workers:
            w.join()
    # A query past its deadline, on a worker that is ready (the traffic warmed the pool): the worker is killed.
    slow = httpx.get(server.url("/sparql"), params={"query": SLOW, "timeout": "2"}, timeout=30)
    assert slow.status_code == 504
    for _ in range(3):  # a quick query is kept from its second answer: the third is a cache hit
        again = httpx.get(server.url("/sparql"), params={"query": "SELECT (COUNT(*) AS ?n) { ?s a ?t }"}, timeout=60)
        assert again.status_code == 200
    too_long = httpx.post(server.url("/sparql"), data={"query": "ASK {}" + " " * 3000}, timeout=30)
    assert too_long.status_code == 413  # stopped by a size limit
    label = f'<{CNSA}> <http://www.w3.org/2000/01/rdf-schema#label> "CNSA (counted)"@en'
    accepted = httpx.post(server.url("/update"), data={"update": insert(label)}, headers=token.headers, timeout=60)
    assert accepted.status_code == 200, accepted.text
    nameless = "<https://w3id.org/ilrs/id/agency/nameless> a <https://w3id.org/ilrs/ontology#SpaceAgency>"
    refused = httpx.post(server.url("/update"), data={"update": insert(nameless)}, headers=token.headers, timeout=60)
    assert refused.status_code == 422
    after = scrape(server)
    assert not failures

    requests = "ilrs_http_requests_total"
    ok = {"route": "/sparql", "method": "GET", "status": "200"}
    seen = [value(s, requests, **ok) for s in [before, *during, after]]
    assert seen == sorted(seen) and seen[-1] > seen[0]  # counters only grow, and they did
    assert value(after, requests, route="/id/{path:path}", method="GET", status="404") > 0
    assert value(after, requests, route="/sparql", method="GET", status="504") == 1
    assert value(after, "ilrs_http_request_duration_seconds_count", route="/sparql") >= seen[-1]
    assert value(after, "ilrs_requests_stopped_total", reason="QueryTimeout") == 1
    assert value(after, "ilrs_requests_stopped_total", reason="LimitExceeded") == 1
    assert value(after, "ilrs_query_workers_restarted_total") >= 1  # the overrunning worker was killed
    assert value(after, "ilrs_query_slots_busy") == 0  # every slot given back
    assert value(after, "ilrs_result_cache_total", outcome="miss") >= 1
    assert value(after, "ilrs_result_cache_total", outcome="hit") > value(
        before, "ilrs_result_cache_total", outcome="hit"
    )
    assert (
        value(after, "ilrs_writes_total", outcome="accepted")
        == value(before, "ilrs_writes_total", outcome="accepted") + 1
    )
    assert (
        value(after, "ilrs_writes_total", outcome="refused")
        == value(before, "ilrs_writes_total", outcome="refused") + 1
    )
    health = httpx.get(server.url("/health")).json()
    assert value(after, "ilrs_dataset_info", version=health["version"]) == 1
    assert value(after, "ilrs_dataset_quads") == health["quads"]


def test_results_stopped_at_the_size_limit_are_counted(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(env={"ILRS_METRICS": "true", "ILRS_MAX_RESULT_ROWS": "5"})
    before = scrape(server)
    many = httpx.get(
        server.url("/sparql"),
        params={"query": "SELECT ?s WHERE { ?s a ?t }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert many.status_code == 507 and "max_result_rows" in many.text, many.text[:300]
    after = scrape(server)
    stopped = "ilrs_requests_stopped_total"
    assert value(after, stopped, reason="ResultTooLarge") == value(before, stopped, reason="ResultTooLarge") + 1
