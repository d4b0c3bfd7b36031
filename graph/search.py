"""Finding resources by name: every label, alternative label, title and code, in every language.

A query and every name are *normalised* before they are compared (:func:`normalise`): Unicode
NFKD, combining marks dropped, case folded, and everything but letters and digits removed — so
``Chang'e-7``, ``Chang e 7`` and ``change7`` are one name (so is a typographic apostrophe), and so are ``Türkiye`` and
``turkiye``. A name matches exactly, by its beginning, by containing the query, or (for a
query of four characters or more) by being spelt nearly the same (a letter missing,
added or changed: ``turky`` finds Turkey); hits are ranked in that order, then by name.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

import pyoxigraph as ox

from .overview import cached
from .settings import BASE_IRI
from .store import Store

#: Most hits returned.
LIMIT = 20
#: How alike (0 to 1, :class:`difflib.SequenceMatcher` ratio) a name must be to a query to be a near match.
NEAR = 0.75

_NAMES = f"""
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX ilrs: <{BASE_IRI}ontology#>
SELECT DISTINCT ?s ?name WHERE {{
  ?s rdfs:label|skos:prefLabel|skos:altLabel|dcterms:title|<https://schema.org/name>|skos:notation
     |ilrs:isoAlpha2|ilrs:isoAlpha3 ?name .
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{BASE_IRI}id/") && isLiteral(?name))
}}"""


def normalise(text: str) -> str:
    """``text`` as names are compared: NFKD, no combining marks, case-folded, letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = (c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in "".join(kept).casefold() if c.isalnum())


@dataclass(frozen=True)
class Name:
    """One name of a resource, and its normalised form."""

    iri: str
    text: str
    language: str
    key: str


@dataclass(frozen=True)
class Hit:
    """A resource that matches a query: the name that matched, how well, and its kind."""

    iri: str
    name: str
    language: str
    kind: str
    """The first path segment under ``…/id/`` (``country``, ``mission`` …)."""
    score: int
    """100 exact, 80 beginning, 60 containing, below 50 near."""


def names(store: Store) -> list[Name]:
    """Every name of every resource under ``…/id/``, kept per store version."""

    def read() -> list[Name]:
        rows = store.query(_NAMES, union_default_graph=True)
        assert isinstance(rows, ox.QuerySolutions)
        out = []
        for row in rows:
            name = row["name"]
            if isinstance(name, ox.Literal) and normalise(name.value):
                out.append(Name(row["s"].value, name.value, name.language or "", normalise(name.value)))  # type: ignore[union-attr]
        return out

    return cached(store, "search-names", read)


def kind_of(iri: str) -> str:
    """``country`` for ``…/id/country/PK``."""
    return iri.removeprefix(f"{BASE_IRI}id/").partition("/")[0]


def _score(query: str, key: str) -> int:
    if key == query:
        return 100
    if key.startswith(query):
        return 80
    if query in key:
        return 60
    if len(query) >= 4:
        ratio = max(_near(query, key), _near(query, key[: len(query)]))
        if ratio >= NEAR:
            return int(ratio * 50)
    return 0


def search(store: Store, query: str, limit: int = LIMIT, kind: str | None = None) -> list[Hit]:
    """The resources whose names match ``query``, best first, each once (by its best-matching name)."""
    wanted = normalise(query)
    if not wanted:
        return []
    best: dict[str, Hit] = {}
    for name in names(store):
        if kind and kind_of(name.iri) != kind:
            continue
        score = _score(wanted, name.key)
        if not score:
            continue
        hit = Hit(name.iri, name.text, name.language, kind_of(name.iri), score)
        current = best.get(name.iri)
        if current is None or (score, hit.language == "en") > (current.score, current.language == "en"):
            best[name.iri] = hit
    ranked = sorted(best.values(), key=lambda h: (-h.score, len(h.name), h.name))
    return ranked[:limit]


def _near(query: str, key: str) -> float:
    """How alike ``query`` and ``key`` are (:class:`~difflib.SequenceMatcher`'s ratio), or 0 when not near.

    Its cheap upper bounds are tried first: most names are far from the query, and every search compares the
    query with every name, so the full comparison is made only for the few that may be near.
    """
    matcher = SequenceMatcher(None, query, key)
    if matcher.real_quick_ratio() < NEAR or matcher.quick_ratio() < NEAR:
        return 0.0
    return matcher.ratio()
