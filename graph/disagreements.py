"""Where the sources disagree, computed from the graph with one SPARQL query.

Every graph that states facts (an article's ``…/graph/source/NNN``, a researcher's loaded
graph) is read separately, never the derived or reference graphs. A *claim* is what one
graph says on a *topic*:

* the value of a single-answer property of a resource (a phase's ``ilrs:targetYear``, a
  country's ``ilrs:partnerStatus``): the topic is the resource and the property;
* a reported count (``ilrs:ReportedCount``): the topic is what it counts, with which
  status, about what; its value is ``ilrs:countValue``;
* an announcement (``ilrs:Announcement``): the topic is what it announces; its values are
  its date and who announced it.

Sources disagree on a topic when two graphs give it different sets of values. Nothing is
listed by hand: a new graph that contradicts a claim makes a new disagreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import chain, zip_longest

import pyoxigraph as ox

from .namespaces import GRAPH, ILRS, INFERRED_GRAPH, MERGED_GRAPH, ONTOLOGY_GRAPH, SOURCES_GRAPH
from .store import Store

_DCT_DATE = "http://purl.org/dc/terms/date"

#: Graphs that state no claim of a source: the derived graphs, the ontology, the provenance graph,
#: the reference data and the editors' curated names.
_NOT_CLAIMS = (str(INFERRED_GRAPH), str(MERGED_GRAPH), str(ONTOLOGY_GRAPH), str(SOURCES_GRAPH), f"{GRAPH}curated")

#: One row per value a graph gives on a topic. ``?claim`` is the resource that carries the value.
QUERY = f"""
PREFIX ilrs: <{ILRS}>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?g ?kind ?topic ?counted ?status ?property ?value ?claim ?asOf WHERE {{
  GRAPH ?g {{
    {{
      VALUES ?property {{ ilrs:targetYear ilrs:partnerStatus }}
      ?topic ?property ?value .
      BIND(?topic AS ?claim) BIND("value" AS ?kind)
    }} UNION {{
      ?claim a ilrs:ReportedCount ; ilrs:counts ?counted ; ilrs:concerns ?topic ; ilrs:countValue ?value .
      OPTIONAL {{ ?claim ilrs:countStatus ?status }}
      OPTIONAL {{ ?claim ilrs:asOf ?asOf }}
      BIND(ilrs:countValue AS ?property) BIND("count" AS ?kind)
    }} UNION {{
      ?claim a ilrs:Announcement ; ilrs:announces ?topic .
      {{ ?claim dcterms:date ?value BIND(dcterms:date AS ?property) }}
      UNION {{ ?claim ilrs:announcedBy ?value BIND(ilrs:announcedBy AS ?property) }}
      BIND("announcement" AS ?kind)
    }}
  }}
  FILTER(?g NOT IN ({", ".join(f"<{g}>" for g in _NOT_CLAIMS)}))
  FILTER(!STRSTARTS(STR(?g), "{GRAPH}reference/"))
}}
"""


@dataclass
class Claim:
    """What one graph says on a topic: its values, and the resources that carry them."""

    graph: str
    values: list[ox.NamedNode | ox.Literal] = field(default_factory=list)
    resources: set[str] = field(default_factory=set)
    as_of: str | None = None


@dataclass
class Disagreement:
    """A topic on which at least two graphs give different values."""

    kind: str
    """``value``, ``count`` or ``announcement``."""
    topic: str
    """The resource the claims are about (a phase, a country, the programme)."""
    predicate: str
    """The property whose values differ."""
    counted: str | None
    """For counts: what is counted (``…/id/counted/countries``)."""
    status: str | None
    """For counts: the status of what is counted (committed, signed …), if any."""
    claims: list[Claim]
    """One per graph, in graph order."""
    omitted: int = 0
    """Claims left out of a view of it (:func:`abridged`); ``0`` for the whole of it."""

    @property
    def resources(self) -> set[str]:
        """Every resource that carries one of the competing values (the topic for a plain value)."""
        return {r for c in self.claims for r in c.resources}

    @property
    def key(self) -> str:
        """A stable fragment id for this disagreement."""
        parts = [self.topic, self.predicate, self.counted or "", self.status or ""]
        return "d-" + "-".join(p.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1] for p in parts if p)


def _text(term: object) -> str | None:
    return None if term is None else str(getattr(term, "value", term))


def disagreements(store: Store) -> list[Disagreement]:
    """Every topic on which the graphs that state facts give different values, sorted by topic."""
    result = store.query(QUERY)
    if not isinstance(result, ox.QuerySolutions):  # pragma: no cover - a SELECT returns solutions
        raise TypeError("expected SELECT solutions")
    topics: dict[tuple[str, ...], dict[str, Claim]] = {}
    for row in result:
        value = row["value"]
        if not isinstance(value, ox.NamedNode | ox.Literal):
            continue
        kind = _text(row["kind"]) or ""
        key = tuple(_text(row[v]) or "" for v in ("topic", "property", "counted", "status"))
        key = (kind, *key)
        graph = _text(row["g"]) or ""
        claim = topics.setdefault(key, {}).setdefault(graph, Claim(graph))
        if value not in claim.values:
            claim.values.append(value)
        claim.resources.add(_text(row["claim"]) or "")
        claim.as_of = claim.as_of or _text(row["asOf"])
    found = []
    for (kind, topic, prop, counted, status), claims in topics.items():
        distinct = {frozenset(str(v) for v in c.values) for c in claims.values()}
        if len(claims) < 2 or len(distinct) < 2:
            continue
        for c in claims.values():
            c.values.sort(key=str)
        ordered = [claims[g] for g in sorted(claims)]
        found.append(Disagreement(kind, topic, prop, counted or None, status or None, ordered))
    found.sort(key=lambda d: (d.kind != "value", d.topic, d.predicate, d.counted or "", d.status or ""))
    return found


def conflicting(found: Sequence[Disagreement]) -> set[tuple[str, str]]:
    """``(resource, property)`` pairs whose values are disputed: a page marks these rows."""
    return {(r, d.predicate) for d in found for r in d.resources}


def abridged(found: Disagreement, most: int) -> Disagreement:
    """``found`` with at most ``most`` of its claims, the others counted in ``omitted``.

    The claims kept take turns among the competing values (the first claim giving each set of values, then
    the second …), so what the sources disagree about stays seen however many of them repeat one value;
    they stay in graph order.

    >>> year = lambda g, v: Claim(g, [ox.Literal(v)])
    >>> d = Disagreement("value", "t", "p", None, None, [year("a", "1"), year("b", "1"), year("c", "2")])
    >>> [(c.graph, c.values[0].value) for c in abridged(d, 2).claims], abridged(d, 2).omitted
    ([('a', '1'), ('c', '2')], 1)
    """
    if len(found.claims) <= most:
        return found
    groups: dict[frozenset[str], list[int]] = {}
    for index, claim in enumerate(found.claims):
        groups.setdefault(frozenset(str(v) for v in claim.values), []).append(index)
    turns = (i for i in chain.from_iterable(zip_longest(*groups.values())) if i is not None)
    kept = sorted(i for _, i in zip(range(most), turns, strict=False))
    return replace(found, claims=[found.claims[i] for i in kept], omitted=len(found.claims) - most)


def topic_query(found: Disagreement) -> str:
    """The SPARQL query that lists every claim on ``found``'s topic (one row per graph and value), by graph."""
    where = QUERY.rstrip().removesuffix("}")
    return f"{where}  FILTER(?topic = <{found.topic}> && ?property = <{found.predicate}>)\n}}\nORDER BY ?g ?value\n"
