"""``ilrs serve --workers N``: N server processes on one port, restarted when one dies, stopped together."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from servers import LiveServer


def children(pid: int) -> list[int]:
    """The processes ``pid`` started that are still running (Linux /proc)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def serving(pid: int) -> list[int]:
    """The server processes among ``pid``'s children."""
    return [c for c in children(pid) if b"--listen-fd" in Path(f"/proc/{c}/cmdline").read_bytes()]


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_workers_share_the_port_and_are_restarted(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory("--workers", "2", env={"ILRS_QUERY_EXECUTOR": "thread"})
    supervisor = server.process.pid
    assert wait_for(lambda: len(serving(supervisor)) == 2)
    # Each process answers on the shared port once it has loaded the dataset.
    assert wait_for(lambda: all(httpx.get(server.url("/health")).status_code == 200 for _ in range(8)))
    for _ in range(10):  # a new connection each time: the kernel hands them to either process
        r = httpx.get(server.url("/sparql"), params={"query": "ASK { ?s ?p ?o }"})
        assert r.status_code == 200 and r.json()["boolean"] is True

    victim = serving(supervisor)[0]
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: victim not in serving(supervisor) and len(serving(supervisor)) == 2)
    assert wait_for(lambda: httpx.get(server.url("/health")).status_code == 200)

    started = serving(supervisor)
    server.process.terminate()
    server.process.wait(timeout=30)
    assert wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in started), 30)


def environment(pid: int) -> dict[str, str]:
    entries = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(e.decode().partition("=")[::2] for e in entries if e)


def test_the_server_processes_share_out_the_query_workers(server_factory: Callable[..., LiveServer]) -> None:
    """Each server process forks its own query workers: unless told how many, they share the cores out."""
    cores = len(os.sched_getaffinity(0))
    shared = server_factory("--workers", "2")
    assert wait_for(lambda: len(serving(shared.process.pid)) == 2)
    assert [environment(p)["ILRS_QUERY_WORKERS"] for p in serving(shared.process.pid)] == [str(max(1, cores // 2))] * 2
    told = server_factory("--workers", "2", env={"ILRS_QUERY_WORKERS": "3"})
    assert wait_for(lambda: len(serving(told.process.pid)) == 2)
    assert [environment(p)["ILRS_QUERY_WORKERS"] for p in serving(told.process.pid)] == ["3", "3"]
