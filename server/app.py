"""The FastAPI application and the uvicorn entry point."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from ilrs.graph import __version__
from ilrs.graph.loader import Dataset, Progress, build_dataset, load_shapes
from ilrs.graph.settings import Settings, get_settings
from ilrs.graph.store import Store
from ilrs.graph.tokens import TokenRegistry
from ilrs.graph.writer import Writer

from . import errors
from .assets import STATIC_DIR, StaticCacheMiddleware
from .compression import CompressionMiddleware
from .fairness import ClientShareMiddleware
from .head import HeadMiddleware
from .metrics import MetricsMiddleware
from .request_log import RequestLogMiddleware
from .routes import api, dataset, explore, health, partner_map, problems, resources, sparql, ui, writes
from .security import SecurityHeadersMiddleware, TrustedHostMiddleware
from .sparql.result_cache import ResultCache
from .state import DatasetHolder
from .utf8 import Utf8Middleware
from .versioning import VERSION_HEADER, DatasetVersionMiddleware

log = logging.getLogger("ilrs.server")


def create_app(
    settings: Settings | None = None, store: Store | None = None, progress: Progress | None = None
) -> FastAPI:
    """The application serving ``store`` (by default the dataset built from the repository's files, telling
    ``progress`` how the load goes).

    The shapes are always loaded from ``settings.shapes_dir``.
    """
    settings = settings or get_settings()
    app = FastAPI(
        title="ILRS Knowledge Graph",
        version=__version__,
        description="SPARQL 1.1, linked data and JSON-LD for the International Lunar Research Station graph.",
        # /docs is served by routes/ui.py from vendored swagger-ui (FastAPI's own loads it from a CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    served = build_dataset(settings, progress) if store is None else Dataset(store, load_shapes(settings))
    app.state.dataset = DatasetHolder(served)
    app.state.result_cache = ResultCache(settings.result_cache_bytes)
    app.state.tokens = TokenRegistry.from_file(settings.tokens_file)
    app.state.writer = Writer(served.store, settings)
    app.state.writer.subscribe(app.state.dataset.committed)
    errors.install(app)
    app.add_middleware(Utf8Middleware)  # inside the CORS middleware: browsers can read its refusals
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["ETag", "Link", "Location", "Content-Location", "Vary", VERSION_HEADER],
    )
    app.add_middleware(
        CompressionMiddleware, level=settings.compression_level, sparql_level=settings.sparql_compression_level
    )
    app.add_middleware(HeadMiddleware)
    app.add_middleware(ClientShareMiddleware, settings=settings)
    app.add_middleware(TrustedHostMiddleware, settings=settings)
    # Outermost, so refusals are logged and carry the security headers too.
    app.add_middleware(RequestLogMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(DatasetVersionMiddleware)  # every answer, refusals too, names its version
    if settings.metrics:
        app.add_middleware(MetricsMiddleware)  # outermost: refusals are counted and timed too
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
    app.mount("/static", StaticCacheMiddleware(StaticFiles(directory=STATIC_DIR)), name="static")
    return app


def run(
    settings: Settings, watch: bool = False, listen_fd: int | None = None, progress: Progress | None = None
) -> None:
    """Serve the dataset with uvicorn until interrupted; on the socket ``listen_fd`` if given (one process of
    ``ilrs serve --workers``, see :mod:`.workers`), else on ``settings.host:port``. ``progress`` is told how
    the load goes."""
    import socket

    import uvicorn

    from .http_protocol import guarded_protocol

    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request to an external store at INFO: one line per query is noise, failures are errors.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app = create_app(settings, progress=progress)
    if watch:
        from .reload import enable_watch

        enable_watch(app, settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        # httptools, uvicorn's default parser, buffers a request head of any size (a 300 MB header took
        # 450 MB and minutes of the event loop): this is h11, refusing a larger head than the limit with
        # 400, with a deadline for the head, a cap on connections per client and RFC 9112's refusals.
        http=guarded_protocol(settings),
        h11_max_incomplete_event_size=settings.max_request_head,
        # X-Forwarded-For/-Proto are believed only from the configured proxies (uvicorn trusts loopback
        # by default, so any local client could make itself https or another address).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or [],
    )
    server = uvicorn.Server(config)
    server.run(sockets=[socket.socket(fileno=listen_fd)] if listen_fd is not None else None)
