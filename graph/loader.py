"""Find the graph's files and load them into a store, each into its named graph.

The dataset is built from, in this order:

* ``ontology/ilrs.ttl`` into ``…/graph/ontology``;
* ``ontology/vocabularies.ttl`` into ``…/graph/reference/vocabularies``;
* ``graph/data/reference/*.ttl`` into ``…/graph/reference/{stem}``;
* every ``graph/data/**/*.trig`` file, whose quads name their own graphs;
* researchers' own files (``ilrs serve --load FILE``), each into the named graph
  ``…/graph/loaded/{stem}``, or the IRI given with ``--load FILE=IRI``. A graph's
  name is published (service description, VoID): it never tells where the file
  lies on the serving machine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .namespaces import GRAPH, ONTOLOGY_GRAPH
from .settings import Settings
from .store import OxigraphStore, StoreError

VOCABULARIES_GRAPH = str(GRAPH["reference/vocabularies"])

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DataFile:
    """One file of the dataset and the named graph its triples go to (``None``: quads name their own)."""

    path: Path
    graph: str | None


def dataset_files(settings: Settings) -> list[DataFile]:
    """Every file of the dataset, in load order; :class:`StoreError` if a required one is missing."""
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
            raise StoreError(f"{f.path}: no such file")
    return files


def loaded_graph_iri(path: Path) -> str:
    """The named graph of a researcher's file: ``…/graph/loaded/`` and its stem, reduced to safe characters."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-.") or "file"
    return str(GRAPH[f"loaded/{slug}"])


def loaded_graphs(settings: Settings) -> dict[Path, str]:
    """Each of ``settings.extra_files`` and its graph IRI; :class:`StoreError` if two would share one."""
    graphs: dict[Path, str] = {}
    for path in settings.extra_files:
        graph = settings.extra_graph_names.get(str(path)) or loaded_graph_iri(path)
        for other, taken in graphs.items():
            if taken == graph:
                raise StoreError(f"{other} and {path} would both be loaded into <{graph}>: name one with FILE=IRI")
        graphs[path] = graph
    return graphs


def build_store(settings: Settings, progress: Progress | None = None) -> OxigraphStore:
    """A store holding the whole dataset.

    With ``settings.store_dir`` the store is on disk; it is emptied and reloaded, so
    the files in the repository stay the one source of truth.
    """
    store = OxigraphStore(settings.store_dir)
    if settings.store_dir is not None:
        store.clear()
    for f in dataset_files(settings):
        added = store.load_file(f.path, graph=f.graph)
        if progress:
            progress(f"loaded {added:>6} quads from {_display(f.path)}")
    return store


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
