"""The systems the benchmark compares, each started as a server on 127.0.0.1, and the measurement of a
process tree's memory."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_tree(root: int) -> set[int]:
    """``root`` and its descendants' process ids (from /proc; ``{root}`` elsewhere)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else []:
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid and p not in tree]
        tree.update(children)
        frontier.extend(children)
    return tree


def tree_memory(root: int) -> tuple[int, int]:
    """Bytes of PSS and of RSS summed over ``root`` and its descendants (from /proc; ``(0, 0)`` elsewhere).

    PSS counts a page shared by n processes as 1/n in each, so the sum is the tree's real footprint;
    the sum of RSS counts shared pages once per process.
    """
    pss = rss = 0
    for pid in process_tree(root):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
        except (OSError, ValueError):
            continue
    return pss, rss


def own_cpu(pid: int) -> float:
    """Seconds of CPU used by process ``pid`` itself, without its children (from /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(root: int) -> float:
    """Seconds of CPU used by ``root`` and its descendants, the children they have reaped included (from /proc;
    0 elsewhere)."""
    ticks = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(field) for field in fields[11:15])  # utime, stime, cutime, cstime
        except (OSError, IndexError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK") if ticks else 0.0


@dataclass
class Server:
    """A started system."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    startup: float
    log: Path
    #: Whether the system serves the project's linked-data pages (JSON-LD resources and collections).
    pages: bool = False
    #: Quads per second loading its files, as the server reports it (``None``: it does not say).
    load_rate: float | None = None
    notes: list[str] = field(default_factory=list)
    #: Whether a client gave up on a request it may still be computing: its later figures would pay for it.
    stalled: bool = False

    @property
    def sparql_path(self) -> str:
        return {"oxigraph": "/query", "rdflib-endpoint": "/"}.get(self.name, "/sparql")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _get(port: int, path: str, timeout: float = 5) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _wait(process: subprocess.Popen[bytes], port: int, path: str, deadline: float, log: Path) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}; see {log}")
        try:
            if _get(port, path) == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the server did not answer {path} in time; see {log}")


def _executable(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed: pip install -e '.[bench]'")
    return found


#: A query that reads data: answered by a query worker, so the workers have the data too (``ASK {}`` reads none,
#: and the server answers it without one).
ASK = "/sparql?query=" + quote("ASK { ?s ?p ?o }")


def start_ilrs(
    generated: Path,
    workdir: Path,
    timeout: float,
    *,
    workers: int | None = None,
    python: str | None = None,
    name: str = "ilrs",
    env: dict[str, str] | None = None,
) -> Server:
    """This project's server, on its shipped data and ``generated`` (loaded as an extra file); with
    ``workers``, that many server processes (``ilrs serve --workers``); with ``python``, the server installed
    for that interpreter (another checkout's virtual environment, to compare two versions of the code);
    ``env``: more ``ILRS_*`` settings."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{name}.log"
    env = {**os.environ, "ILRS_EXTRA_FILES": json.dumps([str(generated)]), "ILRS_LOG_LEVEL": "warning", **(env or {})}
    command = [python or sys.executable, "-c", "from ilrs.graph.cli import main; main()", "serve", "--port", str(port)]
    command += ["--workers", str(workers)] if workers is not None else []
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    _wait(process, port, ASK, started + timeout, log)  # a query answered: the workers have the data too
    return Server(name, process, port, time.monotonic() - started, log, pages=True, load_rate=_load_rate(log))


def _load_rate(log: Path) -> float | None:
    """The rate at which the server says it loaded its files (its line ``loaded N quads from M files in T s``)."""
    found = re.search(r"loaded (\d+) quads from \d+ files in ([\d.]+) s", log.read_text(errors="replace"))
    return int(found[1]) / float(found[2]) if found and float(found[2]) else None


def start_oxigraph(dataset: Path, workdir: Path, timeout: float) -> Server:
    """Oxigraph server in memory, the dataset posted to its store once it listens. Its default graph is the one
    the dataset fills (:func:`bench.run.write_peer_dataset`), not the union of its graphs."""
    port = free_port()
    log = workdir / "oxigraph.log"
    command = [_executable("oxigraph"), "serve", "--bind", f"127.0.0.1:{port}"]
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    _wait(process, port, "/query?query=" + quote("ASK {}"), started + timeout, log)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    with dataset.open("rb") as body:
        connection.request("POST", "/store", body=body, headers={"Content-Type": "application/n-quads"})
        response = connection.getresponse()
        response.read()
    connection.close()
    if response.status >= 300:
        process.kill()
        raise RuntimeError(f"oxigraph refused the data: {response.status}")
    return Server("oxigraph", process, port, time.monotonic() - started, log)


def start_floor(workdir: Path, timeout: float) -> Server:
    """The floor (:mod:`bench.floor`): a bare ASGI application on uvicorn, with this server's HTTP stack."""
    port = free_port()
    log = workdir / "floor.log"
    app_dir = str(Path(__file__).resolve().parent.parent)  # where the bench package is, wherever this runs from
    command = [sys.executable, "-m", "uvicorn", "bench.floor:app", "--app-dir", app_dir, "--port", str(port)]
    command += ["--host", "127.0.0.1", "--http", "httptools", "--loop", "uvloop", "--log-level", "warning"]
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    _wait(process, port, "/sparql", started + timeout, log)
    return Server("floor", process, port, time.monotonic() - started, log)


def start_rdflib_endpoint(dataset: Path, workdir: Path, timeout: float) -> Server:
    """rdflib-endpoint serving the dataset file."""
    port = free_port()
    log = workdir / "rdflib-endpoint.log"
    command = [_executable("rdflib-endpoint"), "serve", str(dataset), "--host", "127.0.0.1", "--port", str(port)]
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    _wait(process, port, "/?query=" + quote("ASK {}"), started + timeout, log)
    return Server("rdflib-endpoint", process, port, time.monotonic() - started, log)
