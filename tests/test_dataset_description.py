"""VoID/DCAT at /.well-known/void and the dumps, on the live server.

The VoID numbers must be exactly those of ``graph/stats.py`` for the same dataset,
and each dump must hold exactly the dataset's quads.
"""

from __future__ import annotations

import io

import httpx
import pyoxigraph as ox
import pytest
from ldtools import CONTEXT_PATH, ID, ILRS, jsonld_triples, select
from rdflib import Graph, Literal, Namespace, URIRef

from ilrs.graph.jsonld import LOCAL_URL
from ilrs.graph.stats import Stats, compute_stats
from ilrs.graph.store import Store

DATASET = URIRef("https://w3id.org/ilrs/dataset")
BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"
# Open namespaces: rdflib's closed ones warn when pytest inspects this module.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
VOID = Namespace("http://rdfs.org/ns/void#")
IANA = Namespace("https://www.iana.org/assignments/media-types/")


@pytest.fixture(scope="module")
def stats(dataset: Store) -> Stats:
    return compute_stats(dataset)


@pytest.fixture(scope="module")
def void(client: httpx.Client) -> Graph:
    r = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/turtle")
    assert "accept" in r.headers["vary"].lower()
    return Graph().parse(data=r.text, format="turtle")


def _int(graph: Graph, subject: object, predicate: URIRef) -> int:
    value = graph.value(subject, predicate)  # type: ignore[arg-type]
    assert isinstance(value, Literal), f"no {predicate} on {subject}"
    return int(value)


def test_dataset_is_void_and_dcat(void: Graph, client: httpx.Client) -> None:
    assert (DATASET, RDF.type, VOID.Dataset) in void
    assert (DATASET, RDF.type, DCAT.Dataset) in void
    assert (DATASET, VOID.sparqlEndpoint, URIRef(f"{client.base_url}/sparql")) in void
    assert (DATASET, VOID.uriSpace, Literal(ID)) in void
    assert (DATASET, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")) in void
    assert (DATASET, VOID.vocabulary, URIRef(ILRS)) in void


def test_void_numbers_are_the_stats(void: Graph, stats: Stats, dataset: Store) -> None:
    assert _int(void, DATASET, VOID.triples) == stats.total
    partitions = {
        str(void.value(p, VOID["class"])): _int(void, p, VOID.entities)
        for p in void.objects(DATASET, VOID.classPartition)
    }
    assert partitions == stats.classes
    subsets = {str(s): _int(void, s, VOID.triples) for s in void.objects(DATASET, VOID.subset)}
    assert subsets == stats.graphs
    subjects = select(
        dataset, f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{ID}")) }}'
    )
    assert _int(void, DATASET, VOID.entities) == int(subjects[0])


def test_sources_are_cited(void: Graph, dataset: Store) -> None:
    documents = set(select(dataset, f"SELECT ?d WHERE {{ ?d a <{ILRS}SourceDocument> }}"))
    assert documents
    assert {str(o) for o in void.objects(DATASET, DCTERMS.source)} == documents
    derived = select(
        dataset,
        "SELECT ?g WHERE { GRAPH <https://w3id.org/ilrs/graph/sources> "
        "{ ?g <http://www.w3.org/ns/prov#wasDerivedFrom> ?d } }",
    )
    for graph in derived:
        assert str(void.value(URIRef(graph), DCTERMS.source)) in documents


def test_every_dump_is_a_distribution(void: Graph, client: httpx.Client) -> None:
    downloads = {}
    for dist in void.objects(DATASET, DCAT.distribution):
        url = void.value(dist, DCAT.downloadURL)
        if url is not None:
            downloads[str(url)] = str(void.value(dist, DCAT.mediaType))
    base = f"{client.base_url}/dumps/"
    assert downloads == {
        base + "ilrs.trig": str(IANA["application/trig"]),
        base + "ilrs.nq": str(IANA["application/n-quads"]),
        base + "ilrs.jsonld": str(IANA["application/ld+json"]),
    }
    assert {str(o) for o in void.objects(DATASET, VOID.dataDump)} == set(downloads)


def test_void_in_jsonld_and_html(client: httpx.Client, void: Graph, stats: Stats) -> None:
    r = client.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    assert r.status_code == 200
    triples = jsonld_triples(r.json(), str(client.base_url.join(CONTEXT_PATH)))
    assert len({t for t in triples if t.predicate.value != LOCAL_URL}) == len(void)
    # Where this server serves every resource of the dataset it names: the dataset, its graphs, its classes.
    served = {t.subject.value: t.object.value for t in triples if t.predicate.value == LOCAL_URL}
    assert served["https://w3id.org/ilrs/dataset"] == f"{client.base_url}/dataset"
    ours = [term for t in void for term in (t[0], t[2]) if isinstance(term, URIRef)]
    mentioned = {str(term) for term in ours if term.startswith("https://w3id.org/ilrs/")}
    assert mentioned and mentioned <= set(served)
    page = client.get("/.well-known/void", headers={"Accept": BROWSER})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert str(stats.total) in page.text
    assert client.get("/dataset", headers={"Accept": "text/turtle"}).text.count("void:Dataset") >= 1
    assert client.get("/.well-known/void", headers={"Accept": "image/png"}).status_code == 406
    etag = page.headers["etag"]
    assert client.get("/.well-known/void", headers={"Accept": BROWSER, "If-None-Match": etag}).status_code == 304


def _quads(dataset: Store) -> set[ox.Quad]:
    return set(dataset.quads())


@pytest.mark.parametrize("name", ["ilrs.trig", "ilrs.nq", "ilrs.jsonld"])
def test_dumps_hold_the_whole_dataset(client: httpx.Client, dataset: Store, name: str) -> None:
    r = client.get(f"/dumps/{name}")
    assert r.status_code == 200
    assert r.headers["etag"]
    fmt = ox.RdfFormat.from_extension(name.rsplit(".", 1)[1])
    assert fmt is not None
    assert r.headers["content-type"].startswith(fmt.media_type)
    got = list(ox.parse(io.BytesIO(r.content), format=fmt))
    assert len(got) == dataset.count()
    expected = _quads(dataset)
    named = {q for q in got if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}
    assert named == {
        q for q in expected if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)
    }
    assert client.get(f"/dumps/{name}", headers={"If-None-Match": r.headers["etag"]}).status_code == 304


def test_unknown_dump_is_404(client: httpx.Client) -> None:
    assert client.get("/dumps/ilrs.xlsx", headers={"Accept": "text/plain"}).status_code == 404


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/ontology.ttl", "text/turtle"),
        ("/ontology.jsonld", "application/ld+json"),
        ("/shapes.ttl", "text/turtle"),
        ("/shapes.jsonld", "application/ld+json"),
    ],
)
def test_ontology_and_shapes_downloads(client: httpx.Client, path: str, media_type: str) -> None:
    r = client.get(path)
    if path.startswith("/shapes") and r.status_code == 404:
        pytest.skip("no shapes yet")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(media_type)
