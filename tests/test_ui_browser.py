"""The query UI in headless Chromium: run an example, check the rendered table, links, downloads, no outside requests.

Uses Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them) through
Selenium with the system chromedriver, so nothing is downloaded. Without the browser
the tests are skipped, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import csv
import json
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, quote, urlsplit

import httpx
import pyoxigraph as ox
import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from servers import LiveServer

from ilrs.graph.partners import partner_statuses
from ilrs.graph.settings import BASE_IRI
from ilrs.graph.store import Store
from ilrs.server.routes.ui import DEFAULT_QUERY

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PREFERRED_EXAMPLE = "phases"
#: The results of the open tab (a first visit also answers the default query, in its own tab).
RESULTS = ".tabPanel.active .yasr"
TABLE_ROWS = f"{RESULTS} table.dataTable tbody tr"
WAIT = 30


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One headless Chromium for the module, recording every network request and the console."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        reason = f"headless Chromium is not installed ({', '.join(missing)} missing)"
        reason += ": apt-get install chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the browser tests")
        pytest.skip(reason)
    # The driver path is given, so Selenium Manager has nothing to fetch; offline makes sure it never tries.
    os.environ["SE_OFFLINE"] = "true"
    profile = tmp_path_factory.mktemp("chromium-profile")
    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1400,1100",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads  # type: ignore[attr-defined]
    try:
        yield driver
    finally:
        driver.quit()


def page_requests(driver: WebDriver) -> list[tuple[str, str]]:
    """Every (URL, requesting page) the browser asked for since the last call (DevTools performance log).

    The requesting page is the initiator's URL, or the document the request loads into: the browser's
    own pages (new tab page, components) are on browser-internal schemes no Chromium release keeps fixed.
    """
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] == "Network.requestWillBeSent":
            initiator = params.get("initiator", {}).get("url", "")
            requests.append((params["request"]["url"], initiator or params.get("documentURL", "")))
        elif message["method"] == "Network.webSocketCreated":
            requests.append((params["url"], params.get("initiator", {}).get("url", "")))
    return requests


def assert_only_local_requests(driver: WebDriver, server: LiveServer) -> list[str]:
    """Every request made by a page of the live server went to the live server; returns their paths.

    Only the server's own pages are judged: a request is theirs when its document is on the server's
    origin. Whatever the browser fetches for itself (its new-tab page, components) is not the project's.
    Within the server's pages, only in-page schemes (inline images, download blobs) may leave the origin.
    """
    origin = urlsplit(server.base_url)
    paths = []
    for url, document in page_requests(driver):
        if not _same_origin(document, origin) and not _same_origin(url, origin):
            continue
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob"):
            continue
        assert _same_origin(url, origin), f"a page of the server fetched {url}"
        paths.append(parts.path)
    return paths


def _same_origin(url: str, origin: SplitResult) -> bool:
    parts = urlsplit(url)
    return (parts.scheme, parts.hostname, parts.port) == (origin.scheme, origin.hostname, origin.port)


def console_errors(driver: WebDriver) -> list[dict[str, Any]]:
    """The console's errors since the last call: among them every Content-Security-Policy violation."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


class Listener:
    """A server on another 127.0.0.1 port that records every connection made to it, and answers none."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.received.append(conn.recv(4096) or b"(connected)")
                except OSError:
                    self.received.append(b"(connected)")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def term_text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return str(term)
    return term.value


def expected_table(dataset: Store, query: str) -> tuple[list[str], list[tuple[str, ...]]]:
    """The variables and rows of ``query`` evaluated on the test store (default graph = union of all)."""
    result = dataset.query(query)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return names, [tuple(term_text(s[n]) for n in names) for s in result]


# YASR writes a typed or tagged literal as "value"^^prefix:type or "value"@lang, a plain one as is.
_DECORATED = re.compile(r'^"(.*)"(?:\^\^\S+|@[A-Za-z0-9-]+)$', re.DOTALL)

_READ_TABLE = """
const headers = Array.from(document.querySelectorAll(".tabPanel.active .yasr table.dataTable thead th"),
  th => th.textContent.trim());
return Array.from(document.querySelectorAll(arguments[0]), tr => {
  const row = {};
  Array.from(tr.querySelectorAll("td")).forEach((td, i) => {
    const literal = td.querySelector(".nonIri");
    const link = td.querySelector("a.iri");
    row[headers[i]] = literal ? {literal: literal.textContent}
      : link ? {iri: link.dataset.iri || link.getAttribute("href"), href: link.href}
      : {empty: td.textContent};
  });
  return row;
});
"""


def rendered_table(driver: WebDriver, names: list[str]) -> tuple[list[tuple[str, ...]], list[dict[str, str]]]:
    """The results table as rows of values (in ``names`` order), and every IRI link in it."""
    rows, links = [], []
    for row in driver.execute_script(_READ_TABLE, TABLE_ROWS):
        values = []
        for name in names:
            cell: dict[str, Any] = row[name]
            if "iri" in cell:
                links.append(cell)
                values.append(cell["iri"])
            elif "literal" in cell:
                match = _DECORATED.match(cell["literal"])
                values.append(match.group(1) if match else cell["literal"])
            else:
                values.append(cell["empty"].strip())
        rows.append(tuple(values))
    return rows, links


def pick_example(client: httpx.Client, dataset: Store) -> dict[str, str]:
    """The phases example, or else the first whose results fit on one table page and link an instance."""
    examples = client.get("/examples.json").json()
    assert examples, "no queries/*.rq examples to run"
    ordered = sorted(examples, key=lambda e: e["id"] != PREFERRED_EXAMPLE)
    for example in ordered:
        _, rows = expected_table(dataset, example["query"])
        if 0 < len(rows) <= 50 and any(v.startswith(f"{BASE_IRI}id/") for row in rows for v in row):
            return dict(example)
    pytest.fail("no example has between 1 and 50 result rows with an instance IRI")


def run_example(browser: WebDriver, example: dict[str, Any], rows: int) -> None:
    """Click the example's link on the open page and wait until its table shows ``rows`` rows."""
    link = browser.find_element(By.CSS_SELECTOR, f'a.example[data-example="{example["id"]}"]')
    assert link.text == example["title"]
    link.click()
    WebDriverWait(browser, WAIT).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, TABLE_ROWS)) == rows)


def test_example_runs_and_renders_the_store_results(
    browser: WebDriver, live_server: LiveServer, client: httpx.Client, dataset: Store
) -> None:
    example = pick_example(client, dataset)
    names, expected = expected_table(dataset, example["query"])
    wait = WebDriverWait(browser, WAIT)

    browser.get(live_server.url("/query"))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".yasgui .CodeMirror")))
    completers = browser.execute_script("return window.ilrsYasgui.getTab().getYasqe().config.autocompleters")
    assert not {"class", "property", "prefixes"} & set(completers), "a completer that calls out is enabled"

    run_example(browser, example, len(expected))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f"{RESULTS} a.iri.local-iri"))
    assert browser.execute_script("return window.ilrsYasgui.getTab().getQuery()") == example["query"]

    rows, links = rendered_table(browser, names)
    assert sorted(rows) == sorted(expected)

    # IRIs of the graph link to this server's pages; other IRIs are left alone.
    local = [cell for cell in links if cell["iri"].startswith(f"{BASE_IRI}id/")]
    assert local
    for cell in local:
        assert cell["href"] == live_server.url("/" + cell["iri"][len(BASE_IRI) :])
    assert all(c["href"] == c["iri"] for c in links if not c["iri"].startswith(BASE_IRI))

    errors = console_errors(browser)
    assert not errors, errors  # among them any Content-Security-Policy violation

    # Clicking one opens the local linked-data page.
    target = local[0]
    first = browser.current_window_handle
    browser.find_element(By.CSS_SELECTOR, f'{RESULTS} a.local-iri[data-iri="{target["iri"]}"]').click()
    wait.until(lambda d: len(d.window_handles) == 2)
    browser.switch_to.window(next(h for h in browser.window_handles if h != first))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
    assert browser.current_url == target["href"]
    assert httpx.get(target["href"], headers={"Accept": "text/html"}).status_code == 200
    browser.close()
    browser.switch_to.window(first)

    paths = assert_only_local_requests(browser, live_server)
    assert "/sparql" in paths and "/static/vendor/yasgui/yasgui.min.js" in paths


def test_results_download_as_csv(
    browser: WebDriver, live_server: LiveServer, client: httpx.Client, dataset: Store
) -> None:
    example = pick_example(client, dataset)
    names, expected = expected_table(dataset, example["query"])
    browser.get(live_server.url("/query"))
    run_example(browser, example, len(expected))

    downloads: Path = browser.downloads  # type: ignore[attr-defined]
    browser.find_element(By.CSS_SELECTOR, 'button[data-ext="csv"]').click()
    deadline = time.monotonic() + WAIT
    while not (files := list(downloads.glob("*.csv"))) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert files, browser.find_element(By.CSS_SELECTOR, ".downloads .status").text
    with files[0].open(newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert table[0] == names
    assert sorted(tuple(r) for r in table[1:]) == sorted(expected)
    assert_only_local_requests(browser, live_server)
    assert not console_errors(browser)


def test_docs_load_without_a_cdn(browser: WebDriver, live_server: LiveServer) -> None:
    browser.get(live_server.url("/docs"))
    title = WebDriverWait(browser, WAIT).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".swagger-ui .info .title"))
    )
    assert "ILRS Knowledge Graph" in title.text
    paths = assert_only_local_requests(browser, live_server)
    assert "/openapi.json" in paths and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in paths
    assert not console_errors(browser)


# --- the UI queries this server only, and shows results as text ----------------------------------------

SHARED_QUERY = "SELECT ?s WHERE { ?s a <https://w3id.org/ilrs/ontology#SpaceAgency> } LIMIT 3"
_STORAGE = "return JSON.stringify(Object.fromEntries(Object.entries(localStorage)))"


def run_current_tab(browser: WebDriver, rows: int) -> None:
    """Click the editor's run button and wait until the table shows ``rows`` rows."""
    browser.find_element(By.CSS_SELECTOR, ".tabPanel.active .yasqe_queryButton").click()
    WebDriverWait(browser, WAIT).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, TABLE_ROWS)) == rows)


def test_a_link_cannot_choose_the_endpoint(browser: WebDriver, live_server: LiveServer, listener: Listener) -> None:
    """`/#query=…&endpoint=http://127.0.0.1:PORT/…` made the page send the query to that server on load,
    and its answer was kept in localStorage."""
    elsewhere = f"http://127.0.0.1:{listener.port}/sparql"
    link = f"/#query={quote(SHARED_QUERY)}&endpoint={quote(elsewhere, safe='')}&requestMethod=GET"
    browser.get(live_server.url("/health"))
    browser.execute_script("localStorage.clear()")  # a first visit: no tab, no result stored
    browser.get(live_server.url(link))
    wait = WebDriverWait(browser, WAIT)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".yasgui .CodeMirror")))
    tab = "return window.ilrsYasgui.getTab()"
    assert browser.execute_script(f"{tab}.getQuery()") == SHARED_QUERY  # the link's query, in the editor
    assert browser.execute_script(f"{tab}.getEndpoint()") == live_server.url("/sparql")
    assert not browser.find_elements(By.CSS_SELECTOR, TABLE_ROWS), "the link's query ran without a click"
    run_current_tab(browser, 3)
    time.sleep(0.5)
    assert listener.received == []
    assert str(listener.port) not in browser.execute_script(_STORAGE)
    assert "endpoint=" not in browser.current_url
    paths = assert_only_local_requests(browser, live_server)
    assert "/sparql" in paths
    assert not console_errors(browser)  # not even an attempt blocked by the Content-Security-Policy


def test_stored_tabs_of_an_older_version_are_discarded(
    browser: WebDriver, live_server: LiveServer, listener: Listener
) -> None:
    """Tabs saved by an earlier version of the page kept their endpoint, and the result tables they held."""
    browser.get(live_server.url("/query"))
    WebDriverWait(browser, WAIT).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".yasgui .CodeMirror")))
    ours, elsewhere = live_server.url("/sparql"), f"http://127.0.0.1:{listener.port}/sparql"
    # What an older version left behind: every stored endpoint pointing elsewhere, no storage version.
    browser.execute_script(
        """for (const key of Object.keys(localStorage)) {
             localStorage.setItem(key, localStorage.getItem(key).split(arguments[0]).join(arguments[1]));
           }
           localStorage.removeItem("ilrs-query-ui-storage");
           localStorage.setItem("yagui_old", JSON.stringify({val: {endpoint: arguments[1]}}));""",
        ours,
        elsewhere,
    )
    assert str(listener.port) in browser.execute_script(_STORAGE)
    browser.get(live_server.url("/query"))
    WebDriverWait(browser, WAIT).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".yasgui .CodeMirror")))
    stored = json.loads(browser.execute_script(_STORAGE))
    assert str(listener.port) not in json.dumps(stored) and "yagui_old" not in stored
    assert stored["ilrs-query-ui-storage"] == "2"
    browser.execute_script("window.ilrsYasgui.getTab().setQuery(arguments[0])", SHARED_QUERY)
    run_current_tab(browser, 3)
    assert listener.received == []
    assert_only_local_requests(browser, live_server)
    assert not console_errors(browser)


#: A result whose literal holds HTML and whose datatype IRI breaks out of an HTML attribute (a quote is
#: allowed in an IRI), and a javascript: IRI: YASR wrote the datatype into the table unescaped.
PHISH = "<form id='phish'><input type='password' name='pw'></form><style>body{display:none}</style>"
HOSTILE_DATATYPE = "https://example.org/dt'class='injected"
HOSTILE = (
    f'<https://example.org/evil> <https://example.org/p> "{PHISH}"^^<{HOSTILE_DATATYPE}> .\n'
    "<https://example.org/evil> <https://example.org/q> <javascript:alert('iri')> .\n"
)

#: Elements in the results table that only injected HTML would make.
_INJECTED = """return Array.from(document.querySelectorAll(".tabPanel.active .yasr table.dataTable tbody"))
  .flatMap(body =>
  Array.from(body.querySelectorAll("form, input, style, .injected, a[href^='javascript'], [onmouseover]"),
    e => e.outerHTML));"""


def test_result_values_are_shown_as_text(
    browser: WebDriver, server_factory: Callable[..., LiveServer], tmp_path: Path
) -> None:
    hostile = tmp_path / "hostile.ttl"
    hostile.write_text(HOSTILE, encoding="utf-8")
    server = server_factory("--load", str(hostile))
    query = "SELECT ?o WHERE { <https://example.org/evil> ?p ?o } ORDER BY ?o"
    for visit in ("query", "stored"):
        browser.get(server.url("/query"))
        WebDriverWait(browser, WAIT).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".yasgui .CodeMirror")))
        if visit == "query":
            browser.execute_script("window.ilrsYasgui.getTab().setQuery(arguments[0])", query)
            run_current_tab(browser, 2)
        else:  # a later plain visit shows the stored result again: as text too
            WebDriverWait(browser, WAIT).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, TABLE_ROWS)) == 2)
        assert browser.execute_script(_INJECTED) == [], visit
        cells = [
            td.text for td in browser.find_elements(By.CSS_SELECTOR, f"{TABLE_ROWS} td .nonIri, {TABLE_ROWS} td .iri")
        ]
        assert any("<form id='phish'><input type='password' name='pw'></form><style>" in text for text in cells), cells
        datatype = browser.find_element(By.CSS_SELECTOR, f"{TABLE_ROWS} sup a.iri")
        assert datatype.get_attribute("href") == "https://example.org/dt'class='injected"
        assert "javascript:alert('iri')" in " ".join(cells)  # shown, but not as a link
        assert not console_errors(browser)


# --- the pages for people, at a laptop's and a phone's size ----------------------------------------

#: Where the screenshots of the pages are kept (git-ignored): a reviewer looks at them after a run.
SCREENSHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"
SIZES = {"laptop": (1366, 768), "phone": (390, 844)}
PEOPLE_PAGES = [
    *("/", "/disagreements", "/id/phase/ilrs-1", "/id/country/PK", "/query", "/id/mission/"),
    *("/search?q=change%207", "/id/country/PAK", "/.well-known/void", "/graph/source/003", "/timeline"),
    *("/map", "/map?asOf=2023-06-01", "/ontology/", "/ontology/#countValue"),
    *("/sparql", "/shapes", "/docs", "/id/agency/cnsa?lang=zh", "/id/announcement/002-formal", "/graph/curated"),
    *("/instances?class=https%3A%2F%2Fw3id.org%2Filrs%2Fontology%23Mission",),
]


def viewport(driver: WebDriver, width: int, height: int) -> None:
    """Emulate a screen of ``width`` by ``height`` CSS pixels (the window's chrome is not counted)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


#: Where the site's footer lies, against the content above it and the page's width.
_FOOTER = """const f = document.querySelector("body > footer.site"), m = document.querySelector("body > main");
if (!f || !m) return null;
const r = f.getBoundingClientRect();
return {top: r.top + scrollY, left: r.left, width: Math.round(r.width), page: document.documentElement.clientWidth,
        mainBottom: m.getBoundingClientRect().bottom + scrollY, textFits: f.scrollWidth <= f.clientWidth};"""


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("path", PEOPLE_PAGES)
def test_page_fits_the_screen_without_errors(browser: WebDriver, live_server: LiveServer, path: str, size: str) -> None:
    width, height = SIZES[size]
    viewport(browser, width, height)
    try:
        console_errors(browser)  # forget earlier pages' messages
        browser.get(live_server.url(path))
        WebDriverWait(browser, WAIT).until(lambda d: d.execute_script("return document.readyState") == "complete")
        if path == "/query":
            WebDriverWait(browser, WAIT).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".yasgui .CodeMirror")))
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = path.strip("/").replace("/", "_") or "front"
        browser.save_screenshot(str(SCREENSHOTS / f"{name}-{size}.png"))
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at {width}x{height}"
        # The footer closes every page: after the content, the page's full width, its text within it.
        footer = browser.execute_script(_FOOTER)
        assert footer is not None, f"{path} has no footer"
        assert footer["top"] >= footer["mainBottom"] - 1 and footer["left"] == 0, (path, footer)
        assert footer["width"] == footer["page"] and footer["textFits"], (path, footer)
        # A 404 page's own status is reported as a network error; nothing else may be.
        errors = [e for e in console_errors(browser) if not e["message"].startswith(f"{live_server.url(path)} - ")]
        assert not errors, errors  # among them any Content-Security-Policy violation
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.parametrize("typed", ["change 7", "嫦娥七号"])
def test_search_box_suggests_as_one_types(browser: WebDriver, live_server: LiveServer, typed: str) -> None:
    """Typing in the header's search box lists Chang'e-7; its suggestion opens the mission's page."""
    browser.get(live_server.url("/id/country/PK"))
    box = browser.find_element(By.CSS_SELECTOR, "header form.search input[name=q]")
    box.send_keys(typed)
    wait = WebDriverWait(browser, WAIT)
    first = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "header ul.suggestions li a")))
    assert first.text == "Chang'e-7"
    first.click()
    wait.until(lambda d: d.current_url == live_server.url("/id/mission/change-7"))
    assert not console_errors(browser)


def test_results_show_labels_beside_iris_and_plain_values(browser: WebDriver, live_server: LiveServer) -> None:
    query = (
        "SELECT ?who ?year WHERE { BIND(<https://w3id.org/ilrs/id/person/wu-weiren> AS ?who)"
        ' BIND("2028"^^<http://www.w3.org/2001/XMLSchema#gYear> AS ?year) }'
    )
    browser.get(live_server.url("/query"))
    WebDriverWait(browser, WAIT).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".yasgui .CodeMirror")))
    browser.execute_script("window.ilrsYasgui.getTab().setQuery(arguments[0])", query)
    run_current_tab(browser, 1)
    label = WebDriverWait(browser, WAIT).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, f"{TABLE_ROWS} .iri-label"))
    )
    assert label.text == "Wu Weiren"
    year = browser.find_element(By.CSS_SELECTOR, f"{TABLE_ROWS} td .nonIri")
    assert year.text == "2028"  # not "2028"^^xsd:gYear
    assert not console_errors(browser)


def test_a_syntax_error_is_one_line_and_marks_its_line(browser: WebDriver, live_server: LiveServer) -> None:
    browser.get(live_server.url("/query"))
    wait = WebDriverWait(browser, WAIT)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".yasgui .CodeMirror")))
    browser.execute_script(
        "window.ilrsYasgui.getTab().setQuery(arguments[0])", "SELECT * WHERE {\n ?s ?p ?o\n FILTER(\n}"
    )
    browser.find_element(By.CSS_SELECTOR, ".tabPanel.active .yasqe_queryButton").click()
    error = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, f"{RESULTS} .errorResult")))
    assert "error at 4:" in error.text and "Traceback" not in error.text
    assert "\n" not in error.text.strip() and len(error.text) <= 200, error.text  # one short line
    assert not [a for a in browser.find_elements(By.CSS_SELECTOR, f"{RESULTS} .errorResult a") if a.is_displayed()]
    marked = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".CodeMirror .ilrs-syntax-error")))
    assert marked.find_element(By.CSS_SELECTOR, ".CodeMirror-line").text.strip() == "}"  # line 4, as the message says
    browser.execute_script("window.ilrsYasgui.getTab().getYasqe().replaceRange(' ', {line: 0, ch: 0})")
    assert not browser.find_elements(By.CSS_SELECTOR, ".CodeMirror .ilrs-syntax-error")  # edited: unmarked
    errors = [e for e in console_errors(browser) if "/sparql" not in e["message"]]  # the 400 itself is logged
    assert not errors, errors


@pytest.mark.parametrize(("size", "within"), [("laptop", 768), ("phone", 2900)])
def test_the_editor_is_near_the_top(browser: WebDriver, live_server: LiveServer, size: str, within: int) -> None:
    """On a laptop the editor is on the first screen; on a phone the examples do not push it far down."""
    viewport(browser, *SIZES[size])
    try:
        browser.get(live_server.url("/query"))
        editor = WebDriverWait(browser, WAIT).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, ".yasgui .CodeMirror"))
        )
        top, bottom = browser.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.top + scrollY, r.bottom + scrollY]", editor
        )
        assert (bottom if size == "laptop" else top) <= within, (top, bottom)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def fresh_editor(browser: WebDriver, server: LiveServer) -> None:
    """Open the query UI as a first-time visitor: nothing stored from earlier visits."""
    browser.get(server.url("/health"))
    browser.execute_script("localStorage.clear()")
    browser.get(server.url("/query"))
    WebDriverWait(browser, WAIT).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".yasgui .CodeMirror")))


#: Where the editor's line starting with SELECT is: [top, bottom, the window's height, its scroll], or null.
_SELECT_LINE = """const line = Array.from(document.querySelectorAll(".tabPanel.active .CodeMirror-line"))
  .find(l => l.textContent.startsWith("SELECT "));
if (!line) return null;
const r = line.getBoundingClientRect();
return [r.top, r.bottom, innerHeight, scrollY];"""


@pytest.mark.parametrize("size", list(SIZES))
def test_the_default_query_is_seen_and_answered_on_load(
    browser: WebDriver, live_server: LiveServer, dataset: Store, size: str
) -> None:
    """A first visit shows the default query itself (its prefixes folded) on the first screen, already answered."""
    viewport(browser, *SIZES[size])
    try:
        fresh_editor(browser, live_server)
        expected = expected_table(dataset, DEFAULT_QUERY)[1]
        WebDriverWait(browser, WAIT).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, TABLE_ROWS)) == len(expected))
        # Found and measured in one script: the editor may draw its lines again meanwhile (a stale element).
        top, bottom, height, scrolled = WebDriverWait(browser, WAIT).until(lambda d: d.execute_script(_SELECT_LINE))
        assert scrolled == 0 and top >= 0 and bottom <= height, (top, bottom, height, scrolled)
        assert not console_errors(browser)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


#: Every rectangle of query text that lies under one of the editor's buttons (run, share), at this scroll.
_COVERED = """const panel = document.querySelector(".tabPanel.active");
const buttons = Array.from(panel.querySelectorAll(".yasqe_buttons > *"), b => b.getBoundingClientRect())
  .filter(r => r.width && r.height);
const covered = [];
const walker = document.createTreeWalker(panel.querySelector(".CodeMirror-code"), NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  if (!node.textContent.trim()) continue;
  const range = document.createRange();
  range.selectNodeContents(node);
  for (const t of range.getClientRects())
    for (const b of buttons)
      if (t.left < b.right && b.left < t.right && t.top < b.bottom && b.top < t.bottom) covered.push(node.textContent);
}
return [buttons.length, covered];"""


@pytest.mark.parametrize("size", list(SIZES))
def test_the_editors_buttons_never_cover_the_query(browser: WebDriver, live_server: LiveServer, size: str) -> None:
    viewport(browser, *SIZES[size])
    try:
        fresh_editor(browser, live_server)
        long_line = "# " + " ".join(["a comment as long as a line of a real query can be"] * 4)
        query = long_line + "\n" + DEFAULT_QUERY.replace("\n# ", "\n" + long_line + "\n# ")
        browser.execute_script("window.ilrsYasgui.getTab().setQuery(arguments[0])", query)
        scroller = browser.find_element(By.CSS_SELECTOR, ".tabPanel.active .CodeMirror-scroll")
        for position in (0, 150, 400, 10**6):  # the top, scrolled a little, further, to the end
            browser.execute_script("arguments[0].scrollTop = arguments[1]", scroller, position)
            time.sleep(0.2)  # CodeMirror draws the lines scrolled into view on the next frame
            buttons, covered = browser.execute_script(_COVERED)
            assert buttons == 2 and covered == [], (position, covered)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def table_columns(browser: WebDriver) -> list[str]:
    """The result table's column headers, read in one call: the table is drawn anew for each result."""
    script = f"return [...document.querySelectorAll('{RESULTS} table.dataTable thead th')].map(th => th.innerText)"
    return [text.strip() for text in browser.execute_script(script) if text.strip()]


def test_select_star_columns_in_query_order(browser: WebDriver, live_server: LiveServer) -> None:
    """`SELECT *` shows its columns in the order the query mentions them; a projection keeps its own order."""
    fresh_editor(browser, live_server)
    tab = "window.ilrsYasgui.getTab()"
    star = 'SELECT * WHERE { BIND("z" AS ?zed) BIND("a" AS ?alpha) OPTIONAL { ?mid ?p "nothing at all" } }'
    projected = "SELECT ?b ?a WHERE { BIND(1 AS ?a) BIND(2 AS ?b) }"
    for query, columns in ((star, ["zed", "alpha", "mid", "p"]), (projected, ["b", "a"])):
        browser.execute_script(f"{tab}.setQuery(arguments[0])", query)
        run_current_tab(browser, 1)  # the previous result has one row too: its table may still be shown
        try:
            WebDriverWait(browser, WAIT).until(lambda d, want=columns: table_columns(d) == want)
        except TimeoutException:
            pytest.fail(f"{query}: the table shows the columns {table_columns(browser)}, not {columns}")
    assert not console_errors(browser)


@pytest.mark.parametrize("size", list(SIZES))
def test_ontology_docs_have_the_site_layout_and_a_zoomable_diagram(
    browser: WebDriver, live_server: LiveServer, size: str
) -> None:
    """The docs page has the site's header and one heading; the class diagram opens whole and zooms to full size."""
    viewport(browser, *SIZES[size])
    try:
        browser.get(live_server.url("/ontology/"))
        wait = WebDriverWait(browser, WAIT)
        nav = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "header.site nav a")]
        assert {"Home", "Disagreements", "Query", "Ontology"} <= set(nav)
        assert browser.find_elements(By.CSS_SELECTOR, "header.site form.search input[name=q]")
        assert [h.text for h in browser.find_elements(By.TAG_NAME, "h1")] == ["ILRS Knowledge Graph ontology"]
        figure = browser.find_element(By.ID, "class-diagram")
        img = figure.find_element(By.TAG_NAME, "img")
        wait.until(lambda d: d.execute_script("return arguments[0].naturalWidth", img) > 0)
        measure = """const i = arguments[0], v = i.parentElement;
            return [i.naturalWidth, i.getBoundingClientRect().width, v.clientWidth, v.scrollWidth,
                    document.documentElement.scrollWidth - document.documentElement.clientWidth];"""
        natural, shown, frame, _, overflow = browser.execute_script(measure, img)
        assert shown <= frame + 1 and overflow <= 0  # opens whole, within the page
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", img)
        img.click()  # full size around the point clicked: every word at the size Graphviz wrote it
        natural, shown, frame, scrolled, overflow = browser.execute_script(measure, img)
        assert round(shown) == natural and scrolled > frame and overflow <= 0, (natural, shown, frame, scrolled)
        figure.find_element(By.CSS_SELECTOR, "button[aria-label='Zoom in']").click()
        assert browser.execute_script(measure, img)[1] > shown
        figure.find_element(By.CSS_SELECTOR, "button[aria-label='Fit the frame\\'s width']").click()
        assert browser.execute_script(measure, img)[1] <= frame + 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / f"ontology-diagram-{size}.png"))
        assert not console_errors(browser)  # among them any Content-Security-Policy violation
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# --- a visitor's paths, at both sizes, each kept as a screenshot ---------------------------------


def _search_from_the_front_page(browser: WebDriver, wait: WebDriverWait[WebDriver], words: str) -> None:
    box = browser.find_element(By.ID, "front-search")
    box.send_keys(words)
    box.submit()
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "ol.hits li a"))).click()


def _browse_from_the_front_page(browser: WebDriver, wait: WebDriverWait[WebDriver], kind: str, name: str) -> None:
    browser.find_element(By.CSS_SELECTOR, f'ul.kinds a[href$="/id/{kind}/"]').click()
    wait.until(ec.element_to_be_clickable((By.LINK_TEXT, name))).click()


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("route", ["search", "browse"])
def test_visitor_reaches_wu_weirens_roles(browser: WebDriver, live_server: LiveServer, route: str, size: str) -> None:
    """From the front page to Wu Weiren's roles in two clicks: by the search box, or by browsing people."""
    viewport(browser, *SIZES[size])
    try:
        browser.get(live_server.url("/"))
        wait = WebDriverWait(browser, WAIT)
        if route == "search":
            _search_from_the_front_page(browser, wait, "wu weiren")
        else:
            _browse_from_the_front_page(browser, wait, "person", "Wu Weiren")
        wait.until(lambda d: d.current_url == live_server.url("/id/person/wu-weiren"))
        text = browser.find_element(By.TAG_NAME, "main").text
        assert "Wu Weiren" in browser.find_element(By.TAG_NAME, "h1").text
        assert "Head of China's Lunar Exploration Program" in text
        assert "head of the Deep Space Exploration Laboratory" in text
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / f"visitor-wu-weiren-by-{route}-{size}.png"))
        assert not console_errors(browser)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("route", ["disagreements", "search", "browse"])
def test_visitor_reaches_phase_one_years(browser: WebDriver, live_server: LiveServer, route: str, size: str) -> None:
    """From the front page to phase 1's two target years, each with its source, in two or three clicks."""
    viewport(browser, *SIZES[size])
    try:
        browser.get(live_server.url("/"))
        wait = WebDriverWait(browser, WAIT)
        if route == "disagreements":
            browser.find_element(By.LINK_TEXT, "where the sources disagree").click()
            section = wait.until(ec.presence_of_element_located((By.ID, "d-ilrs-1-targetYear")))
            rows = [r.text for r in section.find_elements(By.CSS_SELECTOR, "tbody tr")]
            assert len(rows) == 2 and any("2028" in r and "ILRS: Next Frontier" in r for r in rows), rows
            assert any("2035" in r for r in rows), rows
            section.find_element(By.CSS_SELECTOR, "h2 a").click()
        elif route == "search":
            _search_from_the_front_page(browser, wait, "phase 1")
        else:
            _browse_from_the_front_page(browser, wait, "phase", "ILRS phase 1")
        wait.until(lambda d: d.current_url == live_server.url("/id/phase/ilrs-1"))
        marked = [a.find_element(By.XPATH, "./..").text for a in browser.find_elements(By.CSS_SELECTOR, "a.dispute")]
        assert len(marked) == 2 and {"2028", "2035"} <= set(" ".join(marked).split()), marked
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / f"visitor-phase-1-by-{route}-{size}.png"))
        assert not console_errors(browser)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


#: The property names of a resource page's statements that the page breaks over more than one line.
_BROKEN_NAMES = """return Array.from(document.querySelectorAll("table.grouped th[scope=row]"), th => {
  const range = document.createRange();
  range.selectNodeContents(th);
  const lines = new Set(Array.from(range.getClientRects(), r => Math.round(r.top)));
  return lines.size > 1 ? th.textContent.trim() : null;
}).filter(Boolean);"""


@pytest.mark.parametrize("size", list(SIZES))
def test_property_names_are_read_whole(browser: WebDriver, live_server: LiveServer, size: str) -> None:
    """A resource page's property names are never broken into pieces; on a phone they stand above the values."""
    viewport(browser, *SIZES[size])
    try:
        for path in ("/id/phase/ilrs-1", "/id/source/003", "/id/person/wu-weiren"):
            browser.get(live_server.url(path))
            assert browser.find_elements(By.CSS_SELECTOR, "table.grouped th[scope=row]"), path
            assert browser.execute_script(_BROKEN_NAMES) == [], path
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


#: The elements (matching arguments[0]) whose text the page breaks over more than one line.
_BROKEN_CELLS = """return Array.from(document.querySelectorAll(arguments[0]), e => {
  const range = document.createRange();
  range.selectNodeContents(e);
  const lines = new Set(Array.from(range.getClientRects(), r => Math.round(r.top)));
  return lines.size > 1 ? e.textContent.trim() : null;
}).filter(Boolean);"""

#: The timeline axis's year labels: their drawn width, and whether each lies wholly within the axis.
_TICKS = """const axis = document.querySelector("table.timeline th.axis svg").getBoundingClientRect();
return Array.from(document.querySelectorAll("table.timeline th.axis text"), t => {
  const r = t.getBoundingClientRect();
  return [r.width, r.left >= axis.left - 1 && r.right <= axis.right + 1];
});"""

#: Every country the map colours as a partner: its IRI and the colour the browser paints it.
_PAINTED = """return Array.from(document.querySelectorAll("figure.map path[data-country]"), p =>
  [p.dataset.country, p.dataset.status, getComputedStyle(p).fill, p.getBoundingClientRect().width]);"""


@pytest.mark.parametrize("size", list(SIZES))
def test_map_paints_the_partners_and_opens_their_pages(
    browser: WebDriver, live_server: LiveServer, dataset: Store, size: str
) -> None:
    """Every partner the sources name is painted in its status's colour; a click opens the country's page."""
    viewport(browser, *SIZES[size])
    try:
        browser.get(live_server.url("/map"))
        painted = {c: (status, fill, w) for c, status, fill, w in browser.execute_script(_PAINTED)}
        colours = {status: fill for status, fill, _ in painted.values()}
        expected = {c: p.status for c, p in partner_statuses(dataset).items() if c in painted}
        assert len(expected) >= 10
        for country, status in expected.items():
            assert painted[country][0] == status and painted[country][2] > 0, country
        assert len({colours[s] for s in set(expected.values())}) == len(set(expected.values()))  # one colour each
        others = {fill for c, (status, fill, _) in painted.items() if c not in expected}
        assert others == {colours["none"]}  # every other country in the colour of "none stated"
        assert all(colours["none"] != colours[s] for s in set(expected.values()))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / f"map-{size}.png"))
        browser.find_element(By.CSS_SELECTOR, f'figure.map path[data-country="{BASE_IRI}id/country/PK"]').click()
        WebDriverWait(browser, WAIT).until(lambda d: d.current_url == live_server.url("/id/country/PK"))
        assert "Pakistan" in browser.find_element(By.TAG_NAME, "h1").text
        assert not console_errors(browser)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_a_page_embeds_schema_org_markup_a_crawler_reads(browser: WebDriver, live_server: LiveServer) -> None:
    """What a crawler that runs pages reads: the map's one schema.org script, taken from the rendered DOM, is
    well-formed JSON listing the partners of the page's table as the browser shows it, status for status."""
    browser.get(live_server.url("/map"))
    scripts = browser.find_elements(By.CSS_SELECTOR, 'script[type="application/ld+json"]')
    assert len(scripts) == 1
    document = json.loads(scripts[0].get_attribute("textContent") or "")
    assert document["@context"] == "https://schema.org" and document["@type"] == "CollectionPage"
    items = [
        (e["item"]["additionalProperty"]["value"], e["item"]["url"]) for e in document["mainEntity"]["itemListElement"]
    ]
    rows = browser.find_elements(By.CSS_SELECTOR, "table.partners tbody tr")
    shown = [
        (r.get_attribute("data-status"), r.find_element(By.CSS_SELECTOR, "td a").get_attribute("href")) for r in rows
    ]
    assert len(shown) >= 10 and items == shown
    assert not console_errors(browser)


@pytest.mark.parametrize("size", list(SIZES))
def test_timeline_shows_the_2021_founding_events(browser: WebDriver, live_server: LiveServer, size: str) -> None:
    """The 2021 founding events, each on the axis; the year-long claim drawn wider than a dated day."""
    viewport(browser, *SIZES[size])
    try:
        browser.get(live_server.url("/timeline"))
        rows = browser.find_elements(By.CSS_SELECTOR, "table.timeline tbody tr")
        found = {}
        for row in rows:
            when = row.find_element(By.TAG_NAME, "time").get_attribute("datetime") or ""
            if when.startswith("2021"):
                bar = row.find_element(By.CSS_SELECTOR, "td.axis rect").get_attribute("width")
                found[when] = (row.text, float(bar or 0))
        assert {"2021", "2021-03-09", "2021-04", "2021-06-16"} <= set(found), sorted(found)
        assert "Joint Statement Between CNSA and ROSCOSMOS" in found["2021-04"][0]
        assert any("Guideline for Partnership" in text for text, _ in found.values())
        assert found["2021"][1] > 5 * found["2021-03-09"][1]  # a year is a year, not 1 January
        # Dates and citation marks read whole; the axis's years are drawn at their size, not stretched.
        assert (
            browser.execute_script(
                _BROKEN_CELLS, "table.timeline tbody td:first-child > time, table.timeline tbody td:nth-child(3) > a"
            )
            == []
        )
        years = browser.execute_script(_TICKS)
        assert len(years) >= 5 and all(15 < w < 45 and inside for w, inside in years), years
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / f"timeline-{size}.png"))
        assert not console_errors(browser)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


#: Words (letters, digits, apostrophes; at most 20) that a page breaks in two. A line may end after a
#: hyphen or a slash, and IRIs and codes longer than any word may wrap anywhere.
_BROKEN_WORDS = """const out = [];
const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  if (!node.parentElement.getClientRects().length || node.parentElement.closest("svg, pre, .CodeMirror")) continue;
  if (node.textContent.includes("://")) continue;  // an IRI: it may wrap anywhere
  const word = /(?<![\\p{L}\\p{N}'\\u2019])[\\p{L}\\p{N}'\\u2019]{2,20}(?![\\p{L}\\p{N}'\\u2019])/gu;
  for (const m of node.textContent.matchAll(word)) {
    const range = document.createRange();
    range.setStart(node, m.index);
    range.setEnd(node, m.index + m[0].length);
    const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 1).map(r => Math.round(r.top)));
    if (tops.size > 1) out.push(m[0]);
  }
}
return out;"""


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("path", ["/", "/disagreements", "/map", "/timeline", "/id/phase/ilrs-1", "/id/country/PK"])
def test_no_word_is_broken_in_two(browser: WebDriver, live_server: LiveServer, path: str, size: str) -> None:
    """Tables give a column the width of its longest word: `signed` never reads `sign` / `ed`."""
    viewport(browser, *SIZES[size])
    try:
        browser.get(live_server.url(path))
        assert browser.execute_script(_BROKEN_WORDS) == [], path
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
