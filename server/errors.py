"""What a client gets when something goes wrong outside a route's own answers.

* An unexpected exception — a bug, always — is a 500 with one short line (JSON for clients
  that ask for JSON, plain text otherwise) and never a traceback; the traceback goes to the
  server's log.
* A 404 for a path no route serves is the site's page for browsers, and FastAPI's
  ``{"detail": …}`` for everything else; other HTTP errors (405 with its ``Allow``) are
  FastAPI's own.
* A representation nothing acceptable can be sent as
  (:class:`~ilrs.graph.formats.NotAcceptable`) is a 406 listing what there is, and a client
  whose cached copy is current (:class:`~.representations.NotModified`) gets an empty 304.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from ilrs.graph.formats import NotAcceptable

from .representations import NotModified, not_acceptable_response, not_found_response, wants_html

INTERNAL_ERROR = "internal server error: the request could not be answered (the server's log says why)"


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(Exception, internal_error)
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(NotAcceptable, not_acceptable_response)  # type: ignore[arg-type]
    app.add_exception_handler(NotModified, not_modified)  # type: ignore[arg-type]


async def not_modified(request: Request, exc: NotModified) -> Response:
    """An empty 304 carrying the same validators as the full response would."""
    return Response(status_code=304, headers=exc.headers)


async def internal_error(request: Request, exc: Exception) -> Response:
    """500, one line, no traceback (Starlette logs it once this response is sent)."""
    if "json" in (request.headers.get("accept") or ""):
        return JSONResponse({"detail": INTERNAL_ERROR}, status_code=500)
    return PlainTextResponse(INTERNAL_ERROR + "\n", status_code=500)


async def http_error(request: Request, exc: HTTPException) -> Response:
    """FastAPI's answer, but the HTML page for a browser that finds nothing at a path."""
    if exc.status_code == 404 and wants_html(request.headers.get("accept")):
        settings = request.app.state.settings
        detail = exc.detail if exc.detail != "Not Found" else "there is no page at this address"
        return not_found_response(request, settings, str(detail), "html")
    return await http_exception_handler(request, exc)
