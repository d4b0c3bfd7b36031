"""The collections of the JSON-LD API: which resources each lists, its filters, and one page of it.

A collection holds the IRI resources typed with its class or a subclass (through
``rdfs:subClassOf*`` over the ontology graph), or the concepts of a SKOS concept scheme,
in IRI order so pages are stable.
Filter values arrive as text from users; :func:`build_filters` turns them into
SPARQL only after checking them against the data, so a bad value is a clear
:class:`~ilrs.graph.errors.ParameterError`, never an injection and never a silently empty page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from .describe import is_iri
from .errors import ParameterError
from .namespaces import ID, ILRS, SOURCES_GRAPH, mint
from .settings import BASE_IRI
from .store import Store

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_YEAR = re.compile(r"[0-9]{4}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE = "http://purl.org/dc/terms/date"
_ISSUED = "http://purl.org/dc/terms/issued"
_DERIVED_FROM = "http://www.w3.org/ns/prov#wasDerivedFrom"
_SUBCLASS_OF = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
SKOS_IN_SCHEME = "http://www.w3.org/2004/02/skos/core#inScheme"
SKOS_CONCEPT = "http://www.w3.org/2004/02/skos/core#Concept"
#: Kinds whose instances can be an agreement's party, in the order a bare key is tried.
PARTY_KINDS = ("country", "agency", "organization", "person")


@dataclass(frozen=True)
class Collection:
    """One API collection: its path name, title, what its members are and the filters it accepts.

    Members are the instances of ``class_iri`` (or a subclass), or with ``scheme`` the concepts
    ``skos:inScheme`` that SKOS concept scheme.
    """

    name: str
    title: str
    class_iri: str
    filters: tuple[str, ...] = ()
    scheme: str | None = None

    def member_pattern(self) -> str:
        """The SPARQL pattern binding ``?s`` to each member."""
        if self.scheme is not None:
            return f"?s <{SKOS_IN_SCHEME}> <{self.scheme}> ."
        # Not `a/rdfs:subClassOf*`: Virtuoso 7 joins a zero-length path wrongly with the filters' patterns.
        return f"{{ ?s a <{self.class_iri}> }} UNION {{ ?s a/<{_SUBCLASS_OF}>+ <{self.class_iri}> }}"


_PARTNER_FILTERS = ("status", "partners", "asOf")


@dataclass(frozen=True)
class Filter:
    """What a filter parameter matches: a description, the property it reads and its accepted form.

    ``schema`` is the JSON Schema of its values (for the OpenAPI document), ``property`` the IRI
    the Hydra ``IriTemplateMapping`` names.
    """

    description: str
    property: str
    schema: dict[str, object]


FILTERS: dict[str, Filter] = {
    "status": Filter(
        "Partner status: a key (signed, status/signed, …), its skos:notation, its IRI or its URL on this server. "
        "Unknown values are a 400.",
        str(ILRS.partnerStatus),
        {"type": "string", "examples": ["signed"]},
    ),
    "partners": Filter(
        "true: only those with a partner status; false: only those without.",
        str(ILRS.partnerStatus),
        {"type": "string", "enum": ["true", "false"]},
    ),
    "asOf": Filter(
        "A day (YYYY-MM-DD): status and partners as they stood then, from the sources published on or before "
        "it (each member's status is its latest such source's; undated sources are left out). Alone, it lists "
        "the members with a status by that day.",
        _ISSUED,
        {"type": "string", "format": "date", "examples": ["2023-06-01"]},
    ),
    "party": Filter(
        "A party: an ISO code (PK), a key (cnsa, agency/cnsa), its IRI or its URL on this server. A country "
        "also matches agreements of its agencies and those whose counterparts are from it. A value that "
        "names nothing that can be a party is a 400.",
        str(ILRS.party),
        {"type": "string", "examples": ["PK", "cnsa"]},
    ),
    "year": Filter(
        "A year (four digits): the date, or when there is none the date of the event it was signed at.",
        "http://purl.org/dc/terms/date",
        {"type": "string", "pattern": "^[0-9]{4}$", "examples": ["2023"]},
    ),
}

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
        # The SKOS concept schemes, each a collection of its concepts.
        Collection("statuses", "Partner statuses", SKOS_CONCEPT, scheme=f"{ID}status"),
        Collection("counted-kinds", "Counted kinds", SKOS_CONCEPT, scheme=f"{ID}counted"),
        Collection("activities", "Cooperation stages and fields", SKOS_CONCEPT, scheme=f"{ID}activity"),
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


#: Classes whose instances can be a party (with their subclasses), besides anything already a party.
_PARTY_CLASSES = (ILRS.Country, ILRS.Organization, ILRS.Person)


def _is_party(store: Store, iri: str) -> bool:
    """Whether ``iri`` is a party of an agreement, or of a kind that can be one (a country, organization, person)."""
    classes = " ".join(f"<{c}>" for c in _PARTY_CLASSES)
    result = store.query(
        f"ASK {{ {{ ?agreement <{ILRS.party}> <{iri}> }} UNION {{ ?agreement <{ILRS.counterpartCountry}> <{iri}> }}"
        f" UNION {{ VALUES ?class {{ {classes} }} <{iri}> a/<{_SUBCLASS_OF}>* ?class }} }}"
    )
    return bool(result)


def _canonical(value: str, local_base: str | None) -> str:
    """``value``, or the canonical IRI of the resource if ``value`` is its URL on this server (under ``local_base``)."""
    if local_base and value.startswith(local_base) and len(value) > len(local_base):
        return f"{BASE_IRI}{value[len(local_base) :]}"
    return value


def resolve_party(store: Store, value: str, local_base: str | None = None) -> str:
    """The IRI of a party given as its IRI, its URL on this server (under ``local_base``) or a key
    (``PK``, ``cnsa``, ``agency/cnsa``).

    :class:`ParameterError` when the value names nothing that can be a party (an unknown key, a
    status, an agreement): an unknown value is always a 400, never an empty page.
    """
    value = _canonical(value, local_base)
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
        if _is_party(store, iri):
            return iri
    raise ParameterError(f"party: nothing in the data that can be a party is called {value!r}")


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


def resolve_status(store: Store, value: str, local_base: str | None = None) -> str:
    """The IRI of a partner status given as a key (``signed``, ``status/signed``), a notation, an IRI or its
    URL on this server (under ``local_base``), as a party is given."""
    statuses = partner_statuses(store)
    value = _canonical(value, local_base)
    for iri in (value, f"{ID}{value}"):
        if iri in statuses.values():
            return iri
    for key in (value, value.lower()):
        if key in statuses:
            return statuses[key]
    known = ", ".join(sorted(statuses)) or "none in the data"
    raise ParameterError(f"status: unknown partner status {value!r} (known: {known})")


def build_filters(
    store: Store, collection: Collection, params: Mapping[str, str], local_base: str | None = None
) -> str:
    """SPARQL patterns on ``?s`` for the filter ``params`` (names must be among ``collection.filters``).

    ``party`` matches an agreement the party signed, one its agencies signed (``ilrs:agencyOf``)
    and, for a country, one whose counterparts are from it (``ilrs:counterpartCountry``); a party or
    a status may be given by its URL under ``local_base``. ``year`` matches the agreement's own date or,
    when it has none, the date of the event it was signed at.
    """
    patterns = []
    day = _day(params["asOf"]) if "asOf" in params else None
    if day is not None and "status" not in params and "partners" not in params:
        params = {**params, "partners": "true"}  # alone, asOf lists the partners as of that day
    for name, value in sorted(params.items()):
        if name not in collection.filters:
            raise ParameterError(f"{collection.name} has no filter {name!r}")
        if name == "status":
            status = resolve_status(store, value, local_base)
            patterns.append(f"FILTER EXISTS {{ {_status_claim(f'<{status}>', day)} }}")
        elif name == "partners":
            if value not in ("true", "false"):
                raise ParameterError(f"partners: expected true or false, not {value!r}")
            negation = "" if value == "true" else "NOT "
            patterns.append(f"FILTER {negation}EXISTS {{ {_status_claim('?_status', day, latest=False)} }}")
        elif name == "party":
            party = resolve_party(store, value, local_base)
            # A join, not FILTER EXISTS: Oxigraph evaluates an EXISTS with a union once per member, so a party of
            # thousands of agreements took seconds per page; the pages' queries are DISTINCT, so a member matched
            # twice is still listed once.
            patterns.append(
                f"{{ {{ ?s <{ILRS.party}> <{party}> }}"
                f" UNION {{ ?s <{ILRS.party}> ?_agency . ?_agency <{ILRS.agencyOf}> <{party}> }}"
                f" UNION {{ ?s <{ILRS.counterpartCountry}> <{party}> }} }}"
            )
        elif name == "year":
            if not _YEAR.fullmatch(value):
                raise ParameterError(f"year: expected four digits such as 2023, not {value!r}")
            # Dates are xsd:date, xsd:gYearMonth or xsd:gYear: all begin with the year.
            patterns.append(
                f"FILTER EXISTS {{ {{ ?s <{_DATE}> ?_date }} UNION {{ ?s <{ILRS.signedAt}> ?_event ."
                f" ?_event <{_DATE}> ?_date FILTER NOT EXISTS {{ ?s <{_DATE}> ?_own }} }}"
                f' FILTER(SUBSTR(STR(?_date), 1, 4) = "{value}") }}'
            )
    return "\n".join(patterns)


def _day(value: str) -> str:
    """``value`` checked as a day (``YYYY-MM-DD``), the form ``asOf`` takes."""
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ParameterError(f"asOf: expected a day as YYYY-MM-DD such as 2023-06-01, not {value!r}") from None


def _status_claim(status: str, day: str | None, *, latest: bool = True) -> str:
    """A pattern: ``?s`` has partner status ``status`` (an IRI or a variable), or had it on ``day``.

    On a day, a status counts when a source published by then states it (in its graph, derived from
    a document with that ``dcterms:issued``) and, with ``latest``, no later source published by then
    states another (ties go to the greater graph IRI): what the partner map shows as of that day.
    """
    if day is None:
        return f"?s <{ILRS.partnerStatus}> {status} ."
    published = f'FILTER(SUBSTR(STR(?_issued), 1, 10) <= "{day}")'
    pattern = (
        f"GRAPH ?_g {{ ?s <{ILRS.partnerStatus}> {status} }} "
        f"GRAPH <{SOURCES_GRAPH}> {{ ?_g <{_DERIVED_FROM}> ?_doc . ?_doc <{_ISSUED}> ?_issued }} {published}"
    )
    if not latest:
        return pattern
    later = (
        "SUBSTR(STR(?_issued2), 1, 10) > SUBSTR(STR(?_issued), 1, 10) || "
        "(SUBSTR(STR(?_issued2), 1, 10) = SUBSTR(STR(?_issued), 1, 10) && STR(?_g2) > STR(?_g))"
    )
    return (
        f"{pattern} FILTER NOT EXISTS {{ GRAPH ?_g2 {{ ?s <{ILRS.partnerStatus}> ?_other }} "
        f"GRAPH <{SOURCES_GRAPH}> {{ ?_g2 <{_DERIVED_FROM}> ?_doc2 . ?_doc2 <{_ISSUED}> ?_issued2 }} "
        f'FILTER(SUBSTR(STR(?_issued2), 1, 10) <= "{day}" && ({later})) }}'
    )


def page(store: Store, collection: Collection, filters: str, *, offset: int, limit: int) -> Page:
    """One page of the collection (``filters`` from :func:`build_filters`) and its total size."""
    where = f"{collection.member_pattern()} FILTER(isIRI(?s))\n"
    where += filters
    total_rows = list(_select(store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {where} }}"))
    total = int(total_rows[0]["n"].value) if total_rows else 0
    if offset >= total:  # past the end: nothing to sort (an external store may refuse to sort that far)
        return Page(total=total, members=[])
    rows = _select(store, f"SELECT DISTINCT ?s WHERE {{ {where} }} ORDER BY STR(?s) LIMIT {limit} OFFSET {offset}")
    return Page(total=total, members=[row["s"].value for row in rows])
