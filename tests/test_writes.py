"""Writes on a real server holding the ILRS graph: tokens, validation, provenance, and every refusal.

Every refused write is checked to have changed nothing: the dataset version and the number of
quads (``/health``) are the same after it as before.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SH
from servers import LiveServer, start_server, stop_server
from writing import Writable, state, writable_server, write_token

CNSA = "https://w3id.org/ilrs/id/agency/cnsa"
ILRS = "https://w3id.org/ilrs/ontology#"
SOURCE_003 = "https://w3id.org/ilrs/graph/source/003"
COUNTRIES = "https://w3id.org/ilrs/graph/reference/countries"
ONTOLOGY = "https://w3id.org/ilrs/graph/ontology"
CHANGELOG = "https://w3id.org/ilrs/graph/changelog"
MAX_WRITE = 20_000
#: The server's limit on edit messages (``max_edit_message``), set below the default to show it is a setting.
MAX_MESSAGE = 300
DEFAULT_GRAPH = "https://w3id.org/ilrs/ontology#DefaultGraph"
MERGED = "https://w3id.org/ilrs/graph/merged"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
UPDATE_TYPE = "application/sparql-update"


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Writable:
    return write_token(tmp_path_factory.mktemp("writes-token"), "alice")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, token: Writable) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("writes")
    env = {
        "ILRS_MAX_WRITE_BYTES": str(MAX_WRITE),
        "ILRS_MAX_EDIT_MESSAGE": str(MAX_MESSAGE),
        "ILRS_QUERY_EXECUTOR": "thread",
    }
    yield from writable_server(tmp, token, env)


@pytest.fixture
def client(server: LiveServer, token: Writable) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=60, headers=token.headers) as c:
        yield c


def ask(client: httpx.Client, query: str) -> bool:
    return bool(client.post("/sparql", data={"query": query}, headers={"Accept": "application/json"}).json()["boolean"])


def insert(triples: str, graph: str = SOURCE_003) -> str:
    return f"INSERT DATA {{ GRAPH <{graph}> {{ {triples} }} }}"


# --- authentication ---------------------------------------------------------------------------------------


def test_a_write_without_a_token_is_401_and_with_a_wrong_one_403(server: LiveServer) -> None:
    update = {"update": insert(f'<{CNSA}> <http://www.w3.org/2000/01/rdf-schema#label> "x"@de')}
    with httpx.Client(base_url=server.base_url, timeout=30) as anonymous:
        before = state(anonymous)
        missing = anonymous.post("/update", data=update)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")
        wrong = anonymous.post("/update", data=update, headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 403 and "not valid" in wrong.json()["detail"]
        basic = anonymous.post("/update", data=update, headers={"Authorization": "Basic YWxpY2U6eA=="})
        assert basic.status_code == 401
        assert anonymous.put("/store?graph=urn:x:g", content=b"<urn:a> <urn:b> <urn:c> .").status_code == 401
        assert state(anonymous) == before


# --- a committed write, its provenance, the version ---------------------------------------------------------


def test_a_valid_update_is_committed_attributed_and_shown(client: httpx.Client) -> None:
    before_version, before_quads = state(client)
    page_etag = client.get("/id/agency/cnsa", headers={"Accept": "text/turtle"}).headers["etag"]
    label = '"Administration spatiale nationale chinoise"@fr'
    response = client.post(
        "/update",
        content=insert(f"<{CNSA}> <http://www.w3.org/2000/01/rdf-schema#label> {label}").encode(),
        headers={"Content-Type": "application/sparql-update", "X-Edit-Message": "French name, from source 003"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["added"] == 1 and body["removed"] == 0 and body["graphs"] == [SOURCE_003]
    version, quads = state(client)
    assert version == body["version"] != before_version
    # The answer names the version it made (not the one the request arrived at) in its headers too.
    assert response.headers["ILRS-Dataset-Version"] == version and response.headers["ETag"] == f'"{version}"'
    assert quads > before_quads + 1  # the triple and its changelog activity
    assert ask(client, f"ASK {{ GRAPH <{SOURCE_003}> {{ <{CNSA}> ?p {label} }} }}")
    # The activity, queryable with SPARQL.
    activity = f"""
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX cl: <https://w3id.org/ilrs/changelog#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        ASK {{ GRAPH <{CHANGELOG}> {{
            <{body["activity"]}> a prov:Activity ; prov:wasAssociatedWith/rdfs:label "alice" ;
                cl:changedGraph <{SOURCE_003}> ; cl:changed <{CNSA}> ; cl:triplesAdded 1 ; cl:triplesRemoved 0 ;
                cl:datasetVersion "{version}" ; rdfs:comment "French name, from source 003" ;
                prov:endedAtTime ?when }} }}"""
    assert ask(client, activity)
    # The page says who edited it last; its ETag changed with the version.
    page = client.get("/id/agency/cnsa", headers={"Accept": "text/html"}).text
    assert "Last edited" in page and "by alice" in page and "French name, from source 003" in page
    assert client.get("/id/agency/cnsa", headers={"Accept": "text/turtle"}).headers["etag"] != page_etag
    fresh = client.get("/id/agency/cnsa", headers={"Accept": "text/turtle", "If-None-Match": page_etag})
    assert fresh.status_code == 200


def test_an_edit_message_in_utf8_is_kept_as_written(client: httpx.Client) -> None:
    message = "Nom français, selon la source 003 — été"
    response = client.post(
        "/update",
        content=insert(f'<{CNSA}> <http://www.w3.org/2000/01/rdf-schema#label> "CNSA (fr)"@fr').encode(),
        headers={"Content-Type": UPDATE_TYPE, "X-Edit-Message": message.encode("utf-8")},
    )
    assert response.status_code == 200, response.text
    activity = response.json()["activity"]
    comment = f'<{activity}> <http://www.w3.org/2000/01/rdf-schema#comment> "{message}"'
    assert ask(client, f"ASK {{ GRAPH <{CHANGELOG}> {{ {comment} }} }}")


def changed_graphs(client: httpx.Client, activity: str) -> set[str]:
    """The graphs the changelog says an activity changed."""
    rows = client.post(
        "/sparql",
        data={
            "query": f"SELECT ?g WHERE {{ GRAPH <{CHANGELOG}> {{ "
            f"<{activity}> <https://w3id.org/ilrs/changelog#changedGraph> ?g }} }}"
        },
        headers={"Accept": "application/json"},
    ).json()["results"]["bindings"]
    return {row["g"]["value"] for row in rows}


def test_a_write_to_the_default_graph_is_named_in_the_changelog_queried_and_shown(client: httpx.Client) -> None:
    """The default graph has no IRI: the changelog names it ilrs:DefaultGraph, which the ontology defines; its
    triples are in the merged graph, so a query that names no dataset finds them."""
    note = "https://example.org/default-graph-note"
    by_update = client.post("/update", data={"update": f'INSERT DATA {{ <{note}> <{LABEL}> "by update" }}'})
    assert by_update.status_code == 200, by_update.text
    assert by_update.json()["graphs"] == [DEFAULT_GRAPH]
    assert changed_graphs(client, by_update.json()["activity"]) == {DEFAULT_GRAPH}
    by_store = client.post(
        "/store?default",
        content=f'<{note}> <{LABEL}> "by the graph store" .'.encode(),
        headers={"Content-Type": "text/turtle"},
    )
    assert by_store.status_code == 200, by_store.text
    assert changed_graphs(client, by_store.json()["activity"]) == {DEFAULT_GRAPH}
    # Asked without a dataset (no FROM, no default-graph-uri), and in the merged graph.
    assert ask(client, f'ASK {{ <{note}> <{LABEL}> "by update" , "by the graph store" }}')
    assert ask(client, f'ASK {{ GRAPH <{MERGED}> {{ <{note}> <{LABEL}> "by the graph store" }} }}')
    # The term is defined, with its label, in the ontology graph.
    assert ask(
        client,
        f"ASK {{ GRAPH <{ONTOLOGY}> {{ <{DEFAULT_GRAPH}> a <http://www.w3.org/2002/07/owl#NamedIndividual> ; "
        f'<{LABEL}> "default graph"@en }} }}',
    )
    # The edit's page lists the default graph among the graphs it changed, by its label, linked to its definition.
    page = client.get(
        by_store.json()["activity"].removeprefix("https://w3id.org/ilrs"), headers={"Accept": "text/html"}
    )
    assert page.status_code == 200
    assert "default graph" in page.text and "/ontology#DefaultGraph" in page.text
    ontology = client.get("/ontology", headers={"Accept": "text/html"}, follow_redirects=True)
    assert 'id="DefaultGraph"' in ontology.text  # where the link lands
    deleted = client.delete("/store?default")
    assert deleted.status_code == 200 and deleted.json()["graphs"] == [DEFAULT_GRAPH]
    assert not ask(client, f"ASK {{ <{note}> ?p ?o }}")
    assert not ask(client, f"ASK {{ GRAPH <{MERGED}> {{ <{note}> ?p ?o }} }}")


def test_no_named_graph_may_take_the_default_graphs_name(client: httpx.Client) -> None:
    before = state(client)
    response = client.put(
        "/store",
        params={"graph": DEFAULT_GRAPH},
        content=b"<urn:a> <urn:b> <urn:c> .",
        headers={"Content-Type": "text/turtle"},
    )
    assert response.status_code == 403 and "?default" in response.json()["detail"], response.text
    assert state(client) == before


def test_an_edit_message_at_the_limit_is_kept_whole(client: httpx.Client) -> None:
    message = "é" * (MAX_MESSAGE - 1) + "!"
    response = client.post(
        "/update",
        data={"update": insert(f'<{CNSA}> <{LABEL}> "CNSA (message limit)"@en'), "message": message},
    )
    assert response.status_code == 200, response.text
    comment = f'<{response.json()["activity"]}> <http://www.w3.org/2000/01/rdf-schema#comment> "{message}"'
    assert ask(client, f"ASK {{ GRAPH <{CHANGELOG}> {{ {comment} }} }}")


@pytest.mark.parametrize(
    ("method", "path", "where"),
    [
        ("POST", "/update", "header"),
        ("POST", "/update", "form"),
        ("POST", "/update", "query"),
        ("PUT", "/store", "header"),
        ("POST", "/store", "query"),
    ],
)
def test_an_edit_message_over_the_limit_is_refused_naming_limit_and_length(
    client: httpx.Client, method: str, path: str, where: str
) -> None:
    """Refused whole, never cut: the changelog keeps what its author wrote or nothing is written."""
    before = state(client)
    message = "m" * (MAX_MESSAGE + 1)
    headers = {"X-Edit-Message": message} if where == "header" else {}
    params = {"message": message} if where == "query" else {}
    if path == "/update":
        form = {"update": insert(f'<{CNSA}> <{LABEL}> "CNSA (too long)"@en')}
        response = client.post(
            path, data={**form, "message": message} if where == "form" else form, params=params, headers=headers
        )
    else:
        params["graph"] = "https://example.org/long-message"
        body = b"<urn:x:a> <urn:x:b> <urn:x:c> ."
        response = client.request(
            method, path, params=params, content=body, headers={**headers, "Content-Type": "text/turtle"}
        )
    assert response.status_code == 413, response.text
    detail = response.json()["detail"]
    assert f"{MAX_MESSAGE + 1} characters" in detail and f"at most {MAX_MESSAGE}" in detail, detail
    assert state(client) == before


def test_a_write_that_changes_nothing_keeps_the_version(client: httpx.Client) -> None:
    triple = f'<{CNSA}> <http://www.w3.org/2000/01/rdf-schema#label> "CNSA (no-op check)"@en'
    assert client.post("/update", data={"update": insert(triple)}).status_code == 200
    before = state(client)
    again = client.post("/update", data={"update": insert(triple)})
    assert again.status_code == 200 and again.json()["activity"] is None
    assert state(client) == before


def test_the_graph_store_replaces_adds_reads_and_deletes(client: httpx.Client) -> None:
    graph = "https://example.org/notes"
    put = client.put(
        f"/store?graph={graph}", content=b"<urn:x:a> <urn:x:b> 1 .", headers={"Content-Type": "text/turtle"}
    )
    assert put.status_code == 201
    post = client.post(
        "/store",
        params={"graph": graph},
        content=json.dumps({"@context": {"b": "urn:x:b"}, "@id": "urn:x:c", "b": 2}).encode(),
        headers={"Content-Type": "application/ld+json"},
    )
    assert post.status_code == 200 and post.json()["added"] == 1
    read = Graph().parse(data=client.get("/store", params={"graph": graph}).text, format="turtle")
    assert len(read) == 2 and (URIRef("urn:x:c"), URIRef("urn:x:b"), None) in read
    replaced = client.put(
        "/store",
        params={"graph": graph},
        content=b'<urn:x:z> <urn:x:b> "3" .',
        headers={"Content-Type": "application/n-triples"},
    )
    assert replaced.status_code == 200 and replaced.json()["removed"] == 2
    assert client.head("/store", params={"graph": graph}).status_code == 200
    assert client.delete("/store", params={"graph": graph}).status_code == 200
    assert client.get("/store", params={"graph": graph}).status_code == 404


# --- validation ---------------------------------------------------------------------------------------------


INVALID = insert("<https://w3id.org/ilrs/id/agency/nameless> a <https://w3id.org/ilrs/ontology#SpaceAgency>")


def test_a_write_that_breaks_the_shapes_is_422_with_the_report_and_changes_nothing(client: httpx.Client) -> None:
    before = state(client)
    response = client.post("/update", data={"update": INVALID})
    assert response.status_code == 422
    problem = response.json()
    violations = problem["report"]["violations"]
    assert violations and all(v["focus"] and v["message"] for v in violations)
    label = [v for v in violations if v["path"] == "http://www.w3.org/2000/01/rdf-schema#label"]
    assert label and label[0]["focus"] == "https://w3id.org/ilrs/id/agency/nameless"
    assert "nothing was written" in problem["detail"]
    turtle = client.post("/update", data={"update": INVALID}, headers={"Accept": "text/turtle"})
    assert turtle.status_code == 422 and turtle.headers["content-type"].startswith("text/turtle")
    report = Graph().parse(data=turtle.text, format="turtle")
    assert (None, SH.focusNode, URIRef("https://w3id.org/ilrs/id/agency/nameless")) in report
    assert list(report.objects(None, SH.resultMessage)) and list(report.objects(None, SH.resultPath))
    assert state(client) == before
    assert not ask(client, "ASK { <https://w3id.org/ilrs/id/agency/nameless> ?p ?o }")


@pytest.mark.parametrize(
    ("triple", "path", "term"),
    [
        (f"<{CNSA}> <{ILRS}partnr> <https://w3id.org/ilrs/id/agency/roscosmos>", f"{ILRS}partnr", "partnr"),
        (f"<{CNSA}> a <{ILRS}SpaceAgncy>", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "SpaceAgncy"),
    ],
    ids=["property", "class"],
)
def test_a_term_the_ontology_does_not_define_is_refused_like_a_violation(
    client: httpx.Client, triple: str, path: str, term: str
) -> None:
    """A misspelt ilrs: property or class is a 422 with a result naming it, in JSON and in Turtle."""
    before = state(client)
    response = client.post("/update", data={"update": insert(triple)})
    assert response.status_code == 422, response.text
    (violation,) = response.json()["report"]["violations"]
    assert (violation["focus"], violation["path"], violation["value"]) == (CNSA, path, f"{ILRS}{term}")
    assert violation["message"] == f"ilrs:{term} is not defined by the ontology"
    turtle = client.post("/update", data={"update": insert(triple)}, headers={"Accept": "text/turtle"})
    report = Graph().parse(data=turtle.text, format="turtle")
    assert (None, SH.resultPath, URIRef(path)) in report and (None, SH.focusNode, URIRef(CNSA)) in report
    assert state(client) == before


def test_removing_what_another_resource_needs_is_refused(client: httpx.Client) -> None:
    """Deleting a type that a statement elsewhere relies on (its sh:class) fails on that other resource."""
    before = state(client)
    update = f"""DELETE WHERE {{ GRAPH ?g {{ <{CNSA}> a ?type }} }}"""
    response = client.post("/update", data={"update": update})
    assert response.status_code == 422, response.text
    foci = {v["focus"] for v in response.json()["report"]["violations"]}
    assert foci - {CNSA}, foci  # resources pointing at CNSA are found wanting too
    assert state(client) == before


# --- bad input --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "position"),
    [
        ("POST", "/update", b"INSERT DATA { <urn:a> <urn:b> }", "application/sparql-update", (1, 31)),
        (
            "POST",
            "/update",
            b"PREFIX x: <urn:x#>\nINSERT DATA {\n  x:a x:b x:c .\n  x:d x:e \n}",
            "application/sparql-update",
            (5, 1),
        ),
        (
            "POST",
            "/update",
            b'INSERT DATA {\n GRAPH <urn:x:g> { "s" <urn:b> 1 } }',
            "application/sparql-update",
            (2, 39),
        ),
        ("PUT", "/store?graph=urn:x:g", b"<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> .", "text/turtle", (2, 17)),
        ("POST", "/store", b"<urn:g> { <urn:a> <urn:b> <urn:c> . \n", "application/trig", (2, 1)),
        ("POST", "/store?graph=urn:x:g", b'{"@id": "urn:a", "urn:b": [}', "application/ld+json", (1, 28)),
    ],
    ids=["update", "update-multiline", "update-literal-subject", "turtle", "trig", "jsonld"],
)
def test_malformed_input_is_400_with_its_position_and_changes_nothing(
    client: httpx.Client, method: str, path: str, body: bytes, content_type: str, position: tuple[int, int]
) -> None:
    before = state(client)
    response = client.request(method, path, content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["position"]["line"] == position[0], problem
    assert "Traceback" not in response.text
    assert state(client) == before


@pytest.mark.parametrize(
    ("form", "said"),
    [({"foo": "bar"}, "no update: send update="), ({"query": "ASK {}"}, "(queries go to /sparql)")],
    ids=["nothing", "a-query"],
)
def test_an_update_request_without_an_update_says_so(client: httpx.Client, form: dict[str, str], said: str) -> None:
    before = state(client)
    response = client.post("/update", data=form)
    assert response.status_code == 400 and said in response.json()["detail"], response.text
    assert state(client) == before


def test_an_oversized_write_is_413(client: httpx.Client) -> None:
    before = state(client)
    triples = "".join(f"<urn:x:s{i}> <urn:x:p> {i} .\n" for i in range(MAX_WRITE // 20))
    assert len(triples) > MAX_WRITE
    assert (
        client.put(
            "/store?graph=urn:x:big", content=triples.encode(), headers={"Content-Type": "text/turtle"}
        ).status_code
        == 413
    )
    big_update = f"INSERT DATA {{ GRAPH <urn:x:big> {{ {triples} }} }}".encode()
    assert (
        client.post("/update", content=big_update, headers={"Content-Type": "application/sparql-update"}).status_code
        == 413
    )
    # /sparql takes updates too, within the same limit (its own body limit is the queries', larger).
    for sent in (
        {"content": big_update, "headers": {"Content-Type": "application/sparql-update"}},
        {"data": {"update": big_update.decode()}},
    ):
        refused = client.post("/sparql", **sent)  # type: ignore[arg-type]
        assert refused.status_code == 413 and f"at most {MAX_WRITE}" in refused.text, refused.text
    assert state(client) == before


def test_an_unknown_graph_is_404_to_get_head_and_delete(client: httpx.Client) -> None:
    before = state(client)
    assert client.get("/store", params={"graph": "urn:x:nowhere"}).status_code == 404
    assert client.head("/store", params={"graph": "urn:x:nowhere"}).status_code == 404
    deleted = client.delete("/store", params={"graph": "urn:x:nowhere"})
    assert deleted.status_code == 404 and "urn:x:nowhere" in deleted.json()["detail"]
    assert state(client) == before


@pytest.mark.parametrize(
    ("send", "reason"),
    [
        (
            lambda c: c.put(
                f"/store?graph={COUNTRIES}",
                content=b"<urn:a> <urn:b> <urn:c> .",
                headers={"Content-Type": "text/turtle"},
            ),
            "reference data",
        ),
        (lambda c: c.delete(f"/store?graph={ONTOLOGY}"), "ontology"),
        (
            lambda c: c.post("/update", data={"update": f"DELETE WHERE {{ GRAPH <{COUNTRIES}> {{ ?s ?p ?o }} }}"}),
            "reference data",
        ),
        (lambda c: c.post("/update", data={"update": "CLEAR ALL"}), "not writable"),
        (lambda c: c.post("/update", data={"update": insert("<urn:a> <urn:b> <urn:c>", CHANGELOG)}), "changelog"),
    ],
    ids=["put-countries", "delete-ontology", "update-countries", "clear-all", "insert-changelog"],
)
def test_writes_to_curated_graphs_are_refused_with_the_reason(client: httpx.Client, send, reason: str) -> None:  # type: ignore[no-untyped-def]
    before = state(client)
    response = send(client)
    assert response.status_code == 403, response.text
    assert reason in response.json()["detail"]
    assert state(client) == before


@pytest.mark.parametrize(
    ("template", "refusal"),
    [
        ("LOAD <{url}> INTO GRAPH <urn:x:l>", "LOAD <{url}> is not allowed"),
        ("INSERT { GRAPH <urn:x:l> { ?s ?p ?o } } WHERE { SERVICE <{url}> { ?s ?p ?o } }", "SERVICE <{url}> is not"),
        ("INSERT { GRAPH <urn:x:l> { ?s ?p ?o } } WHERE { SERVICE SILENT ?v { ?s ?p ?o } }", "SERVICE ?v is not"),
    ],
    ids=["load", "service", "service-variable"],
)
def test_load_and_service_are_refused_unless_allow_listed(client: httpx.Client, template: str, refusal: str) -> None:
    """The URL is a listening socket: the refusal happens before any connection to it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(1)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/data"
    connections: list[object] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            connections.append(listener.accept())

    watcher = threading.Thread(target=accept)
    watcher.start()
    before = state(client)
    response = client.post("/update", data={"update": template.replace("{url}", url)})
    watcher.join()
    listener.close()
    assert response.status_code == 400 and refusal.replace("{url}", url) in response.json()["detail"], response.text
    assert connections == []
    assert state(client) == before


def test_a_jsonld_body_with_a_remote_context_is_refused_without_fetching_it(client: httpx.Client) -> None:
    before = state(client)
    body = json.dumps({"@context": "http://127.0.0.1:9/context.jsonld", "@id": "urn:x:a", "b": 1}).encode()
    response = client.put("/store?graph=urn:x:remote", content=body, headers={"Content-Type": "application/ld+json"})
    assert response.status_code == 400, response.text
    assert "remote @context" in response.json()["detail"] and "never fetches" in response.json()["detail"]
    assert state(client) == before


@pytest.mark.parametrize(
    ("headers", "said"),
    [
        ({"Content-Type": "text/turtle", "Content-Encoding": "gzip"}, "Content-Encoding gzip is not supported"),
        ({"Content-Type": "text/turtle; charset=latin-1"}, "charset=latin-1 is not supported"),
        ({"Content-Type": "application/ld+json; charset=utf-16"}, "charset=utf-16 is not supported"),
    ],
    ids=["compressed", "turtle-latin-1", "jsonld-utf-16"],
)
def test_a_body_that_is_compressed_or_not_utf8_is_415_and_changes_nothing(
    client: httpx.Client, headers: dict[str, str], said: str
) -> None:
    before = state(client)
    response = client.put("/store?graph=urn:x:encoded", content=b"<urn:a> <urn:b> <urn:c> .", headers=headers)
    assert response.status_code == 415 and said in response.json()["detail"], response.text
    assert state(client) == before


def test_the_service_description_names_updates(client: httpx.Client) -> None:
    sd = Graph().parse(data=client.get("/sparql", headers={"Accept": "text/turtle"}).text, format="turtle")
    supported = set(sd.objects(None, URIRef("http://www.w3.org/ns/sparql-service-description#supportedLanguage")))
    assert URIRef("http://www.w3.org/ns/sparql-service-description#SPARQL11Update") in supported


def test_load_fetches_an_allow_listed_url(tmp_path_factory: pytest.TempPathFactory, token: Writable) -> None:
    """A local HTTP server serves Turtle; a server whose load_allowlist names it loads it into a graph."""
    import http.server

    body = b"<urn:x:loaded> <urn:x:p> 1 .\n"

    class Turtle(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    source = http.server.HTTPServer(("127.0.0.1", 0), Turtle)
    url = f"http://127.0.0.1:{source.server_port}/data.ttl"
    serving = threading.Thread(target=source.serve_forever)
    serving.start()
    tmp = tmp_path_factory.mktemp("load")
    live = start_server(tmp, "--tokens", str(token.path), env={"ILRS_LOAD_ALLOWLIST": json.dumps([url])})
    try:
        with httpx.Client(base_url=live.base_url, timeout=60, headers=token.headers) as c:
            loaded = c.post("/update", data={"update": f"LOAD <{url}> INTO GRAPH <urn:x:loaded>"})
            assert loaded.status_code == 200, loaded.text
            assert loaded.json()["added"] == 1
            assert ask(c, "ASK { GRAPH <urn:x:loaded> { <urn:x:loaded> <urn:x:p> 1 } }")
            other = c.post("/update", data={"update": f"LOAD <{url}?other> INTO GRAPH <urn:x:other>"})
            assert other.status_code == 400
    finally:
        stop_server(live)
        source.shutdown()
        serving.join()


def test_the_derived_graphs_follow_each_commit(client: httpx.Client) -> None:
    """The merged graph gains and loses the written triples; the inferred graph the types they entail."""
    merged, inferred = "https://w3id.org/ilrs/graph/merged", "https://w3id.org/ilrs/graph/inferred"
    agency = "https://w3id.org/ilrs/id/agency/example-derived"
    rows = client.post(
        "/sparql",
        data={
            "query": "SELECT ?super WHERE { GRAPH <https://w3id.org/ilrs/graph/ontology> { "
            "<https://w3id.org/ilrs/ontology#SpaceAgency> <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?super "
            "FILTER isIRI(?super) } }"
        },
        headers={"Accept": "application/json"},
    ).json()["results"]["bindings"]
    superclass = rows[0]["super"]["value"]
    triples = (
        f"<{agency}> a <https://w3id.org/ilrs/ontology#SpaceAgency> ; "
        f'<http://www.w3.org/2000/01/rdf-schema#label> "Example agency"@en'
    )
    assert client.post("/update", data={"update": insert(triples)}).status_code == 200
    assert ask(client, f'ASK {{ GRAPH <{merged}> {{ <{agency}> ?p "Example agency"@en }} }}')
    assert ask(client, f"ASK {{ GRAPH <{inferred}> {{ <{agency}> a <{superclass}> }} }}")
    removed = client.post("/update", data={"update": f"DELETE WHERE {{ GRAPH <{SOURCE_003}> {{ <{agency}> ?p ?o }} }}"})
    assert removed.status_code == 200, removed.text
    assert not ask(client, f"ASK {{ GRAPH ?g {{ <{agency}> ?p ?o }} }}")


@pytest.mark.parametrize("graph", ["https://w3id.org/ilrs/graph/merged", "https://w3id.org/ilrs/graph/inferred"])
def test_writes_to_the_derived_graphs_are_refused(client: httpx.Client, graph: str) -> None:
    before = state(client)
    response = client.post("/update", data={"update": insert("<urn:a> <urn:b> <urn:c>", graph)})
    assert response.status_code == 403 and "derived from the data" in response.json()["detail"]
    assert client.delete("/store", params={"graph": graph}).status_code == 403
    assert state(client) == before
