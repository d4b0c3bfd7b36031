"""rdflib views of what the store holds, and of the shapes, for the editors' tools.

``ilrs check``, ``ilrs diff``, ``ilrs docs`` and ``ilrs release`` reason over
rdflib graphs (subclass closures, isomorphism, pyLODE); the dataset itself is
always loaded by :mod:`ilrs.graph.loader` into a store first, so parse errors are
reported the same way everywhere (``file:line:col``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from .errors import ParseError, StoreError
from .namespaces import PREFIXES, SHAPES_IRI
from .store import Store, memory_store
from .validate import load_shapes

#: The key of the default graph in :func:`graphs_of` (triples loaded from a Turtle file without a graph).
DEFAULT_GRAPH = ""

#: Prefixes for display: the project's, and ``ilrsh:`` (as shapes/ writes it) for the shapes' IRIs.
DISPLAY_PREFIXES = {**PREFIXES, "ilrsh": f"{SHAPES_IRI}#"}

_LOCAL_NAME = re.compile(r"^[\w][\w\-./]*$")


@contextmanager
def quiet_rdflib() -> Iterator[None]:
    """Silence rdflib's per-literal tracebacks for ill-typed literals: ``ilrs check`` reports them itself."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.DefaultGraph | ox.Triple) -> Node:
    """The rdflib term for a pyoxigraph term (``xsd:string`` literals become plain literals, as rdflib parses them)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == str(XSD.string):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise StoreError(f"unsupported term in the dataset: {term!r}")


def graphs_of(store: Store) -> dict[str, Graph]:
    """Every graph of the store as an rdflib graph, keyed by graph IRI (:data:`DEFAULT_GRAPH` for the default)."""
    graphs: dict[str, Graph] = {}
    with quiet_rdflib():
        for quad in store.quads():
            name = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else DEFAULT_GRAPH
            graph = graphs.get(name)
            if graph is None:
                graph = graphs[name] = _new_graph()
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))  # type: ignore[arg-type]
    return graphs


def union(graphs: Iterable[Graph]) -> Graph:
    """One rdflib graph holding the triples of all ``graphs``."""
    merged = _new_graph()
    for g in graphs:
        for triple in g:
            merged.add(triple)
    return merged


def read_shapes(shapes_dir: Path) -> Graph:
    """The shapes as one graph (via :func:`ilrs.graph.validate.load_shapes`); a syntax error names ``file:line:col``."""
    try:
        with quiet_rdflib():
            shapes = load_shapes(shapes_dir)
    except Exception as err:  # rdflib raises many kinds; pyoxigraph re-parses the culprit to say where
        for path in sorted(shapes_dir.glob("*.ttl")):
            memory_store().load_file(path)  # raises ParseError "path:line:col: message"
        raise ParseError(f"{shapes_dir}: cannot read the shapes: {err}", path=str(shapes_dir)) from err
    _bind(shapes)
    return shapes


def compact(iri: str) -> str:
    """``ilrs:Agreement`` for an IRI in a known namespace (:data:`DISPLAY_PREFIXES`), else ``<iri>``."""
    best = ""
    prefix = ""
    for p, ns in DISPLAY_PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best):
            best, prefix = ns, p
    local = iri[len(best) :]
    if best and (local == "" or _LOCAL_NAME.match(local)):
        return f"{prefix}:{local}"
    return f"<{iri}>"


def show(node: Node) -> str:
    """A term as an editor reads it: a prefixed name where one is known, ``"…"@en`` / ``"…"^^xsd:…`` literals."""
    if isinstance(node, URIRef):
        return compact(str(node))
    if isinstance(node, Literal):
        text = Literal(str(node)).n3()
        if node.language:
            return f"{text}@{node.language}"
        return f"{text}^^{compact(str(node.datatype))}" if node.datatype else text
    return f"_:{node}"


def _new_graph() -> Graph:
    graph = Graph()
    _bind(graph)
    return graph


def _bind(graph: Graph) -> None:
    for p, ns in DISPLAY_PREFIXES.items():
        graph.bind(p, ns, override=True, replace=True)
