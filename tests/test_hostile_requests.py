"""Malformed and hostile requests get a clear 4xx — a status that says what is wrong and a message
naming the problem — and never a 500, a traceback, a crashed server or a request to elsewhere.

Each case here was once answered badly (a 500, a crashed query worker or server, the wrong status,
a connection held open, a misleading message); the generic safety net for bugs is tested last.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from servers import LiveServer
from starlette.requests import Request

from ilrs.graph.errors import InputTimeout
from ilrs.graph.settings import Settings, get_settings
from ilrs.graph.store import Store
from ilrs.server.app import create_app
from ilrs.server.errors import INTERNAL_ERROR
from ilrs.server.sparql.protocol import read_request

QUERY = {"Content-Type": "application/sparql-query"}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@dataclass(frozen=True)
class Case:
    """A request and what it must get: ``status`` and ``words`` in the body."""

    method: str
    path: str
    status: int
    words: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None


def _bind_chain(n: int) -> bytes:
    return ("SELECT * {" + " ".join(f"BIND({i} AS ?v{i})" for i in range(n)) + "} LIMIT 1").encode()


CASES = {
    # A file name the file system refuses (NUL byte, too long) used to raise in the docs lookup: 500.
    "ontology-docs-nul": Case("GET", "/ontology/a%00b", 404, ("no ontology version",)),
    "ontology-docs-long-name": Case("GET", "/ontology/" + "a" * 5000, 404, ("no ontology version",)),
    # An unknown extension was ignored (/dataset.xyz: 200) or called unacceptable (/ontology.xyz: 406).
    "unknown-extension-dataset": Case("GET", "/dataset.xyz", 404, ("no representation .xyz", ".ttl")),
    "unknown-extension-ontology": Case("GET", "/ontology.xyz", 404, ("no representation .xyz", ".jsonld")),
    "unknown-extension-shapes": Case("GET", "/shapes.%00", 404, ("no representation",)),
    # A malformed q made its range "not acceptable": 406 although Turtle was offered and asked for.
    "accept-q-not-a-number": Case("GET", "/id/country/PK", 200, ("@prefix",), {"Accept": "text/turtle;q=abc"}),
    "accept-q-nan": Case("GET", "/ontology", 200, ("@prefix",), {"Accept": "text/turtle;q=NaN"}),
    "accept-garbage": Case("GET", "/.well-known/void", 200, ("@prefix",), {"Accept": "garbage"}),
    "accept-bare-star": Case("GET", "/agreements", 200, ('"Collection"',), {"Accept": "*"}),
    "accept-nothing-acceptable": Case("GET", "/id/country/PK", 406, ("text/turtle",), {"Accept": "*/*;q=0"}),
    "accept-hundreds-of-ranges": Case(
        "GET", "/id/country/PK", 406, ("acceptable",), {"Accept": ",".join(f"a{i}/b{i};q=0.5" for i in range(500))}
    ),
    # A compressed body was read as if it were not: a misleading "not valid UTF-8", or (br) silently run.
    "gzip-body": Case(
        "POST",
        "/sparql",
        415,
        ("Content-Encoding gzip",),
        {**QUERY, "Content-Encoding": "gzip"},
        gzip.compress(b"ASK{}"),
    ),
    "br-body": Case("POST", "/sparql", 415, ("Content-Encoding br",), {**QUERY, "Content-Encoding": "br"}, b"ASK{}"),
    # A byte order mark, as some editors save .rq files, made the query invalid.
    "bom-before-query": Case("POST", "/sparql", 200, ("boolean",), QUERY, b"\xef\xbb\xbfASK {}"),
    # Deep nesting overflowed the query engine's stack: the worker process died (500), or with the thread
    # executor the whole server; the SERVICE check (rdflib) hit Python's recursion limit (500).
    "nesting-129-braces": Case(
        "POST", "/sparql", 400, ("more than 128 levels", "line 1, column 138"), QUERY, b"SELECT * " + b"{" * 3000
    ),
    "nesting-parentheses": Case(
        "GET", "/sparql?query=SELECT%20(" + "(" * 5000 + "1" + ")" * 5000 + "%20AS%20?x)%20{}", 400, ("128 levels",)
    ),
    "nesting-in-a-query-with-from": Case(
        "POST",
        "/sparql",
        200,
        ('"x"',),
        QUERY,
        b"SELECT ?x FROM <https://w3id.org/ilrs/graph/sources> { BIND(" + b"(" * 60 + b"1" + b")" * 60 + b" AS ?x) }",
    ),
    "thousands-of-binds": Case("POST", "/sparql", 200, ('"v0"',), QUERY, _bind_chain(3500)),
    "long-pattern-with-from": Case(
        "POST",
        "/sparql",
        200,
        ("bindings",),
        QUERY,
        ("SELECT * FROM <urn:none> { " + " ".join(f"<urn:s> <urn:p> {i} ." for i in range(1000)) + " }").encode(),
    ),
    # The engine matches keywords without a word boundary: these call a service, and must be refused.
    "service-glued-to-silent": Case(
        "POST",
        "/sparql",
        400,
        ("SERVICE <http://127.0.0.1:9/>", "not allowed"),
        QUERY,
        b"SELECT * { SERVICESILENT<http://127.0.0.1:9/>{ ?s ?p ?o } }",
    ),
    "service-glued-to-prefixed-name": Case(
        "POST",
        "/sparql",
        400,
        ("<http://127.0.0.1:9/x>",),
        QUERY,
        b"PREFIX : <http://127.0.0.1:9/> SELECT * { SERVICE:x { ?s ?p ?o } }",
    ),
    "service-after-a-number": Case(
        "POST", "/sparql", 400, ("not allowed",), QUERY, b"SELECT * { ?s ?p 1SERVICE <http://127.0.0.1:9/> {} }"
    ),
    "service-escaped-iri": Case(
        "POST", "/sparql", 400, ("<http://a/>",), QUERY, b"SELECT * { SERVICE <http://\\u0061/> {} }"
    ),
    "unterminated-string": Case(
        "POST", "/sparql", 400, ("line 1, column 18", "not closed"), QUERY, b"SELECT * { ?s ?p 'x }"
    ),
    # A 405 named GET in Allow but not HEAD, which every GET resource answers.
    "405-allow-lists-head": Case("DELETE", "/id/country/PK", 405, ("Method Not Allowed",)),
    # Browsers got JSON for a path that is not there.
    "unknown-path-browser": Case(
        "GET", "/no/such/page", 404, ("<html", "no page at this address"), {"Accept": BROWSER}
    ),
    "unknown-path-machine": Case("GET", "/no/such/page", 404, ('"detail"',)),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_hostile_request_gets_a_clear_answer(
    client: httpx.Client, case: Case, store_backend: dict[str, str], request: pytest.FixtureRequest
) -> None:
    if store_backend and request.node.callspec.id == "thousands-of-binds":
        # An external engine may evaluate it on a thread's stack, and die (Oxigraph server does): refused.
        case = Case(case.method, case.path, 400, ("more than 1000 graph-pattern operators",), QUERY, case.content)
    if store_backend and request.node.callspec.id == "long-pattern-with-from":
        # Oxigraph server dies on about 700 joined triple patterns, Virtuoso refuses them: refused first.
        case = Case(case.method, case.path, 400, ("more than 501 triple patterns",), QUERY, case.content)
    response = client.request(case.method, case.path, headers=case.headers, content=case.content)
    assert response.status_code == case.status, response.text[:300]
    assert "Traceback" not in response.text
    for word in case.words:
        assert word in response.text
    if response.status_code == 405:
        assert {"GET", "HEAD"} <= {m.strip() for m in response.headers["allow"].split(",")}
    if response.status_code == 415 and "Content-Encoding" in response.text:
        assert response.headers["accept-encoding"] == "identity"


def _raw(server: LiveServer, request: bytes, timeout: float = 10) -> bytes:
    """Send ``request`` as it is (no client normalises it) and read the answer until the server closes."""
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    "path",
    [
        b"/static/../pyproject.toml",
        b"/static/%2e%2e/%2e%2e/pyproject.toml",
        b"/static/..%2f..%2fapp.py",
        b"/ontology/..%2f..%2fREADME.md",
        b"/ontology/%2e%2e/%2e%2e/pyproject.toml",
        b"/dumps/..%2f..%2fpyproject.toml",
        b"/examples/..%2f..%2fpyproject.toml.rq",
        b"/id/%2e%2e/%2e%2e/etc/passwd",
        b"/graph/%00",
    ],
)
def test_path_traversal_finds_nothing(live_server: LiveServer, path: bytes) -> None:
    answer = _raw(live_server, b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 404 "), answer[:200]
    assert b"[build-system]" not in answer and b"root:" not in answer and b"Traceback" not in answer


def test_request_head_larger_than_the_limit_is_refused(live_server: LiveServer, client: httpx.Client) -> None:
    """httptools buffered a header of any size: 300 MB took 450 MB and minutes of the event loop."""
    host, port = live_server.base_url.removeprefix("http://").split(":")
    answer = b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        try:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
            for _ in range(8):
                sock.sendall(b"v" * (1 << 20))
            sock.sendall(b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before it was all sent
        with contextlib.suppress(ConnectionResetError):
            answer = sock.recv(200)
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert client.get("/health").status_code == 200


def test_client_that_leaves_mid_body_is_no_error(live_server: LiveServer) -> None:
    before = len(live_server.log())
    host, port = live_server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n")
        sock.sendall(b"Content-Length: 100\r\n\r\nASK")
    deadline = time.monotonic() + 5
    while "POST /sparql" not in live_server.log()[before:] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Traceback" not in live_server.log()[before:]


def test_body_that_never_arrives_is_408() -> None:
    """A client that declares more than it sends held its connection (and a coroutine) for good."""
    messages = iter([{"type": "http.request", "body": b"ASK", "more_body": True}])

    async def receive() -> dict[str, Any]:
        message = next(messages, None)
        if message is None:
            await asyncio.sleep(60)
        return message or {}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/sparql",
        "query_string": b"",
        "headers": [(b"content-type", b"application/sparql-query"), (b"content-length", b"100")],
    }
    started = time.monotonic()
    with pytest.raises(InputTimeout) as refused:
        asyncio.run(read_request(Request(scope, receive), Settings(query_timeout=0.2)))
    assert "did not arrive within 0.2 s" in str(refused.value)
    assert time.monotonic() - started < 5


def test_query_needing_too_much_memory_is_507(server_factory: Callable[..., LiveServer]) -> None:
    """A sort of a cross product grew a worker by some 200 MB a second until its deadline (gigabytes,
    times the number of query slots); a worker may now take max_query_memory MiB beyond the dataset."""
    server = server_factory(env={"ILRS_MAX_QUERY_MEMORY": "100"})
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        sort = c.get("/sparql", params={"query": "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"})
        assert sort.status_code == 507 and "100 MiB of memory" in sort.text
        # A new worker took over (a query that reads data: ASK {} is answered without a worker).
        assert c.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200


def test_thread_executor_survives_a_query_deeper_than_a_thread_stack(tmp_path: Any) -> None:
    """With the thread executor, a query of some thousand BINDs overflowed an 8 MiB thread stack and
    killed the server; queries run on threads with a larger stack (here in a process of its own)."""
    script = f"""
from ilrs.graph.store import memory_store
from ilrs.server.sparql.evaluate import start_evaluation_thread
rows = []
start_evaluation_thread(lambda: rows.extend(memory_store().query({_bind_chain(3500).decode()!r})), name="t").join()
print(len(rows))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "1"


def test_unexpected_exception_is_a_short_500_without_traceback(dataset: Store) -> None:
    """The safety net: a bug is still a 500 (and a bug), but the client gets one line, no traceback."""
    app = create_app(get_settings(), dataset)

    @app.get("/broken")
    def broken() -> None:
        raise RuntimeError("secret internals")

    client = TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False)
    for accept, content_type in (("application/json", "application/problem+json"), ("*/*", "text/plain")):
        response = client.get("/broken", headers={"Accept": accept})
        assert response.status_code == 500
        assert response.headers["content-type"].startswith(content_type)
        assert INTERNAL_ERROR in response.text
        assert "secret internals" not in response.text and "Traceback" not in response.text
