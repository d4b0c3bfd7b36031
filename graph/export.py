"""Export the dataset, or one named graph, in the standard RDF formats."""

from __future__ import annotations

from typing import IO

import pyoxigraph as ox

from .errors import NotFound, ParameterError
from .formats import DATASET_FORMATS, FORMATS, Format
from .store import Store

#: The formats ``ilrs export --format`` writes: every RDF format of the registry.
EXPORT_FORMATS: tuple[Format, ...] = tuple(f for f in FORMATS if isinstance(f.writer, ox.RdfFormat))


def export(store: Store, output: IO[bytes], fmt: Format, graph: str | None = None) -> None:
    """Write the dataset (or ``graph``) to ``output`` as ``fmt`` (one of :data:`EXPORT_FORMATS`).

    Raises :class:`~.errors.ParameterError` for a format that is not RDF, or a one-graph format without
    ``graph``, and :class:`~.errors.NotFound` for an unknown ``graph``.
    """
    if fmt not in EXPORT_FORMATS:
        raise ParameterError(f"{fmt.label} is not an RDF format; export as {', '.join(f.name for f in EXPORT_FORMATS)}")
    if graph is not None and graph not in store.graphs():
        raise NotFound(f"no named graph <{graph}> in the dataset")
    if graph is None and fmt not in DATASET_FORMATS:
        holders = ", ".join(f.name for f in DATASET_FORMATS)
        raise ParameterError(f"{fmt.name} holds one graph: name it with --graph, or export as one of {holders}")
    store.dump(output, fmt.media_type, graph=graph)
