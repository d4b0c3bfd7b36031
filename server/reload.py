"""``ilrs serve --watch``: rebuild the graph when its files change, and swap it in if it is valid.

The rebuild (:func:`ilrs.graph.watch.rebuild`) runs in a worker thread, so requests
go on being answered from the current store meanwhile; the swap
(:meth:`DatasetHolder.swap`) is one assignment, so no request sees half of each. The
ontology pages (``/ontology/``) are regenerated from each accepted graph; a refused
reload is recorded for ``/health``. Once the previous store is gone (the requests that held it have
ended), the memory it and the rebuild's validation freed is given back to the system. A supervisor of several
server processes (:mod:`.workers`) rebuilds and settles with the same :func:`attempt` and :func:`settle`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import shutil
import tempfile
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from watchfiles import Change, awatch

from ilrs.graph.settings import Settings
from ilrs.graph.store import return_freed_memory
from ilrs.graph.watch import DataFileFilter, Rebuild, rebuild, watched_paths

from .state import DatasetHolder

log = logging.getLogger("ilrs.server.reload")

#: Seconds to wait for the requests holding the previous store to end before its memory is given back anyway.
RELEASE_WAIT = 60


async def watch_and_reload(
    holder: DatasetHolder, settings: Settings, stop: asyncio.Event, docs_parent: Path | None = None
) -> None:
    """Until ``stop`` is set: after each burst of changes, rebuild, check and validate; swap if all pass.

    An accepted graph comes with its ontology documentation, generated into ``docs_parent``.
    """
    paths = watched_paths(settings)
    log.info("watching %s for changes", ", ".join(map(str, paths)))
    releases: set[asyncio.Task[None]] = set()
    try:
        await _watch(holder, settings, stop, paths, docs_parent, releases)
    finally:
        for task in releases:
            task.cancel()


async def _watch(
    holder: DatasetHolder,
    settings: Settings,
    stop: asyncio.Event,
    paths: list[Path],
    docs_parent: Path | None,
    releases: set[asyncio.Task[None]],
) -> None:
    async for changes in awatch(
        *paths, watch_filter=DataFileFilter(), debounce=settings.watch_debounce_ms, stop_event=stop
    ):
        result = await asyncio.to_thread(attempt, changes, settings, docs_parent)
        replaced = weakref.ref(holder.current.store)
        if result.accepted:
            # The rebuild's garbage (the validation's rdflib graphs) is freed before the swap forks the query
            # zygote of the new version (DatasetHolder.on_swap): the zygote would otherwise keep those pages.
            await asyncio.to_thread(_collect_garbage)
        stale_docs = settle(holder, result)
        if result.accepted:
            release = asyncio.create_task(_give_back_memory(replaced))
            releases.add(release)
            release.add_done_callback(releases.discard)
        if stale_docs is not None:
            shutil.rmtree(stale_docs, ignore_errors=True)  # requests read the new folder from now on
        del result  # its dataset is the holder's now, or garbage


def attempt(changes: set[tuple[Change, str]], settings: Settings, docs_parent: Path | None) -> Rebuild:
    """Rebuild after ``changes`` (:func:`~ilrs.graph.watch.rebuild`), saying so in the log; an unexpected
    failure (a bug, not a bad edit) is logged and comes back as a refused rebuild, so that watching and serving
    go on."""
    log.info("changed: %s; rebuilding", ", ".join(sorted({Path(p).name for _, p in changes})))
    try:
        return rebuild(settings, docs_parent)
    except Exception:
        log.exception("rebuild failed; kept the previous graph")
        return Rebuild(None, "the rebuild failed unexpectedly: see the server's log")


def settle(holder: DatasetHolder, result: Rebuild) -> Path | None:
    """Serve the dataset of an accepted ``result`` from ``holder``, or record the refusal (logged either way);
    the documentation folder the accepted one replaced, to remove once no request reads it any more."""
    if result.dataset is None:
        holder.refuse(result.message.splitlines()[0])
        log.error(result.message)
        return None
    previous = holder.docs_dir
    holder.swap(result.dataset, result.docs_dir)
    log.info(result.message)
    return previous if result.docs_dir is not None else None


async def _give_back_memory(replaced: weakref.ref[object]) -> None:
    """Once the ``replaced`` store is freed (or after :data:`RELEASE_WAIT` seconds), give the C heap's free pages
    back to the system: freed memory otherwise stays in the process, counted as its own, as long as it lives."""
    for _ in range(RELEASE_WAIT * 10):
        if replaced() is None:
            break
        await asyncio.sleep(0.1)
    await asyncio.to_thread(return_freed_memory)


def _collect_garbage() -> None:
    gc.collect()
    return_freed_memory()


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
