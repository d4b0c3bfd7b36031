"""The rules of ``ilrs check`` that a schema change must follow: what the test suite demands of a new term.

A new class needs a superclass, its own shape with an IRI pattern, an instance in the
shapes' valid example, a place in the top-level disjointness axiom if it is top-level, and
a broken example for its shape; a new property needs a domain and a range, a domain shape,
and (an object property) an ``@id`` coercion in the JSON-LD context. Each finding names
the file and line to edit and what to write there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS
from rdflib.term import Node

from .check_rules import CheckContext, Finding, rule
from .conventions import (
    instance_kinds,
    kind_of,
    named_classes,
    named_node_shapes,
    own_shape,
    shapes_with_negative_examples,
)
from .datatypes import OWL2_DATATYPE_MAP, is_datatype_iri
from .loader import VOCABULARIES_GRAPH
from .namespaces import ILRS
from .rdfview import show

#: SHACL parameters that make a shape a constraint (and so need an sh:message).
CONSTRAINT_PARAMETERS = frozenset(
    {
        SH["class"], SH.datatype, SH.nodeKind, SH.minCount, SH.maxCount, SH.minInclusive, SH.maxInclusive,
        SH.pattern, SH["in"], SH.hasValue, SH["not"], SH["or"], SH["and"], SH.node, SH.uniqueLang,
        SH.qualifiedValueShape, SH.equals, SH.disjoint,
    }
)  # fmt: skip
#: An rdfs:comment that starts so exempts a property from needing a domain (``ilrs:quote``).
NO_DOMAIN = "Deliberately without a domain"


def _english(graph: Graph, node: Node, predicate: URIRef) -> list[Literal]:
    return [v for v in graph.objects(node, predicate) if isinstance(v, Literal) and v.language == "en"]


def _local(term: URIRef) -> str:
    return term.removeprefix(str(ILRS))


def _properties(ctx: CheckContext, kind: URIRef | None = None) -> list[URIRef]:
    kinds = [kind] if kind else [OWL.ObjectProperty, OWL.DatatypeProperty]
    return sorted(
        {p for k in kinds for p in ctx.ontology.subjects(RDF.type, k) if isinstance(p, URIRef) and p in ctx.terms}
    )


def _classes(ctx: CheckContext) -> list[URIRef]:
    return sorted(t for t, kind in ctx.terms.items() if kind == "class")


# --- terms -------------------------------------------------------------------------------


@rule("term-annotations", "one rdfs:label@en and one skos:definition@en per ilrs: term, the definition one sentence")
def term_annotations(ctx: CheckContext) -> Iterator[Finding]:
    for term, kind in sorted(ctx.terms.items()):
        labels = _english(ctx.ontology, term, RDFS.label)
        definitions = _english(ctx.ontology, term, SKOS.definition)
        problem = None
        if len(labels) > 1:
            problem = f"the {kind} has {len(labels)} English labels"
        elif len(definitions) > 1:
            problem = f"the {kind} has {len(definitions)} English skos:definition values"
        elif not definitions and (term, SKOS.definition, None) in ctx.ontology:
            problem = f"the {kind}'s skos:definition has no @en tag"
        elif definitions:
            text = str(definitions[0]).strip()
            if not (text[:1].isupper() and text.endswith(".")) or ". " in text:
                problem = f"the {kind}'s definition is not one sentence starting with a capital and ending with '.'"
        if problem:
            yield ctx.finding(
                "error",
                "term-annotations",
                term,
                problem,
                'write one  rdfs:label "…"@en  and one  skos:definition "One sentence."@en',
                [ctx.ontology_file],
            )


@rule("superclass", "every ilrs: class has an rdfs:subClassOf (an ilrs: class, or a reused one such as prov:Entity)")
def superclass(ctx: CheckContext) -> Iterator[Finding]:
    for cls in _classes(ctx):
        if ctx.ontology.value(cls, RDFS.subClassOf) is None:
            yield ctx.finding(
                "error",
                "superclass",
                cls,
                "the class has no superclass, so no shape or query of a broader class applies to it",
                f"add  rdfs:subClassOf  the most specific class it belongs to (an ilrs: class, or prov:Entity, "
                f"schema:Event, …) to {show(cls)}",
                [ctx.ontology_file],
            )


@rule("domain-and-range", "every ilrs: property has an rdfs:range, and an rdfs:domain unless documented without")
def domain_and_range(ctx: CheckContext) -> Iterator[Finding]:
    for prop in _properties(ctx):
        if ctx.ontology.value(prop, RDFS.range) is None:
            yield ctx.finding(
                "error",
                "domain-and-range",
                prop,
                "the property has no rdfs:range",
                "add  rdfs:range  a class (object property) or a datatype (datatype property)",
                [ctx.ontology_file],
            )
        comments = [str(c) for c in ctx.ontology.objects(prop, RDFS.comment)]
        if ctx.ontology.value(prop, RDFS.domain) is None and not any(c.startswith(NO_DOMAIN) for c in comments):
            yield ctx.finding(
                "error",
                "domain-and-range",
                prop,
                "the property has no rdfs:domain",
                f'add  rdfs:domain ilrs:SomeClass , or say why not:  rdfs:comment "{NO_DOMAIN}: …"@en',
                [ctx.ontology_file],
            )


@rule("top-level-disjointness", "every top-level ilrs: class is in a top-level owl:AllDisjointClasses axiom")
def top_level_disjointness(ctx: CheckContext) -> Iterator[Finding]:
    classes = set(_classes(ctx))
    top = {c for c in classes if not (ctx.superclasses.get(c, {c}) - {c}) & classes}
    axioms: list[set[URIRef]] = []
    for axiom in ctx.ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        head = ctx.ontology.value(axiom, OWL.members)
        listed_here: list[Node] = list(Collection(ctx.ontology, head)) if head is not None else []  # type: ignore[arg-type]
        members = {m for m in listed_here if isinstance(m, URIRef)}
        if members and members <= top:
            axioms.append(members)
    if not axioms:
        return
    listed: set[URIRef] = set().union(*axioms)
    example = " ".join(show(c) for c in sorted(sorted(axioms, key=len)[-1])[:2])
    for cls in sorted(top - listed):
        yield ctx.finding(
            "error",
            "top-level-disjointness",
            cls,
            "a top-level class, but in no top-level owl:AllDisjointClasses axiom: nothing says that an instance "
            "of it cannot also be an organization, a person, an agreement, …",
            f"add {show(cls)} to the owl:members ( {example} … ) of the top-level owl:AllDisjointClasses axiom",
            [ctx.ontology_file],
        )


@rule(
    "owl-datatype-map", "every datatype of an rdfs:range is in the OWL 2 datatype map, so the ontology stays OWL 2 DL"
)
def owl_datatype_map(ctx: CheckContext) -> Iterator[Finding]:
    for prop in _properties(ctx):
        for node in ctx.ontology.objects(prop, RDFS.range):
            members = ctx.class_set(node) or set()
            outside = sorted(str(m) for m in members if is_datatype_iri(str(m)) and str(m) not in OWL2_DATATYPE_MAP)
            if outside:
                yield ctx.finding(
                    "warning",
                    "owl-datatype-map",
                    prop,
                    f"the range uses {', '.join(show(URIRef(d)) for d in outside)}, outside the OWL 2 datatype map: "
                    "an OWL 2 DL reasoner refuses the ontology",
                    "use rdf:PlainLiteral for text and rdfs:Literal for dates and years as the rdfs:range, and keep "
                    "the exact datatype (sh:datatype xsd:gYear …) in the property's shape",
                    [ctx.ontology_file],
                )


#: Namespaces whose terms OWL itself defines: never declared in an import module.
BUILT_IN = (str(RDF), str(RDFS), str(OWL), "http://www.w3.org/2001/XMLSchema#")


@rule("import-declaration", "every reused term of the ontology and the data is declared in ontology/imports/")
def import_declaration(ctx: CheckContext) -> Iterator[Finding]:
    folder = ctx.ontology_file.parent / "imports"
    if not folder.is_dir():
        return
    declared = Graph()
    for path in sorted(folder.glob("*.ttl")):
        declared.parse(path, format="turtle")
    used: dict[URIRef, str] = {}
    for graph in [ctx.ontology, *ctx.data.values()]:
        for _, p, o in graph:
            # What the term most likely is: in the ontology, a property annotates the terms; in the data,
            # it links to a resource or gives a value.
            kind = "owl:DatatypeProperty" if isinstance(o, Literal) else "owl:ObjectProperty"
            kinds = [(p, "owl:AnnotationProperty" if graph is ctx.ontology else kind)]
            if p in (RDF.type, RDFS.subClassOf):
                kinds.append((o, "owl:Class"))
            elif p == RDFS.subPropertyOf:
                kinds.append((o, "owl:ObjectProperty"))
            for term, kind in kinds:
                if isinstance(term, URIRef) and not str(term).startswith((str(ILRS), *BUILT_IN)):
                    used.setdefault(term, kind)
    module = ctx.locator.display(folder / "external.ttl")
    for term, kind in sorted(used.items()):
        if (term, RDF.type, None) not in declared or (term, RDFS.label, None) not in declared:
            yield ctx.finding(
                "warning",
                "import-declaration",
                term,
                "a reused term that the import module does not declare: OWL tools (the reasoner, the full release "
                "artefact) cannot tell what kind of term it is",
                f'add  {show(term)} a {kind} ; rdfs:label "…"@en ; rdfs:isDefinedBy <…> .  to {module}',
                exclude=[p for p in ctx.locator.files if p.parent == folder],
            )


# --- shapes ----------------------------------------------------------------------------------


@rule("domain-shape", "every ilrs: property with a domain is a sh:targetSubjectsOf a domain shape requiring it")
def domain_shape(ctx: CheckContext) -> Iterator[Finding]:
    by_classes: dict[frozenset[URIRef], URIRef] = {}
    for shape in sorted(named_node_shapes(ctx.shapes)):
        if str(shape).endswith("DomainShape"):
            by_classes.setdefault(_required_classes(ctx.shapes, shape), shape)
    for prop in _properties(ctx):
        node = ctx.ontology.value(prop, RDFS.domain)
        domain = ctx.class_set(node) if node is not None else None
        if not domain:
            continue
        wanted = frozenset(d for d in domain if isinstance(d, URIRef))
        shapes = [
            s
            for s in ctx.shapes.subjects(SH.targetSubjectsOf, prop)
            if isinstance(s, URIRef) and str(s).endswith("DomainShape")
        ]
        if any(_required_classes(ctx.shapes, s) == wanted for s in shapes):
            continue
        names = " or ".join(sorted(show(c) for c in wanted))
        if shapes:
            message = f"its domain shape {show(shapes[0])} does not require exactly its domain {names}"
            fix = f"make {show(shapes[0])} require {names}, or move {show(prop)} to the domain shape that does"
        else:
            message = f"no domain shape (sh:targetSubjectsOf {show(prop)}) requires its domain {names}"
            existing = by_classes.get(wanted)
            if existing is not None:
                fix = f"add {show(prop)} to the sh:targetSubjectsOf of {show(existing)}"
                where = ctx.locator.find(str(existing), ctx.shapes_files)
                fix += f" ({where})" if where else ""
            else:
                fix = (
                    f"add to shapes/: ilrsh:{_local(sorted(wanted)[0])}DomainShape a sh:NodeShape ; "
                    f"sh:targetSubjectsOf {show(prop)} ; "
                    + (f"sh:class {names}" if len(wanted) == 1 else "sh:or ( [ sh:class … ] … )")
                    + ' ; rdfs:label "…"@en ; sh:message "Only an instance of … may have …"@en .'
                )
        yield ctx.finding("error", "domain-shape", prop, message, fix, [ctx.ontology_file])


def _required_classes(shapes: Graph, shape: URIRef) -> frozenset[URIRef]:
    """The classes a domain shape requires: its ``sh:class``, or the ``sh:class`` of each ``sh:or`` option."""
    required = {c for c in shapes.objects(shape, SH["class"]) if isinstance(c, URIRef)}
    head = shapes.value(shape, SH["or"])
    if head is not None:
        for option in Collection(shapes, head):
            cls = shapes.value(option, SH["class"])
            if isinstance(cls, URIRef):
                required.add(cls)
    return frozenset(required)


@rule("class-without-shape", "every ilrs: class is the sh:targetClass of its own shape ilrsh:{Class}Shape")
def class_without_shape(ctx: CheckContext) -> Iterator[Finding]:
    targeted = set(ctx.shapes.objects(None, SH.targetClass))
    for cls in _classes(ctx):
        own = own_shape(cls)
        if (own, SH.targetClass, cls) in ctx.shapes:
            continue
        covered = (ctx.superclasses.get(cls, {cls}) - {cls}) & targeted
        message = (
            f"no shape {show(own)} targets the class; only its superclasses' shapes validate its instances"
            if covered
            else "no shape targets the class or any of its superclasses, so its instances are not validated"
        )
        yield ctx.finding(
            "warning",
            "class-without-shape",
            cls,
            message,
            f'add  {show(own)} a sh:NodeShape ; rdfs:label "…"@en ; sh:targetClass {show(cls)} ; sh:pattern "…"  '
            "in shapes/",
            [ctx.ontology_file],
        )


@rule("instance-kind", "every ilrs: class's shape gives its IRI pattern …/id/{kind}/…; data IRIs use a known kind")
def instance_kind(ctx: CheckContext) -> Iterator[Finding]:
    patterned = named_classes(ctx.shapes)
    kinds = instance_kinds(ctx.shapes)
    for cls in _classes(ctx):
        if not ctx.superclasses.get(cls, {cls}) & patterned:
            yield ctx.finding(
                "warning",
                "instance-kind",
                cls,
                "no shape of the class or its superclasses says how its instances are named (…/id/{kind}/{key})",
                f'add  sh:pattern "^https://w3id\\\\.org/ilrs/id/{_local(cls).lower()}/[a-z0-9]+(-[a-z0-9]+)*$"  '
                f"and its sh:message to {show(own_shape(cls))}",
                [ctx.ontology_file],
            )
    if not kinds:
        return
    reported: set[str] = set()
    for name, graph in sorted(ctx.data.items()):
        for triple in graph:
            for node in (triple[0], triple[2]):
                kind = kind_of(str(node)) if isinstance(node, URIRef) else None
                if kind is not None and kind not in kinds and kind not in reported:  # no set built per node
                    reported.add(kind)
                    yield ctx.finding(
                        "error",
                        "instance-kind",
                        node,
                        f"the kind {kind!r} of …/id/{kind}/… is allowed by no shape's sh:pattern (in <{name}>)",
                        f"use the kind of its class ({', '.join(sorted(kinds))}), or add {kind!r} to the "
                        "sh:pattern of its class's shape",
                        ctx.graph_files(name),
                    )


@rule("shape-annotations", "every ilrsh: shape has an rdfs:label@en; every constraint one sh:message@en")
def shape_annotations(ctx: CheckContext) -> Iterator[Finding]:
    for shape in sorted(named_node_shapes(ctx.shapes)):
        problems = []
        if not _english(ctx.shapes, shape, RDFS.label):
            problems.append("has no rdfs:label@en")
        if _constrains(ctx.shapes, shape) and len(_english(ctx.shapes, shape, SH.message)) != 1:
            problems.append("constrains its focus nodes without exactly one sh:message@en")
        for prop in ctx.shapes.objects(shape, SH.property):
            if _constrains(ctx.shapes, prop) and len(_english(ctx.shapes, prop, SH.message)) != 1:
                path = ctx.shapes.value(prop, SH.path)
                problems.append(f"has a property shape on {show(path) if path else '?'} without one sh:message@en")
        for problem in problems:
            yield ctx.finding(
                "error",
                "shape-annotations",
                shape,
                f"the shape {problem}",
                'add  rdfs:label "… shape"@en  to the shape and  sh:message "What must hold."@en  to each constraint',
                ctx.shapes_files,
            )


def _constrains(shapes: Graph, node: object) -> bool:
    return any(p in CONSTRAINT_PARAMETERS for p in shapes.predicates(node, None))  # type: ignore[arg-type]


# --- the examples of the shapes (tests/shapes_cases) ---------------------------------------------


@rule("valid-example", "every ilrs: class has an instance in tests/shapes_cases/valid.ttl (or the vocabularies)")
def valid_example(ctx: CheckContext) -> Iterator[Finding]:
    example = ctx.shape_cases_dir / "valid.ttl" if ctx.shape_cases_dir else None
    if example is None or not example.is_file():
        return
    valid = Graph().parse(example, format="turtle")
    vocabularies = ctx.data.get(VOCABULARIES_GRAPH, Graph())
    instantiated = set(valid.objects(None, RDF.type)) | set(vocabularies.objects(None, RDF.type))
    for cls in _classes(ctx):
        if cls not in instantiated:
            yield ctx.finding(
                "error",
                "valid-example",
                cls,
                f"{ctx.locator.display(example)} has no instance of the class, "
                "so no test shows that valid data conforms",
                f"add a conforming {show(cls)} (label, IRI …/id/{{kind}}/{{key}}, required values) to "
                f"{ctx.locator.display(example)}",
                [ctx.ontology_file],
            )


@rule("negative-example", "every ilrsh: node shape has a broken example in tests/shapes_cases/negative/")
def negative_example(ctx: CheckContext) -> Iterator[Finding]:
    if ctx.shape_cases_dir is None or not ctx.shape_cases_dir.is_dir():
        return
    try:
        covered = shapes_with_negative_examples(ctx.shape_cases_dir)
    except ValueError as err:
        yield Finding("error", "negative-example", "(examples)", str(err), "complete the case's header")
        return
    folder = ctx.locator.display(ctx.shape_cases_dir / "negative")
    for shape in sorted(named_node_shapes(ctx.shapes)):
        name = shape.removeprefix(str(shape).rsplit("#", 1)[0] + "#")
        if name not in covered:
            yield ctx.finding(
                "error",
                "negative-example",
                shape,
                "no broken example shows that the shape rejects what it should",
                f"add {folder}/{name}.ttl with a case: '# case: NAME', '# focus: IRI', '# path: PROPERTY', "
                "'# message: the expected sh:message', then the Turtle of a resource that breaks one constraint",
                ctx.shapes_files,
            )


# --- the JSON-LD context -------------------------------------------------------------------------


@rule("context-coercion", 'every ilrs: object property is a term of the JSON-LD context with "@type": "@id"')
def context_coercion(ctx: CheckContext) -> Iterator[Finding]:
    if ctx.context_file is None or not ctx.context_file.is_file():
        return
    try:
        terms = json.loads(ctx.context_file.read_text(encoding="utf-8")).get("@context", {})
    except ValueError as err:
        yield Finding(
            "error", "context-coercion", ctx.locator.display(ctx.context_file), f"not JSON: {err}", "fix the file"
        )
        return
    for prop in _properties(ctx, OWL.ObjectProperty):
        name = _local(prop)
        definition = terms.get(name)
        if isinstance(definition, dict) and definition.get("@type") == "@id":
            continue
        state = "has no term" if definition is None else "does not coerce it to an IRI"
        yield ctx.finding(
            "error",
            "context-coercion",
            prop,
            f'{ctx.locator.display(ctx.context_file)} {state}: JSON-LD clients would get {{"@id": …}} objects',
            f'add  "{name}": {{ "@type": "@id", "@container": "@set" }}  to {ctx.locator.display(ctx.context_file)} '
            "(the object properties' block)",
            [ctx.ontology_file],
        )
