"""What a query's text says before it runs: the services it calls, and whether it names its dataset.

``SERVICE`` makes the query engine send HTTP requests to any address the query names —
a server-side request forgery if left open — so a query may only call the endpoints in
``Settings.service_allowlist``, and never a ``SERVICE ?variable``.

``FROM``/``FROM NAMED`` must be honoured: the endpoint's default graph is the union of all
named graphs only for a query that names no dataset of its own (the store's union switch
would otherwise override the query's ``FROM``).

Both are read off the parse tree (rdflib's SPARQL 1.1 parser), so that a comment, a string
literal or a ``\\u0053ERVICE`` escape can neither hide a clause nor raise a false alarm. The
parse, pure Python, is skipped for the many queries whose text cannot contain either keyword.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from pyparsing import ParseBaseException, ParseResults
from rdflib.plugins.sparql.parser import expandUnicodeEscapes, parseQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import URIRef, Variable

#: What the endpoint answers when it is sent an update.
READ_ONLY = (
    "this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, COPY, MOVE, ADD) "
    "is not accepted; send a query (SELECT, ASK, CONSTRUCT or DESCRIBE)"
)

# No word boundary before "service": a query engine may take "1SERVICE" as 1 followed by SERVICE.
# (Unicode case-insensitive matching also catches look-alikes such as the long s, a safe superset.)
_SERVICE = re.compile(r"service", re.IGNORECASE)
# FROM only changes which graphs are read, so a cheaper, stricter test is enough ("wasDerivedFrom" needs no parse).
_KEYWORDS = re.compile(r"service|\bfrom\b", re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# Only used to word an error message well, never to decide what runs: see looks_like_update().
_PROLOGUE = re.compile(r"(?:\s|#[^\n]*|BASE\s*<[^>]*>|PREFIX\s*[^\s:]*:\s*<[^>]*>)*", re.IGNORECASE)
_UPDATE_KEYWORD = re.compile(r"(?:INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.IGNORECASE)


class Refused(Exception):
    """The query may not run here; the message says why (sent with status 400)."""


@dataclass(frozen=True)
class QueryFacts:
    """What :func:`analyse` found in a query."""

    #: The IRIs the query calls with ``SERVICE`` (each one allowed).
    services: list[str] = field(default_factory=list)
    #: Whether the query has ``FROM`` or ``FROM NAMED`` (its own dataset).
    declares_dataset: bool = False


def needs_analysis(query: str) -> bool:
    """Whether ``query`` could contain ``SERVICE``, ``FROM`` or ``FROM NAMED`` at all.

    They are keywords, matched without regard to case, and SPARQL expands ``\\uXXXX`` escapes
    before parsing: a query whose expanded text has neither word needs no parse.
    """
    return _mentions(_KEYWORDS, query)


def _mentions(pattern: re.Pattern[str], query: str) -> bool:
    try:
        text = expandUnicodeEscapes(query)
    except ValueError:
        return True  # an invalid escape: let the parser say what is wrong
    return pattern.search(text) is not None


def analyse(query: str, allowlist: Collection[str]) -> QueryFacts:
    """The :class:`QueryFacts` of ``query``; :class:`Refused` unless every ``SERVICE`` IRI is in ``allowlist``.

    A ``SERVICE ?variable`` is always refused (its target is only known at run time), and so is
    a relative service IRI (it would depend on how each parser resolves it).
    """
    if not needs_analysis(query):
        return QueryFacts()
    try:
        parsed = parseQuery(query)
    except (ParseBaseException, ValueError) as err:
        if looks_like_update(query):
            raise Refused(READ_ONLY) from err
        if not _mentions(_SERVICE, query):
            # Only FROM was at stake: let the query engine report the error in its own words.
            return QueryFacts()
        raise Refused(f"invalid query (it was parsed to check its SERVICE calls): {err}") from err
    prefixes = _prefixes(parsed[0])
    called = []
    for node in _service_clauses(parsed):
        iri = _service_iri(node["term"], prefixes)
        if iri not in allowlist:
            allowed = ", ".join(f"<{a}>" for a in allowlist) if allowlist else "none"
            raise Refused(
                f"SERVICE <{iri}> is not allowed: this endpoint only calls the services on its allow-list "
                f"(Settings.service_allowlist; allowed: {allowed})"
            )
        called.append(iri)
    # CompValue.get() answers a missing key with the key's name, hence "in".
    return QueryFacts(services=called, declares_dataset="datasetClause" in parsed[1])


def looks_like_update(query: str) -> bool:
    """Whether ``query``'s first keyword after its prologue is an update operation.

    Used only to explain a refusal or a syntax error; updates are never run, whatever this says.
    """
    prologue = _PROLOGUE.match(query)
    return bool(_UPDATE_KEYWORD.match(query, prologue.end() if prologue else 0))


def _prefixes(prologue: Any) -> dict[str, str]:
    """The query's ``PREFIX`` declarations (the last one of a name wins, as in SPARQL)."""
    declared: dict[str, str] = {}
    for decl in prologue:
        if isinstance(decl, CompValue) and decl.name == "PrefixDecl":
            declared[decl.get("prefix") or ""] = str(decl["iri"])
    return declared


def _service_clauses(node: Any) -> Iterator[CompValue]:
    """Every ``SERVICE`` clause anywhere in a parse tree (sub-queries, ``EXISTS``, ``OPTIONAL`` …)."""
    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            yield node
        for value in node.values():
            yield from _service_clauses(value)
    elif isinstance(node, ParseResults | list | tuple):
        for value in node:
            yield from _service_clauses(value)


def _service_iri(term: Any, prefixes: dict[str, str]) -> str:
    """The absolute IRI a ``SERVICE`` clause names; :class:`Refused` for a variable or a relative IRI."""
    if isinstance(term, Variable):
        raise Refused(f"SERVICE ?{term} is not allowed: a service must be named by an IRI on the allow-list")
    if isinstance(term, CompValue) and term.name == "pname":
        prefix = term.get("prefix") or ""
        if prefix not in prefixes:
            raise Refused(f"SERVICE {prefix}:{term.get('localname') or ''} uses an undeclared prefix {prefix}:")
        iri = prefixes[prefix] + (term.get("localname") or "")
    elif isinstance(term, URIRef):
        iri = str(term)
    else:
        raise Refused(f"SERVICE {term} is not allowed: a service must be named by an IRI on the allow-list")
    if not _SCHEME.match(iri):
        raise Refused(f"SERVICE <{iri}> is not allowed: a service IRI must be absolute")
    return iri
