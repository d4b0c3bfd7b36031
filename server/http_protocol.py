"""The HTTP/1.1 connection handling: uvicorn's h11 protocol, stricter about what it accepts and for how long.

* **A deadline for the request head.** A client has ``request_head_timeout`` seconds, from the
  connection's opening (or the end of its previous response), to send a whole request line and
  headers; then it gets 408 and is closed. Without it, a client sending one header byte every few
  seconds (slowloris) held its socket forever, and some thousands of them exhausted the server's
  file descriptors. (The body has its own deadline, see ``sparql/protocol.py``.)
* **A cap on open connections per client address** (``max_connections_per_client``): the next
  one is answered 503 and closed at once. Exempt: ``client_limits_exempt`` (loopback by default)
  and trusted proxies, whose connections carry many clients.
* **What RFC 9112 says to refuse**, which h11 accepts: a request with both ``Content-Length`` and
  ``Transfer-Encoding`` (section 6.1: the two framings disagree; a proxy in front might read the
  body otherwise and smuggle a second request), a line of the head ending in a bare LF rather than
  CRLF (section 2.2), and obsolete line folding (section 5.2). Each gets 400 and the connection
  is closed.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, ClassVar

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from ilrs.graph.settings import Settings

from .security import AddressSet

log = logging.getLogger("ilrs.server")

_BARE_LF = re.compile(rb"(?<!\r)\n")
_FOLDED = re.compile(rb"\r\n[ \t]")
_HEAD_END = b"\r\n\r\n"
#: h11's own limit on a request head, when uvicorn is given none.
_H11_DEFAULT_HEAD_LIMIT = 16 * 1024


class HeadScanner:
    """Checks a request head as its bytes arrive: every line ends in CRLF, and no line is folded.

    Only the last three bytes are kept between calls, so a large head costs no second buffer.
    """

    def __init__(self) -> None:
        self.problem: str | None = None
        self.complete = False
        self._tail = b""
        self._started = False

    def feed(self, data: bytes) -> None:
        """Scan the next bytes of the stream; sets :attr:`problem` or :attr:`complete` when found."""
        if self.complete or self.problem:
            return
        if not self._started:
            data = data.lstrip(b"\r\n")  # RFC 9112, 2.2: empty lines before the request line are ignored
            if not data:
                return
            self._started = True
        region = self._tail + data
        end = region.find(_HEAD_END)
        stop = len(region) if end < 0 else end + len(_HEAD_END)
        new = len(self._tail)  # matches wholly inside the tail were judged with the previous bytes
        if any(m.start() >= new for m in _BARE_LF.finditer(region, 0, stop)):
            self.problem = "a line of the request head ends in a bare LF: lines must end in CRLF (RFC 9112, 2.2)"
        elif any(m.end() > new for m in _FOLDED.finditer(region, 0, stop)):
            self.problem = "a header line is folded (begins with a space or tab): refused (RFC 9112, 5.2)"
        self.complete = end >= 0
        self._tail = region[-3:]


class StrictConnection(h11.Connection):
    """An h11 server connection that refuses what :class:`HeadScanner` finds, and ambiguous framing."""

    def __init__(self, max_incomplete_event_size: int, on_new_cycle: Callable[[], None]) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=max_incomplete_event_size)
        self.refusal: str | None = None
        self._scanner: HeadScanner | None = HeadScanner()
        self._on_new_cycle = on_new_cycle

    def receive_data(self, data: bytes) -> None:
        if self._scanner is not None:
            self._scanner.feed(data)
        super().receive_data(data)

    def start_next_cycle(self) -> None:
        super().start_next_cycle()
        # A pipelined request may already be buffered: its head is judged from the start.
        self._scanner = HeadScanner()
        self._scanner.feed(self.trailing_data[0])
        self._on_new_cycle()

    def next_event(self) -> Any:
        if self._scanner is not None and self._scanner.problem:
            self._refuse(self._scanner.problem)
        event = super().next_event()
        if isinstance(event, h11.Request):
            self._scanner = None
            names = {name.lower() for name, _ in event.headers}
            if {b"content-length", b"transfer-encoding"} <= names:
                self._refuse("a request with both Content-Length and Transfer-Encoding is refused (RFC 9112, 6.1)")
        return event

    def _refuse(self, message: str) -> None:
        self.refusal = message
        raise h11.RemoteProtocolError(message, error_status_hint=400)


class ConnectionGuard:
    """Open connections per client address, and the limits a new connection is held to."""

    def __init__(self, settings: Settings) -> None:
        self.head_timeout = settings.request_head_timeout
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


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-head deadline, a per-client cap and RFC 9112's refusals."""

    guard: ClassVar[ConnectionGuard]

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        size = config.h11_max_incomplete_event_size or _H11_DEFAULT_HEAD_LIMIT
        self.strict = StrictConnection(size, self._arm_head_deadline)
        self.conn = self.strict
        self._head_deadline: asyncio.TimerHandle | None = None
        self._counted: str | None = None

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
        if self._counted is not None:
            self.guard.release(self._counted)
            self._counted = None
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm_head_deadline()  # the head has arrived (or the connection failed)

    def send_400_response(self, msg: str) -> None:
        # uvicorn's message is generic; name what was refused when it is ours.
        log.warning("request refused: %s", self.strict.refusal or msg)
        super().send_400_response(self.strict.refusal or msg)

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        self._head_deadline = self.loop.call_later(self.guard.head_timeout, self._head_deadline_passed)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_deadline_passed(self) -> None:
        self._head_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        self._close_with(408, f"the request head did not arrive within {self.guard.head_timeout:g} s")

    def _close_with(self, status: int, message: str) -> None:
        """Answer ``status`` with ``message`` outside h11 (no request was read) and close the connection."""
        body = f"{message}\n".encode()
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        self.transport.write(head.encode() + body)
        self.transport.close()


def guarded_protocol(settings: Settings) -> type[GuardedH11Protocol]:
    """A :class:`GuardedH11Protocol` class holding the limits of ``settings`` (uvicorn's ``http=``)."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"guard": ConnectionGuard(settings)})
