"""Prometheus metrics: scraped from a real server while traffic runs, the counters move."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families
from servers import LiveServer

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def scrape(server: LiveServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics``, by name and sorted labels."""
    r = httpx.get(server.url("/metrics"), timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(r.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_off_by_default(live_server: LiveServer) -> None:
    assert httpx.get(live_server.url("/metrics")).status_code == 404


def test_metrics_refuse_clients_not_listed(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(env={"ILRS_METRICS": "true", "ILRS_METRICS_CLIENTS": '["10.0.0.0/8"]'})
    assert httpx.get(server.url("/metrics")).status_code == 404


def test_counters_move_under_traffic(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(env={"ILRS_METRICS": "true"})
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
    assert value(after, "ilrs_query_workers_restarted_total") >= 1  # the overrunning worker was killed
    assert value(after, "ilrs_query_slots_busy") == 0  # every slot given back
    assert value(after, "ilrs_result_cache_total", outcome="hit") >= 0
    assert ("ilrs_writes_total", (("outcome", "refused"),)) in after
    health = httpx.get(server.url("/health")).json()
    assert value(after, "ilrs_dataset_info", version=health["version"]) == 1
    assert value(after, "ilrs_dataset_quads") == health["quads"]
