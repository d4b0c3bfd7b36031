"""A staged view of the store: the store as it would be after a write, without touching it.

:class:`StagedStore` is an rdflib store that reads through to the dataset's
:class:`~ilrs.graph.store.Store` and keeps what a write adds and removes to the side, in
:class:`Delta`. rdflib's SPARQL Update engine runs on it (:mod:`ilrs.graph.updates`), the
validation reads it (:func:`ilrs.graph.validate.validate_change`), and only the delta is
committed: the cost of a write follows what it touches, not the size of the graph.

The changelog graph and the derived graphs (inferred, merged) are not part of the view: an update
never clears or writes them, and the writer updates the derived graphs with each commit. The
inferred graph can be read, as queries read it, within :meth:`StagedStore.reading_inferred`
(an update's ``WHERE``): it is then the inferred graph as the staged write makes it
(:meth:`StagedStore.inferred_change`), in the union default graph and as ``GRAPH <…/graph/inferred>``
(``GRAPH ?g`` ranges over the asserted graphs only).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID, Dataset
from rdflib.namespace import RDF
from rdflib.store import Store as RdflibStore
from rdflib.term import Node

from .derived import AXIOM_PREDICATES, DERIVED_GRAPHS, INFERRED_GRAPH, entailed, reclassified
from .store import CHANGELOG_GRAPH, Store

#: Graphs invisible to updates (``CLEAR ALL`` leaves them) and never written by them: the server's own
#: record of the writes, and the graphs derived from the asserted ones, which the writer keeps up to date.
HIDDEN = frozenset({URIRef(CHANGELOG_GRAPH), *(URIRef(g) for g in DERIVED_GRAPHS)})
INFERRED = URIRef(INFERRED_GRAPH)

#: A quad as rdflib terms; the graph is a named graph's IRI or :data:`DATASET_DEFAULT_GRAPH_ID`.
RQuad = tuple[Node, Node, Node, URIRef | BNode]
Pattern = tuple[Node | None, Node | None, Node | None]


@dataclass
class Delta:
    """What a write changes: quads it adds (absent before) and removes (present before)."""

    added: set[RQuad] = field(default_factory=set)
    removed: set[RQuad] = field(default_factory=set)

    def graphs(self) -> set[str]:
        """The graphs the write changes (the default graph as ``""``)."""
        return {"" if q[3] == DATASET_DEFAULT_GRAPH_ID else str(q[3]) for q in self.added | self.removed}

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


class QuadIndex:
    """Quads by subject and by object, so that a pattern with either bound is matched against its own quads,
    not against every quad a large write adds (which would make the write's cost grow with its square)."""

    def __init__(self, quads: Iterable[RQuad] = ()) -> None:
        self._by_subject: defaultdict[Node, set[RQuad]] = defaultdict(set)
        self._by_object: defaultdict[Node, set[RQuad]] = defaultdict(set)
        for quad in quads:
            self.add(quad)

    def add(self, quad: RQuad) -> None:
        self._by_subject[quad[0]].add(quad)
        self._by_object[quad[2]].add(quad)

    def discard(self, quad: RQuad) -> None:
        self._by_subject.get(quad[0], set()).discard(quad)
        self._by_object.get(quad[2], set()).discard(quad)

    def candidates(self, quads: set[RQuad], pattern: Pattern) -> list[RQuad]:
        """The quads of ``quads`` (which this indexes) that may match ``pattern``; a copy, so the caller may
        change ``quads`` while it goes through them."""
        s, _, o = pattern
        if s is not None:
            return list(self._by_subject.get(s, ()))
        if o is not None:
            return list(self._by_object.get(o, ()))
        return list(quads)


# --- terms: pyoxigraph <-> rdflib --------------------------------------------------------------------


def to_rdflib(term: Any) -> Node:
    """A pyoxigraph term as rdflib's (literals keep their lexical form: no normalization)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language, normalize=False)
        return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)
    if isinstance(term, ox.DefaultGraph):
        return DATASET_DEFAULT_GRAPH_ID
    raise TypeError(f"unsupported term {term!r}")


def to_ox(term: Node) -> Any:
    """An rdflib term as pyoxigraph's; :data:`DATASET_DEFAULT_GRAPH_ID` is the default graph."""
    if term == DATASET_DEFAULT_GRAPH_ID:
        return ox.DefaultGraph()
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(_bnode_id(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


def _bnode_id(node: BNode) -> str:
    """A blank node id pyoxigraph accepts (rdflib's ids are alphanumeric, but a parser may keep any label)."""
    value = str(node)
    return value if value.isalnum() else "b" + value.encode().hex()


def to_ox_quad(quad: RQuad) -> ox.Quad:
    return ox.Quad(to_ox(quad[0]), to_ox(quad[1]), to_ox(quad[2]), to_ox(quad[3]))


def from_ox_quad(quad: ox.Quad) -> RQuad:
    graph = to_rdflib(quad.graph_name)
    assert isinstance(graph, URIRef | BNode)
    return to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object), graph


# --- the staged store ----------------------------------------------------------------------------------


class StagedStore(RdflibStore):  # type: ignore[misc]
    """An rdflib store over ``base`` whose changes go to :attr:`delta` (see the module documentation).

    ``visible_named`` restricts the named graphs that ``GRAPH ?g`` ranges over (``USING NAMED``).
    """

    context_aware = True
    graph_aware = True
    formula_aware = False
    transaction_aware = False

    def __init__(self, base: Store) -> None:
        super().__init__()
        self.base = base
        self.delta = Delta()
        #: The named graphs the write adds to or removes from, whether or not that changes them (a write
        #: naming a graph no write may change is refused even when it would change nothing).
        self.targets: set[str] = set()
        self.visible_named: set[Node] | None = None
        self._namespaces: dict[str, URIRef] = {}
        #: The staged inferred graph's difference from the store's, while :meth:`reading_inferred`.
        self._inferred: Delta | None = None
        #: :attr:`delta`'s added quads and the staged inferred graph's, indexed (see :class:`QuadIndex`).
        self._added = QuadIndex()
        self._inferred_added = QuadIndex()

    # -- reading

    def match(self, pattern: Pattern, graph: Node | None) -> Iterator[RQuad]:
        """The quads of the staged state matching ``pattern`` in ``graph`` (``None``: every graph)."""
        s, p, o = pattern
        inferred = self._inferred
        if graph in HIDDEN and not (inferred is not None and graph == INFERRED):
            return
        try:
            oxs, oxp, oxo = (None if t is None else to_ox(t) for t in (s, p, o))
            oxg = None if graph is None else to_ox(graph)
        except (TypeError, ValueError):  # a term the store cannot hold (a literal subject): no match
            return
        for stored in self.base.match(oxs, oxp, oxo, oxg):
            found = from_ox_quad(stored)
            if found[3] == INFERRED and inferred is not None:
                if found not in inferred.removed:
                    yield found
            elif found not in self.delta.removed and found[3] not in HIDDEN:
                yield found
        for quad in self._added.candidates(self.delta.added, pattern):
            if _matches(quad, pattern, graph):
                yield quad
        if inferred is not None:
            for quad in self._inferred_added.candidates(inferred.added, pattern):
                if _matches(quad, pattern, graph):
                    yield quad

    @contextmanager
    def reading_inferred(self) -> Iterator[None]:
        """Within this block the view holds the inferred graph as the staged write makes it (read only)."""
        self._inferred = self.inferred_change()
        self._inferred_added = QuadIndex(self._inferred.added)
        try:
            yield
        finally:
            self._inferred = None
            self._inferred_added = QuadIndex()

    def inferred_change(self) -> Delta:
        """What the inferred graph loses and gains with the staged write.

        A resource's inferred triples follow from its own statements and the subclass and subproperty
        axioms, so they are recomputed for the subjects the write changed and, when it changes the
        axioms, for the instances of every class (and the users of every property) whose superclasses
        (superproperties) it changes.
        """
        before = self._axioms(staged=False)
        touches_axioms = any(q[1] in _AXIOMS for q in self.delta.added | self.delta.removed)
        after = self._axioms(staged=True) if touches_axioms else before
        subjects = {q[0] for q in self.delta.added | self.delta.removed}
        if before != after:
            classes, properties = reclassified(before, after)
            for term in classes:
                subjects |= {q[0] for q in self.match((None, RDF.type, URIRef(term.value)), None)}
            for term in properties:
                subjects |= {q[0] for q in self.match((None, URIRef(term.value), None), None)}
        change = Delta()
        graph = ox.NamedNode(INFERRED_GRAPH)
        own: dict[ox.NamedNode | ox.BlankNode, set[ox.Triple]] = {}
        for subject in subjects:
            node = to_ox(subject)
            own[node] = {ox.Triple(*(to_ox(t) for t in q[:3])) for q in self.match((subject, None, None), None)}
        # Entailment keeps each triple's subject, and the subjects' own axioms are among ``after``: entailed
        # once for all of them, it is what it is for each alone (without the closures computed per subject).
        inferred: defaultdict[ox.NamedNode | ox.BlankNode, set[ox.Triple]] = defaultdict(set)
        for triple in entailed(set().union(*own.values()) | after):
            if isinstance(triple.subject, ox.NamedNode | ox.BlankNode) and triple.subject in own:
                inferred[triple.subject].add(triple)
        for node, stated in own.items():
            should = inferred[node] - stated
            current = {ox.Triple(q.subject, q.predicate, q.object) for q in self.base.match(node, None, None, graph)}
            change.added |= {from_ox_quad(ox.Quad(t.subject, t.predicate, t.object, graph)) for t in should - current}
            change.removed |= {from_ox_quad(ox.Quad(t.subject, t.predicate, t.object, graph)) for t in current - should}
        return change

    def _axioms(self, *, staged: bool) -> set[ox.Triple]:
        """The subclass and subproperty axioms of the asserted graphs, before the write or with it."""
        found = set()
        for predicate in AXIOM_PREDICATES:
            if staged:
                quads = (to_ox_quad(q) for q in self.match((None, URIRef(predicate.value), None), None))
            else:
                quads = (q for q in self.base.match(None, predicate, None, None) if not _hidden(q.graph_name))
            found |= {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
        return found

    def contains(self, quad: RQuad) -> bool:
        return next(self.match(quad[:3], quad[3]), None) is not None

    def triples(  # type: ignore[override]
        self, triple_pattern: Pattern, context: Graph | None = None
    ) -> Iterator[tuple[tuple[Node, Node, Node], Iterator[Graph]]]:
        graph = None if context is None else context.identifier
        for s, p, o, g in self.match(triple_pattern, graph):
            yield (s, p, o), iter([Graph(store=self, identifier=g)])

    def __len__(self, context: Graph | None = None) -> int:
        return sum(1 for _ in self.match((None, None, None), None if context is None else context.identifier))

    def contexts(self, triple: Any = None) -> Iterator[Graph]:  # type: ignore[override]
        names: set[Node] = {to_rdflib(g) for g in _named_graphs(self.base)}
        names |= {q[3] for q in self.delta.added}
        names.add(DATASET_DEFAULT_GRAPH_ID)
        names -= HIDDEN  # GRAPH ?g ranges over the asserted graphs only, so DELETE … GRAPH ?g never hits a derived one
        if self._inferred is not None and self.visible_named is not None and INFERRED in self.visible_named:
            names.add(INFERRED)  # unless the update names it (USING NAMED)
        for name in sorted(names, key=str):
            if name != DATASET_DEFAULT_GRAPH_ID and self.visible_named is not None and name not in self.visible_named:
                continue
            pattern = triple if triple is not None else (None, None, None)
            if next(self.match(pattern, name), None) is not None:
                yield Graph(store=self, identifier=name)  # type: ignore[arg-type]

    # -- writing (to the delta only)

    def add(self, triple: tuple[Node, Node, Node], context: Graph, quoted: bool = False) -> None:
        graph = context.identifier if context is not None else DATASET_DEFAULT_GRAPH_ID
        self._target(graph)
        quad: RQuad = (*triple, graph)  # type: ignore[assignment]
        if isinstance(quad[0], Literal) or not isinstance(quad[1], URIRef):
            return  # not RDF (a template filled with a literal subject): SPARQL Update skips it
        if quad in self.delta.removed:
            self.delta.removed.discard(quad)
        elif not self.contains(quad):
            self.delta.added.add(quad)
            self._added.add(quad)

    def remove(self, triple: Pattern, context: Graph | None = None) -> None:
        graph = None if context is None else context.identifier
        self._target(graph)
        for quad in list(self.match(triple, graph)):
            if quad in self.delta.added:
                self.delta.added.discard(quad)
                self._added.discard(quad)
            else:
                self.delta.removed.add(quad)

    def _target(self, graph: Node | None) -> None:
        if isinstance(graph, URIRef):
            self.targets.add(str(graph))

    def add_graph(self, graph: Graph) -> None:
        """Graphs exist while they hold triples: creating one is a no-op."""

    def remove_graph(self, graph: Graph) -> None:
        self.remove((None, None, None), graph)

    # -- namespaces (rdflib asks for them; the staged view keeps them for its own life only)

    def bind(self, prefix: str, namespace: URIRef, override: bool = True) -> None:
        if override or prefix not in self._namespaces:
            self._namespaces[prefix] = namespace

    def namespace(self, prefix: str) -> URIRef | None:
        return self._namespaces.get(prefix)

    def prefix(self, namespace: URIRef) -> str | None:
        return next((p for p, n in self._namespaces.items() if n == namespace), None)

    def namespaces(self) -> Iterator[tuple[str, URIRef]]:
        yield from self._namespaces.items()


def staged_dataset(store: StagedStore) -> Dataset:
    """An rdflib dataset over ``store`` whose default graph, for reading, is the union of all graphs."""
    return Dataset(store=store, default_union=True)


def _named_graphs(store: Store) -> Iterable[ox.NamedNode]:
    return (ox.NamedNode(g) for g in store.graphs())


_AXIOMS = frozenset(URIRef(p.value) for p in AXIOM_PREDICATES)


def _hidden(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> bool:
    return isinstance(graph, ox.NamedNode) and URIRef(graph.value) in HIDDEN


def _matches(quad: RQuad, pattern: Pattern, graph: Node | None) -> bool:
    return all(t is None or t == q for t, q in zip(pattern, quad[:3], strict=True)) and (
        graph is None or graph == quad[3]
    )
