"""What a client program relies on: numbers in URLs, HTTP validators, safe-mode JSON-LD, filters.

Each test here was a defect a consuming site hit: a superscript digit answered 500, one strong
ETag covered different bytes, ``Last-Modified`` changed at every restart, a request that is a
400 was answered 304, jsonld.js refused every page in safe mode, and ``?party=PK`` found
nothing. They run against a real server on 127.0.0.1, with httpx, pyld and jsonld.js.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ldtools import CONTEXT_FILE, CONTEXT_PATH, ID, ILRS, select, strict_loader
from pyld import jsonld
from servers import stop_server

from ilrs.graph.loader import dataset_files
from ilrs.graph.settings import BASE_IRI, get_settings
from ilrs.graph.store import Store

# --- numbers in URLs ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "limit=%C2%B2",  # ² (str.isdigit() is True, int() fails)
        "page=%C2%B2",
        "limit=%EF%BC%95",  # FULLWIDTH DIGIT FIVE (int() reads it as 5)
        "limit=%D9%A3",  # ARABIC-INDIC DIGIT THREE
        "limit=+5",
        "limit=%205",
        "limit=5%20",
        "limit=5_0",
        "page=1e3",
        "page=99999999999999999999999999999999",
    ],
)
def test_numbers_are_ascii_digits_only(client: httpx.Client, query: str) -> None:
    r = client.get(f"/countries?{query}")
    assert r.status_code == 400
    assert r.json()["detail"].startswith(query.split("=")[0])


@pytest.mark.parametrize("value", ["%EF%BC%95", "1_0", "%205", "inf", "nan", "-1", "1e2"])
def test_sparql_timeout_is_ascii_seconds(client: httpx.Client, value: str) -> None:
    r = client.get(f"/sparql?query=ASK%20%7B%7D&timeout={value}")
    assert r.status_code == 400 and "timeout" in r.text
    assert client.get("/sparql?query=ASK%20%7B%7D&timeout=29.5").status_code == 200  # a decimal in ASCII is fine


def _numeric_parameters(openapi: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(path, parameter, integer or number) of every numeric query parameter of every route without path
    variables."""
    found = []
    for path, operations in openapi["paths"].items():
        if "{" in path or "get" not in operations:
            continue
        for parameter in operations["get"].get("parameters", []):
            kind = parameter.get("schema", {}).get("type")
            if parameter["in"] == "query" and kind in ("integer", "number"):
                found.append((path, parameter["name"], kind))
    return found


#: Values a number parameter must survive: other scripts' digits, signs, spaces, huge and odd numbers.
NUMBERISH = st.one_of(
    st.text(st.characters(categories=["Nd", "No", "Nl", "Zs", "Pd", "Sm", "Po"]), max_size=6),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.from_regex(r"[ +\-]?[0-9\u00b2\uff10-\uff19\u0660-\u0669]{1,25}([.,_eE][0-9]{0,3})?[ ]?", fullmatch=True),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=8),
)


#: What a numeric parameter accepts: ASCII digits (and, for a number of seconds, one decimal point).
ASCII_NUMBER = {"integer": re.compile(r"[0-9]+"), "number": re.compile(r"[0-9]+(\.[0-9]+)?")}


def test_every_numeric_parameter_answers_2xx_or_4xx(client: httpx.Client) -> None:
    """Property: whatever text a numeric parameter gets, the answer is a success or a 4xx, never a 5xx;
    and anything but ASCII digits is a 4xx (a fullwidth 5, "5_0" or " 5" is not read as a number)."""
    parameters = _numeric_parameters(client.get("/openapi.json").json())
    paths = {path for path, _, _ in parameters}
    assert {"/countries", "/agreements", "/sparql", "/search"} <= paths  # the OpenAPI document lists them
    assert all(name in ("page", "limit", "timeout") for _, name, _ in parameters)
    # A SPARQL request needs a query for its timeout to be read.
    fixed = {"/sparql": {"query": "ASK {}"}}

    def check(path: str, name: str, kind: str) -> None:
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(value=NUMBERISH)
        def answers(value: str) -> None:
            r = client.get(path, params={**fixed.get(path, {}), name: value})
            assert 200 <= r.status_code < 500, (path, name, value, r.status_code, r.text[:200])
            unset = name == "timeout" and value == ""  # SPARQL forms send an empty timeout: the server's own
            if not ASCII_NUMBER[kind].fullmatch(value) and not unset:
                assert r.status_code >= 400, (path, name, value, "read as a number")

        answers()

    for path, name, kind in parameters:
        check(path, name, kind)


# --- validators -----------------------------------------------------------------------

#: Documents with a strong ETag, one of each kind the server sends.
VALIDATED = [
    ("/countries?limit=30", "application/ld+json"),
    ("/api", "application/ld+json"),
    ("/id/agency/cnsa", "application/ld+json"),
    ("/id/agency/cnsa", "text/turtle"),
    ("/id/agency/cnsa", "text/html"),
    ("/graph/sources", "application/ld+json"),
    ("/ontology.jsonld", "application/ld+json"),
    ("/shapes.jsonld", "application/ld+json"),
    ("/.well-known/void", "application/ld+json"),
    ("/.well-known/void", "text/turtle"),
    ("/dataset", "text/html"),
    ("/dataset", "application/ld+json"),
    ("/graph/source/003", "application/ld+json"),
    ("/id/status", "application/ld+json"),
    ("/sparql", "application/ld+json"),
    ("/sparql", "text/turtle"),
]


@pytest.mark.parametrize(("path", "accept"), VALIDATED)
def test_one_strong_etag_one_body(client: httpx.Client, path: str, accept: str) -> None:
    first = client.get(path, headers={"Accept": accept})
    second = client.get(path, headers={"Accept": accept})
    assert first.status_code == second.status_code == 200
    etag = first.headers["etag"]
    assert not etag.startswith("W/") and etag == second.headers["etag"]
    assert first.content == second.content, f"{path} ({accept}): one strong ETag, two bodies"


#: Documents holding blank nodes (the ontology's lists, the creator of the vocabularies), which a parser
#: labels at random: their bytes must not change across restarts either, since their ETag does not.
WITH_BLANK_NODES = ["/agencies", "/ontology.jsonld", "/shapes.ttl", "/id/status.jsonld", "/dumps/ilrs.nq"]


def test_last_modified_is_the_data_files_time(tmp_path: Path, server_factory: Any) -> None:
    """The same files give the same validators and the same bodies after a restart; Last-Modified is their
    newest mtime."""
    newest = max(f.path.stat().st_mtime for f in dataset_files(get_settings()))
    seen = []
    for _ in range(2):  # a second process loads the same files later: a restart
        server = server_factory()
        responses = [httpx.get(f"{server.base_url}{path}", timeout=30) for path in WITH_BLANK_NODES]
        here = server.base_url.encode()  # each process listens on its own port
        seen.append([(r.headers["etag"], r.headers["last-modified"], r.content.replace(here, b"")) for r in responses])
        stop_server(server)
    assert b"_:" in seen[0][1][2] and b"_:" in seen[0][-1][2]  # they do hold blank nodes
    for path, before, after in zip(WITH_BLANK_NODES, *seen, strict=True):
        assert before == after, f"{path}: another body or validator after a restart"
    assert seen[0][0][1] == formatdate(int(newest), usegmt=True)


def test_if_modified_since(client: httpx.Client) -> None:
    r = client.get("/agencies")
    modified = r.headers["last-modified"]
    again = client.get("/agencies", headers={"If-Modified-Since": modified})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == r.headers["etag"]
    assert client.get("/id/agency/cnsa", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/agencies", headers={"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}).status_code == 200
    assert client.get("/agencies", headers={"If-Modified-Since": "yesterday"}).status_code == 200
    # If-None-Match decides when both are sent (RFC 9110, 13.2.2).
    both = {"If-Modified-Since": modified, "If-None-Match": '"another-version"'}
    assert client.get("/agencies", headers=both).status_code == 200


@pytest.mark.parametrize("query", ["page=99", "limit=0", "party=nobody", "colour=red"])
def test_a_bad_request_is_never_answered_304(client: httpx.Client, query: str) -> None:
    tag = client.get("/agreements").headers["etag"]
    modified = client.get("/agreements").headers["last-modified"]
    assert client.get(f"/agreements?{query}").status_code == 400
    assert client.get(f"/agreements?{query}", headers={"If-None-Match": tag}).status_code == 400
    assert client.get(f"/agreements?{query}", headers={"If-Modified-Since": modified}).status_code == 400


# --- every document canonizes in safe mode ----------------------------------------------


def _documents(client: httpx.Client, dataset: Store) -> list[str]:
    """One URL of every kind of JSON-LD document the server sends."""
    kinds: dict[str, str] = {}
    for iri in sorted(select(dataset, f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), '{ID}')) }}")):
        kinds.setdefault(iri.removeprefix(ID).split("/")[0], iri)
    graphs = [g for g in dataset.graphs() if g.startswith(BASE_IRI)]
    paths = [
        "/api",
        *(f"/{name}" for name in ("agencies", "countries", "organizations", "agreements", "missions", "phases")),
        *(f"/{name}" for name in ("events", "sources", "persons", "programs")),
        *(iri.removeprefix(BASE_IRI.rstrip("/")) for iri in kinds.values()),
        *(g.removeprefix(BASE_IRI.rstrip("/")) for g in graphs),
        "/ontology.jsonld",
        "/shapes.jsonld",
        "/.well-known/void",
        "/dataset.jsonld",
        "/sparql",
        "/dumps/ilrs.jsonld",
    ]
    return [f"{client.base_url}{p}" for p in paths]


#: JSON-LD the server sends in other forms: the explore pages' (inline contexts), and the protocols' results
#: (expanded): a CONSTRUCT, and a graph of the Graph Store Protocol.
OTHER_JSONLD = [
    "/search?q=cnsa",
    "/disagreements",
    "/sparql?" + urlencode({"query": "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 50"}),
    "/store?" + urlencode({"graph": "https://w3id.org/ilrs/graph/source/003"}),
]


def _safe_canonical(document: Any, context: str) -> str:
    """pyld's canonical N-Quads, failing (as jsonld.js's safe mode does) if expansion drops any key."""
    dropped: list[str] = []
    processor = jsonld.JsonLdProcessor(on_property_dropped=lambda key: dropped.append(key))
    expanded = processor.expand(document, {"documentLoader": strict_loader(context)})
    assert dropped == [], f"keys dropped by expansion: {dropped}"
    return str(jsonld.normalize(expanded, {"algorithm": "URDNA2015", "format": "application/n-quads"}))


def test_every_document_canonizes_in_safe_mode(client: httpx.Client, dataset: Store, jsonld_js: Path) -> None:
    urls = [*_documents(client, dataset), *(f"{client.base_url}{path}" for path in OTHER_JSONLD)]
    context = f"{client.base_url}{CONTEXT_PATH}"
    done = subprocess.run(
        ["node", "canonize.mjs", str(CONTEXT_FILE), context, *urls],
        cwd=jsonld_js,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    by_jsonld_js = json.loads(done.stdout)
    for url in urls:
        document = client.get(url, headers={"Accept": "application/ld+json"}).json()
        assert by_jsonld_js[url] == _safe_canonical(document, context), url
        assert by_jsonld_js[url], f"{url} means no triples"


def test_the_previous_context_version_is_still_served(client: httpx.Client) -> None:
    old = client.get("/context/0.1.0.jsonld")
    assert old.status_code == 200 and "immutable" in old.headers["cache-control"]
    assert json.loads(old.content)["@context"]["localUrl"] is None  # what documents naming it meant
    assert client.get(CONTEXT_PATH).content == CONTEXT_FILE.read_bytes()


# --- filters --------------------------------------------------------------------------


def _members(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {m["@id"] for m in response.json()["member"]}


def _agreements(dataset: Store, pattern: str) -> set[str]:
    typed = f"?s a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{ILRS}Agreement>"
    query = f"SELECT DISTINCT ?s WHERE {{ {typed} . {pattern} }}"
    return set(select(dataset, query))


@pytest.mark.parametrize("code", ["PK", "SN", "CN", "RU"])
def test_party_follows_agencies_and_counterparts_to_their_country(
    client: httpx.Client, dataset: Store, code: str
) -> None:
    country = f"{ID}country/{code}"
    expected = _agreements(
        dataset,
        f"{{ ?s <{ILRS}party> <{country}> }}"
        f" UNION {{ ?s <{ILRS}party> ?agency . ?agency <{ILRS}agencyOf> <{country}> }}"
        f" UNION {{ ?s <{ILRS}counterpartCountry> <{country}> }}",
    )
    assert expected, f"the data has agreements of {code}"
    local = f"{client.base_url}/id/country/{code}"
    for value in (code, code.lower(), f"country/{code}", country, local):
        assert _members(client.get("/agreements", params={"party": value, "limit": 1000})) == expected, value


@pytest.mark.parametrize("value", ["nobody", "status/signed", f"{ID}status/signed", f"{ID}agreement/artemis-accords"])
def test_a_value_that_names_no_party_is_400(client: httpx.Client, value: str) -> None:
    r = client.get("/agreements", params={"party": value})
    assert r.status_code == 400
    assert "party" in r.json()["detail"]


@pytest.mark.parametrize("collection", ["countries", "agencies", "organizations"])
def test_status_is_given_like_a_party(client: httpx.Client, dataset: Store, collection: str) -> None:
    """A status by its key, its notation's key path, its IRI or its URL on this server: the same members."""
    status = f"{ID}status/signed"
    kind = {"countries": "Country", "agencies": "SpaceAgency", "organizations": "Organization"}[collection]
    typed = f"?s a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{ILRS}{kind}>"
    expected = set(select(dataset, f"SELECT DISTINCT ?s WHERE {{ {typed} . ?s <{ILRS}partnerStatus> <{status}> }}"))
    assert expected or collection != "countries"
    for value in ("signed", "status/signed", status, f"{client.base_url}/id/status/signed"):
        page = client.get(f"/{collection}", params={"status": value, "limit": 1000})
        assert _members(page) == expected, value
    for value in ("nobody", "country/PK", f"{client.base_url}/id/country/PK"):
        r = client.get(f"/{collection}", params={"status": value})
        assert r.status_code == 400 and "status" in r.json()["detail"], value


def test_a_known_party_without_agreements_is_an_empty_page(client: httpx.Client) -> None:
    r = client.get("/agreements", params={"party": "FR"})  # a country of the reference data
    assert _members(r) == set() and r.json()["totalItems"] == 0


def test_year_finds_agreements_dated_through_their_event(client: httpx.Client, dataset: Store) -> None:
    date = "<http://purl.org/dc/terms/date>"
    only_event = _agreements(
        dataset,
        f"?s <{ILRS}signedAt>/{date} ?d FILTER NOT EXISTS {{ ?s {date} ?own }} FILTER(STRSTARTS(STR(?d), '2025'))",
    )
    assert only_event, "the data has an agreement dated only by its event"
    in_2025 = _members(client.get("/agreements", params={"year": "2025", "limit": 1000}))
    assert only_event <= in_2025
    assert in_2025 == only_event | _agreements(dataset, f"?s {date} ?d FILTER(STRSTARTS(STR(?d), '2025'))")


# --- shapes a consumer can rely on ---------------------------------------------------

#: Hydra terms of one value by definition (a page has one first, last, next, previous, view, total).
SINGLE_VALUED = {
    "first", "last", "next", "previous", "view", "totalItems", "localUrl", "search", "template",
    "variableRepresentation", "variable", "property", "required", "subject", "object",
}  # fmt: skip


def test_every_multi_valued_term_is_a_set() -> None:
    terms = json.loads(CONTEXT_FILE.read_text())["@context"]
    for name, definition in terms.items():
        if name.startswith("@") or name in SINGLE_VALUED or not isinstance(definition, dict):
            continue  # prefixes and class names are strings
        container = definition.get("@container", [])
        assert "@set" in (container if isinstance(container, list) else [container]), name
    for link in ("publisher", "creator", "license", "source", "party"):
        assert terms[link]["@type"] == "@id", link


def _property_values(document: Any) -> list[tuple[str, Any]]:
    """Every (key, value) of every node object in a compacted document."""
    found = []
    if isinstance(document, list):
        for item in document:
            found += _property_values(item)
    elif isinstance(document, dict):
        for key, value in document.items():
            if not key.startswith("@"):
                found.append((key, value))
            if key != "@context":
                found += _property_values(value)
    return found


def test_every_property_of_the_ontology_has_a_term(dataset: Store) -> None:
    """So that no property falls back to @vocab, where a single value would not be an array."""
    terms = json.loads(CONTEXT_FILE.read_text())["@context"]
    properties = select(
        dataset,
        "SELECT DISTINCT ?p WHERE { ?p a ?t FILTER(?t IN (<http://www.w3.org/2002/07/owl#ObjectProperty>, "
        f"<http://www.w3.org/2002/07/owl#DatatypeProperty>)) FILTER(STRSTARTS(STR(?p), '{ILRS}')) }}",
    )
    assert properties
    assert [p for p in properties if p.removeprefix(ILRS) not in terms] == []


def _shape_problems(value: Any, terms: dict[str, Any], where: str) -> list[str]:
    """Keys of compacted node objects that are not terms of the context, and multi-valued ones that are not arrays."""
    if isinstance(value, list):
        return [p for item in value for p in _shape_problems(item, terms, where)]
    if not isinstance(value, dict) or "@value" in value:
        return []
    problems = []
    for key, item in value.items():
        if key == "@context":
            continue
        if key in ("@type", "@graph", "@included"):
            if not isinstance(item, list):
                problems.append(f"{where}: {key} is {item!r}, not an array")
        elif not key.startswith("@"):
            if key not in terms:
                problems.append(f"{where}: {key!r} is not a term of the context")
                continue
            if "@language" in str(terms[key]):  # a language map: arrays under each language
                if not (isinstance(item, dict) and all(isinstance(v, list) for v in item.values())):
                    problems.append(f"{where}: {key} is {item!r}, not a language map of arrays")
                continue
            if key not in SINGLE_VALUED and not isinstance(item, list):
                problems.append(f"{where}: {key} is {item!r}, not an array")
        problems += _shape_problems(item, terms, where)
    return problems


def test_every_key_is_a_term_and_every_multi_valued_term_an_array(client: httpx.Client, dataset: Store) -> None:
    """Every compact document: no key falls back to a compact IRI, @type and every @set term are arrays."""
    terms = json.loads(CONTEXT_FILE.read_text())["@context"]
    problems = []
    for url in _documents(client, dataset):
        document = client.get(url, headers={"Accept": "application/ld+json"}).json()
        if url.endswith("/dumps/ilrs.jsonld"):  # streamed in expanded form: absolute IRIs, every value an array
            assert "@context" not in json.dumps(document)
            assert all(isinstance(v, list) for _, v in _property_values(document))
            continue
        assert document["@context"] == f"{client.base_url}{CONTEXT_PATH}", url
        problems += _shape_problems(document, terms, url.removeprefix(str(client.base_url)))
    assert problems == []


def test_the_shape_check_finds_bare_values() -> None:
    terms = json.loads(CONTEXT_FILE.read_text())["@context"]
    good = {"@id": "x", "@type": ["Country"], "label": {"en": ["a"]}, "party": ["y"]}
    assert _shape_problems(good, terms, "ok") == []
    assert _shape_problems({"@type": "Country"}, terms, "type")
    assert _shape_problems({"party": "y"}, terms, "single value")
    assert _shape_problems({"dcterms:creator": "y"}, terms, "compact IRI")
    assert _shape_problems({"label": {"en": "a"}}, terms, "language map")
    assert _shape_problems({"member": [{"@id": "x", "party": "y"}]}, terms, "nested")


def test_each_concept_scheme_is_a_collection(client: httpx.Client, dataset: Store) -> None:
    skos = "http://www.w3.org/2004/02/skos/core#"
    schemes = select(dataset, f"SELECT DISTINCT ?s WHERE {{ ?s a <{skos}ConceptScheme> }}")
    assert schemes
    entry = client.get("/api").json()
    by_scheme = {
        c["memberAssertion"][0]["object"]: c["@id"]
        for c in entry["collection"]
        if c["memberAssertion"][0]["property"] == "skos:inScheme"
    }
    for scheme in schemes:
        assert scheme in by_scheme, f"no collection for the scheme {scheme}"
        page = client.get(by_scheme[scheme], params={"limit": 1000}).json()
        concepts = set(select(dataset, f"SELECT DISTINCT ?c WHERE {{ ?c <{skos}inScheme> <{scheme}> }}"))
        assert {m["@id"] for m in page["member"]} == concepts


# --- the OpenAPI document, exercised --------------------------------------------------


def test_openapi_lists_filters_media_types_and_errors(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    agreements = paths["/agreements"]["get"]
    assert {p["name"] for p in agreements["parameters"]} == {"party", "year", "page", "limit"}
    assert set(agreements["responses"]["200"]["content"]) == {"application/ld+json", "application/json"}
    assert "application/problem+json" in agreements["responses"]["400"]["content"]
    assert "406" in agreements["responses"]
    assert "parameters" not in paths["/context.jsonld"]["get"]  # no phantom version parameter
    assert "parameters" not in paths["/.well-known/void"]["get"]
    assert set(paths["/dumps/{name}"]["get"]["responses"]["200"]["content"]) == {
        "application/trig", "application/n-quads", "application/ld+json"
    }  # fmt: skip
    sparql = paths["/sparql"]["get"]["responses"]
    assert {"application/sparql-results+json", "text/csv", "text/turtle", "text/html"} <= set(sparql["200"]["content"])


#: The tags of the routes that send linked data, JSON-LD, dumps, SPARQL results and problem types.
DOCUMENTED_TAGS = {"JSON-LD API", "linked data", "dataset", "sparql", "service"}


def test_openapi_names_the_media_type_of_every_response(client: httpx.Client) -> None:
    """Every response but a redirect or a 304 names its media types, and no route lists a 422 it never sends."""
    problems = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            if not DOCUMENTED_TAGS & set(operation.get("tags", [])):
                continue
            for status, response in operation["responses"].items():
                if not status.startswith("3") and not response.get("content"):
                    problems.append(f"{method.upper()} {path} {status}: no media type")
            if "422" in operation["responses"]:
                problems.append(f"{method.upper()} {path}: a 422 it never sends")
    assert problems == []
    # Nor does a malformed path give one: a bad path segment is a 400 problem, as the 4XX entry says.
    r = client.get("/dumps/%FF")
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("selection", "checks"),
    [
        (
            ["--include-tag", "JSON-LD API", "--include-tag", "linked data", "--include-tag", "dataset"],
            "not_a_server_error,status_code_conformance,content_type_conformance",
        ),
        ([], "not_a_server_error"),
    ],
    ids=["json-ld-api-conformance", "every-route-no-5xx"],
)
def test_schemathesis(live_server: Any, selection: list[str], checks: str, tmp_path: Path) -> None:
    """A bounded schemathesis run over the OpenAPI document: the filters and paging are exercised."""
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{live_server.base_url}/openapi.json",
            *selection,
            "--checks",
            checks,
            "--max-examples",
            "5",
            "--phases",
            "examples,coverage,fuzzing",
            "--generation-deterministic",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # its example cache (.schemathesis/) stays out of the checkout
    )
    assert done.returncode == 0, done.stdout[-4000:]
