"""The store interface and its embedded implementation.

Everything that reads or writes quads goes through :class:`Store`, so that an
external SPARQL 1.1 store can later replace the embedded one: code outside this
module names only :class:`Store`, and gets a store from :func:`open_store` (the
dataset's store, as the settings say) or :func:`memory_store` (a scratch store to
parse files into). Query results are pyoxigraph's result objects
(:class:`pyoxigraph.QuerySolutions`, :class:`pyoxigraph.QueryBoolean`,
:class:`pyoxigraph.QueryTriples`); a remote store can produce the same objects
with :func:`pyoxigraph.parse_query_results`.

>>> store = memory_store()
>>> store.load(b'<http://a> <http://b> "c" .', "application/n-triples", graph="http://g")
1
>>> [str(s["o"].value) for s in store.query("SELECT ?o { ?s ?p ?o }")]
['c']
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import io
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar, cast

import pyoxigraph as ox

from .errors import (
    InputError,
    NotFound,
    ParameterError,
    ParseError,
    QuerySyntaxError,
    StoreError,
    UnknownFormat,
    located,
)
from .parsed_before import ParsedBefore
from .settings import BASE_IRI, Settings
from .syntax_errors import explain

#: The derived graphs (:mod:`graph.derived` builds them, and its tests check these are their IRIs): the merged
#: graph holds every asserted triple once, the inferred graph what the ontology's axioms entail and no graph asserts.
MERGED_GRAPH_IRI = "https://w3id.org/ilrs/graph/merged"
INFERRED_GRAPH_IRI = "https://w3id.org/ilrs/graph/inferred"

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples
T = TypeVar("T")
#: Optimistic tries of :meth:`OxigraphStore.consistent` before it holds off the writes to read.
_CONSISTENT_TRIES = 3

#: The graph where every committed write is recorded; it also holds the dataset version, so that the
#: version is committed in the same transaction as the data it names.
CHANGELOG_GRAPH = f"{BASE_IRI}graph/changelog"
#: ``<CHANGELOG_GRAPH> VERSION_PREDICATE "version"`` in the changelog graph: the current version.
VERSION_PREDICATE = f"{BASE_IRI}changelog#datasetVersion"
#: The custom SPARQL function :meth:`OxigraphStore.apply` reads its quads through.
_QUAD_TERM = ox.NamedNode("urn:ilrs:quad-term")


def default_graph_iris(has_graph: Callable[[str], bool]) -> list[str] | None:
    """The graphs whose merge is the default graph of a query that names no dataset, or ``None``: every graph,
    the store's default graph included (a store without the derived graphs: the editors' tools, scratch stores).

    A store with the derived graphs answers from the merged graph (every asserted triple once, the store's own
    default graph included), the inferred graph and the changelog, which the merged graph does not repeat:
    three graphs to look a triple up in rather than one per source, and a triple that several graphs state
    found once, as the RDF merge of SPARQL 1.1's default graph is. ``has_graph(iri)``: whether the store holds
    that named graph.
    """
    if not has_graph(MERGED_GRAPH_IRI):
        return None
    return [MERGED_GRAPH_IRI] + [g for g in (INFERRED_GRAPH_IRI, CHANGELOG_GRAPH) if has_graph(g)]


@dataclass(frozen=True)
class Change:
    """One committed write as :meth:`Store.apply` applied it: the version before and after it, the quads
    it removed and added. Applied to a copy of the store at ``previous``, it gives the copy at ``version``."""

    previous: str
    version: str
    removed: list[ox.Quad]
    added: list[ox.Quad]


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

        With neither ``default_graphs`` nor ``named_graphs`` (and ``union_default_graph``), the
        default graph is the merge of every graph: the graphs :func:`default_graph_iris` names, so
        a triple several graphs state is matched once (``GRAPH ?g`` tells which graphs state it).
        Raises
        :class:`~ilrs.graph.errors.QuerySyntaxError` for a query that does not parse and
        :class:`~ilrs.graph.errors.StoreError` when evaluation fails.
        """
        ...

    def load(
        self,
        data: bytes | str | IO[bytes],
        media_type: str,
        *,
        graph: str | None = None,
        base_iri: str | None = None,
        modified: float | None = None,
    ) -> int:
        """Add RDF data; triples go to ``graph`` (quads keep their own graph). Returns the quads added.

        Relative IRIs resolve against ``base_iri``. ``modified`` is the data's own time (a file's
        modification time), for :attr:`modified`; default now.

        Raises :class:`~ilrs.graph.errors.ParseError` (with its line and column) for data that does
        not parse, :class:`~ilrs.graph.errors.UnknownFormat` for an unknown ``media_type``.
        """
        ...

    def load_file(self, path: Path, *, graph: str | None = None, on_read: Callable[[int], None] | None = None) -> int:
        """Add an RDF file, its format taken from its extension; returns the quads added. ``on_read(n)`` is
        told of every ``n`` bytes read (a progress bar).

        Raises :class:`~ilrs.graph.errors.ParseError` whose message starts with ``path:line:col``.
        """
        ...

    def clear(self) -> None:
        """Remove every quad."""
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

    def quads(self, graph: str | None = None) -> Iterable[ox.Quad]:
        """Every quad, or the quads of one named graph."""
        ...

    def match(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        object: ox.NamedNode | ox.BlankNode | ox.Literal | None,
        graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph | None,
    ) -> Iterable[ox.Quad]:
        """The quads matching a pattern (``None`` matches anything; ``graph=None`` every graph)."""
        ...

    def apply(self, removed: list[ox.Quad], added: list[ox.Quad], version: str) -> None:
        """Remove ``removed`` and add ``added`` in one transaction, then call the dataset ``version``.

        Readers see the store before or after, never in between; on disk, a process killed
        during the call leaves all of it or none of it.
        """
        ...

    def dump_snapshot(self, output: IO[bytes]) -> str:
        """Write the whole dataset as N-Quads, as of one version, and return that version."""
        ...

    def consistent(self, read: Callable[[], T]) -> T:
        """``read()`` (several queries, say) as of one version: run again if a write committed meanwhile."""
        ...

    @property
    def version(self) -> str:
        """A digest that changes whenever the data changes (for ETags and caches)."""
        ...

    @property
    def modified(self) -> float:
        """Unix time of the current version: the newest modification time of the files loaded (data loaded
        without a file counts as new when loaded), so the same files give the same time after a restart."""
        ...


def open_store(settings: Settings) -> Store:
    """The dataset's store as ``settings`` say: the external SPARQL store at ``store_url`` if set,
    else the embedded one, on disk in ``store_dir`` if set, else in memory."""
    if settings.store_url:
        from .remote_store import SparqlStore  # httpx is imported only for an external store

        password = settings.store_password.get_secret_value() if settings.store_password else None
        return SparqlStore(
            settings.store_url,
            settings.store_update_url,
            user=settings.store_user,
            password=password,
            dialect=settings.store_dialect,
            max_rows=settings.store_max_rows,
            timeout=settings.query_timeout,
            # Virtuoso keeps graphs of its own beside the data: only those under the base IRI are the dataset's.
            graph_prefix=settings.base_iri if settings.store_dialect == "virtuoso" else "",
            skolem_base=f"{settings.base_iri}.well-known/genid/",
        )
    return OxigraphStore(settings.store_dir)


def is_external(settings: Settings) -> bool:
    """Whether the dataset lives in an external store (queries then run there, not in worker processes)."""
    return settings.store_url is not None


def _default_graph(iris: list[str] | None) -> list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None:
    return [ox.NamedNode(iri) for iri in iris] if iris is not None else None


def is_embedded(store: Store) -> bool:
    """Whether ``store`` is the embedded engine, whose data lives in this process (it has ``update``: a SPARQL
    update evaluated where the data is, for the derived graphs)."""
    return isinstance(store, OxigraphStore)


def follow_changes(store: Store, follower: Callable[[Change], None]) -> bool:
    """Have ``follower`` told of every write committed to ``store`` from now on (see
    :meth:`OxigraphStore.follow`), if it is the embedded store; whether it is."""
    if not isinstance(store, OxigraphStore):
        return False
    store.follow(follower)
    return True


def keep_only(store: Store) -> None:
    """In a process forked to serve ``store`` alone (a query zygote): drop the data of every other embedded
    store that the process inherited, and give the memory back to the system.

    A zygote forked after a reload inherits the server's previous version too; left alone, those pages
    would become the zygote's own once the server freed its copy, and the tree would hold two versions.
    Call it only in such a child: it never takes a store's lock, which a thread of the parent may have held.
    """
    for other in list(_EMBEDDED):
        if other is not store:
            other.drop_data()
    return_freed_memory()


def return_freed_memory() -> bool:
    """Give the free pages of the C heap (the engine's and Python's larger objects) back to the system; whether
    the C library can (glibc's ``malloc_trim``). Freed memory otherwise stays in the process, counted as its
    own, as long as it lives."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc
        return False
    if trim is None:
        return False
    trim(0)
    return True


def memory_store() -> Store:
    """A new, empty store in memory: to parse files into, or for a process's own copy of the dataset."""
    return OxigraphStore()


def read_only_store(path: Path) -> Store:
    """The store on disk at ``path``, for reading only, also while a server holds it for writing (it sees what
    was committed up to its opening); :class:`StoreError` when there is none."""
    try:
        return OxigraphStore(path, read_only=True)
    except OSError as err:
        raise StoreError(f"no store in {path} ({err})") from err


def rdf_format(media_type: str) -> ox.RdfFormat:
    """The pyoxigraph format for a media type or file extension; :class:`UnknownFormat` if unknown."""
    fmt = ox.RdfFormat.from_media_type(media_type) or ox.RdfFormat.from_extension(media_type.lstrip("."))
    if fmt is None:
        raise UnknownFormat(f"unsupported RDF format: {media_type!r}")
    return fmt


def load_file_into(
    store: Store,
    path: Path,
    *,
    graph: str | None = None,
    on_read: Callable[[int], None] | None = None,
    parsed: ParsedBefore | None = None,
) -> int:
    """Load the RDF file ``path`` into ``store`` (format from its extension, time from its mtime), streamed:
    ``on_read(n)`` is told of every ``n`` bytes read. With ``parsed``, the embedded store parses bytes that
    parsed strictly before without validating them again (see :mod:`.parsed_before`).

    :class:`ParseError` whose message starts with ``path:line:col`` if it does not parse;
    :class:`NotFound` or :class:`InputError` if it cannot be read.
    """
    try:
        data = path.open("rb")
        modified = path.stat().st_mtime
    except FileNotFoundError as err:
        raise NotFound(f"{path}: no such file") from err
    except OSError as err:  # a folder, a file without read permission: the path given is wrong
        raise InputError(f"{path}: {err.strerror}") from err
    try:
        with data:
            reader = _Reader(data, on_read)
            if parsed is None or not isinstance(store, OxigraphStore):
                return store.load(cast(IO[bytes], reader), path.suffix, graph=graph, modified=modified)
            payload = reader.read_whole()
            digest = content_digest(payload)
            key = parsed.key(digest, rdf_format(path.suffix))
            known = key in parsed
            added = store.load(payload, path.suffix, graph=graph, modified=modified, lenient=known, digest=digest)
            if not known:
                parsed.remember(key)
            return added
    except ParseError as err:
        cause = err.__cause__
        assert isinstance(cause, SyntaxError)
        raise parse_error(cause, path) from cause
    except IsADirectoryError as err:
        raise InputError(f"{path}: {err.strerror}") from err


#: Bytes read from a file at a time while loading it.
_READ_PIECE = 1 << 22


class _Reader(io.RawIOBase):
    """A file read piece by piece, each piece reported to ``on_read`` (a progress bar)."""

    def __init__(self, source: IO[bytes], on_read: Callable[[int], None] | None) -> None:
        super().__init__()
        self._source = source
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def read_whole(self) -> bytearray:
        """The rest of the file, read in large pieces into one buffer: no piece is copied twice, and
        ``on_read`` hears of each piece (the default ``read()`` goes 8 KiB at a time)."""
        size = max(os.fstat(self._source.fileno()).st_size - self._source.tell(), 0)
        buffer = bytearray(size)
        view, filled = memoryview(buffer), 0
        while filled < size and (got := self._source.readinto(view[filled : filled + _READ_PIECE])):  # type: ignore[attr-defined]
            filled += got
            if self._on_read is not None:
                self._on_read(got)
        view.release()
        del buffer[filled:]  # the file shrank meanwhile
        rest = self._source.read()  # or grew
        if rest and self._on_read is not None:
            self._on_read(len(rest))
        return buffer + rest if rest else buffer

    def readinto(self, buffer: Any) -> int:
        data = self._source.read(len(buffer))
        buffer[: len(data)] = data
        if self._on_read is not None and data:
            self._on_read(len(data))
        return len(data)


def _bytes(data: bytes | bytearray | str | IO[bytes]) -> bytes | bytearray:
    if isinstance(data, _Reader):
        return data.read_whole()
    raw = data if isinstance(data, bytes | bytearray | str) else data.read()
    return raw.encode() if isinstance(raw, str) else raw


def stable_blank_nodes(quads: Iterable[ox.Quad], seed: bytes) -> list[ox.Quad]:
    """``quads`` with each blank node relabelled from ``seed`` and the order in which it first appears.

    A parser labels blank nodes at random, so after a restart the same files would give documents with
    other labels under the same strong ETag; labels derived from the data's own bytes stay the same.
    """
    labels: dict[str, ox.BlankNode] = {}

    def stable(term: T) -> T:
        if not isinstance(term, ox.BlankNode):
            return term
        if term.value not in labels:
            # A letter first: an XML name (RDF/XML writes rdf:nodeID) cannot start with a digit.
            label = "b" + hashlib.sha256(seed + str(len(labels)).encode()).hexdigest()[:32]
            labels[term.value] = ox.BlankNode(label)
        return labels[term.value]  # type: ignore[return-value]

    def blank(q: ox.Quad) -> bool:
        return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)

    return [
        ox.Quad(stable(q.subject), q.predicate, stable(q.object), stable(q.graph_name))
        if blank(q) or isinstance(q.graph_name, ox.BlankNode)
        else q
        for q in quads
    ]


def content_digest(payload: bytes | bytearray) -> bytes:
    """The SHA-256 of ``payload``: a file's bytes are hashed once, for the dataset's version and for
    :class:`~.parsed_before.ParsedBefore` alike."""
    return hashlib.sha256(payload).digest()


def _may_hold_blank_nodes(payload: bytes | bytearray, fmt: ox.RdfFormat) -> bool:
    """Whether the text of ``payload`` may write a blank node (``_:``, ``[`` or a collection's ``(``);
    a false alarm only costs the slower, relabelling load."""
    if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
        return _holds_label(payload)
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.N3):
        return b"[" in payload or b"(" in payload or _holds_label(payload)
    return True


#: A blank node's label: searched for by the regular expression engine, which skips to each ``_`` as memchr
#: does; ``b"_:" in payload`` compares at every ``:``, of which every IRI has one (0.3 s for 185 MB, not 0.1).
_LABEL = re.compile(rb"_:")


def _holds_label(payload: bytes | bytearray) -> bool:
    """Whether ``payload`` holds ``_:``; a byte it lacks (``_``, one memchr) answers at once."""
    return b"_" in payload and _LABEL.search(payload) is not None


def parse_error(err: SyntaxError, path: Path | None = None) -> ParseError:
    """pyoxigraph's syntax error as a :class:`ParseError`; with ``path``, its message starts ``path:line:col``."""
    line, column = err.lineno, err.offset
    if path is None:
        return ParseError(str(err), line=line, column=column)
    # pyoxigraph's own "Parser error at line L column C:" prefix is said as path:L:C instead.
    reason = str(err.msg).split(": ", 1)[1] if str(err.msg).startswith("Parser error at ") else str(err.msg)
    return ParseError(f"{located(path, line, column)}: {reason}", path=str(path), line=line, column=column)


#: Every embedded store of this process, held weakly: a process forked to serve one drops the others (keep_only).
_EMBEDDED: weakref.WeakSet[OxigraphStore] = weakref.WeakSet()


class OxigraphStore:
    """The embedded store: pyoxigraph, in memory or on disk at ``path``."""

    def __init__(self, path: Path | None = None, *, read_only: bool = False) -> None:
        """``read_only``: open the store on disk at ``path`` for reading only, also while another process
        (a running server) holds it for writing; it sees what was committed up to its opening."""
        if read_only:
            if path is None:
                raise ValueError("only a store on disk opens read-only")
            self._store = ox.Store.read_only(str(path))
        elif path is None:
            self._store = ox.Store()
        else:
            try:
                self._store = ox.Store(str(path))
            except OSError as err:  # RocksDB's lock: one process writes a store on disk
                raise StoreError(
                    f"cannot open the store in {path}: {err}. Is a server using it? Write through its API, or stop "
                    "it first (ilrs export --changed-since reads a store while a server holds it)"
                ) from err
        self._lock = threading.Lock()
        #: The number of quads as counted after a load, ``None`` once any other change made it unknown:
        #: counting a million quads takes the engine a while, and a load of many files would count twice each.
        self._size: int | None = None
        self._digest = hashlib.sha256(b"ilrs")
        if path and self.count():
            self._digest.update(str(self.count()).encode())
        self._version = self._committed_version() or self._digest.hexdigest()[:16]
        # A store reopened from disk holds data of unknown age: it is as new as its opening.
        self._modified = time.time() if path and self.count() else 0.0
        #: Odd while a commit is being applied (a sequence lock: readers check it did not move).
        self._generation = 0
        self._union_cache: tuple[str, list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None] | None = None
        self._followers: list[Callable[[Change], None]] = []
        _EMBEDDED.add(self)

    def drop_data(self) -> None:
        """Let go of the engine's data in this process (see :func:`keep_only`): the store is empty from now on."""
        self._store = ox.Store()
        self._size = None

    def _committed_version(self) -> str | None:
        """The version the last committed write recorded (a store reopened from disk keeps its version)."""
        head = ox.NamedNode(CHANGELOG_GRAPH)
        for quad in self._store.quads_for_pattern(head, ox.NamedNode(VERSION_PREDICATE), None, head):
            return str(quad.object.value) if isinstance(quad.object, ox.Literal) else None
        return None

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
        union = self._union_graphs() if union_default_graph and not explicit else None
        try:
            return self._store.query(
                sparql,
                base_iri=base_iri,
                use_default_graph_as_union=union_default_graph and not explicit and union is None,
                default_graph=union if union is not None else _default_graph(default_graphs),
                named_graphs=[ox.NamedNode(g) for g in named_graphs] if named_graphs is not None else None,
            )
        except SyntaxError as err:
            raise QuerySyntaxError.from_engine(explain(str(err), sparql)) from err
        except ValueError as err:
            raise QuerySyntaxError.from_engine(str(err)) from err
        except OSError as err:  # an ASK is evaluated at once, so its evaluation errors surface here
            raise StoreError(f"query evaluation failed: {err}") from err

    def _union_graphs(self) -> list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None:
        """The graphs of the default graph (:func:`default_graph_iris`), or ``None`` for the engine's own union of
        every graph. Found once per version: every query of a version asks."""
        version = self._version
        cached = self._union_cache
        if cached is not None and cached[0] == version:
            return cached[1]
        graphs = _default_graph(default_graph_iris(lambda iri: self._store.contains_named_graph(ox.NamedNode(iri))))
        self._union_cache = (version, graphs)
        return graphs

    def load(
        self,
        data: bytes | bytearray | str | IO[bytes],
        media_type: str,
        *,
        graph: str | None = None,
        base_iri: str | None = None,
        modified: float | None = None,
        lenient: bool = False,
        digest: bytes | None = None,
    ) -> int:
        """:meth:`Store.load`; ``lenient``: the data is known to be valid (it parsed strictly before), so the
        parser skips validating its IRIs and language tags (:mod:`.parsed_before`); ``digest``: the
        :func:`content_digest` of ``data`` (bytes), if it is known already."""
        fmt = rdf_format(media_type)
        # A _Reader is read whole here, telling its on_read as it goes, into a bytearray that the engine
        # reads as it reads bytes (its type hints name bytes only).
        payload = cast(bytes, _bytes(data))
        target = ox.NamedNode(graph) if graph else None
        try:
            if _may_hold_blank_nodes(payload, fmt):
                parsed: Iterable[ox.Quad] = ox.parse(payload, format=fmt, base_iri=base_iri, lenient=lenient)
                if not fmt.supports_datasets:
                    named = target or ox.DefaultGraph()
                    parsed = (ox.Quad(q.subject, q.predicate, q.object, named) for q in parsed)
                seed = hashlib.sha256(payload)
                seed.update((graph or "").encode())
                quads = stable_blank_nodes(parsed, seed.digest())
                with self._lock:
                    before = self._count()
                    self._store.extend(quads)
                    self._touch(payload, graph, modified, digest)
                    return self._counted() - before
            else:
                # No blank node to relabel: the engine parses and inserts without a Python object per quad.
                with self._lock:
                    before = self._count()
                    self._store.load(
                        payload,
                        format=fmt,
                        to_graph=target if not fmt.supports_datasets else None,
                        base_iri=base_iri,
                        lenient=lenient,
                    )
                    self._touch(payload, graph, modified, digest)
                    return self._counted() - before
        except SyntaxError as err:
            self._size = None  # nothing was added, but the count is taken again rather than trusted
            raise parse_error(err) from err

    def load_file(self, path: Path, *, graph: str | None = None, on_read: Callable[[int], None] | None = None) -> int:
        """Add an RDF file, its format taken from the file extension.

        :class:`ParseError` whose message starts with ``path:line:col`` if it does not parse;
        :class:`NotFound` or :class:`InputError` if it cannot be read.
        """
        return load_file_into(self, path, graph=graph, on_read=on_read)

    def add_quads(self, quads: Iterable[ox.Quad], *, modified: float | None = None) -> None:
        """Add quads built in Python (generators of reference data, derived graphs); ``modified`` as for
        :meth:`load`."""
        items = list(quads)
        with self._lock:
            self._size = None
            self._store.extend(items)
            self._touch(str(len(items)).encode(), None, modified)

    def update(self, sparql: str, *, modified: float | None = None) -> None:
        """Run a SPARQL 1.1 Update in one transaction (the engine's own work: derived graphs); ``modified`` as
        for :meth:`load`. Writes from clients go through :meth:`apply`."""
        with self._lock:
            self._size = None
            self._store.update(sparql)
            self._touch(sparql.encode(), None, modified)

    def clear(self) -> None:
        with self._lock:
            self._size = None
            self._store.clear()
            self._touch(b"clear", None)
            self._modified = 0.0

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def count(self, graph: str | None = None) -> int:
        if graph is None:
            return self._count()
        found = self._store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}")
        assert isinstance(found, ox.QuerySolutions)
        return int(next(iter(found))[0].value)  # type: ignore[union-attr]

    def dump(self, output: IO[bytes], media_type: str, *, graph: str | None = None) -> None:
        fmt = rdf_format(media_type)
        if graph is not None:
            self._store.dump(output, format=fmt, from_graph=ox.NamedNode(graph))
        elif fmt.supports_datasets:
            self._store.dump(output, format=fmt)
        else:
            raise ParameterError(f"{fmt.name} holds one graph: name the graph to export, or use TriG or N-Quads")

    def quads(self, graph: str | None = None) -> Iterable[ox.Quad]:
        """Every quad, or those of one named graph."""
        return self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph) if graph else None)

    def match(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        object: ox.NamedNode | ox.BlankNode | ox.Literal | None,
        graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph | None,
    ) -> Iterable[ox.Quad]:
        return self._store.quads_for_pattern(subject, predicate, object, graph)

    def apply(self, removed: list[ox.Quad], added: list[ox.Quad], version: str) -> None:
        """One SPARQL update, so one transaction: ``DELETE``/``INSERT`` templates over ``VALUES`` rows.

        ``DELETE DATA`` cannot name a stored blank node, and ``INSERT DATA`` would mint new ones:
        the quads' terms are passed instead through a custom function that returns them as they are.
        """
        parts = {
            "rn": [q for q in removed if not isinstance(q.graph_name, ox.DefaultGraph)],
            "rd": [q for q in removed if isinstance(q.graph_name, ox.DefaultGraph)],
            "an": [q for q in added if not isinstance(q.graph_name, ox.DefaultGraph)],
            "ad": [q for q in added if isinstance(q.graph_name, ox.DefaultGraph)],
        }

        def term(part: ox.Literal, row: ox.Literal, position: ox.Literal) -> ox.NamedNode | ox.BlankNode | ox.Literal:
            quad = parts[part.value][int(row.value)]
            found = (quad.subject, quad.predicate, quad.object, quad.graph_name)[int(position.value)]
            assert isinstance(found, ox.NamedNode | ox.BlankNode | ox.Literal)  # the default graph is not asked for
            return found

        operations = []
        for part, quads in parts.items():
            if not quads:
                continue
            verb = "DELETE" if part[0] == "r" else "INSERT"
            template = "GRAPH ?g { ?s ?p ?o }" if part[1] == "n" else "?s ?p ?o"
            rows = " ".join(map(str, range(len(quads))))
            binds = " ".join(
                f'BIND(<{_QUAD_TERM.value}>("{part}", ?i, {n}) AS ?{v})'
                for n, v in enumerate("spog" if part[1] == "n" else "spo")
            )
            operations.append(f"{verb} {{ {template} }} WHERE {{ VALUES ?i {{ {rows} }} {binds} }}")
        with self._lock:
            previous = self._version
            self._generation += 1
            try:
                if operations:
                    self._size = None
                    self._store.update(" ;\n".join(operations), custom_functions={_QUAD_TERM: term})
                self._version = version
                self._modified = time.time()
            finally:
                self._generation += 1
            change = Change(previous, version, removed, added)
            for follower in list(self._followers):  # under the lock: they hear of the commits in their order
                follower(change)

    def follow(self, follower: Callable[[Change], None]) -> None:
        """Call ``follower(change)`` with every change :meth:`apply` commits from now on, in commit order, from
        the committing thread (so it must be quick): a copy of the store can replay them to stay current."""
        self._followers.append(follower)

    def consistent(self, read: Callable[[], T]) -> T:
        for _ in range(_CONSISTENT_TRIES):
            start = self._generation
            if start % 2 == 0:
                result = read()
                if self._generation == start:
                    return result
            time.sleep(0.001)
        with self._lock:  # writes keep coming: hold them off for this one read
            return read()

    def dump_snapshot(self, output: IO[bytes]) -> str:
        with self._lock:  # no commit between reading the version and the data
            self._store.dump(output, format=ox.RdfFormat.N_QUADS)
            return self._version

    @property
    def version(self) -> str:
        return self._version

    @property
    def modified(self) -> float:
        return self._modified

    def _count(self) -> int:
        """The number of quads, counted only if a change made it unknown."""
        size = self._size
        return size if size is not None else len(self._store)

    def _counted(self) -> int:
        """The number of quads, counted now and kept (under the lock: no change may commit meanwhile)."""
        self._size = len(self._store)
        return self._size

    def _touch(
        self, payload: bytes | bytearray, graph: str | None, modified: float | None = None, digest: bytes | None = None
    ) -> None:
        """A new version: its digest covers ``payload`` (through its :func:`content_digest`, ``digest`` if known);
        its time is the newest of the data's times (``modified``, a file's modification time; data without one is
        as new as now)."""
        self._size = None
        self._digest.update((graph or "").encode() + b"\0")
        self._digest.update(content_digest(payload) if digest is None else digest)
        self._version = self._digest.hexdigest()[:16]
        self._modified = max(self._modified, time.time() if modified is None else modified)
