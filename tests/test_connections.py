"""The HTTP/1.1 connection on raw sockets: slow clients, too many connections, requests RFC 9112 refuses.

Each case was once served: a client trickling its headers held a socket forever (some thousands
exhausted the file descriptors), one address could open any number of connections, and h11 (before
httptools) accepted a body framed twice, bare-LF lines and folded headers.
"""

from __future__ import annotations

import contextlib
import itertools
import select
import socket
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from servers import LiveServer

HEAD_TIMEOUT = 3.0
SLOW_HEAD = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def _address(server: LiveServer) -> tuple[str, int]:
    host, port = server.base_url.removeprefix("http://").split(":")
    return host, int(port)


def _connect(server: LiveServer, source: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.settimeout(10)
    sock.connect(_address(server))
    return sock


def _read_all(sock: socket.socket, timeout: float = 10) -> bytes:
    """Everything the server sends until it closes the connection (or ``timeout`` passes)."""
    sock.settimeout(timeout)
    answer = b""
    with contextlib.suppress(ConnectionResetError, TimeoutError):
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _raw(server: LiveServer, request: bytes) -> bytes:
    with _connect(server, "127.0.0.1") as sock:
        sock.sendall(request)
        return _read_all(sock)


# --- slowloris ------------------------------------------------------------------------------------


@pytest.fixture
def strict_server(server_factory: Callable[..., LiveServer]) -> LiveServer:
    return server_factory(env={"ILRS_REQUEST_HEAD_TIMEOUT": str(HEAD_TIMEOUT), "ILRS_MAX_CONNECTIONS_PER_CLIENT": "20"})


@contextlib.contextmanager
def slow_clients(server: LiveServer, source: str, count: int) -> Iterator[list[socket.socket]]:
    """``count`` connections from ``source`` that have sent the start of a request head, and no end."""
    sockets = []
    try:
        for _ in range(count):
            sock = _connect(server, source)
            with contextlib.suppress(OSError):  # refused ones may be closed before this
                sock.sendall(SLOW_HEAD)
            sockets.append(sock)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def _trickle(sockets: list[socket.socket]) -> None:
    """One more header line on every socket still open: they are slow, not silent."""
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.sendall(b"X-Slow: 1\r\n")


def _still_open(sockets: list[socket.socket]) -> bool:
    """No answer and no close on any of ``sockets`` yet (nothing to read)."""
    readable, _, _ = select.select(sockets, [], [], 0)
    return not readable


def test_slow_clients_are_closed_at_the_head_deadline_and_others_are_served(strict_server: LiveServer) -> None:
    """A hundred slowloris sockets: ordinary requests are answered meanwhile, and every slow socket is
    closed with 408 once the head deadline has passed (they used to stay open for good)."""
    with slow_clients(strict_server, "127.0.0.1", 100) as slow:
        with httpx.Client(base_url=strict_server.base_url, timeout=10) as c:
            for _ in range(5):
                _trickle(slow)
                assert c.get("/health").status_code == 200
                assert c.get("/sparql", params={"query": "ASK {}"}).status_code == 200
        assert _still_open(slow), "the slow sockets were closed before the others were served"
        answers = [_read_all(sock, timeout=HEAD_TIMEOUT + 10) for sock in slow]
    assert all(a.startswith(b"HTTP/1.1 408 ") for a in answers), {a[:40] for a in answers}
    assert all(f"within {HEAD_TIMEOUT:g} s".encode() in a for a in answers)


def test_connections_per_client_are_capped(strict_server: LiveServer) -> None:
    """127.0.0.2 may hold 20 connections; the next are refused at once, and other addresses are not affected."""
    with slow_clients(strict_server, "127.0.0.2", 50) as slow:
        # While 127.0.0.2 is at its cap, another address (and loopback, exempt by default) is served.
        for source in ("127.0.0.3", "127.0.0.1"):
            transport = httpx.HTTPTransport(local_address=source)
            with httpx.Client(base_url=strict_server.base_url, transport=transport, timeout=10) as c:
                assert c.get("/health").status_code == 200
        answers = [_read_all(sock, timeout=HEAD_TIMEOUT + 10) for sock in slow]
    refused = [a for a in answers if a.startswith(b"HTTP/1.1 503 ")]
    assert len(refused) == 30 and all(b"too many connections from 127.0.0.2: at most 20" in a for a in refused)
    assert sum(a.startswith(b"HTTP/1.1 408 ") for a in answers) == 20  # the admitted ones, at the deadline
    # Once its connections are closed, 127.0.0.2 is served again.
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=strict_server.base_url, transport=transport, timeout=10) as c:
        assert c.get("/health").status_code == 200


# --- RFC 9112 -------------------------------------------------------------------------------------


def test_content_length_with_transfer_encoding_is_refused_and_closed(live_server: LiveServer) -> None:
    """Both framings: the request was answered and the connection kept, so a smuggled request was served."""
    smuggled = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    request = (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nASK{}\r\n0\r\n\r\n" + smuggled
    )
    answer = _raw(live_server, request)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert b"both Content-Length and Transfer-Encoding" in answer
    assert answer.count(b"HTTP/1.1 ") == 1, "a second request was read from the connection"


@pytest.mark.parametrize(
    ("head", "words"),
    [
        (b"GET /health HTTP/1.1\nHost: 127.0.0.1\n\n", b"bare LF"),
        (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\nX-A: b\r\n\r\n", b"bare LF"),
        (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\r\n b\r\n\r\n", b"folded"),
        (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\r\n\tb\r\n\r\n", b"folded"),
        (b"GET /health HTTP/1.1\r\n Host: 127.0.0.1\r\n\r\n", b"folded"),
    ],
    ids=["bare-lf", "one-bare-lf", "folded-space", "folded-tab", "space-before-first-header"],
)
def test_malformed_line_endings_and_folding_are_refused(live_server: LiveServer, head: bytes, words: bytes) -> None:
    answer = _raw(live_server, head)
    assert answer.startswith(b"HTTP/1.1 400 ") and words in answer, answer[:200]


def test_a_pipelined_request_is_judged_like_the_first(live_server: LiveServer) -> None:
    good = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    answer = _raw(live_server, good + b"GET /health HTTP/1.1\nHost: 127.0.0.1\n\n")
    first, _, rest = answer.partition(b"HTTP/1.1 400 ")
    assert first.startswith(b"HTTP/1.1 200 ") and b"bare LF" in rest
    # Well-formed pipelined requests are served.
    answer = _raw(live_server, good + good.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    assert answer.count(b"HTTP/1.1 200 ") == 2


@pytest.mark.parametrize(
    ("head", "problem"),
    [
        (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX: y\r\n\r\n", None),
        (b"\r\n\r\nGET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", None),
        (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\nX: y\r\n\r\n", b"bare LF"),
        (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX: y\r\n z\r\n\r\n", b"folded"),
    ],
    ids=["good", "leading-empty-lines", "bare-lf", "folded"],
)
def test_a_head_gets_the_same_answer_however_its_bytes_arrive(
    live_server: LiveServer, head: bytes, problem: bytes | None
) -> None:
    """Sent in pieces cut anywhere (around the line ends too), a head is judged as if sent whole."""
    for cuts in [(1,), (len(head) // 2,), (len(head) - 3, len(head) - 1), *((i, i + 1) for i in range(20, 40, 3))]:
        with _connect(live_server, "127.0.0.1") as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for a, b in itertools.pairwise((0, *cuts, len(head))):
                if not _still_open([sock]):
                    break  # answered (and closed) already: more bytes would only reset the connection
                sock.sendall(head[a:b])
                time.sleep(0.02)  # each piece its own read on the server
            answer = _read_all(sock) if problem else sock.recv(4096)
        if problem is None:
            assert answer.startswith(b"HTTP/1.1 200 "), (cuts, answer[:100])
        else:
            assert answer.startswith(b"HTTP/1.1 400 ") and problem in answer, (cuts, answer[:200])


def test_a_body_larger_than_the_head_limit_is_no_large_head(live_server: LiveServer) -> None:
    """Only the head counts against max_request_head (256 KiB): a small head with a 300 KB body, in one write."""
    query = b"ASK {}" + b"#" + b"x" * 300_000
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
        b"Accept: application/sparql-results+json\r\nConnection: close\r\n"
        b"Content-Length: " + str(len(query)).encode() + b"\r\n\r\n"
    )
    answer = _raw(live_server, head + query)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'"boolean":true}'), answer[:300]


# --- one write per answer -------------------------------------------------------------------------


def _answers(data: bytes, methods: list[bytes]) -> list[tuple[int, dict[bytes, bytes], bytes]]:
    """The responses in ``data`` to requests of ``methods``, in order (a body is framed by Content-Length; the
    answer to a HEAD, and a 304, have none)."""
    found = []
    for method in methods:
        head, _, data = data.partition(b"\r\n\r\n")
        status_line, *lines = head.split(b"\r\n")
        headers = {name.lower(): value.strip() for name, _, value in (line.partition(b":") for line in lines)}
        status = int(status_line.split()[1])
        length = 0 if method == b"HEAD" or status == 304 else int(headers.get(b"content-length", b"0"))
        found.append((status, headers, data[:length]))
        data = data[length:]
    assert data == b"", data[:200]
    return found


def test_pipelined_answers_arrive_whole_and_in_order(live_server: LiveServer) -> None:
    """Each answer's head is held until its body is written: answers without a body (HEAD, 304) are sent
    all the same, each before the next pipelined one."""
    target = b"/sparql?query=ASK%20%7B%20FILTER(1%20%3E%200)%20%7D"
    accept = b"Host: 127.0.0.1\r\nAccept: application/sparql-results+json\r\n"
    tag = httpx.get(live_server.url("/sparql"), params={"query": "ASK { FILTER(1 > 0) }"}).headers["etag"].encode()
    requests = [
        b"HEAD " + target + b" HTTP/1.1\r\n" + accept + b"\r\n",
        b"GET " + target + b" HTTP/1.1\r\n" + accept + b"If-None-Match: " + tag + b"\r\n\r\n",
        b"GET " + target + b" HTTP/1.1\r\n" + accept + b"\r\n",
        b"HEAD /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    ]
    for _ in range(2):  # the second time, the SPARQL answers come from memory
        answers = _answers(_raw(live_server, b"".join(requests)), [r.split(b" ", 1)[0] for r in requests])
        assert [status for status, _, _ in answers] == [200, 304, 200, 200, 200]
        head, not_modified, got, _, health = answers
        assert head[2] == b"" and head[1][b"etag"] == got[1][b"etag"] == tag
        assert not_modified[1][b"etag"] == tag and got[2] == b'{"head":{},"boolean":true}'
        assert b'"status"' in health[2]
    # A refusal waits for the answers before it, a HEAD's head included.
    refused = _raw(live_server, requests[0] + b"GET /health HTTP/1.1\nHost: 127.0.0.1\n\n")
    assert refused.startswith(b"HTTP/1.1 200 ") and refused.count(b"HTTP/1.1 400 ") == 1, refused


def test_an_interim_answer_is_not_held(live_server: LiveServer) -> None:
    """``Expect: 100-continue``: the client hears ``100 Continue`` before it sends the body."""
    body = b"ASK {}"
    with _connect(live_server, "127.0.0.1") as sock:
        sock.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
            b"Accept: application/sparql-results+json\r\nExpect: 100-continue\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n"
        )
        sock.settimeout(5)
        interim = sock.recv(4096)
        assert interim.startswith(b"HTTP/1.1 100 "), interim
        sock.sendall(body)
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'{"head":{},"boolean":true}')
