"""The collections of the JSON-LD API: which resources each lists, its filters, and one page of it.

A collection holds the IRI resources typed with its class or a subclass (through
``rdfs:subClassOf*`` over the ontology graph), or the concepts of a SKOS concept scheme,
in IRI order so pages are stable.
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
from .settings import BASE_IRI
from .store import Store

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_YEAR = re.compile(r"[0-9]{4}")
_DATE = "http://purl.org/dc/terms/date"
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


_PARTNER_FILTERS = ("status", "partners")


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
        "Partner status: a key (signed, applied, …), its skos:notation or its IRI. Unknown values are a 400.",
        str(ILRS.partnerStatus),
        {"type": "string", "examples": ["signed"]},
    ),
    "partners": Filter(
        "true: only those with a partner status; false: only those without.",
        str(ILRS.partnerStatus),
        {"type": "string", "enum": ["true", "false"]},
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


def resolve_party(store: Store, value: str, local_base: str | None = None) -> str:
    """The IRI of a party given as its IRI, its URL on this server (under ``local_base``) or a key
    (``PK``, ``cnsa``, ``agency/cnsa``).

    :class:`ParameterError` when the value names nothing that can be a party (an unknown key, a
    status, an agreement): an unknown value is always a 400, never an empty page.
    """
    if local_base and value.startswith(local_base) and len(value) > len(local_base):
        value = f"{BASE_IRI}{value[len(local_base) :]}"
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


def build_filters(
    store: Store, collection: Collection, params: Mapping[str, str], local_base: str | None = None
) -> str:
    """SPARQL patterns on ``?s`` for the filter ``params`` (names must be among ``collection.filters``).

    ``party`` matches an agreement the party signed, one its agencies signed (``ilrs:agencyOf``)
    and, for a country, one whose counterparts are from it (``ilrs:counterpartCountry``); a party
    may be given by its URL under ``local_base``. ``year`` matches the agreement's own date or,
    when it has none, the date of the event it was signed at.
    """
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
            party = resolve_party(store, value, local_base)
            patterns.append(
                f"FILTER EXISTS {{ {{ ?s <{ILRS.party}> <{party}> }}"
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
