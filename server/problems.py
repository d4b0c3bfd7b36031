"""The one mapping from the project's errors (:mod:`ilrs.graph.errors`) to HTTP responses.

:data:`STATUS` gives the status of each class of the tree (a subclass not listed takes its
nearest listed ancestor's); :func:`error_response` is the one function that turns an error
into a response:

* for the JSON-LD API and the linked-data routes, an RFC 9457 problem details document
  (``application/problem+json``): ``type`` (the problem type's IRI, documented at
  ``/problems/{name}``), ``title``, ``status``, ``detail`` (the error's message), ``instance``
  (the request's path), and ``position`` (``line``, ``column``) where the input's position is
  known, ``available`` media types for a 406, ``allowed`` methods for a 405;
* for ``/sparql``, one line of plain text, as SPARQL protocol clients show it.

Neither ever holds a traceback.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from ilrs.graph import errors
from ilrs.graph.settings import BASE_IRI

PROBLEM_JSON = "application/problem+json"
#: Where problem types are named: ``…/problems/query-syntax-error``, served by the server at ``/problems/…``.
PROBLEM_TYPES = f"{BASE_IRI}problems/"

#: The HTTP status of each error class; a class not listed takes that of its nearest listed ancestor.
STATUS: dict[type[errors.IlrsError], int] = {
    errors.IlrsError: 500,
    errors.InputError: 400,
    errors.LimitExceeded: 413,
    errors.UnsupportedMediaType: 415,
    errors.UnsupportedOperation: 405,
    errors.InputTimeout: 408,
    errors.NotFound: 404,
    errors.NotAcceptable: 406,
    errors.ResourceLimit: 503,
    errors.QueryTimeout: 504,
    errors.MemoryLimitExceeded: 507,
    errors.ResultTooLarge: 507,
    errors.Busy: 503,
    errors.ValidationError: 422,
    errors.StoreError: 500,
    errors.ToolError: 500,
}


def status_of(err: errors.IlrsError) -> int:
    """The HTTP status for ``err``: :data:`STATUS` of its class or of its nearest listed ancestor.

    >>> status_of(errors.QuerySyntaxError("invalid query")), status_of(errors.Busy(slots=8, retry_after=2))
    (400, 503)
    """
    return status_of_class(type(err))


def status_of_class(error_class: type[errors.IlrsError]) -> int:
    """:data:`STATUS` of ``error_class``, or of its nearest listed ancestor."""
    for cls in error_class.__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def headers_of(err: errors.IlrsError) -> dict[str, str]:
    """The headers a status needs to be useful: ``Allow``, ``Retry-After``, ``Vary`` and the like."""
    if isinstance(err, errors.UnsupportedOperation):
        return {"Allow": ", ".join(err.allowed)}
    if isinstance(err, errors.Busy):
        return {"Retry-After": str(err.retry_after)}
    if isinstance(err, errors.NotAcceptable):
        return {"Vary": "Accept"}
    if isinstance(err, errors.UnsupportedMediaType):
        return {"Accept-Encoding": "identity"}  # RFC 7694: bodies are read uncompressed only
    if isinstance(err, errors.InputTimeout):
        return {"Connection": "close"}  # a client that sends too slowly does not keep its connection
    return {}


def problem_type(cls: type[errors.IlrsError]) -> str:
    """The IRI naming a class of error as a problem type: ``…/problems/query-syntax-error``."""
    return PROBLEM_TYPES + slug(cls)


def slug(cls: type[errors.IlrsError]) -> str:
    """``query-syntax-error`` for :class:`~ilrs.graph.errors.QuerySyntaxError`.

    >>> slug(errors.QuerySyntaxError), slug(errors.NotFound)
    ('query-syntax-error', 'not-found')
    """
    return re.sub(r"(?<!^)(?=[A-Z])", "-", cls.__name__).lower()


def problem_details(request: Request, err: errors.IlrsError) -> dict[str, Any]:
    """The RFC 9457 members describing ``err`` as an answer to ``request``."""
    body: dict[str, Any] = {
        "type": problem_type(type(err)),
        "title": err.title,
        "status": status_of(err),
        "detail": str(err),
        "instance": request.url.path,
    }
    fields = err.fields()
    if "line" in fields:
        body["position"] = {"line": fields["line"], **({"column": fields["column"]} if "column" in fields else {})}
    for name in ("available", "allowed"):
        if name in fields:
            body[name] = fields[name]
    return body


def problem_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """A problem details document as a response."""
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def http_problem(request: Request, status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """Problem details for an HTTP-level error that has no class of its own (an unknown path, a 405 of a route).

    Its type is ``about:blank`` and its title the status's reason phrase, as RFC 9457 asks.
    """
    try:
        title = HTTPStatus(status).phrase
    except ValueError:  # a status outside the standard ones
        title = "Error"
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    return problem_response(status, body, headers)


def error_response(request: Request, err: errors.IlrsError, *, plain_text: bool = False) -> Response:
    """The response for ``err``: problem details, or with ``plain_text`` one line of text (``/sparql``)."""
    status = status_of(err)
    headers = headers_of(err)
    if plain_text:
        return PlainTextResponse(f"{err}\n", status_code=status, headers=headers)
    return problem_response(status, problem_details(request, err), headers)
