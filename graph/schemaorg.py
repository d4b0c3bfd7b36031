"""schema.org markup for the pages: what search engines read from ``<script type="application/ld+json">``.

Search engines read schema.org terms under ``"@context": "https://schema.org"`` and fetch no other
context, so the markup is a separate, small document in that vocabulary only: one schema.org type
per node (the most specific that fits the resource's classes), properties only on types whose
schema.org domain allows them, and the news articles a statement comes from as ``subjectOf``.
The full data stays in the page's linked JSON-LD, Turtle and N-Triples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from .describe import Description, best_label
from .namespaces import ILRS
from .store import Store

SCHEMA = "https://schema.org/"
SCHEMA_CONTEXT = "https://schema.org"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_DCT = "http://purl.org/dc/terms/"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

JsonObject = dict[str, Any]
#: Longer texts stay out of the markup (the page's table shows them once; the RDF has them whole).
MAX_TEXT = 2000

#: Classes of the graph (with their subclasses) → the schema.org type of their pages, most specific first.
SCHEMA_TYPES: tuple[tuple[str, str], ...] = (
    (str(ILRS.SpaceAgency), "GovernmentOrganization"),
    (str(ILRS.ResearchInstitution), "ResearchOrganization"),
    (str(ILRS.Company), "Corporation"),
    (f"{SCHEMA}NewsMediaOrganization", "NewsMediaOrganization"),
    (str(ILRS.Organization), "Organization"),
    (str(ILRS.Country), "Country"),
    (str(ILRS.Person), "Person"),
    (str(ILRS.Event), "Event"),
    (str(ILRS.Place), "Place"),
    (str(ILRS.SourceDocument), "NewsArticle"),
    (str(ILRS.Agreement), "CreativeWork"),
    (str(ILRS.Program), "Project"),
    (str(ILRS.Mission), "Project"),
    (f"{_SKOS}ConceptScheme", "DefinedTermSet"),
    (f"{_SKOS}Concept", "DefinedTerm"),
    (f"{SCHEMA}QuantitativeValue", "QuantitativeValue"),
)
_ORGANIZATIONS = {"GovernmentOrganization", "ResearchOrganization", "Corporation", "NewsMediaOrganization"}
_ORGANIZATIONS |= {"Organization", "Project"}


@dataclass(frozen=True)
class Linked:
    """A resource the page links to: its schema.org type, name and page on this server."""

    iri: str
    type: str
    name: str | None
    url: str | None

    def node(self) -> JsonObject:
        node: JsonObject = {"@type": self.type, "@id": self.iri}
        if self.name:
            node["name"] = self.name
        if self.url:
            node["url"] = self.url
        return node


def schema_type(classes: Iterable[str]) -> str:
    """The schema.org type for a resource of ``classes`` (its types with their superclasses); ``Thing`` if none fits."""
    present = set(classes)
    return next((name for iri, name in SCHEMA_TYPES if iri in present), "Thing")


def _linked(store: Store, iris: Iterable[str], local_url: Callable[[str], str | None]) -> dict[str, Linked]:
    """Type, English name and page of each IRI (one query for the classes, one for the labels)."""
    names = sorted(set(iris))
    if not names:
        return {}
    values = " ".join(f"<{i}>" for i in names)
    classes: dict[str, set[str]] = {i: set() for i in names}
    rows = store.query(
        f"SELECT DISTINCT ?x ?c WHERE {{ VALUES ?x {{ {values} }} "
        "?x a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?c }"
    )
    for row in rows:  # type: ignore[union-attr]
        classes[row["x"].value].add(row["c"].value)
    labels: dict[str, list[ox.Literal]] = {i: [] for i in names}
    rows = store.query(
        f"SELECT ?x ?l WHERE {{ VALUES ?x {{ {values} }} ?x <{_RDFS_LABEL}>|<{_SKOS}prefLabel>|<{_DCT}title> ?l }}"
    )
    for row in rows:  # type: ignore[union-attr]
        if isinstance(row["l"], ox.Literal):
            labels[row["x"].value].append(row["l"])
    short = {i: [lit for lit in labels[i] if len(lit.value) <= MAX_TEXT] for i in names}
    return {i: Linked(i, schema_type(classes[i]), best_label(short[i]), local_url(i)) for i in names}


def _values(description: Description, predicate: str) -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
    return [s.object for s in description.own if s.predicate.value == predicate]


def _texts(description: Description, predicate: str, languages: tuple[str, ...] = ("en", "")) -> list[str]:
    """The literal values of ``predicate`` in the first of ``languages`` that has any."""
    literals = [v for v in _values(description, predicate) if isinstance(v, ox.Literal) and len(v.value) <= MAX_TEXT]
    for language in languages:
        found = [lit.value for lit in literals if (lit.language or "") == language]
        if found:
            return sorted(found)
    return []


def _iris(description: Description, predicate: str) -> list[str]:
    return [v.value for v in _values(description, predicate) if isinstance(v, ox.NamedNode)]


def resource_markup(
    store: Store, description: Description, page_url: str, local_url: Callable[[str], str | None]
) -> JsonObject:
    """The schema.org markup of one resource's page (``description`` with its context: sources, labels)."""
    links = {
        "memberOf": _iris(description, str(ILRS.memberOf)),
        "areaServed": _iris(description, str(ILRS.agencyOf)),
        "basedIn": _iris(description, str(ILRS.basedIn)),
        "location": _iris(description, str(ILRS.location)),
        "party": _iris(description, str(ILRS.party)),
        "about": _iris(description, str(ILRS.concerns)),
        "author": _iris(description, f"{_DCT}creator"),
        "publisher": _iris(description, f"{_DCT}publisher"),
        "editor": _iris(description, f"{SCHEMA}editor"),
        "inDefinedTermSet": _iris(description, f"{_SKOS}inScheme"),
    }
    linked = _linked(store, [description.iri, *(i for iris in links.values() for i in iris)], local_url)
    kind = linked[description.iri].type
    node: JsonObject = {"@context": SCHEMA_CONTEXT, "@type": kind, "@id": description.iri, "url": page_url}
    short_labels = [label for label in description.own_labels if len(label.value) <= MAX_TEXT]
    name = best_label(short_labels) or next(iter(_texts(description, f"{_DCT}title")), None)
    if name:
        node["name"] = name
    alternate = _texts(description, f"{_SKOS}altLabel")
    if alternate:
        node["alternateName"] = alternate
    definition = _texts(description, f"{_SKOS}definition") or _texts(description, f"{_DCT}description")
    if definition:
        node["description"] = definition[0]
    same = _iris(description, "http://www.w3.org/2002/07/owl#sameAs") + _iris(description, f"{_SKOS}exactMatch")
    same = [iri for iri in same if iri.startswith(("http://", "https://"))]  # only web links
    if same:
        node["sameAs"] = sorted(same)

    def nodes(key: str, wanted: Callable[[Linked], bool] = lambda _: True) -> list[JsonObject]:
        return [linked[i].node() for i in sorted(links[key]) if wanted(linked[i])]

    def put(prop: str, values: list[Any]) -> None:
        if values:
            node[prop] = values

    if kind in _ORGANIZATIONS:
        put("memberOf", nodes("memberOf", lambda x: x.type in _ORGANIZATIONS))
        put("areaServed", nodes("areaServed", lambda x: x.type in ("Country", "Place")))
        put("location", nodes("basedIn", lambda x: x.type in ("Country", "Place")))
    elif kind == "Event":
        put("startDate", _texts(description, f"{_DCT}date")[:1])
        put("location", nodes("location", lambda x: x.type in ("Country", "Place")))
    elif kind == "NewsArticle":
        put("headline", _texts(description, f"{_DCT}title")[:1])
        put("datePublished", _texts(description, f"{_DCT}issued")[:1])
        put("author", nodes("author", lambda x: x.type == "Person" or x.type in _ORGANIZATIONS))
        put("publisher", nodes("publisher", lambda x: x.type == "Person" or x.type in _ORGANIZATIONS))
        put("editor", nodes("editor", lambda x: x.type == "Person"))
        put("inLanguage", _texts(description, f"{_DCT}language")[:1])
    elif kind == "CreativeWork":
        put("dateCreated", _texts(description, f"{_DCT}date")[:1])
        put("creator", nodes("party", lambda x: x.type == "Person" or x.type in _ORGANIZATIONS))
        put("countryOfOrigin", nodes("party", lambda x: x.type == "Country"))
        put("about", nodes("about"))
    elif kind == "DefinedTerm":
        put("termCode", _texts(description, f"{_SKOS}notation")[:1])
        put("inDefinedTermSet", nodes("inDefinedTermSet", lambda x: x.type == "DefinedTermSet"))
    put("subjectOf", _articles(description, local_url))
    return node


def _articles(description: Description, local_url: Callable[[str], str | None]) -> list[JsonObject]:
    """The news articles the page's statements come from, as ``NewsArticle`` nodes."""
    articles = []
    for source in sorted(description.sources.values(), key=lambda s: s.document or ""):
        if source.document is None or source.document == description.iri:
            continue
        article: JsonObject = {"@type": "NewsArticle", "@id": source.document}
        if source.title:
            article["headline"] = source.title
        if source.issued:
            article["datePublished"] = source.issued
        url = source.url or local_url(source.document)
        if url:
            article["url"] = url
        articles.append(article)
    return articles


@dataclass(frozen=True)
class DatasetFacts:
    """What the dataset's markup says: its name, description, license, creator and where to get it."""

    iri: str
    name: str
    description: str
    page_url: str
    license: str
    creator: str
    downloads: Mapping[str, tuple[str, str]]  # URL → (media type, title)
    sparql_endpoint: str


def dataset_markup(store: Store, facts: DatasetFacts) -> JsonObject:
    """The ``Dataset`` markup dataset search engines expect: name, description, license, creator,
    every distribution (the dumps and the SPARQL endpoint), temporal and spatial coverage."""
    distributions: list[JsonObject] = [
        {"@type": "DataDownload", "name": title, "contentUrl": url, "encodingFormat": media_type}
        for url, (media_type, title) in facts.downloads.items()
    ]
    distributions.append(
        {
            "@type": "DataDownload",
            "name": "SPARQL 1.1 endpoint (query it with ?query=)",
            "contentUrl": facts.sparql_endpoint,
            "encodingFormat": "application/sparql-results+json",
        }
    )
    markup: JsonObject = {
        "@context": SCHEMA_CONTEXT,
        "@type": "Dataset",
        "@id": facts.iri,
        "name": facts.name,
        "description": facts.description,
        "url": facts.page_url,
        "license": facts.license,
        "creator": {"@type": "Organization", "name": facts.creator},
        "isAccessibleForFree": True,
        "distribution": distributions,
        "spatialCoverage": {"@type": "Place", "name": "The Moon, and the countries of the world (ISO 3166-1)"},
    }
    coverage = _years(store)
    if coverage:
        markup["temporalCoverage"] = coverage
    return markup


def _years(store: Store) -> str | None:
    """``"2017/2025"``: the first and last year any date or issue date in the data names."""
    rows = list(
        store.query(
            f"SELECT (MIN(?y) AS ?first) (MAX(?y) AS ?last) WHERE {{ ?s <{_DCT}date>|<{_DCT}issued> ?d "
            'BIND(SUBSTR(STR(?d), 1, 4) AS ?y) FILTER(REGEX(?y, "^[0-9]{4}$")) }'
        )  # type: ignore[arg-type]
    )
    if not rows or rows[0]["first"] is None:
        return None
    return f"{rows[0]['first'].value}/{rows[0]['last'].value}"
