"""Crash safety of the on-disk store: ``kill -9`` at random moments while writes go on.

A real server runs on ``--store DIR``; a client sends writes one after the other, each inserting
a batch of :data:`BATCH` triples in one update, and notes which were acknowledged (200). Once the
round's first write is acknowledged (however long a loaded machine takes), the server is killed
with SIGKILL at a random moment, restarted on the same folder, and the store
checked: every acknowledged batch is there whole, and no batch is there in part (the one in
flight at the kill is wholly there or wholly absent). A restart keeps the store as it is; only
``--reload`` reloads the files.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from servers import LiveServer, start_server, stop_server, wait_for
from writing import write_token

GRAPH = "https://example.org/crash"
P = "https://example.org/batch"
BATCH = 40
ROUNDS = 8
#: Seconds any one step may take (a start, a query, a write): generous, for a loaded machine.
PATIENCE = 180


def batch_update(number: int) -> str:
    triples = " ".join(f"<https://example.org/crash/{number}/{i}> <{P}> {number} ." for i in range(BATCH))
    return f"INSERT DATA {{ GRAPH <{GRAPH}> {{ {triples} }} }}"


def batches(server: LiveServer) -> Counter[int]:
    query = f"SELECT ?b (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s <{P}> ?b }} }} GROUP BY ?b"
    response = httpx.post(
        server.url("/sparql"), data={"query": query}, headers={"Accept": "application/json"}, timeout=PATIENCE
    )
    assert response.status_code == 200, response.text
    rows = response.json()["results"]["bindings"]
    return Counter({int(r["b"]["value"]): int(r["n"]["value"]) for r in rows})


def quads(server: LiveServer) -> int:
    return int(httpx.get(server.url("/health"), timeout=PATIENCE).json()["quads"])


def test_acknowledged_writes_survive_kill_9_and_interrupted_ones_are_all_or_nothing(tmp_path: Path) -> None:
    token = write_token(tmp_path)
    args = ("--store", str(tmp_path / "store"), "--tokens", str(token.path))
    env = {"ILRS_QUERY_EXECUTOR": "thread"}
    acknowledged: set[int] = set()
    rng = random.Random(13)
    server = start_server(tmp_path, *args, env=env, timeout=PATIENCE)
    try:
        quads_at_start = quads(server)
        for round_number in range(1, ROUNDS + 1):
            kill_during_writes(
                server, token.headers, first=round_number * 1000, after=rng.uniform(0.0, 1.8), acknowledged=acknowledged
            )
            server = start_server(tmp_path, *args, env=env, timeout=PATIENCE)
            seen = batches(server)
            assert {n for n, count in seen.items() if count != BATCH} == set(), seen  # nothing in part
            assert acknowledged <= set(seen), acknowledged - set(seen)  # every acknowledged write is there
            assert len(set(seen) - acknowledged) <= round_number  # at most the one in flight at each kill
        assert acknowledged, "no write was acknowledged before the kills"
        assert quads(server) > quads_at_start  # restarts kept the store
    finally:
        stop_server(server)
    reloaded = start_server(tmp_path, *args, "--reload", env=env, timeout=PATIENCE)
    try:  # --reload reloads the files: the writes are gone
        assert batches(reloaded) == Counter()
        assert quads(reloaded) == quads_at_start
    finally:
        stop_server(reloaded)


def kill_during_writes(
    server: LiveServer, headers: dict[str, str], *, first: int, after: float, acknowledged: set[int]
) -> None:
    """Send batches from ``first`` on, one after the other, and SIGKILL the server ``after`` seconds after the
    first is acknowledged (a write in flight at any moment of a round but its first)."""
    stop = threading.Event()
    failures: list[str] = []

    def write() -> None:
        number = first
        with httpx.Client(base_url=server.base_url, timeout=PATIENCE, headers=headers) as client:
            while not stop.is_set():
                try:
                    response = client.post("/update", data={"update": batch_update(number)})
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code != 200:
                    failures.append(response.text)
                    return
                acknowledged.add(number)
                number += 1

    writer = threading.Thread(target=write)
    writer.start()
    wait_for(lambda: first in acknowledged or not writer.is_alive(), "the round's first write", timeout=PATIENCE)
    time.sleep(after)
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    stop.set()
    writer.join()
    assert failures == []
