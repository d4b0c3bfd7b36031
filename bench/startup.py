"""Startup side by side: this server against Oxigraph server (in memory) on the same generated data.

Each run starts the systems on 127.0.0.1 one after the other — the order reversed every other run, so
that the machine's drift falls on all — exactly as the SPARQL benchmark does (:mod:`bench.systems`):
this server from its shipped files and the generated ones, up to a first answered query that reads
data; Oxigraph server up to its acceptance of the POST of the same dataset (the derived graphs
included, as :func:`bench.run.write_peer_dataset` writes it). This server is started twice per run:
``ilrs`` on files it has parsed before (writing Oxigraph's dataset parsed them), which it parses
without validating them again (graph/parsed_before.py), and ``ilrs-first`` with an empty cache, as on
the first start on new files. Neither keeps anything else between starts: the derived graphs are
computed every time. Per system it reports the median, minimum and maximum startup, the CPU seconds of
its process tree when it was ready, and this server's load rate (its line ``loaded N quads from M files
in T s``), with the load average of the machine. The exit status is 1 when a target is missed: startup
at most 1.5 times Oxigraph server's, a load rate of at least 200,000 quads/s.

    python -m bench.startup --scale 100 --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ilrs.graph.loader import build_dataset
from ilrs.graph.settings import Settings

from .generate import generate
from .run import write_peer_dataset
from .systems import Server, start_ilrs, start_oxigraph, tree_cpu

#: This server's startup may take at most this many times Oxigraph server's.
STARTUP_RATIO = 1.5
#: Quads per second this server must load its files at.
LOAD_RATE = 200_000


@dataclass
class Timings:
    """One system's figures, a value per run."""

    startup: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    load_rate: list[float] = field(default_factory=list)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def measure(start: Callable[[], Server], into: Timings) -> Server:
    """Start a system, note its startup and the CPU its tree has used by then, and stop it again."""
    server = start()
    try:
        into.startup.append(server.startup)
        into.cpu.append(tree_cpu(server.process.pid))
        if server.load_rate is not None:
            into.load_rate.append(server.load_rate)
    finally:
        server.stop()
    return server


def _summary(values: list[float], unit: str = "s") -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.2f} {unit} (min {min(values):.2f}, max {max(values):.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100.0, help="of bench.generate: 1 ≈ 10k triples, 100 ≈ 1M")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a system may take to start")
    parser.add_argument("--workdir", type=Path, help="where the data and the logs go (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ilrs-startup-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        generated = workdir / f"scale-{args.scale:g}.nq"
        if not generated.exists():
            generate(args.scale, generated, args.seed)
        dataset = workdir / f"dataset-{args.scale:g}.nq"
        # The files parsed once (writing Oxigraph's dataset does) are parsed leniently by a later start
        # (graph/parsed_before.py): "ilrs" starts with that record, "ilrs-first" with none, as on a first run.
        cache = workdir / "cache"
        if not dataset.exists() or not cache.exists():
            _say("writing the dataset Oxigraph server loads (with the derived graphs)")
            store = build_dataset(Settings(extra_files=[generated], cache_dir=cache)).store
            write_peer_dataset(store, dataset)
            del store

        def first_parse() -> dict[str, str]:  # an empty cache of its own, as on a machine's first start
            return {"ILRS_CACHE_DIR": tempfile.mkdtemp(prefix="cache-", dir=workdir)}

        systems: dict[str, Callable[[], Server]] = {
            "ilrs": lambda: start_ilrs(generated, workdir, args.timeout, env={"ILRS_CACHE_DIR": str(cache)}),
            "ilrs-first": lambda: start_ilrs(generated, workdir, args.timeout, env=first_parse()),
            "oxigraph": lambda: start_oxigraph(dataset, workdir, args.timeout),
        }
        timings = {name: Timings() for name in systems}
        for run in range(1, args.runs + 1):
            order = list(systems) if run % 2 else list(reversed(systems))
            for name in order:
                measure(systems[name], timings[name])
                _say(
                    f"run {run}/{args.runs} {name:10s} startup {timings[name].startup[-1]:6.2f} s"
                    f"  cpu {timings[name].cpu[-1]:6.2f} s  load average {_load()}"
                )
    print(f"scale {args.scale:g}, {args.runs} runs each, load average at the end {_load()}")
    for name, figures in timings.items():
        shown = f"  load rate {statistics.median(figures.load_rate):,.0f} quads/s" if figures.load_rate else ""
        print(f"{name:10s} startup {_summary(figures.startup)}  cpu {_summary(figures.cpu)}{shown}")
    missed = 0
    oxigraph = statistics.median(timings["oxigraph"].startup)
    for name in ("ilrs", "ilrs-first"):
        ours = timings[name]
        ratio = statistics.median(ours.startup) / oxigraph
        rate = statistics.median(ours.load_rate) if ours.load_rate else 0.0
        met = ratio <= STARTUP_RATIO and rate >= LOAD_RATE
        missed += not met
        print(
            f"{name:10s} startup ÷ oxigraph's (medians) {ratio:.2f} (target ≤ {STARTUP_RATIO}: "
            f"{_met(ratio <= STARTUP_RATIO)}), load rate {rate:,.0f} quads/s (target ≥ {LOAD_RATE:,}: "
            f"{_met(rate >= LOAD_RATE)})"
        )
    return 1 if missed else 0


def _met(met: bool) -> str:
    return "met" if met else "NOT met"


if __name__ == "__main__":
    sys.exit(main())
