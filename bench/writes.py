"""Time a one-triple write (staged, SHACL-validated, committed) at the shipped graph and at one 100 times larger.

The larger graph is the shipped one plus as many copies of the source articles' graphs and of
their descriptions as make it 100 times the shipped number of quads, every instance IRI renamed in
each copy (``…/id/agency/cnsa`` → ``…/id/agency/cnsa-r7``; the ISO countries, reference data, are
shared), so that it is as valid, and as connected, as the original. Each run adds one new label
to the same agency through :class:`~ilrs.graph.writer.Writer`; the median of ``--runs`` runs is
reported.

    python -m bench.writes --runs 7
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import pyoxigraph as ox

from ilrs.graph.loader import build_store
from ilrs.graph.namespaces import GRAPH, ID, SOURCES_GRAPH
from ilrs.graph.settings import get_settings
from ilrs.graph.store import Store
from ilrs.graph.writer import Writer

AGENCY = f"{ID}agency/cnsa"
TARGET_GRAPH = f"{GRAPH}source/003"
COUNTRY = f"{ID}country/"


def replicated(store: Store, scale: int) -> Store:
    """``store`` grown to ``scale`` times its quads with renamed copies of the source graphs and descriptions."""
    sources = [g for g in store.graphs() if g.startswith(f"{GRAPH}source/") or g == str(SOURCES_GRAPH)]
    originals = [q for g in sources for q in store.quads(g)]
    copies = -(-(scale - 1) * store.count() // len(originals))  # rounded up
    for k in range(1, copies + 1):
        store.add_quads(_renamed(q, f"-r{k}") for q in originals)  # type: ignore[attr-defined]
    return store


def _renamed(quad: ox.Quad, suffix: str) -> ox.Quad:
    def rename(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.DefaultGraph | ox.Triple) -> object:
        if isinstance(term, ox.NamedNode) and _instance(term.value):
            return ox.NamedNode(term.value + suffix)
        return term

    return ox.Quad(rename(quad.subject), quad.predicate, rename(quad.object), rename(quad.graph_name))  # type: ignore[arg-type]


def _instance(iri: str) -> bool:
    return (iri.startswith(str(ID)) and not iri.startswith(COUNTRY)) or iri.startswith(f"{GRAPH}source/")


def time_writes(store: Store, runs: int, tag: str) -> list[float]:
    """Seconds each of ``runs`` one-triple writes took (after one unmeasured warm-up write)."""
    writer = Writer(store, get_settings())
    times = []
    for run in range(runs + 1):
        label = f'"bench {tag} {run}"@en'
        triple = f"<{AGENCY}> <http://www.w3.org/2000/01/rdf-schema#label> {label}"
        update = f"INSERT DATA {{ GRAPH <{TARGET_GRAPH}> {{ {triple} }} }}"
        started = time.perf_counter()
        commit = writer.update(update, editor="bench")
        elapsed = time.perf_counter() - started
        assert commit.added == 1, commit
        if run:
            times.append(elapsed)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scale", type=int, default=100, help="how many times larger the second graph is")
    args = parser.parse_args()
    for scale in (1, args.scale):
        store = build_store(get_settings())
        if scale > 1:
            replicated(store, scale)
        times = time_writes(store, args.runs, f"x{scale}")
        print(
            f"x{scale:<4} {store.count():>8} quads: one-triple write median {statistics.median(times):.3f} s "
            f"(min {min(times):.3f}, max {max(times):.3f}, {args.runs} runs)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
