"""Linked data: every IRI under the canonical base dereferences here, by path.

``/id/{kind}/{key}`` (a resource), ``/graph/…`` (a named graph's triples),
``/ontology`` (the ontology, whose terms are hash IRIs) and ``/shapes``. Each in
HTML, Turtle, N-Triples and JSON-LD, by ``Accept`` or by an extension
(``.html``, ``.ttl``, ``.nt``, ``.jsonld``). The RDF of a resource is its outgoing
triples in the union of all graphs (:func:`graph.describe.describe`); the page adds
incoming links, labels and the source article of every statement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pyoxigraph as ox
from fastapi import APIRouter
from fastapi import Path as PathParameter
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from ilrs.graph import describe as ld
from ilrs.graph import formats
from ilrs.graph.changelog import last_edit
from ilrs.graph.disagreements import conflicting, disagreements
from ilrs.graph.docs import page_parts
from ilrs.graph.jsonld import graph_document, resource_document
from ilrs.graph.namespaces import ONTOLOGY_GRAPH, ONTOLOGY_IRI, PREFIXES, SHAPES_IRI
from ilrs.graph.overview import cached
from ilrs.graph.schemaorg import resource_markup
from ilrs.graph.search import search
from ilrs.graph.settings import BASE_IRI, Settings
from ilrs.graph.store import Store
from ilrs.graph.terms import vocabulary_terms

from ..deps import SettingsDep, ShapesDep, StoreDep
from ..representations import (
    RDF_EXTENSIONS,
    RDF_RESPONSES,
    Choice,
    body_response,
    check_modified,
    choose,
    context_url,
    dump_json,
    headers_for,
    html_response,
    human_date,
    link_target,
    local_linker,
    local_url,
    not_found_response,
    public_base,
    script_json,
    serialize_triples,
    split_extension,
)

router = APIRouter(tags=["linked data"])

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_OWL_VERSION_IRI = "http://www.w3.org/2002/07/owl#versionIRI"
# --- routes -------------------------------------------------------------------------

#: The ontology's responses: an RDF resource's, and a 303 to its generated documentation for a browser.
ONTOLOGY_RESPONSES = {**RDF_RESPONSES, 303: {"description": "HTML: see the generated documentation, /ontology/"}}

# Path parameters with examples, so that the OpenAPI document (and schemathesis) names resources that exist.
ResourcePath = Annotated[
    str, PathParameter(description="The IRI after …/id/ (an extension chooses the format)", examples=["agency/cnsa"])
]
GraphPath = Annotated[
    str, PathParameter(description="The IRI after …/graph/ (an extension chooses the format)", examples=["curated"])
]
Extension = Annotated[str, PathParameter(description="ttl, nt, jsonld or html", examples=[*RDF_EXTENSIONS, "html"])]


@router.get(
    "/id/{path:path}",
    summary="A resource: HTML, Turtle, N-Triples or JSON-LD (by Accept or extension)",
    responses=RDF_RESPONSES,
)
def resource(path: ResourcePath, request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    stem, ext = split_extension(path)
    # The page's queries and its ETag as of one version, though writes commit meanwhile.
    return store.consistent(lambda: _resource_response(request, store, settings, f"{BASE_IRI}id/{stem}", ext))


@router.get(
    "/graph/{path:path}",
    summary="A named graph: its triples (HTML, Turtle, N-Triples or JSON-LD)",
    responses=RDF_RESPONSES,
)
def named_graph(path: GraphPath, request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    return store.consistent(lambda: _named_graph(path, request, store, settings))


def _named_graph(path: str, request: Request, store: Store, settings: Settings) -> Response:
    stem, ext = split_extension(path)
    iri = f"{BASE_IRI}graph/{stem}"
    choice = choose(request, ext)
    if iri not in store.graphs():
        return not_found_response(request, settings, f"no named graph <{iri}> in the dataset", ext)
    check_modified(request, store, choice)
    triples = ld.graph_triples(store, iri)
    if choice.is_jsonld:  # like a resource's document, it says where this server serves what it mentions
        document = graph_document(triples, context_url(settings), local_linker(public_base(settings)))
        return body_response(dump_json(document), choice, headers_for(store, choice))
    if choice.format is not formats.HTML:
        return _rdf(request, store, settings, choice, triples)
    description = ld.describe(store, iri)
    page = _page(request, settings, store, description, markup_type="Dataset")
    page["contents"] = _triple_rows(store, triples, page["base"])
    return html_response(request, "resource.html", page, headers_for(store, choice))


@router.get("/ontology", summary="The ontology (its terms are hash IRIs …/ontology#Term)", responses=ONTOLOGY_RESPONSES)
def ontology(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    return _ontology_response(request, store, settings, None)


@router.get("/ontology.{ext}", summary="The ontology as .ttl, .nt, .jsonld or .html", responses=ONTOLOGY_RESPONSES)
def ontology_file(ext: Extension, request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    return _ontology_response(request, store, settings, ext)


@router.get(
    "/ontology/{name}",
    summary="A version of the ontology, or a file of its generated documentation",
    responses=ONTOLOGY_RESPONSES,
)
def ontology_version(
    name: Annotated[str, PathParameter(examples=["0.1.0", "index.html"])],
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
) -> Response:
    stem, ext = split_extension(name)
    if f"{ONTOLOGY_IRI}/{stem}" in _version_iris(store):
        return _ontology_response(request, store, settings, ext)
    doc = _docs_file(request, settings, name or "index.html")
    if doc is not None:
        return _docs_response(request, settings, doc)
    return not_found_response(request, settings, f"no ontology version or documentation file {name!r}", ext)


@router.get("/ontology/", include_in_schema=False)
def ontology_docs(request: Request, settings: SettingsDep) -> Response:
    doc = _docs_file(request, settings, "index.html")
    if doc is None:
        return RedirectResponse(f"{public_base(settings)}/ontology", status_code=303)
    return _docs_response(request, settings, doc)


@router.get("/shapes", summary="The SHACL shapes the data is validated with", responses=RDF_RESPONSES)
def shapes(request: Request, store: ShapesDep, settings: SettingsDep) -> Response:
    return _shapes_response(request, store, settings, None)


@router.get("/shapes.{ext}", summary="The SHACL shapes as .ttl, .nt, .jsonld or .html", responses=RDF_RESPONSES)
def shapes_file(ext: Extension, request: Request, store: ShapesDep, settings: SettingsDep) -> Response:
    return _shapes_response(request, store, settings, ext)


# --- resources ----------------------------------------------------------------------


def _resource_response(request: Request, store: Store, settings: Settings, iri: str, ext: str | None) -> Response:
    choice = choose(request, ext)
    if not ld.is_iri(iri):
        return not_found_response(request, settings, f"not a resource IRI: {iri}", ext)
    # Pages and JSON-LD documents show the statements pointing at the resource too, and are bounded (a hub is
    # abridged); Turtle and N-Triples are neither: they are the whole description, written without a page's cost.
    page = choice.format is formats.HTML or choice.is_jsonld
    bounds = ld.Bounds(settings.resource_statements, settings.statement_graphs) if page else None
    description = ld.describe(store, iri, with_context=page, bounds=bounds)
    if not (description.exists or ld.mentioned(store, iri)):
        message = f"nothing in the dataset is known about <{iri}>"
        return not_found_response(request, settings, message, ext, _nearest(store, settings, iri))
    check_modified(request, store, choice)
    note = _abridged_note(description, bounds) if bounds is not None else None
    if choice.format is not formats.HTML:
        incoming = [st.triple for st in description.incoming]
        return _rdf(
            request, store, settings, choice, description.triples, iri, description.outgoing, incoming, note=note
        )
    view = {**_page(request, settings, store, description), "last_edit": last_edit(store, iri), "abridged": note}
    return html_response(request, "resource.html", view, headers_for(store, choice))


def _abridged_note(description: ld.Description, bounds: ld.Bounds) -> str | None:
    """What a page of a resource beyond ``bounds`` leaves out, and where the rest is; ``None`` within them."""
    if description.abridged is None:
        return None
    return (
        f"This page shows {ld.left_out(description.abridged, bounds)} (at most {bounds.statements:,} statements, "
        f"shared out over its properties, each citing at most {bounds.graphs:,} graphs); its Turtle and N-Triples "
        "hold every statement."
    )


def _nearest(store: Store, settings: Settings, iri: str) -> list[tuple[str, str, str]]:
    """The resources named most like the last segment of an unknown IRI, its kind's first."""
    kind, _, key = iri.removeprefix(f"{BASE_IRI}id/").rpartition("/")
    hits = search(store, key, 5, kind) or search(store, key, 5)
    base = public_base(settings)
    names = ld.labels(store, {h.iri for h in hits})
    return [(local_url(h.iri, base) or h.iri, ld.best_label(names.get(h.iri, [])) or h.name, h.kind) for h in hits]


def _rdf(
    request: Request,
    store: Store,
    settings: Settings,
    choice: Choice,
    triples: list[ox.Triple],
    iri: str | None = None,
    statements: list[ld.Statement] | None = None,
    incoming: list[ox.Triple] | None = None,
    note: str | None = None,
) -> Response:
    """One RDF representation (a single resource's JSON-LD is a node object, anything else a ``@graph``).

    A resource's JSON-LD also carries, in ``@included``, the named graphs that state each of its
    statements, the labels of the resources it links to (see :func:`ilrs.graph.jsonld.included`), the
    ``incoming`` statements and the ``localUrl`` of every resource it mentions; with a ``note`` (the
    document is abridged), a node about the document saying so, its ``seeAlso`` the whole description.
    """
    ctx = context_url(settings)
    if iri is not None and choice.is_jsonld:
        stated = [(st.triple, st.graphs) for st in statements or []]
        linked = ld.label_triples(store, ld.linked_iris(statements or [], exclude=[iri]))
        linker = local_linker(public_base(settings))
        here = linker(iri) or iri
        about = {"@id": here, "comment": note, "seeAlso": [f"{here}.{ext}" for ext in ("ttl", "nt")]}
        document = resource_document(iri, triples, ctx, stated, linked, incoming or [], linker, about if note else None)
        body = dump_json(document)
    else:
        body = serialize_triples(triples, choice.format, ctx)
    return body_response(body, choice, headers_for(store, choice))


# --- HTML view models ---------------------------------------------------------------


_XSD = "http://www.w3.org/2001/XMLSchema#"
#: Datatypes whose values are shown as dates for people (``June 2021``), the value itself on hover.
_DATES = {f"{_XSD}date", f"{_XSD}gYearMonth", f"{_XSD}dateTime"}

#: Literals longer than this (characters) are shown shortened, the whole text behind a disclosure.
LONG_LITERAL = 2000
#: How much of a long literal is shown before it is opened.
LITERAL_PREVIEW = 300


@dataclass(frozen=True)
class TermView:
    """How one RDF term is shown: its text, a link, and a hint (the IRI, language or datatype).

    ``href`` is set only for IRIs a visitor may follow (this server's pages, ``http:``/``https:``);
    a long literal's ``text`` is its beginning, and ``full`` the whole value.
    """

    text: str
    href: str | None = None
    hint: str | None = None
    kind: str = "iri"
    full: str | None = None
    title: str | None = None
    """For a date shown for people (``9 March 2021``): its value as written (``2021-03-09``)."""


def prefixed(iri: str) -> str:
    """``ilrs:party`` for ``…/ontology#party``; the IRI itself when no prefix fits."""
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(PREFIXES.get(best, "")) and iri[len(ns) :]:
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]) :]}" if best else iri


def term_view(term: object, labels: dict[str, list[ox.Literal]], base: str) -> TermView:
    """The view of an IRI (labelled, linked locally when under the canonical base), blank node or literal."""
    if isinstance(term, ox.NamedNode):
        label = ld.best_label(labels.get(term.value, []))
        href = local_url(term.value, base) or link_target(term.value)
        return TermView(label or prefixed(term.value), href, term.value)
    if isinstance(term, ox.BlankNode):
        return TermView(f"_:{term.value}", None, "blank node", "bnode")
    if isinstance(term, ox.Literal):
        # A plain string needs no hint; a language or another datatype changes what the value means.
        hint = f"@{term.language}" if term.language else None
        typed = not term.language and term.datatype.value != f"{_XSD}string"
        if typed and not term.datatype.value.startswith(_XSD):
            hint = prefixed(term.datatype.value)  # a datatype of the data's own: part of what it means
        if not term.language and term.datatype.value in _DATES:
            return TermView(human_date(term.value), None, None, "literal", title=term.value)
        if len(term.value) > LONG_LITERAL:
            preview = term.value[:LITERAL_PREVIEW]
            return TermView(preview, None, hint, "literal", full=term.value)
        # An XML Schema number or year reads plainly (2028, not 2028 xsd:gYear); hovering tells its type.
        return TermView(term.value, None, hint, "literal", title=prefixed(term.datatype.value) if typed else None)
    return TermView(str(term), None, None, "other")


def _source_views(description: ld.Description, base: str) -> dict[str, dict[str, Any]]:
    """Graph → what to cite for it: number, title, date, publisher and links (source graphs first)."""
    graphs = sorted(description.sources, key=lambda g: (description.sources[g].document is None, g))
    views: dict[str, dict[str, Any]] = {}
    for graph in graphs:
        source = description.sources[graph]
        fallback = ld.best_label(description.labels.get(graph, [])) or graph.removeprefix(BASE_IRI)
        views[graph] = {
            "number": citation_mark(graph),
            "article": source.document is not None,
            "graph": graph,
            "graph_href": local_url(graph, base),
            "title": source.title or fallback,
            "issued": source.issued,
            "publisher": source.publisher,
            "document": source.document,
            "document_href": (local_url(source.document, base) or link_target(source.document))
            if source.document
            else None,
            "url": link_target(source.url) if source.url else None,
        }
    return views


def citation_mark(graph: str) -> str:
    """The mark a graph is cited by, the same on every page: ``003`` for ``…/graph/source/003``,
    ``curated``, ``reference/countries``, ``inferred`` for the graphs no article states."""
    return graph.removeprefix(f"{BASE_IRI}graph/").removeprefix("source/")


def _rows(
    statements: list[ld.Statement],
    description: ld.Description,
    sources: dict[str, Any],
    base: str,
    disputed: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
) -> list:
    labels = description.labels
    return [
        {
            "disputed": (str(getattr(st.subject, "value", "")), st.predicate.value) in disputed,
            "subject": term_view(st.subject, labels, base),
            "predicate": term_view(st.predicate, labels, base),
            "predicate_name": ld.best_label(labels.get(st.predicate.value, [])) or prefixed(st.predicate.value),
            "object": term_view(st.object, labels, base),
            "sources": [sources[g] for g in sorted(st.graphs, key=lambda g: sources[g]["graph"]) if g in sources],
        }
        for st in statements
    ]


def _page(
    request: Request, settings: Settings, store: Store, description: ld.Description, markup_type: str | None = None
) -> dict[str, Any]:
    """Everything resource.html shows about a described resource (its labels in ``?lang=`` if it has them);
    ``markup_type`` is the schema.org type of its markup, if not the one its classes call for."""
    base = public_base(settings)
    iri = description.iri
    lang = request.query_params.get("lang", "")
    languages = [code for code in LANGUAGES if any(lit.language == code for lit in description.own_labels)]
    if lang in LANGUAGES:
        description.labels = {k: _in_language(v, lang) for k, v in description.labels.items()}
    sources = _source_views(description, base)
    own = description.own
    name = ld.best_label(description.own_labels) or ld.best_label(description.own_names)
    here = local_url(iri, base) or iri
    disputed = conflicting(cached(store, "disagreements", lambda: disagreements(store)))
    return {
        "base": base,
        "iri": iri,
        "here": here,
        "title": (ld.best_label(_in_language(description.own_labels, lang)) if lang in LANGUAGES else None)
        or name
        or prefixed(iri),
        "languages": languages if len(languages) > 1 else [],
        "lang": lang if lang in LANGUAGES else "en",
        "language_names": LANGUAGES,
        "labels": [
            term_view(label, {}, base)
            for label in sorted(description.own_labels, key=lambda lit: (lit.language or "", lit.value))
        ],
        "types": [term_view(ox.NamedNode(t), description.labels, base) for t in description.types],
        "outgoing": _rows([s for s in own], description, sources, base, disputed),
        "groups": _groups(_rows([s for s in own], description, sources, base, disputed)),
        "nested": _rows([s for s in description.outgoing if s not in own], description, sources, base),
        "incoming": _rows(description.incoming, description, sources, base),
        "incoming_truncated": description.incoming_truncated,
        "sources": list(sources.values()),
        "formats": {ext: f"{here}.{ext}" for ext in RDF_EXTENSIONS},
        # For search engines: schema.org terms only (the full data is the linked JSON-LD).
        "jsonld": script_json(resource_markup(store, description, here, local_linker(base), markup_type)),
        "contents": None,
    }


#: The languages a page can be read in, where the graph has labels in them, with their own names.
LANGUAGES = {"en": "English", "zh": "中文", "ru": "Русский"}


def _in_language(labels: list[ox.Literal], lang: str) -> list[ox.Literal]:
    """The labels in ``lang``, or all of them when there is none in it."""
    return [lit for lit in labels if lit.language == lang] or labels


def _groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows grouped by property (``rdf:type`` first), each property once with all its values."""
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        iri = row["predicate"].hint
        group = groups.setdefault(iri, {"predicate": row["predicate"], "name": row["predicate_name"], "values": []})
        group["values"].append(row)
    return sorted(groups.values(), key=lambda g: (g["predicate"].hint != _RDF_TYPE, g["name"].casefold()))


def _long(literal: ox.Literal) -> bool:
    return len(literal.value) > LONG_LITERAL


def _triple_rows(store: Store, triples: list[ox.Triple], base: str) -> list[dict[str, Any]]:
    """A named graph's triples as table rows, labelled, sorted by subject (``key``: the page groups by it)."""
    iris = {t.value for tr in triples for t in (tr.subject, tr.predicate, tr.object) if isinstance(t, ox.NamedNode)}
    labels = ld.labels(store, iris)
    ordered = sorted(
        triples, key=lambda t: (str(t.subject), t.predicate.value != _RDF_TYPE, str(t.predicate), str(t.object))
    )
    return [
        {
            "key": str(t.subject),
            "subject": term_view(t.subject, labels, base),
            "predicate": term_view(t.predicate, labels, base),
            "predicate_name": ld.best_label(labels.get(t.predicate.value, [])) or prefixed(t.predicate.value),
            "object": term_view(t.object, labels, base),
        }
        for t in ordered
    ]


# --- ontology and shapes ------------------------------------------------------------


def _version_iris(store: Store) -> set[str]:
    rows = store.query(f"SELECT ?v WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ <{ONTOLOGY_IRI}> <{_OWL_VERSION_IRI}> ?v }} }}")
    return {row["v"].value for row in rows}  # type: ignore[union-attr]


def _docs_response(request: Request, settings: Settings, path: Path) -> Response:
    """A file of the generated documentation; its page inside the site's layout, under the site's policy.

    pyLODE's page carries its own styles inline: the site shows its content with the site's header,
    search and footer and its own stylesheet instead, so no inline style is needed.
    """
    if path.suffix != ".html":
        return FileResponse(path)
    try:
        parts = page_parts(path.read_text(encoding="utf-8"))
    except ValueError:  # not a page ilrs docs wrote: sent as it is, under the site's strict policy
        return FileResponse(path)
    page = {
        "base": public_base(settings),
        "title": parts.title,
        "content": Markup(parts.content),
        "toc": Markup(parts.toc),
        "jsonld": script_json(json.loads(parts.jsonld)),
    }
    return html_response(request, "ontology_docs.html", page, {"Cache-Control": "no-cache"})


def _docs_file(request: Request, settings: Settings, name: str) -> Path | None:
    """A file of the ontology documentation of the served graph, if it exists; never outside its folder.

    That is the committed ``ilrs docs`` output, or once ``ilrs serve --watch`` has reloaded
    the graph, the documentation generated from it.
    """
    root = (request.app.state.dataset.docs_dir or settings.docs_dir).resolve()
    try:
        path = (root / name).resolve()
        found = path.is_relative_to(root) and path.is_file()
    except (OSError, ValueError):  # a NUL byte, a name too long for the file system
        return None
    return path if found else None


def _ontology_response(request: Request, store: Store, settings: Settings, ext: str | None) -> Response:
    choice = choose(request, ext)
    if str(ONTOLOGY_GRAPH) not in store.graphs():
        return not_found_response(request, settings, "the ontology is not loaded", ext)
    if choice.format is formats.HTML and _docs_file(request, settings, "index.html") is not None:
        # The generated documentation links its figures relatively: serve it from /ontology/.
        return RedirectResponse(f"{public_base(settings)}/ontology/", status_code=303, headers={"Vary": "Accept"})
    check_modified(request, store, choice)
    if choice.format is not formats.HTML:
        return _rdf(request, store, settings, choice, ld.graph_triples(store, str(ONTOLOGY_GRAPH)))
    page = _terms_page(request, settings, store, str(ONTOLOGY_GRAPH), "The ILRS ontology", ONTOLOGY_IRI, "ontology")
    return html_response(request, "terms.html", page, headers_for(store, choice))


def _shapes_response(request: Request, store: Store, settings: Settings, ext: str | None) -> Response:
    """The shapes, from their own store: loaded with the dataset, and swapped with it by ``--watch``."""
    choice = choose(request, ext)
    if store.count() == 0:
        return not_found_response(request, settings, "no shapes are published yet", ext)
    check_modified(request, store, choice)
    if choice.format is not formats.HTML:
        return _rdf(request, store, settings, choice, ld.graph_triples(store, SHAPES_IRI))
    page = _terms_page(request, settings, store, SHAPES_IRI, "The ILRS SHACL shapes", SHAPES_IRI, "shapes")
    return html_response(request, "terms.html", page, headers_for(store, choice))


def _terms_page(
    request: Request, settings: Settings, store: Store, graph: str, title: str, iri: str, path: str
) -> dict[str, Any]:
    base = public_base(settings)
    sections = vocabulary_terms(store, graph)
    names = {t.iri: t.labels for terms in sections.values() for t in terms}
    return {
        "base": base,
        "title": title,
        "iri": iri,
        "sections": sections,
        "term": lambda value: term_view(ox.NamedNode(value), names, base),
        "formats": {ext: f"{base}/{path}.{ext}" for ext in RDF_EXTENSIONS},
        "triples": store.count(),
    }
