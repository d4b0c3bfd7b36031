"""What a client gets when an error escapes a route.

* An :class:`~ilrs.graph.errors.IlrsError` is answered through :func:`.problems.error_response`
  (problem details with the status of its class); a :class:`~ilrs.graph.errors.NotFound` is the
  site's page for a browser.
* An HTTP error raised by the framework (404 for a path no route serves, 405 with its ``Allow``)
  is problem details too, and the site's page for a browser that finds nothing at a path.
* A client whose cached copy is current (:class:`~.representations.NotModified`) gets an
  empty 304 with the validators the full response would carry.
* An unexpected exception — a bug, always — is a 500 with one short line (problem details for
  clients that ask for JSON, plain text otherwise) and never a traceback; the traceback goes to
  the server's log.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ilrs.graph.errors import IlrsError, NotFound

from .problems import error_response, http_problem
from .representations import NotModified, not_found_response, wants_html

INTERNAL_ERROR = "internal server error: the request could not be answered (the server's log says why)"


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(Exception, internal_error)
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(IlrsError, project_error)  # type: ignore[arg-type]
    app.add_exception_handler(NotModified, not_modified)  # type: ignore[arg-type]


async def not_modified(request: Request, exc: NotModified) -> Response:
    """An empty 304 carrying the same validators as the full response would."""
    return Response(status_code=304, headers=exc.headers)


async def project_error(request: Request, exc: IlrsError) -> Response:
    """An error of the project's tree that a route let through: its status, as problem details."""
    if isinstance(exc, NotFound):
        return not_found_response(request, request.app.state.settings, str(exc))
    return error_response(request, exc)


async def internal_error(request: Request, exc: Exception) -> Response:
    """500, one line, no traceback (Starlette logs it once this response is sent)."""
    if "json" in (request.headers.get("accept") or ""):
        return http_problem(request, 500, INTERNAL_ERROR)
    return PlainTextResponse(INTERNAL_ERROR + "\n", status_code=500)


async def http_error(request: Request, exc: HTTPException) -> Response:
    """Problem details; the HTML page for a browser that finds nothing at a path."""
    if exc.status_code == 404 and wants_html(request.headers.get("accept")):
        detail = exc.detail if exc.detail != "Not Found" else "there is no page at this address"
        return not_found_response(request, request.app.state.settings, str(detail), "html")
    return http_problem(request, exc.status_code, str(exc.detail), dict(exc.headers or {}))
