"""The dataset the server answers from, swappable in one step.

Requests read :attr:`DatasetHolder.store` once and keep that store for their whole
life, so replacing it (``ilrs serve --watch``) never mixes two versions in one answer.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from ilrs.graph.settings import Settings
from ilrs.graph.store import OxigraphStore


class DatasetHolder:
    """Holds the current store; :meth:`swap` replaces it atomically."""

    def __init__(self, store: OxigraphStore) -> None:
        self._store = store
        self._lock = threading.Lock()

    @property
    def store(self) -> OxigraphStore:
        return self._store

    def swap(self, store: OxigraphStore) -> None:
        with self._lock:
            self._store = store


def get_store(request: Request) -> OxigraphStore:
    """FastAPI dependency: the store of the current dataset version."""
    holder: DatasetHolder = request.app.state.dataset
    return holder.store


def get_app_settings(request: Request) -> Settings:
    """FastAPI dependency: the settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


#: Annotated dependencies for route signatures: ``def route(store: StoreDep, settings: SettingsDep)``.
StoreDep = Annotated[OxigraphStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
