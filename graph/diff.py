"""``ilrs diff``: what changed between two versions of the ontology, the shapes or the data.

The diff is semantic, not textual: reordering, reformatting and renaming blank
nodes change nothing. Each triple is compared as a *statement*: its subject and
predicate as IRIs, its object written out in full when it is a blank node
(``[ a owl:Class ; owl:unionOf ( ilrs:Organization ilrs:Country ) ]``), so an
axiom that hangs off a term through blank nodes is one statement of that term.
Graphs that :func:`rdflib.compare.isomorphic` finds equal are skipped outright.

Reported: terms (IRIs with an ``rdf:type``) added, removed, relabelled and
changed (statements added and removed, per named graph), terms newly deprecated
(``owl:deprecated``, with their replacement), and the triples added and removed
per named graph.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import RDF, RDFS, SKOS
from rdflib.term import Node

from .deprecation import deprecations
from .rdfview import show
from .snapshot import Snapshot

LABELS = (RDFS.label, SKOS.prefLabel)
#: The subject of statements about blank nodes that no IRI reaches (e.g. ``[] a owl:AllDisjointClasses``).
ANONYMOUS = "(anonymous)"


@dataclass(frozen=True, order=True)
class Statement:
    """One triple as an editor reads it: prefixed names, blank nodes written out."""

    subject: str
    predicate: str
    object: str

    def __str__(self) -> str:
        return f"{self.predicate} {self.object}".strip()


@dataclass(frozen=True)
class GraphChange:
    """The statements one named graph gained and lost."""

    graph: str
    added: list[Statement]
    removed: list[Statement]


@dataclass(frozen=True)
class TermChange:
    """The statements about one term that one named graph gained and lost."""

    term: str
    graph: str
    added: list[Statement]
    removed: list[Statement]


@dataclass(frozen=True)
class Term:
    """A term that appeared or disappeared: its types, its labels, and what was said about it."""

    term: str
    types: list[str]
    labels: list[str]
    statements: list[Statement]


@dataclass(frozen=True)
class Relabel:
    term: str
    old: list[str]
    new: list[str]


@dataclass
class SemanticDiff:
    """Everything that differs between ``old`` and ``new``."""

    old: str
    new: str
    terms_added: list[Term] = field(default_factory=list)
    terms_removed: list[Term] = field(default_factory=list)
    relabelled: list[Relabel] = field(default_factory=list)
    changed: list[TermChange] = field(default_factory=list)
    graphs_added: dict[str, int] = field(default_factory=dict)
    graphs_removed: dict[str, int] = field(default_factory=dict)
    graphs_changed: list[GraphChange] = field(default_factory=list)
    #: Terms that became ``owl:deprecated``: ``ilrs:old → ilrs:new (reason)``.
    deprecated: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether the two versions say the same."""
        return not (self.graphs_added or self.graphs_removed or self.graphs_changed)

    def summary(self) -> str:
        """Counts of terms and graphs added, removed and changed."""
        terms = (
            f"terms: {len(self.terms_added)} added, {len(self.terms_removed)} removed, "
            f"{len(self.relabelled)} relabelled, {len({c.term for c in self.changed})} changed"
        )
        graphs = (
            f"graphs: {len(self.graphs_added)} added, {len(self.graphs_removed)} removed, "
            f"{len(self.graphs_changed)} changed"
        )
        return f"{terms}\n{graphs}"

    def to_text(self) -> str:
        """A review-friendly report: ``+`` added, ``-`` removed, ``~`` relabelled, ``*`` changed."""
        lines = [f"--- {self.old}", f"+++ {self.new}"]
        if self.empty:
            return "\n".join([*lines, "no differences"])
        lines += [self.summary(), ""]
        if self.deprecated:
            lines += ["deprecated (kept for old clients; use the replacement):"]
            lines += [f"! {d}" for d in self.deprecated] + [""]
        for term in self.terms_added:
            lines.append(f"+ {term.term}  {_kind(term)}")
            lines += [f"    + {s}" for s in term.statements]
        for term in self.terms_removed:
            lines.append(f"- {term.term}  {_kind(term)}")
        for relabel in self.relabelled:
            lines.append(f"~ {relabel.term}  {', '.join(relabel.old)} → {', '.join(relabel.new)}")
        for change in self.changed:
            lines.append(f"* {change.term}  in {_graph(change.graph)}")
            lines += [f"    - {s}" for s in change.removed]
            lines += [f"    + {s}" for s in change.added]
        lines += ["", "per named graph:"]
        lines += [f"+ {_graph(g)}  ({n} triples)" for g, n in self.graphs_added.items()]
        lines += [f"- {_graph(g)}  ({n} triples)" for g, n in self.graphs_removed.items()]
        lines += [f"* {_graph(c.graph)}  +{len(c.added)} -{len(c.removed)}" for c in self.graphs_changed]
        return "\n".join(lines)

    def to_json(self) -> str:
        """The whole diff as JSON (statements as ``{subject, predicate, object}``)."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


def diff_snapshots(old: Snapshot, new: Snapshot) -> SemanticDiff:
    """Compare two versions graph by graph and term by term."""
    result = SemanticDiff(old.label, new.label)
    old_statements: dict[str, set[Statement]] = {}
    new_statements: dict[str, set[Statement]] = {}
    for name in sorted(set(old.graphs) | set(new.graphs)):
        before, after = old.graphs.get(name), new.graphs.get(name)
        if before is not None and after is not None and isomorphic(before, after):
            continue
        old_statements[name] = statements(before) if before is not None else set()
        new_statements[name] = statements(after) if after is not None else set()
        if before is None:
            result.graphs_added[name] = len(after)  # type: ignore[arg-type]
        elif after is None:
            result.graphs_removed[name] = len(before)
        else:
            added, removed = _difference(before, after, old_statements[name], new_statements[name])
            result.graphs_changed.append(GraphChange(name, added, removed))
    _diff_terms(result, old, new, old_statements, new_statements)
    was, now = deprecations(_union(old)), deprecations(_union(new))
    result.deprecated = [now[t].summary() for t in sorted(set(now) - set(was))]
    return result


def statements(graph: Graph) -> set[Statement]:
    """The graph's triples as statements; blank nodes reachable from an IRI are folded into its statements."""
    referenced = {o for o in graph.objects() if isinstance(o, BNode)}
    found = set()
    for s, p, o in graph:
        if isinstance(s, BNode):
            if s not in referenced:
                found.add(Statement(ANONYMOUS, "", _render(graph, s, frozenset())))
            continue
        found.add(Statement(show(s), show(p), _render(graph, o, frozenset())))
    return found


def _difference(
    before: Graph, after: Graph, old: set[Statement], new: set[Statement]
) -> tuple[list[Statement], list[Statement]]:
    """Statements added and removed; if blank-node sharing hides the change, the canonical triples instead."""
    added, removed = sorted(new - old), sorted(old - new)
    if added or removed:
        return added, removed
    _, only_old, only_new = graph_diff(to_isomorphic(before), to_isomorphic(after))
    as_statement = lambda t: Statement(show(t[0]), show(t[1]), show(t[2]))  # noqa: E731
    return sorted(map(as_statement, only_new)), sorted(map(as_statement, only_old))


def _render(graph: Graph, node: Node, path: frozenset[Node]) -> str:
    """``node`` written out: a blank node as ``[ p o ; … ]`` or ``( … )`` for a list, recursively."""
    if not isinstance(node, BNode):
        return show(node)
    if node in path:
        return "[ … ]"  # a cycle of blank nodes: rare, and the isomorphism check still compares it exactly
    inner = path | {node}
    if (node, RDF.first, None) in graph:
        items = [_render(graph, item, inner) for item in Collection(graph, node)]
        return "( " + " ".join(items) + " )"
    pairs = sorted(
        ("a" if p == RDF.type else show(p), _render(graph, o, inner)) for p, o in graph.predicate_objects(node)
    )
    return "[ " + " ; ".join(f"{p} {o}" for p, o in pairs) + " ]" if pairs else "[]"


def _diff_terms(
    result: SemanticDiff,
    old: Snapshot,
    new: Snapshot,
    old_statements: dict[str, set[Statement]],
    new_statements: dict[str, set[Statement]],
) -> None:
    old_terms, new_terms = _described(old), _described(new)
    old_union, new_union = _union(old), _union(new)
    for iri in sorted(set(new_terms) - set(old_terms)):
        if (iri, RDF.type, None) in new_union:
            result.terms_added.append(_term(new_union, iri))
    for iri in sorted(set(old_terms) - set(new_terms)):
        if (iri, RDF.type, None) in old_union:
            result.terms_removed.append(_term(old_union, iri))
    for iri in sorted(set(old_terms) & set(new_terms)):
        before, after = _labels(old_union, iri), _labels(new_union, iri)
        if before and after and before != after:
            result.relabelled.append(Relabel(show(iri), before, after))
    shown = {t.term for t in result.terms_added + result.terms_removed}
    for name in sorted(set(old_statements) | set(new_statements)):
        added, removed = _by_subject(new_statements.get(name, set())), _by_subject(old_statements.get(name, set()))
        for subject in sorted((set(added) | set(removed)) - shown):
            plus, minus = added.get(subject, set()), removed.get(subject, set())
            if plus - minus or minus - plus:
                result.changed.append(TermChange(subject, name, sorted(plus - minus), sorted(minus - plus)))


def _described(snapshot: Snapshot) -> set[URIRef]:
    return {s for g in snapshot.graphs.values() for s in g.subjects() if isinstance(s, URIRef)}


def _union(snapshot: Snapshot) -> Graph:
    merged = Graph()
    for g in snapshot.graphs.values():
        merged += g
    return merged


def _term(graph: Graph, iri: URIRef) -> Term:
    types = sorted(show(t) for t in graph.objects(iri, RDF.type))
    said = sorted(s for s in statements(_cbd(graph, iri)) if s.subject == show(iri))
    return Term(show(iri), types, _labels(graph, iri), said)


def _cbd(graph: Graph, iri: URIRef) -> Graph:
    """The triples about ``iri`` with the blank nodes they reach (its concise bounded description)."""
    found = Graph()
    todo: list[Node] = [iri]
    seen: set[Node] = set()
    while todo:
        node = todo.pop()
        seen.add(node)
        for p, o in graph.predicate_objects(node):
            found.add((node, p, o))
            if isinstance(o, BNode) and o not in seen:
                todo.append(o)
    return found


def _labels(graph: Graph, iri: URIRef) -> list[str]:
    return sorted(show(label) for p in LABELS for label in graph.objects(iri, p))


def _by_subject(found: set[Statement]) -> dict[str, set[Statement]]:
    grouped: dict[str, set[Statement]] = defaultdict(set)
    for s in found:
        grouped[s.subject].add(s)
    return grouped


def _kind(term: Term) -> str:
    types = f"({', '.join(term.types)})" if term.types else ""
    return f"{types}  {', '.join(term.labels)}".strip()


def _graph(name: str) -> str:
    return f"<{name}>" if "://" in name else (name or "(default graph)")
