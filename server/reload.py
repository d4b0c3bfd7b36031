"""``ilrs serve --watch``: rebuild the graph when its files change, and swap it in if it is valid.

The rebuild (:func:`ilrs.graph.watch.rebuild`) runs in a worker thread, so requests
go on being answered from the current store meanwhile; the swap
(:meth:`DatasetHolder.swap`) is one assignment, so no request sees half of each. The
ontology pages (``/ontology/``) are regenerated from each accepted graph; a refused
reload is recorded for ``/health``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from watchfiles import awatch

from ilrs.graph.settings import Settings
from ilrs.graph.watch import DataFileFilter, rebuild, watched_paths

from .state import DatasetHolder

log = logging.getLogger("ilrs.server.reload")


async def watch_and_reload(
    holder: DatasetHolder, settings: Settings, stop: asyncio.Event, docs_parent: Path | None = None
) -> None:
    """Until ``stop`` is set: after each burst of changes, rebuild, check and validate; swap if all pass.

    An accepted graph comes with its ontology documentation, generated into ``docs_parent``.
    """
    paths = watched_paths(settings)
    log.info("watching %s for changes", ", ".join(map(str, paths)))
    async for changes in awatch(
        *paths, watch_filter=DataFileFilter(), debounce=settings.watch_debounce_ms, stop_event=stop
    ):
        names = ", ".join(sorted({Path(p).name for _, p in changes}))
        log.info("changed: %s; rebuilding", names)
        try:
            result = await asyncio.to_thread(rebuild, settings, docs_parent)
        except Exception:  # a bug, not a bad edit: say so, and keep watching and serving
            log.exception("rebuild failed; kept the previous graph")
            holder.refuse("the rebuild failed unexpectedly: see the server's log")
            continue
        if result.dataset is not None:
            previous = holder.docs_dir
            holder.swap(result.dataset, result.docs_dir)
            if previous is not None and result.docs_dir is not None:
                shutil.rmtree(previous, ignore_errors=True)  # requests read the new folder from now on
            log.info(result.message)
        else:
            holder.refuse(result.message.splitlines()[0])
            log.error(result.message)


def enable_watch(app: FastAPI, settings: Settings) -> None:
    """Run :func:`watch_and_reload` for the application's lifetime (wrapping its existing lifespan)."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        stop = asyncio.Event()
        with tempfile.TemporaryDirectory(prefix="ilrs-watch-docs-") as docs_parent:
            task = asyncio.create_task(watch_and_reload(application.state.dataset, settings, stop, Path(docs_parent)))
            try:
                async with inner(application) as state:
                    yield state
            finally:
                stop.set()
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(task, timeout=5)

    app.router.lifespan_context = lifespan
