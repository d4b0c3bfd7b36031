"""What the server sends every visitor, and what a request or a loaded file cannot make it send.

Headers every public site sends (nosniff, a Content-Security-Policy, Referrer-Policy, no framing, a
favicon, long-lived caching of versioned static files); absolute URLs written from the public URL
setting, never from the Host or X-Forwarded-* headers of a request; links from the data only to
http(s) IRIs, bidi-isolated, long literals once; loaded files named by IRI, not by their local path;
one client's share of the query slots.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from ldtools import CONTEXT_PATH
from servers import LiveServer

from ilrs.server.assets import STATIC_DIR, asset_url

HTML = "text/html"
SOURCES_GRAPH = "https://w3id.org/ilrs/graph/sources"


class PageParser(HTMLParser):
    """Collects a page's links, scripts, icon links, and the text from the data inside and outside <bdi>."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.inline_script_types: list[str] = []
        self.script_srcs: list[str] = []
        self.icons: list[str] = []
        self.bdi_text: list[str] = []
        self.text_outside_bdi: list[str] = []
        self._in_script = False
        self._bdi = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href") is not None:
            self.hrefs.append(a["href"] or "")
        if tag == "link" and "icon" in (a.get("rel") or "").split():
            self.icons.append(a.get("href") or "")
        if tag == "script":
            self._in_script = True
            if a.get("src"):
                self.script_srcs.append(a["src"] or "")
            else:
                self.inline_script_types.append(a.get("type") or "text/javascript")
        if tag == "bdi":
            self._bdi += 1
            self.bdi_text.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        if tag == "bdi":
            self._bdi -= 1

    def handle_data(self, data: str) -> None:
        if self._in_script:
            return
        if self._bdi:
            self.bdi_text[-1] += data
        else:
            self.text_outside_bdi.append(data)


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


# --- headers every response carries ----------------------------------------------------------------

PAGES = [
    "/",
    "/query",
    "/disagreements",
    "/docs",
    "/sparql",
    "/id/agency/cnsa",
    "/.well-known/void",
    "/ontology/",
    "/graph/source/001",
    "/nope",
]


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        *((p, HTML) for p in PAGES),
        ("/id/agency/cnsa", "text/turtle"),
        ("/agencies", "application/ld+json"),
        ("/sparql?query=ASK%7B%7D", "application/sparql-results+json"),
        ("/static/ui.js", "*/*"),
        ("/health", "*/*"),
        ("/context.jsonld", "*/*"),
    ],
)
def test_every_response_says_nosniff_and_its_referrer_policy(client: httpx.Client, path: str, accept: str) -> None:
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code < 500
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def csp(response: httpx.Response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as directive → sources."""
    policy = {}
    for directive in response.headers["content-security-policy"].split(";"):
        name, *sources = directive.split()
        policy[name] = sources
    return policy


@pytest.mark.parametrize("path", PAGES)
def test_pages_allow_only_the_servers_own_scripts_and_no_framing(client: httpx.Client, path: str) -> None:
    response = client.get(path, headers={"Accept": HTML})
    assert response.headers["content-type"].startswith(HTML)
    policy = csp(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert response.headers["x-frame-options"] == "DENY"
    page = parse(response.text)
    # No inline script the policy would block: only data blocks (JSON, JSON-LD), which never run.
    assert set(page.inline_script_types) <= {"application/json", "application/ld+json"}
    for src in page.script_srcs:
        assert urlsplit(urljoin(str(response.url), src)).netloc == urlsplit(str(response.url)).netloc


def test_only_the_editor_relaxes_the_style_policy(client: httpx.Client) -> None:
    """The editor writes one fixed stylesheet, allowed by its hash; every other page, the ontology's
    generated documentation among them (shown without pyLODE's inline styles), has the site's policy."""
    ui = csp(client.get("/query"))["style-src"]
    assert ui[0] == "'self'" and all(s.startswith("'sha256-") for s in ui[1:])
    for path in ("/", "/disagreements", "/id/agency/cnsa", "/docs", "/sparql", "/ontology/"):
        assert csp(client.get(path, headers={"Accept": HTML}))["style-src"] == ["'self'"]


def test_favicon_is_served_and_linked(client: httpx.Client) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg")
    for path in ("/", "/docs", "/id/agency/cnsa", "/sparql"):
        response = client.get(path, headers={"Accept": HTML})
        (link,) = parse(response.text).icons
        linked = client.get(urljoin(str(response.url), link))
        assert linked.status_code == 200 and linked.content == icon.content


def test_versioned_static_files_are_cached_for_good_and_others_revalidate(client: httpx.Client) -> None:
    page = client.get("/query").text
    bundle = re.search(r'src="(static/vendor/yasgui/yasgui\.min\.js\?v=[0-9a-f]+)"', page)
    assert bundle, "the editor bundle is not linked by a versioned URL"
    versioned = client.get("/" + bundle.group(1))
    assert versioned.status_code == 200
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    for url in ("/static/vendor/yasgui/yasgui.min.js", "/static/vendor/yasgui/yasgui.min.js?v=0123456789abcdef"):
        plain = client.get(url)
        assert plain.status_code == 200 and plain.headers["cache-control"] == "no-cache"
        assert client.get(url, headers={"If-None-Match": plain.headers["etag"]}).status_code == 304


def test_a_static_files_version_is_its_content_digest() -> None:
    """A new build changes the URL: the version is the file's SHA-256, as ui/'s VERSIONS.json records it."""
    versions = json.loads((STATIC_DIR / "vendor" / "VERSIONS.json").read_text())["sha256"]
    for name in ("yasgui/yasgui.min.js", "yasgui/yasgui.min.css", "swagger-ui/swagger-ui-bundle.js"):
        version = asset_url(f"vendor/{name}").split("?v=")[1]
        assert versions[name].startswith(version)
        assert hashlib.sha256((STATIC_DIR / "vendor" / name).read_bytes()).hexdigest().startswith(version)
    assert asset_url("no/such/file.js") == "static/no/such/file.js"


# --- the Host header and X-Forwarded-* -----------------------------------------------------------

#: Routes whose answers hold absolute URLs (context, links, Location, sd:endpoint, a query's base IRI).
ROUTES = [
    ("/id/agency/cnsa", "application/ld+json"),
    ("/id/agency/cnsa", HTML),
    ("/id/agency/cnsa", "text/turtle"),
    ("/agencies", "application/ld+json"),
    ("/agreements?page=2&limit=2", "application/json"),
    ("/ontology", HTML),
    ("/ontology", "text/turtle"),
    ("/sparql", "text/turtle"),
    ("/sparql", HTML),
    ("/sparql?query=SELECT%20%28%3Crel%3E%20AS%20%3Fbase%29%20%7B%7D", "application/sparql-results+json"),
    ("/.well-known/void", "application/ld+json"),
    ("/.well-known/void", "text/turtle"),
    ("/dataset", HTML),
    ("/nope", HTML),
    ("/", HTML),
    ("/disagreements", HTML),
    ("/disagreements", "application/ld+json"),
    ("/docs", HTML),
]


def _answer(client: httpx.Client, path: str, accept: str, headers: dict[str, str]) -> tuple[int, dict, bytes]:
    """Status, headers but the date, and body."""
    response = client.get(path, headers={"Accept": accept, **headers})
    return response.status_code, {k: v for k, v in response.headers.items() if k != "date"}, response.content


@pytest.mark.parametrize(("path", "accept"), ROUTES)
def test_the_host_header_changes_no_byte_of_a_response(client: httpx.Client, path: str, accept: str) -> None:
    """`Host: evil.example` wrote http://evil.example/… into contexts, links and Location, all cacheable."""
    port = urlsplit(str(client.base_url)).port
    reference = _answer(client, path, accept, {})
    assert reference[0] in (200, 303, 404)
    for host in (f"localhost:{port}", "localhost", f"[::1]:{port}"):
        assert _answer(client, path, accept, {"Host": host}) == reference, host
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example", "localhost@evil.example"):
        status, _, body = _answer(client, path, accept, {"Host": host})
        assert status == 400 and f"does not answer for host {host!r}".encode() in body, host
        assert b"evil" not in body.replace(host.encode(), b"")


@pytest.mark.parametrize(("path", "accept"), ROUTES)
def test_forwarded_headers_from_an_untrusted_client_change_nothing(
    client: httpx.Client, path: str, accept: str
) -> None:
    """`X-Forwarded-Proto: https` from any local client switched every link to https."""
    reference = _answer(client, path, accept, {})
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-For": "203.0.113.9",
        "Forwarded": "for=203.0.113.9;proto=https;host=evil.example",
    }
    assert _answer(client, path, accept, forwarded) == reference


def test_public_url_setting_writes_every_absolute_url(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(
        "--public-url", "https://kg.example.org/ilrs", env={"ILRS_ALLOWED_HOSTS": '["*.mirror.example"]'}
    )
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        document = c.get("/id/agency/cnsa", headers={"Accept": "application/ld+json"}).json()
        assert document["@context"] == f"https://kg.example.org/ilrs{CONTEXT_PATH}"
        ontology = c.get("/ontology", headers={"Accept": HTML})
        assert ontology.status_code == 303 and ontology.headers["location"] == "https://kg.example.org/ilrs/ontology/"
        assert "<https://kg.example.org/ilrs/sparql>" in c.get("/sparql", headers={"Accept": "text/turtle"}).text
        # The public host and the configured names are served; loopback still is (the machine's own tools).
        for host in ("kg.example.org", "a.mirror.example", "127.0.0.1"):
            assert c.get("/health", headers={"Host": host}).status_code == 200, host
        assert c.get("/health", headers={"Host": "mirror.example.evil"}).status_code == 400
        # Pages link their styles below the public URL's path, on the origin they were reached by.
        page = c.get("/id/agency/cnsa", headers={"Accept": HTML}).text
        assert re.search(r'href="/ilrs/static/site\.css\?v=[0-9a-f]+"', page)


# --- links from the data ---------------------------------------------------------------------------

RLO = "\u202e"
LONG = "long-literal-" + "x" * 2_000_000

PAYLOAD = f"""@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix agency: <https://w3id.org/ilrs/id/agency/> .
@prefix source: <https://w3id.org/ilrs/id/source/> .

source:000 schema:url "javascript:alert('string-url')" .
source:001 schema:url <javascript:alert('iri-url')> .
source:002 foaf:page <javascript:alert('foaf-page')> .
agency:cnsa a <javascript:alert('class')> ;
    <javascript:alert('predicate')> "set by a javascript: predicate" ;
    rdfs:seeAlso <javascript:alert('seeAlso')> , <data:text/html,seeAlso> , <https://example.org/see-also> ;
    rdfs:label "Agency {RLO}gnp.exe" ;
    rdfs:comment "{LONG}" ;
    rdfs:seeAlso agency:reversed .
agency:reversed rdfs:label "Reversed {RLO}gnp.exe" .
"""

#: Loaded into the sources graph itself (``--load FILE=IRI``): there a URL counts, but only an http(s) IRI.
SOURCES_PAYLOAD = """@prefix schema: <https://schema.org/> .
@prefix source: <https://w3id.org/ilrs/id/source/> .
source:003 schema:url "https://example.org/a-string-is-not-a-url" .
source:004 schema:url <javascript:alert('sources-graph')> .
source:000 schema:url <https://example.org/original-article> .
"""


@pytest.fixture(scope="module")
def payload_server(tmp_path_factory: pytest.TempPathFactory) -> tuple[LiveServer, Path]:
    from servers import start_server, stop_server

    tmp = tmp_path_factory.mktemp("payload")
    (tmp / "payload file.ttl").write_text(PAYLOAD, encoding="utf-8")
    (tmp / "sources-extra.ttl").write_text(SOURCES_PAYLOAD, encoding="utf-8")
    server = start_server(tmp, "--load", str(tmp / "payload file.ttl"), f"{tmp / 'sources-extra.ttl'}={SOURCES_GRAPH}")
    yield server, tmp
    stop_server(server)


def test_only_http_iris_from_the_data_become_links(payload_server: tuple[LiveServer, Path]) -> None:
    server, _ = payload_server
    html = httpx.get(server.url("/id/agency/cnsa"), headers={"Accept": HTML}, timeout=30).text
    page = parse(html)
    schemes = {urlsplit(urljoin(server.base_url, h)).scheme for h in page.hrefs}
    assert schemes <= {"http", "https"}, schemes
    # The IRIs are still shown, as text.
    for shown in ("javascript:alert(&#39;class&#39;)", "javascript:alert(&#39;seeAlso&#39;)", "data:text/html"):
        assert shown in html
    assert "set by a javascript: predicate" in html
    assert "https://example.org/see-also" in page.hrefs
    # A source's URL: only an http(s) IRI in the sources graph. A loaded graph (or a string) is not believed.
    assert "https://example.org/original-article" in page.hrefs
    for absent in ("string-url", "iri-url", "foaf-page", "sources-graph", "a-string-is-not-a-url"):
        assert absent not in html, absent


def test_text_from_the_data_is_isolated_from_the_page(payload_server: tuple[LiveServer, Path]) -> None:
    """A right-to-left override in a label reordered what followed it on the page."""
    server, _ = payload_server
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        # A label of the resource itself (title, labels), and of a resource it links to (link text).
        for path, shown in (("/id/agency/cnsa", "Agency"), ("/id/agency/reversed", "Reversed")):
            page = parse(c.get(path, headers={"Accept": HTML}).text)
            assert f"{shown} {RLO}gnp.exe" in page.bdi_text, path
            # Outside a <bdi> (in <title>, where no element can go: between FSI and PDI) the page reads in
            # its own order: no override reaches it.
            outside = [text for text in page.text_outside_bdi if RLO in text]
            assert all(re.search(f"\u2068[^\u2069]*{RLO}[^\u2069]*\u2069", text) for text in outside), outside
        cnsa = parse(c.get("/id/agency/cnsa", headers={"Accept": HTML}).text)
        assert f"Reversed {RLO}gnp.exe" in cnsa.bdi_text


def test_a_long_literal_is_shown_once_and_whole_on_request(payload_server: tuple[LiveServer, Path]) -> None:
    """A 2 MB literal was written into the page twice (the table and the embedded JSON-LD)."""
    server, _ = payload_server
    html = httpx.get(server.url("/id/agency/cnsa"), headers={"Accept": HTML}, timeout=30).text
    assert html.count(LONG) == 1
    assert len(html) < len(LONG) + 200_000
    details = html[html.index("<details") : html.index("</details>")]
    assert LONG in details and "2,000,013 characters" in details
    embedded = json.loads(html.split('<script type="application/ld+json">')[1].split("</script>")[0])
    assert LONG not in json.dumps(embedded)
    # The data itself is whole in every RDF representation.
    turtle = httpx.get(server.url("/id/agency/cnsa"), headers={"Accept": "text/turtle"}, timeout=30).text
    assert LONG in turtle


def test_loaded_files_are_named_by_iri_never_by_local_path(payload_server: tuple[LiveServer, Path]) -> None:
    """The absolute path of a --load file was published as a graph IRI (service description, VoID, citations)."""
    server, tmp = payload_server
    loaded = "https://w3id.org/ilrs/graph/loaded/payload-file"
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        bodies = {
            "service description": c.get("/sparql", headers={"Accept": "text/turtle"}).text,
            "void": c.get("/.well-known/void", headers={"Accept": "text/turtle"}).text,
            "void page": c.get("/.well-known/void", headers={"Accept": HTML}).text,
            "citations": c.get("/id/agency/cnsa", headers={"Accept": HTML}).text,
            "graphs": c.get("/sparql", params={"query": "SELECT DISTINCT ?g { GRAPH ?g {} }"}).text,
        }
        for name, body in bodies.items():
            assert str(tmp) not in body and "file://" not in body, name
            assert loaded in body, name
        rows = c.get(
            "/sparql",
            params={"query": f"ASK {{ GRAPH <{SOURCES_GRAPH}> {{ ?s <https://schema.org/url> ?u }} }}"},
            headers={"Accept": "application/sparql-results+json"},
        ).json()
        assert rows["boolean"] is True  # FILE=IRI loaded into the graph the user named
        assert c.get("/graph/loaded/payload-file", headers={"Accept": "text/turtle"}).status_code == 200


def test_two_loaded_files_of_one_name_are_refused(tmp_path: Path) -> None:
    from ilrs.graph.errors import ParameterError
    from ilrs.graph.loader import loaded_graphs
    from ilrs.graph.settings import Settings

    a, b = tmp_path / "a" / "x.ttl", tmp_path / "b" / "x.ttl"
    with pytest.raises(ParameterError, match="name one with FILE=IRI"):
        loaded_graphs(Settings(extra_files=[a, b]))
    named = loaded_graphs(Settings(extra_files=[a, b], extra_graph_names={str(b): "https://example.org/g"}))
    assert named == {a: "https://w3id.org/ilrs/graph/loaded/x", b: "https://example.org/g"}


# --- one client's share of the query slots -----------------------------------------------------------

#: Long enough to hold a slot until the deadline.
CARTESIAN = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _from(address: str, server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=60, transport=httpx.HTTPTransport(local_address=address))


@pytest.mark.parametrize(("share", "other_gets"), [(2, 200), (100, 503)], ids=["with-share", "without-share"])
def test_one_client_flooding_leaves_slots_for_another(
    server_factory: Callable[..., LiveServer], share: int, other_gets: int
) -> None:
    """Twelve cartesian products from one address held every slot: everyone else got 503 until the deadline.

    127.0.0.2 floods with six slow queries on four slots; 127.0.0.3 then asks. Without a per-client share
    (the second case, the old behaviour) it is refused; with a share of two it is answered.
    """
    server = server_factory(
        env={
            "ILRS_MAX_CONCURRENT_QUERIES": "4",
            "ILRS_MAX_QUERIES_PER_CLIENT": str(share),
            "ILRS_QUERY_TIMEOUT": "6",
        }
    )
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def flood() -> None:
        with _from("127.0.0.2", server) as c:
            response = c.post("/sparql", data={"query": CARTESIAN})
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=flood) for _ in range(6)]
    for t in threads:
        t.start()
    # The refusals come at once: once two are back, the rest of the flood holds its slots until the deadline.
    deadline = time.monotonic() + 30
    while len(answers) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    with _from("127.0.0.3", server) as other:
        answer = other.get("/sparql", params={"query": "ASK { <urn:x:other> ?p ?o }"})  # it reads data: it needs a slot
    for t in threads:
        t.join(60)
    assert answer.status_code == other_gets, answer.text
    statuses = sorted(r.status_code for r in answers)
    if share == 2:
        assert statuses == [429, 429, 429, 429, 504, 504]
        refused = next(r for r in answers if r.status_code == 429)
        assert "at most 2 SPARQL requests from one address" in refused.text and refused.headers["retry-after"]
    else:
        assert statuses == [503, 503, 504, 504, 504, 504]


def test_a_trusted_proxy_forwards_its_clients_addresses(server_factory: Callable[..., LiveServer]) -> None:
    """Behind a configured proxy, each forwarded client has its own share; the proxy's scheme writes no URL."""
    server = server_factory(
        env={
            "ILRS_TRUSTED_PROXIES": '["127.0.0.1"]',
            "ILRS_MAX_QUERIES_PER_CLIENT": "1",
            "ILRS_QUERY_TIMEOUT": "3",
        }
    )
    answers: dict[str, httpx.Response] = {}

    def ask(name: str, client_address: str, query: str) -> None:
        with httpx.Client(base_url=server.base_url, timeout=30) as c:
            answers[name] = c.post("/sparql", data={"query": query}, headers={"X-Forwarded-For": client_address})

    first = threading.Thread(target=ask, args=("first", "198.51.100.7", CARTESIAN))
    first.start()
    time.sleep(1)  # the first query holds its client's only share until its deadline
    ask("same client", "198.51.100.7", "ASK {}")
    ask("other client", "198.51.100.8", "ASK {}")
    first.join(30)
    assert answers["first"].status_code == 504
    assert answers["same client"].status_code == 429
    assert answers["other client"].status_code == 200
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        proxied = c.get("/id/agency/cnsa", headers={"Accept": "application/ld+json", "X-Forwarded-Proto": "https"})
        assert proxied.json()["@context"] == f"{server.base_url}{CONTEXT_PATH}"


def test_a_misspelt_proxy_or_exempt_address_is_refused_at_start() -> None:
    """A typo must not silently trust (or exempt) nobody while the operator believes otherwise."""
    from pydantic import ValidationError

    from ilrs.graph.settings import Settings

    assert Settings(trusted_proxies=["10.0.0.0/8", "::1"]).trusted_proxies == ["10.0.0.0/8", "::1"]
    for field in ("trusted_proxies", "client_limits_exempt"):
        with pytest.raises(ValidationError, match=re.escape("'10.0.0.300' is not an IP address or network")):
            Settings(**{field: ["10.0.0.300"]})
