"""The project as a user installs it: a wheel, in a fresh virtual environment, used outside the checkout.

Slow by nature (marked ``slow``; 25 s on an idle 2-core machine, a minute on a busy one): it builds the wheel with
pip, installs it with its dependencies into a new virtual environment (the versions this
environment has, from pip's cache), and runs ``ilrs`` and a server from that environment in
an unrelated working directory. It runs in the normal suite: a wheel that lacks a file
only fails there.
"""

from __future__ import annotations

import csv
import importlib.metadata
import io
import json
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pyoxigraph as ox
import pytest
from checkout import PROJECT_ROOT
from ldtools import ID, outgoing
from minirepo import copy_mini
from servers import LiveServer, start_server, stop_server

from ilrs.graph.docs import page_parts
from ilrs.graph.loader import build_store
from ilrs.graph.store import Store

pytestmark = pytest.mark.slow

#: Folders of the checkout whose every file the installed package needs, and where the wheel puts them.
SHIPPED_FOLDERS = {
    "graph/data": "ilrs/graph/data",
    "server/static": "ilrs/server/static",
    "server/templates": "ilrs/server/templates",
    "docs/ontology": "ilrs/docs/ontology",
}
#: Files picked by pattern: the modules, and the ontology, shapes and example queries.
SHIPPED_PATTERNS = {
    "graph/*.py": "ilrs/graph",
    "graph/*.jsonld": "ilrs/graph",
    "server/**/*.py": "ilrs/server",
    "ontology/**/*.ttl": "ilrs/ontology",
    "shapes/**/*.ttl": "ilrs/shapes",
    "queries/*.rq": "ilrs/queries",
}

#: What a checkout holds besides its sources: environments, caches, build output.
NOT_SOURCE = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "node_modules", "var")

COUNT_PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


@dataclass(frozen=True)
class Installed:
    """A virtual environment outside the checkout with the wheel installed, and a working directory."""

    wheel: Path
    bin: Path
    cwd: Path
    env: dict[str, str]

    def ilrs(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run the installed ``ilrs`` in the unrelated working directory, with ``env`` added to the environment."""
        return subprocess.run(
            [str(self.bin / "ilrs"), *args],
            cwd=self.cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the wheel, install it into a new virtual environment, and pick an unrelated working directory."""
    # Nothing of this environment may point the installed package at the checkout.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ILRS_") and k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    # Built from a copy: setuptools builds in the source tree, and a build/ left there could add stale files.
    source = tmp_path_factory.mktemp("source") / "ilrs-kg"
    shutil.copytree(PROJECT_ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    dist = tmp_path_factory.mktemp("dist")
    pip = [sys.executable, "-m", "pip"]
    _run([*pip, "wheel", "--no-deps", "--quiet", "--wheel-dir", str(dist), str(source)], env)
    (wheel,) = dist.glob("ilrs_kg-*.whl")

    target = tmp_path_factory.mktemp("venv")
    assert not target.is_relative_to(PROJECT_ROOT)
    venv.create(target, with_pip=False)
    # The dependencies at the versions this environment runs (pip's cache has them): quick, and the same code.
    pins = tmp_path_factory.mktemp("pins") / "constraints.txt"
    pins.write_text(
        "".join(
            f"{d.metadata['Name']}=={d.version}\n"
            for d in importlib.metadata.distributions()
            if d.metadata["Name"] and d.metadata["Name"].lower() != "ilrs-kg"
        ),
        encoding="utf-8",
    )
    python = target / "bin" / "python"
    _run([*pip, "--python", str(python), "install", "--quiet", "--constraint", str(pins), str(wheel)], env)
    return Installed(wheel, target / "bin", tmp_path_factory.mktemp("elsewhere"), env)


@pytest.fixture(scope="module")
def served(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``ilrs serve`` of the installed package, run in the unrelated working directory."""
    server = start_server(
        tmp_path_factory.mktemp("wheel-server"), ilrs=[str(installed.bin / "ilrs")], cwd=installed.cwd, env={}
    )
    yield server
    stop_server(server)


def _expected_wheel_files() -> set[str]:
    expected = set()
    for folder, target in SHIPPED_FOLDERS.items():
        expected |= {
            f"{target}/{p.relative_to(PROJECT_ROOT / folder).as_posix()}"
            for p in (PROJECT_ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
    for pattern, target in SHIPPED_PATTERNS.items():
        top = PROJECT_ROOT / pattern.split("/")[0]
        expected |= {
            f"{target}/{p.relative_to(top).as_posix()}"
            for p in PROJECT_ROOT.glob(pattern)
            if p.is_file() and "__pycache__" not in p.parts
        }
    return expected


def test_the_wheel_holds_every_file_the_package_reads(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    expected = _expected_wheel_files()
    assert expected - names == set()
    # The files the server cannot start or serve its UI without, named once more in plain words.
    for name in [
        "ilrs/server/routes/sparql.py",
        "ilrs/server/sparql/worker.py",
        "ilrs/server/templates/ui.html",
        "ilrs/server/static/vendor/yasgui/yasgui.min.js",
        "ilrs/graph/context.jsonld",
        "ilrs/graph/data/reference/countries.ttl",
        "ilrs/ontology/ilrs.ttl",
        "ilrs/ontology/imports/external.ttl",
        "ilrs/shapes/ilrs-shapes.ttl",
        "ilrs/docs/ontology/index.html",
    ]:
        assert name in names
    # Nothing of the checkout that is not the package: tests, benchmarks, the UI's npm project.
    assert not [n for n in names if n.startswith(("tests/", "bench/", "ui/", "ilrs/tests"))]


def test_validate_and_query_run_from_the_installed_package(installed: Installed, dataset: Store) -> None:
    validated = installed.ilrs("validate")
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.startswith("conforms")
    assert "site-packages/ilrs/graph/data" in validated.stderr  # the installed copy was loaded, not the checkout
    assert str(PROJECT_ROOT) not in validated.stderr

    queried = installed.ilrs("query", "--quiet", "--format", "csv", COUNT_PER_GRAPH)
    assert queried.returncode == 0, queried.stderr
    rows = [(r["g"], int(r["n"])) for r in csv.DictReader(io.StringIO(queried.stdout))]
    expected = [(s["g"].value, int(s["n"].value)) for s in dataset.query(COUNT_PER_GRAPH)]  # type: ignore[index,union-attr]
    assert rows == expected and len(rows) > 5


def test_the_installed_package_reads_the_users_own_folders(
    installed: Installed, dataset: Store, tmp_path: Path
) -> None:
    mini = copy_mini(tmp_path / "mini")
    done = installed.ilrs("stats", "--quiet", "--format", "json", env=mini.env)
    assert done.returncode == 0, done.stderr
    total = json.loads(done.stdout)["total"]
    assert total == build_store(mini.settings).count() and total != dataset.count()


@pytest.mark.parametrize("command", [["docs"], ["release"], ["diff", "git:HEAD"]])
def test_the_editors_commands_need_a_checkout(installed: Installed, command: list[str]) -> None:
    done = installed.ilrs(*command)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("ilrs: error: ilrs ") and done.stderr.count("\n") == 1, done.stderr
    assert "source checkout" in done.stderr and "installed package's copy" in done.stderr


def test_the_installed_server_answers_sparql(served: LiveServer, dataset: Store) -> None:
    response = httpx.post(
        served.url("/sparql"), data={"query": COUNT_PER_GRAPH}, headers={"Accept": "text/csv"}, timeout=30
    )
    assert response.status_code == 200, response.text
    rows = [(r["g"], int(r["n"])) for r in csv.DictReader(io.StringIO(response.text))]
    assert rows == [(s["g"].value, int(s["n"].value)) for s in dataset.query(COUNT_PER_GRAPH)]  # type: ignore[index,union-attr]


def test_the_installed_server_serves_a_resource(served: LiveServer, dataset: Store) -> None:
    iri = f"{ID}agency/cnsa"
    turtle = httpx.get(served.url("/id/agency/cnsa"), headers={"Accept": "text/turtle"}, timeout=30)
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    got = {q.triple for q in ox.parse(turtle.content, format=ox.RdfFormat.TURTLE, base_iri=iri)}
    assert got == outgoing(dataset, iri) and got

    page = httpx.get(served.url("/id/agency/cnsa"), headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "China National Space Administration" in page.text


def test_the_installed_server_serves_the_ui_and_its_assets(served: LiveServer) -> None:
    assets = []
    for path in ("/", "/docs"):
        page = httpx.get(served.url(path), timeout=30)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        links = re.findall(r'(?:src|href)="([^"]*static/[^"]+)"', page.text)
        assert links, path
        assets += [urljoin(served.url(path), link) for link in links]
    files = [urlsplit(url).path for url in assets]  # static/NAME?v=DIGEST
    assert any(f.endswith(".js") for f in files) and any(f.endswith(".css") for f in files)
    assert any("/vendor/" in a for a in assets)  # a vendored build, not only the project's own files
    for url in assets:
        response = httpx.get(url, timeout=30)
        assert response.status_code == 200, url
        local = PROJECT_ROOT / "server" / urlsplit(url).path.lstrip("/")  # static/NAME, without ?v=DIGEST
        assert response.content == local.read_bytes(), url


def test_the_installed_server_serves_the_ontology_docs_and_the_context(served: LiveServer) -> None:
    docs = httpx.get(served.url("/ontology/"), timeout=30)
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    generated = page_parts((PROJECT_ROOT / "docs" / "ontology" / "index.html").read_text(encoding="utf-8"))
    assert generated.content in docs.text  # the installed documentation, inside the site's layout
    figure = httpx.get(served.url("/ontology/classes.svg"), timeout=30)
    assert figure.status_code == 200 and figure.content == (PROJECT_ROOT / "docs/ontology/classes.svg").read_bytes()

    context = httpx.get(served.url("/context.jsonld"), timeout=30)
    assert context.status_code == 200
    assert context.json() == json.loads((PROJECT_ROOT / "graph" / "context.jsonld").read_text(encoding="utf-8"))
