"""The dataset the server answers from, swappable in one step.

Requests read :attr:`DatasetHolder.current` once (through :mod:`.deps`) and keep that
dataset — its store and its shapes — for their whole life, so replacing it (``ilrs serve
--watch``) never mixes two versions in one answer. The holder also keeps the ontology
documentation generated from the served dataset by a reload, and the last refused reload.

A committed write changes the store in place, in one transaction, and then its version
(:class:`~ilrs.graph.writer.Writer`); :meth:`DatasetHolder.committed` is the one hook that tells
whoever keeps something per version (the query executor's snapshot, caches) to move on:
they :meth:`~DatasetHolder.subscribe`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ilrs.graph.loader import Dataset
from ilrs.graph.writer import Commit

log = logging.getLogger("ilrs.server.state")


@dataclass(frozen=True)
class Refusal:
    """A reload that ``ilrs serve --watch`` refused: when, and why (the first line of what it logged)."""

    at: dt.datetime
    reason: str


class DatasetHolder:
    """Holds the current :class:`~ilrs.graph.loader.Dataset`; :meth:`swap` replaces it atomically.

    After a refused reload (:meth:`refuse`) the files on disk are newer than the dataset served,
    until a later reload is accepted: ``/health`` says so.
    """

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset
        self._docs_dir: Path | None = None
        self._since = dt.datetime.now(dt.UTC)
        self._refusal: Refusal | None = None
        self._lock = threading.Lock()
        self._listeners: list[Callable[[str], None]] = []
        self._swap_listeners: list[Callable[[Dataset], None]] = []

    @property
    def current(self) -> Dataset:
        return self._dataset

    @property
    def docs_dir(self) -> Path | None:
        """The documentation generated from the served dataset by a reload; ``None``: the committed one."""
        return self._docs_dir

    @property
    def since(self) -> dt.datetime:
        """When the served dataset was loaded."""
        return self._since

    @property
    def refusal(self) -> Refusal | None:
        """The last refused reload, if none was accepted after it."""
        return self._refusal

    def swap(self, dataset: Dataset, docs_dir: Path | None = None) -> None:
        """Serve ``dataset`` (with its documentation in ``docs_dir``, if generated) from now on.

        The :meth:`on_swap` listeners hear of it first, while no request can be using it yet.
        """
        for listener in list(self._swap_listeners):
            try:
                listener(dataset)
            except Exception:  # the dataset is served all the same; the listener's own fallback applies
                log.exception("a swap listener failed")
        with self._lock:
            self._dataset, self._since, self._refusal = dataset, dt.datetime.now(dt.UTC), None
            if docs_dir is not None:
                self._docs_dir = docs_dir

    def refuse(self, reason: str) -> None:
        """Record that the files changed but could not be served, for ``reason``."""
        with self._lock:
            self._refusal = Refusal(dt.datetime.now(dt.UTC), reason)

    def on_swap(self, listener: Callable[[Dataset], None]) -> None:
        """Call ``listener(dataset)`` with every dataset that :meth:`swap` is about to serve, before any request
        can read it (on the thread that swaps: the event loop)."""
        self._swap_listeners.append(listener)

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
