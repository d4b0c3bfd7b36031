"""What a client gets when something goes wrong outside a route's own answers.

* An unexpected exception — a bug, always — is a 500 with one short line (JSON for clients
  that ask for JSON, plain text otherwise) and never a traceback; the traceback goes to the
  server's log.
* A 404 for a path no route serves is the site's page for browsers, and FastAPI's
  ``{"detail": …}`` for everything else; other HTTP errors (405 with its ``Allow``) are
  FastAPI's own.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from .negotiation import best_match
from .representations import HTML, not_found_response

INTERNAL_ERROR = "internal server error: the request could not be answered (the server's log says why)"


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(Exception, internal_error)
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]


async def internal_error(request: Request, exc: Exception) -> Response:
    """500, one line, no traceback (Starlette logs it once this response is sent)."""
    if "json" in (request.headers.get("accept") or ""):
        return JSONResponse({"detail": INTERNAL_ERROR}, status_code=500)
    return PlainTextResponse(INTERNAL_ERROR + "\n", status_code=500)


async def http_error(request: Request, exc: HTTPException) -> Response:
    """FastAPI's answer, but the HTML page for a browser that finds nothing at a path."""
    if exc.status_code == 404 and best_match(request.headers.get("accept"), ["application/json", HTML]) == HTML:
        settings = request.app.state.settings
        detail = exc.detail if exc.detail != "Not Found" else "there is no page at this address"
        return not_found_response(request, settings, str(detail), "html")
    return await http_exception_handler(request, exc)
