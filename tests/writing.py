"""Helpers for tests that write: a token file with one write token, and an empty dataset."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from servers import LiveServer, start_server, stop_server

from ilrs.graph.tokens import add_token


@dataclass
class Writable:
    """A token file holding one token, and the token (``Authorization: Bearer <token>``)."""

    path: Path
    token: str
    name: str = "curator"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def write_token(tmp: Path, name: str = "curator") -> Writable:
    """A new tokens file in ``tmp`` with one token named ``name``."""
    path = tmp / "tokens"
    return Writable(path, add_token(path, name), name)


def empty_dataset_env(tmp: Path) -> dict[str, str]:
    """Settings for a server holding no ILRS data (an empty ontology file, no data files): for the W3C
    manifests, whose updates clear and drop every graph."""
    (tmp / "ontology").mkdir(exist_ok=True)
    (tmp / "ontology" / "ilrs.ttl").write_text("")
    (tmp / "data").mkdir(exist_ok=True)
    return {"ILRS_ONTOLOGY_DIR": str(tmp / "ontology"), "ILRS_DATA_DIR": str(tmp / "data")}


def writable_server(tmp: Path, token: Writable, env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """A live server taking writes with ``token`` (a module fixture yields from it), stopped afterwards."""
    live = start_server(tmp, "--tokens", str(token.path), env=env)
    yield live
    stop_server(live)


def state(client: httpx.Client) -> tuple[str, int]:
    """The served dataset's version and quad count, as ``/health`` tells them."""
    health = client.get("/health").json()
    return health["version"], health["quads"]
