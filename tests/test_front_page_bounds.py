"""The front page stays bounded whatever the data size: a real server on generated data with small bounds.

Each example's answer is read up to ``ILRS_EXAMPLE_ROWS`` rows (the query asked with a ``LIMIT``), and the
sources listed up to ``ILRS_FRONT_PAGE_SOURCES``; beyond them the page says there are more and links to the
whole (the query in the editor, the list of every source).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from servers import LiveServer, serving_generated

from ilrs.graph.examples import load_examples
from ilrs.graph.namespaces import GRAPH
from ilrs.graph.query_analysis import limited
from ilrs.graph.settings import get_settings
from ilrs.graph.store import Store

READ = 20
SOURCES = 2
SHOWN = 12  # the rows of an answer the front page shows (overview.ANSWER_ROWS)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, hubs: Path) -> Iterator[LiveServer]:
    env = {
        "ILRS_EXAMPLE_ROWS": str(READ),
        "ILRS_FRONT_PAGE_SOURCES": str(SOURCES),
    }
    with serving_generated(tmp_path_factory.mktemp("front-bounded"), hubs, env) as server:
        yield server


def _rows(store: Store, query: str) -> list[tuple[str, ...]]:
    result = store.query(query)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [tuple(str(row[n]) for n in names) for row in result]


def test_an_example_is_asked_with_a_limit_that_keeps_its_first_rows(hubs_store: Store) -> None:
    """The limited query of every shipped example parses, stops at the limit, and keeps the order it asks for."""
    bounded = 0
    for example in load_examples(get_settings().queries_dir):
        whole = _rows(hubs_store, example.query)
        first = _rows(hubs_store, limited(example.query, READ))
        if len(whole) > READ:
            bounded += 1
        assert len(first) == min(len(whole), READ), example.id
        if re.search(r"\bORDER\s+BY\b", example.query, re.IGNORECASE):
            assert first == whole[:READ], example.id
        else:
            assert set(first) <= set(whole), example.id
    assert bounded, "no example's answer exceeds the bound: the test data is too small to test it"


def _sections(html: str) -> dict[str, str]:
    """Each answered example's section of the front page, by example id."""
    return dict(re.findall(r'<section class="answer" id="q-([^"]+)">(.*?)</section>', html, re.DOTALL))


def test_the_front_page_reads_each_answer_up_to_the_bound_and_links_the_whole(
    server: LiveServer, hubs_store: Store
) -> None:
    page = httpx.get(server.url("/"), headers={"Accept": "text/html"}, timeout=120)
    assert page.status_code == 200
    sections = _sections(page.text)
    examples = load_examples(get_settings().queries_dir)
    assert sections.keys() == {e.id for e in examples}
    kinds = set()
    for example in examples:
        section, total = sections[example.id], len(_rows(hubs_store, example.query))
        rows = len(re.findall(r"<tr>", section.split("<tbody>")[1])) if "<tbody>" in section else 0
        assert rows == min(total, SHOWN), example.id
        more = re.search(r"(\d+) of more than (\d+) rows: <a href=\"([^\"]+)\">run the whole query</a>", section)
        counted = re.search(r"(\d+) of (\d+) rows\.", section)
        if total > READ:
            kinds.add("more")
            assert more and more.groups()[:2] == (str(SHOWN), str(READ)), example.id
            assert more[3] == re.search(r'class="open-editor" href="([^"]+)"', section)[1]  # type: ignore[index]
        elif total > SHOWN:
            kinds.add("counted")
            assert counted and counted.groups() == (str(SHOWN), str(total)) and not more, example.id
        else:
            assert not more and not counted, example.id
    assert "more" in kinds


def test_the_front_page_lists_the_first_sources_and_links_every_source(server: LiveServer, hubs_store: Store) -> None:
    html = httpx.get(server.url("/"), headers={"Accept": "text/html"}, timeout=120).text
    listed = html.split('class="statements sources-list"')[1].split("</table>")[0]
    assert len(re.findall(r"<tr>", listed.split("<tbody>")[1])) == SOURCES
    graphs = [g for g in hubs_store.graphs() if g.startswith((f"{GRAPH}source/", f"{GRAPH}loaded/"))]
    assert len(graphs) > SOURCES
    notice = re.search(r'(\d+) of ([\d,]+) sources: <a href="([^"]+)">every source</a>', html)
    assert notice and notice.groups() == (str(SOURCES), f"{len(graphs):,}", server.url("/id/source/"))
    every = httpx.get(notice[3], headers={"Accept": "text/html"}, timeout=120)
    assert every.status_code == 200
