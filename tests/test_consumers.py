"""docs/consumers.md: its Python and JavaScript examples, run against a live server.

Both programs build the partner table from the JSON-LD API alone; their tables must be the same,
and must say what the data says (partner statuses, the sources stating them, the agreements).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from checkout import PROJECT_ROOT
from ldtools import ID, ILRS, select
from servers import LiveServer

from ilrs.graph.store import Store

GUIDE = PROJECT_ROOT / "docs" / "consumers.md"
_EXAMPLE = re.compile(r"<!-- example: (\S+) -->\n```\w+\n(.*?)^```", re.S | re.M)


def examples() -> dict[str, str]:
    """The guide's example programs, by file name."""
    return dict(_EXAMPLE.findall(GUIDE.read_text(encoding="utf-8")))


def rows(output: str) -> list[tuple[str, ...]]:
    lines = output.strip().splitlines()
    assert lines[0] == "country\tstatus\tagreement\tdate\tsource"
    return [tuple(line.split("\t")) for line in lines[1:]]


@pytest.fixture(scope="module")
def python_table(live_server: object, tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, ...]]:
    script = tmp_path_factory.mktemp("consumer") / "partner_table.py"
    script.write_text(examples()["partner_table.py"], encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), live_server.base_url],  # type: ignore[attr-defined]
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return rows(done.stdout)


def test_the_guide_has_its_examples() -> None:
    assert set(examples()) == {"partner_table.py", "partner_table.mjs", "wikidata.rq"}


def test_python_example_matches_the_data(python_table: list[tuple[str, ...]], dataset: Store) -> None:
    skos = "http://www.w3.org/2004/02/skos/core#"
    pairs = select(
        dataset,
        f"""SELECT (CONCAT(?name, "\\t", ?status) AS ?pair) WHERE {{
          ?c a <{ILRS}Country> ; <{ILRS}partnerStatus> ?st ; <http://www.w3.org/2000/01/rdf-schema#label> ?name .
          ?st <{skos}prefLabel> ?status FILTER(LANG(?name) = "en" && LANG(?status) = "en") }}""",
    )
    assert {f"{r[0]}\t{r[1]}" for r in python_table} == set(pairs)
    sources = {(r[0], r[1]): r[4] for r in python_table}
    assert all(sources.values()), "every partner status has a source"
    # The articles are those whose graphs state the status: read from the pages' per-value sources.
    stated = select(
        dataset,
        f"""SELECT (CONCAT(?name, "\t", ?status, "\t", ?title) AS ?row) WHERE {{
          ?c a <{ILRS}Country> . GRAPH ?g {{ ?c <{ILRS}partnerStatus> ?st }}
          GRAPH <https://w3id.org/ilrs/graph/sources> {{
            ?g <http://www.w3.org/ns/prov#wasDerivedFrom> ?doc . ?doc <http://purl.org/dc/terms/title> ?title }}
          ?c <http://www.w3.org/2000/01/rdf-schema#label> ?name . ?st <{skos}prefLabel> ?status
          FILTER(LANG(?name) = "en" && LANG(?status) = "en") }}""",
    )
    expected: dict[tuple[str, str], set[str]] = {}
    for row in stated:
        name, status, title = row.split("\t")
        expected.setdefault((name, status), set()).add(title)
    assert {pair: set(titles.split("; ")) for pair, titles in sources.items()} == expected
    # Pakistan's agreements: the Deep Space Exploration Laboratory's MoUs name it as a counterpart.
    assert any(r[0] == "Pakistan" and "Deep Space Exploration Laboratory" in r[2] for r in python_table)


def test_javascript_example_gives_the_same_table(
    python_table: list[tuple[str, ...]], live_server: object, jsonld_js: Path
) -> None:
    # An ES module finds jsonld.js beside itself: it runs from tests/js, under a name of its own.
    script = jsonld_js / f"consumer-{uuid.uuid4().hex}.mjs"
    script.write_text(examples()["partner_table.mjs"], encoding="utf-8")
    try:
        done = subprocess.run(
            ["node", script.name, live_server.base_url],  # type: ignore[attr-defined]
            cwd=jsonld_js,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        script.unlink()
    assert done.returncode == 0, done.stderr
    assert rows(done.stdout) == python_table


#: The stand-in for Wikidata: two items with their ISO code (P297), under an IRI of the test's own.
STAND_IN = """
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
<http://example.org/stand-in/pakistan> wdt:P297 "PK" .
<http://example.org/stand-in/nowhere> wdt:P297 "XX" .
"""


def test_federated_wikidata_query_joins_on_the_iso_code(
    server_factory: Callable[..., LiveServer], tmp_path: Path, dataset: Store
) -> None:
    data = tmp_path / "stand-in.ttl"
    data.write_text(STAND_IN, encoding="utf-8")
    stand_in = server_factory("--load", str(data))
    endpoint = f"{stand_in.base_url}/sparql"
    server = server_factory(env={"ILRS_SERVICE_ALLOWLIST": json.dumps([endpoint])})
    query = examples()["wikidata.rq"].replace("https://query.wikidata.org/sparql", endpoint)
    r = httpx.post(f"{server.base_url}/sparql", data={"query": query}, headers={"Accept": "text/csv"}, timeout=60)
    assert r.status_code == 200, r.text
    lines = r.text.splitlines()
    assert lines[0] == "country,code,item"
    # Pakistan is a partner: it is joined to its stand-in item; the stand-in's other code matches no country.
    assert {line.split(",")[2] for line in lines[1:]} == {"http://example.org/stand-in/pakistan"}
    assert {line.split(",")[0] for line in lines[1:]} == {f"{ID}country/PK"}
