"""The benchmark runner works end to end: a tiny run starts the three systems, checks their answers and
writes its report and plots. Nothing here judges speed: the figures of a tiny run mean nothing."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from bench.generate import generate, sources_for
from bench.queries import TEMPLATES, unique_mix

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
    assert sources_for(0.2) == 2 * sources_for(0.1)


def test_the_unique_mix_never_repeats_a_request() -> None:
    draw = unique_mix(1, seed=5)
    texts = [draw().text for _ in range(10 * len(TEMPLATES))]
    assert len(set(texts)) == len(texts)


@needs_peers
def test_a_quick_run_reports_every_system(tmp_path: Path) -> None:
    from bench.run import main

    status = main(["--quick", "--out", str(tmp_path)])
    assert status in (0, 1)  # 1: a target missed, which a tiny run on a shared machine says nothing about
    results = (tmp_path / "RESULTS.md").read_text()
    for system in ("ilrs", "oxigraph", "rdflib-endpoint"):
        assert system in results
    assert "ilrs differs" not in results  # the answers were compared, and ours match Oxigraph's
    assert "| lookup |" in results and "## Targets" in results
    assert (tmp_path / "throughput-0.05.png").stat().st_size > 1000
    assert (tmp_path / "latency-0.05.png").stat().st_size > 1000


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
