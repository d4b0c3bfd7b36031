"""The SPARQL benchmark: this server against Oxigraph server (in memory) and rdflib-endpoint, on the same data.

For each scale it generates the data (:mod:`bench.generate`), starts the three systems on 127.0.0.1
(timing their start, up to a first answered query), checks that they give the same answers to every
query of the mix, then measures — interleaved, system after system in short slices, so that the
machine's noise falls on all of them alike — each query kind's median and 95th-percentile latency,
the throughput of the unique and the repeated mix at 1 and 8 clients, the throughput of the JSON-LD
pages (this server only), and the peak memory (PSS and RSS) of each server's whole process tree.
Every system has a time budget per measurement, so a slow one cannot stall the run. The results are
written to ``RESULTS.md`` with PNG plots beside it; the exit status is 1 if a target is missed.

    python -m bench.run --scales 1 10          # 10k and 100k triples (make bench)
    python -m bench.run --quick --out /tmp/b   # a tiny run that proves the runner works
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import itertools
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

from ilrs.graph.derived import INFERRED_GRAPH, MERGED_GRAPH
from ilrs.graph.loader import build_dataset
from ilrs.graph.settings import Settings
from ilrs.graph.store import Store

from .generate import generate
from .queries import Query, repeated_mix, unique_mix
from .systems import Server, start_ilrs, start_oxigraph, start_rdflib_endpoint, tree_memory

CLIENTS = (1, 8)
MIXES = ("unique", "repeated")


@dataclass
class Config:
    scales: list[float]
    out: Path
    slice_seconds: float
    slices: int
    latency_rounds: int
    budget: float
    rdflib_max_scale: float
    seed: int = 12
    quick: bool = False
    start_timeout: float = 600.0


@dataclass
class ScaleResult:
    scale: float
    triples: int
    startup: dict[str, float] = field(default_factory=dict)
    #: system -> quads served ÷ seconds to a first answer
    served_rate: dict[str, float] = field(default_factory=dict)
    #: system -> quads per second loading its files, as the system reports it (this server)
    load_rate: dict[str, float] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)
    #: system -> query kind -> latencies (seconds)
    latencies: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    #: (system, mix, clients) -> requests per second
    throughput: dict[tuple[str, str, int], float] = field(default_factory=dict)
    #: (page, clients) -> requests per second (this server)
    pages: dict[tuple[str, int], float] = field(default_factory=dict)
    #: system -> (peak PSS, peak RSS) bytes, overall and during the 8-client unique mix
    memory: dict[str, tuple[int, int]] = field(default_factory=dict)
    memory_c8: dict[str, tuple[int, int]] = field(default_factory=dict)
    partial: list[str] = field(default_factory=list)
    #: Seconds this scale took, generating its data included, and the load average when it ended.
    elapsed: float = 0.0
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)


# --- one request -------------------------------------------------------------------------------------


class Client:
    """A keep-alive HTTP/1.1 connection to one server."""

    def __init__(self, server: Server, timeout: float) -> None:
        self.server = server
        self._timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def get(self, path: str, accept: str) -> tuple[int, str, bytes]:
        for attempt in range(2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=self._timeout)
            try:
                self._connection.request("GET", path, headers={"Accept": accept})
                response = self._connection.getresponse()
                body = response.read()
                if response.getheader("connection", "").lower() == "close":
                    self.close()
                return response.status, response.getheader("content-type", ""), body
            except TimeoutError:
                self.server.stalled = True
                self.close()
                raise
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def query(self, query: Query) -> tuple[int, str, bytes]:
        return self.get(f"{self.server.sparql_path}?query={quote(query.text)}", query.accept)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


# --- answers -------------------------------------------------------------------------------------------


def write_peer_dataset(store: Store, path: Path) -> None:
    """Write the dataset for the other systems: every named graph, but the merged and the inferred graph moved
    into the store's default graph. A query naming no dataset then reads, on Oxigraph server (not told to use
    the union of its graphs), the graph this server's default graph is: every triple once, plus the inferred
    ones. Its union default graph would repeat a triple once per graph stating it (a source's and the merged
    graph at least) and answer another question. The quads are as many as this server holds; ``GRAPH ?g``
    no longer reaches the two derived graphs there, which no query of the mix asks for (the mix's ``GRAPH ?g``
    are joined to ``prov:wasDerivedFrom``, which they lack)."""
    run = store.update  # type: ignore[attr-defined]  # build_dataset's store is the embedded one
    run(f"ADD <{MERGED_GRAPH}> TO DEFAULT ; ADD <{INFERRED_GRAPH}> TO DEFAULT")
    run(f"DROP GRAPH <{MERGED_GRAPH}> ; DROP GRAPH <{INFERRED_GRAPH}>")
    with path.open("wb") as out:
        store.dump(out, "application/n-quads")


def normalised_answer(content_type: str, body: bytes, *, repetitions: bool = True) -> object:
    """An answer with what may differ between correct servers taken out: order, blank node labels, ``xsd:string``
    spelled out or not, the result syntax; and repetitions unless ``repetitions``."""
    if "json" in content_type:
        data = json.loads(body)
        if "boolean" in data:
            return bool(data["boolean"])
        rows = []
        for binding in data["results"]["bindings"]:
            row = []
            for var, term in sorted(binding.items()):
                kind = "literal" if term["type"] == "typed-literal" else term["type"]
                datatype = term.get("datatype")
                if datatype == "http://www.w3.org/2001/XMLSchema#string":
                    datatype = None
                value = "_" if kind == "bnode" else term["value"]
                row.append((var, kind, value, datatype or "", term.get("xml:lang", "")))
            rows.append(tuple(row))
        return sorted(rows if repetitions else set(rows))
    from rdflib import BNode, Graph

    graph = Graph()
    fmt = "nt" if "n-triples" in content_type else "turtle" if "turtle" in content_type else "xml"
    graph.parse(data=body, format=fmt)
    return sorted(tuple("_" if isinstance(t, BNode) else t.n3() for t in triple) for triple in graph)


def check_answers(servers: list[Server], queries: list[Query], result: ScaleResult, timeout: float) -> None:
    """Ask every server every query; note where an answer differs from Oxigraph server's."""
    reference = next(s for s in servers if s.name == "oxigraph")
    clients = {s.name: Client(s, timeout) for s in servers}
    spent = {s.name: 0.0 for s in servers}
    for query in queries:
        answers: dict[str, object] = {}
        for server in servers:
            if spent[server.name] > timeout:  # its budget is spent: the rest of its answers go unchecked
                continue
            started = time.monotonic()
            # rdflib-endpoint's default graph is the union of its graphs, which repeats a triple once per graph
            # stating it: its answers are compared as sets. This server's and Oxigraph's, row for row.
            repetitions = server.name != "rdflib-endpoint"
            try:
                status, content_type, body = clients[server.name].query(query)
                answers[server.name] = (
                    normalised_answer(content_type, body, repetitions=repetitions)
                    if status == 200
                    else f"HTTP {status}"
                )
            except (OSError, http.client.HTTPException, ValueError, SyntaxError) as err:
                answers[server.name] = f"error: {err}"
            spent[server.name] += time.monotonic() - started
        for name, answer in answers.items():
            if name != reference.name and reference.name in answers and answer != answers[reference.name]:
                result.mismatches.append(f"{name} differs from oxigraph on {query.name}")
    for name, used in spent.items():
        if used > timeout:
            result.partial.append(f"{name}: answers checked until its budget of {timeout:g} s was spent")
    for client in clients.values():
        client.close()


# --- measurements --------------------------------------------------------------------------------------


class MemoryWatch:
    """Samples the memory of each server's process tree in the background; peaks by phase."""

    def __init__(self, servers: list[Server]) -> None:
        self._servers = servers
        self.phase = "start"
        self.peaks: dict[tuple[str, str], tuple[int, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self.sample()

    def sample(self) -> None:
        for server in self._servers:
            pss, rss = tree_memory(server.process.pid)
            key = (server.name, self.phase)
            old = self.peaks.get(key, (0, 0))
            self.peaks[key] = (max(old[0], pss), max(old[1], rss))

    def peak(self, name: str, phase: str | None = None) -> tuple[int, int]:
        values = [v for (n, p), v in self.peaks.items() if n == name and (phase is None or p == phase)]
        return (max((v[0] for v in values), default=0), max((v[1] for v in values), default=0))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def measure_latencies(servers: list[Server], config: Config, result: ScaleResult) -> None:
    """Each query kind asked one request at a time, rounds interleaved across the systems."""
    sources = {s.name: unique_mix(result.scale, config.seed + 1) for s in servers}
    clients = {s.name: Client(s, config.budget) for s in servers}
    spent = dict.fromkeys(sources, 0.0)
    for _ in range(config.latency_rounds):
        for server in servers:
            if spent[server.name] > config.budget:
                continue
            started = time.monotonic()
            for _kind in range(12):
                query = sources[server.name]()
                t0 = time.perf_counter()
                try:
                    status, _, _ = clients[server.name].query(query)
                except OSError:
                    status = 0
                elapsed = time.perf_counter() - t0
                if status == 200:
                    result.latencies.setdefault(server.name, {}).setdefault(query.name, []).append(elapsed)
            spent[server.name] += time.monotonic() - started
    for name, used in spent.items():
        if used > config.budget:
            result.partial.append(f"{name}: latency rounds cut at its budget of {config.budget:g} s")
    for client in clients.values():
        client.close()


def run_load(
    make_request: Callable[[Client], int], server: Server, clients: int, seconds: float, timeout: float
) -> tuple[int, float]:
    """Requests completed (2xx/304) by ``clients`` keep-alive clients in about ``seconds``, and the time taken."""
    done = [0] * clients
    stop_at = time.monotonic() + seconds

    def lane(i: int) -> None:
        client = Client(server, timeout)
        try:
            while time.monotonic() < stop_at:
                try:
                    status = make_request(client)
                except OSError:
                    continue
                if status < 400:
                    done[i] += 1
        finally:
            client.close()

    threads = [threading.Thread(target=lane, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done), time.monotonic() - started


def measure_throughput(
    servers: list[Server],
    config: Config,
    result: ScaleResult,
    memory: MemoryWatch,
    repeated: list[Query],
    settle: Callable[[], None],
) -> None:
    """Requests per second of each mix at each number of clients; ``settle()`` runs before each of them."""
    for mix in MIXES:
        for clients in CLIENTS:
            settle()
            memory.phase = f"{mix}-{clients}"
            totals = {s.name: (0, 0.0) for s in servers}
            # A seed per number of clients (and none of the other phases'): 8 clients are not sent the queries one
            # client was, which a server with a result cache would answer from it.
            draw = {s.name: unique_mix(result.scale, config.seed + 10 + clients) for s in servers}
            for _ in range(config.slices):
                for server in servers:
                    if totals[server.name][1] > config.budget:
                        continue
                    ask = _unique_requests(draw[server.name]) if mix == "unique" else _repeated_requests(repeated)
                    count, took = run_load(ask, server, clients, config.slice_seconds, config.budget)
                    totals[server.name] = (totals[server.name][0] + count, totals[server.name][1] + took)
            for name, (count, took) in totals.items():
                result.throughput[(name, mix, clients)] = count / took if took else 0.0
                if took > config.budget:
                    result.partial.append(f"{name}: {mix} mix at {clients} clients cut at its budget")


def restart_stalled(servers: list[Server], starters: dict[str, Callable[[], Server]], result: ScaleResult) -> None:
    """Start anew, in place in ``servers``, each system a client gave up on: it may still be computing the
    abandoned request, which the next measurement would otherwise pay for (rdflib-endpoint goes on with a query
    long after its client has left)."""
    for i, server in enumerate(servers):
        if server.stalled:
            server.stop()
            servers[i] = starters[server.name]()
            result.partial.append(f"{server.name}: restarted after a request outlived its client's timeout")


def _unique_requests(draw: Callable[[], Query]) -> Callable[[Client], int]:
    """Requests of the unique mix, drawn under a lock by the clients that share ``draw``."""
    lock = threading.Lock()

    def ask(client: Client) -> int:
        with lock:
            query = draw()
        return client.query(query)[0]

    return ask


def _repeated_requests(queries: list[Query]) -> Callable[[Client], int]:
    """Requests of the repeated mix: its queries in turn."""
    turn = itertools.count()

    def ask(client: Client) -> int:
        return client.query(queries[next(turn) % len(queries)])[0]

    return ask


def _page_requests(path: str, accept: str) -> Callable[[Client], int]:
    def ask(client: Client) -> int:
        return client.get(path, accept)[0]

    return ask


def measure_pages(server: Server, config: Config, result: ScaleResult) -> None:
    """The JSON-LD resource and collection pages of this server."""
    pages = {
        "resource (JSON-LD)": ("/id/mission/b00000-0", "application/ld+json"),
        "/missions (JSON-LD)": ("/missions", "application/ld+json"),
        "/countries?limit=50 (JSON-LD)": ("/countries?limit=50", "application/ld+json"),
    }
    for label, (path, accept) in pages.items():
        for clients in CLIENTS:
            total, took = 0, 0.0
            for _ in range(config.slices):
                count, seconds = run_load(
                    _page_requests(path, accept), server, clients, config.slice_seconds, config.budget
                )
                total += count
                took += seconds
            result.pages[(label, clients)] = total / took if took else 0.0


# --- one scale -------------------------------------------------------------------------------------------


def run_scale(scale: float, config: Config, workdir: Path) -> ScaleResult:
    started = time.monotonic()
    result = _run_scale(scale, config, workdir)
    result.elapsed = time.monotonic() - started
    with contextlib.suppress(OSError):
        result.load_average = os.getloadavg()
    print(f"[scale {scale:g}] done in {result.elapsed / 60:.1f} min", file=sys.stderr)
    return result


def _run_scale(scale: float, config: Config, workdir: Path) -> ScaleResult:
    generated = workdir / f"scale-{scale:g}.nq"
    generate(scale, generated, config.seed, progress=not config.quick)
    dataset = workdir / f"dataset-{scale:g}.nq"
    settings = Settings(extra_files=[generated])
    store = build_dataset(settings, None if config.quick else _say).store
    result = ScaleResult(scale, store.count())
    write_peer_dataset(store, dataset)
    del store
    starters: list[tuple[str, Callable[[], Server]]] = [
        ("ilrs", lambda: start_ilrs(generated, workdir, config.start_timeout, env=_first_start(workdir))),
        ("oxigraph", lambda: start_oxigraph(dataset, workdir, config.start_timeout)),
    ]
    if scale <= config.rdflib_max_scale:
        starters.append(("rdflib-endpoint", lambda: start_rdflib_endpoint(dataset, workdir, 3 * config.start_timeout)))
    else:
        result.partial.append(f"rdflib-endpoint not run above scale {config.rdflib_max_scale:g} (hours per mix)")
    servers: list[Server] = []
    try:
        for name, start in starters:
            print(f"[scale {scale:g}] starting {name}", file=sys.stderr)
            server = start()
            servers.append(server)
            result.startup[name] = server.startup
            result.served_rate[name] = result.triples / server.startup
            if server.load_rate is not None:
                result.load_rate[name] = server.load_rate
        memory = MemoryWatch(servers)
        repeated = repeated_mix(scale, config.seed, Settings().queries_dir)
        check = repeated + [unique_mix(scale, config.seed + 3)() for _ in range(12)]
        print(f"[scale {scale:g}] checking answers", file=sys.stderr)
        check_answers(servers, check, result, config.budget)
        restart_stalled(servers, dict(starters), result)
        print(f"[scale {scale:g}] latencies", file=sys.stderr)
        memory.phase = "latency"
        measure_latencies(servers, config, result)
        restart_stalled(servers, dict(starters), result)
        print(f"[scale {scale:g}] throughput", file=sys.stderr)
        measure_throughput(
            servers, config, result, memory, repeated, lambda: restart_stalled(servers, dict(starters), result)
        )
        memory.phase = "pages"
        measure_pages(servers[0], config, result)
        memory.sample()
        memory.stop()
        for server in servers:
            result.memory[server.name] = memory.peak(server.name)
            result.memory_c8[server.name] = memory.peak(server.name, "unique-8")
    finally:
        for server in servers:
            server.stop()
    return result


def _first_start(workdir: Path) -> dict[str, str]:
    """The settings of a first start: a cache of its own, empty, so the server validates every file it parses
    (the runner parsed them already, and a restart on bytes parsed before skips that: graph/parsed_before.py)."""
    return {"ILRS_CACHE_DIR": tempfile.mkdtemp(prefix="cache-", dir=workdir)}


def _say(line: str) -> None:
    print(line, file=sys.stderr)


# --- targets and the report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    scale: float
    what: str
    measured: float
    needed: float
    #: The same figure for Oxigraph server, where it has one (a ratio to the third system): what the engine's own
    #: server reaches on the target in the same run.
    oxigraph: float | None = None

    @property
    def met(self) -> bool:
        return self.measured >= self.needed


def targets(result: ScaleResult) -> list[Target]:
    t = result.throughput
    found: list[Target] = []

    def ratio(a: float, b: float) -> float:
        # A peer that answered nothing within its budget is slower than any rate measured against it.
        return a / b if b else (math.inf if a else 0.0)

    for clients in CLIENTS:
        if ("oxigraph", "unique", clients) in t:
            found.append(
                Target(
                    result.scale,
                    f"unique mix ÷ Oxigraph, {clients} client(s)",
                    ratio(t[("ilrs", "unique", clients)], t[("oxigraph", "unique", clients)]),
                    0.8,
                )
            )
            found.append(
                Target(
                    result.scale,
                    f"repeated mix ÷ Oxigraph, {clients} client(s)",
                    ratio(t[("ilrs", "repeated", clients)], t[("oxigraph", "repeated", clients)]),
                    2.0,
                )
            )
        for mix in MIXES:
            if ("rdflib-endpoint", mix, clients) in t:
                found.append(
                    Target(
                        result.scale,
                        f"{mix} mix ÷ rdflib-endpoint, {clients} client(s)",
                        ratio(t[("ilrs", mix, clients)], t[("rdflib-endpoint", mix, clients)]),
                        100.0,
                        ratio(t[("oxigraph", mix, clients)], t[("rdflib-endpoint", mix, clients)])
                        if ("oxigraph", mix, clients) in t
                        else None,
                    )
                )
    ask = {
        name: statistics.median(kinds["ask-trivial"])
        for name, kinds in result.latencies.items()
        if kinds.get("ask-trivial")
    }
    if "ilrs" in ask and "oxigraph" in ask:
        found.append(
            Target(
                result.scale, "Oxigraph's ASK {} latency ÷ ours (≥ 0.5: within 2x)", ask["oxigraph"] / ask["ilrs"], 0.5
            )
        )
    for (page, clients), rate in result.pages.items():
        if clients == 8:
            found.append(Target(result.scale, f"{page} req/s at 8 clients", rate, 1000.0))
    if result.triples >= 900_000:
        found.append(
            Target(
                result.scale,
                "Oxigraph's startup ÷ ours (≥ 1/1.5)",
                ratio(result.startup["oxigraph"], result.startup["ilrs"]),
                1 / 1.5,
            )
        )
        found.append(
            Target(
                result.scale,
                "Oxigraph's peak PSS at 8 clients ÷ ours (≥ 0.5)",
                ratio(result.memory_c8["oxigraph"][0], result.memory_c8["ilrs"][0]),
                0.5,
            )
        )
        found.append(
            Target(
                result.scale,
                "load rate of the files, quads/s (its progress report)",
                result.load_rate.get("ilrs", 0),
                200_000,
            )
        )
    if result.mismatches:
        found.append(
            Target(
                result.scale,
                "queries answered differently from Oxigraph (ilrs)",
                -len([m for m in result.mismatches if m.startswith("ilrs")]),
                0,
            )
        )
    return found


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = ", ".join(
        f"{p} {_version(p)}" for p in ("pyoxigraph", "oxigraph", "rdflib-endpoint", "rdflib", "uvicorn")
    )
    return f"{platform.platform()}; {os.cpu_count()} x {cpu}{memory}; Python {platform.python_version()}; {versions}"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _mib(value: int) -> str:
    return f"{value / 2**20:,.0f}"


def report(results: list[ScaleResult], config: Config, command: str) -> tuple[str, list[Target]]:
    all_targets = [t for r in results for t in targets(r)]
    lines = [
        "# SPARQL benchmark results",
        "",
        "Generated by `bench/run.py`; do not edit by hand.",
        "",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M UTC}",
        f"- machine: {machine()}",
        f"- command: `{command}`",
        f"- slices of {config.slice_seconds:g} s x {config.slices} per system and measurement, "
        f"{config.latency_rounds} latency rounds, budget {config.budget:g} s per system and measurement",
        "",
    ]
    for r in results:
        systems = [s for s in ("ilrs", "oxigraph", "rdflib-endpoint") if s in r.startup]
        lines += [
            f"## {r.triples:,} triples (scale {r.scale:g})",
            "",
            f"This scale took {r.elapsed / 60:.1f} min; load average at its end "
            + " / ".join(f"{x:.2f}" for x in r.load_average)
            + " (1 / 5 / 15 min).",
            "",
        ]
        lines += ["| | " + " | ".join(systems) + " |", "|---|" + "---|" * len(systems)]
        lines.append("| startup, s (to a first answer) | " + " | ".join(f"{r.startup[s]:.2f}" for s in systems) + " |")
        lines.append(
            "| quads served ÷ startup, per s | " + " | ".join(f"{r.served_rate[s]:,.0f}" for s in systems) + " |"
        )
        lines.append(
            "| files loaded, quads/s (as reported) | "
            + " | ".join(f"{r.load_rate[s]:,.0f}" if s in r.load_rate else "-" for s in systems)
            + " |"
        )
        for mix in MIXES:
            for c in CLIENTS:
                lines.append(
                    f"| {mix} mix, {c} client(s), req/s | "
                    + " | ".join(f"{r.throughput.get((s, mix, c), 0):,.1f}" for s in systems)
                    + " |"
                )
        lines.append(
            "| peak PSS of the process tree, MiB | " + " | ".join(_mib(r.memory[s][0]) for s in systems) + " |"
        )
        lines.append(
            "| peak RSS of the process tree, MiB | " + " | ".join(_mib(r.memory[s][1]) for s in systems) + " |"
        )
        lines.append(
            "| peak PSS at 8 clients (unique mix), MiB | " + " | ".join(_mib(r.memory_c8[s][0]) for s in systems) + " |"
        )
        lines += ["", "Latency per query kind, one client, milliseconds (median / p95):", ""]
        lines += ["| query | " + " | ".join(systems) + " |", "|---|" + "---|" * len(systems)]
        kinds = sorted({k for s in systems for k in r.latencies.get(s, {})})
        for kind in kinds:
            cells = []
            for s in systems:
                values = sorted(r.latencies.get(s, {}).get(kind, []))
                cells.append(
                    f"{statistics.median(values) * 1000:.2f} / {values[math.ceil(0.95 * len(values)) - 1] * 1000:.2f}"
                    if values
                    else "-"
                )
            lines.append(f"| {kind} | " + " | ".join(cells) + " |")
        if r.pages:
            lines += [
                "",
                "JSON-LD pages of this server, req/s:",
                "",
                "| page | 1 client | 8 clients |",
                "|---|---|---|",
            ]
            for page in dict.fromkeys(p for p, _ in r.pages):
                lines.append(f"| {page} | {r.pages[(page, 1)]:,.0f} | {r.pages[(page, 8)]:,.0f} |")
        lines += [
            "",
            "Answers: " + ("identical on every query of the mix." if not r.mismatches else "; ".join(r.mismatches)),
            "",
        ]
        if r.partial:
            lines += ["Cut short: " + "; ".join(r.partial), ""]
        lines += [f"![throughput](throughput-{r.scale:g}.png)", "", f"![latency](latency-{r.scale:g}.png)", ""]
    lines += target_table(all_targets)
    return "\n".join(lines) + "\n", all_targets


def target_table(found: list[Target]) -> list[str]:
    """The lines of the targets' section: each target, whether it is met, and Oxigraph server's own figure."""
    lines = [
        "## Targets",
        "",
        "Oxigraph's own: the same figure for Oxigraph server, where it has one.",
        "",
        "| scale | target | measured | needed | | Oxigraph's own |",
        "|---|---|---|---|---|---|",
    ]
    for t in found:
        own = f"{t.oxigraph:,.2f}" if t.oxigraph is not None else "-"
        lines.append(
            f"| {t.scale:g} | {t.what} | {t.measured:,.2f} | ≥ {t.needed:,.2f} | {'met' if t.met else '**missed**'}"
            f" | {own} |"
        )
    return lines


def plots(results: list[ScaleResult], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for r in results:
        systems = [s for s in ("ilrs", "oxigraph", "rdflib-endpoint") if s in r.startup]
        phases = [(m, c) for m in MIXES for c in CLIENTS]
        fig, ax = plt.subplots(figsize=(8, 4))
        width = 0.8 / len(systems)
        for i, s in enumerate(systems):
            ax.bar(
                [p + i * width for p in range(len(phases))],
                [r.throughput.get((s, m, c), 0) for m, c in phases],
                width,
                label=s,
            )
        ax.set_xticks(
            [p + width * (len(systems) - 1) / 2 for p in range(len(phases))], [f"{m}\n{c} client(s)" for m, c in phases]
        )
        ax.set_yscale("log")
        ax.set_ylabel("requests/s (log)")
        ax.set_title(f"Throughput, {r.triples:,} triples")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / f"throughput-{r.scale:g}.png", dpi=100)
        plt.close(fig)
        kinds = sorted({k for s in systems for k in r.latencies.get(s, {})})
        fig, ax = plt.subplots(figsize=(10, 4))
        for i, s in enumerate(systems):
            medians = [statistics.median(r.latencies.get(s, {}).get(k, [float("nan")])) * 1000 for k in kinds]
            ax.bar([p + i * width for p in range(len(kinds))], medians, width, label=s)
        ax.set_xticks([p + width * (len(systems) - 1) / 2 for p in range(len(kinds))], kinds, rotation=30, ha="right")
        ax.set_yscale("log")
        ax.set_ylabel("median latency, ms (log)")
        ax.set_title(f"Latency per query kind, one client, {r.triples:,} triples")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / f"latency-{r.scale:g}.png", dpi=100)
        plt.close(fig)


def write_results(
    results: list[ScaleResult], config: Config, command: str, kept_section: Callable[[str, str], str]
) -> tuple[str, list[Target]]:
    """Write ``RESULTS.md`` and the plots for the scales measured so far; the report's text and its targets.

    ``kept_section`` keeps the worker sweep's own section (:mod:`bench.workers`) of an earlier ``RESULTS.md``.
    """
    text, found = report(results, config, command)
    previous = config.out / "RESULTS.md"
    text = kept_section(previous.read_text() if previous.exists() else "", text)
    previous.write_text(text)
    plots(results, config.out)
    return text, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10], help="1 ≈ 10k triples, 100 ≈ 1M")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent, help="where RESULTS.md and the plots go")
    parser.add_argument("--slice", type=float, default=3.0, help="seconds of one measurement slice")
    parser.add_argument("--slices", type=int, default=3, help="slices per system and measurement (interleaved)")
    parser.add_argument("--latency-rounds", type=int, default=20)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per system and measurement")
    parser.add_argument("--rdflib-max-scale", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="tiny scale and short slices: proves the runner works")
    args = parser.parse_args(argv)
    config = Config(
        args.scales, args.out, args.slice, args.slices, args.latency_rounds, args.budget, args.rdflib_max_scale
    )
    if args.quick:
        config = Config([0.05], args.out, 0.3, 1, 2, 10.0, 1.0, quick=True, start_timeout=60.0)
    config.out.mkdir(parents=True, exist_ok=True)
    command = "python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv)
    from .workers import kept_section  # bench.workers imports this module

    results: list[ScaleResult] = []
    with tempfile.TemporaryDirectory(prefix="ilrs-bench-") as tmp:
        for number, scale in enumerate(config.scales, 1):
            print(f"[scale {scale:g}] {number} of {len(config.scales)} scales", file=sys.stderr)
            results.append(run_scale(scale, config, Path(tmp)))
            # After each scale: a long run that is interrupted keeps the scales it finished.
            text, found = write_results(results, config, command, kept_section)
            print(f"[scale {scale:g}] results written to {config.out / 'RESULTS.md'}", file=sys.stderr)
    print(text)
    missed = [t for t in found if not t.met]
    print(f"{len(found) - len(missed)} of {len(found)} targets met", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
