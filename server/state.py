"""The dataset the server answers from, swappable in one step.

Requests read :attr:`DatasetHolder.current` once (through :mod:`.deps`) and keep that
dataset — its store and its shapes — for their whole life, so replacing it (``ilrs serve
--watch``) never mixes two versions in one answer.

A committed write changes the store in place, in one transaction, and then its version
(:class:`~ilrs.graph.writer.Writer`); :meth:`DatasetHolder.committed` is the one hook that tells
whoever keeps something per version (the query executor's snapshot, caches) to move on:
they :meth:`~DatasetHolder.subscribe`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ilrs.graph.loader import Dataset
from ilrs.graph.writer import Commit

log = logging.getLogger("ilrs.server.state")


class DatasetHolder:
    """Holds the current :class:`~ilrs.graph.loader.Dataset`; :meth:`swap` replaces it atomically."""

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset
        self._lock = threading.Lock()
        self._listeners: list[Callable[[str], None]] = []

    @property
    def current(self) -> Dataset:
        return self._dataset

    def swap(self, dataset: Dataset) -> None:
        with self._lock:
            self._dataset = dataset

    def subscribe(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(version)`` after every committed write (from the writing thread)."""
        self._listeners.append(listener)

    def committed(self, commit: Commit) -> None:
        """A write was committed to the current store: tell the listeners its version."""
        for listener in list(self._listeners):
            try:
                listener(commit.version)
            except Exception:  # one listener's bug must not keep the others from hearing of it
                log.exception("a commit listener failed")
