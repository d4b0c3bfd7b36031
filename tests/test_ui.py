"""The query UI at ``/``, its examples and ``/docs``: served whole from this server, nothing from a CDN."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pyoxigraph as ox
import pytest

from ilrs.graph.examples import load_examples, parse_header, used_prefixes, with_prologue
from ilrs.graph.namespaces import PREFIXES
from ilrs.graph.settings import get_settings

QUERIES = get_settings().queries_dir
CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png", ".json": "json", ".svg": "image/svg+xml"}


class AssetCollector(HTMLParser):
    """The URLs a page makes the browser load by itself: scripts, stylesheets, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source") and a.get("src"):
            self.assets.append(a["src"] or "")
        elif tag == "link" and a.get("href") and set((a.get("rel") or "").split()) & {"stylesheet", "icon", "preload"}:
            self.assets.append(a["href"] or "")


def page_assets(html: str) -> list[str]:
    collector = AssetCollector()
    collector.feed(html)
    return collector.assets


def assert_local_assets(client: httpx.Client, page_url: str, html: str) -> list[str]:
    """Every asset of the page is this server's and answers 200 with a fitting content type; returns their URLs."""
    origin = urlsplit(str(client.base_url))
    loaded = []
    for ref in page_assets(html):
        if ref.startswith("data:"):
            continue
        url = urlsplit(urljoin(page_url, ref))
        assert (url.scheme, url.netloc) == (origin.scheme, origin.netloc), f"{ref} is not served by this server"
        response = client.get(url.path)
        assert response.status_code == 200, f"{ref}: {response.status_code}"
        expected = CONTENT_TYPES.get(Path(url.path).suffix)
        assert expected and expected in response.headers["content-type"], (ref, response.headers["content-type"])
        loaded.append(url.path)
    return loaded


def rq_titles() -> dict[str, str]:
    """Stem → ``# title:`` of every queries/*.rq file, read independently of graph/examples.py."""
    titles = {}
    for path in sorted(QUERIES.glob("*.rq")):
        match = re.search(r"^#\s*title:\s*(.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
        titles[path.stem] = match.group(1).strip() if match else path.stem
    return titles


# --- the page -----------------------------------------------------------------------------


def test_page_loads_only_local_assets(client: httpx.Client) -> None:
    response = client.get("/query")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    loaded = assert_local_assets(client, str(client.base_url) + "/query", response.text)
    assert "/static/vendor/yasgui/yasgui.min.js" in loaded
    assert "/static/vendor/yasgui/yasgui.min.css" in loaded
    assert "/static/ui.js" in loaded


def test_page_links_the_services(client: httpx.Client) -> None:
    html = client.get("/query").text
    for href in ("sparql", "docs", ".well-known/void", "context.jsonld"):
        assert f'href="{href}"' in html


def test_page_declares_the_prefixes_for_the_editor(client: httpx.Client) -> None:
    html = client.get("/query").text
    for prefix, iri in PREFIXES.items():
        assert f"PREFIX {prefix}: \\u003c{iri}\\u003e" in html


def test_vendored_licenses_are_served(client: httpx.Client) -> None:
    for path in ("/static/vendor/yasgui/LICENSE", "/static/vendor/swagger-ui/LICENSE"):
        response = client.get(path)
        assert response.status_code == 200 and "license" in response.text.lower()


# --- the examples ---------------------------------------------------------------------------


def test_examples_are_the_query_files_with_their_titles(client: httpx.Client) -> None:
    examples = client.get("/examples.json").json()
    assert {e["id"]: e["title"] for e in examples} == rq_titles()
    assert [e["id"] for e in examples] == sorted(e["id"] for e in examples)
    html = client.get("/query").text
    for example in examples:
        assert f'data-example="{example["id"]}"' in html
        assert f"examples/{example['id']}.rq" in html


def test_example_text_is_served_and_self_contained(client: httpx.Client) -> None:
    for example in client.get("/examples.json").json():
        response = client.get(f"/examples/{example['id']}.rq")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/sparql-query")
        assert response.text == example["query"]
        # The editor sends the text as it is: it must parse without the server's prologue.
        ox.Store().query(example["query"])
    assert client.get("/examples/no-such-example.rq").status_code == 404


def test_example_description_is_listed(client: httpx.Client) -> None:
    examples = [e for e in client.get("/examples.json").json() if e["description"]]
    if not examples:
        pytest.skip("no query file has a description")
    html = client.get("/query").text
    assert all(f'id="example-{e["id"]}-description"' in html for e in examples)


# --- /docs ----------------------------------------------------------------------------------


def test_docs_use_local_swagger_ui(client: httpx.Client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    loaded = assert_local_assets(client, str(client.base_url) + "/docs", response.text)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in loaded
    assert "/static/vendor/swagger-ui/swagger-ui.css" in loaded
    assert "cdn." not in response.text
    assert "validatorUrl: null" in client.get("/static/docs.js").text  # no badge fetched from validator.swagger.io
    assert client.get("/openapi.json").json()["info"]["title"] == "ILRS Knowledge Graph"
    assert client.get("/redoc").status_code == 404  # it would load redoc and Google Fonts from a CDN


# --- graph/examples.py ------------------------------------------------------------------------


def test_parse_header_continuation_and_end() -> None:
    text = "# title: Phases\n#description: one,\n#   two\n\nSELECT * {}\n# title: not a header\n"
    assert parse_header(text) == {"title": "Phases", "description": "one, two"}
    assert parse_header("SELECT * {}") == {}


def test_with_prologue_adds_only_missing_used_prefixes() -> None:
    query = (
        "# title: t\nPREFIX ilrs: <https://w3id.org/ilrs/ontology#>\n"
        'SELECT * { ?s a ilrs:Phase ; rdfs:label "xsd:not-used" ; <http://schema.org/x> ?o . '
        "FILTER(?o != id:thing) } # skos: in a comment\n"
    )
    assert used_prefixes(query) == ["id", "rdfs"]
    result = with_prologue(query)
    assert result.startswith("# title: t\nPREFIX id: <https://w3id.org/ilrs/id/>\nPREFIX rdfs: <")
    ox.Store().query(result)
    assert with_prologue(result) == result


def test_load_examples_from_a_directory(tmp_path: Path) -> None:
    (tmp_path / "b.rq").write_text("# title: Bee\nSELECT * { ?s ?p ?o }\n", encoding="utf-8")
    (tmp_path / "a.rq").write_text("SELECT * { ?s a ilrs:Phase }\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    examples = load_examples(tmp_path)
    assert [(e.id, e.title, e.description) for e in examples] == [("a", "a", ""), ("b", "Bee", "")]
    assert examples[0].query.startswith("PREFIX ilrs: ")
    assert load_examples(tmp_path / "missing") == []
