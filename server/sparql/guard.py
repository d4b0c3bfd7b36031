"""Static checks of a query's text before it runs.

``SERVICE`` makes the query engine send HTTP requests to any address the query names —
a server-side request forgery if left open — so a query may only call the endpoints in
``Settings.service_allowlist``, and never a ``SERVICE ?variable``. The check parses the
query (rdflib's SPARQL 1.1 parser) and looks at every ``SERVICE`` clause in the tree, so
that a comment, a string literal or a ``\\u0053ERVICE`` escape can neither hide a call nor
trigger a false alarm.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
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

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# Only used to word an error message well, never to decide what runs: see looks_like_update().
_PROLOGUE = re.compile(r"(?:\s|#[^\n]*|BASE\s*<[^>]*>|PREFIX\s*[^\s:]*:\s*<[^>]*>)*", re.IGNORECASE)
_UPDATE_KEYWORD = re.compile(r"(?:INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.IGNORECASE)


class Refused(Exception):
    """The query may not run here; the message says why (sent with status 400)."""


def mentions_service(query: str) -> bool:
    """Whether ``query`` could contain a ``SERVICE`` clause at all.

    ``SERVICE`` is a keyword, matched without regard to case, and SPARQL expands ``\\uXXXX``
    escapes before parsing: a query whose expanded, case-folded text does not contain
    ``service`` cannot call a service, and needs no parse.
    """
    try:
        text = expandUnicodeEscapes(query)
    except ValueError:
        return True  # an invalid escape: let the full check (and its parser) say what is wrong
    return "service" in text.casefold()


def check_services(query: str, allowlist: Collection[str]) -> list[str]:
    """The IRIs ``query`` calls with ``SERVICE``; :class:`Refused` unless each is in ``allowlist``.

    A ``SERVICE ?variable`` is always refused (its target is only known at run time), and so is
    a relative service IRI (it would depend on how each parser resolves it).
    """
    if not mentions_service(query):
        return []
    try:
        parsed = parseQuery(query)
    except (ParseBaseException, ValueError) as err:
        if looks_like_update(query):
            raise Refused(READ_ONLY) from err
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
    return called


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
