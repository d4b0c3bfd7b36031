"""Pages for people who would rather look than write SPARQL: the front page, the disagreements, search.

The front page (``/``) offers a search box, the kinds of things to browse, the sources with
their dates and fact counts, and the example questions answered as tables; the query editor
is at ``/query`` (a ``/#query=…`` link of the earlier front page is forwarded there by
``static/front.js``). ``/disagreements`` lists every claim on which the sources differ, as
computed by :mod:`ilrs.graph.disagreements`, in HTML or JSON-LD. ``/search?q=`` finds resources by
any of their names (:mod:`ilrs.graph.search`); its JSON is what the search box suggests as one types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from ilrs.graph import describe as ld
from ilrs.graph import formats, overview
from ilrs.graph.disagreements import Disagreement, abridged, disagreements, topic_query
from ilrs.graph.errors import ParameterError
from ilrs.graph.examples import load_examples
from ilrs.graph.overview import Member, members
from ilrs.graph.schemaorg import item_list, linked, page_markup, site_markup, timeline_items
from ilrs.graph.search import Hit, normalise, search
from ilrs.graph.settings import Settings
from ilrs.graph.store import Store
from ilrs.graph.timeline import entries

from ..deps import SettingsDep, StoreDep
from ..params import whole_number
from ..representations import (
    body_response,
    choose,
    dump_json,
    headers_for,
    html_response,
    link_target,
    local_linker,
    local_url,
    not_found_response,
    page_url,
    public_base,
    script_json,
)
from .dataset import dataset_facts
from .resources import TermView, citation_mark, prefixed, term_view

router = APIRouter(tags=["explore"])

#: What ``/disagreements`` is offered as.
DISAGREEMENT_OFFERS = (formats.HTML, formats.JSONLD)


def _labelled(store: Store, terms: list[Any], base: str) -> list[TermView]:
    iris = {t.value for t in terms if isinstance(t, ox.NamedNode)}
    names = ld.labels(store, iris)
    return [term_view(t, names, base) if t is not None else TermView("", kind="literal") for t in terms]


def editor_link(query: str) -> str:
    """The query editor's URL with ``query`` opened in it (a ``#query=`` link, as YASGUI shares them)."""
    return f"query#query={quote(query, safe='')}"


def sparql_link(query: str, base: str) -> str:
    """The endpoint's URL that answers ``query`` (a ``GET``: its results, in the format ``Accept`` asks for)."""
    return f"{base}/sparql?query={quote(query, safe='')}"


@router.get("/", summary="The front page: search, browse, sources, example questions answered")
def front_page(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    base = public_base(settings)
    examples = load_examples(settings.queries_dir)
    read = settings.example_rows
    answers = overview.cached(
        store, f"answers-{read}", lambda: [overview.answer(store, e, read=read) for e in examples]
    )
    tables = []
    for a in answers:
        cells = _labelled(store, [c for row in a.rows for c in row], base)
        width = len(a.columns) or 1
        rows = [cells[i : i + width] for i in range(0, len(cells), width)]
        hidden = overview.label_columns(a.columns, [[c.text for c in row] for row in rows])
        shown = [i for i in range(len(a.columns)) if i not in hidden]
        tables.append(
            {
                "answer": a,
                "columns": [overview.column_title(a.columns[i]) for i in shown],
                "rows": [[row[i] for i in shown] for row in rows],
                "editor": editor_link(a.example.query),
            }
        )
    most = settings.front_page_sources
    sources, source_count = overview.cached(store, f"sources-{most}", lambda: overview.source_graphs(store, most))
    page = {
        "base": base,
        "title": "The ILRS Knowledge Graph",
        "kinds": overview.cached(store, "kinds", lambda: overview.kinds(store)),
        "sources": sources,
        "source_count": source_count,
        "tables": tables,
        "disputes": len(overview.cached(store, "disagreements", lambda: disagreements(store))),
        "local": lambda iri: local_url(iri, base),
        "jsonld": script_json(site_markup(store, dataset_facts(settings, base), f"{base}/search")),
    }
    return html_response(request, "home.html", page, {"Cache-Control": "no-cache"})


@router.get("/disagreements", summary="Every claim on which the sources differ (HTML or JSON-LD)")
def disagreements_page(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    return _disagreements(request, store, settings, None)


@router.get("/disagreements.{ext}", summary="The disagreements as .html or .jsonld")
def disagreements_file(ext: str, request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    return _disagreements(request, store, settings, ext)


def _disagreements(request: Request, store: Store, settings: Settings, ext: str | None) -> Response:
    choice = choose(request, ext, DISAGREEMENT_OFFERS)
    every = overview.cached(store, "disagreements", lambda: disagreements(store))
    base = public_base(settings)
    paging = Paging.of(request, len(every), settings.disagreements_per_page)
    found = [abridged(d, settings.shown_claims) for d in every[paging.first : paging.last]]
    path = f"{base}/disagreements" + ("" if ext is None else f".{ext}")
    if choice.format is not formats.HTML:
        document = disagreements_document(found, base, paging, path)
        return body_response(dump_json(document), choice, headers_for(store, choice))
    graphs = {c.graph for d in found for c in d.claims}
    iris = {d.topic for d in found} | {d.predicate for d in found} | graphs
    iris |= {d.counted for d in found if d.counted} | {d.status for d in found if d.status}
    iris |= {v.value for d in found for c in d.claims for v in c.values if isinstance(v, ox.NamedNode)}
    names = ld.labels(store, iris)
    cited = ld.sources(store, graphs)
    view = lambda iri: term_view(ox.NamedNode(iri), names, base)  # noqa: E731 - a template helper
    page = {
        "base": base,
        "title": "Where the sources disagree",
        "found": found,
        "paging": paging,
        "page_link": lambda number: paging.link(path, number),
        "every_claim": lambda d: f"{base}/{editor_link(topic_query(d))}",
        "term": view,
        "value": lambda v: term_view(v, names, base),
        "source": lambda g: cited.get(g, ld.Source(g)),
        "graph_href": lambda g: local_url(g, base),
        "prefixed": prefixed,
        "jsonld_url": paging.link(f"{base}/disagreements.jsonld", paging.page),
    }
    return html_response(request, "disagreements.html", page, headers_for(store, choice))


@dataclass(frozen=True)
class Paging:
    """One page of a list that a view shows a page at a time (``?page=``, from 1)."""

    page: int
    pages: int
    size: int
    total: int

    @classmethod
    def of(cls, request: Request, total: int, size: int) -> Paging:
        """The page ``?page=`` asks for of ``total`` items, ``size`` a page (a 400 naming the range otherwise)."""
        pages = max(1, -(-total // size))
        return cls(whole_number("page", request.query_params.get("page"), 1, 1, pages), pages, size, total)

    @property
    def first(self) -> int:
        """The index of the page's first item."""
        return (self.page - 1) * self.size

    @property
    def last(self) -> int:
        """The index after the page's last item."""
        return min(self.page * self.size, self.total)

    def link(self, path: str, number: int, params: dict[str, str] | None = None) -> str:
        """``path`` with ``params`` at page ``number`` (the first page has no ``page``)."""
        query = {**(params or {}), **({"page": str(number)} if number > 1 else {})}
        return f"{path}?{urlencode(query)}" if query else path


def disagreements_document(
    found: list[Disagreement], base: str, paging: Paging | None = None, path: str = ""
) -> dict[str, Any]:
    """The disagreements as JSON-LD: each topic with one claim per graph, its values and the graph.

    With ``paging`` of more than one page, the document is that page (``path?page=N``): it says how many
    disagreements there are in all and links the next and previous pages. A disagreement shown with fewer
    than its claims says how many it leaves out (``omittedClaims``) and links the query editor with the query
    that lists them all (``everyClaim``).
    """
    vocab = f"{base}/disagreements#"
    paged = paging is not None and paging.pages > 1
    pages: dict[str, Any] = {}
    if paging is not None and paged:
        pages = {"@id": paging.link(path, paging.page), "totalItems": paging.total}
        if paging.page < paging.pages:
            pages["next"] = paging.link(path, paging.page + 1)
        if paging.page > 1:
            pages["previous"] = paging.link(path, paging.page - 1)
    return {
        "@context": {
            "@vocab": vocab,
            "topic": {"@type": "@id"},
            "property": {"@type": "@id"},
            "counted": {"@type": "@id"},
            "status": {"@type": "@id"},
            "graph": {"@type": "@id"},
            "resource": {"@type": "@id"},
            "claims": {"@container": "@list"},
            **({"next": {"@type": "@id"}, "previous": {"@type": "@id"}} if paged else {}),
            **({"everyClaim": {"@type": "@id"}} if any(d.omitted for d in found) else {}),
        },
        "@id": f"{base}/disagreements",
        "@type": "DisagreementList",
        **pages,
        "disagreements": [
            {
                "@id": f"{base}/disagreements#{d.key}",
                "@type": "Disagreement",
                "kind": d.kind,
                "topic": d.topic,
                "property": d.predicate,
                **({"counted": d.counted} if d.counted else {}),
                **({"status": d.status} if d.status else {}),
                **({"omittedClaims": d.omitted, "everyClaim": sparql_link(topic_query(d), base)} if d.omitted else {}),
                "claims": [
                    {
                        # Named, not blank: identical-looking claims would make canonization (RDFC-1.0)
                        # exceed jsonld.js's limit on blank-node work.
                        "@id": f"{base}/disagreements#{d.key}-{number}",
                        "graph": c.graph,
                        "resource": sorted(c.resources),
                        "value": [
                            {"@id": v.value} if isinstance(v, ox.NamedNode) else {"@value": v.value} for v in c.values
                        ],
                        **({"asOf": c.as_of} if c.as_of else {}),
                    }
                    for number, c in enumerate(d.claims, 1)
                ],
            }
            for d in found
        ],
    }


#: Longest search query accepted (characters): a name, not a document.
MAX_QUERY = 200


@router.get("/search", summary="Resources by name, in any language (HTML or JSON-LD)")
def search_page(
    request: Request, store: StoreDep, settings: SettingsDep, q: str = "", kind: str | None = None, limit: int = 20
) -> Response:
    choice = choose(request, None, DISAGREEMENT_OFFERS)
    if len(q) > MAX_QUERY:
        raise ParameterError(f"the search query is {len(q)} characters long; at most {MAX_QUERY} are searched")
    # The text as sent: FastAPI's int also takes "5_0" or " 5", and numbers are ASCII digits everywhere.
    limit = whole_number("limit", request.query_params.get("limit"), limit, 1, 100)
    base = public_base(settings)
    hits = search(store, q, limit, kind or None)
    names = ld.labels(store, {h.iri for h in hits})
    shown = [(h, ld.best_label(names.get(h.iri, [])) or h.name) for h in hits]
    # A function of the URL and the data's version: the page cache keeps it (the search box asks as one types).
    headers = {**headers_for(store, choice), "Vary": "Accept"}
    items = search_items(store, shown, base)
    name = f"Resources named like “{q}”"
    if choice.format is not formats.HTML:
        document = {"@context": {"@vocab": "https://schema.org/", "url": {"@type": "@id"}}, **item_list(items, name)}
        return body_response(dump_json(document), choice, headers)
    title = f"Search: {q}" if q else "Search"
    page = {"base": base, "title": title, "q": q, "hits": shown, "local": local_url}
    if q:  # the page of a search; the empty form is no result page
        page["jsonld"] = script_json(page_markup("SearchResultsPage", name, page_url(request, base), items))
    return html_response(request, "search.html", page, headers)


def search_items(store: Store, shown: list[tuple[Hit, str]], base: str) -> list[dict[str, Any]]:
    """The hits as schema.org nodes, best first: their type, the name shown, the name that matched, the kind of
    resource (``country`` …) and this server's page; the JSON answer and the page's markup list the same."""
    types = linked(store, [hit.iri for hit, _ in shown], local_linker(base))
    return [
        {
            "@type": types[hit.iri].type,
            "@id": hit.iri,
            "name": label,
            **({"alternateName": hit.name} if hit.name != label else {}),
            "additionalType": hit.kind,
            "url": local_url(hit.iri, base),
        }
        for hit, label in shown
    ]


_KIND = re.compile(r"[A-Za-z0-9][\w-]*")


@router.get("/id/{kind}/", summary="Every resource of one kind (/id/mission/, /id/country/ …), filterable by name")
def kind_list(request: Request, kind: str, store: StoreDep, settings: SettingsDep, q: str = "") -> Response:
    if not _KIND.fullmatch(kind):
        return not_found_response(request, settings, f"no kind of resource {kind!r}")
    found = members(store, kind=kind)
    if not found:
        return not_found_response(request, settings, f"no resources of the kind {kind!r}: see the front page's list")
    return _list_page(request, store, settings, overview.Kind(kind, len(found)).title.capitalize(), found, q)


@router.get("/instances", summary="Every instance of one class (and its subclasses), filterable by name")
def class_list(
    request: Request, store: StoreDep, settings: SettingsDep, class_: str = Query(alias="class"), q: str = ""
) -> Response:
    if not ld.is_iri(class_):
        raise ParameterError(f"class must be an absolute IRI, not {class_!r}")
    found = members(store, cls=class_)
    label = ld.best_label(ld.labels(store, [class_]).get(class_, [])) or prefixed(class_)
    return _list_page(request, store, settings, f"Every {label}", found, q, class_)


def _list_page(
    request: Request, store: Store, settings: Settings, title: str, found: list[Member], q: str, cls: str = ""
) -> Response:
    if len(q) > MAX_QUERY:
        raise ParameterError(f"the filter is {len(q)} characters long; at most {MAX_QUERY} are used")
    wanted = normalise(q)
    shown = [m for m in found if wanted in normalise(m.label)] if wanted else found
    base = public_base(settings)
    page = {"base": base, "title": title, "members": shown, "total": len(found), "q": q, "cls": cls}
    page["local"] = lambda iri: local_url(iri, base) or link_target(iri)
    return html_response(request, "list.html", page, {"Cache-Control": "no-cache"})


#: The timeline's axis is drawn in this many units across (an SVG ``viewBox``, scaled to the page).
AXIS = 1000


#: Sources the timeline's filter offers as a list to choose from; with more, it is a box to type a mark in
#: (a list of thousands of sources is read by no one, and would be most of the page).
SOURCE_CHOICES = 100


@router.get("/timeline", summary="Everything the graph dates on one axis, filterable by kind and source, paged")
def timeline_page(
    request: Request, store: StoreDep, settings: SettingsDep, kind: str = "", source: str = ""
) -> Response:
    choice = choose(request, None, (formats.HTML,))
    everything = entries(store)
    matching = [
        e for e in everything if (not kind or e.kind == kind) and (not source or citation_mark(e.graph) == source)
    ]
    paging = Paging.of(request, len(matching), settings.timeline_entries)
    shown = matching[paging.first : paging.last]
    base = public_base(settings)
    # One page: the axis spans everything dated, as filters change; one of many spans what the page shows.
    spanned = everything if paging.pages == 1 else shown
    first = min((e.start for e in spanned), default=None)
    last = max((e.end for e in spanned), default=None)
    rows = []
    if first and last:
        width = (last - first).days or 1
        for e in shown:
            x = AXIS * (e.start - first).days / width
            w = max(AXIS * (e.end - e.start).days / width, 3)  # a day stays visible
            rows.append({"entry": e, "x": round(x, 1), "w": round(w, 1), "href": local_url(e.iri, base)})
    ticks = []
    if first and last:
        step = 5 if last.year - first.year > 15 else 1
        for year in range(first.year + (-first.year % step), last.year + 1, step):
            ticks.append(
                {"year": year, "x": round(AXIS * (date(year, 1, 1) - first).days / ((last - first).days or 1), 1)}
            )
    marks = overview.cached(store, "timeline-sources", lambda: sorted({citation_mark(e.graph) for e in everything}))
    filters = {k: v for k, v in (("kind", kind), ("source", source)) if v}
    page = {
        "base": base,
        "title": "Timeline",
        "rows": rows,
        "ticks": ticks,
        "axis": AXIS,
        "kinds": sorted({e.kind for e in everything}),
        "sources": marks if len(marks) <= SOURCE_CHOICES else [],
        "source_count": len(marks),
        "kind": kind,
        "source": source,
        "paging": paging,
        "page_link": lambda number: paging.link(f"{base}/timeline", number, filters),
        "graph_href": lambda g: local_url(g, base),
        "mark": citation_mark,
    }
    cited = ld.sources(store, {e.graph for e in shown})
    items = timeline_items(store, shown, cited, local_linker(base))
    page["jsonld"] = script_json(page_markup("CollectionPage", "Timeline of the ILRS", page_url(request, base), items))
    return html_response(request, "timeline.html", page, headers_for(store, choice))
