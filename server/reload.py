"""``ilrs serve --watch``: rebuild the graph when its files change, and swap it in if it is valid.

The rebuild (:func:`ilrs.graph.watch.rebuild`) runs in a worker thread, so requests
go on being answered from the current store meanwhile; the swap
(:meth:`DatasetHolder.swap`) is one assignment, so no request sees half of each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from watchfiles import awatch

from ilrs.graph.settings import Settings
from ilrs.graph.watch import DataFileFilter, rebuild, watched_paths

from .state import DatasetHolder

log = logging.getLogger("ilrs.server.reload")


async def watch_and_reload(holder: DatasetHolder, settings: Settings, stop: asyncio.Event) -> None:
    """Until ``stop`` is set: after each burst of changes, rebuild, validate and swap if the graph conforms."""
    paths = watched_paths(settings)
    log.info("watching %s for changes", ", ".join(map(str, paths)))
    async for changes in awatch(
        *paths, watch_filter=DataFileFilter(), debounce=settings.watch_debounce_ms, stop_event=stop
    ):
        names = ", ".join(sorted({Path(p).name for _, p in changes}))
        log.info("changed: %s; rebuilding", names)
        try:
            result = await asyncio.to_thread(rebuild, settings)
        except Exception:  # a bug, not a bad edit: say so, and keep watching and serving
            log.exception("rebuild failed; kept the previous graph")
            continue
        if result.dataset is not None:
            holder.swap(result.dataset)
            log.info(result.message)
        else:
            log.error(result.message)


def enable_watch(app: FastAPI, settings: Settings) -> None:
    """Run :func:`watch_and_reload` for the application's lifetime (wrapping its existing lifespan)."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        stop = asyncio.Event()
        task = asyncio.create_task(watch_and_reload(application.state.dataset, settings, stop))
        try:
            async with inner(application) as state:
                yield state
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, timeout=5)

    app.router.lifespan_context = lifespan
