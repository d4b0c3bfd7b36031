"""HTTP content negotiation: parse ``Accept`` with q-values and pick the best offer.

>>> best_match("text/turtle;q=0.5, application/ld+json", ["text/turtle", "application/ld+json"])
'application/ld+json'
>>> best_match("text/*", ["application/ld+json", "text/turtle"])
'text/turtle'
>>> best_match("image/png", ["text/turtle"]) is None
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    """One entry of an ``Accept`` header."""

    type: str
    subtype: str
    q: float
    order: int

    def matches(self, media_type: str) -> bool:
        t, _, s = media_type.partition("/")
        return self.type in ("*", t) and self.subtype in ("*", s)

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; a missing or empty header accepts anything.

    A malformed range (no ``type/subtype``, or a ``q`` that is not a number) is ignored, and a
    header with no well-formed range at all counts as absent (RFC 9110, 12.5.1 lets a server
    disregard it) rather than refusing everything. A bare ``*``, which old clients send, is ``*/*``.

    >>> [(r.type, r.subtype, r.q) for r in parse_accept("text/turtle;q=abc, application/json;q=0.5")]
    [('application', 'json', 0.5)]
    >>> [(r.type, r.subtype) for r in parse_accept("garbage")]
    [('*', '*')]
    """
    everything = [MediaRange("*", "*", 1.0, 0)]
    if not header or not header.strip():
        return everything
    ranges = []
    for order, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media, params = fields[0].lower(), fields[1:]
        t, slash, s = ("*/*" if media == "*" else media).partition("/")
        q = _quality(params)
        if slash and t and s and q is not None:
            ranges.append(MediaRange(t, s, q, order))
    return ranges or everything


def _quality(params: list[str]) -> float | None:
    """The ``q`` of a range's parameters (1 if absent, clamped to 0…1); ``None`` if it is not a number."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                return None
            return min(max(q, 0.0), 1.0) if math.isfinite(q) else None
    return 1.0


def best_match(header: str | None, offers: list[str]) -> str | None:
    """The offer the client prefers most (ties go to the earlier offer); ``None`` if none is acceptable."""
    ranges = parse_accept(header)
    best: tuple[float, int, int] | None = None
    chosen = None
    for index, offer in enumerate(offers):
        matching = [r for r in ranges if r.matches(offer)]
        if not matching:
            continue
        # The most specific range that matches decides the quality of this offer (RFC 9110, 12.5.1).
        top = max(matching, key=lambda r: (r.specificity, -r.order))
        if top.q <= 0:
            continue
        key = (top.q, top.specificity, -index)
        if best is None or key > best:
            best, chosen = key, offer
    return chosen
