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
* ``worker-ask``, ``worker-lookup``: an ``ASK`` and a lookup that differ in every request (a query worker);
* ``mix:NAME`` (``--mix`` for all of them): the unique mix's query ``NAME`` of :mod:`bench.queries`, as the
  runner sends it (the ``PREFIX`` block included), a new one every request.

    python -m bench.overhead --scale 1 --blocks 4 --block 500
    python -m bench.overhead --mix --compare ../main/.venv/bin/python --only ilrs

Beside the latency, the CPU time spent per request: by the server's whole process tree, and apart, by the
server process itself and by the rest of its tree (the query workers). On a machine shared with other work,
latency varies with the load, CPU time much less. ``--compare PYTHON`` starts a second instance of this
server, ``ilrs-base``, with another checkout's interpreter, interleaved with the others: an A/B of two
versions of the code on one machine at one time. ``--floor`` starts :mod:`bench.floor` too, the HTTP stack
this server runs on with nothing behind it (every request answered with ``ASK {}`` 's result): the part of the
fixed cost that is not the project's code. It measures one client, not throughput: see
:mod:`bench.run` for the whole benchmark.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from ilrs.graph.loader import build_dataset
from ilrs.graph.settings import Settings

from .generate import generate, sources_for
from .queries import ID, JSON, PREFIXES, TEMPLATES, Template
from .run import write_peer_dataset
from .systems import Server, own_cpu, start_floor, start_ilrs, start_oxigraph, tree_cpu

#: A request: the path and query string, and the request headers.
Request = tuple[str, dict[str, str]]


#: The kinds of request measured unless others are named.
DEFAULT_KINDS = ["ask-trivial", "ask-unique", "cached", "revalidate", "worker-ask", "worker-lookup"]
#: The unique mix's queries, by name (``mix:NAME``).
MIX_KINDS = [f"mix:{template.name}" for template in TEMPLATES]


def _kinds(etags: dict[str, str], scale: float) -> dict[str, Callable[[str, int], Request]]:
    """Each kind of request, as a function of the server's query path and a serial number."""
    lookup = f"SELECT ?p ?o WHERE {{ <{ID}mission/b00000-0> ?p ?o }}"
    sources = sources_for(scale)

    def query(path: str, text: str) -> str:
        return f"{path}?query={quote(PREFIXES + text)}"

    def mixed(template: Template) -> Callable[[str, int], Request]:
        def request(path: str, n: int) -> Request:
            made = template.query(random.Random(n), sources, n)  # the same query for every server
            return f"{path}?query={quote(made.text)}", {"Accept": made.accept}

        return request

    mix = {f"mix:{template.name}": mixed(template) for template in TEMPLATES}
    return mix | {
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


@dataclass
class Measured:
    """One kind of request to one server: each request's latency, the CPU its process tree spent, and of it
    the CPU of the server process itself."""

    latencies: list[float] = field(default_factory=list)
    cpu: float = 0.0
    server_cpu: float = 0.0

    def row(self) -> tuple[float, float, float, float, float]:
        """Median and 95th-percentile latency, and CPU per request of the tree, of the server process and of
        the rest of the tree, in microseconds."""
        values = sorted(self.latencies)
        if not values:
            return math.nan, math.nan, math.nan, math.nan, math.nan
        p95 = values[max(int(len(values) * 0.95) - 1, 0)]
        count = len(values)
        # The rest of the tree: never below 0 (the two counts are read a moment apart, in clock ticks).
        rest_cpu = max(self.cpu - self.server_cpu, 0.0)
        tree, server, rest = (cpu / count * 1e6 for cpu in (self.cpu, self.server_cpu, rest_cpu))
        return statistics.median(values) * 1e6, p95 * 1e6, tree, server, rest


def measure(
    servers: list[Server], blocks: int, block: int, kinds: list[str] | None = None, scale: float = 1.0
) -> dict[str, dict[str, Measured]]:
    """Each kind of request sent to each server in ``blocks`` blocks of ``block`` requests, interleaved."""
    connections = {s.name: Connection(s.port) for s in servers}
    etags: dict[str, dict[str, str]] = {s.name: {} for s in servers}  # each server's own tags
    made = {s.name: _kinds(etags[s.name], scale) for s in servers}
    chosen = kinds or DEFAULT_KINDS
    for server in servers:  # the cache filled and the tag known before the rounds
        _, tag, _ = connections[server.name].get(made[server.name]["cached"](server.sparql_path, 0))
        etags[server.name][server.sparql_path] = tag or '"none"'
    measured = {k: {s.name: Measured() for s in servers} for k in chosen}
    firsts = itertools.count(1, block)  # each server gets the same requests in a block; every block new ones
    for number in range(blocks):
        for kind in chosen:
            first = next(firsts)
            for server in servers if number % 2 else list(reversed(servers)):
                into = measured[kind][server.name]
                connection = connections[server.name]
                pid = server.process.pid
                before, before_own = tree_cpu(pid), own_cpu(pid)
                for n in range(first, first + block):
                    status, _, seconds = connection.get(made[server.name][kind](server.sparql_path, n))
                    if status in (200, 304):
                        into.latencies.append(seconds)
                into.cpu += tree_cpu(pid) - before
                into.server_cpu += own_cpu(pid) - before_own
    return measured


def report(measured: dict[str, dict[str, Measured]], servers: list[Server]) -> str:
    """A Markdown table: per kind of request, each server's median and p95 latency and CPU per request (its
    tree's, then its server process's and its workers'), and the first server's medians and CPU over the
    second's."""
    names = [s.name for s in servers]
    lines = [
        "| request | "
        + " | ".join(f"{n}: median / p95 / CPU (server + workers), µs" for n in names)
        + " | median ratio | CPU ratio |",
        "|---|" + "---|" * len(names) + "---|---|",
    ]
    for kind, by_server in measured.items():
        rows = [by_server[name].row() for name in names]
        cells = [f"{m:.0f} / {p95:.0f} / {cpu:.0f} ({own:.0f} + {rest:.0f})" for m, p95, cpu, own, rest in rows]
        ratios = [rows[0][i] / rows[1][i] if len(rows) > 1 and rows[1][i] else math.nan for i in (0, 2)]
        lines.append(f"| {kind} | " + " | ".join(cells) + f" | {ratios[0]:.2f} | {ratios[1]:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 ≈ 10k triples")
    parser.add_argument("--blocks", type=int, default=4, help="blocks of requests of each kind to each server")
    parser.add_argument("--block", type=int, default=500, help="requests in a block")
    parser.add_argument("--kinds", nargs="*", choices=[*DEFAULT_KINDS, *MIX_KINDS], help="these kinds of request")
    parser.add_argument("--mix", action="store_true", help="the unique mix's queries (every mix:NAME kind)")
    parser.add_argument("--only", choices=["ilrs", "oxigraph"], help="start one system only")
    parser.add_argument("--compare", metavar="PYTHON", help="also start this server with another interpreter")
    parser.add_argument("--floor", action="store_true", help="also start the bare HTTP stack (bench.floor)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ilrs-overhead-") as tmp:
        workdir = Path(tmp)
        generated, dataset = workdir / "generated.nq", workdir / "dataset.nq"
        generate(args.scale, generated, 12, progress=False)
        servers: list[Server] = []
        try:
            if args.only != "oxigraph":
                servers.append(start_ilrs(generated, workdir / "ilrs", 600))
                if args.compare:
                    servers.append(start_ilrs(generated, workdir / "base", 600, python=args.compare, name="ilrs-base"))
            if args.floor:
                servers.append(start_floor(workdir, 60))
            if args.only != "ilrs":
                write_peer_dataset(build_dataset(Settings(extra_files=[generated])).store, dataset)
                servers.append(start_oxigraph(dataset, workdir, 600))
            for server in servers:
                print(f"{server.name}: pid {server.process.pid}, port {server.port}", file=sys.stderr)
            kinds = [*(args.kinds or ([] if args.mix else DEFAULT_KINDS)), *(MIX_KINDS if args.mix else [])]
            measured = measure(servers, args.blocks, args.block, kinds, args.scale)
            load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"load average at the end {load}; {args.blocks} blocks of {args.block} requests per kind and server")
            print(report(measured, servers))
        finally:
            for server in servers:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
