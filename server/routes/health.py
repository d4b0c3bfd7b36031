"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ilrs.graph.errors import NotFound

from .. import metrics
from ..deps import HolderDep, SettingsDep

router = APIRouter(tags=["service"])
#: Included only when ``Settings.metrics`` is on.
metrics_router = APIRouter(tags=["service"])


@router.get("/health", summary="Is the server up, which dataset version does it serve, and is it the files' latest?")
def health(holder: HolderDep) -> dict[str, object]:
    """``status`` is ``ok``, or ``stale`` after ``ilrs serve --watch`` refused to reload edited files (``reload``
    says when and why): the graph served is then older than the files."""
    store, refusal = holder.current.store, holder.refusal
    body: dict[str, object] = {
        "status": "ok" if refusal is None else "stale",
        "version": store.version,
        "served_since": holder.since.isoformat(timespec="seconds"),
        "quads": store.count(),
        "graphs": len(store.graphs()),
    }
    if refusal is not None:
        body["reload"] = {
            "status": "refused",
            "at": refusal.at.isoformat(timespec="seconds"),
            "reason": refusal.reason,
            "serving": store.version,
        }
    return body


@metrics_router.get("/metrics", summary="Prometheus metrics of the whole server (only to Settings.metrics_clients)")
def metrics_endpoint(request: Request, holder: HolderDep, settings: SettingsDep) -> Response:
    """The metrics of :mod:`ilrs.server.metrics`; 404 to a client not in ``metrics_clients``."""
    if not metrics.allowed(settings, request.client.host if request.client else None):
        raise NotFound(f"no resource at {request.url.path}")
    return metrics.render(request, holder)
