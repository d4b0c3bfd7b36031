"""Replicated read servers behind nginx, all on 127.0.0.1: two ``ilrs serve`` processes on the same
files (the same dataset version) and nginx balancing between them, as docs/deployment.md sets up."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from external_stores import free_port, program
from servers import LiveServer, start_server, stop_server

from ilrs.graph.settings import get_settings

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
{servers}
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
    """nginx at ``url`` in front of ``replicas``; ``env`` is what the replicas were started with."""

    url: str
    replicas: list[LiveServer]
    env: dict[str, str]
    nginx_folder: Path

    def switch_upstream(self, replicas: list[LiveServer]) -> None:
        """nginx's ``upstream`` made ``replicas`` and reloaded, as docs/deployment.md says (``nginx -s reload``)."""
        conf = self.nginx_folder / "nginx.conf"
        conf.write_text(nginx_conf(self.nginx_folder, replicas, int(self.url.rsplit(":", 1)[1])))
        done = subprocess.run(
            [
                program("nginx"),
                "-p",
                str(self.nginx_folder),
                "-c",
                str(conf),
                "-e",
                str(self.nginx_folder / "error.log"),
                "-s",
                "reload",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        self.replicas = replicas


def nginx_conf(folder: Path, replicas: list[LiveServer], port: int) -> str:
    """The configuration of docs/deployment.md for nginx on 127.0.0.1:``port`` in front of ``replicas``."""
    servers = "\n".join(
        f"        server 127.0.0.1:{r.base_url.rsplit(':', 1)[1]} max_fails=1 fail_timeout=30s;" for r in replicas
    )
    return NGINX_CONF.format(folder=folder, servers=servers, port=port)


def start_cluster(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """Two replicas started with ``args`` and ``env``, and nginx in front of them; all stopped at the end.

    The replicas are told nginx's URL as their public one, as docs/deployment.md says: every URL they write
    is then the same, and so is each page's bytes under one ETag."""
    nginx = program("nginx")
    port = free_port()
    public = {"ILRS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", **(env or {})}
    replicas = []
    for i in (1, 2):
        (tmp_path / f"replica{i}").mkdir()
        replicas.append(start_server(tmp_path / f"replica{i}", *args, env=public))
    folder = tmp_path / "nginx"
    folder.mkdir()
    conf = folder / "nginx.conf"
    conf.write_text(nginx_conf(folder, replicas, port))
    process = subprocess.Popen([nginx, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")])
    url = f"http://127.0.0.1:{port}"
    cluster = Cluster(url, replicas, public, folder)
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
        yield cluster
    finally:
        process.terminate()
        process.wait(timeout=10)
        for replica in [*replicas, *cluster.replicas]:  # the replicas a rollout started too
            if replica.process.poll() is None:
                stop_server(replica)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    yield from start_cluster(tmp_path)


def test_replicas_send_the_same_etags_and_version(cluster: Cluster) -> None:
    for path, params, accept in REQUESTS[1:]:
        answers = [httpx.get(r.url(path), params=params, headers={"Accept": accept}) for r in cluster.replicas]
        assert all(a.status_code == 200 for a in answers)
        assert answers[0].headers["etag"] == answers[1].headers["etag"]
        assert answers[0].content == answers[1].content  # a strong ETag: the same bytes
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
    # A failure is one the victim had: nginx names it among the upstreams tried, or the connection broke.
    assert all(not r[3] or victim_port in _ports(r[3]) for r in failed), failed
    assert len({r[4] for r in results if r[2] == 200}) == 1  # one version throughout


def _ports(upstreams: str) -> set[str]:
    """The ports of nginx's ``$upstream_addr`` (``host:port`` for each upstream tried, comma-separated)."""
    return {address.strip().rsplit(":", 1)[-1] for address in upstreams.split(",")}


#: Pages read during a switch of versions, beside the SPARQL count: an HTML page and a JSON-LD document.
PAGES = [
    ("/id/agency/cnsa", "text/html"),
    ("/id/agency/cnsa", "application/ld+json"),
    ("/countries", "application/ld+json"),
]


def test_a_published_snapshot_replaces_the_old_one_under_load(tmp_path: Path) -> None:
    """The writer publishes a new version of the files (one atomic rename); each replica swaps to it whole:
    every answer, during the switch too, is entirely one version's, and names it."""
    data = tmp_path / "data"
    shutil.copytree(get_settings().data_dir, data)
    env = {"ILRS_DATA_DIR": str(data)}
    nodes = start_cluster(tmp_path, "--watch", env=env)
    cluster = next(nodes)
    try:
        seen: list[tuple[int, str, int]] = []  # status, version, quads counted
        stop = threading.Event()
        count = {"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"}

        def traffic() -> None:
            with httpx.Client(base_url=cluster.url, timeout=60) as client:
                while not stop.is_set():
                    r = client.get("/sparql", params=count, headers={"Accept": "application/sparql-results+json"})
                    n = int(r.json()["results"]["bindings"][0]["n"]["value"]) if r.status_code == 200 else -1
                    seen.append((r.status_code, r.headers.get("ilrs-dataset-version", ""), n))

        pages: list[tuple[str, int, str, str, int]] = []  # page, status, version, ETag, body's hash

        def page_traffic() -> None:
            with httpx.Client(base_url=cluster.url, timeout=60) as client:
                i = 0
                while not stop.is_set():
                    path, accept = PAGES[i % len(PAGES)]
                    i += 1
                    r = client.get(path, headers={"Accept": accept})
                    version, etag = r.headers.get("ilrs-dataset-version", ""), r.headers.get("etag", "")
                    pages.append((f"{path} {accept}", r.status_code, version, etag, hash(r.content)))

        threads = [threading.Thread(target=traffic) for _ in range(2)] + [threading.Thread(target=page_traffic)]
        for t in threads:
            t.start()
        try:
            old = httpx.get(cluster.replicas[0].url("/health")).json()["version"]
            time.sleep(2)
            # The single writer: a new file written beside the data, then renamed into it in one step.
            staged = tmp_path / "countries-copy.ttl"
            shutil.copy(data / "reference" / "countries.ttl", staged)
            os.replace(staged, data / "reference" / "countries-copy.ttl")
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                versions = {httpx.get(r.url("/health")).json()["version"] for r in cluster.replicas}
                if old not in versions:
                    break
                time.sleep(0.5)
            time.sleep(1)
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert old not in versions, "the replicas did not switch to the new files"
        assert all(status == 200 for status, _, _ in seen)
        by_version: dict[str, set[int]] = {}
        for _, version, n in seen:
            by_version.setdefault(version, set()).add(n)
        assert set(by_version) == {old, *versions} and len(versions) == 1
        assert all(len(counts) == 1 for counts in by_version.values()), by_version  # no answer mixes versions
        assert by_version[old] != by_version[versions.pop()]
        assert seen[-1][1] != old  # after the switch, only the new version
        # Pages too: each answer is one version's whole (one ETag and one body per page and version), and a new
        # version gives every page a new ETag, so a cache revalidating the old one gets the new page.
        assert pages and all(status == 200 for _, status, _, _, _ in pages)
        assert {version for _, _, version, _, _ in pages} == set(by_version)  # the old and the new
        answers: dict[tuple[str, str], set[tuple[str, int]]] = {}
        for page, _, version, etag, digest in pages:
            answers.setdefault((page, version), set()).add((etag, digest))
        assert all(len(kept) == 1 for kept in answers.values()), answers
        for page in {page for page, _ in answers}:
            by_page = [next(iter(kept))[0] for (p, _), kept in answers.items() if p == page]
            assert len(set(by_page)) == len(by_page), page  # one ETag per version, none shared across them
    finally:
        with contextlib.suppress(StopIteration):
            next(nodes)


def test_a_new_version_rolls_out_as_the_deployment_guide_says(tmp_path: Path) -> None:
    """docs/deployment.md's rollout, under traffic through nginx: on each replica in turn, a server on a new folder
    of the new files, on a second port; once its ``/health`` names the new version, nginx's ``upstream`` switched
    to it (``nginx -s reload``) and the old server stopped. No request fails (one sent on a keep-alive connection
    as nginx closes it at the reload is sent again, as the guide tells clients to), each answer is one version's
    whole and names it, both versions are served during the rollout, and only the new one after it."""
    old_files = tmp_path / "v1"
    shutil.copytree(get_settings().data_dir, old_files)
    nodes = start_cluster(tmp_path, env={"ILRS_DATA_DIR": str(old_files)})
    cluster = next(nodes)
    try:
        old = httpx.get(f"{cluster.url}/health").json()["version"]
        seen: list[tuple[str, int, str, str, int]] = []  # request, status, version, ETag, body's hash
        dropped: list[tuple[float, float]] = []  # when a request nginx closed the connection under began and ended
        reloads: list[tuple[float, float]] = []  # from each reload to the old server's stop
        stop = threading.Event()
        count = ("/sparql", {"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"})

        def traffic(offset: int) -> None:
            with httpx.Client(base_url=cluster.url, timeout=60) as client:
                i = offset
                while not stop.is_set():
                    path, params, accept = [(*count, "application/sparql-results+json"), *REQUESTS[1:]][i % 4]
                    i += 1
                    for _ in range(2):  # a GET nginx closed the connection under is sent again, as the guide says
                        started = time.monotonic()
                        try:
                            r = client.get(path, params=params, headers={"Accept": accept})
                        # "Server disconnected without sending a response", or a reset as the request reached it
                        except (httpx.RemoteProtocolError, httpx.ReadError):
                            dropped.append((started, time.monotonic()))
                            continue
                        except httpx.HTTPError as err:
                            seen.append((f"{path} {accept}", 0, "", repr(err), 0))
                            break
                        version, etag = r.headers.get("ilrs-dataset-version", ""), r.headers.get("etag", "")
                        seen.append((f"{path} {accept}", r.status_code, version, etag, hash(r.content)))
                        break
                    else:
                        seen.append((f"{path} {accept}", 0, "", "dropped twice", 0))

        threads = [threading.Thread(target=traffic, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        new_versions = []
        try:
            time.sleep(2)
            for n, replica in enumerate(list(cluster.replicas)):
                # A release checked out into a new folder (here: the files with one more), served on a second port.
                new_files = tmp_path / f"v2-{n}"
                shutil.copytree(old_files, new_files)
                shutil.copy(old_files / "reference" / "countries.ttl", new_files / "reference" / "countries-copy.ttl")
                (tmp_path / f"new{n}").mkdir()
                new = start_server(tmp_path / f"new{n}", env={**cluster.env, "ILRS_DATA_DIR": str(new_files)})
                new_versions.append(httpx.get(new.url("/health")).json()["version"])
                assert new_versions[-1] != old
                reloaded = time.monotonic()
                cluster.switch_upstream([r if r is not replica else new for r in cluster.replicas])
                stop_server(replica)
                reloads.append((reloaded, time.monotonic()))
                time.sleep(2)
        finally:
            stop.set()
            for t in threads:
                t.join()
        new_version = new_versions[0]
        assert new_versions == [new_version, new_version]  # the same files give the same version on each replica
        failed = [r for r in seen if r[1] != 200]
        assert not failed and len(seen) > 20, failed
        # A connection nginx closed under a request (an idle keep-alive one its old workers close at the reload)
        # is the only loss, once per client and reload at most, and only while a replica is switched.
        assert len(dropped) <= len(threads) * len(reloads), dropped
        assert all(any(start <= end and began <= stop for start, stop in reloads) for began, end in dropped), (
            dropped,
            reloads,
        )
        assert {version for _, _, version, _, _ in seen} == {old, new_version}  # both, during the rollout
        answers: dict[tuple[str, str], set[tuple[str, int]]] = {}
        for request, _, version, etag, digest in seen:
            answers.setdefault((request, version), set()).add((etag, digest))
        assert all(len(kept) == 1 for kept in answers.values()), answers  # one version's whole, each answer
        for request in {request for request, _ in answers}:
            etags = [next(iter(kept))[0] for (r, _), kept in answers.items() if r == request]
            assert len(set(etags)) == len(etags), request  # each version's ETag its own
        last = seen[-10:]
        assert all(version == new_version for _, _, version, _, _ in last), last  # the old one is gone
    finally:
        with contextlib.suppress(StopIteration):
            next(nodes)
