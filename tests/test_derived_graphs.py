"""The inferred and the merged graph: what they hold, that they follow every load, and where they are described.

Expected sets are computed independently of :mod:`ilrs.graph.derived`, with SPARQL property
paths (``rdfs:subClassOf*``) over the asserted graphs only.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pyoxigraph as ox
from checkout import PROJECT_ROOT
from rdflib import Graph, Literal, Namespace, URIRef

from ilrs.graph.derived import DERIVED_GRAPHS, INFERRED_GRAPH, MERGED_GRAPH, entailed, materialise
from ilrs.graph.loader import build_store
from ilrs.graph.settings import get_settings
from ilrs.graph.store import (
    CHANGELOG_GRAPH,
    INFERRED_GRAPH_IRI,
    MERGED_GRAPH_IRI,
    Store,
    default_graph_iris,
    memory_store,
)
from ilrs.graph.watch import rebuild

ILRS = "https://w3id.org/ilrs/ontology#"
ID = "https://w3id.org/ilrs/id/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
DCTERMS = Namespace("http://purl.org/dc/terms/")


def asserted_graphs(store: Store) -> list[str]:
    return [g for g in store.graphs() if g not in DERIVED_GRAPHS]


def column(store: Store, sparql: str, **kwargs: object) -> set[str]:
    result = store.query(sparql, **kwargs)  # type: ignore[arg-type]
    assert isinstance(result, ox.QuerySolutions)
    return {row[0].value for row in result}  # type: ignore[union-attr]


def classes(store: Store) -> list[str]:
    query = (
        "SELECT DISTINCT ?c WHERE { GRAPH <https://w3id.org/ilrs/graph/ontology> "
        "{ ?c a <http://www.w3.org/2002/07/owl#Class> } FILTER(isIRI(?c)) }"
    )
    return sorted(column(store, query))


def test_the_default_graph_is_the_derived_graphs_and_the_changelog() -> None:
    assert (MERGED_GRAPH_IRI, INFERRED_GRAPH_IRI) == (MERGED_GRAPH, INFERRED_GRAPH)
    everything = {MERGED_GRAPH, INFERRED_GRAPH, CHANGELOG_GRAPH, "https://w3id.org/ilrs/graph/source/000"}
    assert default_graph_iris(everything.__contains__) == [MERGED_GRAPH, INFERRED_GRAPH, CHANGELOG_GRAPH]
    assert default_graph_iris({MERGED_GRAPH}.__contains__) == [MERGED_GRAPH]
    assert default_graph_iris({INFERRED_GRAPH, CHANGELOG_GRAPH}.__contains__) is None  # no merged graph: every graph


def test_the_derived_graphs_are_loaded(dataset: Store) -> None:
    assert set(dataset.graphs()) >= DERIVED_GRAPHS
    assert dataset.count(INFERRED_GRAPH) > 0 and dataset.count(MERGED_GRAPH) > 0


def test_every_class_finds_its_instances_and_those_of_its_subclasses(dataset: Store) -> None:
    """For every class C: ``?x a C`` over the data and the inferred graph = instances of C or of a subclass."""
    asserted = asserted_graphs(dataset)
    checked = 0
    for c in classes(dataset):
        found = column(dataset, f"SELECT DISTINCT ?x WHERE {{ ?x a <{c}> }}")
        with_inferred = column(
            dataset, f"SELECT DISTINCT ?x WHERE {{ ?x a <{c}> }}", default_graphs=[*asserted, INFERRED_GRAPH]
        )
        expected = column(
            dataset,
            f"SELECT DISTINCT ?x WHERE {{ ?x a/<{RDFS}subClassOf>* <{c}> }}",
            default_graphs=asserted,
        )
        assert found == with_inferred == expected, c
        checked += bool(expected)
    assert checked > 40  # the ilrs: classes with instances and the W3C/schema.org classes above them


def test_a_mission_typed_by_a_subclass_is_a_mission(dataset: Store) -> None:
    missions = column(dataset, f"SELECT ?m WHERE {{ ?m a <{ILRS}Mission> }}")
    assert {ID + "mission/queqiao-2", ID + "mission/viper", ID + "mission/change-7"} <= missions
    asserted_only = column(
        dataset, f"SELECT ?m WHERE {{ ?m a <{ILRS}Mission> }}", default_graphs=asserted_graphs(dataset)
    )
    assert ID + "mission/queqiao-2" not in asserted_only  # typed only as an ilrs:SatelliteConstellation
    agents = column(dataset, "SELECT ?a WHERE { ?a a <http://www.w3.org/ns/prov#Agent> }")
    assert {ID + "agency/cnsa", ID + "country/PK", ID + "person/wu-weiren"} <= agents


def test_every_superproperty_finds_its_subproperties_statements(dataset: Store) -> None:
    asserted = asserted_graphs(dataset)
    query = f"SELECT DISTINCT ?p WHERE {{ ?q <{RDFS}subPropertyOf> ?p FILTER(isIRI(?p) && isIRI(?q)) }}"
    properties = column(dataset, query, default_graphs=asserted)
    assert f"{ILRS}statedBy" not in properties and "http://purl.org/dc/terms/subject" in properties
    for p in properties:
        found = {
            (r["s"].value, r["o"].value)
            for r in dataset.query(f"SELECT DISTINCT ?s ?o WHERE {{ ?s <{p}> ?o }}")  # type: ignore[union-attr]
        }
        expected = {
            (r["s"].value, r["o"].value)
            for r in dataset.query(  # type: ignore[union-attr]
                f"SELECT DISTINCT ?s ?o WHERE {{ ?s ?q ?o . ?q <{RDFS}subPropertyOf>* <{p}> }}",
                default_graphs=asserted,
            )
        }
        assert found == expected, p
    subjects = column(dataset, f"SELECT ?x WHERE {{ ?x <http://purl.org/dc/terms/subject> <{ID}program/ilrs> }}")
    assert ID + "application/001-turkey" in subjects  # from ilrs:concerns


def test_the_inferred_graph_holds_only_what_no_graph_asserts(dataset: Store) -> None:
    graphs = " ".join(f"<{g}>" for g in asserted_graphs(dataset))
    overlap = dataset.query(
        f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} VALUES ?g {{ {graphs} }} GRAPH ?g {{ ?s ?p ?o }} }}"
    )
    assert not bool(overlap)


def test_the_merged_graph_is_every_asserted_triple_once(dataset: Store) -> None:
    asserted = {
        ox.Triple(q.subject, q.predicate, q.object) for q in dataset.quads() if q.graph_name.value not in DERIVED_GRAPHS
    }
    merged = {ox.Triple(q.subject, q.predicate, q.object) for q in dataset.quads(MERGED_GRAPH)}
    assert merged == asserted
    assert dataset.count(MERGED_GRAPH) == len(asserted) < sum(dataset.count(g) for g in asserted_graphs(dataset))


def test_a_triple_several_graphs_state_is_found_once_and_graph_tells_which(dataset: Store) -> None:
    """A label five articles state: once from the default graph (the RDF merge of the graphs) and FROM the merged
    graph; ``GRAPH ?g`` finds it in each article's graph and in the merged graph."""
    query = (
        'SELECT ?x {0} WHERE {{ ?x <http://www.w3.org/2000/01/rdf-schema#label> "International Lunar Research '
        'Station"@en }}'
    )
    default = list(dataset.query(query.format("")))  # type: ignore[arg-type]
    merged = list(dataset.query(query.format(f"FROM <{MERGED_GRAPH}>"), union_default_graph=False))  # type: ignore[arg-type]
    assert len(merged) == len(default) == 1
    in_graphs = query.format("").replace("SELECT ?x", "SELECT ?g").replace("WHERE {", "WHERE { GRAPH ?g {") + " }"
    graphs = [row["g"].value for row in dataset.query(in_graphs)]  # type: ignore[union-attr]
    sources = {f"https://w3id.org/ilrs/graph/source/00{n}" for n in range(5)}
    assert sorted(graphs) == sorted(sources | {MERGED_GRAPH})


def test_the_default_graph_is_every_graphs_triples_once(dataset: Store) -> None:
    """The default graph against every graph listed by name (the merged one aside) with DISTINCT: the same
    triples, none repeated."""
    every = "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }"
    graphs = [g for g in dataset.graphs() if g != MERGED_GRAPH]
    expected = {tuple(row) for row in dataset.query(every, default_graphs=graphs)}  # type: ignore[union-attr]
    found = [tuple(row) for row in dataset.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")]  # type: ignore[union-attr]
    assert len(found) == len(set(found)) == len(expected), "a triple repeated, or missing"
    assert set(found) == expected
    assert len(found) < sum(dataset.count(g) for g in graphs)  # the articles restate one another


def test_the_derived_graphs_are_not_validated_nor_for_the_editors_tools() -> None:
    store = build_store(get_settings(), derived=False)
    assert not DERIVED_GRAPHS & set(store.graphs())


def test_every_load_rebuilds_them(tmp_path: Path) -> None:
    """An edit to a source file shows in the merged and inferred graphs of the next (watch) rebuild."""
    data = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "graph" / "data", data)
    path = data / "sources" / "004.trig"
    text = path.read_text(encoding="utf-8").replace(
        "mission:viper a ilrs:RoverMission ;", "mission:viper a ilrs:LanderMission ;"
    )
    path.write_text(text, encoding="utf-8")
    result = rebuild(get_settings().model_copy(update={"data_dir": data}))
    assert result.dataset is not None, result.message
    store = result.dataset.store
    viper = ox.NamedNode(ID + "mission/viper")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

    def types(graph: str) -> set[str]:
        return {q.object.value for q in store.quads(graph) if q.subject == viper and q.predicate == rdf_type}

    merged_types, inferred = types(MERGED_GRAPH), types(INFERRED_GRAPH)
    assert ILRS + "LanderMission" in merged_types and ILRS + "RoverMission" not in merged_types
    assert ILRS + "Mission" in inferred
    # The default graph of the rebuilt store is its merged and inferred graphs: the edit, and once.
    found = [row[0].value for row in store.query(f"SELECT ?t WHERE {{ <{viper.value}> a ?t }}")]  # type: ignore[union-attr]
    assert sorted(found) == sorted(merged_types | inferred)


def test_service_description_names_and_explains_them(client: httpx.Client) -> None:
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    sd = Graph().parse(data=r.text, format="turtle")
    for name in DERIVED_GRAPHS:
        (named,) = sd.subjects(SD.name, URIRef(name))
        assert (named, DCTERMS.title, None) in sd
        assert "Rebuilt with every load" in str(sd.value(named, URIRef(RDFS + "comment")))
    notes = " ".join(str(o) for o in sd.objects(None, URIRef(RDFS + "comment")))
    assert f"FROM <{MERGED_GRAPH}>" in notes


def test_void_describes_them(client: httpx.Client) -> None:
    r = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    void = Graph().parse(data=r.text, format="turtle")
    for name in DERIVED_GRAPHS:
        assert (URIRef("https://w3id.org/ilrs/dataset"), VOID.subset, URIRef(name)) in void
        assert isinstance(void.value(URIRef(name), DCTERMS.description), Literal)


def test_the_engine_derives_what_the_entailment_rules_say(dataset: Store) -> None:
    """The embedded store derives with SPARQL updates in the engine; :func:`entailed` is the same rules in Python
    (the writer's, and an external store's): on the shipped data, blank nodes and all, both give the same graphs."""
    asserted = {
        ox.Triple(q.subject, q.predicate, q.object) for q in dataset.quads() if q.graph_name.value not in DERIVED_GRAPHS
    }

    def triples(graph: str) -> set[ox.Triple]:
        return {ox.Triple(q.subject, q.predicate, q.object) for q in dataset.quads(graph)}

    assert any(isinstance(t.subject, ox.BlankNode) for t in asserted)  # OWL lists and restrictions
    assert triples(MERGED_GRAPH) == asserted
    assert triples(INFERRED_GRAPH) == entailed(asserted) - asserted


def test_a_default_graph_triple_is_merged_and_entails_like_any_other() -> None:
    store = memory_store()
    store.load(f"<urn:x> a <{ILRS}RoverMission> . <urn:y> a <urn:Thing> .", "text/turtle")  # the default graph
    store.load_file(get_settings().ontology_dir / "ilrs.ttl", graph="urn:ontology")
    counts = materialise(store)
    assert ox.Triple(ox.NamedNode("urn:y"), RDF_TYPE, ox.NamedNode("urn:Thing")) in {
        ox.Triple(q.subject, q.predicate, q.object) for q in store.quads(MERGED_GRAPH)
    }
    inferred = {q.object.value for q in store.quads(INFERRED_GRAPH) if q.subject == ox.NamedNode("urn:x")}
    assert ILRS + "Mission" in inferred
    assert counts.merged == store.count(MERGED_GRAPH) and counts.inferred == store.count(INFERRED_GRAPH)
