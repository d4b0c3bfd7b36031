"""Prometheus metrics of the server, served at ``/metrics`` when ``Settings.metrics`` is on.

The endpoint answers only the addresses in ``Settings.metrics_clients`` (loopback by default):
everyone else gets 404, as if it did not exist, so a public deployment never shows its load.
The metrics:

* ``ilrs_http_requests_total{route,method,status}`` and ``ilrs_http_request_duration_seconds{route}``:
  every request, by route template (``/id/{path}``, not each IRI: the label set stays small);
* ``ilrs_requests_stopped_total{reason}``: work stopped or refused by a limit (the deadline, memory,
  sizes, busy slots, a store's row cap), by error class;
* ``ilrs_query_slots_busy``, ``ilrs_queries_waiting`` and ``ilrs_query_workers_restarted_total``: queries
  admitted now (evaluated or waiting), those of them waiting for a query worker, and worker processes killed
  (at a deadline, a client gone) and replaced;
* ``ilrs_result_cache_total{outcome}`` and ``ilrs_writes_total{outcome}``: counters that a result cache
  and a write path report to with :func:`cache_lookup` and :func:`write_outcome`;
* ``ilrs_page_cache_total{outcome}``: page requests (:mod:`.page_cache`) sent a page as kept (hit), whose page
  was built and kept (kept), or whose answer was made from the page kept as built, for another encoding or
  origin (reused), reported with :func:`page_cached`;
* ``ilrs_dataset_info{version}`` and ``ilrs_dataset_quads``: the dataset version being served, read when scraped.

The metrics live in one registry per process (:data:`REGISTRY`). Under ``ilrs serve --workers N`` the supervisor
names a folder in ``PROMETHEUS_MULTIPROC_DIR`` before this module is imported: every server process then writes
its values to files there (prometheus_client's multiprocess mode), and a scrape answered by any of them reports
the sums over all of them (the gauges over those alive), so that successive scrapes, whichever process answers,
see one server whose counters only grow.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from ilrs.graph.errors import IlrsError, LimitExceeded, ResourceLimit

from .workers import MULTIPROCESS_DIR

if TYPE_CHECKING:
    from ilrs.graph.settings import Settings

    from .state import DatasetHolder

REGISTRY = CollectorRegistry()

REQUESTS = Counter(
    "ilrs_http_requests", "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"], registry=REGISTRY,
)  # fmt: skip
LATENCY = Histogram(
    "ilrs_http_request_duration_seconds", "Time from a request's arrival to the end of its response, by route.",
    ["route"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)  # fmt: skip
STOPPED = Counter(
    "ilrs_requests_stopped", "Work stopped or refused at a limit (deadline, memory, size, busy), by error class.",
    ["reason"], registry=REGISTRY,
)  # fmt: skip
SLOTS_BUSY = Gauge(
    "ilrs_query_slots_busy",
    "Queries admitted now: evaluated, or waiting for a worker.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
QUERIES_WAITING = Gauge(
    "ilrs_queries_waiting",
    "Admitted queries waiting for a query worker.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
WORKERS_RESTARTED = Counter(
    "ilrs_query_workers_restarted", "Query worker processes killed (deadline, client gone) and replaced.",
    registry=REGISTRY,
)  # fmt: skip
CACHE = Counter("ilrs_result_cache", "Result cache lookups, by outcome (hit, miss).", ["outcome"], registry=REGISTRY)
PAGES = Counter(
    "ilrs_page_cache",
    "Page requests sent a page as kept (hit), built and kept (kept), or made from a page kept as built (reused).",
    ["outcome"],
    registry=REGISTRY,
)  # fmt: skip
WRITES = Counter(
    "ilrs_writes", "Writes to the dataset, by outcome (accepted, refused).", ["outcome"], registry=REGISTRY
)

for _outcome in ("hit", "miss"):
    CACHE.labels(_outcome)
for _outcome in ("hit", "kept"):
    PAGES.labels(_outcome)
for _outcome in ("accepted", "refused"):
    WRITES.labels(_outcome)


_CACHE_HIT, _CACHE_MISS = CACHE.labels("hit"), CACHE.labels("miss")
_PAGE_OUTCOMES = {outcome: PAGES.labels(outcome) for outcome in ("hit", "kept", "reused")}


def cache_lookup(hit: bool) -> None:
    """Count one result-cache lookup."""
    (_CACHE_HIT if hit else _CACHE_MISS).inc()


def page_cached(outcome: Literal["hit", "kept", "reused"]) -> None:
    """Count one page request answered from the page cache: sent as kept (``hit``), built and kept (``kept``),
    or made from the page kept as built, for another encoding or origin (``reused``)."""
    _PAGE_OUTCOMES[outcome].inc()


def write_outcome(accepted: bool) -> None:
    """Count one write to the dataset, accepted or refused (by validation, a limit, a conflict)."""
    WRITES.labels("accepted" if accepted else "refused").inc()


def stopped(err: IlrsError) -> None:
    """Count ``err`` if it stopped or refused work at a limit."""
    if isinstance(err, ResourceLimit | LimitExceeded):
        STOPPED.labels(type(err).__name__).inc()


#: The children of :data:`REQUESTS` and :data:`LATENCY` by their labels, bound once: finding a child by its
#: labels takes longer than counting. Few: route templates, methods and statuses are few.
_REQUESTS: dict[tuple[str, str, int], Counter] = {}
_LATENCY: dict[str, Histogram] = {}


def observe(scope: Scope, method: str, status: int, seconds: float) -> None:
    """Count and time one answered request, by its route template (the one the router matched, if any)."""
    route = scope.get("route")
    template = getattr(route, "path", None) or ("/static" if scope["path"].startswith("/static/") else "other")
    counter = _REQUESTS.get((template, method, status))
    if counter is None:
        counter = _REQUESTS[template, method, status] = REQUESTS.labels(template, method, str(status))
    counter.inc()
    histogram = _LATENCY.get(template)
    if histogram is None:
        histogram = _LATENCY[template] = LATENCY.labels(template)
    histogram.observe(seconds)


def allowed(settings: Settings, host: str | None) -> bool:
    """Whether a client at ``host`` may read the metrics."""
    if host is None:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in settings.metrics_clients)


class _DatasetGauges:
    """The dataset served, read at each scrape (not kept in a gauge: a version's series ends with it)."""

    def __init__(self, holder: DatasetHolder) -> None:
        self._holder = holder

    def collect(self) -> Iterator[Metric]:
        store = self._holder.current.store
        info = GaugeMetricFamily("ilrs_dataset_info", "The dataset version served (always 1).", labels=["version"])
        info.add_metric([store.version], 1)
        yield info
        yield GaugeMetricFamily("ilrs_dataset_quads", "Quads in the dataset served.", value=store.count())


def render(request: Request, holder: DatasetHolder) -> Response:
    """The metrics in Prometheus' text format: this process's, or every server process's when several share them
    (see the module documentation); the dataset gauges read now."""
    # No description step: it would collect every collector once more (read the files, count the store) per scrape.
    scrape = CollectorRegistry(auto_describe=False)
    folder = os.environ.get(MULTIPROCESS_DIR)
    if folder:
        MultiProcessCollector(scrape, folder)
    else:
        scrape.register(REGISTRY)
    scrape.register(_DatasetGauges(holder))
    return Response(generate_latest(scrape), media_type=CONTENT_TYPE_LATEST)
