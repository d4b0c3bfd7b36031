"""Text that is not valid UTF-8 is refused, never silently repaired.

URLs and form bodies are percent-encoded: ``%FF%FE`` decodes to two bytes that begin no UTF-8
character, which a lenient decoder would turn into U+FFFD and pass on as if the client had
written it. Every request's path and query string are checked here, as plain ASGI middleware
(:class:`Utf8Middleware`), before any route sees them; the SPARQL endpoint checks its bodies
with :func:`utf8_problem` as it reads them. The answer is a 400 that names the offending byte,
where it was written and, in a query string or form, the parameter it belongs to: one line of text
for ``/sparql``, problem details (:mod:`.problems`) everywhere else.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ilrs.graph.errors import InputError

from .problems import error_response

_ESCAPE = re.compile(rb"%[0-9A-Fa-f]{2}")
#: An escape of a byte above 0x7F: only those can make a percent-encoded ASCII text decode to something not UTF-8.
_HIGH_ESCAPE = re.compile(rb"%[89A-Fa-f][0-9A-Fa-f]")


def utf8_problem(raw: bytes, what: str, *, percent_encoded: bool = False, pairs: bool = False) -> str | None:
    """``None`` if ``raw`` is valid UTF-8 (once percent-decoded, if ``percent_encoded``); else what is wrong.

    The message names the first offending byte, its offset in ``raw`` (counted from 0, as written:
    ``%FF`` is where its ``%`` is) and, for ``name=value&…`` text (``pairs``: a query string, a
    form), the parameter whose name or value holds it.

    >>> utf8_problem(b"query=ASK%20%7B%22%FF%22%7D&format=json", "the query string", percent_encoded=True, pairs=True)
    'the query string is not valid UTF-8: byte 0xFF (written %FF) at offset 18, in the parameter "query"'
    >>> utf8_problem(b"ASK { \\xc3 }", "the body")
    'the body is not valid UTF-8: byte 0xC3 at offset 6'
    >>> utf8_problem("é".encode(), "the body") is None
    True
    """
    if raw.isascii() and (not percent_encoded or _HIGH_ESCAPE.search(raw) is None):
        return None  # ASCII, and every escape stands for an ASCII byte: nothing to decode (the common case)
    decoded = unquote_to_bytes(raw) if percent_encoded else raw
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError as err:
        bad = err.start
    else:
        return None
    offset = _raw_offset(raw, bad) if percent_encoded else bad
    written = raw[offset : offset + 3].decode("ascii") if raw.startswith(b"%", offset) else None
    message = f"{what} is not valid UTF-8: byte 0x{decoded[bad]:02X}"
    message += f" (written {written}) at offset {offset}" if written else f" at offset {offset}"
    if pairs:
        segment = raw[raw.rfind(b"&", 0, offset) + 1 :]
        name = unquote_to_bytes(segment.split(b"&", 1)[0].split(b"=", 1)[0]).decode("utf-8", "replace")
        message += f', in the parameter "{name}"'
    return message


def utf8_valid(raw: bytes) -> bool:
    """Whether percent-encoded ``raw`` (a path, a query string) is valid UTF-8 once decoded."""
    return utf8_problem(raw, "", percent_encoded=True) is None


def _raw_offset(raw: bytes, decoded_offset: int) -> int:
    """Where, in percent-encoded ``raw``, the byte at ``decoded_offset`` of its decoding is written."""
    decoded = written = 0
    for escape in _ESCAPE.finditer(raw):
        plain = escape.start() - written  # bytes copied as they are before this escape
        if decoded + plain > decoded_offset:
            break
        decoded += plain
        if decoded == decoded_offset:
            return escape.start()
        decoded += 1
        written = escape.end()
    return written + (decoded_offset - decoded)


class Utf8Middleware:
    """Answers 400 to a request whose path or query string is not valid UTF-8 once percent-decoded."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = utf8_problem(scope.get("raw_path") or b"", "the path", percent_encoded=True)
            if problem is None:
                query_string = scope.get("query_string", b"")
                problem = utf8_problem(query_string, "the query string", percent_encoded=True, pairs=True)
            if problem is not None:
                # As every refusal of the route would be: one line of text for /sparql, else problem details.
                request = Request(scope)
                plain = request.url.path.startswith("/sparql")
                await error_response(request, InputError(problem), plain_text=plain)(scope, receive, send)
                return
        await self.app(scope, receive, send)
