"""What the default graph costs the engine: the heavy query kinds in process, on three datasets side by side.

This server answers a query that names no dataset from the merge of the merged graph (every asserted triple
once), the inferred graph and the changelog (:func:`ilrs.graph.store.default_graph_iris`), and ``GRAPH ?g``
reaches every named graph, the derived ones included. Oxigraph server, in the SPARQL benchmark, holds the same
quads with the merged and the inferred graph moved into its one default graph
(:func:`bench.run.write_peer_dataset`). This times each kind of the unique mix (:mod:`bench.queries`) with
pyoxigraph alone, no HTTP and no worker, on:

* ``served``: this server's store and default graph, as built at startup;
* ``merged only``: the same store with the merged graph alone as the default graph (answers without the
  inferred triples: it shows what looking each pattern up in a second graph costs);
* ``one graph``: the peer's dataset, loaded into a new store.

Rounds go through the kinds in turn, each query asked of the three in turn, so that the machine's drift and
the caches fall on all alike. Medians in milliseconds; ``served`` and ``one graph`` must give the same number
of rows, or the run fails.

    python -m bench.default_graph --scale 10 --rounds 20
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from ilrs.graph.loader import build_dataset
from ilrs.graph.settings import Settings
from ilrs.graph.store import MERGED_GRAPH_IRI, Store

from .generate import generate, sources_for
from .queries import TEMPLATES
from .run import write_peer_dataset

#: The kinds timed: those the engine spends most on, and two light ones for scale.
KINDS = ("date-filter", "group-by", "label-search", "join", "status-count", "lookup")

Ask = Callable[[str], "ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples"]


def rows(answer: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> int:
    """The rows of an answer, read to its end (evaluation is lazy)."""
    return 1 if isinstance(answer, ox.QueryBoolean) else sum(1 for _ in answer)


def timed(ask: Ask, query: str) -> tuple[float, int]:
    started = time.perf_counter()
    count = rows(ask(query))
    return time.perf_counter() - started, count


def datasets(generated: Path, folder: Path) -> dict[str, Ask]:
    """The three ways of asking (see the module documentation)."""
    store: Store = build_dataset(Settings(extra_files=[generated])).store
    engine = store._store  # type: ignore[attr-defined]  # the embedded store's pyoxigraph store
    merged = [ox.NamedNode(MERGED_GRAPH_IRI)]
    peer_file = folder / "peer.nq"
    write_peer_dataset(build_dataset(Settings(extra_files=[generated])).store, peer_file)
    peer = ox.Store()
    peer.load(path=str(peer_file), format=ox.RdfFormat.N_QUADS)
    return {
        "served": lambda q: store.query(q),
        "merged only": lambda q: engine.query(q, default_graph=merged),
        "one graph": lambda q: peer.query(q),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=10.0, help="of bench.generate: 1 ≈ 10k triples, 100 ≈ 1M")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ilrs-default-graph-") as name:
        folder = Path(name)
        generated = folder / f"scale-{args.scale:g}.nq"
        generate(args.scale, generated, args.seed, progress=sys.stderr.isatty())
        print(f"building the three datasets at scale {args.scale:g}", file=sys.stderr)
        asks = datasets(generated, folder)
    return compare(asks, args.scale, args.seed, args.rounds)


def compare(asks: dict[str, Ask], scale: float, seed: int, rounds: int) -> int:
    """Time the kinds on each way of asking and print the table; 1 if two datasets disagree."""
    rng, sources = random.Random(seed), sources_for(scale)
    kinds = [t for t in TEMPLATES if t.name in KINDS]
    times: dict[tuple[str, str], list[float]] = {}
    for round_ in range(rounds):
        print(f"round {round_ + 1} of {rounds}", file=sys.stderr, end="\r")
        for serial, template in enumerate(kinds, start=round_ * len(kinds) + 1):
            query = template.query(rng, sources, serial).text
            counts = {}
            for name, ask in asks.items():
                elapsed, counts[name] = timed(ask, query)
                times.setdefault((template.name, name), []).append(elapsed)
            if counts["served"] != counts["one graph"]:
                print(f"\n{template.name}: {counts} rows differ:\n{query}", file=sys.stderr)
                return 1
    print(f"| kind, median ms | {' | '.join(asks)} |")
    print(f"|---|{'---|' * len(asks)}")
    for template in kinds:
        medians = [statistics.median(times[(template.name, name)]) * 1e3 for name in asks]
        print(f"| {template.name} | " + " | ".join(f"{m:.2f}" for m in medians) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
