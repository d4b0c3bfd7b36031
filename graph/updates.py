"""What a write changes, computed on a staged view (:mod:`ilrs.graph.staging`) without touching the store.

Two kinds of write:

* a SPARQL 1.1 Update (:func:`stage_update`), evaluated by rdflib's update engine on the staged
  view, with the dataset of the protocol (``using-graph-uri``/``using-named-graph-uri``) or of
  ``USING``/``USING NAMED``, the operations in order; ``LOAD`` only from allow-listed URLs.
  The ``WHERE`` of an update without a dataset reads the union of all graphs, as queries do,
  the inferred graph included (as the update's earlier operations leave it); templates without
  ``GRAPH`` write to the default graph.
* a Graph Store Protocol request (:func:`stage_graph`): replace (PUT), merge (POST) or delete
  (DELETE) one graph's triples.

Each returns the staged store, whose :attr:`~ilrs.graph.staging.StagedStore.delta` the writer
validates and commits.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib import Literal as RdflibLiteral
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID, ReadOnlyGraphAggregate
from rdflib.plugins.sparql import algebra
from rdflib.plugins.sparql.algebra import translatePName, translateUpdate, traverse
from rdflib.plugins.sparql.evaluate import evalPart
from rdflib.plugins.sparql.evalutils import _fillTemplate
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import QueryContext
from rdflib.plugins.sparql.update import (
    evalAdd,
    evalClear,
    evalCopy,
    evalDeleteData,
    evalDrop,
    evalInsertData,
    evalMove,
)

from .errors import (
    ForbiddenLoad,
    ForbiddenService,
    InputError,
    NotFound,
    ParameterError,
    ParseError,
    QuerySyntaxError,
)
from .staging import StagedStore, from_ox_quad, staged_dataset
from .store import Store, memory_store

#: Fetches a ``LOAD`` URL (only called for allow-listed ones): its RDF as quads in the default graph.
Fetcher = Callable[[str], list[ox.Quad]]

_SIMPLE = {
    "Clear": evalClear,
    "Drop": evalDrop,
    "Add": evalAdd,
    "Move": evalMove,
    "Copy": evalCopy,
    "InsertData": evalInsertData,
    "DeleteData": evalDeleteData,
}


def parse_update(text: str, base_iri: str | None) -> list[CompValue]:
    """The operations of a SPARQL Update; :class:`QuerySyntaxError` with the position if it does not parse."""
    try:
        operations = _translate(parseUpdate(text), base_iri)
    except Exception as err:  # pyparsing's and rdflib's errors have no common base
        raise _syntax_error(text, err) from err
    _check_data(text, operations)
    return operations


def _translate(parsed: Any, base_iri: str | None) -> list[CompValue]:
    """rdflib's algebra of a parsed update, but the triples of ``INSERT DATA`` and ``DELETE DATA`` as written.

    rdflib orders the triples of a block as it would a query's patterns, at a cost that grows with the square
    of their number (minutes for a few thousand); data has no order to find, so its blocks are set aside
    before the translation and their terms resolved (prefixed names, relative IRIs) with each operation's
    prologue after it.
    """
    held: dict[int, Any] = {}
    for index, op in enumerate(parsed.request or []):
        if op.name in ("InsertData", "DeleteData"):
            held[index] = op.quads
            op["quads"] = CompValue("Quads")
    operations = list(translateUpdate(parsed, base=base_iri).algebra)
    for index, data in held.items():
        op = operations[index]
        resolve = functools.partial(translatePName, prologue=op.prologue)
        op["triples"] = _data_triples(data.triples if data else None, resolve)
        quads: defaultdict[Any, list[tuple[Any, Any, Any]]] = defaultdict(list)
        for block in (data.quadsNotTriples if data else None) or []:
            quads[traverse(block.term, visitPost=resolve)] += _data_triples(block.triples, resolve)
        op["quads"] = quads
    return operations


def _data_triples(blocks: Any, resolve: Callable[[Any], Any]) -> list[tuple[Any, Any, Any]]:
    """The triples of a data block as the parser gives them (a flat list of terms per subject), resolved."""
    terms = [traverse(term, visitPost=resolve) for block in blocks or [] for term in block]
    if len(terms) % 3:
        raise ValueError("the data block does not hold whole triples")
    return [(terms[i], terms[i + 1], terms[i + 2]) for i in range(0, len(terms), 3)]


def _check_data(text: str, operations: list[CompValue]) -> None:
    """:class:`QuerySyntaxError` for ``INSERT DATA`` or ``DELETE DATA`` of what is not RDF (a literal
    subject), which rdflib's parser lets through; its position is pyoxigraph's."""
    for op in operations:
        if op.name not in ("InsertData", "DeleteData"):
            continue
        for s, p, _ in [*(op.triples or []), *(t for ts in (op.quads or {}).values() for t in ts)]:
            if isinstance(s, RdflibLiteral) or not isinstance(p, URIRef):
                wrong = (
                    f"the literal {s.n3()} as a subject" if isinstance(s, RdflibLiteral) else f"{p.n3()} as predicate"
                )
                located = _syntax_error(text, ValueError(wrong))
                raise QuerySyntaxError(
                    f"invalid update: {'INSERT' if op.name == 'InsertData' else 'DELETE'} DATA: {wrong} is not RDF "
                    "(a subject is an IRI or a blank node, a predicate an IRI)",
                    line=located.line,
                    column=located.column,
                )


def stage_update(
    store: Store,
    text: str,
    *,
    base_iri: str | None = None,
    using_graphs: Sequence[str] = (),
    using_named_graphs: Sequence[str] = (),
    load_allowlist: Sequence[str] = (),
    service_allowlist: Sequence[str] = (),
    fetch: Fetcher | None = None,
) -> StagedStore:
    """Evaluate the update ``text`` on a staged view of ``store``; the view's delta is what it changes.

    ``LOAD`` only reads the URLs of ``load_allowlist``, and a ``WHERE`` only calls (``SERVICE``) the
    endpoints of ``service_allowlist``, as queries do (:class:`ForbiddenLoad`, :class:`ForbiddenService`).
    """
    operations = parse_update(text, base_iri)
    protocol_dataset = bool(using_graphs or using_named_graphs)
    for op in operations:
        if op.name == "Modify" and (op.using or op.withClause) and protocol_dataset:
            raise ParameterError(
                "the update names its dataset with USING or WITH and the request with using-graph-uri or "
                "using-named-graph-uri: give it in one place"
            )
        if op.name == "Load" and str(op.iri) not in load_allowlist:
            allowed = ", ".join(load_allowlist) or "none"
            raise ForbiddenLoad(f"LOAD <{op.iri}> is not allowed: only the allow-listed URLs may be loaded ({allowed})")
        for target in _service_targets(op.get("where")):
            if not isinstance(target, URIRef) or str(target) not in service_allowlist:
                allowed = ", ".join(f"<{a}>" for a in service_allowlist) or "none"
                called = f"<{target}>" if isinstance(target, URIRef) else f"?{target}"
                raise ForbiddenService(
                    f"SERVICE {called} is not allowed: an update only calls the services on the allow-list ({allowed})"
                )
    staged = StagedStore(store)
    dataset = staged_dataset(staged)
    for op in operations:
        ctx = QueryContext(dataset, initBindings={})
        ctx.prologue = op.prologue
        try:
            _evaluate(ctx, staged, op, list(using_graphs), list(using_named_graphs), fetch)
        except InputError:
            raise
        except Exception as err:  # rdflib reports an operation's failure as a bare Exception
            if not op.silent:
                raise InputError(f"the update failed at its {op.name} operation: {err}") from err
    return staged


def _service_targets(node: Any) -> Iterator[Any]:
    """The targets (IRIs or variables) of the ``SERVICE`` patterns in an algebra tree."""
    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            yield node.term
        for value in node.values():
            yield from _service_targets(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _service_targets(value)


def _evaluate(
    ctx: QueryContext,
    staged: StagedStore,
    op: CompValue,
    using: list[str],
    using_named: list[str],
    fetch: Fetcher | None,
) -> None:
    if op.name in _SIMPLE:
        # rdflib's operations take the context's graph for DEFAULT (and INSERT DATA's triples without GRAPH):
        # the store's default graph, not the union that a WHERE reads.
        _SIMPLE[op.name](ctx.pushGraph(_default_graph(ctx.dataset)), op)
    elif op.name == "Modify":
        _modify(ctx, staged, op, using, using_named)
    elif op.name == "DeleteWhere":
        _modify(ctx, staged, _as_modify(op), [], [])
    elif op.name == "Create":
        if next(staged.match((None, None, None), op.graphiri), None) is not None and not op.silent:
            raise InputError(f"CREATE GRAPH <{op.graphiri}>: the graph already exists")
    elif op.name == "Load":
        assert fetch is not None, "LOAD needs a fetcher"
        target = op.graphiri if op.graphiri else DATASET_DEFAULT_GRAPH_ID
        graph = ctx.dataset.get_context(target)
        for quad in fetch(str(op.iri)):
            s, p, o, _ = from_ox_quad(quad)
            graph.add((s, p, o))
    else:  # pragma: no cover - the parser produces no other operation
        raise InputError(f"unsupported update operation {op.name}")


def _modify(ctx: QueryContext, staged: StagedStore, op: CompValue, using: list[str], using_named: list[str]) -> None:
    """``DELETE``/``INSERT`` … ``WHERE``, with its dataset (``USING``, the protocol's, or ``WITH``).

    rdflib's own evaluation fetches ``USING`` graphs over the network; here they name graphs of
    the staged view: the default graph is their merge, ``GRAPH ?g`` ranges over the named ones.
    """
    dataset = ctx.dataset
    defaults = [URIRef(g) for g in using] + [d.default for d in op.using or [] if d.default]
    named = [URIRef(g) for g in using_named] + [d.named for d in op.using or [] if d.named]
    where_ctx = ctx
    if defaults or named:
        # With USING NAMED alone, the default graph is empty.
        merged = ReadOnlyGraphAggregate([dataset.get_context(g) for g in defaults]) if defaults else Graph()
        where_ctx = ctx.pushGraph(merged)
        staged.visible_named = set(named)
    elif op.withClause:
        where_ctx = ctx.pushGraph(dataset.get_context(op.withClause))
    try:
        with staged.reading_inferred():  # as queries do: ?x a ilrs:Mission finds every subclass's instances
            solutions = list(evalPart(where_ctx, op.where))
    finally:
        staged.visible_named = None
    default = dataset.get_context(op.withClause) if op.withClause else _default_graph(dataset)
    for solution in solutions:
        for clause, add in ((op.delete, False), (op.insert, True)):
            if not clause:
                continue
            _apply(default, _fillTemplate(clause.triples, solution), add)
            for g, template in clause.quads.items():
                target = solution.get(g)
                if target is None:
                    continue
                _apply(dataset.get_context(target), _fillTemplate(template, solution), add)


def _default_graph(dataset: Any) -> Graph:
    """The store's default graph, as an rdflib graph over the staged view."""
    graph: Graph = dataset.get_context(DATASET_DEFAULT_GRAPH_ID)
    return graph


def _as_modify(op: CompValue) -> CompValue:
    """``DELETE WHERE { P }`` as ``DELETE { P } WHERE { P }`` (rdflib's own cannot take ``GRAPH ?g``)."""
    where = algebra.BGP(op.triples or [])
    for graph, triples in (op.quads or {}).items():
        where = algebra.Join(where, algebra.Graph(graph, algebra.BGP(triples)))
    delete = CompValue("DeleteClause", triples=op.triples or [], quads=op.quads or {})
    return CompValue("Modify", delete=delete, insert=None, where=where, using=None, withClause=None)


def _apply(graph: Graph, triples: Any, add: bool) -> None:
    for triple in triples:
        if add:
            graph.add(triple)
        else:
            graph.remove(triple)


def stage_graph(
    store: Store,
    operation: Literal["replace", "merge", "delete"],
    graph: str | None,
    quads: list[ox.Quad] | None = None,
) -> StagedStore:
    """A Graph Store Protocol write on a staged view: the triples of ``quads`` replace or join those of
    ``graph`` (``""``: the default graph), or ``delete`` removes the graph (:class:`NotFound` if empty).

    With ``graph=None`` the quads join their own graphs (a TriG or N-Quads body merged into the store).
    """
    staged = StagedStore(store)
    if graph is None:
        for quad in quads or []:
            s, p, o, g = from_ox_quad(quad)
            staged.add((s, p, o), Graph(store=staged, identifier=g))
        return staged
    target = URIRef(graph) if graph else DATASET_DEFAULT_GRAPH_ID
    context = Graph(store=staged, identifier=target)
    exists = next(staged.match((None, None, None), target), None) is not None
    if operation == "delete" and not exists:
        raise NotFound(f"no graph {graph}" if graph else "the default graph is empty")
    if operation in ("replace", "delete"):
        staged.remove((None, None, None), context)
    for quad in quads or []:
        s, p, o, _ = from_ox_quad(quad)
        staged.add((s, p, o), context)
    return staged


def parse_quads(data: bytes, media_type: str, *, base_iri: str | None = None) -> list[ox.Quad]:
    """The quads of an RDF document; :class:`~ilrs.graph.errors.ParseError` (line, column) if it does not parse.

    Parsed by pyoxigraph, so JSON-LD never fetches a remote ``@context`` (a document that names one is
    refused, saying so).
    """
    scratch = memory_store()
    try:
        scratch.load(data, media_type, base_iri=base_iri)
    except ParseError as err:
        if "LoadDocumentCallback" not in str(err):  # pyoxigraph's words for a remote context it may not load
            raise
        raise ParseError(
            "the JSON-LD names a remote @context, which this server never fetches: put the context in the document"
        ) from err
    return list(scratch.quads())


def _syntax_error(text: str, err: Exception) -> QuerySyntaxError:
    """The clearest message for an update that rdflib could not parse: pyoxigraph's, with its position.

    pyoxigraph only parses an update by running it, so it is asked on an empty scratch store, and
    not at all when the text may hold a ``LOAD`` (which it would fetch).
    """
    if not re.search(r"\bLOAD\b", text, re.IGNORECASE):
        try:
            ox.Store().update(text)
        except SyntaxError as engine:
            return QuerySyntaxError.from_engine(str(engine), prefix="invalid update: ")
        except Exception:
            pass
    line, column = getattr(err, "lineno", None), getattr(err, "col", None)
    return QuerySyntaxError(f"invalid update: {err}", line=line, column=column)
