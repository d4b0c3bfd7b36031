"""The rules of ``ilrs check`` about how terms are used: deprecated terms, and the terms of the SPARQL queries.

The competency queries of ``queries/*.rq`` are part of what an ontology change can break:
a renamed property makes a query silently return no rows, so their ``ilrs:`` terms are
checked like the data's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from .check_rules import CheckContext, Finding, fix_hint, rule
from .deprecation import deprecations
from .namespaces import ILRS, PREFIXES
from .rdfview import show

_QUERY_PREFIX = re.compile(r"PREFIX\s+([\w\-.]*):\s*<([^>]*)>", re.IGNORECASE)
_FULL_IRI = re.compile(r"<([^<>\s]*)>")
_PREFIXED = re.compile(r"(?<![\w<?$])([A-Za-z][\w\-]*)?:((?:[\w\-]|\.(?=[\w\-]))+)")


@dataclass(frozen=True)
class QueryTerm:
    """An IRI written in a query file, and where."""

    iri: URIRef
    path: Path
    line: int


def query_terms(path: Path) -> list[QueryTerm]:
    """The IRIs a SPARQL file writes (full or prefixed with its own or the project's prefixes), with their lines."""
    text = path.read_text(encoding="utf-8")
    prefixes = {**PREFIXES, **{m.group(1): m.group(2) for m in _QUERY_PREFIX.finditer(text)}}
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _code(raw)
        if _QUERY_PREFIX.match(line.strip()):
            continue
        for match in _FULL_IRI.finditer(line):
            found.append(QueryTerm(URIRef(match.group(1)), path, number))
        for match in _PREFIXED.finditer(_FULL_IRI.sub(" ", line)):
            namespace = prefixes.get(match.group(1) or "")
            if namespace is not None:
                found.append(QueryTerm(URIRef(namespace + match.group(2)), path, number))
    return found


def _code(line: str) -> str:
    """The line without its comment and string literals (a ``#`` inside ``<…>`` or quotes is not a comment)."""
    out, quote, in_iri = [], "", False
    for char in line:
        if quote:
            if char == quote:
                quote = ""
            continue
        if in_iri:
            in_iri = char != ">"
        elif char in "\"'":
            quote = char
            out.append(" ")
            continue
        elif char == "<":
            in_iri = True
        elif char == "#":
            break
        out.append(char)
    return "".join(out)


def _queries(ctx: CheckContext) -> list[Path]:
    if ctx.queries_dir is None or not ctx.queries_dir.is_dir():
        return []
    return sorted(ctx.queries_dir.glob("*.rq"))


@rule("query-terms", "every ilrs: term of the SPARQL queries in queries/ is defined by the ontology")
def query_term_rule(ctx: CheckContext) -> Iterator[Finding]:
    candidates = [t for t in ctx.defined if str(t).startswith(str(ILRS))]
    for path in _queries(ctx):
        reported: set[URIRef] = set()
        for term in query_terms(path):
            iri = term.iri
            ours = str(iri).startswith(str(ILRS)) and iri != URIRef(str(ILRS))
            if ours and iri not in ctx.defined and iri not in reported:
                reported.add(iri)
                yield Finding(
                    "error",
                    "query-terms",
                    show(iri),
                    "used in the query but not defined by the ontology: the query finds nothing with it",
                    fix_hint(iri, candidates, "otherwise correct the query"),
                    f"{ctx.locator.display(path)}:{term.line}",
                )


@rule("deprecation", "a deprecated term (owl:deprecated true) names its replacement or says why it has none")
def deprecation(ctx: CheckContext) -> Iterator[Finding]:
    for term, info in sorted(deprecations(ctx.ontology).items()):
        if not info.replaced_by and not info.reason:
            yield ctx.finding(
                "error",
                "deprecation",
                term,
                "deprecated without dcterms:isReplacedBy or a skos:historyNote: users cannot tell what to do",
                'add  dcterms:isReplacedBy ilrs:NewTerm  and  skos:historyNote "Why, and since which version."@en',
                [ctx.ontology_file],
            )
        for replacement in info.replaced_by:
            problem = (
                "is not defined by the ontology"
                if replacement not in ctx.defined
                else "is deprecated too"
                if replacement in deprecations(ctx.ontology)
                else None
            )
            if problem:
                yield ctx.finding(
                    "error",
                    "deprecation",
                    term,
                    f"its replacement {show(replacement)} {problem}",
                    "name a current term with dcterms:isReplacedBy",
                    [ctx.ontology_file],
                )


@rule("deprecated-use", "no data, shape or query uses a deprecated term (they keep working, but must move on)")
def deprecated_use(ctx: CheckContext) -> Iterator[Finding]:
    deprecated = deprecations(ctx.ontology)
    if not deprecated:
        return
    sources: list[tuple[str, Graph, list[Path]]] = [("the shapes", ctx.shapes, ctx.shapes_files)]
    sources += [(f"<{name}>", graph, ctx.graph_files(name)) for name, graph in sorted(ctx.data.items())]
    for where, graph, files in sources:
        used: set[URIRef] = set()
        for _, p, o in graph:
            used.update(
                n for n in (p, o) if isinstance(n, URIRef) and (n is p or p == RDF.type or where == "the shapes")
            )
        for iri in sorted(t for t in used if t in deprecated):
            info = deprecated[iri]
            yield Finding(
                "warning",
                "deprecated-use",
                show(iri),
                f"deprecated, but used in {where}" + (f": {info.reason}" if info.reason else ""),
                info.advice(),
                ctx.locator.find(str(iri), files, exclude=[ctx.ontology_file]),
            )
    for path in _queries(ctx):
        seen: set[URIRef] = set()
        for term in query_terms(path):
            if term.iri in deprecated and term.iri not in seen:
                seen.add(term.iri)
                info = deprecated[term.iri]
                yield Finding(
                    "warning",
                    "deprecated-use",
                    show(term.iri),
                    "deprecated, but used in the query" + (f": {info.reason}" if info.reason else ""),
                    info.advice(),
                    f"{ctx.locator.display(path)}:{term.line}",
                )
