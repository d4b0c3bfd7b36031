"""The HTTP/1.1 connection handling: uvicorn's httptools protocol, stricter about what it accepts and for how long.

httptools (llhttp, in its strict mode) parses the requests; around it:

* **A limit on the request head** (``max_request_head`` bytes of request line and headers): httptools
  buffers a header of any size until it ends (a 300 MB header took 450 MB and minutes of the event
  loop), so the bytes of each head are counted as they arrive, before the parser sees them, and a
  larger head gets 400 and the connection is closed.
* **A deadline for the request head.** A client has ``request_head_timeout`` seconds, from the
  connection's opening (or the end of its previous response), to send a whole request line and
  headers; then it gets 408 and is closed. Without it, a client sending one header byte every few
  seconds (slowloris) held its socket forever, and some thousands of them exhausted the server's
  file descriptors. (The body has its own deadline, see ``sparql/protocol.py``.)
* **A cap on open connections per client address** (``max_connections_per_client``): the next
  one is answered 503 and closed at once. Exempt: ``client_limits_exempt`` (loopback by default)
  and trusted proxies, whose connections carry many clients.
* **One write per small answer.** uvicorn writes a response's head and its body in two writes: two
  packets, and the client woken twice. The head is held (:class:`OneWrite`) until the body's first bytes,
  or the end of the event loop's turn, and leaves with them.
* **The client's going away, told at once** (:class:`Disconnect`, the ASGI extension :data:`DISCONNECT`): a
  handler arms it with a callback, called when the connection is lost before its response ends. Without it
  a handler learns of a disconnect only by awaiting ``receive()`` in a task of its own.
* **What RFC 9112 says to refuse**, which llhttp refuses in its strict mode, named for the client
  (:func:`refusal`): a request with both ``Content-Length`` and ``Transfer-Encoding`` (section 6.1:
  the two framings disagree; a proxy in front might read the body otherwise and smuggle a second
  request), a line of the head ending in a bare LF rather than CRLF (section 2.2), and obsolete line
  folding (section 5.2). Each gets 400 and the connection is closed — after the answers to the
  requests pipelined before it, which are served.
* **A bounded stop** (:class:`StoppingServer`, :mod:`.lifecycle`): on SIGTERM or SIGINT the requests in
  progress have ``shutdown_grace`` seconds; then each connection is cut (:meth:`GuardedHttpToolsProtocol.cut`:
  503 for a GET not yet answered, else the connection closed) and each request's task cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import Counter
from collections.abc import Callable
from http import HTTPStatus
from types import FrameType
from typing import Any, ClassVar

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import Server, ServerState

from ilrs.graph.settings import Settings

from .lifecycle import Stopper
from .security import AddressSet

log = logging.getLogger("ilrs.server")

_HEAD_END = b"\r\n\r\n"
#: The longest URL httptools' URL parser takes.
_URL_PARSER_LIMIT = 65535
#: llhttp's reasons, by what they mean for the client (the first reason that a message contains wins).
_REASONS = (
    ("Transfer-Encoding can't be present with Content-Length", "a request with both Content-Length and "
     "Transfer-Encoding is refused (RFC 9112, 6.1)"),
    ("whitespace after header value", "a header line is folded (begins with a space or tab): refused (RFC 9112, 5.2)"),
    ("space after start line", "a header line is folded (begins with a space or tab): refused (RFC 9112, 5.2)"),
    ("CR", "a line of the request head ends in a bare LF: lines must end in CRLF (RFC 9112, 2.2)"),
    ("LF", "a line of the request head ends in a bare LF: lines must end in CRLF (RFC 9112, 2.2)"),
)  # fmt: skip


def refusal(reason: str) -> str:
    """What a client is told when llhttp refuses its request for ``reason``.

    >>> refusal("Missing expected CR after header value")
    'a line of the request head ends in a bare LF: lines must end in CRLF (RFC 9112, 2.2)'
    >>> refusal("Invalid header token")
    'malformed request: Invalid header token'
    """
    for words, message in _REASONS:
        if words in reason:
            return message
    return f"malformed request: {reason}"


class ConnectionGuard:
    """Open connections per client address, and the limits a new connection is held to."""

    def __init__(self, settings: Settings) -> None:
        self.head_timeout = settings.request_head_timeout
        self.max_head = settings.max_request_head
        self.max_per_client = settings.max_connections_per_client
        self.exempt = AddressSet([*settings.client_limits_exempt, *settings.trusted_proxies])
        # Touched only by the event loop's thread: no lock needed.
        self.open: Counter[str] = Counter()

    def admit(self, address: str) -> bool:
        """Count a new connection from ``address``; ``False`` (not counted) if it has its share already."""
        if address in self.exempt:
            return True
        if self.open[address] >= self.max_per_client:
            return False
        self.open[address] += 1
        return True

    def release(self, address: str) -> None:
        """Forget a closed connection counted by :meth:`admit`."""
        if address in self.open:
            self.open[address] -= 1
            if self.open[address] <= 0:
                del self.open[address]


class OneWrite:
    """The transport as one response's cycle writes to it: the response's head is held until the first bytes
    of its body, so that both leave in one write (one system call, one packet on a small answer).

    The head is never held longer than the event loop's turn in which it was written (an answer that is
    slow to begin its body has its head sent at once), nor past the end of the response or the closing
    of the connection: :meth:`flush`. Everything else passes straight through, an interim ``100 Continue``
    included.
    """

    __slots__ = ("_held", "_loop", "_started", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None
        self._started = False

    def write(self, data: bytes) -> None:
        if self._held is not None:
            data, self._held = self._held + data, None
        elif not self._started and data.startswith(_FINAL_STATUS_LINE) and not data.startswith(_INTERIM):
            self._started = True
            self._held = data
            self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def flush(self) -> None:
        """Send the head held, if any."""
        if self._held is not None:
            data, self._held = self._held, None
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


#: The name of :class:`Disconnect` among a request scope's ``extensions``.
DISCONNECT = "ilrs.disconnect"


class Disconnect:
    """Calls back once when the request's connection is lost before its response has ended."""

    __slots__ = ("_callback", "_flow", "lost")

    def __init__(self, flow: Any) -> None:
        self._flow = flow
        self._callback: Callable[[], None] | None = None
        #: Whether the connection was lost while the request was being answered.
        self.lost = False

    def arm(self, callback: Callable[[], None]) -> bool:
        """Call ``callback`` (on the event loop) if the connection is lost from now until :meth:`disarm`;
        ``False`` (and no call) if it is lost already."""
        if self.lost:
            return False
        self._callback = callback
        # A closed connection is seen only while its socket is read (as an awaited receive() would have it).
        self._flow.resume_reading()
        return True

    def disarm(self) -> None:
        """Call nothing from now on."""
        self._callback = None

    def fire(self) -> None:
        """The connection is lost: call the callback, once."""
        self.lost = True
        callback, self._callback = self._callback, None
        if callback is not None:
            callback()


#: The methods of requests that change nothing, which a stop may refuse with 503 (RFC 9110, 9.2.1).
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_FINAL_STATUS_LINE = b"HTTP/1.1 "
_INTERIM = b"HTTP/1.1 1"


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a head-size limit, a head deadline, a per-client cap and RFC 9112's
    refusals named."""

    guard: ClassVar[ConnectionGuard]

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._head_deadline: asyncio.TimerHandle | None = None
        self._counted: str | None = None
        #: Whether the bytes arriving belong to a request head, how many of them came, and the last three
        #: (a head's end, CRLF CRLF, may be split between two reads).
        self._in_head = True
        self._head_size = 0
        self._tail = b""
        #: A refusal waiting for the answers to the requests pipelined before the refused one.
        self._refusal: str | None = None
        #: The requests not yet answered (the one being answered, those pipelined behind it), to tell each
        #: of them when the connection is lost: uvicorn's own cycle is the last request that arrived.
        self._unanswered: list[tuple[RequestResponseCycle, Disconnect]] = []

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        address = self.client[0] if self.client else ""
        if not self.guard.admit(address):
            log.warning("client %s has %d connections open: one more refused", address, self.guard.max_per_client)
            self._close_with(503, f"too many connections from {address}: at most {self.guard.max_per_client}")
            return
        if address not in self.guard.exempt:
            self._counted = address
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        unanswered, self._unanswered = self._unanswered, []
        for cycle, disconnect in unanswered:
            if not cycle.response_complete:
                disconnect.fire()
        if self._counted is not None:
            self.guard.release(self._counted)
            self._counted = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None or self.parser is None:
            return  # the connection is being refused: nothing more is read
        if self._in_head and self._head_too_large(data):
            log.warning("request refused: its head is larger than %d bytes", self.guard.max_head)
            self._close_with(400, f"the request head is larger than {self.guard.max_head} bytes, this server's limit")
            return
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError as err:
            self._refuse(refusal(str(err)))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm_head_deadline()  # the head has arrived
        # httptools parses a URL of at most 64 KiB; a query sent by GET may be longer (the head's limit is the
        # limit): its query string is set aside while the rest is parsed.
        target, mark, query = self.url.partition(b"?")
        long_query = mark and len(self.url) > _URL_PARSER_LIMIT and target.startswith(b"/")
        if long_query:
            self.url = target + mark
        super().on_headers_complete()
        if long_query and self.scope.get("path") is not None:
            self.scope["query_string"] = query
        if self.cycle is not None and self.scope.get("path") is not None:
            disconnect = Disconnect(self.flow)
            extensions: dict[str, Any] = self.scope.setdefault("extensions", {})  # type: ignore[assignment]
            extensions[DISCONNECT] = disconnect
            self._unanswered = [(c, d) for c, d in self._unanswered if not c.response_complete]
            self._unanswered.append((self.cycle, disconnect))
        if self.cycle is not None:
            self._write_once(self.cycle)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_size, self._tail = True, 0, b""

    def on_response_complete(self) -> None:
        if self._refusal is not None and not self.pipeline:  # every request before the refused one is answered
            self.server_state.total_requests += 1
            self._close_with(400, self._refusal)
            return
        super().on_response_complete()  # starts the next pipelined request, if one is waiting
        if not self.transport.is_closing() and self.cycle.response_complete:
            self._arm_head_deadline()  # the next head's time starts now

    def cut(self) -> None:
        """End the connection at the end of a stop's grace (:mod:`.lifecycle`): a GET or HEAD whose response has not
        begun is answered 503; any other request, and a response being sent, is cut short (the client sees the
        connection end before a response does): a write may commit before the process ends, so only a request
        that changes nothing may be told to be sent again."""
        if self.transport.is_closing():
            return
        cycle = self.cycle
        answering = cycle is not None and not cycle.response_complete
        if cycle is not None and answering and not cycle.response_started and cycle.scope["method"] in SAFE:
            self._close_with(503, "the server is stopping: send the request again")
        else:
            self.transport.abort()  # at once: close() would first send what a slow reader left in the buffer
        if cycle is not None and answering:
            # What connection_lost will say: the handler's task is cancelled next, and what it sends is dropped.
            cycle.disconnected = True

    def _write_once(self, cycle: RequestResponseCycle) -> None:
        """Have ``cycle`` write through a :class:`OneWrite`, flushed when its response ends (before the next
        pipelined response, or a refusal, is written)."""
        writes = OneWrite(self.transport, self.loop)
        cycle.transport = writes  # type: ignore[assignment]
        done = cycle.on_response

        def ended() -> None:
            writes.flush()
            done()

        cycle.on_response = ended

    def _head_too_large(self, data: bytes) -> bool:
        """Count the bytes of ``data`` up to the end of the head being received; whether they pass the limit."""
        region = self._tail + data
        end = region.find(_HEAD_END)
        self._head_size += len(data) if end < 0 else end + len(_HEAD_END) - len(self._tail)
        self._tail = region[-3:]
        return self._head_size > self.guard.max_head

    def _refuse(self, message: str) -> None:
        """400 with ``message`` once the requests before the refused one are answered, and close."""
        log.warning("request refused: %s", message)
        if self.cycle is not None and not self.cycle.response_complete:
            self._refusal = message
            self.flow.pause_reading()
        else:
            self._close_with(400, message)

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        self._head_deadline = self.loop.call_later(self.guard.head_timeout, self._head_deadline_passed)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_deadline_passed(self) -> None:
        self._head_deadline = None
        answering = self.cycle is not None and not self.cycle.response_complete
        if self.transport.is_closing() or not self._in_head or answering:
            return  # the head came; or a request is being answered, and its end arms the deadline anew
        self._close_with(408, f"the request head did not arrive within {self.guard.head_timeout:g} s")

    def _close_with(self, status: int, message: str) -> None:
        """Answer ``status`` with ``message`` outside the parser (no request is being answered) and close."""
        self._disarm_head_deadline()
        body = f"{message}\n".encode()
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        self.transport.write(head.encode() + body)
        self.transport.close()


class StoppingServer(Server):
    """uvicorn's server, stopped as :class:`~.lifecycle.Stopper` says: on a stop signal it stops accepting, lets the
    requests in progress run for the stopper's grace, then cuts them (:meth:`GuardedHttpToolsProtocol.cut`).

    uvicorn would wait for them forever (or cancel their tasks after ``timeout_graceful_shutdown``, logging
    each with a traceback), and re-raise the signal once stopped, ending the process by the signal or a
    KeyboardInterrupt instead of with status 0.
    """

    def __init__(self, config: Config, stopper: Stopper) -> None:
        super().__init__(config)
        self.stopper = stopper

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # uvicorn makes this the handler of SIGTERM and SIGINT while it serves: the stopper decides what they do.
        self.stopper.on_signal(sig, frame)

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self.stopper.serve(self)
        try:
            await super().serve(sockets)
        finally:
            self.stopper.served()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        cut = asyncio.get_running_loop().call_later(self.stopper.grace, self._cut)
        try:
            await super().shutdown(sockets)
        finally:
            cut.cancel()

    def _cut(self) -> None:
        """Cut every connection, and cancel every request's task (one whose client left may still be running)."""
        for connection in list(self.server_state.connections):
            if isinstance(connection, GuardedHttpToolsProtocol):
                connection.cut()
        tasks = [task for task in self.server_state.tasks if not task.done()]
        if tasks:
            grace = self.stopper.grace
            log.warning("stopping: %d request(s) still in progress after the %g s grace: cut", len(tasks), grace)
        for task in tasks:
            task.cancel()


def guarded_protocol(settings: Settings) -> type[GuardedHttpToolsProtocol]:
    """A :class:`GuardedHttpToolsProtocol` class holding the limits of ``settings`` (uvicorn's ``http=``)."""
    return type("GuardedHttpToolsProtocol", (GuardedHttpToolsProtocol,), {"guard": ConnectionGuard(settings)})
