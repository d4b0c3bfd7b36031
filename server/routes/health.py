"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import HolderDep

router = APIRouter(tags=["service"])


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
