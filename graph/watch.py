"""Rebuild and validate the dataset after an edit, for ``ilrs serve --watch`` (no HTTP here).

A rebuild is accepted only when every file parses, ``ilrs check`` finds no error (a
misspelt predicate, an undefined class…) and the whole dataset conforms to the shapes;
otherwise the caller keeps serving the graph it has, and logs :attr:`Rebuild.message`
(the parse error with ``file:line:col``, the check's errors, or the SHACL report). An
accepted rebuild comes with the ontology documentation generated from it, so that the
pages follow the graph that is served.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from watchfiles import Change, DefaultFilter

from .check import CheckReport, run_checks
from .docs import generate_docs
from .errors import IlrsError
from .loader import Dataset, build_dataset
from .rdfview import graphs_of, read_shapes
from .settings import Settings
from .validate import Report, data_graph, validate_graph

#: Extensions of the files whose change triggers a rebuild.
WATCHED_SUFFIXES = frozenset({".ttl", ".trig", ".nt", ".nq", ".jsonld", ".rdf"})


@dataclass(frozen=True)
class Rebuild:
    """The outcome of a rebuild: the new dataset (store and shapes, and its documentation) if it may be served,
    and what to log."""

    dataset: Dataset | None
    message: str
    report: Report | None = None
    check: CheckReport | None = None
    docs_dir: Path | None = None

    @property
    def accepted(self) -> bool:
        return self.dataset is not None


def rebuild(settings: Settings, docs_parent: Path | None = None) -> Rebuild:
    """Build a fresh in-memory dataset, with its shapes, from the files; check it and validate it.

    The store is always in memory: with ``--store DIR`` the on-disk store is the one
    being served, and rebuilding into it would change it before validation. With
    ``docs_parent``, the documentation of an accepted rebuild is written into a new folder
    there (:attr:`Rebuild.docs_dir`); if it cannot be generated (no Graphviz), the rebuild
    is still accepted, without it.
    """
    started = time.perf_counter()
    try:
        dataset = build_dataset(settings.model_copy(update={"store_dir": None}))
        store = dataset.store
        check = run_checks(settings, store)
        if check.failed():
            errors = check.errors()
            return Rebuild(None, f"kept the previous graph: ilrs check finds errors\n{errors.to_table()}", check=check)
        report = validate_graph(data_graph(store), read_shapes(settings.shapes_dir))
    except IlrsError as err:  # a file that does not parse, a missing file
        return Rebuild(None, f"kept the previous graph: {err}")
    if not report.conforms:
        return Rebuild(None, f"kept the previous graph: the edited data {report.to_text()}", report, check)
    docs_dir, note = None, ""
    if docs_parent is not None:
        docs_dir = Path(tempfile.mkdtemp(prefix=f"docs-{store.version}-", dir=docs_parent))
        try:
            generate_docs(settings, docs_dir, graphs_of(store))
        except IlrsError as err:
            shutil.rmtree(docs_dir, ignore_errors=True)
            docs_dir, note = None, f"; the ontology pages were not regenerated: {err}"
    elapsed = time.perf_counter() - started
    message = f"reloaded {store.count()} quads (version {store.version}) and the shapes in {elapsed:.2f} s{note}"
    return Rebuild(dataset, message, report, check, docs_dir)


def watched_paths(settings: Settings) -> list[Path]:
    """The folders (and researchers' extra files) whose changes trigger a rebuild; only those that exist."""
    paths = [settings.ontology_dir, settings.shapes_dir, settings.data_dir, *settings.extra_files]
    return [p for p in dict.fromkeys(paths) if p.exists()]


class DataFileFilter(DefaultFilter):
    """watchfiles' default filter (no editor swap files, no ``.git``), narrowed to RDF files."""

    def __call__(self, change: Change, path: str) -> bool:
        return Path(path).suffix in WATCHED_SUFFIXES and super().__call__(change, path)
