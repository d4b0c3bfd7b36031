"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ilrs.graph.store import OxigraphStore

from ..state import get_store

router = APIRouter(tags=["service"])


@router.get("/health", summary="Is the server up, and which dataset version does it serve?")
def health(store: OxigraphStore = Depends(get_store)) -> dict[str, object]:
    return {"status": "ok", "version": store.version, "quads": store.count(), "graphs": len(store.graphs())}
