"""A real ``ilrs serve`` process on 127.0.0.1 for the tests: start it on a free port, stop it.

The fixtures in ``conftest.py`` (``live_server``, ``server_factory``) use these; tests that
need a server of their own import them from here.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
from prometheus_client.parser import text_string_to_metric_families

from ilrs.graph.loader import build_dataset
from ilrs.graph.settings import get_settings
from ilrs.graph.store import Store

T = TypeVar("T")

#: Prometheus samples by name and sorted labels.
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@dataclass
class LiveServer:
    """A running ``ilrs serve`` process."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 at the time of the call."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: The ``ilrs`` command of the environment running the tests.
ILRS = (sys.executable, "-m", "ilrs.graph.cli")


def start_server(
    tmp: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    ilrs: Sequence[str] = ILRS,
    cwd: Path | None = None,
) -> LiveServer:
    """Start ``ilrs serve`` with ``args`` on a free port and wait until ``/health`` answers.

    ``ilrs`` is the command to run (another environment's ``bin/ilrs``), ``cwd`` its working directory.
    """
    server = launch_server(tmp, *args, env=env, ilrs=ilrs, cwd=cwd)
    proc = server.process
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{server.log()}")
        try:
            if httpx.get(server.url("/health"), timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"server did not start within {timeout} s:\n{server.log()}")


def launch_server(
    tmp: Path,
    *args: str,
    env: dict[str, str] | None = None,
    ilrs: Sequence[str] = ILRS,
    cwd: Path | None = None,
) -> LiveServer:
    """Start ``ilrs serve`` with ``args`` on a free port, its output in a log file in ``tmp``; return at once."""
    port = free_port()
    log_path = tmp / f"server-{port}.log"
    cmd = [*ilrs, "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, cwd=cwd)
    return LiveServer(f"http://127.0.0.1:{port}", proc, log_path)


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@contextlib.contextmanager
def serving_generated(folder: Path, data: Path, env: dict[str, str]) -> Iterator[LiveServer]:
    """A server on the shipped data and ``data`` (an extra file), with the ``ILRS_*`` settings ``env``; stopped
    when the block ends."""
    server = start_server(folder, env={"ILRS_EXTRA_FILES": json.dumps([str(data)]), **env})
    try:
        yield server
    finally:
        stop_server(server)


def generated_data(folder: Path, scale: float = 0.05) -> Path:
    """ILRS-shaped data of bench/generate.py (by default scale 0.05, seed 12: hubs with many statements) written in
    ``folder``; scale 1 is about 10,000 triples."""
    from bench.generate import generate  # here: a copy of the tests without bench/ still loads this module

    path = folder / "generated.nq"
    generate(scale, path, seed=12, progress=False)
    return path


def dataset_with(data: Path) -> Store:
    """The data a server started with ``ILRS_EXTRA_FILES=[data]`` serves (the shipped graph and ``data``), in a
    store of the test's own."""
    return build_dataset(get_settings().model_copy(update={"extra_files": [data]})).store


def wait_for(condition: Callable[[], T], what: str, *, timeout: float = 60, interval: float = 0.05) -> T:
    """The first true value that ``condition()`` returns, asked every ``interval`` seconds; an AssertionError
    saying ``what`` was awaited if none comes within ``timeout`` seconds. The deadline is generous: the
    machine may be loaded, and no test asserts speed, only that the condition comes to hold."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}")
        time.sleep(interval)


def assert_the_query_slot_is_free(server: LiveServer, headers: dict[str, str] | None = None) -> None:
    """A query never asked before is answered, not refused with 503, for a server started with one query slot
    (``ILRS_MAX_CONCURRENT_QUERIES=1``): had a query its client left gone on, it would hold that slot until its
    30 s deadline. ``headers`` choose the way the probe takes (e.g. no gzip: the edge's short way)."""
    with httpx.Client(base_url=server.base_url, timeout=30, headers=headers) as client:

        def answered() -> httpx.Response | None:
            response = client.get("/sparql", params={"query": f"ASK {{ <urn:uuid:{uuid.uuid4()}> ?p ?o }}"})
            return None if response.status_code == 503 else response

        response = wait_for(answered, "a free query slot", timeout=10, interval=0.1)
        assert response is not None and response.status_code == 200, response


def scrape(server: LiveServer) -> Samples:
    """Every sample of the server's ``/metrics`` (it must run with ``ILRS_METRICS=1``), by name and sorted labels."""
    r = httpx.get(server.url("/metrics"), timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(r.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The value of one sample of ``samples``; 0 if it is absent."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
