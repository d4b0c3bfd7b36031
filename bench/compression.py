"""Measure what gzip saves and costs on the server's responses, to choose what to compress.

Each body is fetched from the application in this process (no network), then compressed with
zlib's gzip format at levels 1, 6 and 9; the CPU time is the median of ``--runs`` runs, given
per MB of uncompressed body, beside the time the server takes to produce that MB uncompressed
("serve", wall clock, through the application in this process). SPARQL results are measured on
a SELECT of every quad (the largest result the dataset gives), in JSON, XML and CSV.

    python -m bench.compression --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import zlib
from urllib.parse import quote

from fastapi.testclient import TestClient

from ilrs.graph.settings import get_settings
from ilrs.server.app import create_app

#: Responses measured: name → (path, Accept).
BODIES: dict[str, tuple[str, str]] = {
    "countries page (JSON-LD, 250 members)": ("/countries?limit=250", "application/ld+json"),
    "resource page (HTML)": ("/id/country/CN", "text/html"),
    "dump TriG": ("/dumps/ilrs.trig", "*/*"),
    "dump N-Quads": ("/dumps/ilrs.nq", "*/*"),
    "dump JSON-LD": ("/dumps/ilrs.jsonld", "*/*"),
    "SPARQL SELECT every quad (JSON)": ("/sparql?query={q}", "application/sparql-results+json"),
    "SPARQL SELECT every quad (XML)": ("/sparql?query={q}", "application/sparql-results+xml"),
    "SPARQL SELECT every quad (CSV)": ("/sparql?query={q}", "text/csv"),
}
EVERY_QUAD = "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"
LEVELS = (1, 6, 9)


def gzip_bytes(body: bytes, level: int) -> bytes:
    """``body`` as a gzip stream (what the server's middleware sends)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    return compressor.compress(body) + compressor.flush()


def cpu_ms_per_mb(body: bytes, level: int, runs: int) -> float:
    """Median CPU milliseconds to gzip one MB (10^6 bytes) of ``body`` at ``level``."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        gzip_bytes(body, level)
        times.append(time.process_time() - started)
    return statistics.median(times) * 1000 / (len(body) / 1e6)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    settings = get_settings().model_copy(update={"query_executor": "thread"})
    header = f"{'response':40} {'bytes':>9} {'serve ms/MB':>8} " + " ".join(
        f"{'gz' + str(lv):>8} {'ms/MB':>6}" for lv in LEVELS
    )
    print(header)
    with TestClient(create_app(settings)) as client:
        for name, (path, accept) in BODIES.items():
            url = path.format(q=quote(EVERY_QUAD))
            serving = []
            for _ in range(args.runs):
                started = time.perf_counter()
                body = client.get(url, headers={"Accept": accept, "Accept-Encoding": "identity"}).content
                serving.append(time.perf_counter() - started)
            cells = [f"{statistics.median(serving) * 1000 / (len(body) / 1e6):>8.1f}"]
            for level in LEVELS:
                size = len(gzip_bytes(body, level))
                cells.append(f"{size:>8} {cpu_ms_per_mb(body, level, args.runs):>6.1f}")
            print(f"{name:40} {len(body):>9} " + " ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
