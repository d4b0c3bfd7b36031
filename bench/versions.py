"""Throughput of this server against another build of it, side by side: did a change cost or gain requests/s?

Both are started on the same generated data (:func:`bench.systems.start_ilrs`): this checkout's, and the one
installed for another interpreter (``--base``: the Python of a virtual environment holding an older checkout).
Each round sends each of them the unique mix (:func:`bench.queries.unique_mix`) from ``--clients`` keep-alive
clients for ``--seconds``, the order reversed every other round so that the machine's drift falls on both; a
round's clients share one source, and every round has a new one, so no request is asked twice.
It prints a line per round and then the median requests/s of each and their ratio.

    python -m bench.versions --base /tmp/old/.venv/bin/python --scale 1 --clients 8 --rounds 8 --seconds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from .generate import generate
from .queries import unique_mix
from .run import _unique_requests, run_load
from .systems import Server, start_ilrs


def compare(servers: list[Server], scale: float, clients: int, rounds: int, seconds: float) -> dict[str, list[float]]:
    """Requests per second of each server, round by round."""
    seen: dict[str, list[float]] = {server.name: [] for server in servers}
    for round_ in range(rounds):
        for server in servers if round_ % 2 == 0 else servers[::-1]:
            # One source per round, shared by its clients: no request is asked twice, of either server.
            ask = _unique_requests(unique_mix(scale, 100 + round_))
            done, took = run_load(ask, server, clients, seconds, 120)
            seen[server.name].append(done / took)
        line = ", ".join(f"{name} {values[-1]:,.0f}" for name, values in seen.items())
        print(f"round {round_ + 1}/{rounds}: {line} req/s", file=sys.stderr, flush=True)
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", metavar="PYTHON", required=True, help="the interpreter of the other build")
    parser.add_argument("--scale", type=float, default=1.0, help="of bench.generate: 1 ≈ 10k triples")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0, help="of each server's turn in a round")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ilrs-versions-") as tmp:
        workdir = Path(tmp)
        generated = workdir / "generated.nq"
        generate(args.scale, generated, 12, progress=sys.stderr.isatty())
        servers: list[Server] = []
        try:
            servers.append(start_ilrs(generated, workdir / "this", 600, name="this"))
            servers.append(start_ilrs(generated, workdir / "base", 600, python=args.base, name="base"))
            seen = compare(servers, args.scale, args.clients, args.rounds, args.seconds)
        finally:
            for server in servers:
                server.stop()
    medians = {name: statistics.median(values) for name, values in seen.items()}
    print(
        f"unique mix, {args.clients} clients, scale {args.scale:g}, {args.rounds} rounds of {args.seconds:g} s: "
        f"this {medians['this']:,.0f} req/s, base {medians['base']:,.0f} req/s, "
        f"this / base {medians['this'] / medians['base']:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
