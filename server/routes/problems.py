"""``/problems/{name}``: what each problem type of an error response means.

Every problem details document the server sends (:mod:`ilrs.server.problems`) names its type
with an IRI such as ``https://w3id.org/ilrs/problems/query-syntax-error``; like every IRI under
the canonical base it dereferences here, to the documentation of the error class
(:mod:`ilrs.graph.errors`) and the status it is sent with.
"""

from __future__ import annotations

import inspect

from fastapi import APIRouter
from starlette.responses import PlainTextResponse

from ilrs.graph.errors import NotFound, error_classes

from ..problems import PROBLEM_JSON, slug, status_of_class
from ..representations import CLIENT_ERRORS

router = APIRouter(tags=["service"])


@router.get(
    "/problems/{name}",
    summary="What a problem type of an error response means",
    response_class=PlainTextResponse,
    responses={404: {"description": "No such problem type", "content": {PROBLEM_JSON: {}}}, **CLIENT_ERRORS},
)
def problem_type(name: str) -> PlainTextResponse:
    for cls in error_classes().values():
        if slug(cls) == name:
            text = f"{cls.title}\n\n{inspect.getdoc(cls)}\n\nSent with HTTP status {status_of_class(cls)}.\n"
            return PlainTextResponse(text, headers={"Cache-Control": "public, max-age=86400"})
    raise NotFound(f"no problem type {name!r}")
