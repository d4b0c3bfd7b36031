"""The pages for people: the front page, and where the sources disagree (computed from the graph)."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pyoxigraph as ox
from pyld import jsonld
from servers import LiveServer

from ilrs.graph import collections as api_collections
from ilrs.graph.loader import build_store
from ilrs.graph.partners import AS_OF_PATTERN, COUNTS_AS_OF_PATTERN, partner_statuses, reported_counts
from ilrs.graph.settings import BASE_IRI, get_settings
from ilrs.graph.store import Store
from ilrs.graph.timeline import span

HTML = "text/html"
PHASE_1 = f"{BASE_IRI}id/phase/ilrs-1"
TARGET_YEAR = f"{BASE_IRI}ontology#targetYear"


class Links(HTMLParser):
    """Every ``<a href>`` of a page, with its text."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def links(html: str) -> list[tuple[str, str]]:
    parser = Links()
    parser.feed(html)
    return parser.links


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_front_page_offers_search_kinds_sources_and_answers(live_server: LiveServer) -> None:
    page = httpx.get(live_server.url("/"), headers={"Accept": HTML})
    assert page.status_code == 200
    html = page.text
    assert re.search(r'<form[^>]+action="[^"]*/search"', html) and 'name="q"' in html
    found = links(html)
    hrefs = [h for h, _ in found]
    for kind in ("country", "mission", "agency", "person", "agreement", "source"):
        assert live_server.url(f"/id/{kind}/") in hrefs, kind
    text = text_of(html)
    # The sources: titles, a date for people, and the undated article said plainly.
    assert "China Wants to Involve 50 Countries in Lunar Station Development Program" in text
    assert "12 August 2025" in text and "undated: the article gives no date" in text
    # Every example answered, each with a link that opens its exact query in the editor.
    editors = [h for h, t in found if t == "Open in the query editor"]
    examples = httpx.get(live_server.url("/examples.json")).json()
    assert len(editors) == len(examples) > 0
    for href, example in zip(editors, examples, strict=True):
        url = urlsplit(href)
        assert url.path == "/query" and unquote(url.fragment.removeprefix("query=")) == example["query"]
    # Answers show labels, not IRIs: Wu Weiren's name appears, linked to his page.
    assert ("/id/person/wu-weiren" in " ".join(hrefs)) and "Wu Weiren" in text


def test_front_page_names_things_as_people_do(live_server: LiveServer) -> None:
    """Kinds by their plural names, the ones a visitor looks for first; answer columns in words, each once."""
    html = httpx.get(live_server.url("/"), headers={"Accept": HTML}).text
    kinds = links(html.split('<ul class="kinds">')[1].split("</ul>")[0])
    assert [t for _, t in kinds[:8]] == [
        *("countries", "organizations", "space agencies", "people", "missions", "agreements", "events", "sources")
    ]
    assert dict((t, h) for h, t in kinds)["people"] == live_server.url("/id/person/")
    timeline = html.split('id="q-agreements-timeline"')[1].split("</table>")[0]
    headings = re.findall(r"<th>([^<]*)</th>", timeline)
    assert "date wording" in headings and "agreement" in headings
    assert "agreementLabel" not in headings and "agreement label" not in headings  # the agreement shows its label
    people = httpx.get(live_server.url("/id/person/"), headers={"Accept": HTML}).text
    assert re.search(r"<h1>People</h1>", people)


def test_every_page_links_the_disagreements_and_the_editor(live_server: LiveServer) -> None:
    for path in ("/", "/query", "/id/country/PK", "/disagreements", "/.well-known/void", "/sparql", "/ontology/"):
        found = links(httpx.get(live_server.url(path), headers={"Accept": HTML}).text)
        hrefs = [h for h, _ in found]
        assert any(h.endswith("/disagreements") for h in hrefs), path
        assert any(h.endswith("/query") for h in hrefs), path
        # A link that names the editor leads to it (the front page is no longer the editor).
        named = [h for h, text in found if text.lower() in ("query editor", "open in the query editor")]
        assert all(urlsplit(h).path.endswith("/query") for h in named), (path, named)


def test_disagreements_list_both_phase_one_years_with_their_sources(live_server: LiveServer) -> None:
    html = httpx.get(live_server.url("/disagreements"), headers={"Accept": HTML}).text
    section = re.search(r'<section class="disagreement" id="d-ilrs-1-targetYear">(.*?)</section>', html, re.S)
    assert section, "phase 1's target year is not listed"
    rows = re.findall(r"<tr>(.*?)</tr>", section.group(1), re.S)[1:]  # after the heading row
    said = {re.search(r"/graph/source/(\d+)", r).group(1): text_of(r) for r in rows}  # type: ignore[union-attr]
    assert set(said) == {"003", "004"}
    assert "2028" in said["003"] and "2035" in said["004"]
    assert "2035" not in said["003"] and "2028" not in said["004"]
    # Counts, statuses and the announcement are there too.
    text = text_of(html)
    assert "Pakistan" in text and "committed" in text and "signed" in text
    assert "2017" in text and "9 March 2021" in text


def test_disagreements_as_json_ld(live_server: LiveServer) -> None:
    response = httpx.get(live_server.url("/disagreements"), headers={"Accept": "application/ld+json"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/ld+json")
    expanded = jsonld.expand(response.json())
    vocab = response.json()["@context"]["@vocab"]
    (listing,) = expanded
    items = listing[vocab + "disagreements"]
    phase = next(
        d for d in items if d[vocab + "topic"] == [{"@id": PHASE_1}] and d[vocab + "property"] == [{"@id": TARGET_YEAR}]
    )
    claims = phase[vocab + "claims"][0]["@list"]
    said = {c[vocab + "graph"][0]["@id"].rsplit("/", 1)[1]: c[vocab + "value"][0]["@value"] for c in claims}
    assert said == {"003": "2028", "004": "2035"}


CONTRADICTION = """\
@prefix ilrs: <https://w3id.org/ilrs/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/ilrs/id/phase/ilrs-3> ilrs:targetYear "2031"^^xsd:gYear .
<https://w3id.org/ilrs/id/country/SN> ilrs:partnerStatus <https://w3id.org/ilrs/id/status/declined> .
"""


def test_a_new_contradicting_source_appears(server_factory: Callable[..., LiveServer], tmp_path: Path) -> None:
    """Nothing is listed by hand: a loaded graph that contradicts the articles makes new disagreements."""
    before = httpx.get(server_factory().url("/disagreements.jsonld")).json()
    topics = {(d["topic"], d["property"]) for d in before["disagreements"]}
    assert (f"{BASE_IRI}id/country/SN", f"{BASE_IRI}ontology#partnerStatus") not in topics
    extra = tmp_path / "rival.ttl"
    extra.write_text(CONTRADICTION, encoding="utf-8")
    rival = "https://example.org/graph/rival"
    server = server_factory("--load", f"{extra}={rival}")
    after = httpx.get(server.url("/disagreements.jsonld")).json()["disagreements"]
    senegal = next(d for d in after if d["topic"] == f"{BASE_IRI}id/country/SN")
    assert rival in {c["graph"] for c in senegal["claims"]} and len(senegal["claims"]) >= 2
    html = httpx.get(server.url("/disagreements"), headers={"Accept": HTML}).text
    assert rival in html and "declined" in text_of(html).lower()
    # The country's page marks the disputed row.
    page = httpx.get(server.url("/id/country/SN"), headers={"Accept": HTML}).text
    assert "sources disagree" in page


def test_resource_page_marks_the_disputed_rows(live_server: LiveServer) -> None:
    html = httpx.get(live_server.url("/id/phase/ilrs-1"), headers={"Accept": HTML}).text
    rows = [r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if "sources disagree" in r]
    assert len(rows) == 1 and f'title="{TARGET_YEAR}"' in rows[0]
    marked = [text_of(v) for v in re.findall(r"<li>(.*?)</li>", rows[0], re.S) if "sources disagree" in v]
    assert len(marked) == 2 and "2028" in marked[0] + marked[1] and "2035" in marked[0] + marked[1]
    undisputed = httpx.get(live_server.url("/id/country/CN"), headers={"Accept": HTML}).text
    assert "sources disagree" not in undisputed


def test_old_editor_links_still_work(live_server: LiveServer) -> None:
    """``/#query=…`` (the earlier front page's shared links) reaches the editor: the front page forwards it."""
    html = httpx.get(live_server.url("/")).text
    script = re.search(r'<script src="([^"]*front\.js[^"]*)"', html)
    assert script
    body = httpx.get(live_server.url(script.group(1))).text
    assert "query" in body and "location.replace" in body
    assert httpx.get(live_server.url("/query")).status_code == 200


def hits(server: LiveServer, q: str, **params: str) -> list[dict[str, str]]:
    response = httpx.get(server.url("/search"), params={"q": q, **params}, headers={"Accept": "application/ld+json"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/ld+json")
    return [e["item"] for e in response.json()["itemListElement"]]


def test_search_is_tolerant_of_case_accents_apostrophes_and_scripts(live_server: LiveServer) -> None:
    change_7 = f"{BASE_IRI}id/mission/change-7"
    for q in ("change 7", "Chang'e-7", "CHANG\u2019E 7", "嫦娥七号", "change7"):
        first = hits(live_server, q)[0]
        assert first["@id"] == change_7 and first["additionalType"] == "mission", q
    for q in ("Türkiye", "turkiye", "Turkey", "turky"):
        assert hits(live_server, q)[0]["@id"] == f"{BASE_IRI}id/country/TR", q
    for q in ("PAK", "pk", "pakistan"):
        first = hits(live_server, q)[0]
        assert first["@id"] == f"{BASE_IRI}id/country/PK" and first["name"] == "Pakistan", q
    assert hits(live_server, "zzqqxx") == []


def test_search_ranks_the_exact_name_first_and_links_every_hit(live_server: LiveServer) -> None:
    found = hits(live_server, "Wu Weiren")
    assert found[0]["@id"] == f"{BASE_IRI}id/person/wu-weiren" and len(found) > 1
    expanded = jsonld.expand(
        httpx.get(
            live_server.url("/search"), params={"q": "Wu Weiren"}, headers={"Accept": "application/ld+json"}
        ).json()
    )
    assert expanded[0]["@type"] == ["https://schema.org/ItemList"]
    page = httpx.get(live_server.url("/search"), params={"q": "wu weiren"}, headers={"Accept": HTML}).text
    assert live_server.url("/id/person/wu-weiren") in [h for h, _ in links(page)]
    assert "Nothing is named like" in httpx.get(live_server.url("/search?q=zzqqxx")).text


def test_search_refuses_bad_parameters_clearly(live_server: LiveServer) -> None:
    too_long = httpx.get(live_server.url("/search"), params={"q": "x" * 201})
    assert too_long.status_code == 400 and "201 characters" in too_long.json()["detail"]
    bad_limit = httpx.get(live_server.url("/search"), params={"q": "a", "limit": "0"})
    assert bad_limit.status_code == 400 and "limit" in bad_limit.json()["detail"]


def test_kind_lists_link_their_members_and_filter_by_name(live_server: LiveServer) -> None:
    missions = httpx.get(live_server.url("/id/mission/"), headers={"Accept": HTML})
    assert missions.status_code == 200
    found = dict(links(missions.text))
    assert found.get(live_server.url("/id/mission/change-7")) == "Chang'e-7"
    countries = httpx.get(live_server.url("/id/country/"), params={"q": "pakist"}).text
    members = [h for h, _ in links(countries) if "/id/country/" in h and not h.endswith("/")]
    assert members == [live_server.url("/id/country/PK")]
    assert httpx.get(live_server.url("/id/no-such-kind/")).status_code == 404


def test_dataset_class_counts_link_to_their_instances(live_server: LiveServer) -> None:
    page = httpx.get(live_server.url("/.well-known/void"), headers={"Accept": HTML}).text
    mission = next(h for h, _ in links(page) if "/instances?class=" in h and h.endswith("Mission"))
    listed = httpx.get(mission.replace("&amp;", "&"))
    assert (listed.status_code == 200 and "Chang&#39;e-7" in listed.text) or "Chang'e-7" in listed.text
    assert httpx.get(live_server.url("/instances"), params={"class": "not an iri"}).status_code == 400


def test_unknown_resource_suggests_the_nearest(live_server: LiveServer) -> None:
    for path in ("/id/country/pk", "/id/country/PAK", "/id/country/pakistan"):
        response = httpx.get(live_server.url(path), headers={"Accept": HTML})
        assert response.status_code == 404
        suggested = links(response.text.split("Did you mean", 1)[1])
        assert suggested[0] == (live_server.url("/id/country/PK"), "Pakistan"), path


def test_resource_page_reads_for_people(live_server: LiveServer) -> None:
    """Headed by its title, grouped by property with labels, dates for people, stable citation marks."""
    source = httpx.get(live_server.url("/id/source/003"), headers={"Accept": HTML}).text
    assert re.search(r'<h1 lang="en"><bdi>ILRS: Next Frontier</bdi></h1>', source)
    phase = httpx.get(live_server.url("/id/phase/ilrs-1"), headers={"Accept": HTML}).text
    groups = re.findall(r'<th scope="row">(.*?)</th>', phase, re.S)
    names = [text_of(g).strip() for g in groups]
    assert len(names) == len(set(names)) and "target year" in names  # each property once, by its label
    assert f'title="{TARGET_YEAR}"' in phase  # the IRI on hover
    statements = phase.split("<h2>Statements</h2>")[1].split("</table>")[0]
    assert "2028" in text_of(statements) and "xsd:gYear" not in text_of(statements)  # plain values
    # Source 003 is [003] on every page that cites it, and the curated or inferred graphs are not articles.
    for path in ("/id/phase/ilrs-1", "/id/mission/change-7", "/id/person/wu-weiren"):
        page = httpx.get(live_server.url(path), headers={"Accept": HTML}).text
        assert '<a class="cite" href="#source-003"' in page and "[003]" in page, path
        assert 'id="source-003"' in page
    announcement = httpx.get(live_server.url("/id/announcement/002-formal"), headers={"Accept": HTML}).text
    assert "9 March 2021" in text_of(announcement) and 'title="2021-03-09"' in announcement
    country = httpx.get(live_server.url("/id/country/PK"), headers={"Accept": HTML}).text
    assert "not an article" in country  # the reference graph of countries, shown as such
    # Terms the ontology reuses are named by the labels its import module gives them, the IRI on hover.
    rows = {text_of(g).strip(): g for g in re.findall(r'<th scope="row">(.*?)</th>', source, re.S)}
    assert {"date issued", "publisher", "title"} <= set(rows) and "dcterms:issued" not in rows
    assert 'title="http://purl.org/dc/terms/issued"' in rows["date issued"]


def test_partial_dates_are_spans() -> None:
    assert span("2021") == (date(2021, 1, 1), date(2022, 1, 1))  # a year is a year, not 1 January
    assert span("2021-12") == (date(2021, 12, 1), date(2022, 1, 1))
    assert span("2021-03-09") == (date(2021, 3, 9), date(2021, 3, 10))
    assert span("2023-05-11T09:40:43") == (date(2023, 5, 11), date(2023, 5, 12))
    assert span("around 2026") is None and span("2021-02-30") is None


def test_timeline_shows_the_2021_founding_events_filterable(live_server: LiveServer) -> None:
    html = httpx.get(live_server.url("/timeline"), headers={"Accept": HTML}).text
    rows = [text_of(r) for r in re.findall(r'<tr class="kind-[^"]+">(.*?)</tr>', html, re.S)]
    founding = [r for r in rows if "2021" in r]
    assert any("9 March 2021" in r and "announcement" in r for r in founding)
    assert any("June 2021" in r and "[004]" in r for r in founding)
    # The year-only announcement of source 001 is drawn across its whole year: as wide as twelve months.
    bars = dict(re.findall(r'aria-label="([^"]+)"><rect x="[^"]+" y="1" width="([^"]+)"', html))
    assert float(bars["2021"]) > 10 * float(bars["2021-06"])
    only = httpx.get(live_server.url("/timeline"), params={"kind": "agreement", "source": "003"}).text
    kinds = set(re.findall(r'<tr class="kind-([^"]+)">', only))
    assert kinds == {"agreement"} and "/graph/source/003" in only and "/graph/source/004" not in only


def statuses_on(svg: str) -> dict[str, str]:
    """Country IRI → the status the map colours it with."""
    return dict((c, s) for s, c in re.findall(r'data-status="([^"]+)" data-country="([^"]*)"', svg) if c)


def test_map_colours_each_country_by_its_status_per_source(live_server: LiveServer) -> None:
    response = httpx.get(live_server.url("/map.svg"), params={"source": "003"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
    coloured = statuses_on(response.text)
    assert coloured[f"{BASE_IRI}id/country/PK"] == "signed" and coloured[f"{BASE_IRI}id/country/RU"] == "signed"
    assert coloured[f"{BASE_IRI}id/country/SN"] == "none"  # source 003 does not speak of Senegal
    assert coloured[f"{BASE_IRI}id/country/US"] == "none"
    latest = statuses_on(httpx.get(live_server.url("/map.svg")).text)
    # Without a source: the latest dated source that speaks (003 for Pakistan: 001 and 004 are undated).
    assert latest[f"{BASE_IRI}id/country/SN"] == "signed" and latest[f"{BASE_IRI}id/country/PK"] == "signed"
    assert (
        statuses_on(httpx.get(live_server.url("/map.svg"), params={"source": "004"}).text)[f"{BASE_IRI}id/country/PK"]
        == "committed"
    )
    page = httpx.get(live_server.url("/map"), params={"source": "003"}, headers={"Accept": HTML}).text
    assert f'<a href="{live_server.url("/id/country/PK")}"><path' in page  # a click opens the country's page
    assert "signed an agreement" in page and "none stated" in page  # the legend


def test_map_as_of_a_day_agrees_with_the_documented_sparql(live_server: LiveServer, dataset: Store) -> None:
    coloured = statuses_on(httpx.get(live_server.url("/map.svg"), params={"asOf": "2023-06-01"}).text)
    partners = {c: s for c, s in coloured.items() if s != "none"}
    assert f"{BASE_IRI}id/country/SN" not in partners  # only source 000 (2025) speaks of Senegal
    assert partners[f"{BASE_IRI}id/country/PK"] == "signed"  # 003 (2023-05-11) said so; 004 came later
    rows = dataset.query(AS_OF_PATTERN)
    assert isinstance(rows, ox.QuerySolutions)
    by_sparql = {r["country"].value: r["status"].value.rsplit("/", 1)[-1] for r in rows}  # type: ignore[union-attr]
    assert by_sparql == partners
    bad = httpx.get(live_server.url("/map"), params={"asOf": "June 2023"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["detail"]
    assert httpx.get(live_server.url("/map"), params={"source": "999"}).status_code == 400


def test_every_link_into_the_ontology_docs_lands_on_an_anchor(live_server: LiveServer, dataset: Store) -> None:
    """Pages link a term by its IRI (…/ontology#statusReason): the served docs must hold that exact id."""
    docs = httpx.get(live_server.url("/ontology/"), headers={"Accept": HTML})
    assert docs.status_code == 200
    anchors = set(re.findall(r'\bid="([^"]+)"', docs.text))
    rows = dataset.query(
        f"""SELECT DISTINCT ?t WHERE {{ {{ ?s ?t ?o }} UNION {{ ?s a ?t }} UNION {{ ?s ?p ?t }}
            FILTER(isIRI(?t) && STRSTARTS(STR(?t), "{BASE_IRI}ontology#")) }}"""
    )
    assert isinstance(rows, ox.QuerySolutions)
    used = {r["t"].value.split("#", 1)[1] for r in rows}  # type: ignore[union-attr]
    assert {"statusReason", "countValue", "Announcement"} <= used
    assert sorted(used - anchors) == []
    # And the links the pages really make: every page for people, and the page of every resource but
    # the countries no source speaks of (their pages differ only in their reference names).
    rows = dataset.query(
        f"""SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{BASE_IRI}id/"))
            FILTER(!STRSTARTS(STR(?s), "{BASE_IRI}id/country/") || EXISTS {{ ?s <{BASE_IRI}ontology#partnerStatus> ?x }}
                   || ?s IN (<{BASE_IRI}id/country/FR>, <{BASE_IRI}id/country/CN>)) }}"""
    )
    assert isinstance(rows, ox.QuerySolutions)
    pages = ["/", "/disagreements", "/map", "/timeline", "/search?q=change%207", "/.well-known/void", "/ontology"]
    pages += ["/shapes", "/graph/source/003", "/graph/curated", "/id/country/", "/id/mission/", "/id/country/PAK"]
    pages += [r["s"].value.removeprefix(BASE_IRI) for r in rows]  # type: ignore[union-attr]
    assert len(pages) > 100
    checked = 0
    with httpx.Client(base_url=live_server.url("/"), headers={"Accept": HTML}) as client:
        for path in pages:
            html = client.get(path.lstrip("/")).text
            for href, _ in links(html):
                if re.search(r"/ontology/?#", href):
                    assert href.split("#", 1)[1] in anchors, (path, href)
                    checked += 1
    assert checked > 100
    # The docs' own contents: every entry lands on its section.
    own = [h[1:] for h, _ in links(docs.text) if h.startswith("#")]
    assert len(own) > 100 and sorted(set(own) - anchors) == []


def test_ontology_docs_in_the_site_layout_under_the_strict_policy(live_server: LiveServer) -> None:
    docs = httpx.get(live_server.url("/ontology/"), headers={"Accept": HTML})
    policy = docs.headers["content-security-policy"]
    assert "style-src 'self';" in policy and "unsafe-inline" not in policy
    assert "<style" not in docs.text and 'style="' not in docs.text  # nothing the policy would block
    assert re.findall(r"<h1[^>]*>(.*?)</h1>", docs.text) == ["ILRS Knowledge Graph ontology"]  # one heading, once
    nav = dict((text, href) for href, text in links(docs.text.split('<header class="site">')[1].split("</header>")[0]))
    assert nav["Query"] == live_server.url("/query") and nav["Home"] == live_server.url("/")
    assert '<img src="classes.svg"' in docs.text and "diagram.js" in docs.text
    svg = httpx.get(live_server.url("/ontology/classes.svg"))
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<text" in svg.text


def test_a_source_graph_page_groups_its_facts_by_subject(live_server: LiveServer) -> None:
    html = httpx.get(live_server.url("/graph/source/003"), headers={"Accept": HTML}).text
    assert re.search(r'<h1 lang="en"><bdi>Facts stated in “ILRS: Next Frontier”</bdi></h1>', html)
    subjects = [text_of(s).strip() for s in re.findall(r'<th scope="rowgroup"[^>]*>(.*?)</th>', html, re.S)]
    assert subjects and len(subjects) == len(set(subjects))  # each subject once
    assert "ILRS phase 1" in subjects
    table = html.split('class="statements by-subject"')[1].split("</table>")[0]
    assert "target year" in text_of(table) and "ilrs:targetYear" not in text_of(table)  # readable property names


def test_language_switch_where_the_graph_has_the_labels(live_server: LiveServer) -> None:
    page = httpx.get(live_server.url("/id/country/PK"), headers={"Accept": HTML}).text
    switch = re.search(r'<p class="languages".*?</p>', page, re.S)
    assert switch and {h for h, _ in links(switch.group(0))} == {"?lang=zh", "?lang=ru"}
    for lang, name in (("zh", "巴基斯坦"), ("ru", "Пакистан"), ("en", "Pakistan")):
        html = httpx.get(live_server.url("/id/country/PK"), params={"lang": lang}, headers={"Accept": HTML}).text
        assert re.search(rf'<h1 lang="{lang}"><bdi>{name}</bdi></h1>', html), lang
    china = httpx.get(live_server.url("/id/agency/cnsa"), params={"lang": "zh"}, headers={"Accept": HTML}).text
    assert "中国" in text_of(china.split("<h2>Statements</h2>")[1])  # linked resources' labels too
    only_english = httpx.get(live_server.url("/id/phase/ilrs-1"), headers={"Accept": HTML}).text
    assert 'class="languages"' not in only_english


def test_reported_counts_as_of_a_day(live_server: LiveServer) -> None:
    def counts(**params: str) -> list[str]:
        html = httpx.get(live_server.url("/map"), params=params, headers={"Accept": HTML}).text
        table = html.split('class="statements counts"')[1].split("</table>")[0]
        return re.findall(r'href="[^"]*/id/count/([^"]+)"', table)

    everything = counts()
    assert {"000-countries", "001-countries", "003-countries-and-organizations"} <= set(everything)
    assert counts(asOf="2023-06-01") == ["003-countries-and-organizations"]  # 000 is of 2025; 001, 004 undated
    assert counts(asOf="2020-01-01") == []


def members(server: LiveServer, collection: str, **params: str) -> set[str]:
    """The members of a JSON-LD collection (one page of up to 1000)."""
    response = httpx.get(server.url(f"/{collection}"), params={**params, "limit": "1000"}, timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["totalItems"] == len(body.get("member", []))
    return {m["@id"] for m in body.get("member", [])}


def test_partner_collections_as_of_a_day_agree_with_the_map(live_server: LiveServer, dataset: Store) -> None:
    """``/countries?asOf=`` lists the partners and their statuses as the map shows them on that day."""
    for day in ("2020-01-01", "2023-06-01", "2025-12-31"):
        on_map = {c: p.status for c, p in partner_statuses(dataset, None, date.fromisoformat(day)).items()}
        listed = members(live_server, "countries", asOf=day)
        assert listed == set(on_map), day
        for status in sorted(set(on_map.values())):
            expected = {c for c, s in on_map.items() if s == status}
            assert members(live_server, "countries", asOf=day, status=status) == expected, (day, status)
        others = members(live_server, "countries", asOf=day, partners="false")
        assert not others & listed and len(others | listed) == len(members(live_server, "countries"))
    drawn = statuses_on(httpx.get(live_server.url("/map.svg"), params={"asOf": "2023-06-01"}).text)
    assert {c for c, s in drawn.items() if s != "none"} <= members(live_server, "countries", asOf="2023-06-01")
    assert f"{BASE_IRI}id/country/SN" in members(live_server, "countries", status="signed")  # today, by 000
    assert f"{BASE_IRI}id/country/SN" not in members(live_server, "countries", asOf="2023-06-01", status="signed")


def test_as_of_takes_only_a_day(live_server: LiveServer) -> None:
    for bad in ("June 2023", "2023-6-1", "20230601", "2023-02-30"):
        response = httpx.get(live_server.url("/countries"), params={"asOf": bad})
        assert response.status_code == 400 and "asOf" in response.json()["detail"], bad
    assert httpx.get(live_server.url("/agreements"), params={"asOf": "2023-06-01"}).status_code == 400
    api = httpx.get(live_server.url("/api")).text
    assert "/countries{?status,partners,asOf,page,limit}" in api


def test_a_later_source_changes_the_status_as_of_its_day(tmp_path: Path) -> None:
    """The latest source published by the day decides, whatever older sources said."""
    store = build_store(get_settings())
    rival, doc = "https://example.org/graph/rival", "https://example.org/doc/rival"
    pk, declined = f"{BASE_IRI}id/country/PK", f"{BASE_IRI}id/status/declined"
    sources = ox.NamedNode(f"{BASE_IRI}graph/sources")
    store.add_quads(
        [
            ox.Quad(
                ox.NamedNode(pk),
                ox.NamedNode(f"{BASE_IRI}ontology#partnerStatus"),
                ox.NamedNode(declined),
                ox.NamedNode(rival),
            ),
            ox.Quad(
                ox.NamedNode(rival),
                ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom"),
                ox.NamedNode(doc),
                sources,
            ),
            ox.Quad(
                ox.NamedNode(doc),
                ox.NamedNode("http://purl.org/dc/terms/issued"),
                ox.Literal("2024-01-15", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
                sources,
            ),
        ]
    )
    countries = api_collections.COLLECTIONS["countries"]

    def listed(**params: str) -> list[str]:
        patterns = api_collections.build_filters(store, countries, params)
        return api_collections.page(store, countries, patterns, offset=0, limit=1000).members

    assert pk in listed(asOf="2023-06-01", status="signed") and pk not in listed(asOf="2023-06-01", status="declined")
    assert pk in listed(asOf="2024-01-15", status="declined") and pk not in listed(asOf="2024-01-15", status="signed")
    assert partner_statuses(store, None, date(2024, 1, 15))[pk].status == "declined"  # the map agrees
    assert pk in listed(asOf="2024-01-15") and pk in listed(asOf="2024-01-15", partners="true")


def test_the_documented_counts_pattern_agrees_with_the_map(live_server: LiveServer, dataset: Store) -> None:
    for day in ("2020-01-01", "2023-06-01", "2025-12-31"):
        rows = dataset.query(COUNTS_AS_OF_PATTERN.replace("2023-06-01", day))
        assert isinstance(rows, ox.QuerySolutions)
        by_sparql = sorted((r["count"].value, r["g"].value, r["day"].value) for r in rows)  # type: ignore[union-attr]
        shown = sorted((c.iri, c.graph, c.day) for c in reported_counts(dataset, date.fromisoformat(day)))
        assert by_sparql == shown, day
    page_html = httpx.get(live_server.url("/map"), headers={"Accept": HTML}).text
    assert "ilrs:ReportedCount" in page_html  # the map page shows the pattern
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert COUNTS_AS_OF_PATTERN in readme and AS_OF_PATTERN in readme


def test_no_link_of_the_site_is_broken(live_server: LiveServer) -> None:
    """Every page the navigation reaches, and every page those link to on this server, answers; every
    in-page anchor (``#source-003``) exists. Two steps from the navigation covers each kind of page."""
    origin = live_server.url("/")
    seeds = ["/", "/disagreements", "/map", "/timeline", "/query", "/ontology/", "/.well-known/void", "/sparql"]
    seeds += ["/search?q=change%207", "/id/phase/ilrs-1", "/id/person/wu-weiren", "/graph/source/003"]

    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # as Chromium asks

    def fetch(client: httpx.Client, url: str) -> tuple[str, int, str]:
        response = client.get(url, headers=browser)
        kind = response.headers.get("content-type", "")
        return url, response.status_code, response.text if kind.startswith("text/html") else ""

    def targets(page: str, html: str) -> set[str]:
        found = set()
        for href, _ in links(html):
            url = httpx.URL(page).join(href)
            if str(url).startswith(origin) and url.path.rsplit(".", 1)[-1] not in ("ttl", "nt", "jsonld", "svg"):
                found.add(str(url.copy_with(fragment=None)))
            if href.startswith("#") and len(href) > 1:
                assert f'id="{href[1:]}"' in html, (page, href)
        return found

    with httpx.Client(follow_redirects=True, timeout=30) as client, ThreadPoolExecutor(4) as pool:
        first = list(pool.map(lambda p: fetch(client, live_server.url(p)), seeds))
        level = {u for page, status, html in first for u in targets(page, html)} - {p for p, _, _ in first}
        second = list(pool.map(lambda u: fetch(client, u), sorted(level)))
        assert not [(u, s) for u, s, _ in first + second if s >= 400]
        onward = {u for page, _, html in second for u in targets(page, html)} - level
        third = list(pool.map(lambda u: client.head(u, headers=browser), sorted(onward)))
        assert not [(str(r.url), r.status_code) for r in third if r.status_code >= 400]
    assert len(second) + len(third) > 300
