"""Results cross from a query worker to the server in frames of any size, whole, however slowly the client
reads them (the server stops reading a worker's socket while a client is behind, and goes on after)."""

from __future__ import annotations

import csv
import io
import time

import httpx

COUNTRIES = "https://w3id.org/ilrs/graph/reference/countries"
#: Every triple of the countries graph, twice over: several result chunks.
MANY_CHUNKS = (
    f"SELECT ?s ?p ?o ?n WHERE {{ GRAPH <{COUNTRIES}> {{ ?s ?p ?o }} VALUES ?n {{ 1 2 }} }} ORDER BY ?n ?s ?p ?o"
)


def test_a_value_larger_than_what_the_server_holds_unread_arrives_whole(
    client: httpx.Client, store_backend: dict[str, str]
) -> None:
    value = "lunar " * 60_000  # 360 kB in one term: one frame larger than the frames held before a pause
    query = f'SELECT ?x WHERE {{ VALUES ?x {{ "{value}" }} }}'
    response = client.post(
        "/sparql",
        content=query,
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    if store_backend.get("ILRS_STORE_DIALECT") == "virtuoso":  # it holds no value this long: refused, clearly
        assert response.status_code == 400, response.text[:300]
        assert "longer than the SPARQL store (Virtuoso) holds" in response.text
        return
    assert response.status_code == 200, response.text[:300]
    assert response.json()["results"]["bindings"] == [{"x": {"type": "literal", "value": value}}]


def test_a_client_that_reads_slowly_gets_every_row(client: httpx.Client) -> None:
    whole = client.post("/sparql", data={"query": MANY_CHUNKS}, headers={"Accept": "text/csv"})
    assert whole.status_code == 200
    assert len(whole.content) > 4 * 64 * 1024, "the result should span several chunks"
    pieces = []
    with client.stream(
        "POST", "/sparql", data={"query": MANY_CHUNKS}, headers={"Accept": "text/csv", "Accept-Encoding": "identity"}
    ) as slow:
        for piece in slow.iter_raw(16 * 1024):
            pieces.append(piece)
            time.sleep(0.01)
    body = b"".join(pieces)
    assert body == whole.content
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["s", "p", "o", "n"] and len(rows) > 1000
    assert len(rows[-1]) == 4  # the last row is whole
