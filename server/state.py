"""The dataset the server answers from, swappable in one step.

Requests read :attr:`DatasetHolder.current` once (through :mod:`.deps`) and keep that
dataset — its store and its shapes — for their whole life, so replacing it (``ilrs serve
--watch``) never mixes two versions in one answer. The holder also keeps the ontology
documentation generated from the served dataset by a reload, and the last refused reload.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path

from ilrs.graph.loader import Dataset


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
        """Serve ``dataset`` (with its documentation in ``docs_dir``, if generated) from now on."""
        with self._lock:
            self._dataset, self._since, self._refusal = dataset, dt.datetime.now(dt.UTC), None
            if docs_dir is not None:
                self._docs_dir = docs_dir

    def refuse(self, reason: str) -> None:
        """Record that the files changed but could not be served, for ``reason``."""
        with self._lock:
            self._refusal = Refusal(dt.datetime.now(dt.UTC), reason)
