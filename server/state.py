"""The dataset the server answers from, swappable in one step.

Requests read :attr:`DatasetHolder.current` once (through :mod:`.deps`) and keep that
dataset — its store and its shapes — for their whole life, so replacing it (``ilrs serve
--watch``) never mixes two versions in one answer.
"""

from __future__ import annotations

import threading

from ilrs.graph.loader import Dataset


class DatasetHolder:
    """Holds the current :class:`~ilrs.graph.loader.Dataset`; :meth:`swap` replaces it atomically."""

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset
        self._lock = threading.Lock()

    @property
    def current(self) -> Dataset:
        return self._dataset

    def swap(self, dataset: Dataset) -> None:
        with self._lock:
            self._dataset = dataset
