"""Throughput of ``ilrs serve --workers N`` at 1, 2 and one worker per core, on the unique and repeated mixes.

It generates the data of one scale (:mod:`bench.generate`), starts this server with each worker count
in turn (timing its start, up to a first answered query), and measures the requests per second of
the two mixes of :mod:`bench.run` at 8 clients, in interleaved slices: worker count after worker
count, so that the machine's noise falls on all of them alike. The table goes to ``WORKERS.md``;
``RESULTS.md`` gets the same table between its workers markers (added at its end the first time),
and :mod:`bench.run` keeps that section when it writes ``RESULTS.md`` again.

    python -m bench.workers --scale 1              # 1, 2 and N workers (N: the cores)
    python -m bench.workers --quick --out /tmp/b   # a tiny run that proves it works
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ilrs.graph.settings import Settings

from .generate import generate
from .queries import repeated_mix, unique_mix
from .run import MIXES, _repeated_requests, _unique_requests, machine, run_load
from .systems import Server, start_ilrs

CLIENTS = 8
BEGIN, END = "<!-- workers: written by bench/workers.py -->", "<!-- /workers -->"


@dataclass
class Sweep:
    """The settings of one sweep."""

    scale: float
    workers: list[int]
    slice_seconds: float
    slices: int
    start_timeout: float
    seed: int = 12


def worker_counts() -> list[int]:
    """1, 2 and one per core, each once, in order."""
    return sorted({1, 2, os.cpu_count() or 1})


def measure(sweep: Sweep, workdir: Path) -> tuple[dict[tuple[int, str], float], dict[int, float]]:
    """Requests per second by (workers, mix), and each server's start time in seconds."""
    generated = workdir / f"scale-{sweep.scale:g}.nq"
    generate(sweep.scale, generated, sweep.seed, progress=False)
    repeated = repeated_mix(sweep.scale, sweep.seed, Settings().queries_dir)
    servers: dict[int, Server] = {}
    throughput: dict[tuple[int, str], float] = {}
    try:
        for n in sweep.workers:
            servers[n] = start_ilrs(generated, workdir / f"w{n}", sweep.start_timeout, workers=n)
        for mix in MIXES:
            totals = {n: (0, 0.0) for n in servers}
            draw = {n: unique_mix(sweep.scale, sweep.seed + 2) for n in servers}
            for _ in range(sweep.slices):
                for n, server in servers.items():
                    ask = _unique_requests(draw[n]) if mix == "unique" else _repeated_requests(repeated)
                    count, took = run_load(ask, server, CLIENTS, sweep.slice_seconds, sweep.start_timeout)
                    totals[n] = (totals[n][0] + count, totals[n][1] + took)
            for n, (count, took) in totals.items():
                throughput[(n, mix)] = count / took if took else 0.0
    finally:
        for server in servers.values():
            server.stop()
    return throughput, {n: s.startup for n, s in servers.items()}


def table(sweep: Sweep, throughput: dict[tuple[int, str], float], startup: dict[int, float], command: str) -> str:
    """The results as Markdown: requests per second, and the speed-up over the fewest workers."""
    lines = [
        f"`ilrs serve --workers N` at scale {sweep.scale:g}, {CLIENTS} clients, slices of {sweep.slice_seconds:g} s "
        f"x {sweep.slices}; {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M UTC}, {machine()}; `{command}`",
        "",
        "| workers | start, s | " + " | ".join(f"{m} mix, req/s | speed-up" for m in MIXES) + " |",
        "|---|---|" + "---|---|" * len(MIXES),
    ]
    for n in sweep.workers:
        cells = []
        for mix in MIXES:
            base = throughput.get((sweep.workers[0], mix), 0.0)
            value = throughput.get((n, mix), 0.0)
            cells += [f"{value:,.1f}", f"{value / base:.2f}" if base else "n/a"]
        lines.append(f"| {n} | {startup.get(n, 0.0):.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def with_section(results: str, section: str) -> str:
    """``results`` (RESULTS.md) with ``section`` between the workers markers, added at its end if absent."""
    link = "The same table, with its command: [WORKERS.md](WORKERS.md)."
    block = f"{BEGIN}\n## Worker processes\n\n{section}\n{link}\n{END}"
    if BEGIN in results and END in results:
        head, _, rest = results.partition(BEGIN)
        return head + block + rest.partition(END)[2]
    return results.rstrip("\n") + "\n\n" + block + "\n"


def kept_section(previous: str, results: str) -> str:
    """``results`` with the workers section of ``previous`` (an earlier RESULTS.md), if it had one."""
    if BEGIN not in previous or END not in previous:
        return results
    section = previous.partition(BEGIN)[2].partition(END)[0]
    return results.rstrip("\n") + "\n\n" + BEGIN + section + END + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 ≈ 10k triples")
    parser.add_argument("--workers", type=int, nargs="+", default=worker_counts(), help="worker counts to measure")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent, help="where WORKERS.md and RESULTS.md are")
    parser.add_argument("--slice", type=float, default=5.0, help="seconds of one measurement slice")
    parser.add_argument("--slices", type=int, default=3, help="slices per worker count and mix (interleaved)")
    parser.add_argument("--quick", action="store_true", help="tiny scale and short slices: proves it works")
    args = parser.parse_args(argv)
    sweep = Sweep(args.scale, sorted(set(args.workers)), args.slice, args.slices, 600.0)
    if args.quick:
        sweep = Sweep(0.05, [1, 2], 0.3, 1, 120.0)
    command = "python -m bench.workers " + " ".join(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="ilrs-workers-") as tmp:
        throughput, startup = measure(sweep, Path(tmp))
    section = table(sweep, throughput, startup, command)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "WORKERS.md").write_text("# Worker processes\n\nGenerated by `bench/workers.py`.\n\n" + section)
    results = args.out / "RESULTS.md"
    results.write_text(with_section(results.read_text() if results.exists() else "", section))
    print(section)
    return 0 if all(v > 0 for v in throughput.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
