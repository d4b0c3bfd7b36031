"""What the store says about a resource, and which source graph says it.

One description feeds every view of a resource (HTML page, Turtle, N-Triples,
JSON-LD, API collection members), so they cannot disagree. Everything is read
through :class:`~graph.store.Store` queries.

A resource's *statements* are its outgoing triples in the union of all graphs (each
triple once, with the set of named graphs holding it), plus the outgoing triples of
the blank nodes it reaches (its concise bounded description), since a blank node
cannot be looked up on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from .derived import MERGED_GRAPH
from .namespaces import SOURCES_GRAPH
from .settings import get_settings
from .store import Store

#: Incoming links shown for one resource at most (a country may be the object of many).
INCOMING_LIMIT = 1000

Term = ox.NamedNode | ox.BlankNode | ox.Literal

_LABEL_PATH = "<http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#prefLabel>"
_TITLE = "<http://purl.org/dc/terms/title>"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
_DCT_TITLE = "http://purl.org/dc/terms/title"
_SCHEMA_NAME = "https://schema.org/name"
# Any predicate: a negated property set that excludes an IRI no data uses.
_ANY = "!<urn:ilrs:no-such-predicate>"


@dataclass(frozen=True)
class Statement:
    """One triple of the union graph and the named graphs that hold it (empty: only the default graph)."""

    subject: ox.NamedNode | ox.BlankNode
    predicate: ox.NamedNode
    object: Term
    graphs: frozenset[str]

    @property
    def triple(self) -> ox.Triple:
        return ox.Triple(self.subject, self.predicate, self.object)


@dataclass(frozen=True)
class Source:
    """A named graph and, for a source article's graph, the document it was derived from."""

    graph: str
    document: str | None = None
    title: str | None = None
    issued: str | None = None
    publisher: str | None = None
    url: str | None = None


@dataclass
class Description:
    """Everything the store says about ``iri``."""

    iri: str
    outgoing: list[Statement]
    incoming: list[Statement]
    incoming_truncated: bool = False
    sources: dict[str, Source] = field(default_factory=dict)
    labels: dict[str, list[ox.Literal]] = field(default_factory=dict)
    #: What ``outgoing`` leaves out, when it was read within bounds that the resource exceeds.
    abridged: Abridgement | None = None

    @property
    def exists(self) -> bool:
        """Whether any triple mentions the resource (as subject or object)."""
        return bool(self.outgoing or self.incoming)

    @property
    def triples(self) -> list[ox.Triple]:
        """The outgoing triples (with blank-node closure): the resource's RDF representations."""
        return [s.triple for s in self.outgoing]

    @property
    def own(self) -> list[Statement]:
        """Outgoing statements whose subject is the resource itself (not one of its blank nodes)."""
        return [s for s in self.outgoing if isinstance(s.subject, ox.NamedNode) and s.subject.value == self.iri]

    @property
    def types(self) -> list[str]:
        """The IRIs of the resource's ``rdf:type`` values."""
        return [
            s.object.value for s in self.own if s.predicate.value == _RDF_TYPE and isinstance(s.object, ox.NamedNode)
        ]

    @property
    def own_names(self) -> list[ox.Literal]:
        """The resource's ``dcterms:title`` and ``schema:name`` values: its heading when it has no label."""
        return [
            s.object
            for s in self.own
            if s.predicate.value in (_DCT_TITLE, _SCHEMA_NAME) and isinstance(s.object, ox.Literal)
        ]

    @property
    def own_labels(self) -> list[ox.Literal]:
        """The resource's ``rdfs:label`` and ``skos:prefLabel`` values, in every language."""
        return [
            s.object
            for s in self.own
            if s.predicate.value in (_RDFS_LABEL, _SKOS_PREF) and isinstance(s.object, ox.Literal)
        ]


def _iri(term: object) -> str:
    return str(getattr(term, "value", term))


def is_iri(text: str) -> bool:
    """Whether ``text`` is a valid absolute IRI, safe to write as ``<…>`` in SPARQL (no injection)."""
    try:
        ox.NamedNode(text)  # validates the IRI grammar: no spaces, quotes, angle brackets or stray '%'
    except ValueError:
        return False
    return True


def _values(iris: Iterable[str]) -> str:
    items = list(iris)
    for iri in items:
        if not is_iri(iri):
            raise ValueError(f"not an IRI: {iri!r}")
    return " ".join(f"<{i}>" for i in items)


def _solutions(store: Store, sparql: str, *, union: bool) -> ox.QuerySolutions:
    result = store.query(sparql, union_default_graph=union)
    if not isinstance(result, ox.QuerySolutions):  # pragma: no cover - our queries are SELECTs
        raise TypeError("expected SELECT solutions")
    return result


def _collect(rows: Iterable[ox.QuerySolution], into: dict[tuple[Term, ...], set[str]]) -> None:
    for row in rows:
        s, p, o, g = row["s"], row["p"], row["o"], row["g"]
        if not isinstance(s, ox.NamedNode | ox.BlankNode) or not isinstance(
            o, ox.NamedNode | ox.BlankNode | ox.Literal
        ):
            continue
        graphs = into.setdefault((s, p, o), set())
        # The merged graph repeats every statement without its source: it adds nothing to cite.
        if g is not None and g.value != MERGED_GRAPH:
            graphs.add(g.value)


#: Subjects described by one query of :func:`statements`: their statements stay well below an answer's cap.
_SUBJECTS_PER_QUERY = 50


def statements(store: Store, subjects: Sequence[str]) -> dict[str, list[Statement]]:
    """The statements of each subject IRI (outgoing triples of the union graph, with blank-node closure).

    Triples are read from the real default graph and from every named graph, and each
    distinct triple is kept once with the set of named graphs that hold it.
    """
    if len(subjects) > _SUBJECTS_PER_QUERY:  # an external store caps an answer's rows (ResultSetMaxRows)
        chunks = [subjects[i : i + _SUBJECTS_PER_QUERY] for i in range(0, len(subjects), _SUBJECTS_PER_QUERY)]
        return {iri: items for chunk in chunks for iri, items in statements(store, chunk).items()}
    if not subjects:
        return {}
    found: dict[tuple[Term, ...], set[str]] = {}
    # union_default_graph=False: the default graph is the real one, so a triple is read
    # once per graph holding it and never twice through the union.
    direct = f"""
        SELECT ?s ?p ?o ?g WHERE {{
          VALUES ?s {{ {_values(subjects)} }}
          {{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} }}
        }}"""
    _collect(_solutions(store, direct, union=False), found)
    _close_blank_nodes(store, subjects, found)
    return _walk(subjects, found)


def _close_blank_nodes(store: Store, subjects: Sequence[str], found: dict[tuple[Term, ...], set[str]]) -> None:
    """Add to ``found`` the statements of the blank nodes the ``subjects`` reach, if ``found`` links to any."""
    if not any(isinstance(o, ox.BlankNode) for (_, _, o) in found):
        return
    # Blank nodes live in the graph of the file that wrote them, so one path per graph reaches them all.
    # Zero steps and one or more apart, not ({_ANY})*: Virtuoso loses a *-path's zero-length solutions in GRAPH ?g.
    # DISTINCT: Virtuoso gives a pair of a path's ends once per route inside GRAPH ?g0 (refused without it).
    closure = f"""
        SELECT DISTINCT ?s ?p ?o ?g WHERE {{
          VALUES ?r {{ {_values(subjects)} }}
          {{ ?r ?p0 ?b BIND(?b AS ?s) }} UNION {{ ?r ?p0 ?b . ?b ({_ANY})+ ?s }}
          UNION {{ GRAPH ?g0 {{ ?r ?p0 ?b BIND(?b AS ?s) }} }}
          UNION {{ GRAPH ?g0 {{ ?r ?p0 ?b . ?b ({_ANY})+ ?s }} }}
          FILTER(isBlank(?b) && isBlank(?s))
          {{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} }}
        }}"""
    _collect(_solutions(store, closure, union=False), found)


def _walk(subjects: Sequence[str], found: dict[tuple[Term, ...], set[str]]) -> dict[str, list[Statement]]:
    """Each subject's statements in ``found``: its own, then those of the blank nodes they reach."""
    by_subject: dict[Term, list[Statement]] = {}
    for (s, p, o), graphs in found.items():
        assert isinstance(s, ox.NamedNode | ox.BlankNode) and isinstance(p, ox.NamedNode)
        by_subject.setdefault(s, []).append(Statement(s, p, o, frozenset(graphs)))
    for items in by_subject.values():
        items.sort(key=lambda st: (st.predicate.value, str(st.object)))

    out: dict[str, list[Statement]] = {}
    for iri in subjects:
        # Walk from the resource through blank nodes only: the closure query may over-fetch.
        result: list[Statement] = []
        queue: list[Term] = [ox.NamedNode(iri)]
        seen: set[Term] = set()
        while queue:
            node = queue.pop(0)
            if node in seen:
                continue
            seen.add(node)
            for st in by_subject.get(node, []):
                result.append(st)
                if isinstance(st.object, ox.BlankNode):
                    queue.append(st.object)
        out[iri] = result
    return out


@dataclass(frozen=True)
class Bounds:
    """How much of a resource a bounded description holds: at most ``statements`` of its own statements, each
    with at most ``graphs`` of the named graphs that state it."""

    statements: int
    graphs: int


@dataclass(frozen=True)
class Abridgement:
    """What a bounded description leaves out of one resource."""

    #: The resource's own statements (distinct triples with it as subject, blank nodes' not counted).
    statements: int
    #: How many of them the description holds.
    shown: int
    #: Statements held with only some of the named graphs that state them.
    graphs_cut: int


def bounded_statements(
    store: Store, subjects: Sequence[str], bounds: Bounds
) -> tuple[dict[str, list[Statement]], dict[str, Abridgement]]:
    """:func:`statements` of each subject, but at most ``bounds`` of each: the statements and, for each subject
    that has more, what is left out.

    A subject with more than ``bounds.statements`` statements keeps them shared out over its properties (each
    property keeps at least one value while there is room, its values in SPARQL order), and a statement in more
    than ``bounds.graphs`` named graphs keeps the first of them in IRI order. The store still reads every
    statement of a large subject once, to count them, but only the kept ones become Python objects, so the
    cost of a description stays bounded whatever the data holds about its subject.
    """
    if len(subjects) > _SUBJECTS_PER_QUERY:
        chunks = [subjects[i : i + _SUBJECTS_PER_QUERY] for i in range(0, len(subjects), _SUBJECTS_PER_QUERY)]
        described: dict[str, list[Statement]] = {}
        abridged: dict[str, Abridgement] = {}
        for chunk in chunks:
            items, left_out = bounded_statements(store, chunk, bounds)
            described.update(items)
            abridged.update(left_out)
        return described, abridged
    if not subjects:
        return {}, {}
    counts = _value_counts(store, subjects)
    small = [iri for iri in subjects if _within(counts.get(iri, {}), bounds)]
    out = statements(store, small)
    abridgements: dict[str, Abridgement] = {}
    for iri in subjects:
        if iri not in out:
            out[iri], cut = _bounded_statements_of(store, iri, counts[iri], bounds)
            if cut.shown < cut.statements or cut.graphs_cut:
                abridgements[iri] = cut
    return {iri: out[iri] for iri in subjects}, abridgements


def left_out(cut: Abridgement, bounds: Bounds) -> str:
    """What a bounded description holds of one resource, in words: ``64 of its 1,930 statements and 3
    statements with 8 of the graphs stating them``."""
    said = [f"{cut.shown:,} of its {cut.statements:,} statements"] if cut.shown < cut.statements else []
    if cut.graphs_cut:
        said.append(f"{cut.graphs_cut:,} statements with {bounds.graphs:,} of the graphs stating them")
    return " and ".join(said)


def abridgement_note(abridged: Mapping[str, Abridgement], bounds: Bounds) -> str:
    """A sentence saying what the bounds leave out of each abridged resource, for the page that shows them."""
    parts = [f"<{iri}>: {left_out(cut, bounds)}" for iri, cut in abridged.items()]
    return (
        f"Abridged members: a member with more than {bounds.statements:,} statements shows {bounds.statements:,} of "
        f"them, shared out over its properties, and a statement in more than {bounds.graphs:,} named graphs is "
        f"cited in the first {bounds.graphs:,} of them; each abridged member's full description is at its "
        f"localUrl, also listed as this view's seeAlso. {'; '.join(parts)}."
    )


def _value_counts(store: Store, subjects: Sequence[str]) -> dict[str, dict[str, tuple[int, int]]]:
    """For each subject and each of its properties: its distinct values, and the (value, graph) pairs stating them."""
    query = f"""
        SELECT ?s ?p (COUNT(DISTINCT ?o) AS ?n) (COUNT(*) AS ?rows) WHERE {{
          VALUES ?s {{ {_values(subjects)} }}
          {{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{MERGED_GRAPH}>) }}
        }} GROUP BY ?s ?p"""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for row in _solutions(store, query, union=False):
        out.setdefault(_iri(row["s"]), {})[_iri(row["p"])] = (int(_iri(row["n"])), int(_iri(row["rows"])))
    return out


def _within(counts: dict[str, tuple[int, int]], bounds: Bounds) -> bool:
    """Whether a subject of these counts is surely within ``bounds`` (no property has more (value, graph)
    pairs than one statement may cite graphs)."""
    return sum(n for n, _ in counts.values()) <= bounds.statements and all(
        rows <= bounds.graphs for _, rows in counts.values()
    )


def _shares(counts: dict[str, int], room: int) -> dict[str, int]:
    """How many values of each property fit in ``room``: one each in turn, in property order, while there is room."""
    shares = dict.fromkeys(sorted(counts), 0)
    while room > 0 and any(shares[p] < counts[p] for p in shares):
        for p in shares:
            if room > 0 and shares[p] < counts[p]:
                shares[p] += 1
                room -= 1
    return shares


def _bounded_statements_of(
    store: Store, iri: str, counts: dict[str, tuple[int, int]], bounds: Bounds
) -> tuple[list[Statement], Abridgement]:
    """The statements of one subject within ``bounds``, and what they leave out."""
    shares = _shares({p: n for p, (n, _) in counts.items()}, bounds.statements)
    subject = ox.NamedNode(iri)
    found: dict[tuple[Term, ...], set[str]] = {}
    graphs_cut = 0
    for predicate, share in shares.items():
        if not share:
            continue
        node = _values([predicate])
        # The kept values first (a sub-select, so the store stops at them), then the graphs stating each.
        query = f"""
            SELECT ?o (GROUP_CONCAT(DISTINCT COALESCE(STR(?g), ""); separator=" ") AS ?graphs) WHERE {{
              {{ SELECT DISTINCT ?o WHERE {{ {{ <{iri}> {node} ?o }} UNION {{ GRAPH ?g0 {{ <{iri}> {node} ?o }} }} }}
                 ORDER BY ?o LIMIT {share} }}
              {{ <{iri}> {node} ?o }} UNION {{ GRAPH ?g {{ <{iri}> {node} ?o }} FILTER(?g != <{MERGED_GRAPH}>) }}
            }} GROUP BY ?o"""
        for row in _solutions(store, query, union=False):
            obj = row["o"]
            if not isinstance(obj, ox.NamedNode | ox.BlankNode | ox.Literal):
                continue
            graphs = sorted({g for g in _iri(row["graphs"]).split(" ") if g})
            graphs_cut += len(graphs) > bounds.graphs
            found[(subject, ox.NamedNode(predicate), obj)] = set(graphs[: bounds.graphs])
    _close_blank_nodes(store, [iri], found)
    total = sum(n for n, _ in counts.values())
    return _walk([iri], found)[iri], Abridgement(total, sum(shares.values()), graphs_cut)


def incoming(store: Store, iri: str, limit: int = INCOMING_LIMIT) -> tuple[list[Statement], bool]:
    """Statements whose object is ``iri`` (at most ``limit``), and whether more exist."""
    query = f"""
        SELECT ?s ?p ?o ?g WHERE {{
          VALUES ?o {{ {_values([iri])} }}
          {{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} }}
        }} LIMIT {limit * 4 + 1}"""
    found: dict[tuple[Term, ...], set[str]] = {}
    _collect(_solutions(store, query, union=False), found)
    items = [
        Statement(s, p, o, frozenset(g))  # type: ignore[arg-type]
        for (s, p, o), g in found.items()
    ]
    items.sort(key=lambda st: (st.predicate.value, str(st.subject)))
    return items[:limit], len(items) > limit


def sources(store: Store, graphs: Iterable[str]) -> dict[str, Source]:
    """For each named graph, the source document it was derived from (with title, date, publisher, URL)."""
    names = sorted(set(graphs))
    if not names:
        return {}
    query = f"""
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?g ?doc ?title ?issued ?publisher ?url WHERE {{
          VALUES ?g {{ {_values(names)} }}
          OPTIONAL {{
            GRAPH <{SOURCES_GRAPH}> {{ ?g prov:wasDerivedFrom ?doc }}
            OPTIONAL {{ ?doc dcterms:title ?title }}
            OPTIONAL {{ ?doc dcterms:issued ?issued }}
            OPTIONAL {{ ?doc dcterms:publisher ?pub . OPTIONAL {{ ?pub {_LABEL_PATH} ?publabel }} }}
            BIND(COALESCE(?publabel, ?pub) AS ?publisher)
            # Only the sources graph says where a source is, and only as an IRI (never a string).
            OPTIONAL {{
              GRAPH <{SOURCES_GRAPH}> {{ ?doc <https://schema.org/url>|<http://xmlns.com/foaf/0.1/page> ?url }}
              FILTER(isIRI(?url))
            }}
          }}
        }}"""
    out: dict[str, Source] = {}
    for row in _solutions(store, query, union=True):
        graph = _iri(row["g"])
        if graph in out and out[graph].document is not None:
            continue  # several titles or publishers: the first is enough for a citation
        doc = row["doc"]
        out[graph] = Source(
            graph=graph,
            document=_iri(doc) if doc is not None else None,
            title=_iri(row["title"]) if row["title"] is not None else None,
            issued=_iri(row["issued"]) if row["issued"] is not None else None,
            publisher=_iri(row["publisher"]) if row["publisher"] is not None else None,
            url=_iri(row["url"]) if row["url"] is not None else None,
        )
    return out


def labels(store: Store, iris: Iterable[str]) -> dict[str, list[ox.Literal]]:
    """The labels (``rdfs:label``, ``skos:prefLabel``, else ``dcterms:title``) of each IRI."""
    names = sorted(set(iris))
    if not names:
        return {}
    query = f"""
        SELECT DISTINCT ?x ?l WHERE {{
          VALUES ?x {{ {_values(names)} }}
          ?x {_LABEL_PATH}|{_TITLE} ?l FILTER(isLiteral(?l))
        }}"""
    out: dict[str, list[ox.Literal]] = {}
    for row in _solutions(store, query, union=True):
        literal = row["l"]
        if isinstance(literal, ox.Literal):
            out.setdefault(_iri(row["x"]), []).append(literal)
    reused = reused_labels(get_settings().ontology_dir / "imports")
    for name in names:
        if name not in out and name in reused:
            out[name] = list(reused[name])
    return out


def _lower_title_case(label: str) -> str:
    return " ".join(w.lower() if w[:1].isupper() and w[1:].islower() else w for w in label.split(" "))


@lru_cache(maxsize=4)
def reused_labels(folder: Path) -> dict[str, tuple[ox.Literal, ...]]:
    """The labels the ontology's import module gives the terms it reuses (``ontology/imports/*.ttl``).

    Those declarations are not part of the served graph, but a page names ``dcterms:issued`` "date
    issued" by them rather than by its prefixed IRI. Title-cased words (DCMI's "Date Issued") are
    lower-cased like the ontology's own labels; acronyms stay. Read once per folder.
    """
    out: dict[str, list[ox.Literal]] = {}
    for path in sorted(folder.glob("*.ttl")):
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            if quad.predicate.value == _RDFS_LABEL and isinstance(quad.object, ox.Literal):
                label = ox.Literal(_lower_title_case(quad.object.value), language=quad.object.language)
                out.setdefault(quad.subject.value, []).append(label)
    return {iri: tuple(found) for iri, found in out.items()}


def describe(store: Store, iri: str, *, with_context: bool = True, bounds: Bounds | None = None) -> Description:
    """Everything the store says about ``iri`` (within ``bounds``, if given: see :func:`bounded_statements`).

    With ``with_context`` (for pages) the description also holds the incoming links,
    the source documents of every graph involved and the labels of linked resources.
    """
    abridged = None
    if bounds is None:
        outgoing = statements(store, [iri])[iri]
    else:
        described, cut = bounded_statements(store, [iri], bounds)
        outgoing, abridged = described[iri], cut.get(iri)
    if not with_context:
        return Description(iri, outgoing, [], abridged=abridged)
    inbound, truncated = incoming(store, iri)
    graphs = {g for st in (*outgoing, *inbound) for g in st.graphs}
    linked = {
        t.value
        for st in (*outgoing, *inbound)
        for t in (st.subject, st.predicate, st.object)
        if isinstance(t, ox.NamedNode) and t.value != iri
    }
    return Description(
        iri,
        outgoing,
        inbound,
        incoming_truncated=truncated,
        sources=sources(store, graphs),
        labels=labels(store, linked | graphs),
        abridged=abridged,
    )


def mentioned(store: Store, iri: str) -> bool:
    """Whether any triple has ``iri`` as its subject or object."""
    node = _values([iri])
    return bool(store.query(f"ASK {{ VALUES ?x {{ {node} }} {{ ?x ?p ?o }} UNION {{ ?s ?p ?x }} }}"))


def graph_triples(store: Store, graph: str) -> list[ox.Triple]:
    """The triples of one named graph."""
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?g {{ {_values([graph])} }} GRAPH ?g {{ ?s ?p ?o }} }}"
    result = store.query(query)
    if not isinstance(result, ox.QueryTriples):  # pragma: no cover - a CONSTRUCT returns triples
        raise TypeError("expected CONSTRUCT triples")
    return list(result)


def best_label(literals: Sequence[ox.Literal], languages: Sequence[str] = ("en", "")) -> str | None:
    """The label to show: the first in a preferred language, else any; ``None`` without labels."""
    for lang in languages:
        for literal in literals:
            if (literal.language or "") == lang:
                return literal.value
    return literals[0].value if literals else None


def label_triples(store: Store, iris: Iterable[str]) -> list[ox.Triple]:
    """The ``rdfs:label`` triples of each IRI (in the union of the graphs, each once)."""
    names = sorted(set(iris))
    if not names:
        return []
    query = f"""
        CONSTRUCT {{ ?x <{_RDFS_LABEL}> ?l }} WHERE {{
          VALUES ?x {{ {_values(names)} }}
          ?x <{_RDFS_LABEL}> ?l FILTER(isLiteral(?l))
        }}"""
    result = store.query(query)
    if not isinstance(result, ox.QueryTriples):  # pragma: no cover - a CONSTRUCT returns triples
        raise TypeError("expected CONSTRUCT triples")
    return list(result)


def linked_iris(statements: Iterable[Statement], exclude: Iterable[str] = ()) -> set[str]:
    """The IRIs the statements link to (their objects), but the ``exclude`` ones."""
    skip = set(exclude)
    return {
        s.object.value
        for s in statements
        if isinstance(s.object, ox.NamedNode) and s.object.value not in skip and s.predicate.value != _RDF_TYPE
    }
