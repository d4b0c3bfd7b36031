"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import StoreDep

router = APIRouter(tags=["service"])


@router.get("/health", summary="Is the server up, and which dataset version does it serve?")
def health(store: StoreDep) -> dict[str, object]:
    return {"status": "ok", "version": store.version, "quads": store.count(), "graphs": len(store.graphs())}
