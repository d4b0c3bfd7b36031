"""The views for people stay bounded whatever the data size: a real server on generated data with small bounds.

``/disagreements`` shows ``ILRS_DISAGREEMENTS_PER_PAGE`` topics a page (``?page=``), each with at most
``ILRS_SHOWN_CLAIMS`` claims (every competing value still seen), and links the query that lists every
claim; ``/timeline`` shows ``ILRS_TIMELINE_ENTRIES`` entries a page in date order, its filters kept from page to
page; ``/map`` lists at most ``ILRS_SHOWN_CLAIMS`` claims of a country (its status's among them) and the
``ILRS_MAP_COUNTS`` latest reported counts. The pages are kept by the page cache.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from difflib import SequenceMatcher
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from servers import LiveServer, scrape, serving_generated, value

from ilrs.graph.disagreements import Disagreement, disagreements
from ilrs.graph.partners import partner_statuses, reported_counts
from ilrs.graph.search import NEAR, names, normalise, search
from ilrs.graph.store import Store
from ilrs.graph.timeline import entries

PER_PAGE = 4
CLAIMS = 3
ENTRIES = 12
COUNTS = 3
HTML = {"Accept": "text/html"}
JSONLD = {"Accept": "application/ld+json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, hubs: Path) -> Iterator[LiveServer]:
    env = {
        "ILRS_DISAGREEMENTS_PER_PAGE": str(PER_PAGE),
        "ILRS_SHOWN_CLAIMS": str(CLAIMS),
        "ILRS_TIMELINE_ENTRIES": str(ENTRIES),
        "ILRS_MAP_COUNTS": str(COUNTS),
        "ILRS_METRICS": "true",
    }
    with serving_generated(tmp_path_factory.mktemp("explore-bounded"), hubs, env) as server:
        yield server


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=120) as c:
        yield c


@pytest.fixture(scope="module")
def every(hubs_store: Store) -> list[Disagreement]:
    found = disagreements(hubs_store)
    assert len(found) > 2 * PER_PAGE and any(len(d.claims) > CLAIMS for d in found), "the bounds should bite"
    return found


def _claims_of(client: httpx.Client, query: str) -> set[str]:
    """The graphs that answer ``query`` at the server's endpoint (as CSV): one per claim."""
    r = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert r.status_code == 200, r.text
    return {row["g"] for row in csv.DictReader(io.StringIO(r.text))}


def test_the_disagreements_page_by_page_hold_every_topic_with_its_values(
    client: httpx.Client, every: list[Disagreement]
) -> None:
    by_key = {d.key: d for d in every}
    seen: list[str] = []
    url: str | None = "/disagreements"
    pages = 0
    while url:
        r = client.get(url, headers=HTML)
        assert r.status_code == 200, r.text
        pages += 1
        sections = re.findall(r'<section class="disagreement" id="([^"]+)">(.*?)</section>', r.text, re.DOTALL)
        assert 0 < len(sections) <= PER_PAGE
        for key, section in sections:
            whole = by_key[key]
            rows = re.findall(r"<tr>", section.split("<tbody>")[1])
            assert len(rows) == min(len(whole.claims), CLAIMS), key
            notice = re.search(r'(\d+) of ([\d,]+) claims shown, each value at least once: <a href="([^"]+)">', section)
            if len(whole.claims) <= CLAIMS:
                assert not notice, key
                continue
            assert notice and notice.groups()[:2] == (str(CLAIMS), str(len(whole.claims))), key
            editor = urlsplit(notice[3].replace("&amp;", "&"))
            assert editor.path == "/query"
            query = unquote(editor.fragment.removeprefix("query="))
            assert _claims_of(client, query) == {c.graph for c in whole.claims}, key
        seen += [key for key, _ in sections]
        following = re.search(r'<a rel="next" href="([^"]+)">next page</a>', r.text)
        url = following[1].replace("&amp;", "&") if following else None
    assert seen == [d.key for d in every]
    assert pages == -(-len(every) // PER_PAGE)


def test_the_disagreements_as_json_ld_page_by_page(client: httpx.Client, every: list[Disagreement]) -> None:
    keys: list[str] = []
    url: str | None = "/disagreements.jsonld"
    while url:
        body = client.get(url).json()
        assert body["totalItems"] == len(every)
        for d in body["disagreements"]:
            key = d["@id"].rsplit("#", 1)[1]
            keys.append(key)
            whole = next(w for w in every if w.key == key)
            assert len(d["claims"]) == min(len(whole.claims), CLAIMS)
            # The claims shown take turns among the competing values: as many of them are seen as fit.
            shown = {frozenset(v.get("@id", v.get("@value")) for v in c["value"]) for c in d["claims"]}
            competing = {frozenset(v.value for v in c.values) for c in whole.claims}
            assert shown <= competing and len(shown) == min(len(competing), CLAIMS), key
            if len(whole.claims) > CLAIMS:
                assert d["omittedClaims"] == len(whole.claims) - CLAIMS
                query = dict(httpx.URL(d["everyClaim"]).params)["query"]
                assert _claims_of(client, query) == {c.graph for c in whole.claims}
            else:
                assert "omittedClaims" not in d and "everyClaim" not in d
        url = body.get("next")
    assert keys == [d.key for d in every]


@pytest.mark.parametrize("path", ["/disagreements", "/timeline"])
@pytest.mark.parametrize("page", ["0", "999", "x", "-1"])
def test_a_page_beyond_the_last_is_a_clear_400(client: httpx.Client, path: str, page: str) -> None:
    r = client.get(path, params={"page": page}, headers=HTML)
    assert r.status_code == 400 and "page" in r.text


@pytest.mark.parametrize("kind", ["", "mission"])
def test_the_timeline_page_by_page_holds_every_entry_in_date_order(
    client: httpx.Client, hubs_store: Store, kind: str
) -> None:
    wanted = [e for e in entries(hubs_store) if not kind or e.kind == kind]
    assert len(wanted) > 2 * ENTRIES, "the bound should bite"
    seen: list[tuple[str, str]] = []
    url: str | None = "/timeline" + (f"?kind={kind}" if kind else "")
    while url:
        r = client.get(url, headers=HTML)
        assert r.status_code == 200, r.text
        body = r.text.split("<tbody>")[1].split("</tbody>")[0]
        rows = re.findall(r'<tr class="kind-([^"]+)">\s*<td><time datetime="([^"]+)">', body)
        assert 0 < len(rows) <= ENTRIES
        assert all(k == kind for k, _ in rows) if kind else True
        seen += [(k, value) for k, value in rows]
        # The page's markup lists the page's entries, not every one.
        markup = json.loads(r.text.split('<script type="application/ld+json">')[1].split("</script>")[0])
        assert len(markup["mainEntity"]["itemListElement"]) == len(rows)
        following = re.search(r'<a rel="next" href="([^"]+)">later</a>', r.text)
        url = following[1].replace("&amp;", "&") if following else None
        assert url is None or not kind or f"kind={kind}" in url
    assert seen == [(e.kind, e.value) for e in wanted]


def test_the_map_lists_a_few_claims_of_each_country_and_the_latest_counts(
    client: httpx.Client, hubs_store: Store
) -> None:
    r = client.get("/map", headers=HTML)
    assert r.status_code == 200
    partners = partner_statuses(hubs_store, None, None)
    rows = re.findall(r'<tr data-status="([^"]+)">\s*<td><a href="([^"]+)">(.*?)</tr>', r.text, re.DOTALL)
    assert len(rows) == len(partners)
    abridged = 0
    for status, href, row in rows:
        whole = next(p for p in partners.values() if href.endswith(p.country.rsplit("/id", 1)[1]))
        assert status == whole.status
        claims = re.findall(r"</a> ([^<;(]+?)(?: <span class=\"hint\">|;|\s*<span class=\"hint omitted|\s*</td>)", row)
        assert len(claims) == min(len(whole.claims), CLAIMS), whole.country
        notice = re.search(r"\((\d+) of ([\d,]+) claims: <a href=\"([^\"]+)\">every claim</a>\)", row)
        if len(whole.claims) > CLAIMS:
            abridged += 1
            assert notice and notice.groups() == (str(CLAIMS), str(len(whole.claims)), href)
            statuses = {c.status for c in whole.claims}
            assert len(set(claims)) == min(len(statuses), CLAIMS)  # the statuses take turns
        else:
            assert not notice
    assert abridged, "the bound should bite"
    counts = reported_counts(hubs_store)
    assert len(counts) > COUNTS
    listed = r.text.split('<table class="statements counts">')[1].split("</table>")[0]
    assert len(re.findall(r"<tr><td>", listed)) == COUNTS
    notice = re.search(r'The (\d+) latest of ([\d,]+) counts: <a href="([^"]+)">', r.text)
    assert notice and notice.groups()[:2] == (str(COUNTS), str(len(counts)))
    query = unquote(urlsplit(notice[3].replace("&amp;", "&")).fragment.removeprefix("query="))
    answered = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert answered.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(answered.text)))) == len(counts)  # the undated too


@pytest.mark.parametrize("path", ["/disagreements?page=2", "/disagreements.jsonld", "/timeline?page=2", "/map"])
def test_a_page_of_disagreements_is_kept_by_the_page_cache(client: httpx.Client, server: LiveServer, path: str) -> None:
    headers = {"Accept": "text/html, application/ld+json;q=0.9"}  # a key no other test asked with
    before = scrape(server)
    first = client.get(path, headers=headers)
    again = client.get(path, headers=headers)
    after = scrape(server)
    assert first.status_code == again.status_code == 200 and again.content == first.content
    for outcome in ("kept", "hit"):  # built and kept once, then sent from the cache
        counted = value(after, "ilrs_page_cache_total", outcome=outcome)
        assert counted - value(before, "ilrs_page_cache_total", outcome=outcome) == 1, outcome


@pytest.mark.parametrize("query", ["mission", "turky", "change 7", "agreemnt", "wu weiren", "lunr"])
def test_search_finds_what_comparing_every_name_in_full_finds(hubs_store: Store, query: str) -> None:
    """The near matches found with the cheap bounds first are those of the full comparison with every name."""
    wanted = normalise(query)
    expected: dict[str, int] = {}
    for name in names(hubs_store):
        score = 100 if name.key == wanted else 80 if name.key.startswith(wanted) else 60 if wanted in name.key else 0
        if not score and len(wanted) >= 4:
            ratio = max(
                SequenceMatcher(None, wanted, name.key).ratio(),
                SequenceMatcher(None, wanted, name.key[: len(wanted)]).ratio(),
            )
            score = int(ratio * 50) if ratio >= NEAR else 0
        if score:
            expected[name.iri] = max(expected.get(name.iri, 0), score)
    found = search(hubs_store, query, limit=len(expected) + 1)
    assert {h.iri: h.score for h in found} == expected


@pytest.mark.parametrize("accept", ["text/html", "application/ld+json"])
def test_a_search_is_kept_by_the_page_cache(client: httpx.Client, server: LiveServer, accept: str) -> None:
    before = scrape(server)
    first = client.get("/search", params={"q": "mission 1"}, headers={"Accept": accept})
    again = client.get("/search", params={"q": "mission 1"}, headers={"Accept": accept})
    after = scrape(server)
    assert first.status_code == again.status_code == 200 and again.content == first.content
    assert "mission" in first.text.lower()
    for outcome in ("kept", "hit"):
        counted = value(after, "ilrs_page_cache_total", outcome=outcome)
        assert counted - value(before, "ilrs_page_cache_total", outcome=outcome) == 1, outcome
