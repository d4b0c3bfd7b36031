"""Every response names the dataset version it was answered from, in ``ILRS-Dataset-Version``.

The middleware reads the current dataset once, when a request arrives, and pins it on the request
(``request.state.dataset``, which :func:`~ilrs.server.deps.get_dataset` returns): whatever swaps the
dataset meanwhile (``--watch``, a new snapshot), the whole answer and its header come from one version.
Replicas serving the same snapshot send the same version (and the same ETags), so a client or a
proxy can tell which version each answer came from behind a load balancer.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

VERSION_HEADER = "ILRS-Dataset-Version"


class DatasetVersionMiddleware:
    """Pins the current dataset on each HTTP request and names its version in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        dataset = scope["app"].state.dataset.current
        scope.setdefault("state", {})["dataset"] = dataset
        version = dataset.store.version

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A committed write names the version it made (server/routes/writes.py); the rest the one they read.
                MutableHeaders(scope=message).setdefault(VERSION_HEADER, version)
            await send(message)

        await self.app(scope, receive, sending)
