"""The store interface and its embedded implementation.

Everything that reads or writes quads goes through :class:`Store`, so that an
external SPARQL 1.1 store can later replace the embedded one. Query results are
pyoxigraph's result objects (:class:`pyoxigraph.QuerySolutions`,
:class:`pyoxigraph.QueryBoolean`, :class:`pyoxigraph.QueryTriples`); a remote
store can produce the same objects with :func:`pyoxigraph.parse_query_results`.

>>> store = OxigraphStore()
>>> store.load(b'<http://a> <http://b> "c" .', "application/n-triples", graph="http://g")
1
>>> [str(s["o"].value) for s in store.query("SELECT ?o { ?s ?p ?o }")]
['c']
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Protocol

import pyoxigraph as ox

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


class StoreError(Exception):
    """A load or query failed; the message names the problem and its position where known."""


class Store(Protocol):
    """What the rest of the project needs from a quad store."""

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        union_default_graph: bool = True,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Evaluate a SPARQL 1.1 query.

        With neither ``default_graphs`` nor ``named_graphs``, the default graph is the
        union of all named graphs (``union_default_graph``).
        """
        ...

    def load(self, data: bytes | str | IO[bytes], media_type: str, *, graph: str | None = None) -> int:
        """Add RDF data; triples go to ``graph`` (quads keep their own graph). Returns the quads added."""
        ...

    def graphs(self) -> list[str]:
        """IRIs of the named graphs, sorted."""
        ...

    def count(self, graph: str | None = None) -> int:
        """Quads in the store, or triples in one named graph."""
        ...

    def dump(self, output: IO[bytes], media_type: str, *, graph: str | None = None) -> None:
        """Write the whole dataset (a quad format) or one graph (any format) to ``output``."""
        ...

    @property
    def version(self) -> str:
        """A digest that changes whenever the data changes (for ETags and caches)."""
        ...

    @property
    def modified(self) -> float:
        """Unix time of the last change."""
        ...


def rdf_format(media_type: str) -> ox.RdfFormat:
    """The pyoxigraph format for a media type or file extension; :class:`StoreError` if unknown."""
    fmt = ox.RdfFormat.from_media_type(media_type) or ox.RdfFormat.from_extension(media_type.lstrip("."))
    if fmt is None:
        raise StoreError(f"unsupported RDF format: {media_type!r}")
    return fmt


def _strip_position(message: str) -> str:
    """pyoxigraph's message without its "Parser error at line L column C:" prefix (shown as path:L:C)."""
    return re.sub(r"^Parser error at line \d+ column \d+: ", "", message)


class OxigraphStore:
    """The embedded store: pyoxigraph, in memory or on disk at ``path``."""

    def __init__(self, path: Path | None = None) -> None:
        self._store = ox.Store(str(path)) if path else ox.Store()
        self._lock = threading.Lock()
        self._digest = hashlib.sha256(b"ilrs")
        if path and self.count():
            self._digest.update(str(self.count()).encode())
        self._version = self._digest.hexdigest()[:16]
        self._modified = time.time()

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        union_default_graph: bool = True,
        base_iri: str | None = None,
    ) -> QueryResult:
        explicit = default_graphs is not None or named_graphs is not None
        try:
            return self._store.query(
                sparql,
                base_iri=base_iri,
                use_default_graph_as_union=union_default_graph and not explicit,
                default_graph=[ox.NamedNode(g) for g in default_graphs] if default_graphs is not None else None,
                named_graphs=[ox.NamedNode(g) for g in named_graphs] if named_graphs is not None else None,
            )
        except SyntaxError as err:
            raise StoreError(str(err)) from err
        except ValueError as err:
            raise StoreError(str(err)) from err

    def load(self, data: bytes | str | IO[bytes], media_type: str, *, graph: str | None = None) -> int:
        fmt = rdf_format(media_type)
        raw = data if isinstance(data, bytes | str) else data.read()
        payload = raw.encode() if isinstance(raw, str) else raw
        target = ox.NamedNode(graph) if graph else None
        before = len(self._store)
        try:
            with self._lock:
                self._store.load(payload, format=fmt, to_graph=target if not fmt.supports_datasets else None)
                self._touch(payload, graph)
        except SyntaxError as err:
            raise StoreError(str(err)) from err
        return len(self._store) - before

    def load_file(self, path: Path, *, graph: str | None = None) -> int:
        """Add an RDF file, its format taken from the file extension."""
        try:
            data = path.read_bytes()
        except OSError as err:
            raise StoreError(f"{path}: {err.strerror}") from err
        try:
            return self.load(data, path.suffix, graph=graph)
        except StoreError as err:
            cause = err.__cause__
            line = getattr(cause, "lineno", None)
            where = f"{path}:{line}:{getattr(cause, 'offset', 0)}" if line else str(path)
            raise StoreError(f"{where}: {_strip_position(str(err))}") from err

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads built in Python (used by generators of reference data)."""
        items = list(quads)
        with self._lock:
            self._store.extend(items)
            self._touch(str(len(items)).encode(), None)

    def clear(self) -> None:
        with self._lock:
            self._store.clear()
            self._touch(b"clear", None)

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def count(self, graph: str | None = None) -> int:
        if graph is None:
            return len(self._store)
        return sum(1 for _ in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))

    def dump(self, output: IO[bytes], media_type: str, *, graph: str | None = None) -> None:
        fmt = rdf_format(media_type)
        if graph is not None:
            self._store.dump(output, format=fmt, from_graph=ox.NamedNode(graph))
        elif fmt.supports_datasets:
            self._store.dump(output, format=fmt)
        else:
            raise StoreError(f"{fmt.name} holds one graph: name the graph to export, or use TriG or N-Quads")

    def quads(self, graph: str | None = None) -> Iterable[ox.Quad]:
        """Every quad, or those of one named graph."""
        return self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph) if graph else None)

    def matching(
        self, subject: ox.NamedNode | None, predicate: ox.NamedNode | None = None, obj: ox.NamedNode | None = None
    ) -> Iterable[ox.Quad]:
        """The quads, in any graph, with this subject, predicate and object (``None``: any)."""
        return self._store.quads_for_pattern(subject, predicate, obj, None)

    @property
    def version(self) -> str:
        return self._version

    @property
    def modified(self) -> float:
        return self._modified

    def _touch(self, payload: bytes, graph: str | None) -> None:
        self._digest.update((graph or "").encode() + b"\0" + payload)
        self._version = self._digest.hexdigest()[:16]
        self._modified = time.time()
