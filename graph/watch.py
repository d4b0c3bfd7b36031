"""Rebuild and validate the dataset after an edit, for ``ilrs serve --watch`` (no HTTP here).

A rebuild is accepted only when every file parses and the whole dataset conforms
to the shapes; otherwise the caller keeps serving the graph it has, and logs
:attr:`Rebuild.message` (the parse error with ``file:line:col``, or the SHACL report).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from watchfiles import Change, DefaultFilter

from .errors import IlrsError
from .loader import Dataset, build_dataset
from .rdfview import read_shapes
from .settings import Settings
from .validate import Report, data_graph, validate_graph

#: Extensions of the files whose change triggers a rebuild.
WATCHED_SUFFIXES = frozenset({".ttl", ".trig", ".nt", ".nq", ".jsonld", ".rdf"})


@dataclass(frozen=True)
class Rebuild:
    """The outcome of a rebuild: the new dataset (store and shapes) if it may be served, and what to log."""

    dataset: Dataset | None
    message: str
    report: Report | None = None

    @property
    def accepted(self) -> bool:
        return self.dataset is not None


def rebuild(settings: Settings) -> Rebuild:
    """Build a fresh in-memory dataset, with its shapes, from the files and validate it against the shapes.

    The store is always in memory: with ``--store DIR`` the on-disk store is the one
    being served, and rebuilding into it would change it before validation.
    """
    started = time.perf_counter()
    try:
        dataset = build_dataset(settings.model_copy(update={"store_dir": None}))
        report = validate_graph(data_graph(dataset.store), read_shapes(settings.shapes_dir))
    except IlrsError as err:  # a file that does not parse, a missing file
        return Rebuild(None, f"kept the previous graph: {err}")
    if not report.conforms:
        return Rebuild(None, f"kept the previous graph: the edited data {report.to_text()}", report)
    elapsed = time.perf_counter() - started
    store = dataset.store
    message = f"reloaded {store.count()} quads (version {store.version}) and the shapes in {elapsed:.2f} s"
    return Rebuild(dataset, message, report)


def watched_paths(settings: Settings) -> list[Path]:
    """The folders (and researchers' extra files) whose changes trigger a rebuild; only those that exist."""
    paths = [settings.ontology_dir, settings.shapes_dir, settings.data_dir, *settings.extra_files]
    return [p for p in dict.fromkeys(paths) if p.exists()]


class DataFileFilter(DefaultFilter):
    """watchfiles' default filter (no editor swap files, no ``.git``), narrowed to RDF files."""

    def __call__(self, change: Change, path: str) -> bool:
        return Path(path).suffix in WATCHED_SUFFIXES and super().__call__(change, path)
