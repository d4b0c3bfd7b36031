"""The floor under this server's fixed cost: the HTTP server it runs on, with nothing behind it.

A bare ASGI application, served by uvicorn with the same HTTP implementation (httptools) and event loop (uvloop) as
``ilrs serve``, that answers every request with the result of ``ASK {}`` and reads nothing of it. What a request to
it costs is what any request to this server costs before the project's own code runs: the parse of the request, the
ASGI cycle, the write of the answer. :mod:`bench.overhead` sets it beside this server and Oxigraph server
(``--floor``), so that a gap to Oxigraph splits into the part the HTTP stack takes and the part the project takes.

    python -m uvicorn bench.floor:app --http httptools --loop uvloop --port 8001
"""

from __future__ import annotations

from typing import Any

#: The answer to every request: a SPARQL JSON boolean, as this server writes the answer to ``ASK {}``.
BODY = b'{"head":{},"boolean":true}'
_HEADERS = [(b"content-type", b"application/sparql-results+json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer an HTTP request with :data:`BODY`; go through a lifespan's startup and shutdown."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": BODY})
