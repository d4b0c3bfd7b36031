"""Where this server's memory goes, and what its query workers' pages cost, under settings side by side.

Reading pyoxigraph's in-memory store writes to the nodes it reads (a reference count is taken and
given back, a lock taken and released), so a query worker's pages become its own as it works: the
kernel copies each page it writes from the zygote's. ``worker_private_memory`` bounds what the workers
together hold that way. This measures, per setting (an ``ILRS_*`` environment, ``NAME=ENV_JSON``):

* the one-client median latency of each query kind of the unique mix (:func:`bench.queries.unique_mix`),
  and then what the server, the zygote and the workers hold (PSS, pages of their own, shared pages);
* the peak PSS of the whole process tree while 8 clients send the unique mix, its requests per second,
  and the breakdown at that peak.

The settings are run in turn, round after round, so that the machine's drift falls on all of them;
one server at a time, stopped before the next starts. The lines printed are JSON, one per run.

    python -m bench.private_pages --scale 100 --rounds 2 default='{}' unlimited='{"ILRS_WORKER_PRIVATE_MEMORY": "0"}'
    python -m bench.private_pages --quick          # a tiny run that proves it works
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from .generate import generate
from .queries import unique_mix
from .run import Client, _unique_requests, run_load
from .systems import Server, process_tree, start_ilrs

#: Rounds of the twelve query kinds asked one at a time, per run.
LATENCY_ROUNDS = 8
#: Clients of the concurrent phase.
CLIENTS = 8


def rollup(pid: int) -> dict[str, int]:
    """The fields of ``/proc/PID/smaps_rollup`` in MiB (empty once the process has ended)."""
    fields: dict[str, int] = {}
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    except OSError:
        return fields
    for line in lines:
        name, _, value = line.partition(":")
        fields[name] = int(value.split()[0]) // 1024
    return fields


def breakdown(root: int) -> dict[str, dict[str, int]]:
    """Per role in ``root``'s tree (``server``; ``zygote``: its children; ``worker``: theirs): how many processes,
    and their PSS, pages of their own (``Private_Dirty``) and shared pages (RSS less private), in MiB."""
    roles: dict[str, dict[str, int]] = {}
    for pid in process_tree(root):
        try:
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        role = "server" if pid == root else "zygote" if parent == root else "worker"
        fields = rollup(pid)
        total = roles.setdefault(role, {"processes": 0, "pss": 0, "own": 0, "shared": 0})
        total["processes"] += 1
        total["pss"] += fields.get("Pss", 0)
        total["own"] += fields.get("Private_Dirty", 0)
        total["shared"] += fields.get("Rss", 0) - fields.get("Private_Dirty", 0) - fields.get("Private_Clean", 0)
    return roles


class PeakWatch:
    """Samples ``root``'s tree in the background and keeps the breakdown of the sample with the largest PSS."""

    def __init__(self, root: int) -> None:
        self._root = root
        self.pss = 0
        self.parts: dict[str, dict[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.3):
            parts = breakdown(self._root)
            pss = sum(part["pss"] for part in parts.values())
            if pss > self.pss:
                self.pss, self.parts = pss, parts

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def latencies(server: Server, scale: float, rounds: int) -> dict[str, float]:
    """The median milliseconds of each query kind, asked one at a time."""
    client, draw = Client(server, 120), unique_mix(scale, 7)
    seen: dict[str, list[float]] = {}
    try:
        for _ in range(12 * rounds):
            query = draw()
            started = time.perf_counter()
            status, _, _ = client.query(query)
            if status == 200:
                seen.setdefault(query.name, []).append(time.perf_counter() - started)
    finally:
        client.close()
    return {name: round(statistics.median(times) * 1000, 1) for name, times in sorted(seen.items())}


def concurrent(server: Server, scale: float, seconds: float) -> dict[str, Any]:
    """Requests per second of :data:`CLIENTS` clients sending the unique mix, and the tree's peak PSS meanwhile."""
    watch = PeakWatch(server.process.pid)
    try:
        # One source shared by the clients (under a lock): no request is asked twice.
        done, took = run_load(_unique_requests(unique_mix(scale, 100)), server, CLIENTS, seconds, 120)
    finally:
        watch.stop()
    return {"requests_per_second": round(done / took, 2), "peak_pss": watch.pss, "at_peak": watch.parts}


def measure(
    name: str, env: dict[str, str], data: Path, workdir: Path, scale: float, latency_rounds: int, seconds: float
) -> dict[str, Any]:
    """One run of one setting; the server is stopped whatever happens."""
    server = start_ilrs(data, workdir, 900, env=env, name=name)
    try:
        result: dict[str, Any] = {"setting": name, "startup": round(server.startup, 2)}
        result["latency_ms"] = latencies(server, scale, latency_rounds)
        result["after_one_client"] = breakdown(server.process.pid)
        result.update(concurrent(server, scale, seconds))
        return result
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "settings", nargs="*", help='NAME=ENV_JSON, e.g. unlimited=\'{"ILRS_WORKER_PRIVATE_MEMORY": "0"}\''
    )
    parser.add_argument("--scale", type=float, default=100.0, help="of bench.generate: 1 ≈ 10k triples, 100 ≈ 1M")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=2, help="runs of every setting, interleaved")
    parser.add_argument("--seconds", type=float, default=30.0, help="of the concurrent phase")
    parser.add_argument("--data", type=Path, help="the generated N-Quads, if made already (read only)")
    parser.add_argument("--workdir", type=Path, help="where the data and the logs go (default: a temporary folder)")
    parser.add_argument("--quick", action="store_true", help="scale 0.2, one round, short phases")
    args = parser.parse_args(argv)
    settings: dict[str, dict[str, str]] = {"default": {}} if not args.settings else {}
    for item in args.settings:
        name, _, env = item.partition("=")
        settings[name] = json.loads(env or "{}")
    scale, rounds, seconds, latency_rounds = args.scale, args.rounds, args.seconds, LATENCY_ROUNDS
    if args.quick:
        scale, rounds, seconds, latency_rounds = 0.2, 1, 2.0, 1
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ilrs-private-pages-"))
    workdir.mkdir(parents=True, exist_ok=True)
    data = args.data or workdir / f"scale-{scale:g}.nq"
    if not data.exists():
        generate(scale, data, args.seed, progress=sys.stderr.isatty())
    for round_ in range(rounds):
        for name, env in settings.items():
            result = measure(name, env, data, workdir, scale, latency_rounds, seconds)
            result["round"], result["load_average"] = round_, [round(x, 2) for x in os.getloadavg()]
            print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
