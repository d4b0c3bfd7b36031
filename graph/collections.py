"""The collections of the JSON-LD API: which resources each lists, its filters, and one page of it.

A collection holds the IRI resources typed with its class or a subclass (through
``rdfs:subClassOf*`` over the ontology graph), in IRI order so pages are stable.
Filter values arrive as text from users; :func:`build_filters` turns them into
SPARQL only after checking them against the data, so a bad value is a clear
:class:`~ilrs.graph.errors.ParameterError`, never an injection and never a silently empty page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from .describe import is_iri
from .errors import ParameterError
from .namespaces import ID, ILRS, mint
from .store import Store

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_YEAR = re.compile(r"[0-9]{4}")
#: Kinds whose instances can be an agreement's party, in the order a bare key is tried.
PARTY_KINDS = ("country", "agency", "organization", "person")


@dataclass(frozen=True)
class Collection:
    """One API collection: its path name, title, class and the filters it accepts."""

    name: str
    title: str
    class_iri: str
    filters: tuple[str, ...] = ()


_PARTNER_FILTERS = ("status", "partners")

COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        Collection("agencies", "Space agencies", str(ILRS.SpaceAgency), _PARTNER_FILTERS),
        Collection("countries", "Countries", str(ILRS.Country), _PARTNER_FILTERS),
        Collection("organizations", "Organizations", str(ILRS.Organization), _PARTNER_FILTERS),
        Collection("agreements", "Agreements", str(ILRS.Agreement), ("party", "year")),
        Collection("missions", "Missions", str(ILRS.Mission)),
        Collection("phases", "Phases", str(ILRS.Phase)),
        Collection("events", "Events", str(ILRS.Event), ("year",)),
        Collection("sources", "Source documents", str(ILRS.SourceDocument)),
        Collection("persons", "Persons", str(ILRS.Person)),
        Collection("programs", "Programs", str(ILRS.Program)),
    )
}


@dataclass(frozen=True)
class Page:
    """The members of one page and the size of the whole (filtered) collection."""

    total: int
    members: list[str]


def _select(store: Store, sparql: str) -> ox.QuerySolutions:
    result = store.query(sparql)
    if not isinstance(result, ox.QuerySolutions):  # pragma: no cover - our queries are SELECTs
        raise TypeError("expected SELECT solutions")
    return result


def _exists(store: Store, iri: str) -> bool:
    result = store.query(f"ASK {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?p <{iri}> }} }}")
    return bool(result)


def resolve_party(store: Store, value: str) -> str:
    """The IRI of a party given as an IRI or a key (``PK``, ``cnsa``, ``agency/cnsa``)."""
    if is_iri(value):
        candidates = [value]
    elif "/" in value and _KEY.fullmatch(value.partition("/")[2]) and _KEY.fullmatch(value.partition("/")[0]):
        candidates = [f"{ID}{value}"]
    elif _KEY.fullmatch(value):
        # Countries are keyed by their upper-case ISO code, everything else by a lower-case slug.
        candidates = [mint("country", value.upper()), *(mint(k, value.lower()) for k in PARTY_KINDS[1:])]
        candidates += [mint(k, value) for k in PARTY_KINDS if value not in (value.upper(), value.lower())]
    else:
        raise ParameterError(f"party: {value!r} is neither an IRI nor a key such as PK or cnsa")
    for iri in candidates:
        if _exists(store, iri):
            return iri
    raise ParameterError(f"party: nothing in the data is called {value!r}")


def partner_statuses(store: Store) -> dict[str, str]:
    """Every partner status, by key (the last segment of its IRI, and its ``skos:notation``) → IRI."""
    query = f"""
        SELECT DISTINCT ?st ?notation WHERE {{
          {{ ?st a <{ILRS.PartnerStatus}> }} UNION {{ ?x <{ILRS.partnerStatus}> ?st }}
          FILTER(isIRI(?st))
          OPTIONAL {{ ?st <http://www.w3.org/2004/02/skos/core#notation> ?notation }}
        }}"""
    out: dict[str, str] = {}
    for row in _select(store, query):
        iri = row["st"].value
        out.setdefault(re.split(r"[/#]", iri)[-1], iri)
        if row["notation"] is not None:
            out.setdefault(row["notation"].value, iri)
    return out


def resolve_status(store: Store, value: str) -> str:
    """The IRI of a partner status given as a key (``signed``), a notation or an IRI."""
    statuses = partner_statuses(store)
    if value in statuses.values():
        return value
    for key in (value, value.lower()):
        if key in statuses:
            return statuses[key]
    known = ", ".join(sorted(statuses)) or "none in the data"
    raise ParameterError(f"status: unknown partner status {value!r} (known: {known})")


def build_filters(store: Store, collection: Collection, params: Mapping[str, str]) -> str:
    """SPARQL patterns on ``?s`` for the filter ``params`` (names must be among ``collection.filters``)."""
    patterns = []
    for name, value in sorted(params.items()):
        if name not in collection.filters:
            raise ParameterError(f"{collection.name} has no filter {name!r}")
        if name == "status":
            patterns.append(f"?s <{ILRS.partnerStatus}> <{resolve_status(store, value)}> .")
        elif name == "partners":
            if value not in ("true", "false"):
                raise ParameterError(f"partners: expected true or false, not {value!r}")
            negation = "" if value == "true" else "NOT "
            patterns.append(f"FILTER {negation}EXISTS {{ ?s <{ILRS.partnerStatus}> ?_status }}")
        elif name == "party":
            patterns.append(f"?s <{ILRS.party}> <{resolve_party(store, value)}> .")
        elif name == "year":
            if not _YEAR.fullmatch(value):
                raise ParameterError(f"year: expected four digits such as 2023, not {value!r}")
            # Dates are xsd:date, xsd:gYearMonth or xsd:gYear: all begin with the year.
            patterns.append(
                "FILTER EXISTS { ?s <http://purl.org/dc/terms/date> ?_date "
                f'FILTER(SUBSTR(STR(?_date), 1, 4) = "{value}") }}'
            )
    return "\n".join(patterns)


def page(store: Store, collection: Collection, filters: str, *, offset: int, limit: int) -> Page:
    """One page of the collection (``filters`` from :func:`build_filters`) and its total size."""
    where = f"?s a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{collection.class_iri}> . FILTER(isIRI(?s))\n"
    where += filters
    total_rows = list(_select(store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {where} }}"))
    total = int(total_rows[0]["n"].value) if total_rows else 0
    rows = _select(store, f"SELECT DISTINCT ?s WHERE {{ {where} }} ORDER BY STR(?s) LIMIT {limit} OFFSET {offset}")
    return Page(total=total, members=[row["s"].value for row in rows])
