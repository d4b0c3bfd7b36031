"""The project's schema conventions that code, tests and ``ilrs check`` all read from the files themselves.

* **Instance kinds**: an instance IRI is ``{BASE}id/{kind}/{key}``; the kinds a class may
  use are those its node shape's ``sh:pattern`` allows (``…/id/(organization|agency)/…``).
* **Own shapes**: the node shape of class ``ilrs:X`` is ``ilrsh:XShape``.
* **Negative examples**: every node shape ``ilrsh:XShape`` has at least one deliberately broken
  example in ``tests/shapes_cases/negative/XShape.ttl``, with the result the shapes must report.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from .namespaces import GRAPH, ID, ILRS, SHAPES_IRI

SHAPES_NS = f"{SHAPES_IRI}#"
#: ``…/id/(organization|agency)/…`` or ``…/id/country/…`` inside a node shape's ``sh:pattern``.
_KIND_PATTERN = re.compile(r"w3id\\?\.org/ilrs/id/\(?([a-z][a-z0-9|\-]*)\)?/")
#: ``# key: value`` header lines of a negative example file.
_HEADER = re.compile(r"^#\s*(case|focus|path|message):\s*(.*?)\s*$")


def own_shape(cls: URIRef) -> URIRef:
    """``ilrs:Agreement`` → ``ilrsh:AgreementShape``."""
    return URIRef(f"{SHAPES_NS}{cls.removeprefix(str(ILRS))}Shape")


def kinds_by_class(shapes: Graph) -> dict[Node, set[str]]:
    """Class → the ``{kind}`` segments its node shapes' ``sh:pattern`` allow in instance IRIs."""
    found: dict[Node, set[str]] = defaultdict(set)
    for shape, cls in shapes.subject_objects(SH.targetClass):
        for pattern in shapes.objects(shape, SH.pattern):
            for match in _KIND_PATTERN.finditer(str(pattern)):
                found[cls].update(match.group(1).split("|"))
    return dict(found)


def named_classes(shapes: Graph) -> set[Node]:
    """The classes whose node shapes constrain their instances' IRIs with a ``sh:pattern``."""
    return {cls for shape, cls in shapes.subject_objects(SH.targetClass) if (shape, SH.pattern, None) in shapes}


def instance_kinds(shapes: Graph) -> set[str]:
    """Every ``{kind}`` of ``{BASE}id/{kind}/{key}`` that some shape allows."""
    return {kind for kinds in kinds_by_class(shapes).values() for kind in kinds}


def kind_of(iri: str) -> str | None:
    """The ``{kind}`` of an instance IRI, or ``None`` if it is not under ``{BASE}id/``."""
    if not iri.startswith(str(ID)):
        return None
    kind, sep, _ = iri[len(ID) :].partition("/")
    return kind if sep else None


@dataclass(frozen=True)
class NegativeExample:
    """A broken example of ``tests/shapes_cases/negative/{Shape}.ttl`` and the result the shapes must report.

    ``focus`` and ``path`` are prefixed names (``agreement:case-x``, ``^ilrs:holdsPosition`` for an inverse
    path), ``<IRI>``, or ``_:`` for "a blank node"; ``path`` is ``None`` for a node-level constraint.
    """

    shape: str
    name: str
    turtle: str
    focus: str
    path: str | None
    message: str
    line: int

    @property
    def id(self) -> str:
        return f"{self.shape}-{self.name}"


def read_negative_examples(path: Path) -> list[NegativeExample]:
    """The cases of one file: each starts with ``# case: NAME``, ``# focus: …``, optionally ``# path: …``,
    ``# message: …``, followed by its Turtle (prefixes are declared by the reader, see :func:`case_prefixes`).

    Raises :class:`ValueError` naming ``file:line`` when a case lacks a header.
    """
    cases: list[NegativeExample] = []
    header: dict[str, str] = {}
    body: list[str] = []
    start = 0

    def close() -> None:
        if not header:
            return
        missing = [k for k in ("focus", "message") if k not in header]
        if missing:
            raise ValueError(f"{path}:{start}: case {header['case']!r} lacks # {', # '.join(missing)}:")
        turtle = "\n".join(body).strip()
        focus, result_path, message = header["focus"], header.get("path"), header["message"]
        cases.append(NegativeExample(path.stem, header["case"], turtle, focus, result_path, message, start))

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _HEADER.match(line)
        if match and match.group(1) == "case":
            close()
            header, body, start = {"case": match.group(2)}, [], number
        elif match and header and not body:
            header[match.group(1)] = match.group(2)
        elif header and not line.lstrip().startswith("#"):
            body.append(line)
    close()
    return cases


def load_negative_examples(cases_dir: Path) -> list[NegativeExample]:
    """Every case of ``cases_dir/negative/*.ttl``, file by file."""
    return [case for path in sorted((cases_dir / "negative").glob("*.ttl")) for case in read_negative_examples(path)]


def shapes_with_negative_examples(cases_dir: Path) -> set[str]:
    """Local names of the node shapes that have at least one broken example in ``cases_dir/negative/``."""
    return {case.shape for case in load_negative_examples(cases_dir)}


def case_prefixes(shapes: Graph) -> dict[str, str]:
    """The prefixes the examples may use without declaring them: the usual ones and one per instance kind."""
    return {
        "ilrs": str(ILRS),
        "rdf": str(RDF),
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "dcterms": "http://purl.org/dc/terms/",
        "prov": "http://www.w3.org/ns/prov#",
        "sourcegraph": f"{GRAPH}source/",
        **{kind: f"{ID}{kind}/" for kind in sorted(instance_kinds(shapes))},
    }


def named_node_shapes(shapes: Graph) -> set[URIRef]:
    """The node shapes named in the ``ilrsh:`` namespace."""
    return {s for s in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef) and s.startswith(SHAPES_NS)}
