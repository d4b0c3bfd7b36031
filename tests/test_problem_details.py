"""Errors of the JSON-LD API and the linked-data routes are RFC 9457 problem details; ``/sparql``
keeps one line of plain text, as SPARQL clients expect. Neither ever shows a traceback."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from ilrs.graph.errors import IlrsError, error_classes
from ilrs.graph.settings import BASE_IRI, get_settings
from ilrs.graph.store import Store
from ilrs.server.app import create_app

PROBLEM = "application/problem+json"
MEMBERS = {"type", "title", "status", "detail", "instance"}


def problem(response: httpx.Response, status: int) -> dict[str, object]:
    """The problem details of ``response``, checked to be well formed and to hold ``status``."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].split(";")[0] == PROBLEM
    body = response.json()
    assert body.keys() >= MEMBERS
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and "\n" not in body["detail"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/agreements?year=20x3", ["year", "20x3"]),
        ("/countries?status=nope", ["status", "nope"]),
        ("/agencies?page=0", ["page", "whole number"]),
        ("/agencies?colour=red", ["unknown parameter 'colour'"]),
        ("/agencies?page=1&page=2", ["page", "once"]),
        ("/agencies?page=99999", ["past the last page"]),
    ],
)
def test_bad_api_parameter_is_a_400_problem(client: httpx.Client, path: str, words: list[str]) -> None:
    body = problem(client.get(path, headers={"Accept": "application/ld+json"}), 400)
    assert body["type"] == f"{BASE_IRI}problems/parameter-error"
    assert body["instance"] == path.split("?")[0]
    for word in words:
        assert word in str(body["detail"])


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/context/0.0.0-nope.jsonld", "application/json"),
        ("/id/country/XX-not-a-country", "text/turtle"),
        ("/id/country/XX-not-a-country", "application/ld+json"),
        ("/graph/nope", "*/*"),
        ("/ontology.xyz", "application/json"),
        ("/dumps/ilrs.xlsx", "*/*"),
        ("/examples/no-such-example.rq", "*/*"),
    ],
)
def test_not_found_is_a_404_problem(client: httpx.Client, path: str, accept: str) -> None:
    body = problem(client.get(path, headers={"Accept": accept}), 404)
    assert body["type"] == f"{BASE_IRI}problems/not-found"
    assert body["instance"] == path


def test_unknown_path_is_a_404_problem_of_the_framework(client: httpx.Client) -> None:
    body = problem(client.get("/no/such/page", headers={"Accept": "application/json"}), 404)
    assert body["type"] == "about:blank" and body["title"] == "Not Found"


@pytest.mark.parametrize(("path", "accept"), [("/agencies", "text/turtle"), ("/id/agency/cnsa", "image/png")])
def test_nothing_acceptable_is_a_406_problem_listing_what_is_available(
    client: httpx.Client, path: str, accept: str
) -> None:
    response = client.get(path, headers={"Accept": accept})
    body = problem(response, 406)
    assert body["type"] == f"{BASE_IRI}problems/not-acceptable"
    assert "application/ld+json" in body["available"]  # type: ignore[operator]
    assert "Accept" in response.headers["vary"].split(", ")


def test_problem_type_iri_dereferences_to_its_documentation(client: httpx.Client) -> None:
    body = problem(client.get("/agreements?year=x"), 400)
    page = client.get("/" + str(body["type"]).removeprefix(BASE_IRI))
    assert page.status_code == 200
    assert "Invalid parameter" in page.text and "400" in page.text
    problem(client.get("/problems/no-such-problem", headers={"Accept": "application/json"}), 404)


def test_sparql_errors_stay_one_line_of_plain_text(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("invalid query: error at 1:")
    assert response.text.count("\n") == 1 and response.text.endswith("\n")


def test_input_position_is_a_member_of_the_problem(dataset: Store) -> None:
    """A route that lets the store's syntax error through: the problem carries the position the parser gave."""
    app = create_app(get_settings(), dataset)

    @app.get("/try")
    def run_query(q: str) -> None:
        dataset.query(q)

    body = problem(
        TestClient(app, base_url="http://127.0.0.1").get("/try", params={"q": "SELECT *\nWHERE { ?s ?p }"}), 400
    )
    assert body["type"] == f"{BASE_IRI}problems/query-syntax-error"
    position = body["position"]
    assert isinstance(position, dict) and position["line"] == 2  # the query's second line
    assert f"error at 2:{position['column']}" in str(body["detail"])


def test_every_error_class_is_documented_with_a_title() -> None:
    titles = set()
    for cls in error_classes().values():
        assert cls.__doc__ and cls.__doc__.strip(), cls
        assert issubclass(cls, IlrsError)
        titles.add(cls.title)
    assert len(titles) == len(error_classes())  # each problem type has its own title
