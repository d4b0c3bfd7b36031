"""The W3C SPARQL 1.1 Protocol and Service Description test manifests, replayed against ``/sparql``.

The manifests are read at test time from ``../shared/w3c-sparql11`` (the tests skip where it is
absent). Every entry of both manifests is either run or listed in :data:`NOT_APPLICABLE` with a
reason, and :func:`test_every_manifest_entry_is_covered` fails on an entry that is neither, so a
new entry cannot be skipped silently.

The server under test is read-only. An entry whose request is a SPARQL Update (an ``update=``
parameter or an ``application/sparql-update`` body) expects a 2xx from a server that supports
updates; here the same request must be *refused* with a clear 4xx saying the endpoint is
read-only, and the queries that follow it in the entry (they check the update's effect) do not
apply. Entries that expect a 4xx for a bad update get a 4xx all the same.

The entries' data (``ut:graphData``: ``data1.nt``… under the graph names their ``rdfs:label``
gives) is written into one TriG file and loaded with ``ilrs serve --load``, beside the ILRS graph.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS
from servers import LiveServer, start_server, stop_server

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

W3C = "w3c-sparql11"
PROTOCOL = "protocol-manifest.ttl"
SERVICE_DESCRIPTION = "service-description-manifest.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
STATUS_CLASS = "http://www.w3.org/2011/http-statusCodes#StatusCode"

#: Entries not run, and why. (Every entry of both manifests applies to a read-only query endpoint today.)
NOT_APPLICABLE: dict[str, str] = {}

RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
#: What mf:expectedFormat allows ("RDF": the manifest names RDF/XML, Turtle, N-Triples and RDFa).
EXPECTED_FORMATS = {
    "boolean": {"application/sparql-results+json", "application/sparql-results+xml"},
    "tabular": {*RESULT_FORMATS, "text/csv"},
    "RDF": {"application/rdf+xml", "text/turtle", "application/n-triples"},
}


@dataclass
class HttpRequest:
    """One ``ht:Request`` of an entry, with the response it expects."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[int]  # acceptable status classes: 2, 3, 4 …
    expected_format: str | None
    expected_boolean: bool | None

    @property
    def is_update(self) -> bool:
        """A SPARQL Update request: ``update=`` in the URL or form body, or a direct update body."""
        if self.headers.get("content-type", "").startswith("application/sparql-update"):
            return True
        params = parse_qs(urlsplit(self.path).query)
        if self.body is not None and self.headers.get("content-type") == "application/x-www-form-urlencoded":
            params.update(parse_qs(self.body.decode("utf-8", "replace")))
        return "update" in params


@dataclass
class Entry:
    """One manifest entry: its local name, title, requests and the data it expects loaded."""

    id: str
    name: str
    requests: list[HttpRequest] = field(default_factory=list)
    graph_data: list[tuple[str, str]] = field(default_factory=list)  # (file name, graph IRI)


def manifest_entries(graph: Graph) -> list[URIRef]:
    """The entries of the manifest in ``graph``, in the manifest's order."""
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    return [URIRef(e) for e in Collection(graph, graph.value(manifest, MF.entries))]


def local_name(iri: URIRef) -> str:
    return str(iri).rsplit("#", 1)[-1]


def read_protocol_manifest(path: Path) -> list[Entry]:
    """Every entry of the protocol manifest with its requests, in order."""
    g = Graph().parse(path, format="turtle")
    entries = []
    for node in manifest_entries(g):
        entry = Entry(local_name(node), str(g.value(node, MF.name)))
        for data in g.objects(node, UT.graphData):
            entry.graph_data.append(
                (Path(urlsplit(str(g.value(data, UT.graph))).path).name, str(g.value(data, RDFS.label)))
            )
        action = g.value(node, MF.action)
        for request in Collection(g, g.value(action, HT.requests)):
            entry.requests.append(_read_request(g, request))
        entries.append(entry)
    return entries


def _read_request(g: Graph, node: URIRef | BNode) -> HttpRequest:
    headers = {}
    header_list = g.value(node, HT.headers)
    for header in Collection(g, header_list) if header_list is not None else []:
        headers[str(g.value(header, HT.fieldName)).lower()] = str(g.value(header, HT.fieldValue))
    body_node = g.value(node, HT.body)
    body = None
    if body_node is not None:
        encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(g.value(body_node, CNT.chars)).encode(encoding)
    response = g.value(node, HT.resp)
    statuses = {int(str(s).removeprefix(STATUS_CLASS)[0]) for s in g.objects(response, MF.expectedStatus)}
    expected_format = g.value(response, MF.expectedFormat)
    expected_boolean = g.value(response, MF.expectedBoolean)
    return HttpRequest(
        method=str(g.value(node, HT.methodName)),
        path=str(g.value(node, HT.absolutePath)).replace("/sparql/", "/sparql", 1),
        headers=headers,
        body=body,
        statuses=statuses,
        expected_format=str(expected_format) if expected_format is not None else None,
        expected_boolean=expected_boolean.toPython() if isinstance(expected_boolean, Literal) else None,
    )


# --- the server, loaded with the manifest's data ------------------------------------------------------


@pytest.fixture(scope="module")
def w3c_dir(shared_dir: Path) -> Path:
    folder = shared_dir / W3C
    if not (folder / PROTOCOL).is_file():
        pytest.skip(f"{folder / PROTOCOL} is absent")
    return folder


@pytest.fixture(scope="module")
def protocol_entries(w3c_dir: Path) -> list[Entry]:
    return read_protocol_manifest(w3c_dir / PROTOCOL)


@pytest.fixture(scope="module")
def w3c_server(
    w3c_dir: Path, protocol_entries: list[Entry], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server holding the ILRS graph and, in the named graphs the manifest labels, data1.nt … data3.nt."""
    tmp = tmp_path_factory.mktemp("w3c")
    graphs = {label: name for entry in protocol_entries for name, label in entry.graph_data}
    trig = tmp / "protocol-data.trig"
    with trig.open("w", encoding="utf-8") as out:
        for label, name in sorted(graphs.items()):
            # The manifest's data1.nt is shared/w3c-sparql11/protocol-data1.nt (see its SOURCE.md).
            out.write(f"<{label}> {{\n{(w3c_dir / f'protocol-{name}').read_text(encoding='utf-8')}}}\n")
    server = start_server(tmp, "--load", str(trig))
    yield server
    stop_server(server)


# --- replaying the protocol manifest -------------------------------------------------------------------


def check_response(request: HttpRequest, response: httpx.Response) -> None:
    """``response`` is what ``request`` expects: its status class, format and boolean."""
    assert response.status_code // 100 in request.statuses, (response.status_code, response.text)
    if response.status_code >= 400:
        assert response.text.strip() and "Traceback" not in response.text
        return
    media_type = response.headers["content-type"].split(";")[0].strip()
    if request.expected_format is not None:
        assert media_type in EXPECTED_FORMATS[request.expected_format], media_type
    if request.expected_format in ("boolean", "tabular") and media_type in RESULT_FORMATS:
        parsed = ox.parse_query_results(response.content, RESULT_FORMATS[media_type])
        if request.expected_boolean is not None:
            assert isinstance(parsed, ox.QueryBoolean)
            assert bool(parsed) is request.expected_boolean
        if request.expected_format == "tabular":
            assert isinstance(parsed, ox.QuerySolutions) and list(parsed)
    elif request.expected_format == "tabular":
        assert len(list(csv.reader(io.StringIO(response.text)))) >= 2
    elif request.expected_format == "RDF":
        ox.parse(response.content, ox.RdfFormat.from_media_type(media_type))


def replay(entry: Entry, client: httpx.Client) -> None:
    """Send the entry's requests in order and check each response."""
    for request in entry.requests:
        response = client.request(request.method, request.path, headers=request.headers, content=request.body)
        if request.is_update and 2 in request.statuses:
            # Read-only: refused, clearly. The requests that follow check the update's effect: not applicable.
            assert 400 <= response.status_code < 500, (response.status_code, response.text)
            assert "read-only" in response.text
            return
        check_response(request, response)


def test_protocol_manifest_entries(
    protocol_entries: list[Entry], w3c_server: LiveServer, subtests: pytest.Subtests
) -> None:
    assert len(protocol_entries) >= 30
    with httpx.Client(base_url=w3c_server.base_url, timeout=30) as client:
        for entry in protocol_entries:
            if entry.id in NOT_APPLICABLE:
                continue
            with subtests.test(entry.id, name=entry.name):
                replay(entry, client)


def test_update_entries_are_refused_as_read_only(protocol_entries: list[Entry], w3c_server: LiveServer) -> None:
    """The reasoning above, checked: which entries are updates a read-write server would accept."""
    accepted_elsewhere = sorted(
        e.id for e in protocol_entries if any(r.is_update and 2 in r.statuses for r in e.requests)
    )
    assert accepted_elsewhere == sorted(
        [
            "update_dataset_default_graph",
            "update_dataset_default_graphs",
            "update_dataset_named_graphs",
            "update_dataset_full",
            "update_post_form",
            "update_post_direct",
            "update_base_uri",
        ]
    )
    with httpx.Client(base_url=w3c_server.base_url, timeout=30) as client:
        before = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"}).json()
        for entry in protocol_entries:
            if entry.id in accepted_elsewhere:
                replay(entry, client)
        after = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"}).json()
    assert before == after  # nothing was cleared, dropped or inserted


# --- the service description manifest ------------------------------------------------------------------


def sd_returns_rdf(client: httpx.Client) -> None:
    for accept, rdflib_format in [
        (None, "turtle"),
        ("application/rdf+xml", "xml"),
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
    ]:
        response = client.get("/sparql", headers={"Accept": accept} if accept else {})
        assert response.status_code == 200
        assert len(Graph().parse(data=response.content, format=rdflib_format)) > 10


def sd_has_endpoint_triple(client: httpx.Client) -> None:
    description = Graph().parse(data=client.get("/sparql").content, format="turtle")
    endpoint = URIRef(f"{client.base_url}/sparql")
    assert list(description.subjects(SD.endpoint, endpoint))


FEATURES = {SD.DereferencesURIs, SD.UnionDefaultGraph, SD.RequiresDataset, SD.EmptyGraphs, SD.BasicFederatedQuery}
LANGUAGES = {SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update}


def sd_conforms_to_schema(client: httpx.Client) -> None:
    """The domains, ranges and cardinalities the Service Description vocabulary sets, checked by hand."""
    g = Graph().parse(data=client.get("/sparql").content, format="turtle")
    services = list(g.subjects(RDF.type, SD.Service))
    assert len(services) == 1
    service = services[0]
    assert all(isinstance(e, URIRef) for e in g.objects(service, SD.endpoint)) and g.value(service, SD.endpoint)
    assert set(g.objects(service, SD.supportedLanguage)) <= LANGUAGES and g.value(service, SD.supportedLanguage)
    assert set(g.objects(service, SD.feature)) <= FEATURES
    assert all(isinstance(f, URIRef) for f in g.objects(service, SD.resultFormat))
    assert all(isinstance(r, URIRef) for r in g.objects(service, SD.defaultEntailmentRegime))
    datasets = list(g.objects(service, SD.defaultDataset))
    assert len(datasets) == 1 and (datasets[0], RDF.type, SD.Dataset) in g
    for default_graph in g.objects(datasets[0], SD.defaultGraph):
        assert (default_graph, RDF.type, SD.Graph) in g
    named_graphs = list(g.objects(datasets[0], SD.namedGraph))
    assert named_graphs
    for named in named_graphs:
        assert (named, RDF.type, SD.NamedGraph) in g
        names = list(g.objects(named, SD.name))
        assert len(names) == 1 and isinstance(names[0], URIRef)
        for graph in g.objects(named, SD.graph):
            assert (graph, RDF.type, SD.Graph) in g


SD_CHECKS: dict[str, Callable[[httpx.Client], None]] = {
    "returns-rdf": sd_returns_rdf,
    "has-endpoint-triple": sd_has_endpoint_triple,
    "conforms-to-schema": sd_conforms_to_schema,
}


def test_service_description_manifest_entries(w3c_dir: Path, client: httpx.Client, subtests: pytest.Subtests) -> None:
    entries = [local_name(e) for e in manifest_entries(Graph().parse(w3c_dir / SERVICE_DESCRIPTION))]
    assert entries
    for entry in entries:
        if entry in NOT_APPLICABLE:
            continue
        with subtests.test(entry):
            SD_CHECKS[entry](client)


# --- coverage ------------------------------------------------------------------------------------------


def test_every_manifest_entry_is_covered(w3c_dir: Path, protocol_entries: list[Entry]) -> None:
    """Each entry is run (protocol entries all by :func:`replay`, service-description entries by
    :data:`SD_CHECKS`) or not applicable for a stated reason; nothing is silently left out."""
    replayable = {e.id for e in protocol_entries if e.requests}
    sd_entries = {local_name(e) for e in manifest_entries(Graph().parse(w3c_dir / SERVICE_DESCRIPTION))}
    every = {e.id for e in protocol_entries} | sd_entries
    covered = replayable | (sd_entries & SD_CHECKS.keys()) | NOT_APPLICABLE.keys()
    assert every - covered == set(), "manifest entries neither run nor listed as not applicable"
    assert NOT_APPLICABLE.keys() <= every, "NOT_APPLICABLE names entries the manifests no longer have"
    assert all(reason.strip() for reason in NOT_APPLICABLE.values())
