"""What the front page shows a visitor: the kinds of things the graph holds, its sources, and the
example questions answered, read from the store with SPARQL.

Results are kept per store version (:attr:`Store.version`), so a page view does not re-run the
examples, and a reload (``--watch``) is seen at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import pyoxigraph as ox

from .describe import Source, sources
from .errors import IlrsError
from .examples import Example
from .namespaces import GRAPH
from .query_analysis import limited
from .settings import BASE_IRI
from .store import Store

#: Rows of an example's answer shown on the front page; the editor shows them all.
ANSWER_ROWS = 12

T = TypeVar("T")
_cache: dict[tuple[int, str, str], object] = {}


def cached(store: Store, name: str, compute: Callable[[], T]) -> T:
    """``compute()``, remembered for this store's current version under ``name``."""
    key = (id(store), store.version, name)
    if key not in _cache:
        if len(_cache) > 64:  # old versions of the store are never asked for again
            _cache.clear()
        _cache[key] = compute()
    return _cache[key]  # type: ignore[return-value]


#: What a visitor calls each kind of resource (the path segment under ``…/id/``); a kind not named here
#: is shown by its segment.
KIND_NAMES = {
    "country": "countries",
    "organization": "organizations",
    "agency": "space agencies",
    "person": "people",
    "mission": "missions",
    "agreement": "agreements",
    "event": "events",
    "source": "sources",
    "phase": "phases",
    "program": "programs",
    "announcement": "announcements",
    "application": "applications to join",
    "facility": "facilities",
    "payload": "payloads",
    "place": "places",
    "position": "positions",
    "goal": "goals",
    "target": "stated targets",
    "count": "reported counts",
    "counted": "counted kinds",
    "status": "partner statuses",
    "activity": "cooperation stages and fields",
}
#: The kinds listed first, in this order: what a visitor looks for before the graph's own bookkeeping.
FIRST_KINDS = ("country", "organization", "agency", "person", "mission", "agreement", "event", "source")


@dataclass(frozen=True)
class Kind:
    """A kind of resource: the first path segment under ``…/id/`` (``mission``, ``country`` …)."""

    name: str
    count: int

    @property
    def title(self) -> str:
        """The kind as a visitor names it (``people`` for ``person``)."""
        return KIND_NAMES.get(self.name, self.name)


def kinds(store: Store) -> list[Kind]:
    """Every kind of resource that has a type, with how many there are, most first."""
    query = f"""
        SELECT ?kind (COUNT(DISTINCT ?s) AS ?n) WHERE {{
          ?s a ?type .
          FILTER(STRSTARTS(STR(?s), "{BASE_IRI}id/"))
          BIND(STRBEFORE(STRAFTER(STR(?s), "{BASE_IRI}id/"), "/") AS ?kind)
          FILTER(?kind != "")
        }} GROUP BY ?kind ORDER BY DESC(?n) ?kind"""
    rows = store.query(query, union_default_graph=True)
    assert isinstance(rows, ox.QuerySolutions)
    found = [Kind(row["kind"].value, int(row["n"].value)) for row in rows]  # type: ignore[union-attr]
    first = {name: i for i, name in enumerate(FIRST_KINDS)}
    return sorted(found, key=lambda k: first.get(k.name, len(first)))  # stable: the rest stay most first


@dataclass(frozen=True)
class SourceEntry:
    """One graph that states facts, with its source document and the number of facts it states."""

    source: Source
    facts: int


def source_graphs(store: Store, most: int | None = None) -> tuple[list[SourceEntry], int]:
    """The graphs of the source articles (``…/graph/source/…``) and loaded files, in IRI order (the first
    ``most`` of them, each counted), and how many there are in all."""
    prefixes = (f"{GRAPH}source/", f"{GRAPH}loaded/")
    every = [g for g in sorted(store.graphs()) if g.startswith(prefixes)]
    names = every[:most] if most is not None else every
    found = sources(store, names)
    return [SourceEntry(found.get(g, Source(g)), store.count(g)) for g in names], len(every)


@dataclass
class Answer:
    """The first rows of an example's answer: each cell an IRI (with a label) or a plain value."""

    example: Example
    columns: list[str] = field(default_factory=list)
    rows: list[list[ox.NamedNode | ox.BlankNode | ox.Literal | None]] = field(default_factory=list)
    #: Rows read (all of the answer's unless ``more``).
    total: int = 0
    #: Whether the answer has more rows than were read.
    more: bool = False
    error: str | None = None


def answer(store: Store, example: Example, limit: int = ANSWER_ROWS, read: int | None = None) -> Answer:
    """The example's SELECT answer (its first ``limit`` rows); an ASK or CONSTRUCT has no table.

    With ``read``, the query is asked for ``read + 1`` rows at most (:func:`~.query_analysis.limited`) and at
    most ``read`` are counted: ``more`` tells whether it has others, so a large graph's answer is never
    evaluated whole.
    """
    out = Answer(example)
    query = limited(example.query, read + 1) if read is not None else example.query
    try:
        result = store.query(query, union_default_graph=True)
    except IlrsError as err:
        out.error = str(err).splitlines()[0] if str(err) else type(err).__name__
        return out
    if not isinstance(result, ox.QuerySolutions):
        return out
    out.columns = [v.value for v in result.variables]
    for row in result:
        if read is not None and out.total == read:
            out.more = True
            break
        out.total += 1
        if out.total <= limit:
            out.rows.append([row[c] for c in out.columns])  # type: ignore[misc]
    return out


def column_title(variable: str) -> str:
    """A query variable as a column heading for people: ``dateWording`` → ``date wording``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", variable).replace("_", " ").lower()


def label_columns(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> set[int]:
    """The columns ``?xLabel`` that repeat what column ``?x`` already shows (its label) in every row.

    The front page shows an IRI by its label, so the label a query selects beside it says nothing new.
    """
    index = {c: i for i, c in enumerate(columns)}
    repeated = set()
    for i, column in enumerate(columns):
        shown = index.get(column.removesuffix("Label")) if column.endswith("Label") else None
        if shown is not None and all(not row[i] or row[i] == row[shown] for row in rows):
            repeated.add(i)
    return repeated


@dataclass(frozen=True)
class Member:
    """A resource in a list: its IRI, its label (English first) and the labels of its types."""

    iri: str
    label: str
    types: tuple[str, ...]


def members(store: Store, kind: str | None = None, cls: str | None = None) -> list[Member]:
    """The typed resources under ``…/id/{kind}/`` or of class ``cls`` (with its subclasses), by label.

    ``kind`` is one path segment and ``cls`` an IRI; callers check both (:func:`ilrs.graph.describe.is_iri`).
    """
    where = f'FILTER(STRSTARTS(STR(?s), "{BASE_IRI}id/{kind}/"))' if kind else ""
    typed = f"?s a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{cls}> ." if cls else "?s a ?any ."
    query = f"""
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?s (SAMPLE(?en) AS ?english) (SAMPLE(?l) AS ?label)
               (GROUP_CONCAT(DISTINCT ?typeLabel; SEPARATOR="\\u001f") AS ?types) WHERE {{
          {typed}
          FILTER(isIRI(?s)) {where}
          OPTIONAL {{ ?s rdfs:label ?en FILTER(LANGMATCHES(LANG(?en), "en")) }}
          OPTIONAL {{ ?s rdfs:label ?l }}
          OPTIONAL {{ ?s a ?t . ?t rdfs:label ?typeLabel FILTER(STRSTARTS(STR(?t), "{BASE_IRI}ontology#")
                      && LANGMATCHES(LANG(?typeLabel), "en")) }}
        }} GROUP BY ?s"""
    rows = store.query(query, union_default_graph=True)
    assert isinstance(rows, ox.QuerySolutions)
    out = []
    for row in rows:
        iri = row["s"].value  # type: ignore[union-attr]
        label = row["english"] or row["label"]
        types = row["types"].value.split("\x1f") if row["types"] is not None and row["types"].value else []
        out.append(Member(iri, label.value if label is not None else iri.rsplit("/", 1)[-1], tuple(sorted(types))))
    out.sort(key=lambda m: m.label.casefold())
    return out
