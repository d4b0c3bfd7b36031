"""Long queries: a 1 MiB ``VALUES`` list (researchers joining their own identifiers against the
endpoint) is answered by form POST and by direct POST, and what the server reads a query with
before running it — the token scan and the checks (``SERVICE``, ``FROM``, nesting, the form) —
takes time linear in the query's length, whatever the text."""

from __future__ import annotations

import contextlib
import random
import statistics
import time
import urllib.parse
import urllib.request
from collections.abc import Callable

import httpx
import pyoxigraph as ox
import pytest

from ilrs.graph import sparql_tokens
from ilrs.graph.errors import QueryRefused
from ilrs.graph.query_analysis import analyse
from ilrs.graph.settings import Settings
from ilrs.graph.store import Store

ISO3 = "https://w3id.org/ilrs/ontology#isoAlpha3"
COUNTRY = "https://w3id.org/ilrs/id/country/"
MIB = 1024 * 1024


def values_query(dataset: Store, size: int) -> str:
    """A SELECT joining a VALUES list of ``size`` bytes or more (every country, then unknown IRIs) with the data."""
    rows = dataset.query(f"SELECT ?c WHERE {{ ?c <{ISO3}> ?code }} ORDER BY ?c")
    known = [row["c"].value for row in rows]  # type: ignore[union-attr]
    iris = [*known]
    length = sum(len(iri) + 3 for iri in iris)
    while length < size:
        iris.append(f"{COUNTRY}unknown-{len(iris):07d}")
        length += len(iris[-1]) + 3
    listed = "\n".join(f"<{iri}>" for iri in iris)
    return f"SELECT ?c ?code WHERE {{\n  VALUES ?c {{\n{listed}\n  }}\n  ?c <{ISO3}> ?code\n}} ORDER BY ?code"


def solutions(result: ox.QuerySolutions) -> list[tuple[str, str]]:
    return [(s["c"].value, s["code"].value) for s in result]  # type: ignore[union-attr]


def test_the_defaults_take_a_query_of_a_mebibyte() -> None:
    settings = Settings()
    assert settings.max_query_length >= MIB
    assert settings.max_body_bytes >= 3 * MIB  # the query, percent-encoded in a form


@pytest.mark.parametrize("sending", ["form", "direct"])
def test_a_one_mebibyte_values_query_is_answered(
    client: httpx.Client, dataset: Store, sending: str, store_backend: dict[str, str]
) -> None:
    text = values_query(dataset, MIB)
    assert len(text.encode()) >= MIB and text.count("<https://") > 4000
    expected = dataset.query(text)
    assert isinstance(expected, ox.QuerySolutions)
    if sending == "form":
        response = client.post("/sparql", data={"query": text}, headers={"Accept": "application/sparql-results+json"})
    else:
        headers = {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}
        response = client.post("/sparql", content=text.encode(), headers=headers)
    if store_backend.get("ILRS_STORE_DIALECT") == "virtuoso":  # its compiler takes fewer VALUES: a clear 400
        assert response.status_code == 400 and "Too many arguments" in response.text, response.text[:300]
        return
    assert response.status_code == 200, response.text[:300]
    got = ox.parse_query_results(response.content, ox.QueryResultsFormat.JSON)
    assert isinstance(got, ox.QuerySolutions)
    rows = solutions(got)
    assert rows == solutions(expected)
    assert len(rows) > 200  # every country in the list, none of the unknown IRIs


def test_a_query_of_tens_of_kilobytes_is_answered_by_get(endpoint: str, dataset: Store) -> None:
    text = values_query(dataset, 60 * 1024)  # percent-encoded, within the 256 KiB request-head limit
    url = f"{endpoint}?{urllib.parse.urlencode({'query': text})}"
    assert len(url) > 64 * 1024  # more than httpx lets a URL component be: sent with urllib
    request = urllib.request.Request(url, headers={"Accept": "text/csv"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read().decode()
    expected = dataset.query(text)
    assert isinstance(expected, ox.QuerySolutions)
    assert len(body.splitlines()) == 1 + len(solutions(expected)) > 200


@pytest.fixture(scope="module")
def endpoint(client: httpx.Client) -> str:
    return f"{client.base_url}/sparql"


# --- linear time -------------------------------------------------------------------------------------------

#: Each shape repeats a piece of text: a realistic query, and the texts that would make a careless scanner
#: search the rest of the query again and again (dotted names, words containing "service", open brackets…).
SHAPES: dict[str, Callable[[int], str]] = {
    "values": lambda n: "SELECT * WHERE { VALUES ?c { " + "<https://w3id.org/ilrs/id/country/XX> " * n + "} }",
    "dotted-names": lambda n: "SELECT * WHERE { " + "a." * n + " }",
    "service-words": lambda n: "SELECT * WHERE { " + "?service ex:service SERVICE_ " * n + "}",
    "from-clauses": lambda n: "SELECT * " + "FROM <http://example.org/g> " * n + "WHERE { ?s ?p ?o }",
    "prefixes": lambda n: "PREFIX ex: <http://example.org/>\n" * n + "SELECT * WHERE { ?s ex:p ?o }",
    "escapes": lambda n: 'SELECT * WHERE { ?s ?p "' + "\\u0041" * n + '" }',
    "strings": lambda n: "SELECT * WHERE { VALUES ?x { " + "'a{' \"}b\" " * n + "} }",
    "brackets": lambda n: "SELECT * WHERE { " + "{ } ( ) [ ] " * n + "}",
    "comments": lambda n: "# SERVICE <http://x/> {\n" * n + "ASK {}",
    "unclosed-iris": lambda n: "SELECT * WHERE { " + "<a.b.c " * n + "}",
}


def cpu_seconds(text: str, runs: int = 3, enough: float = float("inf")) -> float:
    """The median CPU time of reading ``text`` as the endpoint does before running it, over ``runs`` runs;
    the first run's time alone if it already exceeds ``enough`` (a scan gone quadratic need not run thrice)."""
    times: list[float] = []
    for _ in range(runs):
        started = time.process_time()
        # Some shapes may be refused (nested too deep, say): reading them must be linear too.
        with contextlib.suppress(QueryRefused):
            analyse(text, [])
        times.append(time.process_time() - started)
        if times[0] > enough:
            break
    return statistics.median(times)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_reading_a_query_takes_time_linear_in_its_length(shape: str) -> None:
    """Eight times the text must take about eight times as long, not sixty-four.

    The work is done inside Python's regular-expression engine, which counts no steps that a test could
    read, so this measures CPU time (of this process only, the median of several runs, on texts of 16 and
    128 KiB so that each run takes long enough to time) and allows three times the linear ratio: a scan
    that is quadratic anywhere takes sixty-four times as long, and one that looks again at the rest of the
    text from each token (the flaw this guards against) is slower still.
    """
    make = SHAPES[shape]
    unit = len(make(2)) - len(make(1))
    small = cpu_seconds(make(16 * 1024 // unit), runs=5)
    bound = 24
    large = cpu_seconds(make(128 * 1024 // unit), enough=2 * bound * small)
    ratio = large / max(small, 1e-4)
    assert ratio < bound, f"{shape}: 8 times the text took {ratio:.1f} times as long"


#: Pieces of text that begin, end or break tokens: random texts of them meet every kind of token and boundary.
PIECES = ["a", "b", ":", ".", "_", "-", "1", " ", "'", '"', "<", ">", "{", "}", "?", "#", "\n", "\\", "é", "@"]
PIECES += ["PREFIX", "SELECT", "ex:", "'''", '"""', "_:", "%2F", "\\u0041", "$", "a.b.c", "SERVICE", "ex:a.b"]


def test_short_texts_are_scanned_into_the_same_tokens_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """A short query is scanned in one pass of the scanner (it is done per request): the same tokens as the
    loop that holds back the search for prefixed names in long texts."""
    rng = random.Random(7)
    texts = ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40))) for _ in range(5000)]
    texts += [make(3) for make in SHAPES.values()]
    direct = [list(sparql_tokens.tokens(text)) for text in texts]
    monkeypatch.setattr(sparql_tokens, "DIRECT_SCAN_LIMIT", -1)
    for text, tokens in zip(texts, direct, strict=True):
        assert list(sparql_tokens.tokens(text)) == tokens, text
