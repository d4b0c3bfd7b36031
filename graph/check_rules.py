"""The rules of ``ilrs check``, one function each, over a :class:`CheckContext`.

A rule yields :class:`Finding` objects. Rules read only the context: the
ontology graph, the shapes graph and the data graphs (every other named graph of
the dataset), plus a :class:`~ilrs.graph.locate.Locator` to say where a term is written.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SDO,
    SH,
    SKOS,
    TIME,
    VOID,
    XSD,
    DefinedNamespace,
)
from rdflib.term import Node

from .datatypes import datatype_accepts, is_datatype_iri, lexical_error
from .deprecation import deprecations
from .loader import VOCABULARIES_GRAPH
from .locate import Locator
from .namespaces import GRAPH, ID, ILRS, ONTOLOGY_GRAPH, ONTOLOGY_IRI, SOURCES_GRAPH
from .quotes import audit
from .rdfview import DEFAULT_GRAPH, show, union

CLASS_TYPES = frozenset({OWL.Class, RDFS.Class})
PROPERTY_TYPES = frozenset(
    {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property, OWL.FunctionalProperty}
)
LABELS = (RDFS.label, SKOS.prefLabel, DCTERMS.title, SDO.name, FOAF.name)
DEFINITIONS = (SKOS.definition, RDFS.comment, DCTERMS.description)
#: Reused vocabularies whose complete term lists rdflib ships: a term not in the list is a typo.
CLOSED_VOCABULARIES: tuple[type[DefinedNamespace], ...] = (
    RDF,
    RDFS,
    OWL,
    XSD,
    SKOS,
    DCTERMS,
    PROV,
    ORG,
    FOAF,
    SH,
    DCAT,
    TIME,
    VOID,
    SDO,
)
#: Shape properties whose objects are other shapes (a shape referenced so is not dead without a target).
SHAPE_REFERENCES = (SH.node, SH.property, SH.qualifiedValueShape, SH["not"])
SHAPE_LISTS = (SH["or"], SH["and"], SH.xone)
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


@dataclass(frozen=True)
class Finding:
    """One problem: how bad (``level``), by which rule, about which term, what and how to fix it, where."""

    level: str
    rule: str
    term: str
    message: str
    fix: str
    where: str | None = None


@dataclass
class CheckContext:
    """What the rules look at, with the derived knowledge (subclass closure, types) computed once."""

    ontology: Graph
    shapes: Graph
    data: dict[str, Graph]
    locator: Locator
    ontology_file: Path
    shapes_files: list[Path] = field(default_factory=list)
    queries_dir: Path | None = None
    #: Graphs of files loaded with ``--load``: tried out, never part of the dataset, so never described.
    scratch_graphs: frozenset[str] = frozenset()
    context_file: Path | None = None
    shape_cases_dir: Path | None = None

    # --- derived ------------------------------------------------------------------

    @cached_property
    def everything(self) -> Graph:
        """Ontology and data together: where types and labels are looked up."""
        return union([self.ontology, *self.data.values()])

    @cached_property
    def defined(self) -> set[URIRef]:
        """IRIs the ontology (or the vocabularies graph) gives a type: the terms that exist."""
        graphs = [self.ontology, self.data.get(VOCABULARIES_GRAPH, Graph())]
        return {s for g in graphs for s in g.subjects(RDF.type, None) if isinstance(s, URIRef)}

    @cached_property
    def terms(self) -> dict[URIRef, str]:
        """The ontology's own classes and properties (``ilrs:`` namespace) and their kind."""
        found: dict[URIRef, str] = {}
        for s, t in self.ontology.subject_objects(RDF.type):
            if isinstance(s, URIRef) and s.startswith(str(ILRS)):
                if t in CLASS_TYPES:
                    found[s] = "class"
                elif t in PROPERTY_TYPES:
                    found.setdefault(s, "property")
        return found

    @cached_property
    def classes(self) -> set[URIRef]:
        """Every IRI the ontology declares a class."""
        return {s for t in CLASS_TYPES for s in self.ontology.subjects(RDF.type, t) if isinstance(s, URIRef)}

    @cached_property
    def superclasses(self) -> dict[Node, set[Node]]:
        """Class → itself and all its superclasses (``rdfs:subClassOf``, ``owl:equivalentClass``), transitively."""
        direct: dict[Node, set[Node]] = defaultdict(set)
        for s, o in self.ontology.subject_objects(RDFS.subClassOf):
            direct[s].add(o)
        for s, o in self.ontology.subject_objects(OWL.equivalentClass):
            direct[s].add(o)
            direct[o].add(s)
        return {c: _closure(c, direct) for c in list(direct)}

    @cached_property
    def superproperties(self) -> dict[Node, set[Node]]:
        """Property → itself and all its super-properties, transitively."""
        direct: dict[Node, set[Node]] = defaultdict(set)
        for s, o in self.ontology.subject_objects(RDFS.subPropertyOf):
            direct[s].add(o)
        return {p: _closure(p, direct) for p in list(direct)}

    def types_of(self, node: Node) -> set[Node]:
        """The classes ``node`` belongs to: its ``rdf:type`` objects anywhere, with their superclasses."""
        found: set[Node] = set()
        for t in self.everything.objects(node, RDF.type):
            found |= self.superclasses.get(t, {t})
        return found

    def has_label(self, node: Node) -> bool:
        return any(self.everything.value(node, p) is not None for p in LABELS)

    def class_set(self, node: Node) -> set[Node] | None:
        """The classes a domain or range node stands for: an IRI, or an ``owl:unionOf`` list; ``None`` if other."""
        if isinstance(node, URIRef):
            return {node}
        members = self.ontology.value(node, OWL.unionOf)
        if members is None:
            return None
        return set(Collection(self.ontology, members))  # type: ignore[arg-type]

    # --- reporting ----------------------------------------------------------------

    def finding(
        self,
        level: str,
        rule: str,
        term: Node,
        message: str,
        fix: str,
        prefer: Iterable[Path] = (),
        at: tuple[Node, Node, Node] | None = None,
        exclude: Iterable[Path] = (),
    ) -> Finding:
        """A finding about ``term``, located in the files (``prefer`` searched first): at the statement ``at``
        (subject, predicate, object) where the finding is about one, else where ``term`` is first written."""
        where = None
        if at is not None and isinstance(at[0], URIRef):
            s, p, o = at
            obj, literal = (None, str(o)) if isinstance(o, Literal) else (str(o), None)
            where = self.locator.find_triple(str(s), str(p), obj, literal, list(prefer))
        elif isinstance(term, URIRef):
            where = self.locator.find(str(term), list(prefer), list(exclude))
        return Finding(level, rule, show(term), message, fix, where)

    def graph_files(self, graph: str) -> list[Path]:
        """Files likely to hold ``graph`` (``…/graph/source/003`` → ``…/003.trig``), to locate its terms first."""
        stem = graph.rstrip("/").rsplit("/", 1)[-1]
        return [p for p in self.locator.files if p.stem == stem]


@dataclass(frozen=True)
class Rule:
    """A named check: its id, the level of what it finds, and what it checks (one line, for the docs)."""

    id: str
    summary: str
    run: Callable[[CheckContext], Iterable[Finding]]


RULES: dict[str, Rule] = {}


def rule(rule_id: str, summary: str) -> Callable[[Callable[[CheckContext], Iterable[Finding]]], Rule]:
    """Register a rule under ``rule_id``, run in the order of registration."""

    def register(fn: Callable[[CheckContext], Iterable[Finding]]) -> Rule:
        RULES[rule_id] = Rule(rule_id, summary, fn)
        return RULES[rule_id]

    return register


def _closure(start: Node, direct: dict[Node, set[Node]]) -> set[Node]:
    seen = {start}
    todo = [start]
    while todo:
        for nxt in direct.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def fix_hint(iri: URIRef, candidates: Iterable[URIRef], otherwise: str) -> str:
    """``did you mean X? {otherwise}`` with the candidate most like ``iri`` (ignoring case), or just ``otherwise``.

    Only candidates of the same kind are offered: a local name with a capital (a class, by the
    conventions) is matched with classes, one without (a property) with properties, so that
    case-folding never suggests ``ilrs:Party`` for a misspelt ``ilrs:partty``.
    """
    return Suggestions(candidates).hint(iri, otherwise)


class Suggestions:
    """The candidates of :func:`fix_hint` sorted by kind once, for a rule that asks for many hints.

    Each hint compares the term with every candidate of its kind. Over many candidates (generated data
    has a hundred thousand instances) only the first :attr:`LARGE_HINTS` hints are looked for: a rule
    finding thousands of terms typed nowhere reports a systematic gap, not typos, and each hint would
    cost a pass over every candidate.
    """

    #: Candidates of one kind above which the hints are rationed.
    LARGE = 1000
    #: Hints looked for among more than :attr:`LARGE` candidates.
    LARGE_HINTS = 20

    def __init__(self, candidates: Iterable[URIRef]) -> None:
        self._by_kind: dict[bool, dict[str, URIRef]] = {True: {}, False: {}}
        for c in candidates:
            self._by_kind[local_name(c)[:1].isupper()][str(c).casefold()] = c
        self._large_asked = 0

    def hint(self, iri: URIRef, otherwise: str) -> str:
        """:func:`fix_hint` of ``iri`` among the candidates."""
        by_text = self._by_kind[local_name(iri)[:1].isupper()]
        if len(by_text) > self.LARGE:
            self._large_asked += 1
            if self._large_asked > self.LARGE_HINTS:
                return otherwise
        close = difflib.get_close_matches(str(iri).casefold(), list(by_text), n=1, cutoff=0.8)
        return f"did you mean {show(by_text[close[0]])}? {otherwise}" if close else otherwise


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``#`` or ``/``."""
    return re.split(r"[#/]", str(iri))[-1]


def _term_names(vocabulary: type[DefinedNamespace]) -> set[str]:
    """The local names rdflib lists for a vocabulary (its annotations and extras, through its bases)."""
    names: set[str] = set()
    for cls in vocabulary.mro():
        if issubclass(cls, DefinedNamespace):
            names.update(getattr(cls, "__annotations__", {}))
            names.update(getattr(cls, "_extras", []))
    return {n for n in names if not n.startswith("_")}


def _is_source_graph(name: str) -> bool:
    return name.startswith(f"{GRAPH}source/")


def _is_reference_graph(name: str) -> bool:
    return name.startswith(f"{GRAPH}reference/")


# --- the ontology's terms --------------------------------------------------------------


@rule("missing-label", "every ilrs: class and property has an rdfs:label")
def missing_label(ctx: CheckContext) -> Iterator[Finding]:
    for term, kind in sorted(ctx.terms.items()):
        if ctx.ontology.value(term, RDFS.label) is None:
            yield ctx.finding(
                "error",
                "missing-label",
                term,
                f"the {kind} has no rdfs:label",
                'add  rdfs:label "…"@en  in ontology/ilrs.ttl',
                [ctx.ontology_file],
            )


@rule("missing-definition", "every ilrs: class and property has a definition (skos:definition or rdfs:comment)")
def missing_definition(ctx: CheckContext) -> Iterator[Finding]:
    for term, kind in sorted(ctx.terms.items()):
        if all(ctx.ontology.value(term, p) is None for p in DEFINITIONS):
            yield ctx.finding(
                "error",
                "missing-definition",
                term,
                f"the {kind} has no definition",
                'add  skos:definition "…"@en  saying what it means and when to use it',
                [ctx.ontology_file],
            )


@rule("defined-by", "every ilrs: class and property says rdfs:isDefinedBy the ontology")
def defined_by(ctx: CheckContext) -> Iterator[Finding]:
    ontology = URIRef(ONTOLOGY_IRI)
    for term, kind in sorted(ctx.terms.items()):
        values = set(ctx.ontology.objects(term, RDFS.isDefinedBy))
        if ontology not in values:
            found = ", ".join(sorted(show(v) for v in values)) or "nothing"
            yield ctx.finding(
                "error",
                "defined-by",
                term,
                f"the {kind} has rdfs:isDefinedBy {found}, not <{ONTOLOGY_IRI}>",
                f"add  rdfs:isDefinedBy <{ONTOLOGY_IRI}>",
                [ctx.ontology_file],
            )


@rule("duplicate-label", "no two ontology terms share a label (same language, ignoring case)")
def duplicate_label(ctx: CheckContext) -> Iterator[Finding]:
    by_label: dict[tuple[str, str], list[URIRef]] = defaultdict(list)
    for term in ctx.terms:
        for label in ctx.ontology.objects(term, RDFS.label):
            if isinstance(label, Literal):
                by_label[(str(label).strip().casefold(), label.language or "")].append(term)
    for (text, lang), terms in sorted(by_label.items()):
        if len(terms) > 1:
            first, *others = sorted(terms)
            yield ctx.finding(
                "error",
                "duplicate-label",
                first,
                f"label {text!r}{'@' + lang if lang else ''} is shared with {', '.join(show(t) for t in others)}",
                "give each term a label that tells it apart",
                [ctx.ontology_file],
            )


@rule("version", "the ontology has owl:versionInfo and an owl:versionIRI ending in that version")
def version(ctx: CheckContext) -> Iterator[Finding]:
    ontologies = sorted(s for s in ctx.ontology.subjects(RDF.type, OWL.Ontology) if isinstance(s, URIRef))
    iri = URIRef(ONTOLOGY_IRI)
    if iri not in ontologies:
        yield ctx.finding(
            "error",
            "version",
            iri,
            f"no  <{ONTOLOGY_IRI}> a owl:Ontology  in the ontology "
            f"(found: {', '.join(map(show, ontologies)) or 'none'})",
            "declare the ontology under its canonical IRI",
            [ctx.ontology_file],
        )
        return
    infos = sorted(str(v) for v in ctx.ontology.objects(iri, OWL.versionInfo))
    version_iris = sorted(str(v) for v in ctx.ontology.objects(iri, OWL.versionIRI))
    if len(infos) != 1 or len(version_iris) != 1:
        yield ctx.finding(
            "error",
            "version",
            iri,
            f"expected one owl:versionInfo and one owl:versionIRI, found {len(infos)} and {len(version_iris)}",
            f'state  owl:versionInfo "X.Y.Z" ; owl:versionIRI <{ONTOLOGY_IRI}/X.Y.Z>',
            [ctx.ontology_file],
        )
        return
    expected = f"{ONTOLOGY_IRI}/{infos[0]}"
    if version_iris[0] != expected:
        yield ctx.finding(
            "error",
            "version",
            iri,
            f"owl:versionIRI <{version_iris[0]}> does not match owl:versionInfo {infos[0]!r}",
            f"set owl:versionIRI <{expected}> (or correct owl:versionInfo)",
            [ctx.ontology_file],
        )


@rule("unused-term", "every ilrs: class has instances and every property is used in the data or the shapes")
def unused_term(ctx: CheckContext) -> Iterator[Finding]:
    data = ctx.everything
    in_shapes = {o for o in ctx.shapes.objects() if isinstance(o, URIRef)}
    deprecated = deprecations(ctx.ontology)
    replacing = {new: old for old, d in deprecated.items() for new in d.replaced_by}
    for term, kind in sorted(ctx.terms.items()):
        if term in in_shapes or term in deprecated:  # a deprecated term stays for old clients, used or not
            continue
        used = (
            next(data.subjects(RDF.type, term), None) is not None
            if kind == "class"
            else any(next(g.triples((None, term, None)), None) is not None for g in ctx.data.values())
        )
        if not used:
            old = replacing.get(term)
            yield ctx.finding(
                "info",
                "unused-term",
                term,
                f"the {kind} is used neither in the data nor in the shapes",
                f"it replaces {show(old)}: move the data and the shapes from {show(old)} to it"
                if old is not None
                else "fine while the data catches up; otherwise consider removing it",
                [ctx.ontology_file],
            )


# --- references between ontology, shapes and data --------------------------------------


@rule("undefined-term", "every ilrs: IRI used in the ontology, the shapes or the data is defined by the ontology")
def undefined_term(ctx: CheckContext) -> Iterator[Finding]:
    used: dict[URIRef, str] = {}
    for where, graph in [("the ontology", ctx.ontology), ("the shapes", ctx.shapes), *_data_sources(ctx)]:
        for triple in graph:
            for node in triple:
                if isinstance(node, URIRef) and node.startswith(str(ILRS)) and node != ILRS:
                    used.setdefault(node, where)
    for term, where in sorted(used.items()):
        if term not in ctx.defined:
            candidates = (t for t in ctx.defined if t.startswith(str(ILRS)))
            yield ctx.finding(
                "error",
                "undefined-term",
                term,
                f"used in {where} but not defined by the ontology",
                fix_hint(term, candidates, "otherwise define it in ontology/ilrs.ttl"),
            )


@rule("unknown-vocabulary-term", "terms of reused vocabularies (prov:, org:, dcterms:, skos:, sh:, …) exist")
def unknown_vocabulary_term(ctx: CheckContext) -> Iterator[Finding]:
    used: set[URIRef] = set()
    for graph in [ctx.ontology, ctx.shapes, *ctx.data.values()]:
        for triple in graph:
            used.update(n for n in triple if isinstance(n, URIRef))
    for term in sorted(used):
        for vocabulary in CLOSED_VOCABULARIES:
            ns = str(vocabulary._NS)
            if term.startswith(ns) and len(term) > len(ns) and term not in vocabulary:
                known = [URIRef(ns + name) for name in _term_names(vocabulary)]
                yield ctx.finding(
                    "error",
                    "unknown-vocabulary-term",
                    term,
                    f"{show(term)} is not a term of {ns}",
                    fix_hint(term, known, "check the spelling against the vocabulary"),
                )
                break


@rule("dangling-instance", "every id: IRI used in the data has an rdf:type somewhere in the dataset")
def dangling_instance(ctx: CheckContext) -> Iterator[Finding]:
    typed = {s for s in ctx.everything.subjects(RDF.type, None) if isinstance(s, URIRef)}
    suggestions = Suggestions(t for t in typed if t.startswith(str(ID)))
    reported: set[URIRef] = set()
    for name, graph in sorted(ctx.data.items()):
        for s, _, o in graph:
            for node in (s, o):
                # Two lookups, not a union: a million triples would each build a set of every typed IRI.
                if isinstance(node, URIRef) and node.startswith(str(ID)) and node not in typed and node not in reported:
                    reported.add(node)
                    yield ctx.finding(
                        "error",
                        "dangling-instance",
                        node,
                        f"used in <{name}> but typed nowhere: a typo in the IRI, or a missing description",
                        suggestions.hint(node, "or give it a ilrs:SomeClass ; rdfs:label …"),
                        ctx.graph_files(name),
                    )


# --- shapes ----------------------------------------------------------------------------


@rule("shape-target", "every sh:targetClass is a class; every node shape has a target or is used by another shape")
def shape_target(ctx: CheckContext) -> Iterator[Finding]:
    for shape, target in sorted(ctx.shapes.subject_objects(SH.targetClass)):
        if str(target).startswith(str(ILRS)) and target in ctx.defined and target not in ctx.classes:
            yield ctx.finding(
                "error",
                "shape-target",
                shape,
                f"targets {show(target)}, which the ontology defines but not as a class",
                "target a class (sh:targetClass), or the subjects of a property (sh:targetSubjectsOf)",
                ctx.shapes_files,
            )
    referenced = {o for p in SHAPE_REFERENCES for o in ctx.shapes.objects(None, p)}
    for p in SHAPE_LISTS:
        for head in ctx.shapes.objects(None, p):
            referenced.update(Collection(ctx.shapes, head))  # type: ignore[arg-type]
    for shape in sorted(s for s in ctx.shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)):
        has_target = any(ctx.shapes.value(shape, t) is not None for t in TARGETS) or shape in ctx.classes
        if not has_target and shape not in referenced:
            yield ctx.finding(
                "warning",
                "shape-target",
                shape,
                "the node shape has no target and no other shape uses it, so it checks nothing",
                "add  sh:targetClass ilrs:SomeClass , or refer to it with sh:node",
                ctx.shapes_files,
            )


# --- the data against the ontology -------------------------------------------------------


@rule("domain", "subjects of an ilrs: property belong to its rdfs:domain (with subclasses and owl:unionOf)")
def domain(ctx: CheckContext) -> Iterator[Finding]:
    domains = _declared(ctx, RDFS.domain)
    for name, graph in sorted(ctx.data.items()):
        for s, p, o in sorted(graph):
            for allowed in domains.get(p, ()):
                types = ctx.types_of(s)
                if types and not types & allowed:
                    yield ctx.finding(
                        "error",
                        "domain",
                        s,
                        f"is the subject of {show(p)}, whose domain is {_either(allowed)}, but is a "
                        f"{_either(_asserted(ctx, s))} (in <{name}>)",
                        f"use a property meant for a {_either(_asserted(ctx, s))}, or correct the type",
                        ctx.graph_files(name),
                        at=(s, p, o),
                    )


@rule("range", "objects of an ilrs: property belong to its rdfs:range: a class, or a datatype for literals")
def range_(ctx: CheckContext) -> Iterator[Finding]:
    ranges = _declared(ctx, RDFS.range)
    for name, graph in sorted(ctx.data.items()):
        for s, p, o in sorted(graph):
            for allowed in ranges.get(p, ()):
                problem = _range_problem(ctx, o, allowed)
                if problem:
                    yield ctx.finding(
                        "error",
                        "range",
                        s,
                        f"{show(p)} {show(o)}: {problem} (in <{name}>)",
                        f"the range of {show(p)} is {_either(allowed)}",
                        ctx.graph_files(name),
                        at=(s, p, o),
                    )


@rule("ill-typed-literal", "literals are valid for their datatype (xsd:date, xsd:gYear, xsd:integer, …)")
def ill_typed_literal(ctx: CheckContext) -> Iterator[Finding]:
    sources = [("the ontology", ctx.ontology, [ctx.ontology_file])]
    sources += [
        (where, graph, ctx.graph_files(name))
        for (where, graph), name in zip(_data_sources(ctx), sorted(ctx.data), strict=True)
    ]
    for where, graph, files in sources:
        for s, p, o in sorted(graph):
            if isinstance(o, Literal) and o.datatype is not None:
                error = lexical_error(str(o), str(o.datatype))
                if error:
                    yield ctx.finding(
                        "error",
                        "ill-typed-literal",
                        s,
                        f"{show(p)} {show(o)}: {error} (in {where})",
                        f"write a valid {show(o.datatype)}, or use a coarser datatype (xsd:gYearMonth, xsd:gYear)",
                        files,
                        at=(s, p, o),
                    )


# --- provenance --------------------------------------------------------------------------


@rule(
    "undescribed-graph",
    "every named graph of facts is an ilrs:SourceGraph, or a graph attributed to its makers, in …/graph/sources",
)
def undescribed_graph(ctx: CheckContext) -> Iterator[Finding]:
    sources = ctx.data.get(str(SOURCES_GRAPH), Graph())
    described = {
        str(g)
        for g in sources.subjects(RDF.type, URIRef(ILRS.SourceGraph))
        if sources.value(g, PROV.wasDerivedFrom) is not None
    }
    # A graph that no article states (the editors' curated names) is described by who made it.
    curated = {str(g) for g in sources.subjects(PROV.wasAttributedTo, None)}
    for name in sorted(ctx.data):
        if name == DEFAULT_GRAPH:
            yield Finding(
                "error",
                "undescribed-graph",
                "(default graph)",
                "triples outside any named graph: every fact belongs to the graph of its source",
                "wrap them in  GRAPH <https://w3id.org/ilrs/graph/source/NNN> { … }",
            )
        elif not (
            _is_reference_graph(name)
            or name in ctx.scratch_graphs
            or name in {str(SOURCES_GRAPH), *described, *curated}
        ):
            yield ctx.finding(
                "error",
                "undescribed-graph",
                URIRef(name),
                "holds facts but is not described in …/graph/sources as an ilrs:SourceGraph with "
                "prov:wasDerivedFrom its source document",
                "add  <graph> a ilrs:SourceGraph ; prov:wasDerivedFrom source:NNN .  to graph/data/sources.trig",
            )
    for name in sorted(described - set(ctx.data)):
        yield ctx.finding(
            "warning",
            "undescribed-graph",
            URIRef(name),
            "is described in …/graph/sources but holds no facts",
            "add its graph/data/sources/NNN.trig, or remove the description",
        )


@rule("unlabelled-instance", "every ilrs:-typed instance in a source graph has a label (rdfs:label, dcterms:title, …)")
def unlabelled_instance(ctx: CheckContext) -> Iterator[Finding]:
    seen: set[Node] = set()
    for name, graph in sorted(ctx.data.items()):
        if not _is_source_graph(name):
            continue
        for s, t in sorted(graph.subject_objects(RDF.type)):
            if isinstance(t, URIRef) and t.startswith(str(ILRS)) and s not in seen and not ctx.has_label(s):
                seen.add(s)
                yield ctx.finding(
                    "error",
                    "unlabelled-instance",
                    s,
                    f"the {show(t)} has no label (in <{name}>)",
                    'add  rdfs:label "…"@en  (the name the source uses)',
                    ctx.graph_files(name),
                )


# --- helpers of the domain and range rules -------------------------------------------------


def _data_sources(ctx: CheckContext) -> list[tuple[str, Graph]]:
    return [(f"<{name}>" if name else "the default graph", g) for name, g in sorted(ctx.data.items())]


def _declared(ctx: CheckContext, axiom: URIRef) -> dict[Node, list[set[Node]]]:
    """Property → the class sets its ``axiom`` (domain or range) demands, inherited from super-properties.

    Each set is one ``rdfs:domain``/``rdfs:range`` statement; several statements must all hold.
    """
    own: dict[Node, list[set[Node]]] = defaultdict(list)
    for p, node in ctx.ontology.subject_objects(axiom):
        classes = ctx.class_set(node)
        if classes is not None:
            own[p].append(classes)
    declared: dict[Node, list[set[Node]]] = {}
    properties = set(own) | set(ctx.superproperties)
    for p in properties:
        sets = [c for sup in ctx.superproperties.get(p, {p}) for c in own.get(sup, [])]
        if sets:
            declared[p] = sets
    return declared


def _range_problem(ctx: CheckContext, value: Node, allowed: set[Node]) -> str | None:
    """Why ``value`` is outside the range ``allowed``, or ``None`` if it fits (or cannot be told)."""
    datatypes = {a for a in allowed if _is_datatype(ctx, a)}
    if datatypes:
        if not isinstance(value, Literal):
            return "a literal was expected, not a resource"
        plain = RDF.langString if value.language else XSD.string
        datatype = str(value.datatype or plain)
        if not any(datatype_accepts(str(d), datatype, str(value)) for d in datatypes):
            return f"a {_either(datatypes)} literal was expected, not {show(URIRef(datatype))}"
        return None
    if isinstance(value, Literal):
        return f"a resource ({_either(allowed)}) was expected, not a literal"
    types = ctx.types_of(value)
    if types and not types & allowed:
        return f"it is a {_either(_asserted(ctx, value))}, not a {_either(allowed)}"
    return None


def _is_datatype(ctx: CheckContext, node: Node) -> bool:
    return is_datatype_iri(str(node)) or (node, RDF.type, RDFS.Datatype) in ctx.ontology


def _asserted(ctx: CheckContext, node: Node) -> set[Node]:
    return set(ctx.everything.objects(node, RDF.type))


def _either(nodes: Iterable[Node]) -> str:
    names = sorted(show(n) for n in nodes if not isinstance(n, BNode))
    return " or ".join(names) if names else "(unknown)"


# --- the quote audit -------------------------------------------------------------------------------


@rule("unrestated-quote", "every ilrs:quote of a source graph is restated by a structured triple (graph/quotes.py)")
def unrestated_quote(ctx: CheckContext) -> Iterator[Finding]:
    # The source graphs hold the quotes; any graph, the ontology too, may name what they mention.
    graphs = [(name, g) for name, g in ctx.data.items() if name != DEFAULT_GRAPH] + [
        (str(ONTOLOGY_GRAPH), ctx.ontology)
    ]
    quads = [
        ox.Quad(_ox(s), ox.NamedNode(str(p)), _ox(o), ox.NamedNode(name))  # type: ignore[arg-type]
        for name, graph in graphs
        for s, p, o in graph
    ]
    for quote in audit(quads):
        if not quote.restated:
            text = quote.text if len(quote.text) <= 60 else quote.text[:57] + "…"
            yield ctx.finding(
                "info",
                "unrestated-quote",
                URIRef(quote.subject),
                f"quote “{text}” (in <{quote.graph}>) is restated by no structured triple",
                "state its claim with ontology terms the quote names (see docs/quotes.md)",
                ctx.graph_files(quote.graph),
            )


def _ox(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term."""
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)) if node.datatype else None)
    return ox.BlankNode(str(node))
