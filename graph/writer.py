"""The one writer of the dataset: every write is staged, validated, then committed, one at a time.

A write (a SPARQL Update, a Graph Store Protocol request, ``ilrs load``/``ilrs update``) goes
through :class:`Writer`, which holds a lock for the whole of it:

1. it is evaluated on a staged view (:mod:`ilrs.graph.updates`), the store untouched;
2. graphs that are not writable (the ontology, reference data, the changelog, the derived
   graphs) are refused with the reason (:class:`~ilrs.graph.errors.Forbidden`);
3. what it touches is validated against the shapes
   (:func:`~ilrs.graph.validate.validate_change`); a violation refuses it
   (:class:`~ilrs.graph.errors.ShapeViolation`, with the report);
4. it is committed with its changelog activity in one transaction
   (:meth:`~ilrs.graph.store.Store.apply`), which also changes :attr:`Store.version`;
5. the listeners (query executors, caches) are told the new version.

A write that changes nothing commits nothing: the version stays.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import pyoxigraph as ox
from rdflib import URIRef

from .changelog import Edit, edit_quads, graph_name, now, version_quads
from .derived import INFERRED_GRAPH, MERGED_GRAPH
from .errors import Forbidden, LimitExceeded, ShapeViolation
from .namespaces import DEFAULT_GRAPH, GRAPH, ONTOLOGY_GRAPH
from .settings import Settings
from .staging import Delta, StagedStore, to_ox, to_ox_quad
from .store import CHANGELOG_GRAPH, Store
from .updates import Fetcher, stage_graph, stage_update
from .validate import ChangeValidator, load_shapes, validate_change

log = logging.getLogger("ilrs.graph.writer")

#: Graphs no write may change, by IRI prefix, and why.
READ_ONLY_GRAPHS: dict[str, str] = {
    str(ONTOLOGY_GRAPH): "the ontology is edited in ontology/ilrs.ttl and reloaded, not written over the API",
    str(GRAPH["reference/"]): "reference data is generated from its sources (graph/data/reference/), not edited",
    CHANGELOG_GRAPH: "the changelog is written by the server alone, one activity per committed write",
    INFERRED_GRAPH: "the inferred graph is derived from the data, and updated with every write",
    MERGED_GRAPH: "the merged graph is derived from the data, and updated with every write",
    str(GRAPH["curated"]): "the curated names are the editors' (graph/data/curated.trig), edited in that file",
    str(DEFAULT_GRAPH): "the changelog names the default graph so: write to the default graph (?default, or no GRAPH)",
}


@dataclass(frozen=True)
class Commit:
    """The outcome of a write: the version after it and what it changed (nothing: ``edit`` is ``None``)."""

    version: str
    added: int
    removed: int
    #: The graphs changed, as the changelog names them (the default graph: ``ilrs:DefaultGraph``).
    graphs: list[str]
    edit: Edit | None

    @property
    def changed(self) -> bool:
        return self.edit is not None


Listener = Callable[[Commit], None]


class Writer:
    """Serializes, validates and commits the writes to ``store``; see the module documentation."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._lock = threading.Lock()
        self._validator = ChangeValidator(load_shapes(settings.shapes_dir), _defined_terms(store))
        #: Whether the store holds the derived graphs (built with them), which each commit then updates.
        self._derived = MERGED_GRAPH in store.graphs()
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` after every commit that changed the data (from the writing thread)."""
        self._listeners.append(listener)

    def update(
        self,
        text: str,
        *,
        editor: str,
        message: str | None = None,
        base_iri: str | None = None,
        using_graphs: Sequence[str] = (),
        using_named_graphs: Sequence[str] = (),
        fetch: Fetcher | None = None,
    ) -> Commit:
        """Run a SPARQL Update as one validated transaction."""
        self._check_message(message)
        with self._lock:
            staged = stage_update(
                self.store,
                text,
                base_iri=base_iri,
                using_graphs=using_graphs,
                using_named_graphs=using_named_graphs,
                load_allowlist=self.settings.load_allowlist,
                service_allowlist=self.settings.service_allowlist,
                fetch=fetch,
            )
            return self._commit(staged, editor, message)

    def write_graph(
        self,
        operation: Literal["replace", "merge", "delete"],
        graph: str | None,
        quads: list[ox.Quad] | None = None,
        *,
        editor: str,
        message: str | None = None,
    ) -> Commit:
        """Replace, add to or delete one graph (``""``: the default graph; ``None``: the graphs the quads
        name, merge only) as one validated transaction."""
        self._check_message(message)
        with self._lock:
            if graph:
                _check_writable({graph})
            return self._commit(stage_graph(self.store, operation, graph, quads), editor, message)

    def _check_message(self, message: str | None) -> None:
        """:class:`LimitExceeded` for a message longer than ``max_edit_message``: refused whole rather than
        cut, so that the changelog never keeps less than its author wrote without saying so."""
        limit = self.settings.max_edit_message
        if message is not None and len(message) > limit:
            raise LimitExceeded(
                f"the edit message is {len(message)} characters long; at most {limit} are accepted "
                "(max_edit_message); nothing was written"
            )

    def _commit(self, staged: StagedStore, editor: str, message: str | None) -> Commit:
        delta = staged.delta
        graphs = sorted(delta.graphs())
        _check_writable(set(graphs) | staged.targets)
        if not delta:
            return Commit(self.store.version, 0, 0, [], None)
        report, results = validate_change(staged, delta, self._validator)
        if not report.conforms:
            count = len(report.violations)
            first = report.violations[0]
            raise ShapeViolation(
                f"the write does not conform to the shapes ({count} violation{'s' * (count != 1)}; "
                f"first: {first.focus}: {first.message}); nothing was written",
                report=report.to_dict(),
                turtle=results.serialize(format="turtle"),
            )
        previous = self.store.version
        version = _next_version(previous, delta)
        edit = Edit(
            version=version,
            previous=previous,
            editor=editor,
            time=now(),
            graphs=[graph_name(g) for g in graphs],
            changed=_changed_resources(delta),
            added=len(delta.added),
            removed=len(delta.removed),
            message=message,
        )
        removed = [to_ox_quad(q) for q in delta.removed] + version_quads(self.store)
        added = [to_ox_quad(q) for q in delta.added] + edit_quads(edit)
        if self._derived:
            derived_removed, derived_added = self._derived_change(staged)
            removed += derived_removed
            added += derived_added
        self.store.apply(removed, added, version)
        commit = Commit(version, edit.added, edit.removed, edit.graphs, edit)
        log.info("committed %s by %s: +%d -%d in %s", version, editor, edit.added, edit.removed, ", ".join(edit.graphs))
        for listener in self._listeners:
            try:
                listener(commit)
            except Exception:  # a listener's bug must not turn a committed write into an error
                log.exception("a commit listener failed")
        return commit

    def _derived_change(self, staged: StagedStore) -> tuple[list[ox.Quad], list[ox.Quad]]:
        """What the merged and inferred graphs lose and gain with the staged write.

        The merged graph holds each asserted triple once: a triple added is added to it, a triple
        removed leaves it when no graph states it any more. The inferred graph follows
        :meth:`~ilrs.graph.staging.StagedStore.inferred_change`: recomputed for the resources the
        write changed, and for those whose classes or properties it gives new superclasses or
        superproperties.
        """
        delta = staged.delta
        merged = ox.NamedNode(MERGED_GRAPH)
        removed: list[ox.Quad] = []
        added: list[ox.Quad] = []
        for quad in delta.added | delta.removed:
            s, p, o = (to_ox(t) for t in quad[:3])
            stated = next(staged.match(quad[:3], None), None) is not None
            was = next(iter(self.store.match(s, p, o, merged)), None)
            if stated and was is None:
                added.append(ox.Quad(s, p, o, merged))
            elif not stated and was is not None:
                removed.append(was)
        inferred = staged.inferred_change()
        removed += [to_ox_quad(q) for q in inferred.removed]
        added += [to_ox_quad(q) for q in inferred.added]
        return removed, added


def _defined_terms(store: Store) -> set[str]:
    """The ``ilrs:`` terms the ontology graph defines (gives a type); the ontology is not writable, so they stay."""
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    return {
        q.subject.value
        for q in store.match(None, rdf_type, None, ox.NamedNode(str(ONTOLOGY_GRAPH)))
        if isinstance(q.subject, ox.NamedNode)
    }


def _check_writable(graphs: set[str]) -> None:
    for graph in sorted(graphs):
        for prefix, reason in READ_ONLY_GRAPHS.items():
            if graph == prefix or (prefix.endswith("/") and graph.startswith(prefix)):
                raise Forbidden(f"the graph <{graph}> is not writable: {reason}")


def _next_version(previous: str, delta: Delta) -> str:
    """A new version, different from every earlier one (it hashes the previous one and fresh randomness)."""
    digest = hashlib.sha256(previous.encode() + os.urandom(16))
    digest.update(f"{len(delta.added)}:{len(delta.removed)}".encode())
    return digest.hexdigest()[:16]


def _changed_resources(delta: Delta) -> list[str]:
    """The IRIs whose own statements the write changed (subjects), sorted."""
    return sorted({str(q[0]) for q in delta.added | delta.removed if isinstance(q[0], URIRef)})
