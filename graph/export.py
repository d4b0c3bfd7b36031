"""Export the dataset, or one named graph, in the standard RDF formats."""

from __future__ import annotations

from typing import IO

from .errors import NotFound, ParameterError, UnknownFormat
from .store import Store

#: Export format names accepted by ``ilrs export --format`` and their media types.
EXPORT_FORMATS: dict[str, str] = {
    "trig": "application/trig",
    "nquads": "application/n-quads",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "jsonld": "application/ld+json",
}

#: Formats that hold a whole dataset (all named graphs).
DATASET_FORMATS = frozenset({"trig", "nquads", "jsonld"})


def export(store: Store, output: IO[bytes], fmt: str, graph: str | None = None) -> None:
    """Write the dataset (or ``graph``) to ``output`` as ``fmt`` (a key of :data:`EXPORT_FORMATS`).

    Raises :class:`UnknownFormat`, :class:`NotFound` for an unknown ``graph``, and :class:`ParameterError`
    for a one-graph format without ``graph``.
    """
    if fmt not in EXPORT_FORMATS:
        raise UnknownFormat(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    if graph is not None and graph not in store.graphs():
        raise NotFound(f"no named graph <{graph}> in the dataset")
    if graph is None and fmt not in DATASET_FORMATS:
        raise ParameterError(f"{fmt} holds one graph: name it with --graph, or export as trig, nquads or jsonld")
    store.dump(output, EXPORT_FORMATS[fmt], graph=graph)
