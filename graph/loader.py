"""Find the graph's files and load them: the dataset into its store, each file into its named graph,
and the SHACL shapes into a store of their own.

:func:`build_dataset` loads both (what the server serves and ``--watch`` swaps as one);
:func:`build_store` the dataset alone, :func:`load_shapes` the shapes alone. Every store
comes from :func:`ilrs.graph.store.open_store` or :func:`~ilrs.graph.store.memory_store`.

The dataset is built from, in this order:

* ``ontology/ilrs.ttl`` into ``…/graph/ontology``;
* ``ontology/vocabularies.ttl`` into ``…/graph/reference/vocabularies``;
* ``graph/data/reference/*.ttl`` into ``…/graph/reference/{stem}``;
* every ``graph/data/**/*.trig`` file, whose quads name their own graphs;
* researchers' own files (``ilrs serve --load FILE``), each into the named graph
  ``…/graph/loaded/{stem}``, or the IRI given with ``--load FILE=IRI``. A graph's
  name is published (service description, VoID): it never tells where the file
  lies on the serving machine;

and then the derived graphs of :mod:`graph.derived` (inferred types, all claims merged)
are computed from all of these. The shapes are every ``shapes/*.ttl``, in the graph
``https://w3id.org/ilrs/shapes``.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from .derived import materialise
from .errors import NotFound, ParameterError
from .namespaces import GRAPH, ONTOLOGY_GRAPH, SHAPES_IRI
from .parsed_before import ParsedBefore
from .settings import Settings
from .store import Store, load_file_into, memory_store, open_store

VOCABULARIES_GRAPH = str(GRAPH["reference/vocabularies"])

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DataFile:
    """One file of the dataset and the named graph its triples go to (``None``: quads name their own)."""

    path: Path
    graph: str | None


def dataset_files(settings: Settings) -> list[DataFile]:
    """Every file of the dataset, in load order; :class:`NotFound` if one is missing."""
    files = [DataFile(settings.ontology_dir / "ilrs.ttl", str(ONTOLOGY_GRAPH))]
    vocabularies = settings.ontology_dir / "vocabularies.ttl"
    if vocabularies.exists():
        files.append(DataFile(vocabularies, VOCABULARIES_GRAPH))
    reference = settings.data_dir / "reference"
    files += [DataFile(p, str(GRAPH[f"reference/{p.stem}"])) for p in sorted(reference.glob("*.ttl"))]
    files += [DataFile(p, None) for p in sorted(settings.data_dir.rglob("*.trig"))]
    files += [DataFile(p.resolve(), graph) for p, graph in loaded_graphs(settings).items()]
    for f in files:
        if not f.path.is_file():
            raise NotFound(f"{f.path}: no such file")
    return files


def loaded_graph_iri(path: Path) -> str:
    """The named graph of a researcher's file: ``…/graph/loaded/`` and its stem, reduced to safe characters."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-.") or "file"
    return str(GRAPH[f"loaded/{slug}"])


def loaded_graphs(settings: Settings) -> dict[Path, str]:
    """Each of ``settings.extra_files`` and its graph IRI; :class:`ParameterError` if two would share one."""
    graphs: dict[Path, str] = {}
    for path in settings.extra_files:
        graph = settings.extra_graph_names.get(str(path)) or loaded_graph_iri(path)
        for other, taken in graphs.items():
            if taken == graph:
                raise ParameterError(f"{other} and {path} would both be loaded into <{graph}>: name one with FILE=IRI")
        graphs[path] = graph
    return graphs


@dataclass(frozen=True)
class Dataset:
    """What the server answers from: the dataset's store (the ontology is its graph ``…/graph/ontology``)
    and the shapes' store, loaded from the same version of the files."""

    store: Store
    shapes: Store


def build_dataset(settings: Settings, progress: Progress | None = None) -> Dataset:
    """The dataset (:func:`build_store`) and its shapes (:func:`load_shapes`)."""
    return Dataset(build_store(settings, progress), load_shapes(settings))


def build_store(settings: Settings, progress: Progress | None = None, *, derived: bool = True) -> Store:
    """A store holding the whole dataset, with the derived graphs unless ``derived`` is false.

    With ``settings.store_dir`` the store is on disk; with ``settings.store_url`` an external SPARQL
    store. Such a store that already holds the dataset's graphs is kept as it is — with the writes
    committed to it, and its derived graphs kept up to date by them, so that several servers or
    commands can share it — unless ``settings.reload_store``, which empties the dataset's graphs
    and reloads the files.
    The editors' tools (check, docs, diff, release) ask for ``derived=False``: they work on what
    the files say.
    """
    store = open_store(settings)
    lasting = settings.lasting_store
    if lasting is not None and store.count() and not settings.reload_store:
        if progress:
            progress(f"kept the {store.count()} quads of the store at {lasting} (--reload to reload)")
        return store
    if lasting is not None:
        store.clear()
    files = dataset_files(settings)
    started = time.perf_counter()
    total = 0
    parsed = ParsedBefore(settings.cache_dir)  # bytes that parsed before are not validated again
    # The bar (bytes read, on a terminal only) moves while a large file loads; the lines say what each file held.
    with tqdm(
        total=sum(f.path.stat().st_size for f in files),
        unit="B",
        unit_scale=True,
        desc="loading",
        disable=True if progress is None else None,
        file=sys.stderr,
        leave=False,
    ) as bar:
        for f in files:
            added = load_file_into(store, f.path, graph=f.graph, on_read=bar.update, parsed=parsed)
            total += added
            if progress:
                bar.clear()
                progress(f"loaded {added:>6} quads from {_display(f.path)}")
    if progress:
        seconds = time.perf_counter() - started
        progress(f"loaded {total} quads from {len(files)} files in {seconds:.2f} s ({total / seconds:,.0f} quads/s)")
    if derived:
        started = time.perf_counter()
        counts = materialise(store)
        if progress:
            seconds = time.perf_counter() - started
            progress(f"derived {counts.inferred:>5} inferred and {counts.merged} merged triples in {seconds:.2f} s")
    return store


def load_shapes(settings: Settings) -> Store:
    """The shapes files (``settings.shapes_dir/*.ttl``) in a store of their own, in the graph ``…/shapes``.

    Empty when there are none; :class:`~ilrs.graph.errors.ParseError` (``file:line:col``) if one does not parse.
    """
    store = memory_store()
    for path in sorted(settings.shapes_dir.glob("*.ttl")):
        store.load_file(path, graph=SHAPES_IRI)
    return store


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
