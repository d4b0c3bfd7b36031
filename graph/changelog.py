"""The changelog graph: one PROV-O activity per committed write.

Each write through the API or ``ilrs load``/``ilrs update`` is recorded in
``https://w3id.org/ilrs/graph/changelog``, committed in the same transaction as the data::

    <https://w3id.org/ilrs/id/edit/{version}> a prov:Activity ;
        prov:wasAssociatedWith <https://w3id.org/ilrs/id/editor/{token name}> ;
        prov:endedAtTime "…"^^xsd:dateTime ;
        cl:changedGraph <graph> ; cl:changed <resource> ;
        cl:triplesAdded 3 ; cl:triplesRemoved 1 ;
        cl:datasetVersion "…" ; cl:previousVersion "…" ;
        rdfs:comment "the message, if given" .

``cl:`` is ``https://w3id.org/ilrs/changelog#``. The store's default graph has no IRI: an edit of it
names the ontology's individual ``ilrs:DefaultGraph`` (:data:`~ilrs.graph.namespaces.DEFAULT_GRAPH`) as
its changed graph. The graph also holds the current version
(:data:`~ilrs.graph.store.VERSION_PREDICATE`), so that a store reopened from disk keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pyoxigraph as ox

from .namespaces import DEFAULT_GRAPH
from .settings import BASE_IRI
from .store import CHANGELOG_GRAPH, VERSION_PREDICATE, Store

CL = f"{BASE_IRI}changelog#"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
XSD = "http://www.w3.org/2001/XMLSchema#"
#: ``ilrs export --changed-since loaded``: every write since the store was loaded from the files.
LOADED = "loaded"
#: Resources named per activity at most (``cl:changed``); a bulk write names the first ones.
MAX_CHANGED = 1000


@dataclass(frozen=True)
class Edit:
    """What one committed write did, as the changelog records it."""

    version: str
    previous: str
    editor: str
    time: datetime
    #: The graphs changed, the default graph as :func:`graph_name` names it.
    graphs: list[str]
    changed: list[str]
    added: int
    removed: int
    message: str | None = None

    @property
    def iri(self) -> str:
        return f"{BASE_IRI}id/edit/{self.version}"


def graph_name(graph: str) -> str:
    """The IRI by which the changelog names a changed graph: its own, or ``ilrs:DefaultGraph`` for ``""``, the
    store's default graph."""
    return graph or str(DEFAULT_GRAPH)


def editor_iri(name: str) -> str:
    return f"{BASE_IRI}id/editor/{name}"


def edit_quads(edit: Edit) -> list[ox.Quad]:
    """The activity's quads, and the new version's, in the changelog graph."""
    g = ox.NamedNode(CHANGELOG_GRAPH)
    a = ox.NamedNode(edit.iri)
    agent = ox.NamedNode(editor_iri(edit.editor))

    def cl(name: str) -> ox.NamedNode:
        return ox.NamedNode(CL + name)

    def integer(n: int) -> ox.Literal:
        return ox.Literal(str(n), datatype=ox.NamedNode(XSD + "integer"))

    stamp = ox.Literal(edit.time.isoformat(), datatype=ox.NamedNode(XSD + "dateTime"))
    triples: list[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal]] = [
        (a, RDF_TYPE, ox.NamedNode(PROV + "Activity")),
        (a, ox.NamedNode(PROV + "wasAssociatedWith"), agent),
        (a, ox.NamedNode(PROV + "endedAtTime"), stamp),
        (a, cl("triplesAdded"), integer(edit.added)),
        (a, cl("triplesRemoved"), integer(edit.removed)),
        (a, cl("datasetVersion"), ox.Literal(edit.version)),
        (a, cl("previousVersion"), ox.Literal(edit.previous)),
        (a, RDFS_LABEL, ox.Literal(f"edit by {edit.editor}")),
        (agent, RDF_TYPE, ox.NamedNode(PROV + "Agent")),
        (agent, RDFS_LABEL, ox.Literal(edit.editor)),
        (g, ox.NamedNode(VERSION_PREDICATE), ox.Literal(edit.version)),
    ]
    triples += [(a, cl("changedGraph"), ox.NamedNode(graph_name(name))) for name in edit.graphs]
    triples += [(a, cl("changed"), ox.NamedNode(iri)) for iri in edit.changed[:MAX_CHANGED]]
    if edit.message:
        triples.append((a, RDFS_COMMENT, ox.Literal(edit.message)))
    return [ox.Quad(s, p, o, g) for s, p, o in triples]


def version_quads(store: Store) -> list[ox.Quad]:
    """The quad naming the current version (replaced at every commit)."""
    head = ox.NamedNode(CHANGELOG_GRAPH)
    return list(store.match(head, ox.NamedNode(VERSION_PREDICATE), None, head))


@dataclass(frozen=True)
class LastEdit:
    """The latest edit of a resource: when, and by whom."""

    time: str
    editor: str
    message: str | None


def last_edit(store: Store, iri: str) -> LastEdit | None:
    """The latest committed write that changed ``iri``, or ``None``."""
    query = f"""
        SELECT ?when ?who ?message WHERE {{
          GRAPH <{CHANGELOG_GRAPH}> {{
            ?edit <{CL}changed> <{iri}> ; <{PROV}endedAtTime> ?when ;
                  <{PROV}wasAssociatedWith>/<{RDFS_LABEL.value}> ?who .
            OPTIONAL {{ ?edit <{RDFS_COMMENT.value}> ?message }}
          }}
        }} ORDER BY DESC(?when) LIMIT 1"""
    result = store.query(query, union_default_graph=False)
    assert isinstance(result, ox.QuerySolutions)
    for row in result:
        message = row["message"]
        return LastEdit(str(row["when"].value), str(row["who"].value), str(message.value) if message else None)
    return None


def graphs_changed_since(store: Store, version: str) -> list[str]:
    """The graphs changed by the writes committed after ``version``, sorted; ``"loaded"`` means every write
    since the store was loaded from the files. The default graph is named ``ilrs:DefaultGraph``.

    :class:`~ilrs.graph.errors.NotFound` if no committed write produced ``version`` (nor started from it).
    """
    from .errors import NotFound

    edits = _edits(store)
    versions = [e[0] for e in edits]
    if version == LOADED:
        later = edits
    elif version in versions:
        later = edits[versions.index(version) + 1 :]
    elif edits and edits[0][1] == version:  # the version before the first write: everything since
        later = edits
    else:
        known = ", ".join(versions[-5:]) or "none"
        raise NotFound(f"no committed write produced version {version!r} (latest versions: {known})")
    return sorted({g for _, _, graphs in later for g in graphs})


def _edits(store: Store) -> list[tuple[str, str, list[str]]]:
    """(version, previous version, graphs changed) of every edit, oldest first."""
    query = f"""
        SELECT ?version ?previous ?when (GROUP_CONCAT(STR(?g); separator=" ") AS ?graphs) WHERE {{
          GRAPH <{CHANGELOG_GRAPH}> {{
            ?edit <{CL}datasetVersion> ?version ; <{CL}previousVersion> ?previous ; <{PROV}endedAtTime> ?when .
            OPTIONAL {{ ?edit <{CL}changedGraph> ?g }}
          }}
        }} GROUP BY ?version ?previous ?when ORDER BY ?when"""
    rows = []
    result = store.query(query, union_default_graph=False)
    assert isinstance(result, ox.QuerySolutions)
    for row in result:
        graphs = str(row["graphs"].value).split() if row["graphs"] else []
        rows.append((str(row["version"].value), str(row["previous"].value), graphs))
    return rows


def now() -> datetime:
    return datetime.now(UTC)
