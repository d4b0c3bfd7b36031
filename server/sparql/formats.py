"""The formats a query result can be sent in, and how one is chosen.

A query's *form* decides what it can be written as: ``SELECT`` solutions as SPARQL
results in JSON, XML, CSV or TSV; an ``ASK`` boolean as JSON or XML (CSV and TSV
define no boolean); ``CONSTRUCT``/``DESCRIBE`` triples as Turtle, N-Triples, RDF/XML,
JSON-LD, TriG or N-Quads. The client chooses with ``Accept`` (q-values, through
:mod:`ilrs.server.negotiation`) or, for hand-typed links, with ``format=NAME``, which wins.

>>> choose("solutions", "text/csv;q=0.5, application/sparql-results+xml", None).name
'xml'
>>> choose("graph", None, "json").media_type
'application/ld+json'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Literal

import pyoxigraph as ox

from ilrs.graph.errors import NotAcceptable, UnknownFormat

from ..negotiation import best_match, parse_accept

#: What a query returns: ``SELECT`` solutions, an ``ASK`` boolean, or ``CONSTRUCT``/``DESCRIBE`` triples.
Form = Literal["solutions", "boolean", "graph"]

FORM_NAMES: dict[Form, str] = {"solutions": "SELECT", "boolean": "ASK", "graph": "CONSTRUCT or DESCRIBE"}


@dataclass(frozen=True)
class Format:
    """One serialization: its ``format=`` name, media types, and pyoxigraph writer."""

    name: str
    writer: ox.QueryResultsFormat | ox.RdfFormat
    #: Further media types that select this format in ``Accept`` (answered with :attr:`media_type`).
    also: tuple[str, ...] = ()
    label: str = field(default="", compare=False)
    #: The format's IRI, where pyoxigraph's is not the one http://www.w3.org/ns/formats/ lists.
    format_iri: str | None = field(default=None, compare=False)

    @property
    def media_type(self) -> str:
        """The canonical media type, without parameters."""
        return self.writer.media_type.split(";")[0].strip()

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` sent: text formats name their charset (always UTF-8)."""
        return f"{self.media_type}; charset=utf-8" if self.media_type.startswith("text/") else self.media_type

    @property
    def iri(self) -> str:
        """The format's IRI under ``http://www.w3.org/ns/formats/`` (used by the service description)."""
        return self.format_iri or self.writer.iri

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.also)

    def write(
        self,
        result: ox.QuerySolutions | ox.QueryBoolean | Iterable[ox.Triple],
        output: IO[bytes],
        prefixes: Mapping[str, str] | None = None,
    ) -> None:
        """Serialize ``result`` (of a form this format supports) into ``output``; ``prefixes`` abbreviate IRIs."""
        if isinstance(self.writer, ox.QueryResultsFormat):
            assert isinstance(result, ox.QuerySolutions | ox.QueryBoolean)
            result.serialize(output, format=self.writer)
        else:
            assert not isinstance(result, ox.QuerySolutions | ox.QueryBoolean)
            ox.serialize(result, output, format=self.writer, prefixes=dict(prefixes or {}) or None)


JSON = Format("json", ox.QueryResultsFormat.JSON, ("application/json",), "SPARQL results JSON")
XML = Format("xml", ox.QueryResultsFormat.XML, ("application/xml",), "SPARQL results XML")
CSV = Format("csv", ox.QueryResultsFormat.CSV, (), "SPARQL results CSV")
TSV = Format("tsv", ox.QueryResultsFormat.TSV, (), "SPARQL results TSV")
TURTLE = Format("turtle", ox.RdfFormat.TURTLE, ("application/x-turtle",), "Turtle")
NTRIPLES = Format("ntriples", ox.RdfFormat.N_TRIPLES, (), "N-Triples")
RDFXML = Format("rdfxml", ox.RdfFormat.RDF_XML, ("application/xml",), "RDF/XML")
JSONLD = Format(
    "jsonld", ox.RdfFormat.JSON_LD, ("application/json",), "JSON-LD", "http://www.w3.org/ns/formats/JSON-LD"
)
TRIG = Format("trig", ox.RdfFormat.TRIG, (), "TriG")
NQUADS = Format("nquads", ox.RdfFormat.N_QUADS, (), "N-Quads")

#: The formats of each query form; the first is the default (``Accept: */*`` or none).
OFFERS: dict[Form, tuple[Format, ...]] = {
    "solutions": (JSON, XML, CSV, TSV),
    "boolean": (JSON, XML),
    "graph": (TURTLE, NTRIPLES, RDFXML, JSONLD, TRIG, NQUADS),
}

#: Every format, each once.
ALL_FORMATS: tuple[Format, ...] = tuple(dict.fromkeys(f for offers in OFFERS.values() for f in offers))

# ``format=`` values beside the names above: the short names other endpoints and SPARQLWrapper send.
# "json" and "xml" mean the JSON or XML serialization of whatever the query returns.
_ALIASES: dict[str, dict[Form, Format]] = {
    "json": {"solutions": JSON, "boolean": JSON, "graph": JSONLD},
    "xml": {"solutions": XML, "boolean": XML, "graph": RDFXML},
    "ttl": {"graph": TURTLE},
    "nt": {"graph": NTRIPLES},
    "n-triples": {"graph": NTRIPLES},
    "rdf": {"graph": RDFXML},
    "rdf+xml": {"graph": RDFXML},
    "json-ld": {"graph": JSONLD},
    "nq": {"graph": NQUADS},
    "n-quads": {"graph": NQUADS},
}


def _not_acceptable(form: Form, offers: tuple[Format, ...]) -> NotAcceptable:
    """No format of the query's form is acceptable to the client."""
    listed = ", ".join(f"{f.media_type} (format={f.name})" for f in offers)
    message = f"a {FORM_NAMES[form]} result is available as {listed}; none of them is acceptable"
    return NotAcceptable(message, available=[f.media_type for f in offers])


def format_names() -> list[str]:
    """Every accepted ``format=`` value, canonical names first."""
    return [*(f.name for f in ALL_FORMATS), *(a for a in _ALIASES if a not in {f.name for f in ALL_FORMATS})]


def lookup(name: str) -> dict[Form, Format]:
    """The format a ``format=`` value selects for each form it applies to; :class:`UnknownFormat` if none.

    A media type (``format=text/csv``) works as well as a name.
    """
    key = name.strip().lower()
    if key in _ALIASES:
        return dict(_ALIASES[key])
    found: dict[Form, Format] = {}
    for form, offers in OFFERS.items():
        for f in offers:
            if key == f.name or key == f.media_type:
                found[form] = f
    if not found:
        raise UnknownFormat(f"unknown format {name!r}; use one of {', '.join(format_names())} (or a media type)")
    return found


def choose(form: Form, accept: str | None, name: str | None) -> Format:
    """The format to write a result of ``form`` in: ``name`` (a ``format=`` value) if given, else by ``accept``.

    Raises :class:`NotAcceptable` when nothing fits, :class:`UnknownFormat` for an unknown ``name``.
    """
    offers = OFFERS[form]
    if name is not None:
        chosen = lookup(name).get(form)
        if chosen is None:
            raise _not_acceptable(form, offers)
        return chosen
    candidates = competing_media_types(accept, offers)
    media_type = best_match(accept, list(candidates))
    if media_type is None:
        raise _not_acceptable(form, offers)
    return candidates[media_type]


def competing_media_types(accept: str | None, offers: Sequence[Format]) -> dict[str, Format]:
    """The media type each of ``offers`` competes under in ``accept``, in the order of ``offers``.

    A format competes under its own media type if ``accept`` covers it at all — so that
    ``application/sparql-results+json;q=0`` refuses JSON outright — and else under an alias that
    ``accept`` names (``application/json``); a format ``accept`` does not name is left out. The
    negotiation proper, q-values and all, is :func:`~ilrs.server.negotiation.best_match`'s.
    """
    ranges = parse_accept(accept)
    candidates: dict[str, Format] = {}
    for f in offers:
        named = [m for m in f.media_types if any(r.matches(m) for r in ranges)]
        if named:
            candidates.setdefault(named[0], f)
    return candidates
