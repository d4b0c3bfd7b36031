"""The partner map: every country coloured by its ILRS status, per source or as of a date.

``/map`` is the page (the map, a legend, the partner list with each claim's source) and
``/map.svg`` the map alone, a stable URL for papers; both take ``?source=003`` and
``?asOf=2023-06-01`` (:mod:`ilrs.graph.partners`). The outlines are world-atlas's, projected at
build time (``ui/build.mjs``), so the server draws the map with no script and no tile server;
each country links to its page, where its agreements and their sources are.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from fastapi import APIRouter, Query
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from ilrs.graph import describe as ld
from ilrs.graph import formats
from ilrs.graph.errors import ParameterError
from ilrs.graph.partners import (
    AS_OF_PATTERN,
    COUNTS_AS_OF_PATTERN,
    STATUSES,
    Partner,
    numeric_codes,
    outlines,
    partner_statuses,
    reported_counts,
)
from ilrs.graph.schemaorg import page_markup, partner_items
from ilrs.graph.settings import BASE_IRI, Settings
from ilrs.graph.store import Store

from ..assets import STATIC_DIR
from ..deps import SettingsDep, StoreDep
from ..representations import (
    choose,
    headers_for,
    html_response,
    local_linker,
    local_url,
    page_url,
    public_base,
    script_json,
)
from .explore import SOURCE_CHOICES, editor_link
from .resources import citation_mark

router = APIRouter(tags=["explore"])

WORLD = STATIC_DIR / "vendor" / "world" / "countries.json"

#: Fill of each status (and of a country no source speaks of); colour-blind-safe where it matters.
COLOURS = {
    "signed": "#1b7837",
    "committed": "#5aae61",
    "negotiating": "#a6dba0",
    "applied": "#fdb863",
    "indirect": "#80cdc1",
    "by-extension": "#c2a5cf",
    "restricted": "#d6604d",
    "declined": "#b2182b",
    "none": "#e6e6e6",
}
LEGEND = {
    "signed": "signed an agreement",
    "committed": "committed",
    "negotiating": "negotiating",
    "applied": "applied",
    "indirect": "through an organization",
    "by-extension": "by extension",
    "restricted": "restricted",
    "declined": "declined",
    "none": "none stated",
}


_FONT = 'font-size="11" font-family="sans-serif"'


def _parameters(store: Store, source: str | None, as_of: str | None) -> tuple[str | None, dt.date | None]:
    graph = None
    if source:
        graph = f"{BASE_IRI}graph/source/{source}"
        if graph not in store.graphs():
            raise ParameterError(f"source must name a source graph such as 003, not {source!r}")
    day = None
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            raise ParameterError(f"asOf must be a day as YYYY-MM-DD, not {as_of!r}") from None
    return graph, day


def map_svg(store: Store, partners: dict[str, Partner], base: str, caption: str) -> str:
    """The map as a standalone SVG document: countries linked to their pages, a legend, a caption."""
    width, height, shapes = outlines(WORLD)
    codes = numeric_codes(store)
    names = ld.labels(store, codes.values())
    legend_top = height + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 60}" role="img"'
        f' aria-labelledby="map-title"><title id="map-title">{escape(caption)}</title>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f4f8fb"/>',
    ]
    for shape in shapes:
        iri = codes.get(shape.numeric)
        partner = partners.get(iri) if iri else None
        status = partner.status if partner else "none"
        name = ld.best_label(names.get(iri or "", [])) or shape.name
        hint = f"{name}: {LEGEND[status]}" + (" (sources disagree)" if partner and partner.disputed else "")
        path = (
            f'<path d="{shape.d}" fill="{COLOURS.get(status, COLOURS["none"])}" stroke="#ffffff"'
            f' stroke-width="0.5" data-status="{status}" data-country="{escape(iri or "")}">'
            f"<title>{escape(hint)}</title></path>"
        )
        href = local_url(iri, base) if iri else None
        parts.append(f'<a href="{escape(href)}">{path}</a>' if href else path)
    x = 10
    for status, label in LEGEND.items():
        parts.append(f'<rect x="{x}" y="{legend_top}" width="12" height="12" fill="{COLOURS[status]}" stroke="#999"/>')
        parts.append(
            f'<text x="{x + 16}" y="{legend_top + 10}" font-size="11" font-family="sans-serif">{escape(label)}</text>'
        )
        x += 16 + 6 * len(label) + 14
    parts.append(f'<text x="10" y="{legend_top + 36}" {_FONT} fill="#555">{escape(caption)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _caption(source: str | None, day: dt.date | None) -> str:
    by = f"source {source}" if source else "the latest source that speaks of each country"
    when = f", as of {day.isoformat()} (sources published by then)" if day else ""
    return f"ILRS status of each country per {by}{when}. Outlines: Natural Earth 1:110m via world-atlas."


@router.get("/map.svg", summary="The partner map as a standalone SVG (?source=003, ?asOf=YYYY-MM-DD)")
def partner_map_svg(
    store: StoreDep,
    settings: SettingsDep,
    source: str | None = None,
    as_of: str | None = Query(None, alias="asOf"),
) -> Response:
    graph, day = _parameters(store, source, as_of)
    svg = map_svg(store, partner_statuses(store, graph, day), public_base(settings), _caption(source, day))
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-cache"})


@router.get("/map", summary="The partner map, its legend and the partner list (?source=003, ?asOf=YYYY-MM-DD)")
def partner_map(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    source: str | None = None,
    as_of: str | None = Query(None, alias="asOf"),
) -> Response:
    graph, day = _parameters(store, source, as_of)
    return _page(request, store, settings, source, graph, day, as_of or "")


def _page(
    request: Request,
    store: Store,
    settings: Settings,
    source: str | None,
    graph: str | None,
    day: dt.date | None,
    as_of: str,
) -> Response:
    base = public_base(settings)
    partners = partner_statuses(store, graph, day)
    names = ld.labels(store, partners)

    def name(iri: str) -> str:
        return ld.best_label(names.get(iri, [])) or iri.rsplit("/", 1)[-1]

    ordered = sorted(partners.values(), key=lambda p: (STATUSES.index(p.status), name(p.country)))
    sources = sorted({citation_mark(g) for g in store.graphs() if g.startswith(f"{BASE_IRI}graph/source/")})
    counts = reported_counts(store, day)
    every_count = COUNTS_AS_OF_PATTERN.replace("2023-06-01", as_of) if as_of else _undated(COUNTS_AS_OF_PATTERN)
    query = "&".join(f"{k}={v}" for k, v in (("source", source), ("asOf", as_of)) if v)
    page = {
        "base": base,
        "title": "Partner map",
        "svg": Markup(map_svg(store, partners, base, _caption(source, day))),
        "svg_url": f"{base}/map.svg" + (f"?{query}" if query else ""),
        "partners": ordered,
        "counts": counts[-settings.map_counts :],
        "count_total": len(counts),
        "every_count": f"{base}/{editor_link(every_count)}",
        "claims_of": lambda p: p.shown_claims(settings.shown_claims),
        "name": name,
        "local": lambda iri: local_url(iri, base),
        "mark": citation_mark,
        "legend": LEGEND,
        "colours": COLOURS,
        "sources": sources if len(sources) <= SOURCE_CHOICES else [],
        "source_count": len(sources),
        "source": source or "",
        "as_of": as_of,
        "pattern": AS_OF_PATTERN,
        "counts_pattern": COUNTS_AS_OF_PATTERN,
    }
    items = partner_items([(p.country, name(p.country), p.status) for p in ordered], local_linker(base))
    caption = _caption(source, day)
    markup = page_markup("CollectionPage", "ILRS partner map", page_url(request, base), items, description=caption)
    markup["image"] = page["svg_url"]
    page["jsonld"] = script_json(markup)
    return html_response(request, "map.html", page, headers_for(store, choose(request, None, (formats.HTML,))))


def _undated(pattern: str) -> str:
    """The counts query of :data:`COUNTS_AS_OF_PATTERN` for every day: its filter on the day left out."""
    return "\n".join(line for line in pattern.splitlines() if not line.lstrip().startswith("FILTER(?day"))
