"""Shared fixtures: the dataset store, a real uvicorn server on 127.0.0.1, and ``../shared``.

Only fixtures live here; test modules import helpers from plain modules (``servers``, ``checkout``, …).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from checkout import SHARED
from external_stores import EXTERNAL_STORES, external_store
from rdflib import Graph
from servers import LiveServer, dataset_with, generated_data, start_server, stop_server

from ilrs.graph.loader import build_store
from ilrs.graph.settings import get_settings
from ilrs.graph.store import Store
from ilrs.graph.validate import load_shapes

#: The Node.js tools of the tests (jsonld.js), installed from tests/js/package-lock.json.
JS_DIR = Path(__file__).parent / "js"
#: The cache folder this session made (and removes at its end).
_CACHE_MADE = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    # What loading keeps between runs (graph/parsed_before.py) goes to a folder of the session's own, not the
    # user's cache: every server and command the tests start inherits it.
    if "ILRS_CACHE_DIR" not in os.environ:
        os.environ["ILRS_CACHE_DIR"] = tempfile.mkdtemp(prefix="ilrs-test-cache-")
        config.stash[_CACHE_MADE] = os.environ["ILRS_CACHE_DIR"]


def pytest_unconfigure(config: pytest.Config) -> None:
    made = config.stash.get(_CACHE_MADE, None)
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)
        os.environ.pop("ILRS_CACHE_DIR", None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--store-backend",
        choices=["embedded", *EXTERNAL_STORES],
        default="embedded",
        help="the store the shared live server runs on: the embedded one, or an external SPARQL store "
        "started for the session (tests/external_stores.py)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an external store backend, run the tests that read the store through the shared live server (the
    ``live_server`` fixture, or ``client`` bound to it): the others start servers of their own, on the
    embedded store, and the main run has them already (tests/test_external_stores.py starts both stores itself)."""
    if config.getoption("--store-backend") == "embedded":
        return
    kept = [
        item
        for item in items
        if "live_server" in getattr(item, "fixturenames", ()) and item.path.name != "test_external_stores.py"
    ]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


@pytest.fixture(scope="session")
def store_backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The ``ILRS_*`` environment of the session's store backend (``--store-backend``); empty for the embedded one."""
    name = request.config.getoption("--store-backend")
    if name == "embedded":
        yield {}
        return
    with external_store(name, tmp_path_factory.mktemp(name), serving=True) as store:
        yield store.env


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, store_backend: dict[str, str]) -> Iterator[LiveServer]:
    """The server on the default dataset, in the session's store backend, shared by the whole session
    (read-only tests only)."""
    server = start_server(tmp_path_factory.mktemp("live"), env=store_backend)
    yield server
    stop_server(server)


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start servers with other settings; each is stopped when the test ends."""
    started: list[LiveServer] = []

    def factory(*args: str, env: dict[str, str] | None = None) -> LiveServer:
        server = start_server(tmp_path, *args, env=env)
        started.append(server)
        return server

    yield factory
    for server in started:
        stop_server(server)


@pytest.fixture(scope="session")
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    """An httpx client bound to the shared live server."""
    with httpx.Client(base_url=live_server.base_url, timeout=30) as c:
        yield c


@pytest.fixture(scope="session")
def dataset() -> Store:
    """The whole dataset in an in-memory store, built once per session. Do not modify it."""
    return build_store(get_settings())


@pytest.fixture(scope="session")
def hubs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated ILRS-shaped data with hubs of many statements (:func:`servers.generated_data`), made once per
    session for the tests of bounded pages, which start servers on it with their own bounds."""
    return generated_data(tmp_path_factory.mktemp("hubs"))


@pytest.fixture(scope="session")
def hubs_store(hubs: Path) -> Store:
    """The dataset with :func:`hubs` in an in-memory store, built as the server builds it. Do not modify it."""
    return dataset_with(hubs)


@pytest.fixture(scope="session")
def ontology() -> Graph:
    """The ontology file as an rdflib graph. Do not modify it."""
    return Graph().parse(get_settings().ontology_dir / "ilrs.ttl", format="turtle")


@pytest.fixture(scope="session")
def shapes() -> Graph:
    """Every shapes file as one rdflib graph, read as ``ilrs validate`` reads them. Do not modify it."""
    return load_shapes(get_settings().shapes_dir)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout; tests that need it skip where it is absent (a user's clone)."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: the W3C manifests and source articles are not part of a clone")
    return SHARED


@pytest.fixture(scope="session")
def jsonld_js() -> Path:
    """tests/js with jsonld.js installed (``npm ci`` once); skips where node or npm is absent (fails under CI,
    whose ``.ci/run`` installs them)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        reason = "node and npm are needed for the jsonld.js round trip; install Node.js to run it"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the tests that need it")
        pytest.skip(reason)
    # Locked: the sessions of `make test-stores` run side by side on one checkout, and `npm ci` empties
    # node_modules first, so one session's install would pull the modules from under the other's tests.
    with (JS_DIR / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (JS_DIR / "node_modules" / "jsonld" / "package.json").is_file():
            command = "ci" if (JS_DIR / "package-lock.json").is_file() else "install"
            done = subprocess.run(
                [npm, command, "--no-audit", "--no-fund"], cwd=JS_DIR, capture_output=True, text=True, timeout=600
            )
            assert done.returncode == 0, f"npm {command} failed:\n{done.stderr}"
    return JS_DIR
