"""Limits on the size of one query result: how many rows (solutions, or triples) and how many bytes.

A careless cartesian product can stream gigabytes before its deadline. :class:`ResultMeter`
counts what a result has produced and raises :class:`~ilrs.graph.errors.ResultTooLarge` as soon
as it would pass a limit; the endpoint then answers with an error if the response has not started,
and otherwise ends it unfinished, as at a deadline, so that no client takes the cut result for a
whole one.

Solutions are counted in the serialized text, by format: pyoxigraph writes a whole result at
once, so the rows are read back from its output — exactly, and at the speed of ``bytes.count``
(strings are stepped over, so a literal that looks like a row counts for nothing). No format writes
a row in less than a byte, so a result is read back only once it has more bytes than ``max_rows``:
most results never are. Triples are counted as they are handed to the writer.

>>> counter = JsonRows()
>>> counter.feed(b'{"head":{"vars":["s"]},"results":{"bindings":[{"s":{"type":"literal","value":",{\\\\"')
1
>>> counter.feed(b'"}},{}]}}')  # the string goes on; then an empty row
1
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

from ilrs.graph import formats
from ilrs.graph.errors import ResultTooLarge

T = TypeVar("T")


class RowCounter(Protocol):
    """Counts the rows of a serialized result, fed in consecutive pieces."""

    def feed(self, data: bytes) -> int:
        """How many rows start (or end) in ``data``, given everything fed before."""
        ...


class XmlRows:
    """SPARQL XML: one ``<result>`` element per row (``<`` in text and attributes is always escaped)."""

    _MARK = b"<result>"

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, data: bytes) -> int:
        text = self._tail + data
        self._tail = text[-(len(self._MARK) - 1) :]  # too short to hold a whole mark: never counted twice
        return text.count(self._MARK)


class JsonRows:
    """SPARQL JSON: a row is an object that opens right after the ``[`` or ``,`` of the bindings array.

    Outside strings, no other object follows a ``[`` or a ``,``; strings (which may hold anything) are
    removed first, and one cut by the end of a piece is carried over to the next.
    """

    # A run of plain characters at a time, then an escape: the same strings as "(?:[^"\\]|\\[\s\S])*", read in
    # half the time (a result's strings are most of its text).
    _STRING = re.compile(rb'"[^"\\]*(?:\\[\s\S][^"\\]*)*"')

    def __init__(self) -> None:
        self._carry = b""

    def feed(self, data: bytes) -> int:
        text = self._carry + data
        outside = self._STRING.sub(b"", text)
        unfinished = outside.find(b'"')
        if unfinished >= 0:
            # The rest of the piece is inside a string: keep its opening quote and a pending escape, if any.
            content = text[len(text) - (len(outside) - unfinished) + 1 :]
            pending = (len(content) - len(content.rstrip(b"\\"))) % 2
            self._carry = b'"' + b"\\" * pending
            outside = outside[:unfinished]
        elif text.endswith((b",", b"[")):
            self._carry, outside = text[-1:], outside[:-1]
        else:
            self._carry = b""
        return outside.count(b",{") + outside.count(b"[{")


class LineRows:
    """CSV and TSV: one row per line after the header. A CSV field in quotes may hold line breaks."""

    def __init__(self, quoted: bool) -> None:
        self._quoted = quoted
        self._in_quotes = False
        self._header = True

    def feed(self, data: bytes) -> int:
        if not self._quoted:
            lines = data.count(b"\n")
        else:
            lines = 0
            for index, part in enumerate(data.split(b'"')):  # an escaped quote ("") toggles twice
                if index:
                    self._in_quotes = not self._in_quotes
                if not self._in_quotes:
                    lines += part.count(b"\n")
        if self._header and lines:
            self._header, lines = False, lines - 1
        return lines


def row_counter(fmt: formats.Format) -> RowCounter | None:
    """The counter of ``fmt``'s rows, for a ``SELECT`` result; ``None`` for a format without rows."""
    if fmt is formats.JSON:
        return JsonRows()
    if fmt is formats.XML:
        return XmlRows()
    if fmt in (formats.CSV, formats.TSV):
        return LineRows(quoted=fmt is formats.CSV)
    return None


class ResultMeter:
    """Keeps count of one result against ``max_rows`` and ``max_bytes`` (``None``: no limit)."""

    def __init__(self, max_rows: int | None, max_bytes: int | None, counter: RowCounter | None = None) -> None:
        self._max_rows = max_rows
        self._max_bytes = max_bytes
        self._counter = counter if max_rows is not None else None
        self._unread: list[bytes] = []
        self._unread_bytes = max_rows or 0
        #: Rows counted so far. A serialized result's rows are read back only once it could have too many.
        self.rows = 0
        self.bytes = 0

    def check(self, chunk: bytes) -> None:
        """Count ``chunk`` before it is sent; :class:`ResultTooLarge` if it would pass a limit."""
        self.bytes += len(chunk)
        if self._max_bytes is not None and self.bytes > self._max_bytes:
            raise ResultTooLarge(
                f"the result is larger than {self._max_bytes} bytes, the most one result may be here "
                "(max_result_bytes): add a LIMIT, or narrow the query"
            )
        if self._counter is None:
            return
        self._unread.append(chunk)
        # No format writes a row in less than a byte: a result of at most max_rows bytes cannot have too many
        # rows, and most results are that small. Past that size, its rows are read back from its first byte on.
        if self.bytes <= self._unread_bytes:
            return
        for piece in self._unread:
            self._add_rows(self._counter.feed(piece), "rows")
        self._unread.clear()

    def counted(self, items: Iterable[T], unit: str = "triples") -> Iterator[T]:
        """``items``, each counted as a row as it is taken; :class:`ResultTooLarge` past the limit."""
        for item in items:
            self._add_rows(1, unit)
            yield item

    def _add_rows(self, rows: int, unit: str) -> None:
        self.rows += rows
        if self._max_rows is not None and self.rows > self._max_rows:
            raise ResultTooLarge(
                f"the result has more than {self._max_rows} {unit}, the most one result may have here "
                "(max_result_rows): add a LIMIT, or narrow the query"
            )
