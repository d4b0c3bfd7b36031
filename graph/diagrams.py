"""Graphviz diagrams of the ontology and of example instances, drawn from the graphs themselves.

:func:`class_diagram` draws the ``ilrs:`` classes (with their datatype properties),
``rdfs:subClassOf`` edges, and an edge for each object property from every class
of its domain to every class of its range. :func:`instance_diagram` draws one
agreement with what it links to and where that is stated (its source graph and
source document). Both return DOT text, sorted so that the same graphs always
give the same text; :func:`render_svg` runs Graphviz's ``dot``.
"""

from __future__ import annotations

import html
import shutil
import subprocess

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS
from rdflib.term import Node

from .errors import ToolError
from .namespaces import ILRS, SOURCES_GRAPH
from .rdfview import show, union

CLASS_TYPES = (OWL.Class, RDFS.Class)
#: Literal properties left out of the instance boxes: the label is the box's title; the rest is prose.
_LONG_TEXT = (RDFS.label, RDFS.comment, ILRS.quote, SKOS.altLabel, SKOS.definition)
_FONT = 'fontname="Helvetica"'


def class_diagram(ontology: Graph) -> str:
    """DOT text: the ontology's classes, their datatype properties, subclass and object-property edges."""
    classes = sorted({c for t in CLASS_TYPES for c in ontology.subjects(RDF.type, t) if _own(c)}, key=str)
    attributes: dict[Node, list[str]] = {c: [] for c in classes}
    edges: set[tuple[str, str, str]] = set()
    for prop in sorted((p for p in ontology.subjects(RDF.type, OWL.DatatypeProperty) if _own(p)), key=str):
        ranges = " | ".join(sorted(show(r) for r in _members(ontology, RDFS.range, prop))) or "literal"
        for domain in _members(ontology, RDFS.domain, prop):
            if domain in attributes:
                attributes[domain].append(f"{_local(prop)}: {ranges}")
    for prop in sorted((p for p in ontology.subjects(RDF.type, OWL.ObjectProperty) if _own(p)), key=str):
        for domain in _members(ontology, RDFS.domain, prop):
            for range_ in _members(ontology, RDFS.range, prop):
                if domain in attributes and range_ in attributes:
                    edges.add((_id(domain), _id(range_), _local(prop)))
    lines = [
        "digraph classes {",
        f'  graph [rankdir=LR, {_FONT}, fontsize=11, nodesep=0.25, ranksep=0.5, label="ILRS ontology: classes", '
        "labelloc=t];",
        f"  node [shape=plaintext, {_FONT}, fontsize=10];",
        f"  edge [{_FONT}, fontsize=8, color=gray40, fontcolor=gray25];",
    ]
    for c in classes:
        rows = "".join(f'<TR><TD ALIGN="LEFT">{html.escape(a)}</TD></TR>' for a in sorted(attributes[c]))
        title = f'<TR><TD BGCOLOR="#dbe8f6"><B>{html.escape(_local(c))}</B></TD></TR>'
        table = f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">{title}{rows}</TABLE>'
        lines.append(f'  {_id(c)} [label=<{table}>, tooltip="{c}"];')
    for sub, sup in sorted((s, o) for s, o in ontology.subject_objects(RDFS.subClassOf) if _own(s) and _own(o)):
        # Drawn from superclass to subclass (arrow at the superclass) so that hierarchies read left to right.
        lines.append(f"  {_id(sup)} -> {_id(sub)} [dir=back, arrowtail=empty, color=black];")
    for tail, head, label in sorted(edges):
        lines.append(f'  {tail} -> {head} [label="{label}", style=dashed];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def pick_agreement(graphs: dict[str, Graph], preferred: str | None = None) -> URIRef | None:
    """The agreement to draw: ``preferred`` if given, else a typical one.

    Typical: signed at an event, with two or more parties, and otherwise as few links
    as possible (a compact picture); ties go to the first IRI.
    """
    everything = union(graphs.values())
    agreements = sorted(
        a for a in everything.subjects(RDF.type, None) if isinstance(a, URIRef) and _is_agreement(everything, a)
    )
    if preferred is not None:
        return URIRef(preferred) if URIRef(preferred) in agreements else None

    def typical(a: URIRef) -> tuple[bool, bool, int, str]:
        parties = len(set(everything.objects(a, ILRS.party)))
        links = sum(1 for o in everything.objects(a, None) if (o, RDF.type, None) in everything)
        return (everything.value(a, ILRS.signedAt) is None, parties < 2, links, str(a))

    return min(agreements, key=typical, default=None)


def instance_diagram(graphs: dict[str, Graph], agreement: URIRef) -> str:
    """DOT text: ``agreement`` with its literals, the typed resources it links to, and its provenance."""
    everything = union(graphs.values())
    sources = graphs.get(str(SOURCES_GRAPH), Graph())
    nodes: dict[Node, str] = {agreement: _instance_label(everything, agreement, with_literals=True)}
    edges: set[tuple[str, str, str, str]] = set()
    for p, o in sorted(everything.predicate_objects(agreement)):
        if isinstance(o, URIRef) and p != RDF.type and (o, RDF.type, None) in everything:
            nodes[o] = _instance_label(everything, o)
            edges.add((_id(agreement), _id(o), show(p), "solid"))
    for name, graph in sorted(graphs.items()):
        if (agreement, None, None) in graph and name != str(SOURCES_GRAPH):
            named = URIRef(name)
            nodes[named] = _box("named graph", show(named), "#eeeeee")
            edges.add((_id(agreement), _id(named), "stated in", "dotted"))
            for document in sorted(sources.objects(named, PROV.wasDerivedFrom), key=str):
                title = str(sources.value(document, DCTERMS.title) or show(document))
                nodes[document] = _box(show(document), _wrap(title, 40), "#fff4d6")
                edges.add((_id(named), _id(document), "prov:wasDerivedFrom", "dotted"))
    lines = [
        "digraph instances {",
        f'  graph [rankdir=LR, {_FONT}, fontsize=11, label="An agreement as the graph records it", labelloc=t];',
        f"  node [shape=plaintext, {_FONT}, fontsize=10];",
        f"  edge [{_FONT}, fontsize=8, color=gray40, fontcolor=gray25];",
    ]
    lines += [f'  {_id(n)} [label=<{label}>, tooltip="{n}"];' for n, label in sorted(nodes.items())]
    lines += [f'  {t} -> {h} [label="{label}", style={style}];' for t, h, label, style in sorted(edges)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot: str) -> str:
    """The SVG Graphviz draws for ``dot``; :class:`ToolError` if ``dot`` is missing or fails."""
    executable = shutil.which("dot")
    if executable is None:
        raise ToolError("Graphviz's dot is not installed (Debian: apt-get install graphviz)")
    done = subprocess.run([executable, "-Tsvg"], input=dot.encode(), capture_output=True, timeout=120, check=False)
    if done.returncode != 0:
        raise ToolError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode()


# --- helpers -------------------------------------------------------------------------------


def _own(node: Node) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(str(ILRS))


def _local(node: Node) -> str:
    return str(node).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _id(node: Node) -> str:
    """A DOT identifier for ``node``: its compact name, quoted."""
    return '"' + show(node).replace('"', "'") + '"'


def _members(ontology: Graph, axiom: URIRef, prop: Node) -> list[Node]:
    """The classes or datatypes of a property's domain or range, with ``owl:unionOf`` lists expanded."""
    found: list[Node] = []
    for value in ontology.objects(prop, axiom):
        if isinstance(value, BNode) and (value, OWL.unionOf, None) in ontology:
            found += list(Collection(ontology, ontology.value(value, OWL.unionOf)))  # type: ignore[arg-type]
        elif isinstance(value, URIRef):
            found.append(value)
    return sorted(found, key=str)


def _is_agreement(graph: Graph, node: URIRef) -> bool:
    return (node, RDF.type, ILRS.Agreement) in graph or any(
        (t, RDFS.subClassOf, ILRS.Agreement) in graph for t in graph.objects(node, RDF.type)
    )


def _instance_label(graph: Graph, node: Node, with_literals: bool = False) -> str:
    types = ", ".join(sorted(show(t) for t in graph.objects(node, RDF.type)))
    label = _english_label(graph, node) or show(node)
    rows = [
        f'<TR><TD BGCOLOR="#dff0d8"><B>{html.escape(_wrap(label, 56))}</B></TD></TR>',
        f'<TR><TD><FONT POINT-SIZE="8">{html.escape(show(node))}  a {html.escape(types)}</FONT></TD></TR>',
    ]
    if with_literals:
        literals = sorted(
            (show(p), _wrap(str(o), 60))
            for p, o in graph.predicate_objects(node)
            if isinstance(o, Literal) and p not in _LONG_TEXT
        )
        rows += [f'<TR><TD ALIGN="LEFT">{html.escape(p)} {html.escape(v)}</TD></TR>' for p, v in literals]
    return '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">' + "".join(rows) + "</TABLE>"


def _english_label(graph: Graph, node: Node) -> str | None:
    labels = sorted(graph.objects(node, RDFS.label), key=lambda lit: (getattr(lit, "language", None) != "en", str(lit)))
    return str(labels[0]) if labels else None


def _box(title: str, text: str, colour: str) -> str:
    return (
        '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
        f'<TR><TD BGCOLOR="{colour}"><B>{html.escape(title)}</B></TD></TR>'
        f"<TR><TD>{html.escape(text)}</TD></TR></TABLE>"
    )


def _wrap(text: str, width: int) -> str:
    """``text`` shortened to ``width`` characters (labels in diagram boxes stay one line)."""
    return text if len(text) <= width else text[: width - 1] + "…"
