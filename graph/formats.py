"""Every format the project writes, defined once, and how a client's choice among them is read.

A :class:`Format` names a serialization: its media types, the short names clients send for it
(``format=``/``output=``/``results=`` values, ``ilrs --format``), its file extensions, the
pyoxigraph writer, and which query forms it can carry — ``SELECT`` solutions, an ``ASK``
boolean, ``CONSTRUCT``/``DESCRIBE`` triples. The SPARQL endpoint, the linked-data pages, the
service description, the dataset description, ``ilrs query`` and ``ilrs export`` all offer
subsets of :data:`FORMATS`; :func:`negotiate` picks one of an offer for a request.

A request says what it wants in three ways, strongest first: a file extension of the path
(``/id/country/PK.ttl``), parameter values (``format=json-ld``, repeated or comma-separated:
the first one that names an offered format wins), and ``Accept`` with q-values. A short name
may mean different formats for different offers: ``json`` is SPARQL JSON for a ``SELECT`` and
JSON-LD for a ``CONSTRUCT``, ``xml`` SPARQL XML or RDF/XML.

>>> negotiate(OFFERS["solutions"], "text/csv;q=0.5, application/sparql-results+xml").format.name
'xml'
>>> negotiate(OFFERS["graph"], None, ["json-ld", "application/ld+json,application/x-json+ld"]).format.name
'jsonld'
>>> negotiate(OFFERS["graph"], "application/json, */*;q=0.1").media_type
'application/json'
>>> negotiate(OFFERS["solutions"], "*/*", ["turtle"]).format.name  # turtle cannot carry a SELECT: Accept decides
'json'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Literal

import pyoxigraph as ox

from .errors import NotAcceptable, NotFound, UnknownFormat

#: What a query returns: ``SELECT`` solutions, an ``ASK`` boolean, or ``CONSTRUCT``/``DESCRIBE`` triples.
Form = Literal["solutions", "boolean", "graph"]

FORM_NAMES: dict[Form, str] = {"solutions": "SELECT", "boolean": "ASK", "graph": "CONSTRUCT or DESCRIBE"}


def result_of(form: Form) -> str:
    """``"a SELECT result"``, ``"an ASK result"``: how a message names the result of ``form``."""
    return f"{'an' if form == 'boolean' else 'a'} {FORM_NAMES[form]} result"


_GRAPH: frozenset[Form] = frozenset({"graph"})
#: How a request selects an offer beside ``Accept``: a ``format=`` parameter, or an extension of the path.
Listing = Literal["format", "extension"]


@dataclass(frozen=True)
class Format:
    """One serialization; see the module documentation."""

    #: The canonical short name (``format=NAME``, ``ilrs --format NAME``).
    name: str
    label: str
    #: The canonical media type, without parameters; responses are sent with it.
    media_type: str
    #: pyoxigraph's writer (``None`` for HTML, which templates write).
    writer: ox.QueryResultsFormat | ox.RdfFormat | None
    #: The query forms whose results it can carry.
    forms: frozenset[Form] = frozenset()
    #: Further media types that select it (in ``Accept`` and in ``format=``).
    also: tuple[str, ...] = ()
    #: Further short names that select it: the ones other endpoints and client libraries use.
    aliases: tuple[str, ...] = ()
    #: File extensions, the preferred one first.
    extensions: tuple[str, ...] = ()
    #: The format's IRI, where pyoxigraph's is not the one http://www.w3.org/ns/formats/ lists.
    format_iri: str | None = field(default=None, compare=False)
    #: Whether ``Content-Type`` names the charset (always UTF-8): every ``text/*`` format, and line-based ones.
    charset: bool = field(default=False, compare=False)

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` sent."""
        return f"{self.media_type}; charset=utf-8" if self.charset else self.media_type

    @property
    def iri(self) -> str:
        """The format's IRI under ``http://www.w3.org/ns/formats/`` (used by the service description)."""
        if self.format_iri is not None:
            return self.format_iri
        assert self.writer is not None, f"{self.name} has no format IRI"
        return self.writer.iri

    @property
    def media_types(self) -> tuple[str, ...]:
        """Every media type that selects it, the canonical one first."""
        return (self.media_type, *self.also)

    @property
    def names(self) -> tuple[str, ...]:
        """Every short name that selects it, the canonical one first."""
        return (self.name, *self.aliases)

    @property
    def holds_datasets(self) -> bool:
        """Whether it can hold named graphs (a whole dataset), not only triples."""
        return isinstance(self.writer, ox.RdfFormat) and self.writer.supports_datasets

    def selected_by(self, value: str) -> bool:
        """Whether a parameter value (a short name or a media type, any case) names this format."""
        key = value.strip().lower()
        return key in self.names or key in self.media_types

    def write(
        self,
        result: ox.QuerySolutions | ox.QueryBoolean | Iterable[ox.Triple] | Iterable[ox.Quad],
        output: IO[bytes],
        prefixes: Mapping[str, str] | None = None,
    ) -> None:
        """Serialize ``result`` (of a form this format supports) into ``output``; ``prefixes`` abbreviate IRIs."""
        if isinstance(self.writer, ox.QueryResultsFormat):
            assert isinstance(result, ox.QuerySolutions | ox.QueryBoolean)
            result.serialize(output, format=self.writer)
        elif isinstance(self.writer, ox.RdfFormat):
            assert not isinstance(result, ox.QuerySolutions | ox.QueryBoolean)
            ox.serialize(result, output, format=self.writer, prefixes=dict(prefixes or {}) or None)
        else:
            raise TypeError(f"{self.label} is not written by a serializer")


_RESULTS: frozenset[Form] = frozenset({"solutions", "boolean"})

JSON = Format(
    "json",
    "SPARQL results JSON",
    "application/sparql-results+json",
    ox.QueryResultsFormat.JSON,
    _RESULTS,
    also=("application/json",),
    aliases=("srj",),
    extensions=("json", "srj"),
)
XML = Format(
    "xml",
    "SPARQL results XML",
    "application/sparql-results+xml",
    ox.QueryResultsFormat.XML,
    _RESULTS,
    also=("application/xml",),
    aliases=("srx",),
    extensions=("xml", "srx"),
)
CSV = Format(
    "csv",
    "SPARQL results CSV",
    "text/csv",
    ox.QueryResultsFormat.CSV,
    frozenset({"solutions"}),
    extensions=("csv",),
    charset=True,
)
TSV = Format(
    "tsv",
    "SPARQL results TSV",
    "text/tab-separated-values",
    ox.QueryResultsFormat.TSV,
    frozenset({"solutions"}),
    extensions=("tsv",),
    charset=True,
)
# Every Turtle document is an N3 document: clients asking for N3 (SPARQLWrapper's N3) get Turtle.
TURTLE = Format(
    "turtle",
    "Turtle",
    "text/turtle",
    ox.RdfFormat.TURTLE,
    _GRAPH,
    also=("application/x-turtle", "application/turtle", "text/n3", "text/rdf+n3", "application/n3"),
    aliases=("ttl", "n3"),
    extensions=("ttl",),
    charset=True,
)
NTRIPLES = Format(
    "ntriples",
    "N-Triples",
    "application/n-triples",
    ox.RdfFormat.N_TRIPLES,
    _GRAPH,
    aliases=("nt", "n-triples"),
    extensions=("nt",),
    charset=True,
)
RDFXML = Format(
    "rdfxml",
    "RDF/XML",
    "application/rdf+xml",
    ox.RdfFormat.RDF_XML,
    _GRAPH,
    also=("application/xml",),
    aliases=("rdf+xml", "rdf", "xml"),
    extensions=("rdf",),
)
JSONLD = Format(
    "jsonld",
    "JSON-LD",
    "application/ld+json",
    ox.RdfFormat.JSON_LD,
    _GRAPH,
    also=("application/json", "application/x-json+ld"),
    aliases=("json-ld", "json"),
    extensions=("jsonld",),
    format_iri="http://www.w3.org/ns/formats/JSON-LD",
)
TRIG = Format("trig", "TriG", "application/trig", ox.RdfFormat.TRIG, _GRAPH, extensions=("trig",))
NQUADS = Format(
    "nquads",
    "N-Quads",
    "application/n-quads",
    ox.RdfFormat.N_QUADS,
    _GRAPH,
    aliases=("nq", "n-quads"),
    extensions=("nq",),
    charset=True,
)
#: The page for people: written by templates, not by a serializer.
HTML = Format("html", "HTML", "text/html", None, extensions=("html",), charset=True)

#: Every format, each once.
FORMATS: tuple[Format, ...] = (JSON, XML, CSV, TSV, TURTLE, NTRIPLES, RDFXML, JSONLD, TRIG, NQUADS, HTML)

#: The formats of each query form; the first is the default (``Accept: */*`` or none).
OFFERS: dict[Form, tuple[Format, ...]] = {
    form: tuple(f for f in FORMATS if form in f.forms) for form in ("solutions", "boolean", "graph")
}
#: The formats of a query result, each once (the service description lists them).
RESULT_FORMATS: tuple[Format, ...] = tuple(f for f in FORMATS if f.forms)
#: What the query editor offers to download: the formats of a result table, and the common graph formats.
DOWNLOADS: dict[str, tuple[Format, ...]] = {
    "results": (CSV, TSV, JSON, XML),
    "graph": (TURTLE, NTRIPLES, JSONLD, RDFXML),
}
#: The formats that hold a whole dataset, every named graph kept.
DATASET_FORMATS: tuple[Format, ...] = tuple(f for f in FORMATS if f.holds_datasets)


def form_of(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> Form:
    """Which form of query produced ``result``."""
    if isinstance(result, ox.QuerySolutions):
        return "solutions"
    if isinstance(result, ox.QueryBoolean):
        return "boolean"
    return "graph"


def by_name(name: str, offers: Iterable[Format] = FORMATS) -> Format:
    """The format of ``offers`` that ``name`` (a short name or media type) selects; :class:`UnknownFormat` if none."""
    offered = list(offers)
    for fmt in offered:
        if fmt.selected_by(name):
            return fmt
    names = ", ".join(f.name for f in offered)
    raise UnknownFormat(f"unknown format {name!r}; use one of {names}")


def is_format_name(value: str) -> bool:
    """Whether ``value`` names any format of the registry (by short name or media type)."""
    return any(f.selected_by(value) for f in FORMATS)


def by_extension(extension: str, offers: Iterable[Format] = FORMATS) -> Format | None:
    """The format of ``offers`` that a file extension (``ttl``, without the dot) stands for."""
    key = extension.lower()
    return next((f for f in offers if key in f.extensions), None)


# --- negotiation -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """The outcome of :func:`negotiate`.

    ``media_type`` is the one the request named (``application/json`` for JSON-LD asked for as plain
    JSON); ``negotiated`` is whether ``Accept`` decided, so that the response must say ``Vary: Accept``.
    """

    format: Format
    media_type: str
    negotiated: bool


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


def _decisive(ranges: Sequence[MediaRange], media_type: str) -> MediaRange | None:
    """The range of ``ranges`` that decides the quality of ``media_type``: the most specific match (RFC 9110)."""
    matching = [r for r in ranges if r.matches(media_type)]
    return max(matching, key=lambda r: (r.specificity, -r.order)) if matching else None


def by_accept(accept: str | None, offers: Sequence[Format]) -> Choice | None:
    """The offer ``accept`` prefers most (ties go to the earlier offer); ``None`` if none is acceptable.

    A format is judged by the most specific range that names any of its media types: ``application/json``
    selects JSON-LD among graph formats even beside ``*/*;q=0.1``, while ``text/turtle;q=0`` refuses
    Turtle outright, whatever a broader range says of its other media types.

    >>> by_accept("text/*", [JSONLD, TURTLE]).format.name
    'turtle'
    >>> by_accept("image/png", [TURTLE]) is None
    True
    """
    ranges = parse_accept(accept)
    best: tuple[float, int, int] | None = None
    chosen: Choice | None = None
    for index, fmt in enumerate(offers):
        decided = [(r, m) for m in fmt.media_types if (r := _decisive(ranges, m)) is not None]
        if not decided:
            continue
        # The most specific mention of any of its media types decides; at equal specificity, the canonical one.
        top, media_type = max(decided, key=lambda pair: pair[0].specificity)
        if top.q <= 0:
            continue
        key = (top.q, top.specificity, -index)
        if best is None or key > best:
            best, chosen = key, Choice(fmt, media_type, negotiated=True)
    return chosen


def requested_values(values: Iterable[str]) -> list[str]:
    """Parameter values as clients send them, one name or media type each, in order.

    SPARQLWrapper repeats ``format``, ``output`` and ``results`` and puts comma-separated media-type
    lists in them, or nothing at all; media-type parameters (``;charset=…``) do not matter here.

    >>> requested_values(["json-ld", "application/ld+json,application/x-json+ld", ""])
    ['json-ld', 'application/ld+json', 'application/x-json+ld']
    """
    out = []
    for value in values:
        for part in value.split(","):
            name = part.split(";")[0].strip().lower()
            if name:
                out.append(name)
    return out


def negotiate(
    offers: Sequence[Format],
    accept: str | None,
    requested: Iterable[str] = (),
    *,
    extension: str | None = None,
    subject: str = "this resource",
    listing: Listing = "format",
) -> Choice:
    """The format of ``offers`` to answer with.

    ``extension`` (of the path), if given, decides alone. Otherwise the first of the ``requested``
    values (``format=``/``output=``/``results=``, see :func:`requested_values`) that names an offered
    format wins; when none does, ``accept`` decides. Raises :class:`~.errors.UnknownFormat` when no
    value fits and one of them names no format at all, :class:`~.errors.NotAcceptable` when nothing
    offered is acceptable (``subject`` names what is on offer in its message, ``listing`` how a client
    selects each offer), and :class:`~.errors.NotFound` for an extension that names no offer.
    """
    if extension is not None:
        fmt = by_extension(extension, offers)
        if fmt is None:
            known = ", ".join(f".{f.extensions[0]}" for f in offers if f.extensions)
            raise NotFound(f"no representation .{extension} here: add {known}, or none to choose by Accept")
        return Choice(fmt, fmt.media_type, negotiated=False)
    values = requested_values(requested)
    for value in values:
        fmt = next((f for f in offers if f.selected_by(value)), None)
        if fmt is not None:
            return Choice(fmt, fmt.media_type, negotiated=False)
    unknown = [v for v in values if not is_format_name(v)]
    if unknown:
        names = ", ".join(dict.fromkeys(n for f in FORMATS for n in f.names))
        raise UnknownFormat(f"unknown format {unknown[0]!r}; use one of {names} (or a media type)")
    chosen = by_accept(accept, offers)
    if chosen is None:
        raise not_acceptable(offers, subject, listing)
    return chosen


def not_acceptable(offers: Sequence[Format], subject: str, listing: Listing = "format") -> NotAcceptable:
    """The :class:`~.errors.NotAcceptable` for ``offers``, listing each with the name or extension that selects it."""
    listed = ", ".join(
        f"{f.media_type} (format={f.name})" if listing == "format" else f"{f.media_type} (.{f.extensions[0]})"
        for f in offers
    )
    message = f"{subject} is available as {listed}; none of them is acceptable"
    return NotAcceptable(message, available=[f.media_type for f in offers])
