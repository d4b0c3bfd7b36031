"""schema.org markup for the pages: what search engines read from ``<script type="application/ld+json">``.

Search engines read schema.org terms under ``"@context": "https://schema.org"`` and fetch no other
context, so the markup is a separate, small document in that vocabulary only: one schema.org type
per node (the most specific that fits the resource's classes), properties only on types whose
schema.org domain allows them, and the news articles a statement comes from as ``subjectOf``.
The full data stays in the page's linked JSON-LD, Turtle and N-Triples.

The other pages say what they are: the front page and ``/dataset`` the ``Dataset`` (:func:`dataset_markup`,
:func:`site_markup`), ``/sparql`` a ``WebAPI`` (:func:`endpoint_markup`), ``/query`` a ``WebApplication``
(:func:`editor_markup`), and the search, the map and the timeline pages whose main entity is the
``ItemList`` of what they show (:func:`page_markup`). Every value is one the graph or the server states.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyoxigraph as ox

from .derived import DESCRIPTIONS
from .describe import Description, Source, best_label, describe
from .formats import RESULT_FORMATS
from .namespaces import ILRS
from .store import Store
from .timeline import Entry
from .void import DATASET_IRI

SCHEMA = "https://schema.org/"
SCHEMA_CONTEXT = "https://schema.org"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_DCT = "http://purl.org/dc/terms/"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
_PROV = "http://www.w3.org/ns/prov#"

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
    (f"{SCHEMA}Dataset", "Dataset"),
    (str(ILRS.Agreement), "CreativeWork"),
    (str(ILRS.Program), "Project"),
    (str(ILRS.Mission), "Project"),
    (f"{_SKOS}ConceptScheme", "DefinedTermSet"),
    (f"{_SKOS}Concept", "DefinedTerm"),
    (f"{SCHEMA}QuantitativeValue", "QuantitativeValue"),
    (f"{_PROV}Organization", "Organization"),
    (f"{_PROV}Person", "Person"),
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


def linked(store: Store, iris: Iterable[str], local_url: Callable[[str], str | None]) -> dict[str, Linked]:
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
    store: Store,
    description: Description,
    page_url: str,
    local_url: Callable[[str], str | None],
    kind: str | None = None,
) -> JsonObject:
    """The schema.org markup of one resource's page (``description`` with its context: sources, labels).

    ``kind`` is the schema.org type to give it instead of the one its classes call for: a named graph's page
    describes a ``Dataset`` (VoID lists every named graph as a subset of the dataset), whatever the graph
    says of its type."""
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
    links["isBasedOn"] = _iris(description, f"{_PROV}wasDerivedFrom")
    links["creator"] = _iris(description, f"{_PROV}wasAttributedTo")
    known = linked(store, [description.iri, *(i for iris in links.values() for i in iris)], local_url)
    kind = kind or known[description.iri].type
    node: JsonObject = {"@context": SCHEMA_CONTEXT, "@type": kind, "@id": description.iri, "url": page_url}
    short_labels = [label for label in description.own_labels if len(label.value) <= MAX_TEXT]
    name = best_label(short_labels) or next(iter(_texts(description, f"{_DCT}title")), None)
    if not name and kind == "Dataset" and description.iri in DESCRIPTIONS:  # a derived graph, which no triple names
        name = DESCRIPTIONS[description.iri][0]
    if name:
        node["name"] = name
    alternate = _texts(description, f"{_SKOS}altLabel")
    if alternate:
        node["alternateName"] = alternate
    definition = _texts(description, f"{_SKOS}definition") or _texts(description, f"{_DCT}description")
    if kind == "Dataset":  # a graph's comment says what it holds; a resource's is an editor's note
        definition = definition or _texts(description, _RDFS_COMMENT)
        if not definition and description.iri in DESCRIPTIONS:  # a derived graph: what VoID says it holds
            definition = [DESCRIPTIONS[description.iri][1]]
    if definition:
        node["description"] = definition[0]
    same = _iris(description, "http://www.w3.org/2002/07/owl#sameAs") + _iris(description, f"{_SKOS}exactMatch")
    same = [iri for iri in same if iri.startswith(("http://", "https://"))]  # only web links
    if same:
        node["sameAs"] = sorted(same)

    def nodes(key: str, wanted: Callable[[Linked], bool] = lambda _: True) -> list[JsonObject]:
        return [known[i].node() for i in sorted(links[key]) if wanted(known[i])]

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
    elif kind == "Dataset":
        put("isBasedOn", [*_based_on(store, links["isBasedOn"], local_url), *_web_sources(description)])
        put("creator", nodes("creator", lambda x: x.type == "Person" or x.type in _ORGANIZATIONS))
        part_of = description.iri in store.graphs()  # VoID lists every named graph as a subset of the dataset
        put("isPartOf", [{"@type": "Dataset", "@id": DATASET_IRI}] if part_of else [])
    put("subjectOf", _articles(description, local_url))
    return node


def _based_on(store: Store, documents: list[str], local_url: Callable[[str], str | None]) -> list[JsonObject]:
    """The documents a graph was derived from, each with the markup of its own page (a news article's headline,
    date, author and publisher), so that a graph's page names its article as that article's page does."""
    out = []
    for document in sorted(documents):
        markup = resource_markup(store, describe(store, document), local_url(document) or document, local_url)
        markup.pop("@context")
        out.append(markup)
    return out


def _web_sources(description: Description) -> list[str]:
    """The web pages a graph names as its source (``dcterms:source``: a package a reference graph is made from)."""
    return sorted(i for i in _iris(description, f"{_DCT}source") if i.startswith(("http://", "https://")))


def _articles(description: Description, local_url: Callable[[str], str | None]) -> list[JsonObject]:
    """The news articles the page's statements come from, as ``NewsArticle`` nodes."""
    sources = sorted(description.sources.values(), key=lambda s: s.document or "")
    return [article_node(s, local_url) for s in sources if s.document is not None and s.document != description.iri]


def article_node(source: Source, local_url: Callable[[str], str | None]) -> JsonObject:
    """The article a source graph was derived from, as a ``NewsArticle`` node: headline, date and page."""
    assert source.document is not None
    article: JsonObject = {"@type": "NewsArticle", "@id": source.document}
    if source.title:
        article["headline"] = source.title
    if source.issued:
        article["datePublished"] = source.issued
    url = source.url or local_url(source.document)
    if url:
        article["url"] = url
    return article


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

    def creator_node(self) -> JsonObject:
        return {"@type": "Organization", "name": self.creator}

    def node(self) -> JsonObject:
        """The dataset as a short node, for the markup of a page about something else."""
        return {"@type": "Dataset", "@id": self.iri, "name": self.name, "url": self.page_url}


def dataset_markup(store: Store, facts: DatasetFacts) -> JsonObject:
    """The ``Dataset`` markup dataset search engines expect: name, description, license, creator,
    every distribution (the dumps and the SPARQL endpoint), temporal and spatial coverage, and the version
    served with its time (the ``ETag`` and ``Last-Modified`` of every answer name the same)."""
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
        "creator": facts.creator_node(),
        "isAccessibleForFree": True,
        "distribution": distributions,
        "spatialCoverage": {"@type": "Place", "name": "The Moon, and the countries of the world (ISO 3166-1)"},
        "version": store.version,
    }
    if store.modified:
        markup["dateModified"] = datetime.fromtimestamp(int(store.modified), UTC).isoformat()
    coverage = _years(store)
    if coverage:
        markup["temporalCoverage"] = coverage
    return markup


def search_action(url: str, parameter: str, **target: Any) -> JsonObject:
    """A ``SearchAction`` sending its query as ``parameter`` of ``url`` (``target``: more of its ``EntryPoint``).

    ``query-input`` is schema.org's annotation of an action's input (schema.org/docs/actions.html)."""
    return {
        "@type": "SearchAction",
        "target": {"@type": "EntryPoint", "urlTemplate": f"{url}?{parameter}={{{parameter}}}", **target},
        "query-input": f"required name={parameter}",
    }


def site_markup(store: Store, facts: DatasetFacts, search_url: str) -> JsonObject:
    """The front page's markup: the dataset, with the site's search by name as what one can do with it."""
    return {**dataset_markup(store, facts), "potentialAction": search_action(search_url, "q")}


#: The protocol the endpoint speaks, its first documentation.
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"


def endpoint_markup(facts: DatasetFacts, api_docs: str) -> JsonObject:
    """The SPARQL endpoint as a ``WebAPI``: a query sent by ``GET``, answered in every result format the service
    description lists; documented by the protocol and by ``api_docs`` (the server's OpenAPI page)."""
    return {
        "@context": SCHEMA_CONTEXT,
        "@type": "WebAPI",
        "@id": facts.sparql_endpoint,
        "name": f"SPARQL 1.1 endpoint of the {facts.name}",
        "description": f"Queries the {facts.name} with the SPARQL 1.1 Protocol: GET with ?query=, or POST.",
        "url": facts.sparql_endpoint,
        "provider": facts.creator_node(),
        "documentation": [SPARQL_PROTOCOL, api_docs],
        "potentialAction": search_action(
            facts.sparql_endpoint, "query", httpMethod="GET", contentType=[f.media_type for f in RESULT_FORMATS]
        ),
    }


@dataclass(frozen=True)
class ExampleQuery:
    """An example query the query editor offers."""

    title: str
    description: str
    url: str


def editor_markup(facts: DatasetFacts, page_url: str, examples: Sequence[ExampleQuery]) -> JsonObject:
    """The query editor as a ``WebApplication`` about the dataset, its example queries as its parts."""
    return {
        "@context": SCHEMA_CONTEXT,
        "@type": "WebApplication",
        "name": f"SPARQL query editor of the {facts.name}",
        "url": page_url,
        "applicationCategory": "SPARQL query editor",
        "browserRequirements": "Requires JavaScript.",
        "isAccessibleForFree": True,
        "provider": facts.creator_node(),
        "about": facts.node(),
        "hasPart": [
            {
                "@type": "SoftwareSourceCode",
                "name": e.title,
                **({"description": e.description} if e.description else {}),
                "programmingLanguage": "SPARQL",
                "url": e.url,
            }
            for e in examples
        ],
    }


def item_list(items: Sequence[JsonObject], name: str | None = None) -> JsonObject:
    """``items`` as an ``ItemList``, in their order (``position`` counts from 1)."""
    return {
        "@type": "ItemList",
        **({"name": name} if name else {}),
        "numberOfItems": len(items),
        "itemListElement": [
            {"@type": "ListItem", "position": n, "item": item} for n, item in enumerate(items, start=1)
        ],
    }


def page_markup(page_type: str, name: str, page_url: str, items: Sequence[JsonObject], **more: Any) -> JsonObject:
    """A page (``SearchResultsPage``, ``CollectionPage`` …) whose main entity is the list of ``items``."""
    return {
        "@context": SCHEMA_CONTEXT,
        "@type": page_type,
        "name": name,
        "url": page_url,
        **more,
        "mainEntity": item_list(items, name),
    }


def partner_items(
    countries: Iterable[tuple[str, str, str]], local_url: Callable[[str], str | None]
) -> list[JsonObject]:
    """The map's countries (IRI, name, status key) as ``Country`` nodes with their ILRS status as a property."""
    return [
        {
            **Linked(iri, "Country", name, local_url(iri)).node(),
            "additionalProperty": {
                "@type": "PropertyValue",
                "propertyID": str(ILRS.partnerStatus),
                "name": "ILRS status",
                "value": status,
            },
        }
        for iri, name, status in countries
    ]


#: The kind of event a timeline row is, by what its date means: a publication, or any other event.
_EVENT_TYPES = {"published": "PublicationEvent"}


def timeline_items(
    store: Store, rows: Sequence[Entry], sources: Mapping[str, Source], local_url: Callable[[str], str | None]
) -> list[JsonObject]:
    """The timeline's rows as events with their ``startDate`` (a year, a month or a day, as the source gives it)
    and the article that states them: an event the graph dates is itself; anything else dated (an agreement
    signed, an article published, a launch, a target year) is an event about it, named by what the date means."""
    known = linked(store, {e.iri for e in rows}, local_url)
    items = []
    for e in rows:
        thing = known[e.iri]
        if thing.type == "Event" and e.what == "date":
            item = {**thing.node(), "startDate": e.value}
        else:
            kind = _EVENT_TYPES.get(e.what, "Event")
            item = {"@type": kind, "name": f"{thing.name or e.label}: {e.what}", "startDate": e.value}
            item["about"] = thing.node()
        source = sources.get(e.graph)
        if source is not None and source.document is not None:
            item["subjectOf"] = article_node(source, local_url)
        items.append(item)
    return items


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
