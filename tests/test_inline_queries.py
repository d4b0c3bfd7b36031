"""A query that reads no data (``ASK {}``, an ``ASK`` of constant ``FILTER`` s) is answered without a worker
process: the rule that picks them, its agreement with the engine, and a real server answering them while every
query slot is taken — and still sending every other query, however constant it looks, to a worker."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from xml.etree import ElementTree

import httpx
import pyoxigraph as ox
import pytest
from servers import LiveServer

from ilrs.graph.query_analysis import analyse, reads_no_data
from ilrs.graph.store import Store

READS_NO_DATA = [
    "ASK {}",
    "ask{}",
    "ASK WHERE { }",
    "PREFIX ilrs: <https://w3id.org/ilrs/ontology#>\nBASE <http://x/>\nASK { }",
    "ASK { FILTER(1 >= 0) }",
    "ASK { FILTER(1 > 2) }",
    'ASK { FILTER("a"@en != "b" && (2 * 3 - 1) / 5 = 1 || !true) . FILTER(false) }',
    "# a comment { ?s ?p ?o }\nASK { FILTER('''{ ?s ?p ?o }''' != \"x\") } # ?s",
]
READS_DATA = [
    "ASK { ?s ?p ?o }",
    "ASK { <urn:a> <urn:b> <urn:c> }",
    'ASK { "a" a "b" }',  # a triple pattern with the keyword a as its predicate
    "ASK { 1 a* 2 }",
    "ASK { (1 2) }",  # a collection: triple patterns over rdf:first and rdf:rest
    "ASK { [] }",
    "ASK { FILTER(EXISTS { ?s ?p ?o }) }",
    "ASK { FILTER(1 IN (1, 2)) }",  # no function, list or comma: a safe superset is refused
    "ASK { FILTER(STRLEN('a') > 0) }",
    "ASK { FILTER(NOW() > 1) }",
    "ASK { {} }",
    "ASK {} VALUES ?x { 1 }",
    "ASK FROM <urn:g> {}",
    "ASK { GRAPH <urn:g> {} }",
    "ASK { SERVICE <http://127.0.0.1:9/> {} }",
    "ASK { FILTER(1) } }",
    "ASK { FILTER(1)(2) }",
    "ASK { FILTER (1 }",
    "SELECT * {}",
    "PREFIX x: ASK {}",
    "BASE ?s ASK {}",
    "ASK { \\u003fs ?p ?o }",  # an escaped keyword or variable: left to the worker
    "ASK { FILTER(" + "!" * 8000 + "true) }",  # nests the engine's parse 8000 levels deep
    "ASK { FILTER(" + " + ".join(["1"] * 40) + " > 0) }",  # longer than the server evaluates itself
]


@pytest.mark.parametrize("query", READS_NO_DATA)
def test_asks_of_constants_read_no_data(query: str) -> None:
    assert reads_no_data(query)
    assert analyse(query, []).reads_no_data


@pytest.mark.parametrize("query", READS_DATA)
def test_everything_else_may_read_data(query: str) -> None:
    assert not reads_no_data(query)


@pytest.mark.parametrize("query", READS_NO_DATA)
def test_a_query_that_reads_no_data_has_the_same_answer_on_any_dataset(dataset: Store, query: str) -> None:
    """What the rule lets through is answered by the engine alike on the whole dataset and on none."""
    empty = ox.Store()
    full = dataset.query(query, base_iri="http://127.0.0.1/sparql")
    assert isinstance(full, ox.QueryBoolean)
    assert bool(full) == bool(empty.query(query, base_iri="http://127.0.0.1/sparql"))


def _probe() -> str:
    """A light query that reads data, never asked before: it needs a query slot."""
    return f"ASK {{ <urn:uuid:{uuid.uuid4()}> ?p ?o }}"


def test_a_query_that_reads_no_data_is_answered_while_every_slot_is_taken(
    server_factory: Callable[..., LiveServer],
) -> None:
    server = server_factory("--query-timeout", "8", env={"ILRS_MAX_CONCURRENT_QUERIES": "1"})
    endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?o . ?b ?q ?r . ?c ?x ?y }"
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        held: list[int] = []

        def hold() -> None:  # until the endless query has the only slot (a probe may have it for a moment)
            for _ in range(100):
                held.append(c.post("/sparql", data={"query": endless}).status_code)
                if held[-1] != 503:
                    return
                time.sleep(0.05)

        holder = threading.Thread(target=hold)
        holder.start()
        for _ in range(100):  # until the endless query holds the slot (its worker may take a while to start)
            busy = c.post("/sparql", data={"query": _probe()})
            if busy.status_code == 503:
                break
            time.sleep(0.1)
        assert busy.status_code == 503, busy.text
        # Answered at once, by the engine, in the format asked for.
        assert c.get("/sparql", params={"query": "ASK {}"}).json() == {"head": {}, "boolean": True}
        xml = c.post("/sparql", data={"query": "ASK { FILTER(1 > 2) }"}, headers={"Accept": "application/xml"})
        assert xml.status_code == 200 and xml.headers["content-type"].startswith("application/sparql-results+xml")
        boolean = ElementTree.fromstring(xml.content).find("{http://www.w3.org/2005/sparql-results#}boolean")
        assert boolean is not None and boolean.text == "false"
        head = c.head("/sparql", params={"query": "ASK {}"})
        assert head.status_code == 200 and head.content == b""
        # With the protocol's dataset, and revalidated as any other result is.
        named = c.get(
            "/sparql", params={"query": "ASK {}", "default-graph-uri": "urn:x:g", "named-graph-uri": "urn:x:n"}
        )
        assert named.json()["boolean"] is True
        again = c.get("/sparql", params={"query": "ASK {}"}, headers={"If-None-Match": named.headers["etag"]})
        assert again.status_code == 200  # another dataset: another tag
        tag = c.get("/sparql", params={"query": "ASK {}"}).headers["etag"]
        assert c.get("/sparql", params={"query": "ASK {}"}, headers={"If-None-Match": tag}).status_code == 304
        # The engine's own refusal of what the rule let through, with its position.
        wrong = c.get("/sparql", params={"query": "ASK { FILTER(1 2) }"})
        assert wrong.status_code == 400 and "1:" in wrong.text and "Traceback" not in wrong.text
        # Whatever may read data needs the slot, however constant it looks.
        deep = "ASK { FILTER(" + "!" * 8000 + "true) }"  # evaluated here, it could overflow the server's stack
        for query in ("ASK { (1 2) }", 'ASK { "a" a "b" }', "ASK { FILTER(EXISTS { ?s ?p ?o }) }", deep, _probe()):
            assert c.post("/sparql", data={"query": query}).status_code == 503, query[:40]
        holder.join()
        assert held[-1] == 504
        # A worker, on its large stack, evaluates the deep one.
        for _ in range(100):
            answer = c.post("/sparql", data={"query": deep})
            if answer.status_code != 503:
                break
            time.sleep(0.1)
        assert answer.json()["boolean"] is True
