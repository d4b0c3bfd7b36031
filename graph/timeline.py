"""Everything the graph dates, on one axis: agreements, announcements, document releases, events,
missions' launches, phases' target years, deadlines.

A date is kept as precise as the source gives it: ``2021`` is the whole year 2021, ``2021-06`` the
month, ``2021-03-09`` the day (:func:`span`), so a timeline draws a year as a year, never as
1 January.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pyoxigraph as ox

from .overview import cached
from .search import kind_of
from .settings import BASE_IRI
from .store import Store

#: The properties that date something, and what the date means, in the words the page shows.
DATING = {
    "http://purl.org/dc/terms/date": "date",
    "http://purl.org/dc/terms/issued": "published",
    f"{BASE_IRI}ontology#launchYear": "launch",
    f"{BASE_IRI}ontology#targetYear": "target year",
    f"{BASE_IRI}ontology#deadline": "deadline",
}

_NAME = "<http://www.w3.org/2000/01/rdf-schema#label>|<http://purl.org/dc/terms/title>"
_PARTIAL = re.compile(r"(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def span(value: str) -> tuple[dt.date, dt.date] | None:
    """The first day and the day after the last of a (partial) date: a year, a month or a day."""
    match = _PARTIAL.match(value)
    if not match:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        if month is None:
            return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        if day is None:
            start = dt.date(year, month, 1)
            return start, dt.date(year + (month == 12), month % 12 + 1, 1)
        start = dt.date(year, month, day)
    except ValueError:
        return None
    return start, start + dt.timedelta(days=1)


@dataclass(frozen=True)
class Entry:
    """One dated statement: what, which date (as written) and its span, and the graph that states it."""

    iri: str
    label: str
    kind: str
    what: str
    value: str
    start: dt.date
    end: dt.date
    graph: str


def entries(store: Store) -> list[Entry]:
    """Every dated statement of a resource under ``…/id/``, in every graph that states it, by start."""

    def read() -> list[Entry]:
        values = " ".join(f"<{p}>" for p in DATING)
        query = f"""
            SELECT ?s ?p ?date ?g (SAMPLE(?l) AS ?label) WHERE {{
              VALUES ?p {{ {values} }}
              GRAPH ?g {{ ?s ?p ?date }}
              FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{BASE_IRI}id/") && isLiteral(?date))
              FILTER(?g != <{BASE_IRI}graph/merged> && ?g != <{BASE_IRI}graph/inferred>)
              OPTIONAL {{ GRAPH ?lg {{ ?s {_NAME} ?l }}
                          FILTER(LANGMATCHES(LANG(?l), "en") || LANG(?l) = "") }}
            }} GROUP BY ?s ?p ?date ?g"""
        rows = store.query(query, union_default_graph=False)
        assert isinstance(rows, ox.QuerySolutions)
        out = []
        for row in rows:
            value = row["date"].value  # type: ignore[union-attr]
            bounds = span(value)
            if bounds is None:
                continue
            iri = row["s"].value  # type: ignore[union-attr]
            label = row["label"].value if row["label"] is not None else iri.rsplit("/", 1)[-1]
            what = DATING[row["p"].value]  # type: ignore[union-attr]
            out.append(Entry(iri, label, kind_of(iri), what, value, *bounds, row["g"].value))  # type: ignore[union-attr]
        out.sort(key=lambda e: (e.start, e.end, e.label))
        return out

    return cached(store, "timeline", read)
