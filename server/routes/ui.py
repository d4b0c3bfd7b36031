"""The query UI at ``/query``, its examples, and the OpenAPI docs served from the project's own files.

Every asset the pages load is under ``/static`` (the vendored YASGUI and swagger-ui
builds, see ``ui/``), so both pages work on a machine that reaches nothing but this
server. Page links are relative, so the site also works below a path prefix.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from markupsafe import Markup

from ilrs.graph import formats
from ilrs.graph.errors import NotFound
from ilrs.graph.examples import Example, load_examples
from ilrs.graph.namespaces import PREFIXES, sparql_prologue
from ilrs.graph.schemaorg import ExampleQuery, editor_markup
from ilrs.graph.settings import Settings

from ..assets import STATIC_DIR
from ..deps import SettingsDep, StoreDep
from ..representations import public_base, script_json, templates
from ..security import CSP_QUERY_UI
from .dataset import dataset_facts

#: The site's icon, also served at ``/favicon.ico`` for clients that ask there without reading the page.
FAVICON = STATIC_DIR / "favicon.svg"

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


@router.get(
    "/query", response_class=HTMLResponse, summary="The SPARQL query UI, with the competency queries as examples"
)
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
    return templates.TemplateResponse(
        request,
        "ui.html",
        {
            "examples": examples,
            "config": Markup(script_json(config)),
            "base_iri": settings.base_iri,
            "quads": f"{store.count():,}",
            "graphs": len(store.graphs()),
            "downloads": formats.DOWNLOADS,
            "jsonld": script_json(_markup(settings, examples)),
        },
        headers={"Cache-Control": "no-cache", "Content-Security-Policy": CSP_QUERY_UI},
    )


def _markup(settings: Settings, examples: list[Example]) -> dict[str, Any]:
    """The editor's schema.org markup: a web application about the dataset, with its example queries."""
    base = public_base(settings)
    shown = [ExampleQuery(e.title, e.description, f"{base}/examples/{e.id}.rq") for e in examples]
    return editor_markup(dataset_facts(settings, base), f"{base}/query", shown)


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
    """The Swagger UI page, loading swagger-ui from this server instead of a CDN, without inline script."""
    config = {"openapiUrl": (request.app.openapi_url or "/openapi.json").lstrip("/")}
    return templates.TemplateResponse(
        request,
        "docs.html",
        {"title": f"{request.app.title} — API", "config": Markup(script_json(config))},
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    """The site's icon (SVG, which browsers accept at this address too)."""
    return FileResponse(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
