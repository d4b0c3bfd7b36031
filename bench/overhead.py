"""The fixed cost of a ``/sparql`` request, side by side with Oxigraph server (in memory), on the same data.

One keep-alive client sends short queries to this server and to Oxigraph server in turn — a request to
one, then the same kind of request to the other, so that the machine's noise falls on both alike — and
prints, per kind of request, the median and 95th-percentile latency of each and their ratio. The kinds are
the paths a request can take through this server:

* ``ask-trivial``: ``ASK {}``, the same each time (a result-cache hit);
* ``ask-unique``: an ``ASK`` of a constant filter that differs in every request (answered at once, without a
  query worker);
* ``cached``: the same small ``SELECT`` again and again (a result-cache hit; Oxigraph evaluates it anew);
* ``revalidate``: that ``SELECT`` with ``If-None-Match`` naming its ``ETag`` (304; Oxigraph has no ETag);
* ``worker-ask``, ``worker-lookup``: an ``ASK`` and a lookup that differ in every request (a query worker).

    python -m bench.overhead --scale 1 --rounds 2000

It measures latency at one client, not throughput: see :mod:`bench.run` for the whole benchmark.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from ilrs.graph.loader import build_dataset
from ilrs.graph.settings import Settings

from .generate import generate
from .queries import ID, JSON, PREFIXES
from .run import write_peer_dataset
from .systems import Server, start_ilrs, start_oxigraph

#: A request: the path and query string, and the request headers.
Request = tuple[str, dict[str, str]]


def _kinds(etags: dict[str, str]) -> dict[str, Callable[[str, int], Request]]:
    """Each kind of request, as a function of the server's query path and a serial number."""
    lookup = f"SELECT ?p ?o WHERE {{ <{ID}mission/b00000-0> ?p ?o }}"

    def query(path: str, text: str) -> str:
        return f"{path}?query={quote(PREFIXES + text)}"

    return {
        "ask-trivial": lambda path, n: (f"{path}?query={quote('ASK {}')}", {"Accept": JSON}),
        "ask-unique": lambda path, n: (f"{path}?query={quote(f'ASK {{ FILTER({n} >= 0) }}')}", {"Accept": JSON}),
        "cached": lambda path, n: (query(path, lookup), {"Accept": JSON}),
        "revalidate": lambda path, n: (query(path, lookup), {"Accept": JSON, "If-None-Match": etags.get(path, "*")}),
        "worker-ask": lambda path, n: (
            query(path, f"ASK {{ <{ID}agreement/b00000-1> ?p ?o FILTER({n} >= 0) }}"),
            {"Accept": JSON},
        ),
        "worker-lookup": lambda path, n: (
            query(path, f"SELECT ?p ?o WHERE {{ <{ID}mission/b00000-{n % 4}> ?p ?o FILTER({n} >= 0) }}"),
            {"Accept": JSON},
        ),
    }


class Connection:
    """A keep-alive connection; :meth:`get` returns the status, the ``ETag`` and the seconds taken."""

    def __init__(self, port: int) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, request: Request) -> tuple[int, str, float]:
        path, headers = request
        started = time.perf_counter()
        self._connection.request("GET", path, headers=headers)
        response = self._connection.getresponse()
        response.read()
        return response.status, response.getheader("etag", ""), time.perf_counter() - started


def measure(servers: list[Server], rounds: int, kinds: list[str] | None = None) -> dict[str, dict[str, list[float]]]:
    """Latencies by kind and server: ``rounds`` requests of each kind to each server, interleaved."""
    connections = {s.name: Connection(s.port) for s in servers}
    etags: dict[str, str] = {}
    made = _kinds(etags)
    chosen = kinds or list(made)
    for server in servers:  # the cache filled and the tag known before the rounds
        status, tag, _ = connections[server.name].get(made["cached"](server.sparql_path, 0))
        etags[server.sparql_path] = tag or '"none"'
    times: dict[str, dict[str, list[float]]] = {k: {s.name: [] for s in servers} for k in chosen}
    for serial in range(1, rounds + 1):
        for kind in chosen:
            for server in servers if serial % 2 else reversed(servers):
                status, _, seconds = connections[server.name].get(made[kind](server.sparql_path, serial))
                if status in (200, 304):
                    times[kind][server.name].append(seconds)
    return times


def report(times: dict[str, dict[str, list[float]]], servers: list[Server]) -> str:
    names = [s.name for s in servers]
    lines = [
        "| request | " + " | ".join(f"{n} median µs | {n} p95 µs" for n in names) + " | ratio of medians |",
        "|---|" + "---|---|" * len(names) + "---|",
    ]
    for kind, by_server in times.items():
        cells, medians = [], []
        for name in names:
            values = sorted(by_server[name])
            if not values:
                cells += ["-", "-"]
                medians.append(float("nan"))
                continue
            median = statistics.median(values)
            medians.append(median)
            cells += [f"{median * 1e6:.0f}", f"{values[int(len(values) * 0.95) - 1] * 1e6:.0f}"]
        ratio = medians[0] / medians[1] if len(medians) > 1 and medians[1] else float("nan")
        lines.append(f"| {kind} | " + " | ".join(cells) + f" | {ratio:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 ≈ 10k triples")
    parser.add_argument("--rounds", type=int, default=2000, help="requests of each kind to each server")
    parser.add_argument("--kinds", nargs="*", help="only these kinds of request")
    parser.add_argument("--only", choices=["ilrs", "oxigraph"], help="start one system only")
    parser.add_argument("--hold", type=float, default=0.0, help="seconds to keep the servers up after (to profile)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ilrs-overhead-") as tmp:
        workdir = Path(tmp)
        generated, dataset = workdir / "generated.nq", workdir / "dataset.nq"
        generate(args.scale, generated, 12, progress=False)
        servers: list[Server] = []
        try:
            if args.only != "oxigraph":
                servers.append(start_ilrs(generated, workdir, 600))
            if args.only != "ilrs":
                write_peer_dataset(build_dataset(Settings(extra_files=[generated])).store, dataset)
                servers.append(start_oxigraph(dataset, workdir, 600))
            for server in servers:
                print(f"{server.name}: pid {server.process.pid}, port {server.port}", file=sys.stderr)
            times = measure(servers, args.rounds, args.kinds)
            print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.rounds} rounds")
            print(report(times, servers))
            if args.hold:
                time.sleep(args.hold)
        finally:
            for server in servers:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
