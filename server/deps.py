"""Every FastAPI dependency of the routes, in one place: ``def route(store: StoreDep, settings: SettingsDep)``.

The store and the shapes come from the same :class:`~ilrs.graph.loader.Dataset`, read once per
request (FastAPI caches a dependency within a request), so an answer never mixes two versions
of the files even while ``ilrs serve --watch`` swaps them. They are ``async`` only so that FastAPI
calls them on the event loop rather than in its thread pool: none of them waits for anything.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from ilrs.graph.loader import Dataset
from ilrs.graph.settings import Settings
from ilrs.graph.store import Store

from .sparql.executor import QueryExecutor
from .sparql.thread_executor import ThreadExecutor
from .state import DatasetHolder


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_dataset(request: Request) -> Dataset:
    """The current dataset version: its store and its shapes."""
    holder: DatasetHolder = request.app.state.dataset
    return holder.current


DatasetDep = Annotated[Dataset, Depends(get_dataset)]


async def get_store(dataset: DatasetDep) -> Store:
    """The store of the current dataset version."""
    return dataset.store


async def get_shapes(dataset: DatasetDep) -> Store:
    """The shapes of the current dataset version, in their own store (graph ``…/shapes``)."""
    return dataset.shapes


async def get_executor(request: Request) -> QueryExecutor:
    """The application's query executor, made by its lifespan as ``Settings.query_executor`` says.

    Worker processes belong to the event loop that runs the application's lifespan, which also
    stops them. An application served without its lifespan (an in-process test client used
    without ``with``, which runs each request in a new event loop) gets the thread executor.
    """
    state = request.app.state
    executor: QueryExecutor | None = getattr(state, "sparql_executor", None)
    if executor is None:
        settings: Settings = state.settings
        executor = state.sparql_executor = ThreadExecutor(settings.max_concurrent_queries)
    return executor


async def get_holder(request: Request) -> DatasetHolder:
    """The holder of the served dataset: the dataset, its documentation and the state of reloads."""
    holder: DatasetHolder = request.app.state.dataset
    return holder


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
HolderDep = Annotated[DatasetHolder, Depends(get_holder)]
StoreDep = Annotated[Store, Depends(get_store)]
ShapesDep = Annotated[Store, Depends(get_shapes)]
ExecutorDep = Annotated[QueryExecutor, Depends(get_executor)]
