"""The dataset the server answers from, swappable in one step.

Requests read :attr:`DatasetHolder.store` once and keep that store for their whole
life, so replacing it (``ilrs serve --watch``) never mixes two versions in one answer.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from ilrs.graph.settings import Settings
from ilrs.graph.store import OxigraphStore


@dataclass(frozen=True)
class Refusal:
    """A reload that ``ilrs serve --watch`` refused: when, and why (the first line of what it logged)."""

    at: dt.datetime
    reason: str


class DatasetHolder:
    """Holds the current store (and, once reloaded, its documentation); :meth:`swap` replaces them atomically.

    After a refused reload (:meth:`refuse`) the files on disk are newer than the graph served,
    until a later reload is accepted: ``/health`` says so.
    """

    def __init__(self, store: OxigraphStore) -> None:
        self._store = store
        self._docs_dir: Path | None = None
        self._since = dt.datetime.now(dt.UTC)
        self._refusal: Refusal | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> OxigraphStore:
        return self._store

    @property
    def docs_dir(self) -> Path | None:
        """The documentation generated from the served graph by a reload; ``None``: the committed ``docs/ontology``."""
        return self._docs_dir

    @property
    def since(self) -> dt.datetime:
        """When the served store was loaded."""
        return self._since

    @property
    def refusal(self) -> Refusal | None:
        """The last refused reload, if none was accepted after it."""
        return self._refusal

    def swap(self, store: OxigraphStore, docs_dir: Path | None = None) -> None:
        """Serve ``store`` (with its documentation in ``docs_dir``, if generated) from now on."""
        with self._lock:
            self._store, self._since, self._refusal = store, dt.datetime.now(dt.UTC), None
            if docs_dir is not None:
                self._docs_dir = docs_dir

    def refuse(self, reason: str) -> None:
        """Record that the files changed but could not be served, for ``reason``."""
        with self._lock:
            self._refusal = Refusal(dt.datetime.now(dt.UTC), reason)


def get_store(request: Request) -> OxigraphStore:
    """FastAPI dependency: the store of the current dataset version."""
    holder: DatasetHolder = request.app.state.dataset
    return holder.store


def get_app_settings(request: Request) -> Settings:
    """FastAPI dependency: the settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_holder(request: Request) -> DatasetHolder:
    """FastAPI dependency: the holder of the served dataset (its store, documentation and reload state)."""
    holder: DatasetHolder = request.app.state.dataset
    return holder


#: Annotated dependencies for route signatures: ``def route(store: StoreDep, settings: SettingsDep)``.
StoreDep = Annotated[OxigraphStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
HolderDep = Annotated[DatasetHolder, Depends(get_holder)]
