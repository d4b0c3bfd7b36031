"""The benchmark runner works end to end: a tiny run starts the three systems, checks their answers and
writes its report and plots. Nothing here judges speed: the figures of a tiny run mean nothing."""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

import pytest

from bench.generate import generate, sources_for
from bench.queries import TEMPLATES, unique_mix
from bench.systems import Server
from ilrs.graph.check import run_checks
from ilrs.graph.settings import Settings

needs_peers = pytest.mark.skipif(
    not all(Path(sys.executable).with_name(n).exists() or shutil.which(n) for n in ("oxigraph", "rdflib-endpoint")),
    reason="the benchmark's peers are not installed (pip install -e '.[bench]')",
)


def test_the_generator_is_seeded_and_scales(tmp_path: Path) -> None:
    small, again, other = tmp_path / "a.nq", tmp_path / "b.nq", tmp_path / "c.nq"
    count = generate(0.1, small, seed=3, progress=False)
    generate(0.1, again, seed=3, progress=False)
    generate(0.2, other, seed=3, progress=False)
    assert small.read_bytes() == again.read_bytes()
    assert len(small.read_text().splitlines()) == count
    assert 800 <= count <= 1200  # scale 1 is about 10k triples
    assert abs(sources_for(0.2) - 2 * sources_for(0.1)) <= 1  # twice the sources, but for rounding


def test_the_generated_data_passes_the_editors_checks(tmp_path: Path) -> None:
    """Generated data is data the project would accept: it can be served with ``--watch`` or written to a store."""
    generated = tmp_path / "generated.nq"
    generate(0.1, generated, seed=5, progress=False)
    report = run_checks(Settings(extra_files=[generated]))
    assert not report.failed(strict=True), report.to_table()


def test_the_unique_mix_never_repeats_a_request() -> None:
    draw = unique_mix(1, seed=5)
    texts = [draw().text for _ in range(10 * len(TEMPLATES))]
    assert len(set(texts)) == len(texts)


def test_sources_of_the_unique_mix_of_other_seeds_never_ask_the_same_query() -> None:
    """The clients of one phase, or two phases, each with a seed of its own: a server's result cache must not
    answer one with what it kept for another."""
    texts = [draw().text for draw in [unique_mix(1, seed) for seed in (0, 1, 2, 13, 23, 30)] for _ in range(240)]
    assert len(set(texts)) == len(texts)
    again = unique_mix(1, seed=23)
    assert [again().text for _ in range(240)] == texts[4 * 240 : 5 * 240]  # every system is sent the same


@needs_peers
def test_a_quick_run_reports_every_system(tmp_path: Path) -> None:
    from bench.run import main

    status = main(["--quick", "--out", str(tmp_path)])
    assert status in (0, 1)  # 1: a target missed, which a tiny run on a shared machine says nothing about
    results = (tmp_path / "RESULTS.md").read_text()
    for system in ("ilrs", "oxigraph", "rdflib-endpoint"):
        assert system in results
    assert "ilrs differs" not in results  # the answers were compared, and ours match Oxigraph's
    assert "| lookup |" in results and "| label-search |" in results and "## Targets" in results
    assert "| files loaded, quads/s (as reported) | " in results
    assert (tmp_path / "throughput-0.05.png").stat().st_size > 1000
    assert (tmp_path / "latency-0.05.png").stat().st_size > 1000


def test_every_query_of_the_mix_parses() -> None:
    """A query that does not parse is refused by every system alike, and would silently leave the mix."""
    import pyoxigraph as ox

    store = ox.Store()
    for template in TEMPLATES:
        for serial in (0, 7):
            store.query(template.query(random.Random(1), 100, serial).text)  # SyntaxError if it does not parse


def test_the_million_triple_targets_are_checked() -> None:
    from bench.run import ScaleResult, targets

    result = ScaleResult(100, 2_500_000, startup={"ilrs": 40.0, "oxigraph": 20.0})
    result.load_rate = {"ilrs": 250_000.0}
    result.memory_c8 = {"ilrs": (900 * 2**20, 0), "oxigraph": (800 * 2**20, 0)}
    found = {t.what: t for t in targets(result)}
    assert not found["Oxigraph's startup ÷ ours (≥ 1/1.5)"].met  # 40 s against 20 s: more than 1.5 times
    assert found["Oxigraph's peak PSS at 8 clients ÷ ours (≥ 0.5)"].met
    assert found["load rate of the files, quads/s (its progress report)"].met
    result.load_rate = {}  # the server did not report its load: missed, not skipped
    assert not {t.what: t for t in targets(result)}["load rate of the files, quads/s (its progress report)"].met


def test_the_rdflib_targets_say_what_oxigraph_reaches() -> None:
    """A ratio to rdflib-endpoint comes with Oxigraph server's own in the same run: whether the engine's server
    reaches the target itself."""
    from bench.run import ScaleResult, target_table, targets

    result = ScaleResult(1, 36_000, startup={"ilrs": 1.0, "oxigraph": 0.5, "rdflib-endpoint": 2.0})
    result.throughput = {
        ("ilrs", "unique", 1): 800.0,
        ("oxigraph", "unique", 1): 2000.0,
        ("rdflib-endpoint", "unique", 1): 40.0,
        ("ilrs", "repeated", 1): 2000.0,
        ("oxigraph", "repeated", 1): 500.0,
    }
    found = {t.what: t for t in targets(result)}
    peer = found["unique mix ÷ rdflib-endpoint, 1 client(s)"]
    assert (peer.measured, peer.oxigraph, peer.met) == (20.0, 50.0, False)
    assert found["unique mix ÷ Oxigraph, 1 client(s)"].oxigraph is None
    row = "| 1 | unique mix ÷ rdflib-endpoint, 1 client(s) | 20.00 | ≥ 100.00 | **missed** | 50.00 |"
    assert row in target_table(list(found.values()))


def test_a_quick_worker_sweep_writes_its_table_and_the_results_section(tmp_path: Path) -> None:
    """``bench.workers`` measures 1 and 2 worker processes and records them beside the main results,
    which ``bench.run`` keeps when it writes them again."""
    from bench.workers import BEGIN, END, kept_section
    from bench.workers import main as workers_main

    (tmp_path / "RESULTS.md").write_text("# SPARQL benchmark results\n\nearlier figures\n")
    assert workers_main(["--quick", "--out", str(tmp_path)]) == 0  # every worker count answered
    table = (tmp_path / "WORKERS.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith(("| 1 |", "| 2 |"))]
    assert len(rows) == 2 and "speed-up" in table
    results = (tmp_path / "RESULTS.md").read_text()
    assert results.startswith("# SPARQL benchmark results") and "earlier figures" in results
    assert BEGIN in results and END in results and rows[1] in results
    rewritten = kept_section(results, "# SPARQL benchmark results\n\nnew figures\n")
    assert "new figures" in rewritten and rows[1] in rewritten and "earlier figures" not in rewritten


def test_the_peers_default_graph_answers_as_ours(tmp_path: Path) -> None:
    """Oxigraph server is given the merged and inferred graphs as its default graph: a query naming no dataset
    gets there, row for row and repetitions included, what this server's default graph gives (its union of
    every graph would repeat a triple once per graph stating it)."""
    import pyoxigraph as ox

    from bench.queries import repeated_mix
    from bench.run import write_peer_dataset
    from ilrs.graph.loader import build_dataset

    generated, peer = tmp_path / "generated.nq", tmp_path / "peer.nq"
    generate(0.05, generated, seed=3, progress=False)
    ours = build_dataset(Settings(extra_files=[generated])).store
    theirs = build_dataset(Settings(extra_files=[generated])).store
    write_peer_dataset(theirs, peer)
    oxigraph = ox.Store()
    oxigraph.load(path=str(peer), format=ox.RdfFormat.N_QUADS)
    assert len(oxigraph) == ours.count()  # the same quads, two graphs moved

    def rows(result: object) -> list[tuple[str, ...]]:
        if isinstance(result, ox.QueryBoolean):
            return [(str(bool(result)),)]
        if isinstance(result, ox.QueryTriples):
            return sorted((str(t.predicate), str(t.object)) for t in result)  # blank node labels differ
        return sorted(tuple(str(term) for term in row) for row in result)  # type: ignore[attr-defined]

    draw = unique_mix(0.05, seed=7)
    queries = repeated_mix(0.05, 7, Settings().queries_dir) + [draw() for _ in range(3 * len(TEMPLATES))]
    union = 0
    for query in queries:
        expected = rows(ours.query(query.text))
        assert rows(oxigraph.query(query.text)) == expected, query.name
        union += rows(oxigraph.query(query.text, use_default_graph_as_union=True)) != expected
    assert union > 0  # the union of every graph answers some of them otherwise: the check can tell


def _slow_server(workdir: Path, name: str) -> Server:
    """A real HTTP server on 127.0.0.1 that takes 30 s over every request, as a peer stuck on a query does."""
    import socket
    import subprocess
    import time

    from bench.systems import free_port

    port = free_port()
    code = (
        "import http.server, time\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        time.sleep(30)\n"
        f"http.server.HTTPServer(('127.0.0.1', {port}), H).serve_forever()\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 60
    while True:  # until it listens: a request sent earlier is refused, not left stalled
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise
            time.sleep(0.05)
    return Server(name, process, port, 0.0, workdir / "log")


def test_a_peer_left_computing_an_abandoned_request_is_restarted(tmp_path: Path) -> None:
    """A request that outlives its client's timeout marks the peer stalled; it is started anew before the next
    measurement, so that measurement does not pay for the abandoned work."""
    from bench.run import Client, ScaleResult, restart_stalled

    stuck = _slow_server(tmp_path, "rdflib-endpoint")
    servers = [stuck]
    try:
        with pytest.raises(TimeoutError):
            Client(stuck, timeout=0.5).get("/", "*/*")
        assert stuck.stalled
        result = ScaleResult(0.05, 0)
        restart_stalled(servers, {"rdflib-endpoint": lambda: _slow_server(tmp_path, "rdflib-endpoint")}, result)
        assert servers[0] is not stuck and not servers[0].stalled
        assert stuck.process.poll() is not None  # the stuck one was stopped
        assert servers[0].process.poll() is None
        assert result.partial == ["rdflib-endpoint: restarted after a request outlived its client's timeout"]
    finally:
        for server in [stuck, *servers]:
            server.stop()


@pytest.mark.skipif(
    not (Path(sys.executable).with_name("oxigraph").exists() or shutil.which("oxigraph")),
    reason="Oxigraph server is not installed (pip install -e '.[test]')",
)
def test_the_startup_comparison_starts_each_system_and_reports_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.startup import main

    status = main(["--scale", "0.05", "--runs", "1", "--workdir", str(tmp_path)])
    assert status in (0, 1)  # 1: a target missed, which a tiny run says nothing about
    out = capsys.readouterr().out
    for system in ("ilrs ", "ilrs-first ", "oxigraph "):
        assert f"\n{system}" in "\n" + out
    assert "load rate" in out and "startup ÷ oxigraph's" in out
    # "ilrs" started on the records that writing Oxigraph's dataset left; "ilrs-first" on an empty cache of its own.
    records = {p.name for p in (tmp_path / "cache" / "parsed").iterdir()}
    firsts = [p for p in tmp_path.glob("cache-*/parsed")]
    assert len(firsts) == 1 and {p.name for p in firsts[0].iterdir()} == records


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="reads Linux's /proc")
def test_a_quick_private_pages_run_breaks_the_tree_down(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``bench.private_pages`` runs each setting it is given and says, as JSON, where the tree's memory is: the
    server, its zygote and the workers, the latency of each query kind, and the peak under 8 clients."""
    import json

    from bench.private_pages import main as private_pages

    unlimited = '{"ILRS_WORKER_PRIVATE_MEMORY": "0"}'
    assert private_pages(["--quick", "--workdir", str(tmp_path), "default={}", f"unlimited={unlimited}"]) == 0
    runs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [run["setting"] for run in runs] == ["default", "unlimited"]
    for run in runs:
        assert {"server", "zygote", "worker"} <= set(run["after_one_client"]), run
        assert all(part["pss"] > 0 for part in run["after_one_client"].values()), run
        assert len(run["latency_ms"]) == 12, run["latency_ms"]
        assert run["requests_per_second"] > 0 and run["peak_pss"] >= run["at_peak"]["server"]["pss"] > 0, run


def test_a_quick_stop_timing_says_how_each_server_ended(capsys: pytest.CaptureFixture[str]) -> None:
    """``bench.stopping`` starts a server per state, signals it and says how it ended (tests/test_stopping.py
    checks each state; this, that the benchmark reports them)."""
    from bench.stopping import main as stopping

    assert stopping(["--scale", "0.05", "--states", "idle,loading", "--signal", "INT"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["idle", "SIGINT:"], ["loading", "SIGINT:"]], lines
    for line in lines:
        assert "status 0, traceback False, left []" in line, line


def test_a_quick_default_graph_comparison_times_every_kind(capsys: pytest.CaptureFixture[str]) -> None:
    """``bench.default_graph`` times each heavy kind on the three datasets, which must agree on every answer's
    size (it exits 1 otherwise), and prints one row per kind."""
    import re

    from bench.default_graph import KINDS, main

    assert main(["--scale", "0.05", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "| kind, median ms | served | merged only | one graph |" in out
    for kind in KINDS:
        assert re.search(rf"^\| {kind} \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|$", out, re.MULTILINE), kind


def test_a_quick_overhead_run_sets_the_floor_beside_the_servers(capsys: pytest.CaptureFixture[str]) -> None:
    """``bench.overhead --floor`` measures this server, the bare HTTP stack it runs on and Oxigraph server side by
    side: a row per kind, a cell per system, each with its latency and CPU."""
    import re

    from bench.overhead import main

    assert (
        main(["--scale", "0.05", "--blocks", "1", "--block", "5", "--kinds", "ask-trivial", "worker-ask", "--floor"])
        == 0
    )
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("| request |"))
    assert [cell.split(":")[0].strip() for cell in header.split("|")[2:5]] == ["ilrs", "floor", "oxigraph"]
    for kind in ("ask-trivial", "worker-ask"):
        row = next(line for line in out.splitlines() if line.startswith(f"| {kind} |"))
        cells = row.split("|")[2:5]
        assert all(re.fullmatch(r" [0-9]+ / [0-9]+ / [0-9]+ \([0-9]+ \+ [0-9]+\) ", cell) for cell in cells), row


def test_the_floor_answers_what_this_server_answers_to_ask() -> None:
    """The floor's one answer is this server's answer to ``ASK {}``, byte for byte: the same bytes to write."""
    from bench.floor import BODY
    from ilrs.server.sparql.evaluate import QueryJob
    from ilrs.server.sparql.inline import answer_inline

    content_type, body = answer_inline(QueryJob(query="ASK {}", format="json"))
    assert (content_type, body) == ("application/sparql-results+json", BODY)


def test_a_quick_versions_run_sets_two_builds_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    """``bench.versions`` starts this build and another (here the same interpreter: the same build twice), sends
    both the unique mix round after round, and reports each one's requests/s and their ratio."""
    from bench.versions import main as versions

    argv = ["--base", sys.executable, "--scale", "0.05", "--clients", "2", "--rounds", "2", "--seconds", "0.5"]
    assert versions(argv) == 0
    captured = capsys.readouterr()
    assert captured.err.count("round ") == 2
    line = captured.out.strip().splitlines()[-1]
    assert line.startswith("unique mix, 2 clients, scale 0.05, 2 rounds of 0.5 s: this ")
    ratio = float(line.rsplit(" ", 1)[1])
    assert 0.2 < ratio < 5  # the same build twice: neither can be far ahead
