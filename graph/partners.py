"""Each country's ILRS status as the sources give it, per source or as of a date, for the partner map.

A source's graph states ``country ilrs:partnerStatus status``. :func:`partner_statuses` reads every
such claim with the date of the source that makes it (``dcterms:issued`` of the document the graph
was derived from). With a ``source`` only that graph counts; with ``as_of`` only the sources
published on or before that day (an undated source cannot be placed in time and is left out). Each
country then gets the status of its latest source, and is *disputed* when the sources counted give
different statuses. The same question as one SPARQL query is :data:`AS_OF_PATTERN`; the reported
counts as of a day are :func:`reported_counts` and :data:`COUNTS_AS_OF_PATTERN`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from itertools import chain, zip_longest
from pathlib import Path

import pyoxigraph as ox

from .namespaces import ILRS, SOURCES_GRAPH
from .settings import BASE_IRI
from .store import Store

#: The statuses a map colours, strongest first; a country without a claim has none.
STATUSES = ("signed", "committed", "negotiating", "applied", "indirect", "by-extension", "restricted", "declined")

#: The partner list as it stood on a day (replace 2023-06-01): each country's status in the latest
#: source published by then. README.md shows it; tests/test_explore.py checks it agrees with the map.
AS_OF_PATTERN = """\
PREFIX ilrs: <https://w3id.org/ilrs/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?country ?status ?issued WHERE {
  GRAPH ?g { ?country ilrs:partnerStatus ?status }
  FILTER(STRSTARTS(STR(?country), "https://w3id.org/ilrs/id/country/"))
  GRAPH <https://w3id.org/ilrs/graph/sources> { ?g prov:wasDerivedFrom ?doc . ?doc dcterms:issued ?issued }
  FILTER(SUBSTR(STR(?issued), 1, 10) <= "2023-06-01")
  FILTER NOT EXISTS {                      # no later source published by then speaks of the country
    GRAPH ?g2 { ?country ilrs:partnerStatus ?other }
    GRAPH <https://w3id.org/ilrs/graph/sources> { ?g2 prov:wasDerivedFrom ?doc2 . ?doc2 dcterms:issued ?issued2 }
    FILTER(SUBSTR(STR(?issued2), 1, 10) <= "2023-06-01" && STR(?issued2) > STR(?issued))
  }
}
ORDER BY ?country"""

#: The reported counts as they stood on a day (replace 2023-06-01): each count with the day it stood on,
#: its own ``ilrs:asOf`` or else its source's publication day. README.md and the map page show it;
#: tests/test_explore.py checks it agrees with :func:`reported_counts`.
COUNTS_AS_OF_PATTERN = """\
PREFIX ilrs: <https://w3id.org/ilrs/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?count ?value ?day ?g WHERE {
  GRAPH ?g { ?count a ilrs:ReportedCount ; ilrs:countValue ?value . OPTIONAL { ?count ilrs:asOf ?stated } }
  FILTER(?g != <https://w3id.org/ilrs/graph/merged>)   # the merged graph repeats every claim, unsourced
  OPTIONAL { GRAPH <https://w3id.org/ilrs/graph/sources> { ?g prov:wasDerivedFrom ?doc . ?doc dcterms:issued ?issued } }
  BIND(SUBSTR(STR(COALESCE(?stated, ?issued)), 1, 10) AS ?day)
  FILTER(?day <= "2023-06-01")                         # an undated count has no ?day, and is left out
}
ORDER BY ?day ?count"""


@dataclass(frozen=True)
class Claim:
    """One source's status for one country."""

    graph: str
    status: str
    """The status's key (``signed`` …), the last segment of its IRI."""
    issued: str | None


@dataclass
class Partner:
    """A country's status on the map, and every claim behind it."""

    country: str
    claims: list[Claim]

    @property
    def status(self) -> str:
        """The status of the latest dated source (an undated one only when no dated source speaks)."""
        return max(self.claims, key=lambda c: (c.issued or "", c.graph)).status

    @property
    def disputed(self) -> bool:
        return len({c.status for c in self.claims}) > 1

    def shown_claims(self, most: int) -> list[Claim]:
        """At most ``most`` of the claims, by graph: the latest first, then taking turns among the statuses (the
        latest claim of each status, then the next …), so the status shown and those it disputes stay seen."""
        latest = sorted(self.claims, key=lambda c: (c.issued or "", c.graph), reverse=True)
        groups: dict[str, list[Claim]] = {}
        for claim in latest:
            groups.setdefault(claim.status, []).append(claim)
        turns = [c for c in chain.from_iterable(zip_longest(*groups.values())) if c is not None]
        return sorted(turns[:most], key=lambda c: c.graph)


def _query(store: Store) -> list[tuple[str, Claim]]:
    query = f"""
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?country ?status ?g ?issued WHERE {{
          GRAPH ?g {{ ?country <{ILRS.partnerStatus}> ?status }}
          FILTER(STRSTARTS(STR(?country), "{BASE_IRI}id/country/"))
          FILTER(?g != <{BASE_IRI}graph/merged> && ?g != <{BASE_IRI}graph/inferred>)
          OPTIONAL {{ GRAPH <{SOURCES_GRAPH}> {{ ?g prov:wasDerivedFrom ?doc . ?doc dcterms:issued ?issued }} }}
        }}"""
    rows = store.query(query, union_default_graph=False)
    assert isinstance(rows, ox.QuerySolutions)
    out = []
    for row in rows:
        issued = row["issued"].value[:10] if row["issued"] is not None else None  # type: ignore[union-attr]
        status = row["status"].value.rstrip("/").rsplit("/", 1)[-1]  # type: ignore[union-attr]
        out.append((row["country"].value, Claim(row["g"].value, status, issued)))  # type: ignore[union-attr]
    return out


def partner_statuses(store: Store, source: str | None = None, as_of: dt.date | None = None) -> dict[str, Partner]:
    """Country IRI → its status and claims, from ``source`` (a graph IRI) only, or as of a day."""
    partners: dict[str, Partner] = {}
    for country, claim in _query(store):
        if source is not None and claim.graph != source:
            continue
        if as_of is not None and (claim.issued is None or claim.issued > as_of.isoformat()):
            continue
        partners.setdefault(country, Partner(country, [])).claims.append(claim)
    return partners


@dataclass(frozen=True)
class Outline:
    """A country's outline on the map: ISO 3166-1 numeric code, Natural Earth's name, SVG path data."""

    numeric: str
    name: str
    d: str


def outlines(path: Path) -> tuple[int, int, list[Outline]]:
    """The projected outlines bundled by ``ui/build.mjs`` (``world/countries.json``): width, height, shapes."""
    data = json.loads(path.read_text(encoding="utf-8"))
    shapes = [Outline(c["id"], c["name"], c["d"]) for c in data["countries"]]
    return int(data["width"]), int(data["height"]), shapes


def numeric_codes(store: Store) -> dict[str, str]:
    """ISO 3166-1 numeric code → the country's IRI (from the reference graph of countries)."""
    rows = store.query(f"SELECT ?c ?n WHERE {{ ?c <{ILRS.isoNumeric}> ?n }}")
    assert isinstance(rows, ox.QuerySolutions)
    return {row["n"].value.zfill(3): row["c"].value for row in rows}  # type: ignore[union-attr]


@dataclass(frozen=True)
class ReportedCount:
    """A count a source reports (``ilrs:ReportedCount``): how many of what, and as of when."""

    iri: str
    label: str
    value: int
    graph: str
    day: str | None
    """The count's ``ilrs:asOf``, else its source's publication day; ``None`` when neither is known."""


def reported_counts(store: Store, as_of: dt.date | None = None) -> list[ReportedCount]:
    """Every reported count, by day; with ``as_of`` only those known to stand on or before that day."""
    query = f"""
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?c ?g ?value (SAMPLE(?l) AS ?label) (SAMPLE(?day0) AS ?day) (SAMPLE(?issued) AS ?published) WHERE {{
          GRAPH ?g {{ ?c a <{ILRS.ReportedCount}> ; <{ILRS.countValue}> ?value . OPTIONAL {{ ?c rdfs:label ?l }}
                      OPTIONAL {{ ?c <{ILRS.asOf}> ?day0 }} }}
          FILTER(?g != <{BASE_IRI}graph/merged> && ?g != <{BASE_IRI}graph/inferred>)
          OPTIONAL {{ GRAPH <{SOURCES_GRAPH}> {{ ?g prov:wasDerivedFrom ?doc . ?doc dcterms:issued ?issued }} }}
        }} GROUP BY ?c ?g ?value"""
    rows = store.query(query, union_default_graph=False)
    assert isinstance(rows, ox.QuerySolutions)
    out = []
    for row in rows:
        known = row["day"] or row["published"]
        day = known.value[:10] if known is not None else None
        if as_of is not None and (day is None or day > as_of.isoformat()):
            continue
        iri = row["c"].value  # type: ignore[union-attr]
        label = row["label"].value if row["label"] is not None else iri.rsplit("/", 1)[-1]
        out.append(ReportedCount(iri, label, int(row["value"].value), row["g"].value, day))  # type: ignore[union-attr]
    out.sort(key=lambda c: (c.day or "9999", c.iri))
    return out
