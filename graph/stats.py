"""Counts that describe the dataset: triples per named graph, instances per class."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from .store import Store

_INSTANCES = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class }
GROUP BY ?class ORDER BY DESC(?n) ?class
"""
_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


@dataclass(frozen=True)
class Stats:
    """Triples per named graph and distinct instances per class (over the union of all graphs)."""

    total: int
    graphs: dict[str, int]
    classes: dict[str, int]


def compute_stats(store: Store) -> Stats:
    """Count the dataset's quads, the triples in each named graph and the instances of each class."""
    graphs = {_value(s["g"]): int(_value(s["n"])) for s in _select(store, _GRAPHS)}
    classes = {_value(s["class"]): int(_value(s["n"])) for s in _select(store, _INSTANCES)}
    return Stats(total=sum(graphs.values()), graphs=graphs, classes=classes)


def _select(store: Store, query: str) -> ox.QuerySolutions:
    result = store.query(query)
    assert isinstance(result, ox.QuerySolutions)
    return result


def _value(term: object) -> str:
    return str(getattr(term, "value", term))
