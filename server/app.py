"""The FastAPI application and the uvicorn entry point."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import Receive, Scope, Send

from ilrs.graph import __version__
from ilrs.graph.loader import Dataset, Progress, build_dataset, load_shapes
from ilrs.graph.settings import Settings, get_settings
from ilrs.graph.store import Store
from ilrs.graph.tokens import TokenRegistry
from ilrs.graph.writer import Writer

from . import errors
from .assets import STATIC_DIR, CachedStaticFiles
from .compression import CompressionMiddleware
from .edge import Dispatch, Edge
from .lifecycle import CUT_WAIT, Stopper, configure_logging
from .page_cache import BUILT, BuiltPages, PageCache
from .routes import api, dataset, explore, health, partner_map, problems, resources, sparql, ui, writes
from .sparql.result_cache import ResultCache
from .state import DatasetHolder
from .utf8 import Utf8Middleware
from .versioning import VERSION_HEADER

log = logging.getLogger("ilrs.server")

#: The methods of ``/sparql`` answered by its direct handler (``HEAD`` arrives as ``GET``, see the edge).
DIRECT = ("GET", "POST")


def create_app(
    settings: Settings | None = None,
    store: Store | None = None,
    progress: Progress | None = None,
    *,
    served: Dataset | DatasetHolder | None = None,
) -> IlrsApp:
    """The application serving ``served`` if given, else ``store`` with the shapes of ``settings.shapes_dir``,
    else the dataset built from the repository's files (telling ``progress`` how the load goes). ``served`` may be
    a holder already (with the documentation and the refused reload it knows of): a server process of
    ``ilrs serve --workers --watch`` serves its supervisor's, as it was when it was forked."""
    settings = settings or get_settings()
    app = IlrsApp(
        title="ILRS Knowledge Graph",
        version=__version__,
        description="SPARQL 1.1, linked data and JSON-LD for the International Lunar Research Station graph.",
        # /docs is served by routes/ui.py from vendored swagger-ui (FastAPI's own loads it from a CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    if served is None:
        served = build_dataset(settings, progress) if store is None else Dataset(store, load_shapes(settings))
    holder = served if isinstance(served, DatasetHolder) else DatasetHolder(served)
    app.state.dataset = holder
    app.state.result_cache = ResultCache(settings.result_cache_bytes)
    app.state.tokens = TokenRegistry.from_file(settings.tokens_file)
    # Only a server taking writes has a writer: it holds the store it writes, which a reload would otherwise
    # keep alive beside the new one.
    app.state.writer = Writer(holder.current.store, settings) if app.state.tokens.enabled else None
    if app.state.writer is not None:
        app.state.writer.subscribe(app.state.dataset.committed)
    errors.install(app)
    if settings.metrics:
        app.include_router(health.metrics_router)
    app.include_router(health.router)
    app.include_router(sparql.router)
    app.include_router(writes.router)
    app.include_router(explore.router)
    app.include_router(partner_map.router)
    app.include_router(ui.router)
    app.include_router(resources.router)
    app.include_router(api.router)
    app.include_router(dataset.router)
    app.include_router(problems.router)
    # Pages link static files by digest, so browsers keep them (assets.py); CompressionMiddleware gzips them.
    app.mount("/static", CachedStaticFiles(directory=STATIC_DIR), name="static")
    # Inside the edge: gzip, CORS (so browsers can read every refusal below it), the UTF-8 of the URL.
    dispatch = Dispatch(app, app.framework, {(sparql.PATH, m): sparql.answer_directly for m in DIRECT})
    # Under CORS and gzip, the pages as built are kept: every encoding and origin of a page is made from one build.
    built = PageCache(settings.page_cache_bytes, BUILT)
    inner = Utf8Middleware(BuiltPages(dispatch, built))
    cors = CORSMiddleware(
        inner,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["ETag", "Link", "Location", "Content-Location", "Vary", VERSION_HEADER],
    )
    compressed = CompressionMiddleware(
        cors, level=settings.compression_level, sparql_level=settings.sparql_compression_level
    )
    # A request that none of these layers would change goes from the edge to its direct handler (edge.py).
    app.edge = Edge(app, compressed, settings, dispatch=dispatch, compression=compressed, built=built)
    return app


class IlrsApp(FastAPI):
    """The FastAPI application behind its :class:`~.edge.Edge`: every HTTP request enters by the edge."""

    edge: Edge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                await self.edge(scope, receive, send)
            except asyncio.CancelledError:
                stopper: Stopper | None = getattr(self.state, "stopper", None)
                if stopper is None or not stopper.requested:
                    raise
                # Cancelled by the server's stop after its connection was cut (lifecycle.py): nothing is left to
                # answer, and uvicorn would log the cancellation with a traceback.
        else:
            await super().__call__(scope, receive, send)

    async def framework(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The FastAPI application itself: its router, dependencies and exception handlers."""
        await super().__call__(scope, receive, send)


def run(
    settings: Settings,
    watch: bool = False,
    listen_fd: int | None = None,
    progress: Progress | None = None,
    *,
    served: Dataset | DatasetHolder | None = None,
    stopper: Stopper | None = None,
) -> None:
    """Serve ``served`` (by default the one built from the files, ``progress`` told how the load goes) with
    uvicorn until stopped by ``stopper`` (by default one installed now, see :mod:`.lifecycle`); on the socket
    ``listen_fd`` if given (one process of ``ilrs serve --workers``, see :mod:`.workers`), else on
    ``settings.host:port``."""
    import socket

    import uvicorn

    from .http_protocol import StoppingServer, guarded_protocol

    stopper = stopper or Stopper.installed(settings)
    configure_logging(settings)
    app = create_app(settings, progress=progress, served=served)
    app.state.stopper = stopper
    if watch:
        from .reload import enable_watch

        enable_watch(app, settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        # httptools, with a limit on the request head's size and a deadline for it, a cap on connections per
        # client and RFC 9112's refusals named (http_protocol.py).
        http=guarded_protocol(settings),
        # X-Forwarded-For/-Proto are believed only from the configured proxies (uvicorn trusts loopback
        # by default, so any local client could make itself https or another address).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or [],
        # The stopper cuts what is left at the grace's end; uvicorn cancels the tasks that outlive the cut. (Typed
        # int, it is handed to asyncio.timeout, which takes any number of seconds.)
        timeout_graceful_shutdown=stopper.grace + CUT_WAIT,  # type: ignore[arg-type]
    )
    server = StoppingServer(config, stopper)
    server.run(sockets=[socket.socket(fileno=listen_fd)] if listen_fd is not None else None)
