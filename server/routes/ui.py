"""The query UI at ``/``, its examples, and the OpenAPI docs served from the project's own files.

Every asset the pages load is under ``/static`` (the vendored YASGUI and swagger-ui
builds, see ``ui/``), so both pages work on a machine that reaches nothing but this
server. Page links are relative, so the site also works below a path prefix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from ilrs.graph import formats
from ilrs.graph.errors import NotFound
from ilrs.graph.examples import Example, load_examples
from ilrs.graph.namespaces import PREFIXES, sparql_prologue
from ilrs.graph.settings import Settings

from ..deps import SettingsDep, StoreDep

SERVER_DIR = Path(__file__).resolve().parent.parent
#: Served at ``/static``; ``vendor/`` holds the third-party builds.
STATIC_DIR = SERVER_DIR / "static"
TEMPLATES = Jinja2Templates(directory=SERVER_DIR / "templates")

#: Relative (to the page) URLs of the vendored swagger-ui build.
SWAGGER_JS = "static/vendor/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = "static/vendor/swagger-ui/swagger-ui.css"
SWAGGER_FAVICON = "static/vendor/swagger-ui/favicon-32x32.png"

#: The query in a new editor tab: the prefixes pre-declared and a first look at the graph.
DEFAULT_QUERY = (
    sparql_prologue()
    + """
# What kinds of things does the graph hold, and how many of each?
SELECT ?class (COUNT(DISTINCT ?thing) AS ?things)
WHERE {
  ?thing a ?class .
  FILTER(STRSTARTS(STR(?class), STR(ilrs:)))
}
GROUP BY ?class
ORDER BY DESC(?things)
"""
)

router = APIRouter(tags=["query UI"])


def _examples(settings: Settings) -> list[Example]:
    return load_examples(settings.queries_dir)


def _script_json(value: Any) -> Markup:
    """``value`` as JSON safe inside a ``<script type="application/json">`` element."""
    text = json.dumps(value, ensure_ascii=False)
    # "</" would end the script element early; "<!--" could open a comment state.
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@router.get("/", response_class=HTMLResponse, summary="The SPARQL query UI, with the competency queries as examples")
def query_ui(
    request: Request,
    settings: SettingsDep,
    store: StoreDep,
) -> HTMLResponse:
    examples = _examples(settings)
    config = {
        "endpoint": "sparql",
        "examples": "examples.json",
        "base": settings.base_iri,
        "prefixes": PREFIXES,
        "defaultQuery": DEFAULT_QUERY,
    }
    return TEMPLATES.TemplateResponse(
        request,
        "ui.html",
        {
            "examples": examples,
            "config": _script_json(config),
            "base_iri": settings.base_iri,
            "quads": f"{store.count():,}",
            "graphs": len(store.graphs()),
            "downloads": formats.DOWNLOADS,
        },
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/examples.json", summary="The competency queries (queries/*.rq) with their titles and descriptions")
def examples_json(response: Response, settings: SettingsDep) -> list[Example]:
    response.headers["Cache-Control"] = "no-cache"
    return _examples(settings)


@router.get(
    "/examples/{example_id}.rq",
    response_class=PlainTextResponse,
    summary="One competency query as SPARQL text",
    responses={404: {"description": "No such example"}},
)
def example_text(example_id: str, settings: SettingsDep) -> PlainTextResponse:
    for example in _examples(settings):
        if example.id == example_id:
            return PlainTextResponse(
                example.query, media_type="application/sparql-query", headers={"Cache-Control": "no-cache"}
            )
    raise NotFound(f"no example {example_id!r}")


@router.get("/docs", include_in_schema=False)
def swagger_ui(request: Request) -> HTMLResponse:
    """FastAPI's Swagger UI page, but loading swagger-ui from this server instead of a CDN."""
    return get_swagger_ui_html(
        openapi_url=(request.app.openapi_url or "/openapi.json").lstrip("/"),
        title=f"{request.app.title} — API",
        swagger_js_url=SWAGGER_JS,
        swagger_css_url=SWAGGER_CSS,
        swagger_favicon_url=SWAGGER_FAVICON,
        # The default validator badge is an image fetched from validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )
