"""Deprecated terms, as OBO ontologies mark them: kept for old clients, replaced for new data.

A term is deprecated with ``owl:deprecated true``, names its replacement with
``dcterms:isReplacedBy`` and says why with ``skos:historyNote``. ``ilrs check`` flags
every use of it (data, shapes, the queries of ``queries/``), ``ilrs docs`` marks it, and
``ilrs diff`` and the CHANGELOG list it apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS

from .rdfview import show


@dataclass(frozen=True)
class Deprecation:
    """A deprecated term, its replacements and the reason given."""

    term: URIRef
    replaced_by: tuple[URIRef, ...]
    reason: str | None

    def advice(self) -> str:
        """What to use instead, as a fix hint reads it."""
        if self.replaced_by:
            return "use " + " or ".join(show(r) for r in self.replaced_by) + " instead"
        return "the term has no replacement" + (f": {self.reason}" if self.reason else "")

    def summary(self) -> str:
        """``ilrs:old → ilrs:new (reason)``, for the diff and the CHANGELOG."""
        target = " → " + ", ".join(show(r) for r in self.replaced_by) if self.replaced_by else ""
        return f"{show(self.term)}{target}" + (f" ({self.reason})" if self.reason else "")


def deprecations(graph: Graph) -> dict[URIRef, Deprecation]:
    """Every IRI that ``graph`` says ``owl:deprecated true``, with its replacements and reason."""
    found = {}
    for term, flag in graph.subject_objects(OWL.deprecated):
        if isinstance(term, URIRef) and isinstance(flag, Literal) and flag.toPython() is True:
            replaced = tuple(sorted(r for r in graph.objects(term, DCTERMS.isReplacedBy) if isinstance(r, URIRef)))
            note = graph.value(term, SKOS.historyNote)
            found[term] = Deprecation(term, replaced, str(note) if note is not None else None)
    return found
