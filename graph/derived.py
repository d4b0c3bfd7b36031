"""The two graphs the loader derives from the asserted ones, rebuilt with every load (and every write
keeps them current: :mod:`graph.writer`).

* :data:`INFERRED_GRAPH` holds what RDFS entailment adds to the data through the
  ``rdfs:subClassOf`` and ``rdfs:subPropertyOf`` axioms of the dataset (the ontology's,
  including its alignments with W3C and schema.org terms): for ``?x a C`` every
  ``?x a D`` with ``C ⊑ D``, and for ``?s p ?o`` every ``?s q ?o`` with ``p ⊑ q``. Only
  triples that no graph asserts are written, so ``?x a ilrs:Mission`` over the asserted
  graphs and this one finds every mission, whichever subclass typed it.
* :data:`MERGED_GRAPH` holds every asserted triple once, whichever and however many
  graphs state it (the store's own default graph included, the changelog not). With the
  inferred graph and the changelog it is the default graph of a query that names no dataset
  (:func:`~ilrs.graph.store.default_graph_iris`): the RDF merge of every graph, looked up in
  three graphs rather than one per source, so ``?m a ilrs:Mission`` needs no ``FROM``.

Neither is ever validated, exported as a source of facts or described as an article's:
:data:`DERIVED_GRAPHS` names them for the code that must leave them out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from .namespaces import INFERRED_GRAPH as _INFERRED
from .namespaces import MERGED_GRAPH as _MERGED
from .store import Store, is_embedded

INFERRED_GRAPH = str(_INFERRED)
MERGED_GRAPH = str(_MERGED)
#: Graphs computed from the others at load time; never edited, never validated.
DERIVED_GRAPHS = frozenset({INFERRED_GRAPH, MERGED_GRAPH})

#: What each derived graph is, for the service description, VoID and the pages.
DESCRIPTIONS = {
    INFERRED_GRAPH: (
        "Inferred types and superproperties",
        "The RDFS subclass and subproperty closure of the ontology applied to the data: the triples that "
        "rdfs:subClassOf and rdfs:subPropertyOf entail and no graph asserts. Rebuilt with every load, kept "
        "current by every write.",
    ),
    MERGED_GRAPH: (
        "All claims, merged",
        "Every triple of every other graph but the changelog, once, without its source: with the inferred graph "
        "and the changelog, the default graph of a query that names no dataset. Rebuilt with every load, kept "
        "current by every write.",
    ),
}

_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_SUB_CLASS = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
_SUB_PROPERTY = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subPropertyOf")


@dataclass(frozen=True)
class Derived:
    """How many triples each derived graph received."""

    inferred: int
    merged: int


def is_derived(graph: object) -> bool:
    """Whether ``graph`` (an IRI string or a pyoxigraph term) names a derived graph."""
    return str(getattr(graph, "value", graph)) in DERIVED_GRAPHS


def materialise(store: Store) -> Derived:
    """Write the inferred and the merged graph from the store's asserted graphs (which must not hold them yet)."""
    if is_embedded(store):
        return _materialise_in_engine(store)
    asserted = {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads() if not is_derived(q.graph_name)}
    inferred = entailed(asserted) - asserted
    quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(INFERRED_GRAPH)) for t in inferred]
    quads += [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(MERGED_GRAPH)) for t in asserted]
    add_quads = getattr(store, "add_quads", None)
    # Derived data is as new as the data it derives from: the dataset version's time stays the files'.
    if add_quads is not None:
        add_quads(quads, modified=store.modified)
    else:  # any other store, through the interface (which gives blank nodes fresh labels)
        data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
        store.load(data, "application/n-quads", modified=store.modified)
    return Derived(inferred=len(inferred), merged=len(asserted))


def _materialise_in_engine(store: Store) -> Derived:
    """:func:`materialise` on the embedded store, as SPARQL updates that the engine evaluates: a million
    triples never pass through Python. The same entailment as :func:`entailed`: first every asserted
    triple once into the merged graph; then, for each property ``p`` below ``q``, ``?s q ?o`` for every
    ``?s p ?o``; then, for each class ``C`` below ``D``, ``?x a D`` for every ``?x a C`` asserted or just
    inferred — each only if no graph asserts it (the merged graph holds what every graph asserts).

    The engine evaluates ``FILTER NOT EXISTS`` as one lookup per row and ``MINUS`` as one pass over its
    right side: a property's inferences are checked by lookup (``MINUS`` would read the whole merged graph),
    a class's against the typing triples read once (half the time of the lookups at a million triples)."""
    merged, inferred = f"<{MERGED_GRAPH}>", f"<{INFERRED_GRAPH}>"
    every = "{ GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o }"  # the named graphs and the default graph
    updates = [f"INSERT {{ GRAPH {merged} {{ ?s ?p ?o }} }} WHERE {{ {every} }}"]
    axioms = {
        ox.Triple(q.subject, q.predicate, q.object)
        for axiom in (_SUB_CLASS, _SUB_PROPERTY)
        for q in store.match(None, axiom, None, None)
        if not is_derived(q.graph_name)
    }
    properties = " ".join(f"({p} {q})" for p, above in _closure(axioms, _SUB_PROPERTY).items() for q in above)
    if properties:
        updates.append(
            f"INSERT {{ GRAPH {inferred} {{ ?s ?q ?o }} }} WHERE {{ VALUES (?p ?q) {{ {properties} }}"
            f" GRAPH {merged} {{ ?s ?p ?o }} FILTER NOT EXISTS {{ GRAPH {merged} {{ ?s ?q ?o }} }} }}"
        )
    classes = " ".join(f"({c} {d})" for c, above in _closure(axioms, _SUB_CLASS).items() for d in above)
    if classes:
        updates.append(
            f"INSERT {{ GRAPH {inferred} {{ ?x {_RDF_TYPE} ?d }} }} WHERE {{ VALUES (?c ?d) {{ {classes} }}"
            f" {{ GRAPH {merged} {{ ?x {_RDF_TYPE} ?c }} }} UNION {{ GRAPH {inferred} {{ ?x {_RDF_TYPE} ?c }} }}"
            f" MINUS {{ GRAPH {merged} {{ ?x {_RDF_TYPE} ?d }} }} }}"
        )
    # One update after the other: each reads what the one before wrote. The version's time stays the files'.
    run = store.update  # type: ignore[attr-defined]  # the embedded store's (is_embedded)
    for update in updates:
        run(update, modified=store.modified)
    return Derived(inferred=store.count(INFERRED_GRAPH), merged=store.count(MERGED_GRAPH))


def entailed(triples: set[ox.Triple]) -> set[ox.Triple]:
    """The triples that the subclass and subproperty axioms among ``triples`` entail from them (and themselves)."""
    superclasses = _closure(triples, _SUB_CLASS)
    superproperties = _closure(triples, _SUB_PROPERTY)
    out: set[ox.Triple] = set()
    for t in triples:
        for prop in (t.predicate, *superproperties.get(t.predicate, ())):
            out.add(ox.Triple(t.subject, prop, t.object))
            if prop == _RDF_TYPE and isinstance(t.object, ox.NamedNode):
                out.update(ox.Triple(t.subject, _RDF_TYPE, c) for c in superclasses.get(t.object, ()))
    return out


#: The predicates of the axioms that :func:`entailed` follows.
AXIOM_PREDICATES = (_SUB_CLASS, _SUB_PROPERTY)


def reclassified(before: set[ox.Triple], after: set[ox.Triple]) -> tuple[set[ox.NamedNode], set[ox.NamedNode]]:
    """The classes whose superclasses, and the properties whose superproperties, differ between two sets
    of axioms: the instances of those classes and the users of those properties have new inferences."""
    changed: list[set[ox.NamedNode]] = []
    for axiom in AXIOM_PREDICATES:
        old, new = _closure(before, axiom), _closure(after, axiom)
        changed.append({term for term in old.keys() | new.keys() if old.get(term, set()) != new.get(term, set())})
    return changed[0], changed[1]


def _closure(triples: Iterable[ox.Triple], axiom: ox.NamedNode) -> dict[ox.NamedNode, set[ox.NamedNode]]:
    """For each IRI, every IRI above it through ``axiom`` (transitively, itself excluded)."""
    direct: dict[ox.NamedNode, set[ox.NamedNode]] = defaultdict(set)
    for t in triples:
        # Blank-node superclasses are OWL class expressions, which RDFS does not read.
        if t.predicate == axiom and isinstance(t.subject, ox.NamedNode) and isinstance(t.object, ox.NamedNode):
            direct[t.subject].add(t.object)
    above: dict[ox.NamedNode, set[ox.NamedNode]] = {}
    for start in direct:
        seen: set[ox.NamedNode] = set()
        stack = list(direct[start])
        while stack:
            node = stack.pop()
            if node not in seen and node != start:
                seen.add(node)
                stack.extend(direct.get(node, ()))
        above[start] = seen
    return above
