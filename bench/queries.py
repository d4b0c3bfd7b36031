"""The query mix of the benchmark, over the data of :mod:`bench.generate`.

Each :class:`Template` makes a query from a random draw (a source, a country, a year…): the *unique*
mix draws anew for every request, with a serial number folded into the query, so that no two
requests are the same and no cache can answer them; the *repeated* mix asks a fixed set of queries
(one draw per template, and the shipped competency queries) over and over.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .generate import COUNTRIES, PHASES, STATUSES, WORDS, sources_for

PREFIXES = """PREFIX ilrs: <https://w3id.org/ilrs/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""
ID = "https://w3id.org/ilrs/id/"
JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"


@dataclass(frozen=True)
class Query:
    """One request of the mix: its name (the template's), text and the result format asked for."""

    name: str
    text: str
    accept: str


@dataclass(frozen=True)
class Template:
    """A kind of query; ``make(rng, sources, serial)`` writes one (``serial`` makes it unique when > 0)."""

    name: str
    accept: str
    make: Callable[[random.Random, int, int], str]

    def query(self, rng: random.Random, sources: int, serial: int = 0) -> Query:
        return Query(self.name, PREFIXES + self.make(rng, sources, serial), self.accept)


def _source(rng: random.Random, sources: int) -> str:
    return f"b{rng.randrange(sources):05d}"


def _unique(serial: int) -> str:
    """A filter that is always true but makes the query text differ from every other request's."""
    return f" FILTER({serial} >= 0)" if serial else ""


TEMPLATES: list[Template] = [
    Template("ask-trivial", JSON, lambda rng, n, s: f"ASK {{{_unique(s)}}}"),
    Template(
        "lookup",
        JSON,
        lambda rng, n, s: (
            f"SELECT ?p ?o WHERE {{ <{ID}mission/{_source(rng, n)}-{rng.randrange(4)}> ?p ?o{_unique(s)} }}"
        ),
    ),
    Template(
        "ask",
        JSON,
        lambda rng, n, s: f"ASK {{ <{ID}agreement/{_source(rng, n)}-1> ilrs:party <{ID}country/CN>{_unique(s)} }}",
    ),
    Template(
        "join",
        JSON,
        lambda rng, n, s: (
            "SELECT ?agreement ?label ?date WHERE { ?agreement ilrs:party ?agency ; rdfs:label ?label ;"
            f" dcterms:date ?date . ?agency ilrs:agencyOf <{ID}country/{rng.choice(COUNTRIES)}>{_unique(s)} }}"
        ),
    ),
    Template(
        "date-filter",
        JSON,
        lambda rng, n, s: (
            lambda y, m: (
                "SELECT ?agreement ?date WHERE { ?agreement a ilrs:JointStatement ;"
                f' dcterms:date ?date FILTER(?date >= "{y}-{m:02d}-01"^^xsd:date && ?date < "{y}-{m:02d}-08"^^xsd:date)'
                f"{_unique(s)} }} ORDER BY ?date ?agreement"
            )
        )(rng.randint(2019, 2026), rng.randint(1, 12)),
    ),
    Template(
        "optional",
        JSON,
        lambda rng, n, s: (
            f"SELECT ?mission ?label ?wording WHERE {{ GRAPH <https://w3id.org/ilrs/graph/source/"
            f"{_source(rng, n)}> {{ ?mission ilrs:inPhase <{ID}phase/{rng.choice(PHASES)}> ."
            " OPTIONAL { ?mission rdfs:label ?label }"
            f" OPTIONAL {{ ?mission ilrs:launchWording ?wording }} }}{_unique(s)} }}"
        ),
    ),
    Template(
        "group-by",
        JSON,
        lambda rng, n, s: (
            "SELECT ?status (COUNT(DISTINCT ?country) AS ?n) WHERE { GRAPH ?g { ?country ilrs:partnerStatus ?status }"
            f" ?g prov:wasDerivedFrom ?source . ?source dcterms:issued ?issued"
            f' FILTER(?issued >= "{rng.randint(2019, 2026)}-{rng.randint(1, 12):02d}-01"^^xsd:date){_unique(s)} }}'
            " GROUP BY ?status ORDER BY ?status"
        ),
    ),
    Template(
        "label-search",
        JSON,
        lambda rng, n, s: (
            "SELECT ?mission ?label WHERE { ?mission a ilrs:RoverMission ; rdfs:label ?label"
            f' FILTER(CONTAINS(LCASE(STR(?label)), "{rng.choice(WORDS)}")){_unique(s)} }} ORDER BY ?mission LIMIT 20'
        ),
    ),
    Template(
        "property-path",
        JSON,
        lambda rng, n, s: (
            f"SELECT DISTINCT ?country WHERE {{ <{ID}agreement/{_source(rng, n)}-0>"
            f" ilrs:party/ilrs:agencyOf? ?country{_unique(s)} }} ORDER BY ?country"
        ),
    ),
    Template(
        "construct",
        NTRIPLES,
        lambda rng, n, s: (
            "CONSTRUCT { ?mission ilrs:inPhase ?phase ; ilrs:launchYear ?year } WHERE {"
            f" GRAPH <https://w3id.org/ilrs/graph/source/{_source(rng, n)}> {{ ?mission ilrs:inPhase ?phase ;"
            f" ilrs:launchYear ?year }}{_unique(s)} }}"
        ),
    ),
    Template(
        "describe",
        NTRIPLES,
        lambda rng, n, s: (
            f"DESCRIBE <{ID}agreement/{_source(rng, n)}-{rng.randrange(3)}>"
            + (f" WHERE {{ {_unique(s)} }}" if s else "")
        ),
    ),
    Template(
        "status-count",
        JSON,
        lambda rng, n, s: (
            "SELECT (COUNT(DISTINCT ?country) AS ?n) WHERE { ?country ilrs:partnerStatus"
            f" <{ID}status/{rng.choice(STATUSES)}>{_unique(s)} }}"
        ),
    ),
]

#: The shipped competency queries the repeated mix adds (light enough for every system at 100k triples).
COMPETENCY = ["phases.rq", "partner-statuses.rq", "signed-countries.rq", "missions-per-phase.rq"]


def competency_queries(queries_dir: Path) -> list[Query]:
    """The shipped competency queries of :data:`COMPETENCY` that exist in ``queries_dir``."""
    return [
        Query(f"cq:{name.removesuffix('.rq')}", (queries_dir / name).read_text(), JSON)
        for name in COMPETENCY
        if (queries_dir / name).exists()
    ]


#: Requests a source of the unique mix makes before its serial numbers could meet those of the next seed's.
SERIALS_PER_SEED = 10_000_000


def unique_mix(scale: float, seed: int) -> Callable[[], Query]:
    """A source of requests that never repeat: each call draws the next template's next query.

    Sources of two seeds (``seed`` ≥ 0) never ask the same query either: the serial number folded into each
    query begins at ``seed * SERIALS_PER_SEED``. (Templates that draw nothing, like ``ask-trivial``,
    differ by that number alone: two sources numbering alike would ask them alike, and a server with a result
    cache would answer the second from it.) Every system of a run is sent the same queries by a source of the
    same seed; each of its phases needs a seed of its own.
    """
    rng = random.Random(seed)
    sources = sources_for(scale)
    first = seed * SERIALS_PER_SEED
    count = 0

    def next_query() -> Query:
        nonlocal count
        count += 1
        return TEMPLATES[count % len(TEMPLATES)].query(rng, sources, first + count)

    return next_query


def repeated_mix(scale: float, seed: int, queries_dir: Path) -> list[Query]:
    """The fixed queries of the repeated mix: one draw per template, and the competency queries."""
    rng = random.Random(seed)
    return [t.query(rng, sources_for(scale)) for t in TEMPLATES] + competency_queries(queries_dir)
