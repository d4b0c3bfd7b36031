"""An external SPARQL 1.1 store behind the :class:`~ilrs.graph.store.Store` interface.

:class:`SparqlStore` speaks the SPARQL 1.1 Protocol (queries and updates) over HTTP, so the
server and the command line can run on an existing engine instead of the embedded pyoxigraph
store. Two engines are supported and tested:

* **Oxigraph server** (``oxigraph serve``): standard; it has no authentication, so it must only
  listen where nobody else can reach it.
* **Virtuoso Open Source 7** (``dialect="virtuoso"``), whose departures from the standard are
  worked around here:

  - a query POSTed directly (``application/sparql-query``) never gets an answer: queries are sent
    as a form POST (``application/x-www-form-urlencoded``), which every engine must accept;
  - ``INSERT DATA`` refuses blank nodes and very large requests: blank nodes are skolemised
    (RDF 1.1, section 3.5: ``…/.well-known/genid/…`` IRIs) and the data is sent in batches;
  - results are cut silently at its ``ResultSetMaxRows``: reading quads pages with
    ``LIMIT``/``OFFSET`` and checks the total against ``COUNT``; a query whose answer has exactly
    ``max_rows`` rows is refused (:class:`~ilrs.graph.errors.ResultTooLarge`) rather than
    answered cut;
  - JSON results use ``typed-literal`` and JSON-LD output drops language tags: results are asked
    for as SPARQL XML and graphs as N-Triples or Turtle, never JSON;
  - the Graph Store Protocol's ``?default`` answers 500: graphs are read and written with
    SPARQL, never with the Graph Store Protocol;
  - a query's ``FROM`` is added to the dataset the protocol gives instead of being replaced by it:
    the query is sent without its ``FROM`` clauses then;
  - a query sent with no dataset has every graph as its default graph: a query on the real default graph
    (``union_default_graph=False``) names an empty one, and the dataset's graphs as its named graphs;
  - it evaluates some queries wrongly (zero-length steps in path sequences, paths repeated by ``*``, ``+``
    or ``?``, a ``BIND`` before an ``OPTIONAL``, ``EXISTS`` in a sorted or aggregated query, ``STRLEN`` of a
    stored literal, blank-node tests on skolem IRIs, booleans returned by ``IF``/``COALESCE``):
    :mod:`graph.virtuoso_queries` rewrites each into an equivalent query it answers right, or refuses it
    (400) where none is; its computed booleans (1 or 0) are read back as booleans and a repeated solution of
    ``SELECT DISTINCT`` dropped; ``DESCRIBE`` adds the triples pointing at the resource: it asks for
    the concise bounded description;
  - a ``BASE`` after its own ``define`` lines is refused: relative IRIs are resolved before sending;
  - skolem IRIs are read back as blank nodes (and named as IRIs again in queries and updates), so the
    write path can name every node; ``DELETE DATA`` naming several graphs may leave quads in place:
    updates send one operation per graph.

  Refused with a message that says so (400): a property path with ``*``, ``+`` or ``?`` whose two ends
  are unbound variables, which it cannot evaluate; such a path inside ``GRAPH ?g`` where it answers
  wrongly; very large ``VALUES`` blocks and very long groups, which its compiler refuses.

Writes (:meth:`SparqlStore.apply`) come from the one SHACL-gated writer (:mod:`graph.writer`): one
update request on a standard engine, batches undone on failure on Virtuoso (docs/deployment.md says
what is atomic where). Any engine gets at most :data:`_MAX_OPERATORS` graph-pattern operators and
:data:`_MAX_PATTERNS` joined triple patterns per query: Oxigraph server dies of a stack overflow on a few
thousand ``BIND`` operators or about 700 triple patterns in one group.

Query results are parsed with :func:`pyoxigraph.parse_query_results`, so callers get the same
result objects as from the embedded store.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Literal

import httpx
import pyoxigraph as ox

from .errors import (
    ParameterError,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooComplex,
    ResultTooLarge,
    StoreError,
    UnsupportedWrite,
)
from .query_analysis import (
    check_operators,
    declares_dataset,
    is_describe,
    query_form,
    resolve_relative,
    without_dataset,
)
from .store import (
    CHANGELOG_GRAPH,
    VERSION_PREDICATE,
    QueryResult,
    T,
    default_graph_iris,
    load_file_into,
    parse_error,
    rdf_format,
)
from .syntax_errors import explain
from .virtuoso_queries import boolean_variables, is_distinct, rewrite, xml_results_read_back

Dialect = Literal["standard", "virtuoso"]

_RESULTS_ACCEPT = "application/sparql-results+xml"
# Virtuoso answers 406 to an Accept listing both results and graph formats: each query form asks for one.
_GRAPH_ACCEPT = "application/n-triples"
#: Graph-pattern operators a query sent may have: Oxigraph server overflows a thread's stack on a few thousand
#: BINDs, and dies (the embedded store runs queries in processes of their own, restarted if one dies).
_MAX_OPERATORS = 1000
#: Triple patterns joined one to the next (Oxigraph server's stack gives out at about 700).
_MAX_PATTERNS = 500
# Quads per INSERT DATA request: Virtuoso refuses requests much larger than this.
_BATCH = 2000
#: A graph IRI no graph has: named as the default graph, it makes that graph empty (:meth:`SparqlStore._dataset`).
_NO_GRAPH = "urn:x-ilrs:no-graph"


class SparqlStore:
    """A store reached over the SPARQL 1.1 Protocol.

    ``query_url`` answers queries, ``update_url`` (default: ``query_url``) takes updates; ``user`` and
    ``password`` authenticate both (HTTP digest for Virtuoso, basic otherwise). ``max_rows`` is the
    engine's own cap on result rows (Virtuoso's ``ResultSetMaxRows``), ``page_size`` the rows read
    per request when listing quads (below ``max_rows``), ``timeout`` the seconds one request may take.
    """

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        *,
        user: str | None = None,
        password: str | None = None,
        dialect: Dialect = "standard",
        max_rows: int | None = None,
        page_size: int = 10_000,
        timeout: float = 60.0,
        graph_prefix: str = "",
        skolem_base: str = "https://w3id.org/ilrs/.well-known/genid/",
    ) -> None:
        auth: httpx.Auth | None = None
        if user is not None:
            secret = password or ""
            auth = httpx.DigestAuth(user, secret) if dialect == "virtuoso" else httpx.BasicAuth(user, secret)
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.dialect = dialect
        self.max_rows = max_rows
        self.page_size = min(page_size, max_rows - 1) if max_rows else page_size
        self._skolem_base = skolem_base
        self._graph_prefix = graph_prefix
        self.timeout = timeout
        self._auth = auth
        self._client = httpx.Client(auth=auth, timeout=timeout)
        self._pid = os.getpid()
        #: The clients of the processes this one was forked from, kept so that their connections, which those
        #: processes still use, are never closed from here.
        self._inherited: list[httpx.Client] = []
        self._graphs: list[str] | None = None
        self._refresh()

    # -- reading --

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        union_default_graph: bool = True,
        base_iri: str | None = None,
    ) -> QueryResult:
        check_operators(sparql, _MAX_OPERATORS, _MAX_PATTERNS)
        sent = sparql
        if self.dialect == "virtuoso" and (default_graphs or named_graphs) and declares_dataset(sparql):
            # The protocol's dataset replaces the query's FROM (SPARQL 1.1 Protocol 2.1.4); Virtuoso adds both.
            sent = without_dataset(sparql)
        if base_iri and self.dialect == "virtuoso":
            sent = resolve_relative(sent, base_iri)  # it refuses a BASE after another, or after its own defines
        elif base_iri:
            # The protocol has no base parameter: a BASE in front, on the same line, means the same.
            sent = f"BASE <{base_iri}> {sent}"
        if self.dialect == "virtuoso":
            sent = _virtuoso_query(sent, self._skolem_base)
        form: list[tuple[str, str]] = [("query", sent)]
        if default_graphs is None and named_graphs is None and not declares_dataset(sparql):
            default_graphs, named_graphs = self._dataset(sparql, union_default_graph)
        form += [("default-graph-uri", g) for g in default_graphs or []]
        form += [("named-graph-uri", g) for g in named_graphs or []]
        try:
            form_name = query_form(sparql)
            accept = _GRAPH_ACCEPT if form_name == "graph" else _RESULTS_ACCEPT
            response = self._post(self.query_url, data=form, headers={"Accept": accept})
        except _Refused as refused:
            raise _syntax_error(sparql, base_iri, refused.reason) from None
        if self.dialect == "virtuoso" and form_name == "solutions":
            result = self._result(response, booleans=boolean_variables(sparql), distinct=is_distinct(sparql))
        else:
            result = self._result(response)
        if form_name == "boolean" and isinstance(result, ox.QuerySolutions):
            # Virtuoso answers ASK as one row holding 1 or 0.
            result = _boolean(any(_truthy(term) for row in result for term in row))
        return result

    def _dataset(self, sparql: str, union_default_graph: bool) -> tuple[list[str] | None, list[str] | None]:
        """The default and named graphs to send with a query that names none (``None``: the engine's own).

        The union: the default graph the embedded store has (a few graphs, not one per source). Else the real
        default graph, which the engine gives when none is named, but Virtuoso gives every graph instead: there
        the graph :data:`_NO_GRAPH` is named (the dataset's triples are all in named graphs, so the real default
        graph is empty). Had a query on the real default graph read every graph, it would match each statement
        once more per graph stating it. The named graphs are the dataset's, sent only when the query may say
        GRAPH: without them GRAPH ?g would match nothing.
        """
        if not union_default_graph and self.dialect == "standard":
            return None, None
        graphs = self.graphs()
        named = graphs if "graph" in sparql.lower() else None
        if not union_default_graph:
            return [_NO_GRAPH], named
        return default_graph_iris(set(graphs).__contains__) or graphs, named

    def graphs(self) -> list[str]:
        """The dataset's named graphs: those whose IRI starts with ``graph_prefix`` (the engine's own are left out)."""
        if self._graphs is None:
            self._refresh()
        assert self._graphs is not None
        return list(self._graphs)

    def count(self, graph: str | None = None) -> int:
        if graph is None:
            return sum(self._sizes().values())
        rows = list(self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))
        return int(rows[0]["n"].value)

    def quads(self, graph: str | None = None) -> Iterable[ox.Quad]:
        """Every quad, or those of one named graph, read one page at a time (each graph checked against COUNT)."""
        return [quad for name in ([graph] if graph else self.graphs()) for quad in self._graph_quads(name)]

    def dump(self, output: IO[bytes], media_type: str, *, graph: str | None = None) -> None:
        fmt = rdf_format(media_type)
        if graph is None and not fmt.supports_datasets:
            raise ParameterError(f"{fmt.name} holds one graph: name the graph to export, or use TriG or N-Quads")
        quads = self.quads(graph)
        if graph is not None:
            ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads], output, format=fmt)
        else:
            ox.serialize(quads, output, format=fmt)

    def match(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        object: ox.NamedNode | ox.BlankNode | ox.Literal | None,
        graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph | None,
    ) -> Iterable[ox.Quad]:
        """The quads of the dataset's graphs matching a pattern: one ``SELECT`` (paged), the store filtering.

        On a standard engine a blank node cannot be named in a query (``_:b`` is a variable there):
        a pattern holding one is matched against the graphs read page by page instead."""
        if isinstance(graph, ox.DefaultGraph | ox.BlankNode):
            return []  # the dataset's triples are all in named graphs
        pattern = (subject, predicate, object)
        if self.dialect == "standard" and any(isinstance(t, ox.BlankNode) for t in pattern):
            return [q for q in self.quads(graph.value if graph else None) if _fits(q, pattern)]
        names = ("s", "p", "o")
        terms = [f"?{n}" if t is None else str(self._sent(t)) for n, t in zip(names, pattern, strict=True)]
        # A bound variable, so that a pattern without variables gets a row when it matches (Virtuoso gives none).
        where = f"GRAPH {'?g' if graph is None else str(graph)} {{ {' '.join(terms)} }} BIND(1 AS ?found)"
        if graph is None and self._graph_prefix:
            where += f' FILTER(STRSTARTS(STR(?g), "{self._graph_prefix}"))'
        found: dict[ox.Quad, None] = {}
        offset = 0
        while True:
            page = list(self._select(f"SELECT * WHERE {{ {where} }} LIMIT {self.page_size} OFFSET {offset}"))
            for row in page:
                s, p, o = (row[n] if t is None else t for n, t in zip(names, pattern, strict=True))
                g = row["g"] if graph is None else graph
                found[ox.Quad(s, p, o, g)] = None  # type: ignore[arg-type]
            offset += len(page)
            if len(page) < self.page_size:
                return list(found)

    def apply(self, removed: list[ox.Quad], added: list[ox.Quad], version: str) -> None:
        """Remove ``removed`` and add ``added``, then call the dataset ``version``.

        On a standard engine (Oxigraph server) this is one update request, ``DELETE DATA`` then
        ``INSERT DATA``, which the engine applies as one transaction. On Virtuoso the quads go in
        batches, each its own request: readers may see a write in part while it lands, and if a
        batch is refused the batches already applied are undone before :class:`StoreError` is raised.

        A stored blank node cannot be named in an update on a standard engine (Virtuoso holds them as
        IRIs, :meth:`load`): a write that removes a statement about one, or adds to one, is refused
        (:class:`~ilrs.graph.errors.UnsupportedWrite`) before anything is sent.
        """
        if self.dialect == "virtuoso":
            removed = [self._skolem_quad(q) for q in removed]
            added = [self._skolem_quad(q) for q in added]
            steps = [("DELETE", b) for b in _batches(removed)] + [("INSERT", b) for b in _batches(added)]
        else:
            self._check_blank_nodes(removed, added)
            steps = [("DELETE", removed), ("INSERT", added)]
        done: list[tuple[str, list[ox.Quad]]] = []
        try:
            if self.dialect == "virtuoso":
                for verb, batch in steps:
                    self.update(_data(verb, batch, per_graph=True))
                    done.append((verb, batch))
            else:
                self.update(" ;\n".join(_data(verb, b, per_graph=False) for verb, b in steps if b))
        except StoreError:
            for verb, batch in reversed(done):  # undo, newest first
                self.update(_data("INSERT" if verb == "DELETE" else "DELETE", batch, per_graph=True))
            self._refresh()
            raise
        self._refresh()  # the version comes back from the changelog graph, where the write recorded it
        if self._version != version:
            raise StoreError(f"the SPARQL store holds version {self._version} after the write of {version}")

    def _check_blank_nodes(self, removed: list[ox.Quad], added: list[ox.Quad]) -> None:
        """:class:`UnsupportedWrite` if the write must name a stored blank node (see :meth:`apply`)."""
        if any(_blank_nodes(q) for q in removed):
            raise UnsupportedWrite(
                "the write removes a statement about a blank node, which the external SPARQL store cannot "
                "name in an update: give the node an IRI, or write it on the embedded store"
            )
        new = {b for q in added for b in _blank_nodes(q)}
        if new and any(b in new for q in self.quads() for b in _blank_nodes(q)):
            raise UnsupportedWrite(
                "the write adds a statement about a blank node the store already holds, which the external "
                "SPARQL store cannot name in an update: give the node an IRI, or write it on the embedded store"
            )

    def dump_snapshot(self, output: IO[bytes]) -> str:
        """The whole dataset as N-Quads, and the version it was read at."""
        version = self._version
        ox.serialize(self.quads(), output, format=ox.RdfFormat.N_QUADS)
        return version

    def consistent(self, read: Callable[[], T]) -> T:
        """``read()``: the writes through this server are serialised, and an engine's own isolation is not
        visible over the protocol, so there is nothing to wait for."""
        return read()

    @property
    def version(self) -> str:
        return self._version

    @property
    def modified(self) -> float:
        return self._modified

    # -- writing --

    def load(
        self,
        data: bytes | str | IO[bytes],
        media_type: str,
        *,
        graph: str | None = None,
        base_iri: str | None = None,
        modified: float | None = None,
    ) -> int:
        fmt = rdf_format(media_type)
        raw = data if isinstance(data, bytes | str) else data.read()
        payload = raw.encode() if isinstance(raw, str) else raw
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        try:
            parsed = list(ox.parse(payload, format=fmt, base_iri=base_iri))
        except SyntaxError as err:
            raise parse_error(err) from err
        if not fmt.supports_datasets:
            parsed = [ox.Quad(q.subject, q.predicate, q.object, target) for q in parsed]
        self.add_quads(parsed)
        return len(parsed)

    def load_file(self, path: Path, *, graph: str | None = None, on_read: Callable[[int], None] | None = None) -> int:
        return load_file_into(self, path, graph=graph, on_read=on_read)

    def add_quads(self, quads: Iterable[ox.Quad], *, modified: float | None = None) -> None:
        """Add quads with ``INSERT DATA``: one request on a standard engine, batches of skolemised quads on Virtuoso.

        ``modified`` is accepted for the embedded store's signature; the external store keeps no data time."""
        items = list(quads)
        # Blank node labels are scoped to one request: on a standard engine the quads go together.
        batches = _batches(self._skolemise(items)) if self.dialect == "virtuoso" else [items]
        for batch in batches:
            if batch:
                self.update(_data("INSERT", batch, per_graph=self.dialect == "virtuoso"))
        self._refresh()

    def clear(self) -> None:
        """Remove every quad of the dataset's graphs (an engine's own graphs, such as Virtuoso's, stay)."""
        for graph in self.graphs():
            self.update(f"DROP SILENT GRAPH <{graph}>")
        self._refresh()

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update (form POST, as every engine accepts); :class:`StoreError` if refused."""
        self._post(self.update_url, data=[("update", sparql)], headers={})

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http().close()

    # -- internals --

    def _http(self) -> httpx.Client:
        """This process's HTTP client. A process forked from the one that made it (``ilrs serve --workers``) makes
        its own: with the parent's open connections, two processes would send requests on one socket and each
        read the other's answers."""
        if self._pid != os.getpid():
            self._inherited.append(self._client)
            self._client = httpx.Client(auth=self._auth, timeout=self.timeout)
            self._pid = os.getpid()
        return self._client

    def _post(self, url: str, *, data: list[tuple[str, str]], headers: dict[str, str]) -> httpx.Response:
        """POST a form; :class:`_Refused` if a query is refused as malformed, :class:`StoreError` for any other
        refusal, :class:`QueryTimeout` past the timeout."""
        try:
            response = self._http().post(url, data=dict_list(data), headers=headers)
        except httpx.TimeoutException as err:
            raise QueryTimeout(
                f"the SPARQL store at {url} did not answer within {self.timeout:g} s", seconds=self.timeout
            ) from err
        except httpx.HTTPError as err:
            raise StoreError(f"the SPARQL store at {url} cannot be reached: {err}") from err
        if response.status_code == 400 and data[0][0] == "query":
            raise _Refused(response.text.strip())
        if self.dialect == "virtuoso" and ("transitive start not given" in response.text or "TR..." in response.text):
            raise QueryRefused(
                "the SPARQL store (Virtuoso) cannot evaluate a property path with *, + or ? whose two ends are "
                "unbound variables: bind one end with another pattern, or name a resource at one end"
            )
        if self.dialect == "virtuoso" and "SQ200" in response.text:  # "Expression recursion is too deep"
            raise QueryTooComplex(
                "the query is nested or chained too deeply for the SPARQL store (Virtuoso: expression recursion "
                "too deep): split it, or use fewer patterns in one group"
            )
        if self.dialect == "virtuoso" and "SR478" in response.text:  # "Value of ANY type column too long"
            raise QueryRefused(
                "a term of the query or of its answer is longer than the SPARQL store (Virtuoso) holds in one "
                "value: shorten the literal"
            )
        if response.status_code >= 400:
            raise StoreError(
                f"the SPARQL store at {url} answered {response.status_code}: {response.text.strip()[:500]}"
            )
        return response

    def _result(
        self, response: httpx.Response, *, booleans: frozenset[str] = frozenset(), distinct: bool = False
    ) -> QueryResult:
        """The answer in ``response``; on Virtuoso with the skolem IRIs as blank nodes again, the variables
        ``booleans`` (bound to boolean-valued expressions) as booleans, and, if ``distinct``, each solution once."""
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        body = response.content
        if self.dialect == "virtuoso":
            body = self._deskolemise(body, media_type)
            if "sparql-results+xml" in media_type:
                body = xml_results_read_back(body, booleans, distinct=distinct)
        if "sparql-results" in media_type:
            result = ox.parse_query_results(body, format=ox.QueryResultsFormat.from_media_type(media_type))
            if isinstance(result, ox.QuerySolutions) and self.max_rows is not None:
                rows = sum(1 for _ in result)
                if rows >= self.max_rows:
                    raise ResultTooLarge(
                        f"the store cuts answers at {self.max_rows} rows and this one reached it: "
                        "narrow the query or page through it with LIMIT and OFFSET"
                    )
                result = ox.parse_query_results(body, format=ox.QueryResultsFormat.from_media_type(media_type))
            return result
        fmt = ox.RdfFormat.from_media_type(media_type)
        if fmt is None:
            raise StoreError(f"the SPARQL store answered in {media_type!r}, neither query results nor RDF")
        # pyoxigraph builds QueryTriples only from a query: answer a CONSTRUCT over the graph received.
        # Parsed, then added: a load would rename the blank nodes, and the same answer would differ each time.
        scratch = ox.Store()
        scratch.extend(ox.parse(body, format=fmt))
        return scratch.query("CONSTRUCT WHERE { ?s ?p ?o }")

    def _select(self, sparql: str) -> ox.QuerySolutions:
        try:
            response = self._post(self.query_url, data=[("query", sparql)], headers={"Accept": _RESULTS_ACCEPT})
        except _Refused as refused:  # the project's own queries are well-formed: the store failed
            raise StoreError(f"the SPARQL store refused a query: {refused.reason[:500]}") from None
        result = self._result(response)
        assert isinstance(result, ox.QuerySolutions)
        return result

    def _graph_quads(self, graph: str) -> list[ox.Quad]:
        """The triples of ``graph`` as quads, a page at a time; :class:`StoreError` if they do not add up to COUNT.

        Pages are ordered on a standard engine; Virtuoso refuses to sort past its MaxSortedTopRows, so
        there they come unordered and are told apart as a set (a graph holds each triple once).
        """
        expected = self.count(graph)
        name = ox.NamedNode(graph)
        order = "" if self.dialect == "virtuoso" else "ORDER BY ?s ?p ?o "
        found: dict[ox.Quad, None] = {}
        offset = 0
        while True:
            page = list(
                self._select(
                    f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} "
                    f"{order}LIMIT {self.page_size} OFFSET {offset}"
                )
            )
            found.update((ox.Quad(row["s"], row["p"], row["o"], name), None) for row in page)  # type: ignore[arg-type]
            offset += len(page)
            if len(page) < self.page_size:
                break
        if len(found) != expected:
            raise StoreError(
                f"the SPARQL store gave {len(found)} of the {expected} triples of <{graph}>: it cut its answers"
            )
        return sorted(found, key=str)  # unordered pages on Virtuoso: the same graph reads the same each time

    def _sizes(self) -> dict[str, int]:
        """Triples in each of the dataset's graphs (those under ``graph_prefix``)."""
        rows = self._select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        return {
            r["g"].value: int(r["n"].value)
            for r in rows
            if isinstance(r["g"], ox.NamedNode) and r["g"].value.startswith(self._graph_prefix)
        }

    def _skolemise(self, quads: list[ox.Quad]) -> list[ox.Quad]:
        """Blank nodes as fresh ``.well-known/genid`` IRIs, one per label (Virtuoso's INSERT DATA refuses them)."""
        prefix = f"{self._skolem_base}{uuid.uuid4().hex}-"

        def term(t):  # type: ignore[no-untyped-def]
            return ox.NamedNode(prefix + t.value) if isinstance(t, ox.BlankNode) else t

        return [ox.Quad(term(q.subject), q.predicate, term(q.object), term(q.graph_name)) for q in quads]

    def _skolem_quad(self, quad: ox.Quad) -> ox.Quad:
        """``quad`` with each blank node as the IRI Virtuoso holds it by (the reverse of :meth:`_deskolemise`)."""
        s, o, g = (self._sent(t) for t in (quad.subject, quad.object, quad.graph_name))
        return ox.Quad(s, quad.predicate, o, g)  # type: ignore[arg-type]

    def _sent(self, term: T) -> T:
        """A term as written in a query to this store: a blank node read from Virtuoso is its skolem IRI."""
        if isinstance(term, ox.BlankNode) and self.dialect == "virtuoso":
            return ox.NamedNode(self._skolem_base + term.value)  # type: ignore[return-value]
        return term

    def _deskolemise(self, body: bytes, media_type: str) -> bytes:
        """Virtuoso's answer with the skolem IRIs it holds for blank nodes (:meth:`load`) as blank nodes again,
        their labels the IRIs' last segments: answers read as from the embedded store, and :meth:`_sent`
        turns the labels back into the IRIs."""
        base = re.escape(self._skolem_base.encode())
        if "sparql-results+xml" in media_type:
            return re.sub(rb"<uri>" + base + rb"([^<]+)</uri>", rb"<bnode>\1</bnode>", body)
        return re.sub(rb"<" + base + rb"([^>]+)>", rb"_:\1", body)

    def _refresh(self) -> None:
        """Read the graphs and their sizes again. The version is the one the last write committed
        (recorded in the changelog graph), else the graphs' digest: it changes when data is loaded."""
        sizes = self._sizes()
        self._graphs = sorted(sizes)
        digest = hashlib.sha256(self.query_url.encode())
        for graph in self._graphs:
            digest.update(f"{graph}\0{sizes[graph]}\0".encode())
        committed = None
        if CHANGELOG_GRAPH in sizes:
            head = f"<{CHANGELOG_GRAPH}>"
            rows = self._select(f"SELECT ?v WHERE {{ GRAPH {head} {{ {head} <{VERSION_PREDICATE}> ?v }} }}")
            committed = next((str(row["v"].value) for row in rows), None)
        self._version = committed or digest.hexdigest()[:16]
        self._modified = time.time()


def _virtuoso_query(sparql: str, skolem_base: str) -> str:
    """``sparql`` as Virtuoso answers it as the standard says (:func:`graph.virtuoso_queries.rewrite`); its
    ``DESCRIBE`` also returns the triples pointing at the resource, so a pragma asks for the concise bounded
    description, which the embedded store gives."""
    sent = rewrite(sparql, skolem_base)
    if is_describe(sparql):
        sent = f'define sql:describe-mode "CBD" {sent}'
    return sent


def _batches(quads: list[ox.Quad]) -> list[list[ox.Quad]]:
    """Quads in batches of :data:`_BATCH`, the most one Virtuoso request takes."""
    return [quads[i : i + _BATCH] for i in range(0, len(quads), _BATCH)]


def _blank_nodes(quad: ox.Quad) -> list[ox.BlankNode]:
    return [t for t in (quad.subject, quad.object, quad.graph_name) if isinstance(t, ox.BlankNode)]


def _fits(quad: ox.Quad, pattern: tuple[object, object, object]) -> bool:
    return all(t is None or t == q for t, q in zip(pattern, (quad.subject, quad.predicate, quad.object), strict=True))


def _truthy(term: object) -> bool:
    return isinstance(term, ox.Literal) and term.value in ("1", "true")


def _boolean(value: bool) -> ox.QueryBoolean:
    """A :class:`pyoxigraph.QueryBoolean` (it has no constructor: parsed from its SPARQL JSON form)."""
    answer = ox.parse_query_results(
        f'{{"head": {{}}, "boolean": {"true" if value else "false"}}}'.encode(), format=ox.QueryResultsFormat.JSON
    )
    assert isinstance(answer, ox.QueryBoolean)
    return answer


class _Refused(Exception):
    """The store refused a query as malformed (400); ``reason`` is its message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _syntax_error(sparql: str, base_iri: str | None, reason: str) -> QuerySyntaxError:
    """The error for a query the store refused: the embedded engine's explained message (the same as on the
    embedded store, with the position in the text as sent) if it finds the query malformed too, else the store's."""
    try:
        ox.Store().query(sparql, base_iri=base_iri)  # an empty store: a well-formed query costs nothing
    except SyntaxError as err:
        return QuerySyntaxError.from_engine(explain(str(err), sparql))
    except (ValueError, OSError):
        pass
    return QuerySyntaxError(f"the SPARQL store refused the query: {reason[:500]}")


def dict_list(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form fields as httpx takes repeated ones: each name and its values in order."""
    fields: dict[str, list[str]] = {}
    for key, value in pairs:
        fields.setdefault(key, []).append(value)
    return fields


def _data(verb: str, quads: list[ox.Quad], *, per_graph: bool) -> str:
    """``INSERT DATA`` or ``DELETE DATA`` (``verb``) of ``quads``: one operation, or (``per_graph``) one operation
    per graph with ``;`` between them.

    One operation keeps a blank node's label one node across graphs (a label is scoped to its operation);
    one per graph is for Virtuoso, whose ``DELETE DATA`` may leave quads in place when it names several graphs
    (it holds no blank nodes: :meth:`SparqlStore.load`).
    """
    by_graph: dict[str, list[ox.Triple]] = {}
    for q in quads:
        key = "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)
        by_graph.setdefault(key, []).append(ox.Triple(q.subject, q.predicate, q.object))
    blocks = []
    for graph, triples in by_graph.items():
        out = io.BytesIO()
        ox.serialize(triples, out, format=ox.RdfFormat.N_TRIPLES)
        text = out.getvalue().decode()
        blocks.append(f"GRAPH {graph} {{\n{text}}}" if graph else text)
    if per_graph:
        return " ;\n".join(f"{verb} DATA {{ {block} }}" for block in blocks)
    return f"{verb} DATA {{ {chr(10).join(blocks)} }}"
