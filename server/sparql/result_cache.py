"""Finished query results kept in memory, so that a query asked again is answered without evaluating it.

An entry is keyed by everything its bytes depend on — the normalised query text, the dataset the
request names (``default-graph-uri``/``named-graph-uri``, the union default graph, the base IRI),
the result format, and the dataset version — so a change of the data can never be answered from
the cache: entries of any other version are dropped the first time a new one is seen. Only whole
results of deterministic queries are kept (see :attr:`~ilrs.graph.query_analysis.QueryFacts.deterministic`),
and the cache holds at most ``capacity`` bytes, the least recently used entries going first.

A result is kept the first time only if it took :data:`EXPENSIVE` seconds or more to compute; a quicker one is
kept from the second time its query is asked (:mod:`..admission`). A result kept the first time waits on
probation, in a share of the cache of its own (:data:`PROBATION`, at least one entry's worth), and joins the
rest once asked for again; one asked for again before it is kept goes there at once. Queries that differ on
every request — a client numbering them, a crawler, a benchmark — then neither fill the cache nor push out
the results asked for again, however long they take, and a query asked again right after a long evaluation is
still answered at once.

The key's digest is also the result's strong ``ETag``: a client that revalidates with
``If-None-Match`` gets 304 while the version lasts, without the query being evaluated.

It is used from the event loop only, so it takes no lock.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from .. import metrics
from ..admission import SeenOnce

#: Seconds of evaluation from which a result is kept the first time it is computed.
EXPENSIVE = 0.05
#: The share of the cache's bytes that results kept the first time may hold until asked for again.
PROBATION = 1 / 8


@dataclass(frozen=True)
class CachedResult:
    """A whole result: its content type and its bytes."""

    content_type: str
    body: bytes


@dataclass(frozen=True)
class ResultKey:
    """What a result's bytes depend on, for one dataset version."""

    version: str
    digest: str

    @classmethod
    def of(
        cls,
        version: str,
        query: str,
        *,
        dataset: tuple[list[str] | None, list[str] | None, bool],
        base_iri: str,
        result_format: str,
    ) -> ResultKey:
        """The key of ``query`` (normalised) asked of ``dataset`` (default graphs, named graphs, union) in a format.

        ``result_format`` is the chosen format's name, or — when the format can only be chosen once the
        query has run — whatever it will be chosen from (the ``Accept`` header and ``format=`` values).
        """
        parts = json.dumps([query, *dataset, base_iri, result_format], ensure_ascii=False)
        return cls(version, hashlib.sha256(parts.encode()).hexdigest()[:32])

    @property
    def etag(self) -> str:
        """The strong entity tag of the result this key names."""
        return f'"{self.version}-{self.digest}"'


class ResultCache:
    """A bounded, least-recently-used map of :class:`ResultKey` to :class:`CachedResult` of one dataset version,
    with a probation share for results not asked for again yet (see the module documentation)."""

    def __init__(self, capacity: int, max_entry: int | None = None, *, expensive: float = EXPENSIVE) -> None:
        #: Bytes the cache may hold (0 turns it off); no entry is larger than ``max_entry``.
        self.capacity = capacity
        self.max_entry = min(capacity, max_entry if max_entry is not None else max(capacity // 8, 1))
        #: Bytes the results on probation may hold.
        self.probation = max(int(capacity * PROBATION), self.max_entry)
        #: Seconds of evaluation from which a result is kept the first time (0: every result is).
        self.expensive = expensive
        self._asked = SeenOnce()
        self._entries: OrderedDict[str, CachedResult] = OrderedDict()
        self._on_probation: OrderedDict[str, CachedResult] = OrderedDict()
        self._version: str | None = None
        self._size = 0
        self._probation_size = 0

    def __len__(self) -> int:
        return len(self._entries) + len(self._on_probation)

    @property
    def size(self) -> int:
        """Bytes held."""
        return self._size + self._probation_size

    def get(self, key: ResultKey) -> CachedResult | None:
        """The result kept under ``key``, if any (one on probation joins the others)."""
        entry = None
        if key.version == self._version:
            entry = self._entries.get(key.digest)
            if entry is not None:
                self._entries.move_to_end(key.digest)
            elif (entry := self._on_probation.pop(key.digest, None)) is not None:
                self._probation_size -= len(entry.body)
                self._keep(key.digest, entry)
        metrics.cache_lookup(entry is not None)
        return entry

    def put(self, key: ResultKey, result: CachedResult, cost: float = 0.0) -> None:
        """Keep ``result``, which took ``cost`` seconds to compute, if it is admitted (see the module
        documentation) and not larger than :attr:`max_entry`; a new version empties the cache first."""
        if key.version != self._version:
            self._entries.clear()
            self._on_probation.clear()
            self._asked.clear()
            self._size = self._probation_size = 0
            self._version = key.version
        if len(result.body) > self.max_entry or not self.capacity:
            return
        again = not self._asked.first_time(key.digest)
        if again or key.digest in self._entries:
            self._forget(key.digest)
            self._keep(key.digest, result)
        elif cost >= self.expensive:
            self._forget(key.digest)
            self._on_probation[key.digest] = result
            self._probation_size += len(result.body)
            self._shrink()

    def _keep(self, digest: str, result: CachedResult) -> None:
        self._entries[digest] = result
        self._size += len(result.body)
        self._shrink()

    def _forget(self, digest: str) -> None:
        if (previous := self._entries.pop(digest, None)) is not None:
            self._size -= len(previous.body)
        if (previous := self._on_probation.pop(digest, None)) is not None:
            self._probation_size -= len(previous.body)

    def _shrink(self) -> None:
        """Drop the least recently used results until both bounds hold: those on probation go first."""
        while self._on_probation and (
            self._probation_size > self.probation or self._size + self._probation_size > self.capacity
        ):
            _, dropped = self._on_probation.popitem(last=False)
            self._probation_size -= len(dropped.body)
        while self._size > self.capacity:
            _, dropped = self._entries.popitem(last=False)
            self._size -= len(dropped.body)

    async def recording(
        self, key: ResultKey, content_type: str, chunks: AsyncIterable[bytes], started: float
    ) -> AsyncIterator[bytes]:
        """Pass ``chunks`` on, and :meth:`put` the result once it has been passed on whole (and is small enough),
        as costing the seconds since ``started`` (a :func:`time.perf_counter` reading)."""
        kept: list[bytes] | None = []
        size = 0
        async for chunk in chunks:
            yield chunk
            if kept is not None:
                size += len(chunk)
                if size > self.max_entry:
                    kept = None
                else:
                    kept.append(chunk)
        if kept is not None:
            self.put(key, CachedResult(content_type, b"".join(kept)), time.perf_counter() - started)
