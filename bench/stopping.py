"""How long ``ilrs serve`` takes to stop on a signal, in each state, over generated data.

For each state a server is started on the shipped files and the generated ones (``ILRS_EXTRA_FILES``) and
sent the signal: ``idle`` (after a first query), ``loading`` (once the shipped files are loaded, while the
generated file loads), ``page`` (while the front page is built: its examples run on a thread of the server
process), ``worker`` (while a query runs in a worker process), ``stream`` (while a large answer is streamed to
a client that reads 20 kB/s). One line per state: the seconds from the signal to the exit, the exit status,
whether the output holds a traceback, and the child processes left running after the exit.

    python -m bench.stopping --scale 100                 # a million triples; SIGTERM, every state
    python -m bench.stopping --scale 100 --signal INT --states page,worker
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote
from urllib.request import urlopen

from .generate import generate
from .systems import free_port, process_tree

STATES = ("idle", "loading", "page", "worker", "stream")
#: A query that runs until its deadline over a large graph: every pair of triples. (With a third pattern the
#: engine's join outgrows the query's memory limit within 2 s over a million triples: 507, and nothing runs.)
ENDLESS_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
#: A long answer: every triple (read slowly, it keeps the response being sent).
EVERY_TRIPLE = "SELECT * WHERE { ?s ?p ?o }"
#: Seconds a request is given to be under way before the signal.
UNDER_WAY = 2.0


def _start(data: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "ILRS_EXTRA_FILES": json.dumps([str(data)])}
    command = [sys.executable, "-m", "ilrs.graph.cli", "serve", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    return process, f"http://127.0.0.1:{port}"


def _until(condition: Callable[[], bool], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not reach the state in time")
        time.sleep(0.05)


def _answers(url: str) -> bool:
    try:
        with urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _read(url: str, pause: float = 0.0) -> None:
    """Read ``url`` to its end (``pause`` seconds between 1 kB reads), whatever becomes of it."""
    try:
        with urlopen(url, timeout=600) as response:
            while response.read(1024):
                time.sleep(pause)
    except OSError:
        pass  # cut by the stop


def _in_background(work: Callable[[], None]) -> None:
    threading.Thread(target=work, daemon=True).start()


def _reach(state: str, process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    """Bring the server to ``state``."""
    if state == "loading":
        _until(lambda: "sources.trig" in log.read_text(errors="replace"))
        return
    _until(lambda: process.poll() is not None or _answers(f"{base}/health"))
    _read(f"{base}/sparql?query={quote('ASK { ?s ?p ?o }')}")
    if state == "page":
        _in_background(lambda: _read(f"{base}/"))
    elif state == "worker":
        _in_background(lambda: _read(f"{base}/sparql?query={quote(ENDLESS_COUNT)}"))
    elif state == "stream":
        _in_background(lambda: _read(f"{base}/sparql?query={quote(EVERY_TRIPLE)}", pause=0.05))
    if state != "idle":
        time.sleep(UNDER_WAY)


def measure(state: str, data: Path, signum: signal.Signals, workdir: Path) -> str:
    """Start a server, bring it to ``state``, send ``signum``; the line saying how it ended."""
    log = workdir / f"{state}.log"
    process, base = _start(data, log)
    _reach(state, process, base, log)
    children = process_tree(process.pid) - {process.pid}
    sent = time.monotonic()
    process.send_signal(signum)
    try:
        status: int | str = process.wait(timeout=300)
    except subprocess.TimeoutExpired:
        process.kill()
        status = f"killed after {process.wait()}"
    took = time.monotonic() - sent
    time.sleep(0.5)  # the children killed at the exit are reaped by then
    left = sorted(pid for pid in children if _running(pid))
    traceback = "Traceback" in log.read_text(errors="replace")
    return f"{state:8} {signum.name}: exit after {took:6.2f} s, status {status}, traceback {traceback}, left {left}"


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100, help="bench/generate.py's scale (100: 1M triples)")
    parser.add_argument("--signal", choices=["TERM", "INT"], default="TERM")
    parser.add_argument("--states", default=",".join(STATES), help=f"among {', '.join(STATES)}")
    args = parser.parse_args(argv)
    signum = signal.Signals[f"SIG{args.signal}"]
    with tempfile.TemporaryDirectory(prefix="ilrs-stopping-") as folder:
        workdir = Path(folder)
        data = workdir / "generated.nq"
        generate(args.scale, data, progress=False)
        for state in args.states.split(","):
            print(measure(state, data, signum, workdir), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
