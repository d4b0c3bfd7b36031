"""External SPARQL stores for the tests: Oxigraph server and Virtuoso Open Source 7, on 127.0.0.1.

Each starts in a temporary folder on a free port and is stopped by the caller. Where the program
is missing the tests that need it are skipped, except under CI (``CI`` set: ``.ci/run`` installs
both), where they fail. The commands are the ones docs/deployment.md gives.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

#: The Virtuoso account the server writes with (granted SPARQL_UPDATE); dba and dav get new passwords.
VIRTUOSO_USER, VIRTUOSO_PASSWORD = "ilrs", "ilrs-test-secret"
VIRTUOSO_DBA_PASSWORD = "dba-test-secret"
#: Virtuoso's ResultSetMaxRows in the tests: below the dataset's size, so paging and cut detection are exercised.
VIRTUOSO_MAX_ROWS = 5000
#: The tests start each server on the files as they are: one left by an earlier test is not kept.
FRESH = {"ILRS_RELOAD_STORE": "1"}


@dataclass
class ExternalStore:
    """A running store and the ``ILRS_*`` environment that points the project at it."""

    name: str
    query_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    folder: Path
    extra: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-4000:] for p in self.folder.glob("*.log"))


def program(name: str) -> str:
    """The path of ``name``; skip the test where it is missing (fail under CI, which installs it)."""
    # The venv's bin (oxigraph), then PATH, then sbin, where Debian puts nginx (absent from a user's PATH).
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    found = found or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        reason = f"{name} is not installed (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the tests that need it")
        pytest.skip(reason)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes], folder: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            logs = "\n".join(p.read_text(errors="replace") for p in folder.glob("*.log"))
            raise RuntimeError(f"the store exited with {process.returncode}:\n{logs}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the store at {url} did not start within {timeout} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def oxigraph_server(folder: Path) -> Iterator[ExternalStore]:
    """``oxigraph serve`` on a temporary folder, bound to 127.0.0.1 (it has no authentication)."""
    binary = program("oxigraph")
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "oxigraph.log").open("wb") as log:
        process = subprocess.Popen(
            [binary, "serve", "--location", str(folder / "data"), "--bind", f"127.0.0.1:{port}"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{base}/query", process, folder)
        env = {"ILRS_STORE_URL": f"{base}/query", "ILRS_STORE_UPDATE_URL": f"{base}/update", **FRESH}
        yield ExternalStore("oxigraph", f"{base}/query", env, process, folder)
    finally:
        _stop(process)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = {folder}
CheckpointInterval = 0

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
ServerThreads = 8

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 60
"""


@contextmanager
def virtuoso_server(folder: Path, max_rows: int = VIRTUOSO_MAX_ROWS) -> Iterator[ExternalStore]:
    """Virtuoso 7 on a new database in ``folder``: 127.0.0.1 only, on free ports, dba and dav with new
    passwords, and the user :data:`VIRTUOSO_USER` granted SPARQL_UPDATE, used on ``/sparql-auth``;
    answers cut at ``max_rows`` rows (its ``ResultSetMaxRows``)."""
    binary = program("virtuoso-t")
    isql = program("isql-vt")
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(folder=folder, sql_port=sql_port, http_port=http_port, max_rows=max_rows))
    with (folder / "virtuoso-stdout.log").open("wb") as log:
        process = subprocess.Popen([binary, "-f", "-c", str(ini)], cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{http_port}"
    try:
        _wait(f"{base}/sparql", process, folder)
        setup = (
            f"DB.DBA.USER_CREATE('{VIRTUOSO_USER}', '{VIRTUOSO_PASSWORD}'); "
            f'GRANT SPARQL_UPDATE TO "{VIRTUOSO_USER}"; '
            f"DB.DBA.RDF_DEFAULT_USER_PERMS_SET('{VIRTUOSO_USER}', 3); "
            "USER_CHANGE_PASSWORD('dav', 'dav', 'dav-test-secret'); "
            f"USER_CHANGE_PASSWORD('dba', 'dba', '{VIRTUOSO_DBA_PASSWORD}');"
        )
        done = subprocess.run(
            [isql, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={setup}"], capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0 or "Error" in done.stdout + done.stderr:
            raise RuntimeError(f"could not set Virtuoso up:\n{done.stdout}\n{done.stderr}")
        env = {
            "ILRS_STORE_URL": f"{base}/sparql-auth",
            "ILRS_STORE_USER": VIRTUOSO_USER,
            "ILRS_STORE_PASSWORD": VIRTUOSO_PASSWORD,
            "ILRS_STORE_DIALECT": "virtuoso",
            "ILRS_STORE_MAX_ROWS": str(max_rows),
            **FRESH,
        }
        yield ExternalStore("virtuoso", f"{base}/sparql-auth", env, process, folder, {"sql_port": str(sql_port)})
    finally:
        _stop(process)


#: The external stores the tests can run on.
EXTERNAL_STORES = ("oxigraph", "virtuoso")


#: The row cap of a store that serves the whole suite, as a deployment sets it: above any answer of the dataset.
SERVING_MAX_ROWS = 1_000_000


@contextmanager
def external_store(name: str, folder: Path, *, serving: bool = False) -> Iterator[ExternalStore]:
    """The store called ``name`` (``oxigraph`` or ``virtuoso``), running until the block ends; ``serving``:
    configured to serve the whole suite (Virtuoso's rows not cut below the dataset's size)."""
    if name == "oxigraph":
        with oxigraph_server(folder) as store:
            yield store
    else:
        with virtuoso_server(folder, SERVING_MAX_ROWS if serving else VIRTUOSO_MAX_ROWS) as store:
            yield store
