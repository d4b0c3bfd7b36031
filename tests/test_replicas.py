"""Replicated read servers behind nginx, all on 127.0.0.1: two ``ilrs serve`` processes on the same
files (the same dataset version) and nginx balancing between them, as docs/deployment.md sets up."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import LiveServer, start_server, stop_server
from external_stores import free_port, program

NGINX_CONF = """\
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
daemon off;
events {{ worker_connections 512; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    upstream ilrs {{
        server 127.0.0.1:{first} max_fails=1 fail_timeout=30s;
        server 127.0.0.1:{second} max_fails=1 fail_timeout=30s;
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://ilrs;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""

#: Mixed traffic: SPARQL, an HTML page, a JSON-LD document, a collection.
REQUESTS = [
    ("/sparql", {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}, "application/sparql-results+json"),
    ("/id/agency/cnsa", {}, "text/html"),
    ("/id/agency/cnsa", {}, "application/ld+json"),
    ("/agreements", {"limit": "5"}, "application/ld+json"),
]


@dataclass
class Cluster:
    url: str
    replicas: list[LiveServer]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    nginx = program("nginx")
    replicas = [start_server(tmp_path / f"replica{i}") for i in (1, 2) if (tmp_path / f"replica{i}").mkdir() is None]
    folder = tmp_path / "nginx"
    folder.mkdir()
    port = free_port()
    first, second = (int(r.base_url.rsplit(":", 1)[1]) for r in replicas)
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(folder=folder, first=first, second=second, port=port))
    process = subprocess.Popen([nginx, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError((folder / "error.log").read_text()) from None
                time.sleep(0.1)
        yield Cluster(url, replicas)
    finally:
        process.terminate()
        process.wait(timeout=10)
        for replica in replicas:
            if replica.process.poll() is None:
                stop_server(replica)


def test_replicas_send_the_same_etags_and_version(cluster: Cluster) -> None:
    for path, params, accept in REQUESTS[1:]:
        answers = [httpx.get(r.url(path), params=params, headers={"Accept": accept}) for r in cluster.replicas]
        assert all(a.status_code == 200 for a in answers)
        assert answers[0].headers["etag"] == answers[1].headers["etag"]
        assert answers[0].headers["ilrs-dataset-version"] == answers[1].headers["ilrs-dataset-version"]
        assert (
            answers[0].headers["ilrs-dataset-version"]
            == httpx.get(cluster.replicas[0].url("/health")).json()["version"]
        )


def test_losing_a_replica_fails_only_requests_in_flight(cluster: Cluster) -> None:
    clients = 4
    stop = threading.Event()
    killed_at: list[float] = []
    results: list[tuple[float, float, int, str, str]] = []  # started, ended, status, upstream, version
    lock = threading.Lock()

    def traffic(offset: int) -> None:
        with httpx.Client(base_url=cluster.url, timeout=30) as client:
            i = offset
            while not stop.is_set():
                path, params, accept = REQUESTS[i % len(REQUESTS)]
                i += 1
                started = time.monotonic()
                try:
                    r = client.get(path, params=params, headers={"Accept": accept})
                    outcome = (
                        r.status_code,
                        r.headers.get("x-upstream", ""),
                        r.headers.get("ilrs-dataset-version", ""),
                    )
                except httpx.HTTPError:
                    outcome = (0, "", "")
                with lock:
                    results.append((started, time.monotonic(), *outcome))

    threads = [threading.Thread(target=traffic, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    try:
        time.sleep(4)
        victim = cluster.replicas[0]
        killed_at.append(time.monotonic())
        victim.process.kill()  # no goodbye: like a machine that fails
        victim.process.wait()
        time.sleep(4)
    finally:
        stop.set()
        for t in threads:
            t.join()

    kill = killed_at[0]
    before = [r for r in results if r[1] < kill]
    after = [r for r in results if r[0] > kill]
    in_flight = [r for r in results if r[0] <= kill <= r[1]]
    victim_port = cluster.replicas[0].base_url.rsplit(":", 1)[1]
    assert {r[3].rsplit(":", 1)[-1] for r in before} == {
        victim_port,
        cluster.replicas[1].base_url.rsplit(":", 1)[1],
    }  # both replicas served before the kill
    assert all(r[2] == 200 for r in before)
    assert len(after) > 10 and all(r[2] == 200 for r in after), [r for r in after if r[2] != 200]
    failed = [r for r in in_flight if r[2] != 200]
    assert len(failed) <= clients
    assert len({r[4] for r in results if r[2] == 200}) == 1  # one version throughout
