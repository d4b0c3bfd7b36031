"""JSON-LD for the graph: the published context, RDF → JSON-LD, compaction, and a safe document loader.

Every document is first written in *expanded* form straight from the triples (one
value object per triple, so nothing is lost or invented), then compacted by pyld with
the context in ``graph/context.jsonld``. The compacted document names its context by
URL (``"@context": "<server>/context.jsonld"``); compaction itself uses the local copy,
and :func:`local_document_loader` lets pyld resolve the context URL without the
network while refusing every other remote document.

Nothing here knows about HTTP: the server and ``ilrs export`` share it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

from .formats import JSONLD
from .settings import BASE_IRI, package_folder

#: The published context document (``GET /context.jsonld`` and ``/context/{CONTEXT_VERSION}.jsonld``).
CONTEXT_PATH = package_folder("ilrs.graph") / "context.jsonld"
#: Its version: bump when a term changes meaning; adding a term is a minor change. 0.4.0 makes ``@type``
#: always an array too and gives every property the server writes a term (VoID, DCAT, the SPARQL service
#: description, SHACL, OWL), so that no key is a compact IRI whose value is sometimes bare. 0.3.0 makes every
#: term that can hold several values an array (``@container: @set``), types ``publisher`` and
#: ``creator`` as links (``@type: @id``) and maps ``localUrl`` to ``foaf:isPrimaryTopicOf`` (it was
#: ``null``, which JSON-LD safe mode refuses). 0.2.0 gave every property one key whatever its value's
#: datatype (no datatype coercion) and language maps for titles and descriptions.
CONTEXT_VERSION = "0.4.0"
#: Earlier versions, still served at ``/context/{version}.jsonld`` for documents that name them.
ARCHIVED_CONTEXTS = {
    "0.1.0": package_folder("ilrs.graph") / "context-0.1.0.jsonld",
    "0.2.0": package_folder("ilrs.graph") / "context-0.2.0.jsonld",
    "0.3.0": package_folder("ilrs.graph") / "context-0.3.0.jsonld",
}
#: The context's canonical, persistent IRI.
CONTEXT_IRI = f"{BASE_IRI}context.jsonld"
#: Media type of every JSON-LD document we produce.
JSONLD_MEDIA_TYPE = JSONLD.media_type

JsonObject = dict[str, Any]
DocumentLoader = Callable[[str, Mapping[str, Any]], JsonObject]

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = f"{_XSD}string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_HYDRA = "http://www.w3.org/ns/hydra/core#"
_SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"
_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
#: The predicate of ``localUrl``: the page of this server about a resource (its "primary topic").
#: A real property, so that every document expands without dropping a key (JSON-LD safe mode).
LOCAL_URL = "http://xmlns.com/foaf/0.1/isPrimaryTopicOf"
#: Gives the URL where this server dereferences an IRI (``None`` for IRIs it does not serve).
LocalLinker = Callable[[str], str | None]
# JSON-LD turns a native number into a literal in canonical form; only canonical
# lexical forms may therefore become native JSON values (otherwise "007" → "7").
_CANONICAL_INTEGER = re.compile(r"0|-?[1-9][0-9]*")


@lru_cache(maxsize=1)
def context_bytes() -> bytes:
    """The context document exactly as published."""
    return CONTEXT_PATH.read_bytes()


@lru_cache(maxsize=8)
def versioned_context_bytes(version: str) -> bytes | None:
    """The context of ``version`` (the current one or an archived one) as published; ``None`` if unknown."""
    if version == CONTEXT_VERSION:
        return context_bytes()
    path = ARCHIVED_CONTEXTS.get(version)
    return path.read_bytes() if path is not None else None


@lru_cache(maxsize=1)
def _context_document() -> str:
    return context_bytes().decode("utf-8")


def context_document() -> JsonObject:
    """The context document, parsed (a fresh copy: callers may modify it)."""
    document: JsonObject = json.loads(_context_document())
    return document


def local_document_loader(context_urls: Iterable[str] = ()) -> DocumentLoader:
    """A pyld document loader that serves our context and fetches nothing.

    ``context_urls`` are further URLs of the same context (for example this server's
    ``/context.jsonld``); :data:`CONTEXT_IRI` is always one. Any other URL raises
    :class:`pyld.jsonld.JsonLdError`, so no processing ever reaches the network.
    """
    known = {CONTEXT_IRI, *context_urls}

    def load(url: str, options: Mapping[str, Any] | None = None) -> JsonObject:
        if url not in known:
            raise jsonld.JsonLdError(
                f"remote document refused: {url}", "jsonld.LoadDocumentError", code="loading document failed"
            )
        return {
            "contentType": JSONLD_MEDIA_TYPE,
            "contextUrl": None,
            "documentUrl": url,
            "document": context_document(),
        }

    return load


# --- RDF terms → expanded JSON-LD ---------------------------------------------------


def _node_id(term: ox.NamedNode | ox.BlankNode) -> str:
    return term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def value_object(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> JsonObject:
    """The expanded JSON-LD value of one RDF object, exact under JSON-LD's RDF conversion."""
    if not isinstance(term, ox.Literal):
        return {"@id": _node_id(term)}
    datatype = term.datatype.value
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if datatype == _XSD_STRING:
        return {"@value": term.value}
    if datatype == f"{_XSD}integer" and _CANONICAL_INTEGER.fullmatch(term.value):
        return {"@value": int(term.value)}
    if datatype == f"{_XSD}boolean" and term.value in ("true", "false"):
        return {"@value": term.value == "true"}
    return {"@value": term.value, "@type": datatype}


def node_objects(triples: Iterable[ox.Triple]) -> dict[str, JsonObject]:
    """Expanded node objects, one per subject (keyed by its ``@id``), in first-seen order.

    ``rdf:type`` with an IRI or blank-node object becomes ``@type``; every other triple
    becomes one value object of its predicate. The triples must be distinct.
    """
    nodes: dict[str, JsonObject] = {}
    for triple in triples:
        subject = triple.subject
        if not isinstance(subject, ox.NamedNode | ox.BlankNode):
            continue  # RDF-star quoted triples have no JSON-LD 1.1 form
        obj = triple.object
        if not isinstance(obj, ox.NamedNode | ox.BlankNode | ox.Literal):
            continue
        key = _node_id(subject)
        node = nodes.setdefault(key, {"@id": key})
        if triple.predicate.value == _RDF_TYPE and not isinstance(obj, ox.Literal):
            node.setdefault("@type", []).append(_node_id(obj))
        else:
            node.setdefault(triple.predicate.value, []).append(value_object(obj))
    return nodes


def embed_blank_nodes(roots: list[str], nodes: dict[str, JsonObject]) -> list[JsonObject]:
    """The root nodes, with every blank node they reach embedded at its first reference.

    Later references to the same blank node stay ``{"@id": "_:…"}``, so the triples
    are unchanged; blank nodes not reached from a root are appended at the end.
    """
    placed: set[str] = set()

    def place(node_id: str) -> JsonObject:
        placed.add(node_id)
        node = dict(nodes[node_id])
        for key, values in node.items():
            if key.startswith("@"):
                continue
            node[key] = [
                place(v["@id"])
                if "@id" in v and v["@id"].startswith("_:") and v["@id"] in nodes and v["@id"] not in placed
                else v
                for v in values
            ]
        return node

    out = [place(r) for r in roots if r in nodes and r not in placed]
    out += [place(k) for k in nodes if k.startswith("_:") and k not in placed]
    return out


# --- compaction ---------------------------------------------------------------------


def compact(expanded: JsonObject | list[JsonObject], context_url: str) -> JsonObject:
    """Compact an expanded document with the published context, naming it ``context_url``.

    The local context is used for compaction (no document is loaded); the result's
    ``@context`` is then the URL, which resolves to that same context.
    """
    ctx = context_document()["@context"]
    result: JsonObject = jsonld.compact(expanded, {"@context": ctx}, {"documentLoader": local_document_loader()})
    result["@context"] = context_url
    if isinstance(result.get("@included"), dict):  # always a list, like every multi-valued key
        result["@included"] = [result["@included"]]
    return result


def _mentioned(nodes: Iterable[JsonObject]) -> list[str]:
    """Every IRI a set of expanded node objects names as a subject, an object or a type, in first-seen order."""
    seen: dict[str, None] = {}

    def visit(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            node_id = value.get("@id")
            if isinstance(node_id, str) and not node_id.startswith("_:"):
                seen.setdefault(node_id, None)
            types = [] if "@value" in value else value.get("@type", [])  # a literal's @type is its datatype
            for type_iri in types:  # classes dereference too (ontology terms)
                if not type_iri.startswith("_:"):
                    seen.setdefault(type_iri, None)
            for key, item in value.items():
                if not key.startswith("@"):
                    visit(item)

    visit(list(nodes))
    return list(seen)


def _with_local_urls(nodes: list[JsonObject], local_url: LocalLinker | None) -> list[JsonObject]:
    """``nodes`` plus, for every IRI they mention that this server dereferences, its ``localUrl``.

    An IRI that already has a node object of its own at the top level gets the value there; every
    other one gets a node object holding only its ``localUrl``.
    """
    if local_url is None:
        return nodes
    tops = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    extra = []
    for iri in _mentioned(nodes):
        url = local_url(iri)
        if url is None:
            continue
        if iri in tops:
            tops[iri][LOCAL_URL] = [{"@id": url}]
        else:
            extra.append({"@id": iri, LOCAL_URL: [{"@id": url}]})
    return nodes + extra


#: A triple and the named graphs that state it.
Stated = tuple[ox.Triple, Iterable[str]]


def included(stated: Iterable[Stated] = (), linked: Iterable[ox.Triple] = ()) -> list[JsonObject]:
    """The ``@included`` block of a document: where each statement comes from, and what links are called.

    One graph object per named graph (``{"@id": graph, "@graph": [its statements]}``), so that every
    value carries the graphs, that is the sources, that state it; then the ``linked`` triples (the
    labels of the resources the document links to) as plain node objects. Everything in it is a quad
    or a triple of the store, so the document still expands to exactly the store's data.
    """
    by_graph: dict[str, list[ox.Triple]] = {}
    for triple, graphs in stated:
        for graph in graphs:
            by_graph.setdefault(graph, []).append(triple)
    out: list[JsonObject] = []
    for graph, triples in sorted(by_graph.items()):
        nodes = node_objects(dict.fromkeys(triples))
        out.append({"@id": graph, "@graph": embed_blank_nodes([k for k in nodes if not k.startswith("_:")], nodes)})
    out += list(node_objects(dict.fromkeys(linked)).values())
    return out


def resource_document(
    iri: str,
    triples: Iterable[ox.Triple],
    context_url: str,
    stated: Iterable[Stated] = (),
    linked: Iterable[ox.Triple] = (),
    incoming: Iterable[ox.Triple] = (),
    local_url: LocalLinker | None = None,
    abridged: Mapping[str, Any] | None = None,
) -> JsonObject:
    """One resource as a compact JSON-LD node object: its triples (blank nodes embedded), and in
    ``@included`` the sources of its values and the labels of what it links to (``stated`` and
    ``linked``, :func:`included`), the ``incoming`` statements (each under its own subject) and,
    with ``local_url``, the ``localUrl`` of the resource and of every resource the document mentions.

    ``abridged`` says the triples are only part of the resource's: ``{"@id": the document's URL, "comment":
    what is left out, "seeAlso": [URLs of the whole description]}``, written in ``@included`` as a node about
    the document (``rdfs:comment`` in English, ``rdfs:seeAlso``).
    """
    nodes = node_objects(triples)
    nodes.setdefault(iri, {"@id": iri})
    root, *others = embed_blank_nodes([iri], nodes)
    inbound = list(node_objects(incoming).values())
    about: list[JsonObject] = []
    if abridged is not None:
        about.append(
            {
                "@id": abridged["@id"],
                _COMMENT: [{"@value": abridged["comment"], "@language": "en"}],
                _SEE_ALSO: [{"@id": url} for url in abridged["seeAlso"]],
            }
        )
    root, *extra = _with_local_urls([root, *others, *inbound, *included(stated, linked)], local_url)
    extra += about
    expanded: JsonObject = dict(root)
    if extra:
        expanded["@included"] = extra
    document = compact(expanded, context_url)
    if "@graph" in document:  # compaction moves a node without properties of its own into a graph
        context = document.pop("@context")
        graph = document.pop("@graph")
        document = {"@context": context, **graph[0], "@included": graph[1:]}
    return document


def graph_document(triples: Iterable[ox.Triple], context_url: str, local_url: LocalLinker | None = None) -> JsonObject:
    """Any set of triples as a compact JSON-LD document with a top-level ``@graph``; with ``local_url``,
    every resource the triples mention also carries its ``localUrl``."""
    nodes = node_objects(triples)
    placed = embed_blank_nodes([k for k in nodes if not k.startswith("_:")], nodes)
    expanded = {"@graph": _with_local_urls(placed, local_url)}
    document = compact(expanded, context_url)
    if "@graph" not in document:
        # A single node is compacted to the top level; keep one shape for consumers.
        context = document.pop("@context")
        document = {"@context": context, "@graph": [document] if document else []}
    return document


@dataclass(frozen=True)
class PageLinks:
    """URLs of one page of a collection and of its neighbours (``None`` where there is none)."""

    collection: str
    page: str
    first: str
    last: str
    previous: str | None
    next: str | None


def collection_document(
    links: PageLinks,
    total: int,
    members: list[str],
    triples: Iterable[ox.Triple],
    context_url: str,
    local_url: LocalLinker | None = None,
    search: JsonObject | None = None,
    member_assertion: JsonObject | None = None,
    stated: Iterable[Stated] = (),
    linked: Iterable[ox.Triple] = (),
    abridged: Iterable[str] = (),
    note: str | None = None,
) -> JsonObject:
    """One page of a Hydra collection: ``members`` (in order) with exactly their ``triples``.

    ``stated`` and ``linked`` give the page an ``@included`` block (:func:`included`): the sources of
    each member's values, and the labels of what the members link to. With ``local_url``, every member
    and every resource the page mentions carries its ``localUrl``. ``search`` (a ``hydra:IriTemplate``)
    and ``member_assertion`` describe the collection's filters and members, in expanded form. The view names
    the ``abridged`` members (those the triples hold only part of) by their ``localUrl`` as ``rdfs:seeAlso``,
    and the ``note`` saying what is left out as its ``rdfs:comment``.
    """
    nodes = node_objects(triples)
    for iri in members:
        nodes.setdefault(iri, {"@id": iri})
    placed = embed_blank_nodes(members, nodes)
    placed = _with_local_urls([*placed, *included(stated, linked)], local_url)
    member_nodes, extra = placed[: len(members)], placed[len(members) :]
    view: JsonObject = {
        "@id": links.page,
        "@type": [f"{_HYDRA}PartialCollectionView"],
        f"{_HYDRA}first": [{"@id": links.first}],
        f"{_HYDRA}last": [{"@id": links.last}],
    }
    if links.previous:
        view[f"{_HYDRA}previous"] = [{"@id": links.previous}]
    if links.next:
        view[f"{_HYDRA}next"] = [{"@id": links.next}]
    full = [(local_url(iri) if local_url else None) or iri for iri in abridged]
    if full:
        view[_SEE_ALSO] = [{"@id": url} for url in full]
    if note:
        view[_COMMENT] = [{"@value": note, "@language": "en"}]
    expanded: JsonObject = {
        "@id": links.collection,
        "@type": [f"{_HYDRA}Collection"],
        f"{_HYDRA}totalItems": [{"@value": total}],
        f"{_HYDRA}member": member_nodes,
        f"{_HYDRA}view": [view],
    }
    if search is not None:
        expanded[f"{_HYDRA}search"] = [search]
    if member_assertion is not None:
        expanded[f"{_HYDRA}memberAssertion"] = [member_assertion]
    if extra:
        expanded["@included"] = extra
    document = compact(expanded, context_url)
    document.setdefault("member", [])  # an empty page still has its (empty) list of members
    return document
