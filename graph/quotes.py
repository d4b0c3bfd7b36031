"""Which structured triples restate each quote: the audit of the sources' words against the graph.

A quote (``N ilrs:quote "…"`` in a source graph) is *restated* by a triple of the same
graph about ``N`` when the quote itself names the triple's value:

* ``N p o`` with ``o`` an IRI: one of ``o``'s names (``rdfs:label``, ``skos:prefLabel``,
  ``skos:altLabel`` in any graph) occurs in the quote as whole words; for ``rdf:type`` the
  class's label does (``precursor mission``);
* ``N p "literal"``: the literal occurs in the quote (a number also as ``5,000`` or a word
  up to twenty, a word also without its last letter, so ``lost`` matches ``loss``); a date
  is restated when the year occurs, or when ``N``'s own wording of it (``ilrs:dateWording``,
  ``ilrs:targetWording``, ``ilrs:launchWording``, ``ilrs:deadlineWording``) does;
* ``s p N``: one of ``s``'s names occurs in the quote.

Labels, quotes, comments and the free-text properties (``ilrs:statusReason``,
``ilrs:phaseGoal``) never count: they restate nothing in structured form. The one
exception is a quote that is nothing but ``N``'s own name (``"a lunar surface base"``).

:func:`audit` lists every quote with its restating triples; a quote without any is what
the audit flags (``graph/scripts/build_quotes_table.py`` writes ``docs/quotes.md``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import pyoxigraph as ox

from .derived import is_derived
from .namespaces import GRAPH, ILRS

_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_QUOTE = f"{ILRS}quote"
_NAMES = {f"{_RDFS}label", f"{_SKOS}prefLabel", f"{_SKOS}altLabel"}
#: Properties whose values are words, not facts: they never restate a quote.
_TEXT = {*_NAMES, _QUOTE, f"{_RDFS}comment", f"{ILRS}statusReason", f"{ILRS}phaseGoal"}
_WORDINGS = [f"{ILRS}{p}" for p in ("dateWording", "targetWording", "launchWording", "deadlineWording")]
_DATES = {f"{_XSD}{d}" for d in ("date", "gYearMonth", "gYear", "gMonthDay", "dateTime")}
_NUMBER_WORDS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
]  # fmt: skip
_SOURCE_GRAPH = f"{GRAPH}source/"

Node = ox.NamedNode | ox.BlankNode
Term = ox.NamedNode | ox.BlankNode | ox.Literal


class Fact(NamedTuple):
    """One triple of a source graph (RDF-star quoted triples have no place here)."""

    subject: Node
    predicate: ox.NamedNode
    object: Term


@dataclass(frozen=True)
class Quote:
    """One quote of one source graph and the triples of that graph that restate it."""

    graph: str
    subject: str
    text: str
    restated_by: tuple[Fact, ...]

    @property
    def restated(self) -> bool:
        return bool(self.restated_by)


def audit(quads: Iterable[ox.Quad]) -> list[Quote]:
    """Every quote of every source graph in ``quads``, with its restating triples, in graph and subject order."""
    by_graph: dict[str, list[Fact]] = defaultdict(list)
    names: dict[Term, set[str]] = defaultdict(set)
    for q in quads:
        if is_derived(q.graph_name) or isinstance(q.subject, ox.Triple) or isinstance(q.object, ox.Triple):
            continue
        if q.predicate.value in _NAMES and isinstance(q.object, ox.Literal):
            names[q.subject].add(_normalize(q.object.value))
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value.startswith(_SOURCE_GRAPH):
            by_graph[q.graph_name.value].append(Fact(q.subject, q.predicate, q.object))
    out = []
    for graph, triples in sorted(by_graph.items()):
        for t in sorted(triples, key=lambda t: (t.subject.value, str(t.object))):
            if t.predicate.value == _QUOTE and isinstance(t.object, ox.Literal):
                node = t.subject
                restating = tuple(r for r in triples if _restates(r, node, t.object.value, triples, names))
                out.append(Quote(graph, node.value, t.object.value, restating))
    return out


def _restates(triple: Fact, node: Node, quote: str, graph: list[Fact], names: dict[Term, set[str]]) -> bool:
    text = _normalize(quote)
    if triple.subject == node:
        if triple.predicate.value in _NAMES and isinstance(triple.object, ox.Literal):
            return _strip_article(_normalize(triple.object.value)) == _strip_article(text.rstrip(".,"))
        if triple.predicate.value in _TEXT or triple.predicate.value in _WORDINGS:
            return False
        if isinstance(triple.object, ox.Literal):
            return _literal_in(triple.object, text) or (
                triple.object.datatype.value in _DATES and _wording_in(node, graph, text)
            )
        return any(_words_in(name, text) for name in names.get(triple.object, ()))
    if triple.object == node and triple.predicate.value not in _TEXT:
        return any(_words_in(name, text) for name in names.get(triple.subject, ()))
    return False


def _literal_in(literal: ox.Literal, text: str) -> bool:
    value = _normalize(literal.value)
    if literal.datatype.value in _DATES:
        return _words_in(value[:4], text)
    if literal.datatype.value == f"{_XSD}integer" and value.isdigit():
        n = int(value)
        spelled = [value, f"{n:,}"] + ([_NUMBER_WORDS[n]] if n < len(_NUMBER_WORDS) else [])
        return any(_words_in(s, text) for s in spelled)
    if _words_in(value, text):
        return True
    words = value.split()
    return len(words) == 1 and len(value) >= 4 and re.search(rf"(?<!\w){re.escape(value[:-1])}", text) is not None


def _wording_in(node: Node, graph: list[Fact], text: str) -> bool:
    return any(
        t.subject == node and t.predicate.value in _WORDINGS and _words_in(_normalize(t.object.value), text)
        for t in graph
    )


def _words_in(needle: str, text: str) -> bool:
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", text) is not None


def _normalize(text: str) -> str:
    """Case, spacing, curly quotes and a space before a hyphen ("Asia -Pacific") do not matter."""
    text = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+-", "-", re.sub(r"\s+", " ", text)).strip().casefold()


def _strip_article(text: str) -> str:
    return re.sub(r"^(a|an|the) ", "", text)
