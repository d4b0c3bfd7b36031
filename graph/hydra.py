"""Hydra descriptions of the JSON-LD API: the entry point, and each collection's search template and members.

A client that knows only the entry point URL finds every collection, what its members are
(``hydra:memberAssertion``: instances of a class) and how to filter and page it
(``hydra:search``: an RFC 6570 ``IriTemplate`` whose variables map to the properties they
filter on). Everything is built in expanded JSON-LD and compacted with the published context.
"""

from __future__ import annotations

from .collections import COLLECTIONS, FILTERS, SKOS_IN_SCHEME, Collection
from .jsonld import JsonObject, compact

_HYDRA = "http://www.w3.org/ns/hydra/core#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_DCT_TITLE = "http://purl.org/dc/terms/title"
#: Paging variables every collection takes, with what they mean.
PAGING = {"page": "Page number, from 1.", "limit": "Members per page."}


def _mapping(variable: str, prop: str | None, required: bool = False) -> JsonObject:
    mapping: JsonObject = {
        "@type": [f"{_HYDRA}IriTemplateMapping"],
        f"{_HYDRA}variable": [{"@value": variable}],
        f"{_HYDRA}required": [{"@value": required}],
    }
    if prop is not None:
        mapping[f"{_HYDRA}property"] = [{"@id": prop}]
    return mapping


def search_template(collection: Collection, collection_url: str) -> JsonObject:
    """The collection's ``hydra:IriTemplate`` (expanded): ``…/agreements{?party,year,page,limit}``."""
    variables = [*collection.filters, *PAGING]
    return {
        "@type": [f"{_HYDRA}IriTemplate"],
        f"{_HYDRA}template": [{"@value": f"{collection_url}{{?{','.join(variables)}}}"}],
        f"{_HYDRA}variableRepresentation": [{"@id": f"{_HYDRA}BasicRepresentation"}],
        f"{_HYDRA}mapping": [
            *(_mapping(name, FILTERS[name].property) for name in collection.filters),
            *(_mapping(name, None) for name in PAGING),
        ],
    }


def member_assertion(collection: Collection) -> JsonObject:
    """What every member is (expanded): ``rdf:type`` the collection's class (or a subclass of it), or
    ``skos:inScheme`` its concept scheme."""
    if collection.scheme is not None:
        return {f"{_HYDRA}property": [{"@id": SKOS_IN_SCHEME}], f"{_HYDRA}object": [{"@id": collection.scheme}]}
    return {f"{_HYDRA}property": [{"@id": _RDF_TYPE}], f"{_HYDRA}object": [{"@id": collection.class_iri}]}


def entry_point_document(entry_url: str, base: str, context_url: str) -> JsonObject:
    """The API's ``hydra:EntryPoint``: every collection at ``{base}/{name}``, with its search and members."""
    collections = [
        {
            "@id": f"{base}/{c.name}",
            "@type": [f"{_HYDRA}Collection"],
            _DCT_TITLE: [{"@value": c.title}],
            f"{_HYDRA}search": [search_template(c, f"{base}/{c.name}")],
            f"{_HYDRA}memberAssertion": [member_assertion(c)],
        }
        for c in COLLECTIONS.values()
    ]
    expanded = {"@id": entry_url, "@type": [f"{_HYDRA}EntryPoint"], f"{_HYDRA}collection": collections}
    return compact(expanded, context_url)
